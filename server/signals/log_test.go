package signals

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/wire"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration) {
	c.ns.Add(int64(d))
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func openLog(t *testing.T, opt Options) *Log {
	t.Helper()
	if opt.PseudonymKey == nil {
		opt.PseudonymKey = testKey
	}
	if opt.NodeID == "" {
		opt.NodeID = "node1"
	}
	if opt.JanitorInterval == 0 {
		opt.JanitorInterval = 20 * time.Millisecond
	}
	l, err := Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newStore(t testing.TB) *fsstore.Store {
	t.Helper()
	s, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func events(prefix string, n int, typ string, t0 int64) []wire.Event {
	out := make([]wire.Event, n)
	for i := range out {
		out[i] = wire.Event{ID: fmt.Sprintf("%s-%d", prefix, i), Type: typ, SKU: fmt.Sprintf("sku-%d", i%5), T: t0 + int64(i)}
	}
	return out
}

func closeLog(t *testing.T, l *Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// storeObjects returns every object in the store, gunzipped when its key
// ends in .gz.
func storeObjects(t *testing.T, s blob.Store) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	infos, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, in := range infos {
		rc, _, err := s.Get(ctx, in.Key)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(in.Key, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s is not gzip: %v", in.Key, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", in.Key, err)
			}
		}
		out[in.Key] = data
	}
	return out
}

// dirBytes concatenates every file in dir.
func dirBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			all = append(all, b...)
		}
		return nil
	})
	return all
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAppendIdempotentAcrossRestart(t *testing.T) {
	dir, store := t.TempDir(), newStore(t)
	ctx := context.Background()
	l := openLog(t, Options{Dir: dir, Store: store})
	batch := Batch{Session: "sess-A", Consent: wire.ConsentAnalytics, Events: events("a", 10, wire.EventProductView, 1)}
	res, err := l.Append(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.IDs) != 10 || len(res.New) != 10 {
		t.Fatalf("first append: %d ids, %d new; want 10, 10", len(res.IDs), len(res.New))
	}
	res, err = l.Append(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.IDs) != 10 || len(res.New) != 0 {
		t.Fatalf("retry: %d ids, %d new; want 10, 0", len(res.IDs), len(res.New))
	}
	// The same ids from another session are other events.
	other := batch
	other.Session = "sess-B"
	if res, err = l.Append(ctx, other); err != nil || len(res.New) != 10 {
		t.Fatalf("other session: %d new, %v; want 10", len(res.New), err)
	}
	// A crash: copy the directory while the log runs (every acknowledged
	// batch is fsynced, so the copy is what a kill would leave), then
	// reopen the copy; and reopen the original after a clean Close.
	crashDir := t.TempDir()
	copyDir(t, dir, crashDir)
	closeLog(t, l)

	for name, d := range map[string]string{"after crash": crashDir, "after clean close": dir} {
		t.Run(name, func(t *testing.T) {
			l2 := openLog(t, Options{Dir: d, Store: newStore(t)})
			defer closeLog(t, l2)
			half := batch
			half.Events = append(slices5(batch.Events), wire.Event{ID: "a-new", Type: wire.EventRotate, SKU: "sku-1", T: 99})
			res, err := l2.Append(ctx, half)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.IDs) != 6 || len(res.New) != 1 || res.New[0].ID != "a-new" {
				t.Fatalf("retry after restart: ids %v, new %v; want 6 ids and only a-new new", res.IDs, res.New)
			}
		})
	}
}

