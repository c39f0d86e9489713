package signals

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// maxGroupEvents bounds the events one group commit gathers, so one frame
// buffer stays small and early callers are not held back for long.
const maxGroupEvents = 20000

// dedupFile is the idempotency checkpoint, rewritten at every roll.
const dedupFile = "dedup.ckpt"

// writerState is owned by the writer goroutine (and by Open before it
// starts).
type writerState struct {
	file    *os.File
	seg     segment
	size    int64
	records int
	dedup   *dedup
	buf     []byte
	lastNS  int64
}

// dedup is a bounded set of event tokens: a FIFO ring evicts the oldest
// once it holds max entries.
type dedup struct {
	set  map[uint64]struct{}
	ring []uint64
	next int
	full bool
}

func newDedup(max int) *dedup {
	return &dedup{set: make(map[uint64]struct{}, min(max, 1<<16)), ring: make([]uint64, max)}
}

func (d *dedup) has(t uint64) bool { _, ok := d.set[t]; return ok }

func (d *dedup) len() int { return len(d.set) }

func (d *dedup) add(t uint64) {
	if d.has(t) {
		return
	}
	if d.full {
		delete(d.set, d.ring[d.next])
	}
	d.ring[d.next] = t
	d.set[t] = struct{}{}
	d.next++
	if d.next == len(d.ring) {
		d.next, d.full = 0, true
	}
}

// tokens returns the remembered tokens, oldest first.
func (d *dedup) tokens() []uint64 {
	if !d.full {
		return d.ring[:d.next]
	}
	out := make([]uint64, 0, len(d.ring))
	out = append(out, d.ring[d.next:]...)
	return append(out, d.ring[:d.next]...)
}

// save writes the checkpoint: count, tokens oldest first, CRC-32C.
func (d *dedup) save(path string) error {
	toks := d.tokens()
	buf := make([]byte, 0, 8+8*len(toks)+4)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(toks)))
	for _, t := range toks {
		buf = binary.LittleEndian.AppendUint64(buf, t)
	}
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
	return writeFileAtomic(path, buf, 0o600)
}

// load adds a checkpoint's tokens; a missing file is no error.
func (d *dedup) load(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("signals: reading %s: %w", path, err)
	}
	if len(data) < 12 {
		return fmt.Errorf("signals: %s is %d bytes, too short", path, len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return fmt.Errorf("signals: %s fails its checksum", path)
	}
	n := binary.LittleEndian.Uint64(body)
	if uint64(len(body)-8) != 8*n {
		return fmt.Errorf("signals: %s claims %d tokens in %d bytes", path, n, len(body)-8)
	}
	for i := range int(n) {
		d.add(binary.LittleEndian.Uint64(body[8+8*i:]))
	}
	return nil
}

// openActive creates a new active segment named after the current time
// (strictly after the previous one) and syncs the directory so the file
// survives a crash.
func (l *Log) openActive() error {
	ns := l.opt.Now().UnixNano()
	if ns <= l.w.lastNS {
		ns = l.w.lastNS + 1
	}
	l.mu.Lock()
	for _, s := range l.closedSegs {
		if t := s.created.UnixNano(); t >= ns {
			ns = t + 1
		}
	}
	l.mu.Unlock()
	l.w.lastNS = ns
	name := fmt.Sprintf("%019d", ns)
	path := filepath.Join(l.opt.Dir, name+segmentExt)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("signals: creating segment %s: %w", path, err)
	}
	if err := syncDir(l.opt.Dir); err != nil {
		f.Close()
		return err
	}
	l.w.file = f
	l.w.seg = segment{path: path, name: name, created: time.Unix(0, ns).UTC()}
	l.w.size, l.w.records = 0, 0
	l.mu.Lock()
	l.activeBytes = 0
	l.activePath = path
	l.activeCreated = l.w.seg.created
	l.mu.Unlock()
	return nil
}

// rollActive closes the active segment and queues it for shipping; an
// empty one is simply removed. It waits while MaxClosedSegments segments
// are already waiting (back-pressure), unless the log is closing. With
// reopen it starts a new active segment.
func (l *Log) rollActive(reopen bool) error {
	if l.w.file == nil {
		if reopen {
			return l.openActive()
		}
		return nil
	}
	if l.w.records == 0 {
		l.w.file.Close()
		l.w.file = nil
		l.mu.Lock()
		l.activePath = ""
		l.mu.Unlock()
		if err := removeAndSyncDir(l.w.seg.path); err != nil {
			return err
		}
		if reopen {
			return l.openActive()
		}
		return nil
	}
	if reopen {
		l.waitForShipping()
	}
	if err := l.w.file.Close(); err != nil {
		return fmt.Errorf("signals: closing segment %s: %w", l.w.seg.path, err)
	}
	l.w.file = nil
	// Checkpoint the idempotency window before the segment can be shipped
	// and deleted: its tokens must outlive it.
	if err := l.w.dedup.save(filepath.Join(l.opt.Dir, dedupFile)); err != nil {
		return err
	}
	l.mu.Lock()
	l.closedSegs = append(l.closedSegs, l.w.seg)
	l.activePath, l.activeBytes = "", 0
	l.mu.Unlock()
	l.wake()
	if reopen {
		return l.openActive()
	}
	return nil
}

// waitForShipping blocks while the shipping backlog is full.
func (l *Log) waitForShipping() {
	for {
		l.mu.Lock()
		n := len(l.closedSegs)
		l.mu.Unlock()
		if n < l.opt.MaxClosedSegments {
			return
		}
		l.wake()
		select {
		case <-l.shipped:
		case <-l.quit:
			return
		}
	}
}

