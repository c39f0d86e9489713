package signals

import (
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// DefaultGestureGap is the pause after which the next input starts a new
// gesture.
const DefaultGestureGap = 800 * time.Millisecond

// Gesture turns a stream of inputs (pointer moves, wheel ticks, key
// presses) into gestures, so a drag or a pinch is one rotate or zoom event
// rather than hundreds. The zero value uses DefaultGestureGap.
type Gesture struct {
	// Gap is the pause that ends a gesture.
	Gap time.Duration

	last   time.Time
	active bool
}

// Input records one input at now and reports whether it starts a new
// gesture (the moment to emit the event).
func (g *Gesture) Input(now time.Time) bool {
	gap := g.Gap
	if gap <= 0 {
		gap = DefaultGestureGap
	}
	start := !g.active || now.Sub(g.last) > gap
	g.last, g.active = now, true
	return start
}

// End ends the current gesture (a pointer was lifted): the next input
// starts a new one.
func (g *Gesture) End() { g.active = false }

// MinDwell is the shortest visible time worth a dwell event; shorter
// glimpses (a product passed through on the way elsewhere) are not sent.
const MinDwell = 500 * time.Millisecond

// Dwell measures how long a product page is visible: the clock runs only
// while the page is shown (not in a background tab). Each report returns
// the visible time since the previous one, so a dwell event is sent when
// the shopper leaves the product or hides the page, and a new one starts
// counting when the page is shown again.
type Dwell struct {
	sku     string
	since   time.Time // when the current visible stretch began
	visible bool
	shown   time.Duration // visible time not yet reported
}

// Start begins measuring sku at now, visible or not. A product being
// measured is reported first, as Stop would.
func (d *Dwell) Start(sku string, now time.Time, visible bool) (prev wire.Event, ok bool) {
	prev, ok = d.Stop(now)
	d.sku, d.visible, d.since, d.shown = sku, visible, now, 0
	return prev, ok
}

// SetVisible records that the page became visible or hidden at now. On
// hiding it returns the dwell event for the stretch that ended.
func (d *Dwell) SetVisible(visible bool, now time.Time) (wire.Event, bool) {
	if d.sku == "" || visible == d.visible {
		return wire.Event{}, false
	}
	if visible {
		d.visible, d.since = true, now
		return wire.Event{}, false
	}
	d.shown += now.Sub(d.since)
	d.visible = false
	return d.report()
}

// Stop ends the measurement at now (the shopper left the product) and
// returns the dwell event for the time not yet reported.
func (d *Dwell) Stop(now time.Time) (wire.Event, bool) {
	if d.sku == "" {
		return wire.Event{}, false
	}
	if d.visible {
		d.shown += now.Sub(d.since)
		d.since = now
	}
	ev, ok := d.report()
	d.sku = ""
	return ev, ok
}

// SKU returns the product being measured, or "".
func (d *Dwell) SKU() string { return d.sku }

func (d *Dwell) report() (wire.Event, bool) {
	shown := d.shown
	d.shown = 0
	if shown < MinDwell {
		return wire.Event{}, false
	}
	ms := min(shown.Milliseconds(), int64(wire.MaxDurationMS))
	return wire.Event{Type: wire.EventDwell, SKU: d.sku, DwellMS: ms}, true
}
