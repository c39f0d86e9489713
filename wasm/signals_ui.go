//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"syscall/js"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/client"
	"github.com/vitrine-shop/vitrine/wasm/privacy"
	"github.com/vitrine-shop/vitrine/wasm/signals"
	"github.com/vitrine-shop/vitrine/wire"
)

// Browser storage keys of the signals hook. The session id and unsent
// events live in sessionStorage (this tab only, gone when it closes); the
// consent choice in localStorage (privacy.StorageKey).
const (
	sessionStorageKey = "vitrine.session.v1"
	pendingStorageKey = "vitrine.pending-signals.v1"
)

// Timeouts of the signals hook's calls.
const (
	signalSendTimeout = 30 * time.Second
	// recsAfterViewWait bounds how long a recommendation list waits for
	// the product_view that should shape it to be acknowledged.
	recsAfterViewWait = 1500 * time.Millisecond
	callTimeout       = 30 * time.Second
)

// uiTask is work for the controller's goroutine, posted by background
// goroutines of the signals hook (recommendations, "Your data").
type uiTask func(ctx context.Context, u *ui)

// signalsUI is the viewer's side of interaction signals: it emits the
// shopper's events through one signals.Queue, and owns the consent banner,
// the recommendation lists and the "Your data" page. Methods without a
// note run on the controller's goroutine; the DOM callbacks it registers
// only read the event, take a short lock and queue.
type signalsUI struct {
	ctx context.Context // the program's, for work started by the controller's hooks
	u   *ui
	c   *client.Client
	q   *signals.Queue
	log *slog.Logger

	// Guarded by mu: touched by DOM callbacks, the controller and the
	// queue's OnAck.
	mu       sync.Mutex
	dwell    signals.Dwell
	sku      string    // the product page shown, "" elsewhere
	openedAt time.Time // when it was opened
	loaded   bool      // its model_loaded was sent
	rotate   signals.Gesture
	zoom     signals.Gesture
	touches  map[int]bool // active touch pointers on the canvas
	waiters  map[string][]chan struct{}
	session  string // the session id last saved to sessionStorage

	// Controller-owned.
	consent string // the level in force
	chosen  bool   // the shopper has made a choice
	recs    *recsUI
	data    *yourDataPage
	banner  *consentBanner
	cart    js.Value // the product page's "Add to cart" button
	cartMsg js.Value // its confirmation
}

// storage returns window.localStorage or window.sessionStorage, or an
// undefined value where the browser refuses it (storage disabled).
func storage(name string) (s js.Value) {
	defer func() {
		if recover() != nil {
			s = js.Undefined()
		}
	}()
	return global.Get(name)
}

// storageGet reads a key, "" when absent or when storage is unavailable.
func storageGet(name, key string) (v string) {
	defer func() {
		if recover() != nil {
			v = ""
		}
	}()
	s := storage(name)
	if s.IsUndefined() || s.IsNull() {
		return ""
	}
	item := s.Call("getItem", key)
	if item.Type() != js.TypeString {
		return ""
	}
	return item.String()
}

// storageSet writes a key ("" removes it); a full or disabled storage is
// ignored: remembering is a convenience.
func storageSet(name, key, value string) {
	defer func() { _ = recover() }()
	s := storage(name)
	if s.IsUndefined() || s.IsNull() {
		return
	}
	if value == "" {
		s.Call("removeItem", key)
		return
	}
	s.Call("setItem", key, value)
}

// storedConsent is the consent level the first hello sends: the
// shopper's remembered choice, or none until they choose.
func storedConsent() string {
	consent, _ := privacy.Stored(storageGet("localStorage", privacy.StorageKey))
	return consent
}

// newSignalsUI builds the signals hook for u, resumes this tab's session,
// restores events an earlier page could not send, and starts sending.
// Call it before the client runs.
func newSignalsUI(ctx context.Context, u *ui) *signalsUI {
	s := &signalsUI{
		ctx: ctx, u: u, c: u.c, log: u.log,
		touches: make(map[int]bool),
		waiters: make(map[string][]chan struct{}),
	}
	s.consent, s.chosen = privacy.Stored(storageGet("localStorage", privacy.StorageKey))
	if id := storageGet("sessionStorage", sessionStorageKey); id != "" && len(id) <= wire.MaxSessionBytes {
		s.session = id
		s.c.Resume(id)
	}
	s.q = signals.New(s.send, signals.Options{Logger: u.log, OnAck: s.acked})
	if saved := storageGet("sessionStorage", pendingStorageKey); saved != "" {
		var events []wire.Event
		if err := json.Unmarshal([]byte(saved), &events); err == nil {
			if n := s.q.Restore(events); n > 0 {
				s.log.Info("signals: restored unsent events", "events", n)
			}
		}
		storageSet("sessionStorage", pendingStorageKey, "")
	}
	s.recs = newRecsUI(s)
	s.data = newYourDataPage(s)
	s.banner = newConsentBanner(s)
	s.bindProductPage()
	s.bindPage()
	go func() { _ = s.q.Run(ctx) }()
	global.Set("vitrineSignals", js.FuncOf(func(js.Value, []js.Value) any {
		st := s.q.Stats()
		return map[string]any{"queued": st.Queued, "emitted": st.Emitted, "acked": st.Acked,
			"dropped": st.Dropped, "rejected": st.Rejected, "failures": st.Failures}
	}))
	return s
}

