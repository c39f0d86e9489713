package signals

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/wire"
)

// Key prefixes in the blob store.
const (
	// EventsPrefix holds the shipped events, one gzip JSON Lines object per
	// segment: EventsPrefix + "dt=YYYY-MM-DD/hour=HH/<node>-<segment>[.rN].jsonl.gz".
	EventsPrefix = "signals/"
	// AggregatePrefix holds the counts of events stored at consent none,
	// per segment, in the same partitions: lines {"type","sku","count"}.
	AggregatePrefix = "signals-aggregate/"
	// LinksPrefix holds session rotation links (see Link), one object per
	// session pseudonym.
	LinksPrefix = "signals-links/"
)

// objectExt ends every shipped object's key.
const objectExt = ".jsonl.gz"

// maxObjectBytes bounds how much of a stored object is decompressed.
const maxObjectBytes = 1 << 30

// maxLineBytes bounds one JSON line of a shipped object.
const maxLineBytes = 64 << 10

// janitor ships closed segments, completes erasures and enforces retention.
// It is the only goroutine that writes the store.
func (l *Log) janitor() {
	defer l.wg.Done()
	tick := time.NewTicker(l.opt.JanitorInterval)
	defer tick.Stop()
	var lastRetention time.Time
	backoff := time.Duration(0)
	for {
		select {
		case <-l.kick:
		case <-tick.C:
		case <-l.quit:
			// The writer drains and closes its segment on quit; wait for it,
			// then ship.
			<-l.writerExit
			ctx := *l.closeCtx.Load()
			for ctx.Err() == nil {
				if err := l.shipAll(ctx); err == nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
			if ctx.Err() == nil {
				l.processErasures(ctx)
			}
			return
		}
		if backoff > 0 {
			select {
			case <-time.After(backoff):
			case <-l.quit:
				continue
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(l.opt.JanitorInterval*6, time.Minute))
		err := l.shipAll(ctx)
		if err == nil {
			err = l.processErasures(ctx)
		}
		if err == nil && l.opt.Now().Sub(lastRetention) >= min(time.Hour, l.opt.Retention/24) {
			if err = l.enforceRetention(ctx); err == nil {
				lastRetention = l.opt.Now()
			}
		}
		cancel()
		if err != nil {
			l.shipErrs.Add(1)
			l.log.Warn("signal janitor pass failed; will retry", "err", err)
			backoff = min(max(backoff*2, 100*time.Millisecond), 10*time.Second)
		} else {
			backoff = 0
		}
	}
}

// shipAll ships every closed segment, oldest first.
func (l *Log) shipAll(ctx context.Context) error {
	for {
		l.mu.Lock()
		if len(l.closedSegs) == 0 {
			l.mu.Unlock()
			return nil
		}
		seg := l.closedSegs[0]
		filter := l.erasureFilter()
		l.mu.Unlock()
		if err := l.shipSegment(ctx, seg, filter); err != nil {
			return err
		}
		if err := removeAndSyncDir(seg.path); err != nil {
			return err
		}
		l.mu.Lock()
		l.closedSegs = slices.DeleteFunc(l.closedSegs, func(s segment) bool { return s.path == seg.path })
		l.mu.Unlock()
		l.shippedN.Add(1)
		select {
		case l.shipped <- struct{}{}:
		default:
		}
	}
}

// objectBase is the shipped name of a segment, without revision and
// extension.
func (l *Log) objectBase(seg segment) string { return l.opt.NodeID + "-" + seg.name }

// partition returns "dt=YYYY-MM-DD/hour=HH/" for an hour.
func partition(hour time.Time) string {
	hour = hour.UTC()
	return fmt.Sprintf("dt=%s/hour=%02d/", hour.Format("2006-01-02"), hour.Hour())
}

// parseObjectKey splits a shipped key into its partition hour, base name and
// revision.
func parseObjectKey(prefix, key string) (hour time.Time, base string, rev int, ok bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return time.Time{}, "", 0, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "dt=") || !strings.HasPrefix(parts[1], "hour=") {
		return time.Time{}, "", 0, false
	}
	day, err := time.Parse("2006-01-02", parts[0][3:])
	if err != nil {
		return time.Time{}, "", 0, false
	}
	h, err := strconv.Atoi(parts[1][5:])
	if err != nil || h < 0 || h > 23 {
		return time.Time{}, "", 0, false
	}
	name, ok := strings.CutSuffix(parts[2], objectExt)
	if !ok {
		return time.Time{}, "", 0, false
	}
	base = name
	if i := strings.LastIndex(name, ".r"); i >= 0 {
		n, err := strconv.Atoi(name[i+2:])
		if err != nil || n < 1 {
			return time.Time{}, "", 0, false
		}
		base, rev = name[:i], n
	}
	return day.Add(time.Duration(h) * time.Hour), base, rev, true
}

func objectKey(prefix string, hour time.Time, base string, rev int) string {
	if rev == 0 {
		return prefix + partition(hour) + base + objectExt
	}
	return fmt.Sprintf("%s%s%s.r%d%s", prefix, partition(hour), base, rev, objectExt)
}

// shipSegment uploads one closed segment: its identified events as JSON
// Lines under EventsPrefix, its consent-none events as counts under
// AggregatePrefix. Erased events are left out. A segment an erasure already
// rewrote in the store (a crash came between upload and local removal) is
// not uploaded again.
func (l *Log) shipSegment(ctx context.Context, seg segment, filter erasureFilter) error {
	hour, err := segmentHour(seg.name)
	if err != nil {
		return err
	}
	if l.opt.Now().Sub(hour.Add(time.Hour)) > l.opt.Retention {
		l.log.Info("dropping a local segment older than the retention limit", "segment", seg.name)
		return nil
	}
	base := l.objectBase(seg)
	var events bytes.Buffer
	ezw := gzip.NewWriter(&events)
	lines := 0
	counts := map[[2]string]int64{}
	_, _, err = readSegment(seg.path, func(b walBatch) error {
		for _, r := range b.Records {
			if r.Consent == wire.ConsentNone {
				counts[[2]string{r.Type, r.SKU}]++
				continue
			}
			if filter.erased(r) {
				continue
			}
			line, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("signals: encoding record: %w", err)
			}
			ezw.Write(line)
			ezw.Write([]byte{'\n'})
			lines++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := ezw.Close(); err != nil {
		return fmt.Errorf("signals: compressing segment %s: %w", seg.name, err)
	}
	if lines > 0 {
		infos, err := l.opt.Store.List(ctx, EventsPrefix+partition(hour)+base)
		if err != nil {
			return fmt.Errorf("signals: shipping %s: listing existing revisions: %w", seg.name, err)
		}
		rewritten := false
		for _, in := range infos {
			if _, b, rev, ok := parseObjectKey(EventsPrefix, in.Key); ok && b == base && rev > 0 {
				rewritten = true
			}
		}
		if !rewritten {
			key := objectKey(EventsPrefix, hour, base, 0)
			if err := l.opt.Store.Put(ctx, key, bytes.NewReader(events.Bytes()), int64(events.Len()), blob.PutOptions{ContentType: "application/gzip"}); err != nil {
				return fmt.Errorf("signals: shipping %s: %w", seg.name, err)
			}
		}
	}
	if len(counts) > 0 {
		var agg bytes.Buffer
		azw := gzip.NewWriter(&agg)
		keys := make([][2]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b [2]string) int {
			if c := strings.Compare(a[0], b[0]); c != 0 {
				return c
			}
			return strings.Compare(a[1], b[1])
		})
		for _, k := range keys {
			line, _ := json.Marshal(AggregateCount{Type: k[0], SKU: k[1], Count: counts[k], Hour: hour.Format(time.RFC3339)})
			azw.Write(line)
			azw.Write([]byte{'\n'})
		}
		if err := azw.Close(); err != nil {
			return fmt.Errorf("signals: compressing aggregates of %s: %w", seg.name, err)
		}
		key := objectKey(AggregatePrefix, hour, base, 0)
		if err := l.opt.Store.Put(ctx, key, bytes.NewReader(agg.Bytes()), int64(agg.Len()), blob.PutOptions{ContentType: "application/gzip"}); err != nil {
			return fmt.Errorf("signals: shipping aggregates of %s: %w", seg.name, err)
		}
	}
	return nil
}

// AggregateCount is a line of an aggregate object: how many events of a
// type on a product were stored at consent none in the hour.
type AggregateCount struct {
	Type  string `json:"type"`
	SKU   string `json:"sku,omitempty"`
	Count int64  `json:"count"`
	Hour  string `json:"hour"`
}

// ReadObject decodes a shipped gzip JSON Lines object of records, calling
// fn for each. It bounds the decompressed size and the line length.
func ReadObject(r io.Reader, fn func(Record) error) error {
	return scanObject(r, func(line []byte) error {
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil {
			return fmt.Errorf("signals: decoding record: %w", err)
		}
		return fn(rec)
	})
}

// scanObject calls fn with each line of a gzip JSON Lines object.
func scanObject(r io.Reader, fn func(line []byte) error) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("signals: opening gzip stream: %w", err)
	}
	defer zr.Close()
	lr := &io.LimitedReader{R: zr, N: maxObjectBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("signals: reading JSON lines: %w", err)
	}
	if lr.N <= 0 {
		return fmt.Errorf("signals: object decompresses to more than %d bytes", maxObjectBytes)
	}
	return nil
}