// writer is the only goroutine that writes the WAL. It gathers queued
// batches into one group, writes them as frames, fsyncs once and then
// answers every caller of the group.
func (l *Log) writer() {
	defer l.wg.Done()
	defer close(l.writerExit)
	tick := time.NewTicker(min(l.opt.SegmentMaxAge/4+time.Millisecond, time.Second))
	defer tick.Stop()
	group := make([]*appendReq, 0, 64)
	for {
		select {
		case r := <-l.reqs:
			group = append(group[:0], r)
			events := len(r.records)
		drain:
			for events < maxGroupEvents {
				select {
				case r := <-l.reqs:
					group = append(group, r)
					events += len(r.records)
				default:
					break drain
				}
			}
			l.commit(group)
		case reply := <-l.rolls:
			reply <- l.rollActive(true)
		case <-tick.C:
			wanted := l.rollWanted.Swap(false)
			if l.w.records > 0 && (wanted || l.opt.Now().Sub(l.w.seg.created) >= l.opt.SegmentMaxAge) {
				if err := l.rollActive(true); err != nil {
					l.fail(err)
				}
			}
		case <-l.quit:
			// Drain what was queued before Close, then close the segment.
			for {
				select {
				case r := <-l.reqs:
					l.commit([]*appendReq{r})
					continue
				default:
				}
				break
			}
			if err := l.rollActive(false); err != nil {
				l.fail(err)
			}
			return
		}
	}
}

func (l *Log) fail(err error) {
	l.log.Error("signal log failed; appends are refused until it is reopened", "err", err)
	l.mu.Lock()
	if l.failed == nil {
		l.failed = err
	}
	l.mu.Unlock()
}

func (l *Log) failure() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// commit stores one group durably and answers its callers.
func (l *Log) commit(group []*appendReq) {
	answer := func(err error) {
		for _, r := range group {
			r.done <- appendDone{err: err}
		}
	}
	if err := l.failure(); err != nil {
		answer(fmt.Errorf("signals: append: %w", err))
		return
	}
	now := l.opt.Now()
	// An empty segment is replaced too, so that a segment's name (its
	// partition hour and age) is never older than its first record.
	if l.w.file == nil || l.w.size >= l.opt.SegmentMaxBytes ||
		hourOf(now) != hourOf(l.w.seg.created) || now.Sub(l.w.seg.created) >= l.opt.SegmentMaxAge {
		if err := l.rollActive(true); err != nil {
			l.fail(err)
			answer(fmt.Errorf("signals: append: %w", err))
			return
		}
	}
	receivedMS := now.UnixMilli()
	inGroup := make(map[uint64]struct{})
	fresh := make([][]bool, len(group))
	var newTokens []uint64
	buf := l.w.buf[:0]
	stored, dups := 0, 0
	for gi, r := range group {
		fresh[gi] = make([]bool, len(r.records))
		var b walBatch
		for i, t := range r.tokens {
			if _, seen := inGroup[t]; seen || l.w.dedup.has(t) {
				dups++
				continue
			}
			inGroup[t] = struct{}{}
			rec := r.records[i]
			if rec.Consent != wire.ConsentNone {
				rec.ReceivedMS = receivedMS
			}
			b.Tokens = append(b.Tokens, t)
			b.Records = append(b.Records, rec)
			fresh[gi][i] = true
		}
		if len(b.Records) == 0 {
			continue
		}
		payload, err := marshalBatch(b)
		if err != nil {
			answer(err)
			return
		}
		buf = appendFrame(buf, payload)
		newTokens = append(newTokens, b.Tokens...)
		stored += len(b.Records)
	}
	l.w.buf = buf
	if len(buf) > 0 {
		if _, err := l.w.file.Write(buf); err != nil {
			// A partial frame may be on disk; cut it off so later frames
			// are not hidden behind it, or give up if even that fails.
			if terr := l.w.file.Truncate(l.w.size); terr != nil {
				l.fail(fmt.Errorf("signals: writing %s: %w; truncating back failed: %v", l.w.seg.path, err, terr))
			}
			answer(fmt.Errorf("signals: append: writing %s: %w", l.w.seg.path, err))
			return
		}
		if err := l.opt.syncFile(l.w.file); err != nil {
			// After a failed fsync the page cache's state is unknown.
			err = fmt.Errorf("signals: syncing %s: %w", l.w.seg.path, err)
			l.fail(err)
			answer(fmt.Errorf("signals: append: %w", err))
			return
		}
		l.w.size += int64(len(buf))
		l.w.records += stored
		l.commits.Add(1)
	}
	for _, t := range newTokens {
		l.w.dedup.add(t)
	}
	l.dedupSize.Store(int64(l.w.dedup.len()))
	l.stored.Add(int64(stored))
	l.dups.Add(int64(dups))
	l.mu.Lock()
	l.activeBytes = l.w.size
	for gi, r := range group {
		for i, ok := range fresh[gi] {
			if !ok {
				continue
			}
			rec := r.records[i]
			l.counters.ByType[rec.Type]++
			sku := rec.SKU
			if _, known := l.counters.BySKU[sku]; !known && len(l.counters.BySKU) >= maxCounterSKUs {
				sku = OtherSKU
			}
			l.counters.BySKU[sku]++
		}
	}
	l.mu.Unlock()
	for gi, r := range group {
		r.done <- appendDone{fresh: fresh[gi]}
	}
	if len(buf) > 4<<20 {
		l.w.buf = nil // do not keep an unusually large buffer
	}
}

// hourOf returns t's UTC hour as an integer.
func hourOf(t time.Time) int64 { return t.UTC().Unix() / 3600 }

// segmentHour returns the name's partition hour.
func segmentHour(name string) (time.Time, error) {
	ns, err := strconv.ParseInt(name, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("signals: segment name %q: %w", name, err)
	}
	return time.Unix(0, ns).UTC().Truncate(time.Hour), nil
}
