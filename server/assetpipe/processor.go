package assetpipe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Errors Enqueue returns.
var (
	ErrQueueFull = errors.New("assetpipe: processing queue is full")
	ErrStopped   = errors.New("assetpipe: processor is not running")
)

// ProcessorConfig configures a Processor.
type ProcessorConfig struct {
	// Workers is how many jobs run at once (0 means 1).
	Workers int
	// QueueCapacity bounds the jobs waiting (0 means 256).
	QueueCapacity int
	// JobTimeout bounds each job (0 means 5 minutes).
	JobTimeout time.Duration
	// Process does one job; it must honour ctx. ModelProcessor.Process is
	// the upload path's.
	Process func(ctx context.Context, sku string) error
	// Pending lists the work left by an earlier run (products still in
	// processing); Start queues it. Nil means none.
	Pending func(ctx context.Context) ([]string, error)
	Logger  *slog.Logger
}

// Processor runs jobs (one per SKU) on a bounded pool of workers fed by a
// bounded queue. A SKU is queued at most once at a time; enqueued again
// while it runs, it runs once more afterwards. A job that fails, panics or
// times out is logged and never holds up the others. The queue itself is
// not persistent: the catalog is (products stay in processing with their
// pending model until a job settles them), and Start re-queues what
// Pending reports.
type Processor struct {
	cfg   ProcessorConfig
	queue chan string

	mu      sync.Mutex
	queued  map[string]bool // waiting in queue
	running map[string]bool
	again   map[string]bool // enqueued while running
	stopped bool
	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewProcessor returns a Processor; call Start to run it.
func NewProcessor(cfg ProcessorConfig) (*Processor, error) {
	if cfg.Process == nil {
		return nil, errors.New("assetpipe: processor needs a Process function")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.QueueCapacity <= 0 {
		cfg.QueueCapacity = 256
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Processor{cfg: cfg, queue: make(chan string, cfg.QueueCapacity),
		queued: map[string]bool{}, running: map[string]bool{}, again: map[string]bool{}}, nil
}

// Start launches the workers and queues the pending work of an earlier
// run. The workers stop when ctx ends or Stop is called.
func (p *Processor) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return errors.New("assetpipe: processor already started")
	}
	p.started = true
	ctx, p.cancel = context.WithCancel(ctx)
	p.mu.Unlock()
	for range p.cfg.Workers {
		p.wg.Add(1)
		go p.work(ctx)
	}
	if p.cfg.Pending == nil {
		return nil
	}
	skus, err := p.cfg.Pending(ctx)
	if err != nil {
		return fmt.Errorf("assetpipe: list pending work: %w", err)
	}
	for _, sku := range skus {
		if err := p.Enqueue(sku); err != nil {
			p.cfg.Logger.Warn("assetpipe: pending work not queued; it stays pending for the next start", "sku", sku, "err", err)
		}
	}
	if len(skus) > 0 {
		p.cfg.Logger.Info("assetpipe: resumed pending work", "jobs", len(skus))
	}
	return nil
}

// Enqueue queues sku without blocking. It fails with ErrQueueFull when
// QueueCapacity jobs wait, and ErrStopped before Start or after Stop.
func (p *Processor) Enqueue(sku string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started || p.stopped {
		return ErrStopped
	}
	if p.queued[sku] {
		return nil
	}
	if p.running[sku] {
		p.again[sku] = true
		return nil
	}
	select {
	case p.queue <- sku:
		p.queued[sku] = true
		return nil
	default:
		return ErrQueueFull
	}
}

// Len returns how many jobs wait.
func (p *Processor) Len() int { return len(p.queue) }

// Stop stops accepting work, lets running jobs finish until ctx ends (then
// cancels them) and waits for the workers. Queued jobs not started stay
// pending in the catalog for the next Start.
func (p *Processor) Stop(ctx context.Context) error {
	p.mu.Lock()
	if !p.started || p.stopped {
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	cancel := p.cancel
	p.mu.Unlock()
	// Idle workers notice stopped within one tick; busy ones after
	// their job.
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		cancel()
		return nil
	case <-ctx.Done():
		cancel()
		<-done
		return ctx.Err()
	}
}

func (p *Processor) isStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

func (p *Processor) work(ctx context.Context) {
	defer p.wg.Done()
	idle := time.NewTicker(100 * time.Millisecond)
	defer idle.Stop()
	for {
		if p.isStopped() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-idle.C:
			continue
		case sku := <-p.queue:
			p.mu.Lock()
			delete(p.queued, sku)
			p.running[sku] = true
			p.mu.Unlock()
			p.run(ctx, sku)
			p.mu.Lock()
			delete(p.running, sku)
			rerun := p.again[sku] && !p.stopped
			delete(p.again, sku)
			p.mu.Unlock()
			if rerun {
				if err := p.Enqueue(sku); err != nil {
					p.cfg.Logger.Warn("assetpipe: could not re-queue job", "sku", sku, "err", err)
				}
			}
		}
	}
}

// run does one job with its timeout, turning a panic into a logged error.
func (p *Processor) run(ctx context.Context, sku string) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.JobTimeout)
	defer cancel()
	start := time.Now()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("assetpipe: job %s panicked: %v\n%s", sku, r, debug.Stack())
			}
		}()
		return p.cfg.Process(ctx, sku)
	}()
	if err != nil {
		p.cfg.Logger.Error("assetpipe: job failed", "sku", sku, "elapsed", time.Since(start), "err", err)
		return
	}
	p.cfg.Logger.Debug("assetpipe: job done", "sku", sku, "elapsed", time.Since(start))
}
