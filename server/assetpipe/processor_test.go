package assetpipe

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestProcessorIsolatesBadJobsAndBoundsConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	var mu sync.Mutex
	done := map[string]int{}
	finished := make(chan string, 16)
	proc, err := NewProcessor(ProcessorConfig{
		Workers: 2, QueueCapacity: 8, JobTimeout: 200 * time.Millisecond, Logger: quietLogger(),
		Process: func(ctx context.Context, sku string) error {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			defer func() { finished <- sku }()
			switch sku {
			case "panics":
				panic("bad model")
			case "hangs":
				<-ctx.Done() // honours the timeout
				return ctx.Err()
			case "fails":
				return errors.New("broken")
			}
			time.Sleep(10 * time.Millisecond)
			mu.Lock()
			done[sku]++
			mu.Unlock()
			return nil
		},
		Pending: func(context.Context) ([]string, error) { return []string{"resumed"}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Enqueue("early"); !errors.Is(err, ErrStopped) {
		t.Fatalf("Enqueue before Start: %v", err)
	}
	if err := proc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, sku := range []string{"panics", "hangs", "fails", "a", "b", "c"} {
		if err := proc.Enqueue(sku); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{"resumed": true, "panics": true, "hangs": true, "fails": true, "a": true, "b": true, "c": true}
	deadline := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case sku := <-finished:
			delete(want, sku)
		case <-deadline:
			t.Fatalf("jobs never finished: %v", want)
		}
	}
	if err := proc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if peak.Load() > 2 {
		t.Errorf("%d jobs ran at once with 2 workers", peak.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	for _, sku := range []string{"resumed", "a", "b", "c"} {
		if done[sku] != 1 {
			t.Errorf("%s ran %d times", sku, done[sku])
		}
	}
	if err := proc.Enqueue("late"); !errors.Is(err, ErrStopped) {
		t.Errorf("Enqueue after Stop: %v", err)
	}
}

func TestProcessorQueueBoundAndDedup(t *testing.T) {
	release := make(chan struct{})
	var runs atomic.Int32
	proc, _ := NewProcessor(ProcessorConfig{Workers: 1, QueueCapacity: 2, Logger: quietLogger(),
		Process: func(ctx context.Context, sku string) error {
			runs.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}})
	if err := proc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = proc.Enqueue("busy")
	// Wait until the worker holds "busy".
	for runs.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for _, sku := range []string{"x", "x", "y"} { // x twice: queued once
		if err := proc.Enqueue(sku); err != nil {
			t.Fatalf("%s: %v", sku, err)
		}
	}
	if err := proc.Enqueue("z"); !errors.Is(err, ErrQueueFull) {
		t.Errorf("third waiting job: %v, want ErrQueueFull", err)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for proc.Len() > 0 {
		time.Sleep(time.Millisecond)
	}
	if err := proc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := runs.Load(); got != 3 {
		t.Errorf("%d runs, want 3 (busy, x, y)", got)
	}
}
