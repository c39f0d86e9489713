// Package signals is Vitrine's durable, consent-aware log of shopper
// interaction events.
//
// Append returns only once a batch is durable: a single writer goroutine
// owns the write-ahead log, collects the batches of concurrent callers,
// writes them as CRC-32C framed records, fsyncs once and then acknowledges
// them all (group commit). Each event is stored at most once per
// (session, client event id), also across restarts, within a bounded
// window (Options.DedupEntries). Segments roll by size, age and at every
// hour boundary; a janitor goroutine ships closed segments as gzip JSON
// Lines to a blob.Store under Hive-style partitions
//
//	signals/dt=YYYY-MM-DD/hour=HH/<node>-<segment>.jsonl.gz
//
// and removes the local file only after the store confirmed the upload.
// When the disk or the store is slow, Append blocks (honouring its
// context) instead of buffering without bound.
//
// Consent decides what is stored: at personalisation the session's
// pseudonym and the merchant user id's pseudonym; at analytics the
// session's pseudonym only; at none no identifier at all, only what the
// aggregate counters (per type, per product and hour) need. IP addresses
// and photos are never given to this package.
//
// Export returns everything stored about a session (and the sessions it was
// rotated from, see Link) or a user; Erase hides it from Export at once and
// rewrites every stored object that holds it within Options.EraseDelay.
// Retention drops partitions older than Options.Retention the same way.
package signals

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/wire"
)

// ErrClosed is returned by calls on a closed Log.
var ErrClosed = errors.New("signals: log is closed")

// Options configures a Log. Zero values take the documented defaults.
type Options struct {
	// Dir holds the WAL segments and small state files. Required; one
	// directory belongs to one process.
	Dir string
	// Store receives shipped segments. Required.
	Store blob.Store
	// NodeID names this server in shipped object keys so that replicas
	// sharing a store never collide. Default: a random id kept in Dir.
	NodeID string
	// PseudonymKey keys the session and user pseudonyms. Replicas sharing a
	// store must share it. Default: a random key kept in Dir.
	PseudonymKey []byte
	// SegmentMaxBytes rolls the active segment once it is this large
	// (default 16 MiB).
	SegmentMaxBytes int64
	// SegmentMaxAge rolls the active segment once it is this old (default
	// 5 minutes), so events reach the store within about this delay.
	SegmentMaxAge time.Duration
	// QueueBatches bounds the batches waiting for the writer (default
	// 1024). With MaxClosedSegments it bounds memory and disk when the disk
	// or the store is slow: Append blocks instead.
	QueueBatches int
	// MaxClosedSegments bounds the closed segments waiting to be shipped
	// (default 64); the writer stops rolling, and so accepting, beyond it.
	MaxClosedSegments int
	// DedupEntries bounds the (session, event id) tokens remembered for
	// idempotency (default 1<<20, roughly 25–40 MB). A retry is recognised as
	// long as fewer than this many events were stored since the original.
	DedupEntries int
	// EraseDelay bounds the time from Erase until no stored object holds
	// the erased events (default 1 hour).
	EraseDelay time.Duration
	// Retention is how long shipped events are kept (default 90 days).
	Retention time.Duration
	// JanitorInterval is how often the janitor retries shipping, erasure
	// and retention work when not woken earlier (default 10 s).
	JanitorInterval time.Duration
	// Logger receives operational logs (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now), replaceable in tests.
	Now func() time.Time

	// syncFile replaces (*os.File).Sync in tests.
	syncFile func(*os.File) error
}

