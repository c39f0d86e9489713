package signals

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/wire"
)

// With this variable set, the test binary runs killChild instead of the
// tests: TestKill9 starts it as a separate process and SIGKILLs it.
const killChildEnv = "VITRINE_SIGNALS_KILL_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(killChildEnv) == "1" {
		os.Exit(killChild())
	}
	os.Exit(m.Run())
}

const (
	killSession      = "kill-test-session"
	killEventsPerBat = 8
)

func killBatch(k int) []wire.Event {
	ev := make([]wire.Event, killEventsPerBat)
	for j := range ev {
		ev[j] = wire.Event{ID: fmt.Sprintf("b%d-e%d", k, j), Type: wire.EventProductView, SKU: fmt.Sprintf("sku-%d", j), T: int64(k)}
	}
	return ev
}

// killChild appends batches FROM…TO-1 from four goroutines and prints
// "ACK k" once batch k is durable, until it is killed.
func killChild() int {
	from, _ := strconv.Atoi(os.Getenv("KILL_FROM"))
	to, _ := strconv.Atoi(os.Getenv("KILL_TO"))
	store, err := fsstore.New(os.Getenv("KILL_STORE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	l, err := Open(context.Background(), Options{
		Dir: os.Getenv("KILL_DIR"), Store: store, NodeID: "killnode", PseudonymKey: testKey,
		SegmentMaxBytes: 8 << 10, JanitorInterval: 10 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var mu sync.Mutex
	next := from
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= to {
					return
				}
				if _, err := l.Append(context.Background(), Batch{Session: killSession, Consent: wire.ConsentAnalytics, Events: killBatch(k)}); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "ACK %d\n", k)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := l.Close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

func TestKill9LosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir, storeDir := t.TempDir(), t.TempDir()
	rng := rand.New(rand.NewPCG(4, 2026))
	acked := map[int]bool{}
	maxAcked := -1
	const rounds, perRound = 5, 400
	killed := 0
	for round := range rounds + 1 {
		// Each run starts a little before the highest acknowledged batch, so
		// it retries batches that were acknowledged and some that were
		// written but not acknowledged when the previous run died.
		from := max(0, maxAcked-10)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"=1", "KILL_DIR="+dir, "KILL_STORE="+storeDir,
			"KILL_FROM="+strconv.Itoa(from), "KILL_TO="+strconv.Itoa(from+perRound))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan int, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if k, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ACK ")); err == nil {
					lines <- k
				}
			}
			close(lines)
		}()
		final := round == rounds
		if !final {
			delay := time.Duration(30+rng.IntN(250)) * time.Millisecond
			time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
		}
		for k := range lines {
			acked[k] = true
			maxAcked = max(maxAcked, k)
		}
		err = cmd.Wait()
		if final && err != nil {
			t.Fatalf("final run failed: %v\n%s", err, stderr.String())
		}
		if !final {
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				killed++
			} else if err != nil {
				t.Fatalf("round %d: child failed before being killed: %v\n%s", round, err, stderr.String())
			}
		}
	}
	if killed == 0 {
		t.Fatal("no child was killed; the test proved nothing")
	}
	// Everything acknowledged is in the store exactly once: the final run
	// closed cleanly, so every segment was shipped.
	store, err := fsstore.New(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for key, data := range storeObjects(t, store) {
		if !strings.HasPrefix(key, EventsPrefix) {
			continue
		}
		if err := ReadObject(gzipped(data), func(r Record) error { count[r.EventID]++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("event %s is stored %d times", id, n)
		}
	}
	for k := range acked {
		for _, e := range killBatch(k) {
			if count[e.ID] != 1 {
				t.Errorf("acknowledged event %s is stored %d times; want exactly once", e.ID, count[e.ID])
			}
		}
	}
	t.Logf("%d kills, %d batches acknowledged, %d distinct events stored", killed, len(acked), len(count))
}