// forEachObject calls fn for the newest revision of every shipped events
// object. With cleanup it deletes superseded lower revisions on the way (a
// crash between writing a rewrite and deleting its source leaves both).
func (l *Log) forEachObject(ctx context.Context, cleanup bool, fn func(key string, hour time.Time, base string, rev int) error) error {
	infos, err := l.opt.Store.List(ctx, EventsPrefix)
	if err != nil {
		return fmt.Errorf("signals: listing %s: %w", EventsPrefix, err)
	}
	type newest struct {
		key  string
		hour time.Time
		rev  int
	}
	best := map[string]newest{}
	var order []string
	var stale []string
	for _, in := range infos {
		hour, base, rev, ok := parseObjectKey(EventsPrefix, in.Key)
		if !ok {
			continue
		}
		id := partition(hour) + base
		cur, seen := best[id]
		switch {
		case !seen:
			best[id] = newest{in.Key, hour, rev}
			order = append(order, id)
		case rev > cur.rev:
			stale = append(stale, cur.key)
			best[id] = newest{in.Key, hour, rev}
		default:
			stale = append(stale, in.Key)
		}
	}
	for _, key := range stale {
		if !cleanup {
			break
		}
		if err := l.opt.Store.Delete(ctx, key); err != nil {
			return fmt.Errorf("signals: deleting superseded %s: %w", key, err)
		}
	}
	for _, id := range order {
		n := best[id]
		_, base, _, _ := parseObjectKey(EventsPrefix, n.key)
		if err := fn(n.key, n.hour, base, n.rev); err != nil {
			return err
		}
	}
	return nil
}

