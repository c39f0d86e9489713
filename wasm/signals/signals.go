// Package signals is the viewer's one client API for interaction events:
// the viewer calls Emit, and a Queue batches the events into vitrine.v1
// "signal" messages, keeps each event until a "signal.ack" lists its id,
// and retries with back-off after errors and reconnects. The server
// deduplicates by event id, so sending an event again is always safe.
//
// The queue is bounded: when it is full the oldest event is dropped and
// counted. A batch is sent when BatchSize events are waiting, when
// Interval has passed since the oldest waiting event, and whenever Flush
// is called (the viewer flushes when the page is hidden and after events
// that should change recommendations at once).
//
// The package is pure Go and tested natively; the browser glue lives in
// the viewer's js/wasm files.
package signals

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// Defaults of Options.
const (
	DefaultMaxQueue  = 500
	DefaultBatchSize = 25
	DefaultInterval  = 5 * time.Second
)

// SendFunc sends one batch and returns the server's acknowledgement; it is
// typically a vitrine.v1 client call of type wire.TypeSignal.
type SendFunc func(ctx context.Context, batch wire.Signal) (wire.SignalAck, error)

// Options configure a Queue. Zero values take the defaults.
type Options struct {
	// MaxQueue bounds the events held (DefaultMaxQueue).
	MaxQueue int
	// BatchSize is the most events per signal message, and the count that
	// triggers a send (DefaultBatchSize; at most wire.MaxEventsPerBatch).
	BatchSize int
	// Interval is the longest an event waits before a send is attempted
	// (DefaultInterval).
	Interval time.Duration
	// Backoff gives the wait before retry n (0-based) after a failed
	// send; DefaultBackoff when nil.
	Backoff func(attempt int) time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// OnAck, when set, is called from Run's goroutine with the ids of the
	// events a signal.ack confirmed. It must not block.
	OnAck func(ids []string)
	// Logger receives diagnostics; slog.Default() when nil.
	Logger *slog.Logger
}

// DefaultBackoff doubles from 500 ms up to 30 s.
func DefaultBackoff(attempt int) time.Duration {
	const base, ceiling = 500 * time.Millisecond, 30 * time.Second
	if attempt < 0 {
		attempt = 0
	}
	if attempt >= 6 {
		return ceiling
	}
	return min(base<<attempt, ceiling)
}

// Stats are the queue's counters.
type Stats struct {
	Queued   int // events waiting for an acknowledgement
	Emitted  int // events accepted by Emit (and Restore)
	Acked    int // events acknowledged by the server
	Dropped  int // oldest events dropped because the queue was full
	Rejected int // events the server refused as invalid (never retried)
	Failures int // failed sends (each is retried)
}

// Queue batches events and sends them until they are acknowledged. Its
// methods are safe for concurrent use; Run must be running for anything to
// be sent.
type Queue struct {
	send SendFunc
	opts Options
	log  *slog.Logger

	idPrefix string

	mu      sync.Mutex
	pending []wire.Event // oldest first
	oldest  time.Time    // when the oldest pending event was queued
	seq     uint64
	stats   Stats
	flush   bool          // a flush was asked for and not yet served
	wake    chan struct{} // capacity 1: "look at the queue again"
	empty   chan struct{} // closed while nothing is pending
}

// New returns a Queue that sends with send.
func New(send SendFunc, opts Options) *Queue {
	if opts.MaxQueue <= 0 {
		opts.MaxQueue = DefaultMaxQueue
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	opts.BatchSize = min(opts.BatchSize, wire.MaxEventsPerBatch)
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	empty := make(chan struct{})
	close(empty)
	return &Queue{send: send, opts: opts, log: log, idPrefix: newIDPrefix(), wake: make(chan struct{}, 1), empty: empty}
}

// newIDPrefix is 12 random bytes in URL-safe base64: event ids stay unique
// across page loads that resume one session.
func newIDPrefix() string {
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		// crypto/rand does not fail on supported platforms; a clock-based
		// prefix still keeps ids unique in practice.
		return strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Emit queues e and returns its id. An empty ID is filled with a new
// unique id and a zero T with the current time. An event that the server
// would refuse (see wire.ValidateEvent) is not queued and its problem is
// returned.
func (q *Queue) Emit(e wire.Event) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Now()
	if e.ID == "" {
		q.seq++
		e.ID = q.idPrefix + "-" + strconv.FormatUint(q.seq, 36)
	}
	if e.T == 0 {
		e.T = now.UnixMilli()
	}
	if werr := wire.ValidateEvent(e, now); werr != nil {
		return "", fmt.Errorf("signals: %w", werr)
	}
	q.pushLocked(e, now)
	q.stats.Emitted++
	if len(q.pending) >= q.opts.BatchSize {
		q.kickLocked()
	}
	return e.ID, nil
}

// pushLocked appends e, dropping the oldest event when the queue is full.
func (q *Queue) pushLocked(e wire.Event, now time.Time) {
	if len(q.pending) == 0 {
		q.oldest = now
		q.empty = make(chan struct{})
	}
	if len(q.pending) >= q.opts.MaxQueue {
		q.pending[0] = wire.Event{}
		q.pending = q.pending[1:]
		q.stats.Dropped++
	}
	q.pending = append(q.pending, e)
	q.kickLocked() // Run re-arms its interval timer
}

// Flush asks Run to send what is queued now, without waiting.
func (q *Queue) Flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) > 0 {
		q.flush = true
		q.kickLocked()
	}
}

