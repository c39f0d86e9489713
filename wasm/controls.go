//go:build js && wasm

package main

import (
	"math"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/g3n/engine/camera"
	"github.com/g3n/engine/math32"

	"github.com/vitrine-shop/vitrine/wasm/framing"
	"github.com/vitrine-shop/vitrine/wasm/orbit"
)

// Input steps of the controls.
const (
	keyTurn    = 15 * math.Pi / 180 // an arrow key press
	keyZoom    = 1.25               // a +/- press scales the distance by this
	keyPan     = 0.08               // a Shift+arrow press pans this share of the view's height
	wheelScale = 0.0015             // distance factor e^(deltaY·wheelScale) per wheel pixel
	maxWheel   = 0.35               // |log factor| of one wheel event at most
)

// orbitControls drive the camera around the model from the canvas's own
// events: mouse, pen and touch drags (turn; right, middle or Shift-drag
// and two fingers pan), pinch and wheel zoom, and the keyboard only while
// the canvas has focus (arrows turn, Shift+arrows pan, + and - zoom, 0 or
// Home resets). g3n's OrbitControl is not used: it listens for keys on the
// whole window and turned the model while the shopper typed in the search
// box. The maths (inertia, limits) is package orbit; DOM callbacks only
// queue work for the frame loop, which owns the controller.
type orbitControls struct {
	canvas js.Value
	reset  js.Value // the "Reset view" button
	ctl    *orbit.Controller

	// enabled mirrors the camera.OrbitEnabled set on the frame loop, read
	// by DOM callbacks to drop input while orbiting is off.
	enabled atomic.Int32

	mu       sync.Mutex
	queue    []func(*orbit.Controller)
	pointers map[int]pointerState

	lastStep time.Duration
	moving   bool
}

// pointerState is an active pointer on the canvas.
type pointerState struct {
	x, y  float64 // client coordinates, CSS pixels
	touch bool
	pan   bool // this drag pans instead of turning
}

func newOrbitControls(canvas js.Value) *orbitControls {
	o := &orbitControls{
		canvas:   canvas,
		ctl:      orbit.New(orbit.View{Polar: math.Pi / 2, Distance: 2}, orbit.LimitsFor(0.5, 2)),
		pointers: make(map[int]pointerState),
	}
	o.reset = element("button", "tool reset-view", "Reset view")
	o.reset.Set("type", "button")
	o.reset.Set("id", "reset-view")
	o.reset.Set("disabled", true)
	o.reset.Call("setAttribute", "aria-controls", "g3n-canvas")
	if tools := document.Call("querySelector", "#stage .stage-tools"); !tools.IsNull() {
		tools.Call("appendChild", o.reset)
	}
	listen(o.reset, "click", func(js.Value) { o.push(func(c *orbit.Controller) { c.Reset() }) })
	o.listen()
	global.Set("vitrineViewMoving", false)
	return o
}

// Enabled and SetEnabled keep the shape of g3n's OrbitControl: the viewer
// turns orbiting on with a model, the room view turns it off.
func (o *orbitControls) Enabled() camera.OrbitEnabled { return camera.OrbitEnabled(o.enabled.Load()) }

// SetEnabled turns input on (any bit) or off (camera.OrbitNone). Call on
// the loop.
func (o *orbitControls) SetEnabled(e camera.OrbitEnabled) {
	if camera.OrbitEnabled(o.enabled.Swap(int32(e))) == e {
		return
	}
	o.reset.Set("disabled", e == camera.OrbitNone)
	if e == camera.OrbitNone {
		o.mu.Lock()
		o.queue = nil
		clear(o.pointers)
		o.mu.Unlock()
		o.ctl.Stop()
	}
}

// frameShot makes shot the home view, with zoom limits from the model's
// size and the floor and pan limits of package orbit, and goes there.
// Call on the loop.
func (o *orbitControls) frameShot(shot framing.Shot) {
	home := orbit.ViewFrom(shot.Position, shot.Target)
	limits := orbit.LimitsFor(shot.Radius, home.Distance)
	limits.MinDistance, limits.MaxDistance = shot.MinDistance, shot.MaxDistance
	o.ctl.Frame(home, limits)
	o.ctl.Smooth = !prefersReducedMotion()
	o.mu.Lock()
	o.queue = nil
	o.mu.Unlock()
}

