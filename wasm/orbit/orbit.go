// Package orbit is the viewer's camera controller: it turns drags,
// pinches, wheel ticks and key presses into a camera orbiting a target,
// with inertia (a released drag coasts and slows down; key presses and
// wheel ticks glide instead of jumping) and limits (the zoom stays
// between multiples of the model's size, the camera stays above the
// floor, panning keeps the target near the model). It is pure maths, free
// of the browser and of g3n, so it is tested natively; the viewer feeds it
// events and reads back View.Position once a frame.
package orbit

import (
	"math"
	"time"
)

// View is a camera placement around a target, in spherical coordinates
// with Y up: Polar is the angle from +Y (0 looks straight down, π/2 from
// the horizon) and Azimuth turns about Y, 0 looking from +Z towards -Z.
type View struct {
	Target   [3]float64
	Azimuth  float64 // radians
	Polar    float64 // radians from +Y
	Distance float64 // from the target
}

// ViewFrom is the view of a camera at position looking at target.
func ViewFrom(position, target [3]float64) View {
	d := sub(position, target)
	dist := length(d)
	if !(dist > 0) {
		return View{Target: target, Polar: math.Pi / 2, Distance: 1}
	}
	return View{
		Target:   target,
		Azimuth:  math.Atan2(d[0], d[2]),
		Polar:    math.Acos(clamp(d[1]/dist, -1, 1)),
		Distance: dist,
	}
}

// Position is where the camera is.
func (v View) Position() [3]float64 {
	s := math.Sin(v.Polar)
	return [3]float64{
		v.Target[0] + v.Distance*s*math.Sin(v.Azimuth),
		v.Target[1] + v.Distance*math.Cos(v.Polar),
		v.Target[2] + v.Distance*s*math.Cos(v.Azimuth),
	}
}

// Right and Up are the camera's screen axes in world space.
func (v View) Right() [3]float64 {
	return [3]float64{math.Cos(v.Azimuth), 0, -math.Sin(v.Azimuth)}
}

// Up is the camera's screen up axis in world space.
func (v View) Up() [3]float64 {
	back := sub(v.Position(), v.Target)
	return normalize(cross(back, v.Right()))
}

// Limits bound the view.
type Limits struct {
	MinDistance, MaxDistance float64
	// MinPolar and MaxPolar bound the polar angle: MaxPolar a little
	// past π/2 lets the camera dip to the floor's level but not under it.
	MinPolar, MaxPolar float64
	// PanRadius is how far the target may move from the home target;
	// 0 forbids panning.
	PanRadius float64
}

// Floor is the largest polar angle the viewer allows: a little below the
// horizon, never looking from under the floor a product stands on.
const Floor = math.Pi/2 + 0.15

// LimitsFor returns the limits for a model of bounding-sphere radius
// framed at homeDistance: zoom from just outside the model (1.1 radii,
// or 0.8 of the framing distance when that is nearer) out to 4 times the
// framing distance, from nearly overhead down to Floor, and panning
// within the model's bounding sphere.
func LimitsFor(radius, homeDistance float64) Limits {
	if !(radius > 0) {
		radius = 0.5
	}
	if !(homeDistance > 0) {
		homeDistance = 3 * radius
	}
	return Limits{
		MinDistance: math.Min(radius*1.1, homeDistance*0.8),
		MaxDistance: homeDistance * 4,
		MinPolar:    0.05,
		MaxPolar:    Floor,
		PanRadius:   radius,
	}
}

// Tuning of the motion.
const (
	// coastTau is the time constant of a released drag's slowing down:
	// a drag released at ω rad/s turns a further ω·coastTau.
	coastTau = 0.16
	// glideTau is how quickly a key press or wheel tick eases in: 95%
	// of it within three time constants (0.2 s).
	glideTau = 0.065
	// heldStill is how long a pointer may rest before release and still
	// throw the model: a drag held still stops dead.
	heldStill = 80 * time.Millisecond
	// velocityTau smooths the drag velocity measured from moves.
	velocityTau = 0.04
	// maxTurnRate and maxZoomRate cap a throw (radians and natural-log
	// distance per second), maxPanRate in distances per second.
	maxTurnRate = 4 * math.Pi
	maxZoomRate = 4.0
	maxPanRate  = 3.0
	// restRate is the speed below which a coast stops.
	restRate = 1e-3
)

// motion is the state of one degree of freedom's inertia.
type motion struct {
	velocity float64 // per second, while coasting (or measured while dragging)
	pending  float64 // what a key press or wheel tick still has to move
}

// axes of motion.
const (
	axAzimuth = iota
	axPolar
	axZoom // natural log of the distance
	axPanRight
	axPanUp // in units of the distance, so a pan feels the same zoomed in or out
	numAxes
)

