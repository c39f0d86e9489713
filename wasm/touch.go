//go:build js && wasm

package main

import (
	"math"
	"sync"
	"syscall/js"
)

// touchOrbit turns touch gestures on the canvas into orbit moves: one
// finger turns the model, two fingers pinch to zoom. g3n's canvas only
// listens to mouse events, which touch drags do not produce. The pointer
// callbacks only accumulate; the frame loop applies the result.
type touchOrbit struct {
	mu     sync.Mutex
	points map[int][2]float64 // active touch pointers, CSS pixels
	// Accumulated since the frame loop last took them.
	theta, phi float64 // radians
	zoom       float64 // distance factor; 1 is no change
}

func newTouchOrbit(canvas js.Value) *touchOrbit {
	g := &touchOrbit{points: make(map[int][2]float64), zoom: 1}
	pos := func(ev js.Value) [2]float64 {
		return [2]float64{ev.Get("offsetX").Float(), ev.Get("offsetY").Float()}
	}
	isTouch := func(ev js.Value) bool { return ev.Get("pointerType").String() == "touch" }
	listen(canvas, "pointerdown", func(ev js.Value) {
		if !isTouch(ev) {
			return
		}
		id := ev.Get("pointerId").Int()
		canvas.Call("setPointerCapture", id)
		g.mu.Lock()
		g.points[id] = pos(ev)
		g.mu.Unlock()
	})
	listen(canvas, "pointermove", func(ev js.Value) {
		if !isTouch(ev) {
			return
		}
		id := ev.Get("pointerId").Int()
		height := math.Max(canvas.Get("clientHeight").Float(), 1)
		p := pos(ev)
		g.mu.Lock()
		defer g.mu.Unlock()
		last, ok := g.points[id]
		if !ok {
			return
		}
		switch len(g.points) {
		case 1:
			g.theta += -2 * math.Pi * (p[0] - last[0]) / height
			g.phi += -2 * math.Pi * (p[1] - last[1]) / height
		case 2:
			var other [2]float64
			for k, v := range g.points {
				if k != id {
					other = v
				}
			}
			before := math.Hypot(last[0]-other[0], last[1]-other[1])
			after := math.Hypot(p[0]-other[0], p[1]-other[1])
			if before > 1 && after > 1 {
				g.zoom *= before / after
			}
		}
		g.points[id] = p
	})
	end := func(ev js.Value) {
		g.mu.Lock()
		delete(g.points, ev.Get("pointerId").Int())
		g.mu.Unlock()
	}
	listen(canvas, "pointerup", end)
	listen(canvas, "pointercancel", end)
	return g
}

// take returns and resets the accumulated gesture.
func (g *touchOrbit) take() (theta, phi, zoom float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	theta, phi, zoom = g.theta, g.phi, g.zoom
	g.theta, g.phi, g.zoom = 0, 0, 1
	return theta, phi, zoom
}