// apply runs the queued input and the inertia, and moves cam when the
// view changed. It returns quickly; call it on the loop every frame.
func (o *orbitControls) apply(cam *camera.Camera) {
	now := monotonicNow()
	o.mu.Lock()
	queue := o.queue
	o.queue = nil
	o.mu.Unlock()
	if o.Enabled() == camera.OrbitNone {
		o.lastStep = now
		return
	}
	for _, f := range queue {
		f(o.ctl)
	}
	dt := now - o.lastStep
	o.lastStep = now
	o.ctl.Step(dt)
	if moving := o.ctl.Moving() || o.ctl.Dragging(); moving != o.moving {
		o.moving = moving
		global.Set("vitrineViewMoving", moving)
	}
	if !o.ctl.Changed() {
		return
	}
	v := o.ctl.View()
	p := v.Position()
	cam.SetPosition(float32(p[0]), float32(p[1]), float32(p[2]))
	target := math32.Vector3{X: float32(v.Target[0]), Y: float32(v.Target[1]), Z: float32(v.Target[2])}
	cam.LookAt(&target, &math32.Vector3{X: 0, Y: 1, Z: 0})
}

// push queues f for the frame loop; it never blocks.
func (o *orbitControls) push(f func(*orbit.Controller)) {
	if o.Enabled() == camera.OrbitNone {
		return
	}
	o.mu.Lock()
	o.queue = append(o.queue, f)
	o.mu.Unlock()
}

// listen wires the canvas's pointer, wheel and key events.
func (o *orbitControls) listen() {
	c := o.canvas
	listen(c, "pointerdown", func(ev js.Value) {
		if o.Enabled() == camera.OrbitNone {
			return
		}
		id := ev.Get("pointerId").Int()
		touch := ev.Get("pointerType").String() == "touch"
		button := ev.Get("button").Int()
		if !touch && button != 0 && button != 1 && button != 2 {
			return
		}
		pan := !touch && (button != 0 || ev.Get("shiftKey").Bool() || ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool())
		capturePointer(c, id)
		at := eventTime(ev)
		o.mu.Lock()
		o.pointers[id] = pointerState{x: ev.Get("clientX").Float(), y: ev.Get("clientY").Float(), touch: touch, pan: pan}
		o.mu.Unlock()
		o.push(func(c *orbit.Controller) { c.Grab(at) })
	})
	listen(c, "pointermove", func(ev js.Value) {
		id := ev.Get("pointerId").Int()
		x, y := ev.Get("clientX").Float(), ev.Get("clientY").Float()
		height := math.Max(c.Get("clientHeight").Float(), 1)
		at := eventTime(ev)
		o.mu.Lock()
		last, ok := o.pointers[id]
		if !ok {
			o.mu.Unlock()
			return
		}
		o.pointers[id] = pointerState{x: x, y: y, touch: last.touch, pan: last.pan}
		var other pointerState
		n := len(o.pointers)
		for k, p := range o.pointers {
			if k != id {
				other = p
			}
		}
		o.mu.Unlock()
		dx, dy := x-last.x, y-last.y
		perPixel := orbit.PanPerPixel(fovYDeg, height)
		switch {
		case n >= 2:
			// Two fingers: pinch to zoom, move together to pan (half
			// the finger's move is the centroid's).
			before := math.Hypot(last.x-other.x, last.y-other.y)
			after := math.Hypot(x-other.x, y-other.y)
			zoom := 1.0
			if before > 1 && after > 1 {
				zoom = before / after
			}
			o.push(func(c *orbit.Controller) { c.Drag(0, 0, zoom, -dx/2*perPixel, dy/2*perPixel, at) })
		case last.pan:
			o.push(func(c *orbit.Controller) { c.Drag(0, 0, 1, -dx*perPixel, dy*perPixel, at) })
		default:
			turn := -2 * math.Pi / height
			o.push(func(c *orbit.Controller) { c.Drag(turn*dx, turn*dy, 1, 0, 0, at) })
		}
	})
	end := func(ev js.Value) {
		id := ev.Get("pointerId").Int()
		at := eventTime(ev)
		o.mu.Lock()
		_, ok := o.pointers[id]
		delete(o.pointers, id)
		left := len(o.pointers)
		o.mu.Unlock()
		if !ok {
			return
		}
		if left == 0 {
			o.push(func(c *orbit.Controller) { c.Release(at) })
		} else {
			// One finger of two lifted: the other carries on turning
			// from where it is, without a jump.
			o.push(func(c *orbit.Controller) { c.Grab(at) })
		}
	}
	listen(c, "pointerup", end)
	listen(c, "pointercancel", end)
	listen(c, "lostpointercapture", end)
	listen(c, "wheel", func(ev js.Value) {
		ev.Call("preventDefault")
		dy := ev.Get("deltaY").Float()
		switch ev.Get("deltaMode").Int() {
		case 1: // lines
			dy *= 16
		case 2: // pages
			dy *= 400
		}
		scale := wheelScale
		if ev.Get("ctrlKey").Bool() {
			scale *= 6 // a trackpad pinch arrives as small ctrl+wheel deltas
		}
		logZoom := math.Max(-maxWheel, math.Min(maxWheel, dy*scale))
		o.push(func(c *orbit.Controller) { c.Nudge(0, 0, math.Exp(logZoom), 0, 0) })
	})
	listen(c, "keydown", func(ev js.Value) {
		if ev.Get("altKey").Bool() || ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() {
			return // browser and system shortcuts (Ctrl + is page zoom)
		}
		f, ok := keyAction(ev.Get("key").String(), ev.Get("code").String(), ev.Get("shiftKey").Bool())
		if !ok {
			return
		}
		ev.Call("preventDefault")
		o.push(f)
	})
}