func (o *Options) fill() error {
	if o.Dir == "" {
		return errors.New("signals: Options.Dir is empty")
	}
	if o.Store == nil {
		return errors.New("signals: Options.Store is nil")
	}
	if o.SegmentMaxBytes <= 0 {
		o.SegmentMaxBytes = 16 << 20
	}
	if o.SegmentMaxAge <= 0 {
		o.SegmentMaxAge = 5 * time.Minute
	}
	if o.QueueBatches <= 0 {
		o.QueueBatches = 1024
	}
	if o.MaxClosedSegments <= 0 {
		o.MaxClosedSegments = 64
	}
	if o.DedupEntries <= 0 {
		o.DedupEntries = 1 << 20
	}
	if o.EraseDelay <= 0 {
		o.EraseDelay = time.Hour
	}
	if o.Retention <= 0 {
		o.Retention = 90 * 24 * time.Hour
	}
	if o.JanitorInterval <= 0 {
		o.JanitorInterval = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.syncFile == nil {
		o.syncFile = (*os.File).Sync
	}
	return nil
}

// Batch is what a session appends: its events, the secret session id, the
// merchant user id (kept only at personalisation) and the consent in force.
type Batch struct {
	Session string
	UserID  string
	Consent string
	Events  []wire.Event
}

// AppendResult is the outcome of a durable Append.
type AppendResult struct {
	// IDs are the batch's event ids, all durable now (for signal.ack).
	IDs []string
	// New are the events stored by this call, without those an earlier
	// attempt already stored; feed them to the recommenders.
	New []wire.Event
}

// Stats is a snapshot of the log's queues and counters, for metrics.
type Stats struct {
	QueuedBatches     int
	ClosedSegments    int
	ActiveBytes       int64
	StoredEvents      int64
	DuplicateEvents   int64
	Commits           int64
	ShippedSegments   int64
	ShipErrors        int64
	PendingErasures   int
	DedupEntries      int
	RetentionDeletes  int64
	RewrittenSegments int64
}

// Counters are the aggregate counts of stored events per type and per
// product since the log was opened, at every consent level. SKUs beyond
// maxCounterSKUs distinct ones are counted under OtherSKU.
type Counters struct {
	ByType map[string]int64
	BySKU  map[string]int64
}

// OtherSKU collects the counts of SKUs beyond the counters' bound.
const OtherSKU = "_other"

const maxCounterSKUs = 100000

// Log is the durable event log. It is safe for concurrent use.
type Log struct {
	opt    Options
	pseudo *Pseudonymiser
	log    *slog.Logger

	reqs    chan *appendReq
	rolls   chan chan error
	quit    chan struct{}
	wg      sync.WaitGroup
	closing sync.Once
	closed  atomic.Bool
	kick    chan struct{}
	shipped chan struct{}
	// writerExit is closed when the writer goroutine returns.
	writerExit chan struct{}

	// closeCtx bounds the final shipping attempt in Close.
	closeCtx atomic.Pointer[context.Context]

	mu          sync.Mutex
	closedSegs  []segment // oldest first
	erasures    []erasure
	counters    Counters
	failed      error
	activeBytes int64
	// activePath and activeCreated describe the active segment for
	// readers; activePath is empty while none is open.
	activePath    string
	activeCreated time.Time
	// rollWanted asks the writer to roll the active segment soon (an
	// erasure needs it shipped).
	rollWanted atomic.Bool

	stored, dups, commits, shippedN, shipErrs, retentionDel, rewritten atomic.Int64
	dedupSize                                                          atomic.Int64

	// Owned by the writer goroutine.
	w writerState
}

// segment is a WAL file.
type segment struct {
	path    string
	name    string    // file name without extension: 19-digit unix nanoseconds
	created time.Time // from the name
}

type appendReq struct {
	records []Record
	tokens  []uint64
	ids     []string
	events  []wire.Event
	done    chan appendDone
}

type appendDone struct {
	fresh []bool
	err   error
}

const segmentExt = ".wal"

// Open opens (creating if needed) the log in opt.Dir: it recovers every
// segment a previous process left (truncating torn tails), rebuilds the
// idempotency window from the checkpoint and those segments, queues them
// for shipping and starts the writer and the janitor.
func Open(ctx context.Context, opt Options) (*Log, error) {
	if err := opt.fill(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("signals: creating %s: %w", opt.Dir, err)
	}
	if opt.NodeID == "" {
		id, err := loadOrCreateSecret(filepath.Join(opt.Dir, "node-id"), 6)
		if err != nil {
			return nil, err
		}
		opt.NodeID = hex.EncodeToString(id)
	}
	if strings.ContainsAny(opt.NodeID, "/.\\ ") || len(opt.NodeID) > 64 {
		return nil, fmt.Errorf("signals: node id %q must be at most 64 bytes without '/', '.', '\\' or spaces", opt.NodeID)
	}
	if len(opt.PseudonymKey) == 0 {
		key, err := loadOrCreateSecret(filepath.Join(opt.Dir, "pseudonym.key"), 32)
		if err != nil {
			return nil, err
		}
		opt.PseudonymKey = key
	}
	l := &Log{
		opt:        opt,
		pseudo:     NewPseudonymiser(opt.PseudonymKey),
		log:        opt.Logger.With("component", "signals"),
		reqs:       make(chan *appendReq, opt.QueueBatches),
		rolls:      make(chan chan error),
		quit:       make(chan struct{}),
		kick:       make(chan struct{}, 1),
		shipped:    make(chan struct{}, 1),
		writerExit: make(chan struct{}),
		counters:   Counters{ByType: map[string]int64{}, BySKU: map[string]int64{}},
	}
	l.w.dedup = newDedup(opt.DedupEntries)
	if err := l.w.dedup.load(filepath.Join(opt.Dir, dedupFile)); err != nil {
		l.log.Warn("ignoring unreadable idempotency checkpoint", "err", err)
	}
	segs, err := l.listSegments()
	if err != nil {
		return nil, err
	}
	for _, s := range segs {
		n := 0
		valid, dropped, err := recoverSegment(s.path, func(b walBatch) error {
			for _, t := range b.Tokens {
				l.w.dedup.add(t)
			}
			n += len(b.Records)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if dropped > 0 {
			l.log.Warn("truncated torn WAL tail", "segment", s.name, "kept_bytes", valid, "dropped_bytes", dropped)
		}
		if valid == 0 {
			if err := removeAndSyncDir(s.path); err != nil {
				return nil, err
			}
			continue
		}
		l.closedSegs = append(l.closedSegs, s)
	}
	l.dedupSize.Store(int64(l.w.dedup.len()))
	if err := l.loadErasures(); err != nil {
		return nil, err
	}
	if len(l.closedSegs) > 0 {
		// Their tokens are in memory now; checkpoint before any is shipped
		// and deleted, so a crash after that still remembers them.
		if err := l.w.dedup.save(filepath.Join(opt.Dir, dedupFile)); err != nil {
			return nil, err
		}
	}
	if err := l.openActive(); err != nil {
		return nil, err
	}
	l.wg.Add(2)
	go l.writer()
	go l.janitor()
	l.wake()
	return l, nil
}

// Pseudonyms returns the log's pseudonymiser, for callers that need to
// show a shopper the pseudonym their events are stored under.
func (l *Log) Pseudonyms() *Pseudonymiser { return l.pseudo }

// Append makes the batch durable and returns once it is. Events already
// stored for the session (a retry) are acknowledged again but not stored
// twice. It blocks while the writer's queue is full, returning ctx's error
// if ctx ends first; a batch that was queued may still be stored, which a
// retry then acknowledges. The caller validates the batch with
// wire.ValidateSignal first; Append checks only what its own safety needs.
func (l *Log) Append(ctx context.Context, b Batch) (AppendResult, error) {
	if l.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	if !wire.ValidConsent(b.Consent) {
		return AppendResult{}, fmt.Errorf("signals: append: unknown consent %q", b.Consent)
	}
	if b.Session == "" {
		return AppendResult{}, errors.New("signals: append: no session")
	}
	if len(b.Events) == 0 {
		return AppendResult{IDs: []string{}}, nil
	}
	if len(b.Events) > wire.MaxEventsPerBatch {
		return AppendResult{}, fmt.Errorf("signals: append: %d events, over the limit of %d", len(b.Events), wire.MaxEventsPerBatch)
	}
	now := l.opt.Now()
	sessionP := l.pseudo.Session(b.Session)
	userP := ""
	if b.UserID != "" && b.Consent == wire.ConsentPersonalisation {
		userP = l.pseudo.User(b.UserID)
	}
	req := &appendReq{
		records: make([]Record, len(b.Events)),
		tokens:  make([]uint64, len(b.Events)),
		ids:     make([]string, len(b.Events)),
		events:  b.Events,
		done:    make(chan appendDone, 1),
	}
	for i, e := range b.Events {
		req.records[i] = newRecord(e, b.Consent, sessionP, userP, now)
		req.tokens[i] = token(sessionP, e.ID)
		req.ids[i] = e.ID
	}
	select {
	case l.reqs <- req:
	case <-ctx.Done():
		return AppendResult{}, fmt.Errorf("signals: append: waiting for queue space: %w", ctx.Err())
	case <-l.quit:
		return AppendResult{}, ErrClosed
	}
	select {
	case d := <-req.done:
		if d.err != nil {
			return AppendResult{}, d.err
		}
		res := AppendResult{IDs: req.ids}
		for i, fresh := range d.fresh {
			if fresh {
				res.New = append(res.New, b.Events[i])
			}
		}
		return res, nil
	case <-ctx.Done():
		return AppendResult{}, fmt.Errorf("signals: append: waiting for durability: %w", ctx.Err())
	}
}

// Stats returns a snapshot of the queues and counters.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{
		QueuedBatches:     len(l.reqs),
		ClosedSegments:    len(l.closedSegs),
		ActiveBytes:       l.activeBytes,
		StoredEvents:      l.stored.Load(),
		DuplicateEvents:   l.dups.Load(),
		Commits:           l.commits.Load(),
		ShippedSegments:   l.shippedN.Load(),
		ShipErrors:        l.shipErrs.Load(),
		PendingErasures:   len(l.erasures),
		DedupEntries:      int(l.dedupSize.Load()),
		RetentionDeletes:  l.retentionDel.Load(),
		RewrittenSegments: l.rewritten.Load(),
	}
}

// Counters returns a copy of the aggregate counters.
func (l *Log) Counters() Counters {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := Counters{ByType: make(map[string]int64, len(l.counters.ByType)), BySKU: make(map[string]int64, len(l.counters.BySKU))}
	for k, v := range l.counters.ByType {
		c.ByType[k] = v
	}
	for k, v := range l.counters.BySKU {
		c.BySKU[k] = v
	}
	return c
}

// Roll closes the active segment (if it holds anything) so that the
// janitor ships it, and returns once it is closed.
func (l *Log) Roll(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case l.rolls <- reply:
	case <-ctx.Done():
		return fmt.Errorf("signals: roll: %w", ctx.Err())
	case <-l.quit:
		return ErrClosed
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("signals: roll: %w", ctx.Err())
	}
}