func slices5(e []wire.Event) []wire.Event { return append([]wire.Event(nil), e[:5]...) }

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGroupCommitAcksOnlyAfterSync(t *testing.T) {
	release := make(chan struct{})
	var syncs atomic.Int64
	var syncing atomic.Bool
	sync1 := func(f *os.File) error {
		syncing.Store(true)
		<-release
		syncs.Add(1)
		return f.Sync()
	}
	l := openLog(t, Options{Dir: t.TempDir(), Store: newStore(t), syncFile: sync1})
	ctx := context.Background()
	const appenders = 20
	var acked atomic.Int64
	var wg sync.WaitGroup
	appendOne := func(i int) {
		defer wg.Done()
		if _, err := l.Append(ctx, Batch{Session: fmt.Sprintf("s%d", i), Consent: wire.ConsentAnalytics, Events: events("e", 3, wire.EventZoom, 1)}); err != nil {
			t.Error(err)
		}
		acked.Add(1)
	}
	wg.Add(1)
	go appendOne(0)
	waitFor(t, "the first fsync to start", 5*time.Second, syncing.Load)
	// Every other appender queues up behind the blocked fsync.
	for i := 1; i < appenders; i++ {
		wg.Add(1)
		go appendOne(i)
	}
	waitFor(t, "appenders to queue", 5*time.Second, func() bool { return len(l.reqs) == appenders-1 })
	if n := acked.Load(); n != 0 {
		t.Fatalf("%d appends returned before any fsync finished", n)
	}
	close(release)
	wg.Wait()
	if got := syncs.Load(); got != 2 {
		t.Fatalf("%d fsyncs for %d concurrent appends; want 2 (the first alone, then one group)", got, appenders)
	}
	if st := l.Stats(); st.StoredEvents != appenders*3 || st.Commits != 2 {
		t.Fatalf("stats %+v; want %d stored in 2 commits", st, appenders*3)
	}
	closeLog(t, l)
}

func TestSyncFailureFailsAppendAndLog(t *testing.T) {
	boom := errors.New("disk on fire")
	l := openLog(t, Options{Dir: t.TempDir(), Store: newStore(t), syncFile: func(*os.File) error { return boom }})
	_, err := l.Append(context.Background(), Batch{Session: "s", Consent: wire.ConsentAnalytics, Events: events("x", 1, wire.EventZoom, 1)})
	if !errors.Is(err, boom) {
		t.Fatalf("append error %v; want it to wrap %v", err, boom)
	}
	if _, err := l.Append(context.Background(), Batch{Session: "s", Consent: wire.ConsentAnalytics, Events: events("y", 1, wire.EventZoom, 1)}); !errors.Is(err, boom) {
		t.Fatalf("append after a failed fsync: %v; want the log to stay failed", err)
	}
	l.Close(context.Background())
}