// Controller moves a View under the shopper's input. It is not safe for
// concurrent use: the viewer calls it from its frame loop only.
type Controller struct {
	home   View
	limits Limits
	view   View
	// Smooth turns inertia on: throws coast and key presses glide. With
	// it off (prefers-reduced-motion) every input applies at once.
	Smooth bool

	axes      [numAxes]motion
	unsampled [numAxes]float64 // drag moves not yet in the velocity
	dragging  bool
	lastMove  time.Duration // clock reading of the last drag move
	moved     bool          // the view changed since Changed was last called
}

// New returns a controller at home, smooth.
func New(home View, limits Limits) *Controller {
	c := &Controller{Smooth: true}
	c.Frame(home, limits)
	return c
}

// Frame sets a new home view and limits and moves there at once.
func (c *Controller) Frame(home View, limits Limits) {
	if limits.MinDistance > limits.MaxDistance {
		limits.MinDistance, limits.MaxDistance = limits.MaxDistance, limits.MinDistance
	}
	if limits.MinPolar > limits.MaxPolar {
		limits.MinPolar, limits.MaxPolar = limits.MaxPolar, limits.MinPolar
	}
	c.limits = limits
	// Constrain home itself (pan is measured from its target).
	c.home, c.view = home, home
	c.constrain()
	c.home = c.view
	c.stop()
	c.moved = true
}

// View is the current view.
func (c *Controller) View() View { return c.view }

// Home is the view Reset returns to.
func (c *Controller) Home() View { return c.home }

// Limits are the bounds in force.
func (c *Controller) Limits() Limits { return c.limits }

// Reset returns to the home view at once and stops any motion.
func (c *Controller) Reset() {
	c.view = c.home
	c.stop()
	c.moved = true
}

// Stop ends any drag, coast or glide where the view is.
func (c *Controller) Stop() { c.stop() }

// Grab starts a drag: any coasting or gliding stops, as a hand stops a
// spinning turntable.
func (c *Controller) Grab(now time.Duration) {
	c.stop()
	c.dragging = true
	c.lastMove = now
}

// Drag applies a drag move at once: azimuth and polar in radians, zoom as
// a distance factor (a pinch; 1 is none), pan in units of the distance
// along the screen's right and up axes. now is a monotonic clock reading,
// used to measure the velocity a release throws with.
func (c *Controller) Drag(dAzimuth, dPolar, zoom, panRight, panUp float64, now time.Duration) {
	if !c.dragging {
		c.Grab(now)
	}
	logZoom := 0.0
	if zoom > 0 && !math.IsInf(zoom, 0) {
		logZoom = math.Log(zoom)
	}
	deltas := [numAxes]float64{dAzimuth, dPolar, logZoom, panRight, panUp}
	for i := range c.axes {
		d := deltas[i]
		if math.IsNaN(d) || math.IsInf(d, 0) {
			d = 0
		}
		c.move(i, d)
		c.unsampled[i] += d
	}
	// Measure the velocity from the moves since the last sample, at most
	// once a millisecond (several pointer events can share a timestamp);
	// a long pause restarts the measure.
	dt := (now - c.lastMove).Seconds()
	if dt < 1e-3 {
		return
	}
	a := 1 - math.Exp(-dt/velocityTau)
	if dt > heldStill.Seconds() {
		a = 1
	}
	for i := range c.axes {
		c.axes[i].velocity += a * (c.unsampled[i]/dt - c.axes[i].velocity)
	}
	c.unsampled = [numAxes]float64{}
	c.lastMove = now
}

// Release ends a drag at now. With Smooth on, and when the pointer was
// still moving, the view coasts on at the measured velocity, slowing
// down; otherwise it stops.
func (c *Controller) Release(now time.Duration) {
	if !c.dragging {
		return
	}
	c.dragging = false
	if !c.Smooth || now-c.lastMove > heldStill {
		c.stop()
		return
	}
	caps := [numAxes]float64{maxTurnRate, maxTurnRate, maxZoomRate, maxPanRate, maxPanRate}
	for i := range c.axes {
		c.axes[i].velocity = clamp(c.axes[i].velocity, -caps[i], caps[i])
	}
}

// Dragging reports whether a drag is under way.
func (c *Controller) Dragging() bool { return c.dragging }

// Nudge queues a step from a key press or a wheel tick: it glides in over
// the next frames (at once without Smooth). Steps add up, so holding a key
// turns steadily. Units are those of Drag.
func (c *Controller) Nudge(dAzimuth, dPolar, zoom, panRight, panUp float64) {
	logZoom := 0.0
	if zoom > 0 && !math.IsInf(zoom, 0) {
		logZoom = math.Log(zoom)
	}
	deltas := [numAxes]float64{dAzimuth, dPolar, logZoom, panRight, panUp}
	for i, d := range deltas {
		if math.IsNaN(d) || math.IsInf(d, 0) || d == 0 {
			continue
		}
		c.axes[i].velocity = 0
		if c.Smooth {
			c.axes[i].pending += d
		} else {
			c.move(i, d)
		}
	}
}