// send is the queue's SendFunc: one signal message over the client. It
// runs on the queue's goroutine.
func (s *signalsUI) send(ctx context.Context, batch wire.Signal) (wire.SignalAck, error) {
	ctx, cancel := context.WithTimeout(ctx, signalSendTimeout)
	defer cancel()
	var ack wire.SignalAck
	err := s.c.Call(ctx, wire.TypeSignal, batch, &ack)
	if err == nil {
		s.rememberSession()
	}
	return ack, err
}

// rememberSession keeps the session id in this tab's sessionStorage, so a
// reload continues the session (and "Your data" still shows its events).
// It may run on any goroutine.
func (s *signalsUI) rememberSession() {
	id := s.c.Session()
	s.mu.Lock()
	changed := id != "" && id != s.session
	if changed {
		s.session = id
	}
	s.mu.Unlock()
	if changed {
		storageSet("sessionStorage", sessionStorageKey, id)
	}
}

// acked is the queue's OnAck: it wakes whoever waits for those events.
func (s *signalsUI) acked(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		for _, ch := range s.waiters[id] {
			close(ch)
		}
		delete(s.waiters, id)
	}
}

// emit queues one event; it never blocks.
func (s *signalsUI) emit(e wire.Event) string {
	id, err := s.q.Emit(e)
	if err != nil {
		s.log.Warn("signals: event not recorded", "type", e.Type, "err", err)
	}
	return id
}

// emitNow queues an event, sends it at once and returns a channel closed
// when the server has acknowledged it (never closed if it was refused).
func (s *signalsUI) emitNow(e wire.Event) <-chan struct{} {
	done := make(chan struct{})
	s.mu.Lock()
	id, err := s.q.Emit(e)
	if err == nil {
		s.waiters[id] = append(s.waiters[id], done)
	}
	s.mu.Unlock()
	if err != nil {
		s.log.Warn("signals: event not recorded", "type", e.Type, "err", err)
	}
	s.q.Flush()
	return done
}

// pageVisible reports whether the page is shown (not a background tab).
func pageVisible() bool {
	return document.Get("visibilityState").String() != "hidden"
}

// productOpened records a product page being opened: the dwell of the
// page before, product_view at once, and the recommendations around it
// once the view is acknowledged.
func (s *signalsUI) productOpened(ctx context.Context, sku string) {
	now := time.Now()
	s.mu.Lock()
	prev, hadDwell := s.dwell.Start(sku, now, pageVisible())
	s.sku, s.openedAt, s.loaded = sku, now, false
	s.mu.Unlock()
	if hadDwell {
		s.emit(prev)
	}
	viewed := s.emitNow(wire.Event{Type: wire.EventProductView, SKU: sku})
	s.resetCart()
	s.recs.productOpened(ctx, sku, viewed)
}

// catalogShown records leaving a product page (its dwell) and refreshes
// the front page's recommendations.
func (s *signalsUI) catalogShown() {
	s.leaveProduct()
	s.recs.homeShown(s.ctx)
}

// leaveProduct sends the dwell of the product page being left, if any.
func (s *signalsUI) leaveProduct() {
	s.mu.Lock()
	prev, hadDwell := s.dwell.Stop(time.Now())
	s.sku = ""
	s.mu.Unlock()
	if hadDwell {
		s.emit(prev)
		s.q.Flush()
	}
}

// modelLoaded records that sku's model finished loading (its final
// level is on screen), once per product page.
func (s *signalsUI) modelLoaded(sku string) {
	s.mu.Lock()
	first := s.sku == sku && !s.loaded
	s.loaded = s.loaded || first
	loadMS := time.Since(s.openedAt).Milliseconds()
	s.mu.Unlock()
	if first {
		s.emit(wire.Event{Type: wire.EventModelLoaded, SKU: sku, LoadMS: min(loadMS, wire.MaxDurationMS)})
	}
}

// gesture emits a rotate or zoom event when input starts a new gesture on
// the product shown. It runs in DOM callbacks: a short lock, no waiting.
func (s *signalsUI) gesture(kind string, end bool) {
	s.mu.Lock()
	g := &s.rotate
	if kind == wire.EventZoom {
		g = &s.zoom
	}
	if end {
		g.End()
		s.mu.Unlock()
		return
	}
	sku := s.sku
	start := sku != "" && g.Input(time.Now())
	s.mu.Unlock()
	if start {
		s.emit(wire.Event{Type: kind, SKU: sku})
	}
}

