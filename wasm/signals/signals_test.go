package signals

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// fakeServer records batches and answers them with answer (which
// acknowledges every event when nil).
type fakeServer struct {
	mu      sync.Mutex
	batches [][]wire.Event
	answer  func(n int, batch []wire.Event) (wire.SignalAck, error)
	sent    chan []wire.Event
}

func newFakeServer() *fakeServer { return &fakeServer{sent: make(chan []wire.Event, 100)} }

func (s *fakeServer) send(_ context.Context, b wire.Signal) (wire.SignalAck, error) {
	s.mu.Lock()
	n := len(s.batches)
	s.batches = append(s.batches, slices.Clone(b.Events))
	answer := s.answer
	s.mu.Unlock()
	s.sent <- b.Events
	if answer != nil {
		return answer(n, b.Events)
	}
	return ackAll(b.Events), nil
}

func ackAll(events []wire.Event) wire.SignalAck {
	var ack wire.SignalAck
	for _, e := range events {
		ack.IDs = append(ack.IDs, e.ID)
	}
	return ack
}

func (s *fakeServer) next(t *testing.T) []wire.Event {
	t.Helper()
	select {
	case b := <-s.sent:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no batch was sent within 5s")
		return nil
	}
}

func (s *fakeServer) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case b := <-s.sent:
		t.Fatalf("unexpected batch of %d events", len(b))
	case <-time.After(d):
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t *testing.T, s *fakeServer, opts Options) *Queue {
	t.Helper()
	opts.Logger = quiet()
	q := New(s.send, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return q
}

func view(sku string) wire.Event { return wire.Event{Type: wire.EventProductView, SKU: sku} }

func emit(t *testing.T, q *Queue, e wire.Event) string {
	t.Helper()
	id, err := q.Emit(e)
	if err != nil {
		t.Fatalf("Emit(%+v): %v", e, err)
	}
	return id
}

func TestEmitFillsIDAndTime(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	q := New(nil, Options{Now: func() time.Time { return now }, Logger: quiet()})
	seen := map[string]bool{}
	for range 100 {
		id := emit(t, q, view("chair"))
		if id == "" || len(id) > wire.MaxEventIDBytes || seen[id] {
			t.Fatalf("id %q is empty, too long or repeated", id)
		}
		seen[id] = true
	}
	other := New(nil, Options{Now: func() time.Time { return now }, Logger: quiet()})
	if id := emit(t, other, view("chair")); seen[id] {
		t.Errorf("a second queue (another page load) repeated id %q", id)
	}
	p := q.Pending()
	if p[0].T != now.UnixMilli() {
		t.Errorf("T = %d, want the clock's %d", p[0].T, now.UnixMilli())
	}
	kept := emit(t, q, wire.Event{ID: "mine", T: now.UnixMilli() - 1000, Type: wire.EventRotate, SKU: "chair"})
	if kept != "mine" {
		t.Errorf("Emit replaced the caller's id with %q", kept)
	}
}

func TestEmitRefusesInvalidEvents(t *testing.T) {
	q := New(nil, Options{Logger: quiet()})
	for name, e := range map[string]wire.Event{
		"unknown type":  {Type: "stare", SKU: "chair"},
		"no sku":        {Type: wire.EventProductView},
		"negative rank": {Type: wire.EventRecsClick, SKU: "chair", Slot: "home", Rank: -1},
		"future":        {Type: wire.EventRotate, SKU: "chair", T: time.Now().Add(time.Hour).UnixMilli()},
	} {
		if _, err := q.Emit(e); err == nil {
			t.Errorf("%s: Emit accepted %+v", name, e)
		}
	}
	if st := q.Stats(); st.Queued != 0 || st.Emitted != 0 {
		t.Errorf("stats after refusals = %+v, want nothing queued", st)
	}
}

func TestBatchOnSize(t *testing.T) {
	s := newFakeServer()
	acked := make(chan []string, 10)
	q := start(t, s, Options{BatchSize: 3, Interval: time.Hour, OnAck: func(ids []string) { acked <- ids }})
	a, b := emit(t, q, view("a")), emit(t, q, view("b"))
	s.none(t, 100*time.Millisecond)
	c := emit(t, q, view("c"))
	got := s.next(t)
	if ids := idsOf(got); !slices.Equal(ids, []string{a, b, c}) {
		t.Fatalf("batch ids %v, want %v in order", ids, []string{a, b, c})
	}
	select {
	case ids := <-acked:
		if len(ids) != 3 {
			t.Errorf("OnAck got %v", ids)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnAck not called")
	}
	if st := q.Stats(); st.Queued != 0 || st.Acked != 3 {
		t.Errorf("stats %+v, want 0 queued, 3 acked", st)
	}
}

func TestBatchOnIntervalAndFlush(t *testing.T) {
	s := newFakeServer()
	q := start(t, s, Options{BatchSize: 50, Interval: 150 * time.Millisecond})
	began := time.Now()
	emit(t, q, view("a"))
	s.next(t)
	if d := time.Since(began); d < 100*time.Millisecond {
		t.Errorf("sent after %v, before the 150ms interval", d)
	}

	q2 := start(t, s, Options{BatchSize: 50, Interval: time.Hour})
	emit(t, q2, view("b"))
	s.none(t, 100*time.Millisecond)
	q2.Flush()
	if got := s.next(t); len(got) != 1 || got[0].SKU != "b" {
		t.Errorf("flush sent %+v", got)
	}
}

func TestLargeQueueGoesOutInBatches(t *testing.T) {
	s := newFakeServer()
	q := New(s.send, Options{BatchSize: 10, Interval: time.Hour, Logger: quiet()})
	for range 25 {
		emit(t, q, view("a"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	q.Flush()
	var sizes []int
	for range 3 {
		sizes = append(sizes, len(s.next(t)))
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) {
		t.Errorf("batch sizes %v, want [10 10 5]", sizes)
	}
}

// Only acknowledged events leave the queue; the rest are sent again.
func TestUnacknowledgedEventsAreResent(t *testing.T) {
	s := newFakeServer()
	s.answer = func(n int, batch []wire.Event) (wire.SignalAck, error) {
		if n == 0 {
			return wire.SignalAck{IDs: []string{batch[0].ID}}, nil // only the first
		}
		return ackAll(batch), nil
	}
	q := start(t, s, Options{BatchSize: 10, Interval: time.Hour})
	a, b := emit(t, q, view("a")), emit(t, q, view("b"))
	q.Flush()
	if got := idsOf(s.next(t)); !slices.Equal(got, []string{a, b}) {
		t.Fatalf("first batch %v", got)
	}
	q.Flush()
	if got := idsOf(s.next(t)); !slices.Equal(got, []string{b}) {
		t.Fatalf("second batch %v, want only the unacknowledged %s", got, b)
	}
	if err := q.Drain(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
}

func TestRetryWithBackoffAfterErrors(t *testing.T) {
	s := newFakeServer()
	s.answer = func(n int, batch []wire.Event) (wire.SignalAck, error) {
		switch n {
		case 0:
			return wire.SignalAck{}, errors.New("client: connection lost")
		case 1:
			return wire.SignalAck{}, &wire.Error{Code: wire.CodeUnavailable, Message: "the events could not be stored; send them again"}
		}
		return ackAll(batch), nil
	}
	var waits []int
	var mu sync.Mutex
	q := start(t, s, Options{Interval: time.Hour, Backoff: func(attempt int) time.Duration {
		mu.Lock()
		waits = append(waits, attempt)
		mu.Unlock()
		return 20 * time.Millisecond
	}})
	id := emit(t, q, view("a"))
	q.Flush()
	for i := range 3 {
		if got := idsOf(s.next(t)); !slices.Equal(got, []string{id}) {
			t.Fatalf("attempt %d sent %v, want the same event %s", i, got, id)
		}
	}
	if err := q.Drain(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(waits, []int{0, 1}) {
		t.Errorf("back-off attempts %v, want [0 1]", waits)
	}
	if st := q.Stats(); st.Failures != 2 || st.Acked != 1 {
		t.Errorf("stats %+v, want 2 failures and 1 acked", st)
	}
}

func TestDropOldestWhenFull(t *testing.T) {
	q := New(nil, Options{MaxQueue: 3, Logger: quiet()})
	for _, sku := range []string{"a", "b", "c", "d", "e"} {
		emit(t, q, view(sku))
	}
	var skus []string
	for _, e := range q.Pending() {
		skus = append(skus, e.SKU)
	}
	if !slices.Equal(skus, []string{"c", "d", "e"}) {
		t.Errorf("queue holds %v, want the newest three", skus)
	}
	if st := q.Stats(); st.Dropped != 2 || st.Queued != 3 || st.Emitted != 5 {
		t.Errorf("stats %+v, want 2 dropped, 3 queued, 5 emitted", st)
	}
}

// A batch the server refuses as invalid would fail forever: the events it
// names are dropped, the others sent again.
func TestRejectedEventsAreDropped(t *testing.T) {
	s := newFakeServer()
	s.answer = func(n int, batch []wire.Event) (wire.SignalAck, error) {
		if n == 0 {
			return wire.SignalAck{}, &wire.Error{Code: wire.CodeBadRequest, Message: "event 1: too old",
				Details: []string{"event 1: time 5 is older than 24h0m0s"}}
		}
		return ackAll(batch), nil
	}
	q := start(t, s, Options{Interval: time.Hour})
	a, _, c := emit(t, q, view("a")), emit(t, q, view("b")), emit(t, q, view("c"))
	q.Flush()
	s.next(t)
	if got := idsOf(s.next(t)); !slices.Equal(got, []string{a, c}) {
		t.Fatalf("after the refusal sent %v, want %v", got, []string{a, c})
	}
	if err := q.Drain(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	if st := q.Stats(); st.Rejected != 1 || st.Acked != 2 {
		t.Errorf("stats %+v, want 1 rejected, 2 acked", st)
	}
}

func TestDrainWaitsForAcknowledgement(t *testing.T) {
	s := newFakeServer()
	release := make(chan struct{})
	s.answer = func(n int, batch []wire.Event) (wire.SignalAck, error) {
		<-release
		return ackAll(batch), nil
	}
	q := start(t, s, Options{Interval: time.Hour})
	emit(t, q, view("a"))
	drained := make(chan error, 1)
	go func() { drained <- q.Drain(ctxTimeout(t)) }()
	s.next(t)
	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) before the acknowledgement", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	// Nothing pending: Drain returns at once.
	if err := q.Drain(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreKeepsIDsOnce(t *testing.T) {
	now := time.Now()
	q := New(nil, Options{Logger: quiet(), Now: func() time.Time { return now }})
	id := emit(t, q, view("a"))
	saved := []wire.Event{
		{ID: id, Type: wire.EventProductView, SKU: "a", T: now.UnixMilli()},                 // already queued
		{ID: "old-1", Type: wire.EventZoom, SKU: "a", T: now.Add(-time.Minute).UnixMilli()}, // kept
		{ID: "stale", Type: wire.EventZoom, SKU: "a", T: now.Add(-48 * time.Hour).UnixMilli()},
		{ID: "bad", Type: "nope", SKU: "a", T: now.UnixMilli()},
	}
	if n := q.Restore(saved); n != 1 {
		t.Errorf("Restore kept %d, want 1", n)
	}
	if got := idsOf(q.Pending()); !slices.Equal(got, []string{id, "old-1"}) {
		t.Errorf("pending %v", got)
	}
}

func TestGesture(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var g Gesture
	var starts []int
	for _, ms := range []int{0, 16, 32, 500, 1200, 2100, 2200} {
		if g.Input(at(ms)) {
			starts = append(starts, ms)
		}
	}
	if !slices.Equal(starts, []int{0, 2100}) {
		t.Errorf("gestures began at %v, want [0 2100] (gap %v)", starts, DefaultGestureGap)
	}
	g.End()
	if !g.Input(at(2210)) {
		t.Error("an input after End did not start a new gesture")
	}
}

func TestDwell(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var d Dwell
	if _, ok := d.Start("chair", at(0), true); ok {
		t.Error("Start with nothing measured reported a dwell")
	}
	// Hidden after 3 s: 3 s reported; hidden time does not count.
	if ev, ok := d.SetVisible(false, at(3)); !ok || ev.DwellMS != 3000 || ev.SKU != "chair" || ev.Type != wire.EventDwell {
		t.Errorf("on hide: %+v %v, want 3000 ms for chair", ev, ok)
	}
	d.SetVisible(true, at(60))
	// Another product after 2 more visible seconds: the chair's 2 s.
	if ev, ok := d.Start("sofa", at(62), true); !ok || ev.DwellMS != 2000 || ev.SKU != "chair" {
		t.Errorf("on leaving: %+v %v, want 2000 ms for chair", ev, ok)
	}
	// A glimpse is not worth an event.
	if ev, ok := d.Stop(at(62.2)); ok {
		t.Errorf("a 200 ms glimpse reported %+v", ev)
	}
	if d.SKU() != "" {
		t.Error("Stop left a product measured")
	}
	if _, ok := d.SetVisible(false, at(70)); ok {
		t.Error("hiding with no product reported a dwell")
	}
	// Started in a background tab: only the visible time counts.
	d.Start("lamp", at(100), false)
	d.SetVisible(true, at(110))
	if ev, ok := d.Stop(at(111.5)); !ok || ev.DwellMS != 1500 {
		t.Errorf("lamp: %+v %v, want 1500 ms", ev, ok)
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := DefaultBackoff(i); got != w {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", i, got, w)
		}
	}
}

func idsOf(events []wire.Event) []string {
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