// keyAction maps a key on the focused canvas to a move.
func keyAction(key, code string, shift bool) (func(*orbit.Controller), bool) {
	pan := keyPan * 2 * math.Tan(fovYDeg*math.Pi/360) // share of the view height, in distances
	switch {
	case shift && key == "ArrowLeft":
		return func(c *orbit.Controller) { c.Nudge(0, 0, 1, pan, 0) }, true
	case shift && key == "ArrowRight":
		return func(c *orbit.Controller) { c.Nudge(0, 0, 1, -pan, 0) }, true
	case shift && key == "ArrowUp":
		return func(c *orbit.Controller) { c.Nudge(0, 0, 1, 0, -pan) }, true
	case shift && key == "ArrowDown":
		return func(c *orbit.Controller) { c.Nudge(0, 0, 1, 0, pan) }, true
	case key == "ArrowLeft":
		return func(c *orbit.Controller) { c.Nudge(-keyTurn, 0, 1, 0, 0) }, true
	case key == "ArrowRight":
		return func(c *orbit.Controller) { c.Nudge(keyTurn, 0, 1, 0, 0) }, true
	case key == "ArrowUp":
		return func(c *orbit.Controller) { c.Nudge(0, -keyTurn, 1, 0, 0) }, true
	case key == "ArrowDown":
		return func(c *orbit.Controller) { c.Nudge(0, keyTurn, 1, 0, 0) }, true
	case key == "+" || key == "=" || code == "NumpadAdd":
		return func(c *orbit.Controller) { c.Nudge(0, 0, 1/keyZoom, 0, 0) }, true
	case key == "-" || key == "_" || code == "NumpadSubtract":
		return func(c *orbit.Controller) { c.Nudge(0, 0, keyZoom, 0, 0) }, true
	case key == "0" || key == "Home":
		return func(c *orbit.Controller) { c.Reset() }, true
	}
	return nil, false
}

// eventTime is an event's timestamp on the monotonic clock of
// monotonicNow.
func eventTime(ev js.Value) time.Duration {
	return time.Duration(ev.Get("timeStamp").Float() * float64(time.Millisecond))
}

// monotonicNow reads performance.now(), the clock of event timestamps.
func monotonicNow() time.Duration {
	return time.Duration(global.Get("performance").Call("now").Float() * float64(time.Millisecond))
}

func prefersReducedMotion() bool {
	mm := global.Get("matchMedia")
	if mm.Type() != js.TypeFunction {
		return false
	}
	return global.Call("matchMedia", "(prefers-reduced-motion: reduce)").Get("matches").Bool()
}

// capturePointer keeps a drag's events on the canvas when the pointer
// leaves it. The browser throws for a pointer that is no longer active
// (lifted before the event was handled); the drag then simply ends early.
func capturePointer(el js.Value, id int) {
	defer func() { _ = recover() }()
	el.Call("setPointerCapture", id)
}