func (q *Queue) kickLocked() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Drain flushes and waits until nothing is pending (every event
// acknowledged, dropped or rejected) or ctx ends.
func (q *Queue) Drain(ctx context.Context) error {
	q.Flush()
	for {
		q.mu.Lock()
		empty := q.empty
		q.mu.Unlock()
		select {
		case <-empty:
			q.mu.Lock()
			done := len(q.pending) == 0
			q.mu.Unlock()
			if done {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("signals: drain: %w", ctx.Err())
		}
	}
}

// Pending returns a copy of the events not yet acknowledged, oldest first;
// the viewer saves them when the page is hidden and passes them to Restore
// on the next page load.
func (q *Queue) Pending() []wire.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.pending)
}

// Restore queues events saved by an earlier page (keeping their ids, so
// the server stores each once) and returns how many it kept: events
// already queued, invalid or too old for the server are skipped.
func (q *Queue) Restore(events []wire.Event) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Now()
	have := make(map[string]bool, len(q.pending))
	for _, e := range q.pending {
		have[e.ID] = true
	}
	kept := 0
	for _, e := range events {
		if have[e.ID] || wire.ValidateEvent(e, now) != nil {
			continue
		}
		have[e.ID] = true
		q.pushLocked(e, now)
		q.stats.Emitted++
		kept++
	}
	if kept > 0 {
		q.flush = true
		q.kickLocked()
	}
	return kept
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Queued = len(q.pending)
	return s
}

// Run sends batches until ctx ends. One batch is in flight at a time; an
// event leaves the queue only when an acknowledgement names it. A failed
// send is retried after Backoff; an acknowledgement resets the back-off.
func (q *Queue) Run(ctx context.Context) error {
	attempt := 0
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		batch, wait := q.next()
		if batch == nil {
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			if wait > 0 {
				timer.Reset(wait)
			}
			var timerC <-chan time.Time
			if wait > 0 {
				timerC = timer.C
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-q.wake:
			case <-timerC:
				q.mu.Lock()
				q.flush = len(q.pending) > 0
				q.mu.Unlock()
			}
			continue
		}
		ack, err := q.send(ctx, wire.Signal{Events: batch})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if q.rejected(batch, err) {
				attempt = 0
				continue
			}
			q.mu.Lock()
			q.stats.Failures++
			q.mu.Unlock()
			wait := q.opts.Backoff(attempt)
			attempt++
			q.log.Warn("signals: send failed; retrying", "events", len(batch), "err", err, "wait", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			q.mu.Lock()
			q.flush = len(q.pending) > 0
			q.mu.Unlock()
			continue
		}
		attempt = 0
		q.acked(ack.IDs)
	}
}

// next returns the batch to send now, or nil and how long until the
// interval makes one due (0: nothing pending, wait for a wake).
func (q *Queue) next() ([]wire.Event, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		q.flush = false
		return nil, 0
	}
	due := q.oldest.Add(q.opts.Interval)
	now := q.opts.Now()
	if !q.flush && len(q.pending) < q.opts.BatchSize && now.Before(due) {
		return nil, due.Sub(now)
	}
	n := min(len(q.pending), q.opts.BatchSize)
	if n >= len(q.pending) {
		q.flush = false
	}
	return slices.Clone(q.pending[:n]), 0
}

// acked removes the acknowledged events.
func (q *Queue) acked(ids []string) {
	done := make(map[string]bool, len(ids))
	for _, id := range ids {
		done[id] = true
	}
	q.mu.Lock()
	removed := q.removeLocked(func(e wire.Event) bool { return done[e.ID] })
	q.stats.Acked += removed
	q.mu.Unlock()
	if removed > 0 && q.opts.OnAck != nil {
		q.opts.OnAck(ids)
	}
}

// removeLocked deletes the pending events drop selects and returns how
// many it deleted.
func (q *Queue) removeLocked(drop func(wire.Event) bool) int {
	before := len(q.pending)
	q.pending = slices.DeleteFunc(q.pending, drop)
	removed := before - len(q.pending)
	if removed > 0 {
		q.oldest = q.opts.Now()
	}
	if len(q.pending) == 0 {
		select {
		case <-q.empty:
		default:
			close(q.empty)
		}
	}
	return removed
}

// detailIndex reads the event index of a wire.ValidateSignal detail line.
var detailIndex = regexp.MustCompile(`^event (\d+):`)

// rejected handles a batch the server refused as invalid: such a batch
// would fail again however often it is sent, so the events it names (all
// of the batch when it names none) are dropped and counted. It reports
// whether err was such a refusal.
func (q *Queue) rejected(batch []wire.Event, err error) bool {
	var werr *wire.Error
	if !errors.As(err, &werr) || (werr.Code != wire.CodeBadRequest && werr.Code != wire.CodeTooLarge && werr.Code != wire.CodeBadJSON) {
		return false
	}
	bad := make(map[string]bool)
	for _, d := range werr.Details {
		if m := detailIndex.FindStringSubmatch(d); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i >= 0 && i < len(batch) {
				bad[batch[i].ID] = true
			}
		}
	}
	if len(bad) == 0 {
		for _, e := range batch {
			bad[e.ID] = true
		}
	}
	q.mu.Lock()
	n := q.removeLocked(func(e wire.Event) bool { return bad[e.ID] })
	q.stats.Rejected += n
	q.flush = len(q.pending) > 0 // the rest of the batch goes at once
	q.mu.Unlock()
	q.log.Warn("signals: the server refused events; dropped them", "events", n, "err", err)
	return true
}