// Close stops accepting appends, writes and syncs what is queued, closes
// the active segment and tries to ship every closed segment until ctx ends.
// Segments it could not ship stay in Dir and are shipped by the next Open.
func (l *Log) Close(ctx context.Context) error {
	l.closing.Do(func() {
		l.closed.Store(true)
		l.closeCtx.Store(&ctx)
		close(l.quit)
	})
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("signals: close: %w", ctx.Err())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.closedSegs); n > 0 {
		return fmt.Errorf("signals: close: %d segments are not shipped yet; they stay in %s", n, l.opt.Dir)
	}
	return l.failed
}

// wake asks the janitor for a pass.
func (l *Log) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

func (l *Log) listSegments() ([]segment, error) {
	entries, err := os.ReadDir(l.opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("signals: listing %s: %w", l.opt.Dir, err)
	}
	var segs []segment
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segmentExt)
		if !ok || e.IsDir() {
			continue
		}
		ns, err := strconv.ParseInt(name, 10, 64)
		if err != nil || len(name) != 19 {
			l.log.Warn("ignoring unexpected file in the WAL directory", "file", e.Name())
			continue
		}
		segs = append(segs, segment{path: filepath.Join(l.opt.Dir, e.Name()), name: name, created: time.Unix(0, ns).UTC()})
	}
	slices.SortFunc(segs, func(a, b segment) int { return strings.Compare(a.name, b.name) })
	return segs, nil
}

// loadOrCreateSecret returns the random bytes kept in path, creating them
// on first use.
func loadOrCreateSecret(path string, n int) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		b, derr := hex.DecodeString(strings.TrimSpace(string(data)))
		if derr != nil || len(b) != n {
			return nil, fmt.Errorf("signals: %s is not %d hex-encoded bytes", path, n)
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("signals: reading %s: %w", path, err)
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("signals: generating %s: %w", path, err)
	}
	if err := writeFileAtomic(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// writeFileAtomic writes data to path through a synced temporary file and a
// rename, then syncs the directory.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("signals: creating %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("signals: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("signals: syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("signals: closing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("signals: renaming %s: %w", tmp, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("signals: opening directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("signals: syncing directory %s: %w", dir, err)
	}
	return nil
}

func removeAndSyncDir(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("signals: removing %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// marshalBatch encodes a frame payload.
func marshalBatch(b walBatch) ([]byte, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("signals: encoding WAL batch: %w", err)
	}
	return data, nil
}