func TestShipPartitionsJSONL(t *testing.T) {
	clk := newClock(time.Date(2026, 3, 4, 5, 59, 58, 0, time.UTC))
	store := newStore(t)
	l := openLog(t, Options{Dir: t.TempDir(), Store: store, Now: clk.Now})
	ctx := context.Background()
	if _, err := l.Append(ctx, Batch{Session: "s1", Consent: wire.ConsentAnalytics, Events: events("h5", 4, wire.EventProductView, 1)}); err != nil {
		t.Fatal(err)
	}
	clk.Add(3 * time.Second) // 06:00:01: the next append rolls into hour 06
	if _, err := l.Append(ctx, Batch{Session: "s1", Consent: wire.ConsentAnalytics, Events: []wire.Event{
		{ID: "h6", Type: wire.EventSearchClick, SKU: "sku-9", T: 5, Rank: 0},
		{ID: "d6", Type: wire.EventDwell, SKU: "sku-9", T: 6, DwellMS: 1500},
	}}); err != nil {
		t.Fatal(err)
	}
	closeLog(t, l)
	objs := storeObjects(t, store)
	want := map[string][]string{
		"signals/dt=2026-03-04/hour=05/": {"h5-0", "h5-1", "h5-2", "h5-3"},
		"signals/dt=2026-03-04/hour=06/": {"h6", "d6"},
	}
	for prefix, ids := range want {
		var found []byte
		n := 0
		for key, data := range objs {
			if strings.HasPrefix(key, prefix) {
				if !strings.HasPrefix(key[len(prefix):], "node1-") || !strings.HasSuffix(key, ".jsonl.gz") {
					t.Errorf("key %q does not look like %s<node>-<segment>.jsonl.gz", key, prefix)
				}
				found, n = data, n+1
			}
		}
		if n != 1 {
			t.Fatalf("%d objects under %s; want 1 (have %v)", n, prefix, keys(objs))
		}
		var got []string
		if err := ReadObject(gzipped(found), func(r Record) error {
			got = append(got, r.EventID)
			if r.Session != l.pseudo.Session("s1") || r.Consent != wire.ConsentAnalytics || r.User != "" {
				t.Errorf("record %+v: want the session pseudonym, consent analytics, no user", r)
			}
			if r.EventID == "h6" && (r.Rank == nil || *r.Rank != 0) {
				t.Errorf("search_click rank %v; want an explicit 0", r.Rank)
			}
			if r.EventID == "d6" && r.DwellMS != 1500 {
				t.Errorf("dwell ms %d; want 1500", r.DwellMS)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Errorf("%s holds %v; want %v", prefix, got, ids)
		}
		if lines := bytes.Count(found, []byte("\n")); lines != len(ids) {
			t.Errorf("%s: %d lines; want one JSON object per line (%d)", prefix, lines, len(ids))
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(l.opt.Dir, "*"+segmentExt)); len(entries) != 0 {
		t.Errorf("local segments left after shipping: %v", entries)
	}
}

func gzipped(data []byte) io.Reader {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return &b
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestConsentLevels(t *testing.T) {
	dir, store := t.TempDir(), newStore(t)
	l := openLog(t, Options{Dir: dir, Store: store})
	ctx := context.Background()
	const (
		secretNone = "secret-session-none-0001"
		secretAn   = "secret-session-analytics"
		secretPers = "secret-session-personal"
		user       = "merchant-user-42"
	)
	for _, b := range []Batch{
		{Session: secretNone, UserID: user, Consent: wire.ConsentNone, Events: events("none-evt", 6, wire.EventProductView, 1_700_000_123_456)},
		{Session: secretAn, UserID: user, Consent: wire.ConsentAnalytics, Events: events("an-evt", 2, wire.EventZoom, 1)},
		{Session: secretPers, UserID: user, Consent: wire.ConsentPersonalisation, Events: events("pe-evt", 2, wire.EventTryOn, 1)},
	} {
		if _, err := l.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// Consent none leaves no identifier in the WAL ...
	wal := dirBytes(t, dir)
	for _, s := range []string{secretNone, "none-evt", l.pseudo.Session(secretNone), user, secretAn, secretPers} {
		if bytes.Contains(wal, []byte(s)) {
			t.Errorf("the WAL directory contains %q", s)
		}
	}
	// ... and the retry is still recognised.
	res, err := l.Append(ctx, Batch{Session: secretNone, Consent: wire.ConsentNone, Events: events("none-evt", 6, wire.EventProductView, 1_700_000_123_456)})
	if err != nil || len(res.New) != 0 {
		t.Fatalf("consent-none retry stored %d events again (%v)", len(res.New), err)
	}
	closeLog(t, l)
	var all []byte
	var aggregates, identified int
	for key, data := range storeObjects(t, store) {
		all = append(all, data...)
		switch {
		case strings.HasPrefix(key, AggregatePrefix):
			aggregates++
			if !bytes.Contains(data, []byte(`{"type":"product_view","sku":"sku-0","count":2,`)) {
				t.Errorf("aggregate object %s = %s; want sku-0 counted twice", key, data)
			}
		case strings.HasPrefix(key, EventsPrefix):
			identified += bytes.Count(data, []byte("\n"))
		}
	}
	if aggregates != 1 || identified != 4 {
		t.Fatalf("%d aggregate objects and %d identified events; want 1 and 4", aggregates, identified)
	}
	for _, s := range []string{secretNone, secretAn, secretPers, user, "none-evt", l.pseudo.Session(secretNone)} {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("the store contains %q", s)
		}
	}
	if !bytes.Contains(all, []byte(l.pseudo.User(user))) || bytes.Count(all, []byte(l.pseudo.User(user))) != 2 {
		t.Errorf("the user pseudonym should appear exactly on the 2 personalisation events")
	}
	if c := l.Counters(); c.ByType[wire.EventProductView] != 6 || c.BySKU["sku-0"] != 4 {
		t.Errorf("counters %+v; want 6 product views and sku-0 counted 4 times", c)
	}
}

func TestExportEraseAndRotation(t *testing.T) {
	dir, store := t.TempDir(), newStore(t)
	l := openLog(t, Options{Dir: dir, Store: store, EraseDelay: time.Minute, SegmentMaxBytes: 2 << 10})
	defer closeLog(t, l)
	ctx := context.Background()
	const (
		victimOld = "victim-session-before-rotation"
		victim    = "victim-session-after-rotation"
		bystander = "bystander-session"
		user      = "victim-user-7"
	)
	// Enough events to span several shipped segments; half of them shipped
	// before the erase, the rest still local.
	for round := range 6 {
		for _, b := range []Batch{
			{Session: victimOld, Consent: wire.ConsentAnalytics, Events: events(fmt.Sprintf("vold%d", round), 5, wire.EventProductView, 1)},
			{Session: bystander, Consent: wire.ConsentPersonalisation, Events: events(fmt.Sprintf("by%d", round), 5, wire.EventZoom, 1)},
		} {
			if _, err := l.Append(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Link(ctx, victimOld, victim); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, Batch{Session: victim, UserID: user, Consent: wire.ConsentPersonalisation, Events: events("vnew", 5, wire.EventAddToCart, 1)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "some segments to ship", 5*time.Second, func() bool { return l.Stats().ShippedSegments >= 2 })

	exported, _, err := l.Export(ctx, Subject{Session: victim, UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	if len(exported) != 35 {
		t.Fatalf("export returned %d events; want 35 (30 before rotation, 5 after)", len(exported))
	}
	res, err := l.Erase(ctx, Subject{Session: victim, UserID: user})
	if err != nil {
		t.Fatal(err)
	}
	if res.Erased != 35 || res.CompleteBy.Before(time.Now().Add(50*time.Second)) {
		t.Fatalf("erase result %+v; want 35 erased, complete within a minute", res)
	}
	// Gone from reads at once.
	if exported, _, err = l.Export(ctx, Subject{Session: victim, UserID: user}); err != nil || len(exported) != 0 {
		t.Fatalf("export right after erase: %d events (%v); want none", len(exported), err)
	}
	// The session keeps working; events after the erase are kept.
	if _, err := l.Append(ctx, Batch{Session: victim, Consent: wire.ConsentAnalytics, Events: events("after", 2, wire.EventRotate, 1)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the erasure to complete", 30*time.Second, func() bool { return l.Stats().PendingErasures == 0 })

	forbidden := []string{victimOld, victim, user, l.pseudo.Session(victimOld), l.pseudo.User(user), "vold", "vnew"}
	for key, data := range storeObjects(t, store) {
		for _, s := range forbidden {
			if bytes.Contains(data, []byte(s)) || strings.Contains(key, s) {
				t.Errorf("stored object %s still holds %q", key, s)
			}
		}
	}
	for _, s := range forbidden {
		if bytes.Contains(dirBytes(t, dir), []byte(s)) {
			t.Errorf("the WAL directory still holds %q", s)
		}
	}
	by, _, err := l.Export(ctx, Subject{Session: bystander})
	if err != nil || len(by) != 30 {
		t.Fatalf("bystander export: %d events (%v); want all 30 kept", len(by), err)
	}
	after, _, err := l.Export(ctx, Subject{Session: victim})
	if err != nil || len(after) != 2 {
		t.Fatalf("events after the erase: %d (%v); want 2", len(after), err)
	}
	if l.Stats().RewrittenSegments == 0 {
		t.Error("no shipped segment was rewritten; the test did not exercise rewriting")
	}
}

func TestRewriteRevisionsSurviveCrash(t *testing.T) {
	// A crash between writing revision 1 and deleting revision 0 leaves
	// both; the next pass keeps only the newest.
	store := newStore(t)
	l := openLog(t, Options{Dir: t.TempDir(), Store: store})
	defer closeLog(t, l)
	ctx := context.Background()
	hour := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	for rev, body := range []string{`{"type":"zoom","event_id":"old","consent":"analytics","received_ms":1}` + "\n", `{"type":"zoom","event_id":"new","consent":"analytics","received_ms":1}` + "\n"} {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(body))
		zw.Close()
		if err := store.Put(ctx, objectKey(EventsPrefix, hour, "n-1", rev), &b, int64(b.Len()), blob.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	if err := l.forEachObject(ctx, true, func(key string, _ time.Time, _ string, rev int) error {
		seen = append(seen, fmt.Sprintf("%s@%d", key, rev))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || !strings.HasSuffix(seen[0], "n-1.r1.jsonl.gz@1") {
		t.Fatalf("visited %v; want only revision 1", seen)
	}
	if objs := storeObjects(t, store); len(objs) != 1 {
		t.Fatalf("store holds %v; want revision 0 deleted", keys(objs))
	}
}

func TestRetention(t *testing.T) {
	clk := newClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	store := newStore(t)
	l := openLog(t, Options{Dir: t.TempDir(), Store: store, Now: clk.Now, Retention: 90 * 24 * time.Hour})
	ctx := context.Background()
	if _, err := l.Append(ctx, Batch{Session: "old", Consent: wire.ConsentAnalytics, Events: events("old", 3, wire.EventZoom, 1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, Batch{Session: "old", Consent: wire.ConsentNone, Events: events("anon", 3, wire.EventZoom, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Link(ctx, "older", "old"); err != nil {
		t.Fatal(err)
	}
	if err := l.Roll(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old segment to ship", 5*time.Second, func() bool { return l.Stats().ShippedSegments == 1 })
	clk.Add(89 * 24 * time.Hour)
	if _, err := l.Append(ctx, Batch{Session: "new", Consent: wire.ConsentAnalytics, Events: events("new", 3, wire.EventZoom, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Roll(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new segment to ship", 5*time.Second, func() bool { return l.Stats().ShippedSegments == 2 })
	t.Logf("%+v %v", l.Stats(), keys(storeObjects(t, store)))
	if n := len(storeObjects(t, store)); n != 4 {
		t.Fatalf("%d objects before the retention limit; want 4 (2 events, 1 aggregate, 1 link)", n)
	}
	clk.Add(2 * 24 * time.Hour) // the first partition is now 91 days old
	waitFor(t, "retention", 5*time.Second, func() bool { return l.Stats().RetentionDeletes == 3 })
	t.Logf("%+v", l.Stats())
	objs := storeObjects(t, store)
	if len(objs) != 1 {
		t.Fatalf("after retention the store holds %v; want only the new events", keys(objs))
	}
	for k := range objs {
		if !strings.HasPrefix(k, "signals/dt=2026-03-31/") {
			t.Fatalf("kept %s; want the 2026-03-31 partition", k)
		}
	}
	closeLog(t, l)
}

// gateStore is a blob.Store whose Puts wait for the gate to open.
type gateStore struct {
	blob.Store
	gate chan struct{}
	puts atomic.Int64
}

func (g *gateStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts blob.PutOptions) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.puts.Add(1)
	return g.Store.Put(ctx, key, r, size, opts)
}

func TestBackPressureBoundsMemoryAndDisk(t *testing.T) {
	store := &gateStore{Store: newStore(t), gate: make(chan struct{})}
	const maxClosed, queue = 2, 4
	dir := t.TempDir()
	l := openLog(t, Options{Dir: dir, Store: store, SegmentMaxBytes: 4 << 10, MaxClosedSegments: maxClosed, QueueBatches: queue})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	var acked, blocked atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				_, err := l.Append(ctx, Batch{Session: fmt.Sprintf("w%d", w), Consent: wire.ConsentAnalytics, Events: events(fmt.Sprintf("b%d", i), 20, wire.EventZoom, 1)})
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					blocked.Add(1)
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				acked.Add(1)
			}
		}()
	}
	wg.Wait()
	st := l.Stats()
	if blocked.Load() != 8 {
		t.Fatalf("%d of 8 appenders were held back", blocked.Load())
	}
	if st.ClosedSegments != maxClosed || st.QueuedBatches > queue {
		t.Fatalf("stats %+v: want %d closed segments and at most %d queued batches", st, maxClosed, queue)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if len(segs) > maxClosed+1 {
		t.Fatalf("%d segment files on disk; want at most %d", len(segs), maxClosed+1)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Fatalf("heap grew by %d bytes while the store was stalled", grown)
	}
	// Opening the gate drains the backlog and appends flow again.
	close(store.gate)
	if _, err := l.Append(context.Background(), Batch{Session: "w0", Consent: wire.ConsentAnalytics, Events: events("late", 5, wire.EventZoom, 1)}); err != nil {
		t.Fatal(err)
	}
	closeLog(t, l)
	t.Logf("%d batches acknowledged before the stalled store held appends back", acked.Load())
}

func newStoreB(b *testing.B) *fsstore.Store { return newStore(b) }