// bindPage listens to the page's visibility: hiding it ends a dwell
// stretch, sends what is queued and saves what is still unsent, so the
// next page load of this tab sends it.
func (s *signalsUI) bindPage() {
	listen(document, "visibilitychange", func(js.Value) {
		visible := pageVisible()
		s.mu.Lock()
		ev, ok := s.dwell.SetVisible(visible, time.Now())
		s.mu.Unlock()
		if ok {
			s.emit(ev)
		}
		if !visible {
			s.q.Flush()
			s.savePending()
		}
	})
	listen(global, "pagehide", func(js.Value) {
		s.mu.Lock()
		ev, ok := s.dwell.SetVisible(false, time.Now())
		s.mu.Unlock()
		if ok {
			s.emit(ev)
		}
		s.q.Flush()
		s.savePending()
	})
	listen(global, "pageshow", func(ev js.Value) {
		if ev.Get("persisted").Bool() { // back from the back/forward cache
			s.mu.Lock()
			s.dwell.SetVisible(true, time.Now())
			s.mu.Unlock()
			storageSet("sessionStorage", pendingStorageKey, "")
		}
	})
}

// savePending writes the unacknowledged events to sessionStorage.
func (s *signalsUI) savePending() {
	pending := s.q.Pending()
	if len(pending) == 0 {
		storageSet("sessionStorage", pendingStorageKey, "")
		return
	}
	data, err := json.Marshal(pending)
	if err == nil {
		storageSet("sessionStorage", pendingStorageKey, string(data))
	}
}

// bindProductPage adds the "Add to cart" button and its confirmation to
// the product details, and watches the 3D canvas for rotate and zoom
// gestures (alongside g3n's own handlers, never instead of them).
func (s *signalsUI) bindProductPage() {
	row := element("div", "cart-row", "")
	s.cart = element("button", "pill-button primary", "Add to cart")
	s.cart.Set("type", "button")
	s.cart.Set("id", "add-to-cart")
	s.cartMsg = element("p", "cart-note", "")
	s.cartMsg.Set("id", "cart-note")
	setHidden(s.cartMsg, true)
	row.Call("appendChild", s.cart)
	row.Call("appendChild", s.cartMsg)
	facts := document.Call("querySelector", "#product-view .facts")
	if !facts.IsNull() {
		facts.Get("parentNode").Call("insertBefore", row, facts)
	}
	listen(s.cart, "click", func(js.Value) {
		s.u.post(uiTask(func(ctx context.Context, u *ui) { s.addToCart(u) }))
	})

	canvas := byID("g3n-canvas")
	listen(canvas, "pointerdown", func(ev js.Value) {
		if ev.Get("pointerType").String() == "touch" {
			s.mu.Lock()
			s.touches[ev.Get("pointerId").Int()] = true
			s.mu.Unlock()
		}
		s.gesture(wire.EventRotate, true)
	})
	listen(canvas, "pointermove", func(ev js.Value) {
		if ev.Get("pointerType").String() == "touch" {
			s.mu.Lock()
			n := len(s.touches)
			s.mu.Unlock()
			switch n {
			case 1:
				s.gesture(wire.EventRotate, false)
			case 2:
				s.gesture(wire.EventZoom, false)
			}
			return
		}
		if ev.Get("buttons").Int()&1 != 0 { // a primary-button drag turns the model
			s.gesture(wire.EventRotate, false)
		}
	})
	end := func(ev js.Value) {
		s.mu.Lock()
		delete(s.touches, ev.Get("pointerId").Int())
		s.mu.Unlock()
		s.gesture(wire.EventRotate, true)
	}
	listen(canvas, "pointerup", end)
	listen(canvas, "pointercancel", end)
	listen(canvas, "wheel", func(js.Value) { s.gesture(wire.EventZoom, false) })
	listen(canvas, "keydown", func(ev js.Value) {
		switch ev.Get("key").String() {
		case "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown":
			s.gesture(wire.EventRotate, false)
		}
	})
}

// resetCart readies the "Add to cart" button for a newly opened product.
func (s *signalsUI) resetCart() {
	s.cart.Set("disabled", false)
	setText(s.cart, "Add to cart")
	setHidden(s.cartMsg, true)
	setText(s.cartMsg, "")
}

// addToCart records the intent (the shop has no checkout) and confirms it.
func (s *signalsUI) addToCart(u *ui) {
	if u.current == "" {
		return
	}
	s.emitNow(wire.Event{Type: wire.EventAddToCart, SKU: u.current})
	name := u.products[u.current].Name
	if name == "" {
		name = "This product"
	}
	msg := name + " is in your cart. This demo shop has no checkout, so nothing will be charged."
	setText(s.cart, "Added to cart ✓")
	setText(s.cartMsg, msg)
	setHidden(s.cartMsg, false)
	u.announce(msg)
}