// readStoredObject reads one shipped object's records; a missing object
// (deleted or rewritten meanwhile) is skipped.
func (l *Log) readStoredObject(ctx context.Context, key string, fn func(Record) error) error {
	rc, _, err := l.opt.Store.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("signals: reading %s: %w", key, err)
	}
	defer rc.Close()
	if err := ReadObject(rc, fn); err != nil {
		if errors.Is(err, blob.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("signals: reading %s: %w", key, err)
	}
	return nil
}

// enforceRetention deletes every shipped object whose partition ended more
// than Retention ago, and rotation links not renewed within Retention.
func (l *Log) enforceRetention(ctx context.Context) error {
	cutoff := l.opt.Now().Add(-l.opt.Retention)
	for _, prefix := range []string{EventsPrefix, AggregatePrefix} {
		infos, err := l.opt.Store.List(ctx, prefix)
		if err != nil {
			return fmt.Errorf("signals: retention: listing %s: %w", prefix, err)
		}
		for _, in := range infos {
			hour, _, _, ok := parseObjectKey(prefix, in.Key)
			if !ok || !hour.Add(time.Hour).Before(cutoff) {
				continue
			}
			if err := l.opt.Store.Delete(ctx, in.Key); err != nil {
				return fmt.Errorf("signals: retention: deleting %s: %w", in.Key, err)
			}
			l.retentionDel.Add(1)
		}
	}
	infos, err := l.opt.Store.List(ctx, LinksPrefix)
	if err != nil {
		return fmt.Errorf("signals: retention: listing %s: %w", LinksPrefix, err)
	}
	for _, in := range infos {
		lk, err := l.readLink(ctx, in.Key)
		if err != nil {
			return err
		}
		if lk != nil && time.UnixMilli(lk.UpdatedMS).Before(cutoff) {
			if err := l.opt.Store.Delete(ctx, in.Key); err != nil {
				return fmt.Errorf("signals: retention: deleting %s: %w", in.Key, err)
			}
			l.retentionDel.Add(1)
		}
	}
	return nil
}