// Step advances coasting and gliding by dt and reports whether the view
// is still in motion afterwards.
func (c *Controller) Step(dt time.Duration) bool {
	s := dt.Seconds()
	if !(s > 0) {
		return c.Moving()
	}
	s = math.Min(s, 0.25) // a stalled tab resumes without a leap
	decay := math.Exp(-s / coastTau)
	glide := 1 - math.Exp(-s/glideTau)
	for i := range c.axes {
		ax := &c.axes[i]
		if !c.dragging && ax.velocity != 0 {
			// The integral of v·e^(-t/τ) over the step.
			c.move(i, ax.velocity*coastTau*(1-decay))
			ax.velocity *= decay
			if math.Abs(ax.velocity) < restRate {
				ax.velocity = 0
			}
		}
		if ax.pending != 0 {
			d := ax.pending * glide
			if math.Abs(ax.pending-d) < 1e-4 {
				d = ax.pending
			}
			ax.pending -= d
			c.move(i, d)
		}
	}
	return c.Moving()
}

// Moving reports whether the view will change without further input.
func (c *Controller) Moving() bool {
	if c.dragging {
		return false
	}
	for _, ax := range c.axes {
		if ax.velocity != 0 || ax.pending != 0 {
			return true
		}
	}
	return false
}

// Changed reports whether the view changed since the last call.
func (c *Controller) Changed() bool {
	m := c.moved
	c.moved = false
	return m
}

// PanPerPixel converts a pointer movement in CSS pixels into the pan
// units of Drag (distances): a point on the target's plane follows the
// pointer, for a perspective camera with vertical field of view fovYDeg
// on a canvas heightPx tall.
func PanPerPixel(fovYDeg, heightPx float64) float64 {
	if !(heightPx > 0) {
		heightPx = 1
	}
	return 2 * math.Tan(fovYDeg*math.Pi/360) / heightPx
}

// move applies d on one axis within the limits; motion that runs into a
// limit stops.
func (c *Controller) move(axis int, d float64) {
	if d == 0 {
		return
	}
	before := c.view
	switch axis {
	case axAzimuth:
		c.view.Azimuth = math.Remainder(c.view.Azimuth+d, 2*math.Pi)
	case axPolar:
		c.view.Polar += d
	case axZoom:
		c.view.Distance *= math.Exp(d)
	case axPanRight, axPanUp:
		dir := c.view.Right()
		if axis == axPanUp {
			dir = c.view.Up()
		}
		step := d * c.view.Distance
		for k := range 3 {
			c.view.Target[k] += dir[k] * step
		}
	}
	blocked := c.constrain()
	if blocked[axis] {
		c.axes[axis].velocity, c.axes[axis].pending = 0, 0
	}
	if c.view != before {
		c.moved = true
	}
}

// constrain clamps the view to the limits and reports which axes hit one.
func (c *Controller) constrain() (blocked [numAxes]bool) {
	l := c.limits
	if l.MaxPolar > 0 || l.MinPolar > 0 {
		if c.view.Polar < l.MinPolar {
			c.view.Polar, blocked[axPolar] = l.MinPolar, true
		}
		if c.view.Polar > l.MaxPolar {
			c.view.Polar, blocked[axPolar] = l.MaxPolar, true
		}
	}
	c.view.Polar = clamp(c.view.Polar, 1e-4, math.Pi-1e-4)
	if l.MaxDistance > 0 {
		if c.view.Distance < l.MinDistance {
			c.view.Distance, blocked[axZoom] = l.MinDistance, true
		}
		if c.view.Distance > l.MaxDistance {
			c.view.Distance, blocked[axZoom] = l.MaxDistance, true
		}
	}
	if !(c.view.Distance > 0) {
		c.view.Distance = math.Max(l.MinDistance, 1e-3)
	}
	if l.PanRadius >= 0 {
		off := sub(c.view.Target, c.home.Target)
		if r := length(off); r > l.PanRadius {
			scale := l.PanRadius / r
			for k := range 3 {
				c.view.Target[k] = c.home.Target[k] + off[k]*scale
			}
			blocked[axPanRight], blocked[axPanUp] = true, true
		}
	}
	return blocked
}

func (c *Controller) stop() {
	c.axes = [numAxes]motion{}
	c.unsampled = [numAxes]float64{}
	c.dragging = false
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

func length(v [3]float64) float64 { return math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2]) }

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func normalize(v [3]float64) [3]float64 {
	l := length(v)
	if l == 0 {
		return v
	}
	return [3]float64{v[0] / l, v[1] / l, v[2] / l}
}
