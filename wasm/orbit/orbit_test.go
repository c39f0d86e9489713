package orbit

import (
	"math"
	"testing"
	"time"
)

const eps = 1e-9

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func nearVec(a, b [3]float64, tol float64) bool {
	return near(a[0], b[0], tol) && near(a[1], b[1], tol) && near(a[2], b[2], tol)
}

// home is a three-quarter view of a model of radius 0.5 at the origin.
func home() (View, Limits) {
	v := ViewFrom([3]float64{1, 0.9, 1.8}, [3]float64{0, 0, 0})
	return v, LimitsFor(0.5, v.Distance)
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestViewFromRoundTrips(t *testing.T) {
	for _, pos := range [][3]float64{{1, 0.9, 1.8}, {0, 0, 3}, {-2, 1, -0.5}, {0.3, -0.2, 0.1}} {
		target := [3]float64{0.1, 0.2, -0.3}
		v := ViewFrom(pos, target)
		if got := v.Position(); !nearVec(got, pos, 1e-9) {
			t.Errorf("ViewFrom(%v).Position() = %v", pos, got)
		}
	}
	v := ViewFrom([3]float64{0, 0, 2}, [3]float64{})
	if !nearVec(v.Right(), [3]float64{1, 0, 0}, eps) || !nearVec(v.Up(), [3]float64{0, 1, 0}, eps) {
		t.Errorf("front view: right %v up %v, want +X and +Y", v.Right(), v.Up())
	}
}

func TestLimitsFor(t *testing.T) {
	l := LimitsFor(0.5, 2)
	if !near(l.MinDistance, 0.55, eps) || !near(l.MaxDistance, 8, eps) || l.PanRadius != 0.5 || l.MaxPolar != Floor {
		t.Errorf("LimitsFor(0.5, 2) = %+v", l)
	}
	// A close framing never puts the nearest zoom behind the camera's home.
	if l := LimitsFor(1, 1); l.MinDistance > 0.8 {
		t.Errorf("LimitsFor(1, 1).MinDistance = %v, want at most 0.8 of the home distance", l.MinDistance)
	}
	if l := LimitsFor(0, 0); !(l.MinDistance > 0 && l.MaxDistance > l.MinDistance) {
		t.Errorf("degenerate LimitsFor = %+v", l)
	}
}

func TestDragMovesAtOnceAndStopsWhenHeldStill(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Grab(ms(1000))
	for i := 1; i <= 10; i++ {
		c.Drag(0.05, 0, 1, 0, 0, ms(1000+16*i))
	}
	if got := c.View().Azimuth - h.Azimuth; !near(got, 0.5, 1e-9) {
		t.Errorf("ten drags of 0.05 rad turned %v, want 0.5", got)
	}
	// The pointer rests 200 ms before lifting: no throw.
	c.Release(ms(1000 + 160 + 200))
	if c.Moving() {
		t.Errorf("a drag held still before release still moves")
	}
	before := c.View()
	c.Step(ms(16))
	if c.View() != before {
		t.Errorf("the view moved after a still release")
	}
}

func TestThrowCoastsAndDecays(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Grab(0)
	for i := 1; i <= 6; i++ {
		c.Drag(0.032, 0, 1, 0, 0, ms(16*i)) // 2 rad/s
	}
	released := c.View().Azimuth
	c.Release(ms(100))
	if !c.Moving() {
		t.Fatal("a drag released while moving does not coast")
	}
	var speeds []float64
	last := released
	for range 120 { // two seconds at 60 Hz
		c.Step(ms(16))
		az := c.View().Azimuth
		speeds = append(speeds, (az-last)/0.016)
		last = az
	}
	if c.Moving() {
		t.Errorf("still coasting after two seconds")
	}
	for i := 1; i < len(speeds); i++ {
		if speeds[i] > speeds[i-1]+1e-12 || speeds[i] < 0 {
			t.Fatalf("coast speed went %v → %v at step %d: want a steady slowdown", speeds[i-1], speeds[i], i)
		}
	}
	if speeds[0] < 1 || speeds[0] > 2.2 {
		t.Errorf("coast starts at %.2f rad/s, want about the 2 rad/s of the drag", speeds[0])
	}
	// It travels about velocity × coastTau further.
	if travel := last - released; travel < 0.2 || travel > 0.4 {
		t.Errorf("coasted %.3f rad, want about %.2f", travel, 2*coastTau)
	}
}

func TestGrabStopsACoast(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Grab(0)
	for i := 1; i <= 4; i++ {
		c.Drag(0.05, 0, 1, 0, 0, ms(16*i))
	}
	c.Release(ms(70))
	c.Step(ms(16))
	c.Grab(ms(90))
	before := c.View()
	c.Step(ms(16))
	if c.View() != before || c.Moving() {
		t.Errorf("the view kept moving after being grabbed")
	}
}

func TestReducedMotionAppliesAtOnce(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Smooth = false
	c.Nudge(0.3, 0, 1, 0, 0)
	if got := c.View().Azimuth - h.Azimuth; !near(got, 0.3, 1e-9) || c.Moving() {
		t.Errorf("nudge without smoothing turned %v (moving %v), want 0.3 at once", got, c.Moving())
	}
	c.Grab(0)
	for i := 1; i <= 4; i++ {
		c.Drag(0.05, 0, 1, 0, 0, ms(16*i))
	}
	c.Release(ms(70))
	if c.Moving() {
		t.Errorf("a throw coasts with smoothing off")
	}
}

func TestNudgeGlidesToItsExactAmount(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Nudge(math.Pi/12, 0, 1, 0, 0)
	c.Nudge(math.Pi/12, 0, 1, 0, 0) // a held key repeats
	frames := 0
	for c.Step(ms(16)) {
		frames++
		if frames > 120 {
			t.Fatal("a nudge never settles")
		}
	}
	if got := c.View().Azimuth - h.Azimuth; !near(got, math.Pi/6, 1e-9) {
		t.Errorf("two 15° nudges turned %.6f rad, want %.6f", got, math.Pi/6)
	}
	if frames < 5 || frames > 40 {
		t.Errorf("the nudge took %d frames; want a glide of a few hundred ms", frames)
	}
}

func TestZoomLimits(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Nudge(0, 0, 1e-3, 0, 0) // far too close
	for c.Step(ms(16)) {
	}
	if got := c.View().Distance; !near(got, l.MinDistance, 1e-12) {
		t.Errorf("zoomed in to %v, want the limit %v", got, l.MinDistance)
	}
	c.Grab(0)
	c.Drag(0, 0, 1e6, 0, 0, ms(16)) // a huge pinch out
	if got := c.View().Distance; !near(got, l.MaxDistance, 1e-12) {
		t.Errorf("zoomed out to %v, want the limit %v", got, l.MaxDistance)
	}
	// A throw into the limit stops there instead of pushing on.
	c.Drag(0, 0, 1.5, 0, 0, ms(32))
	c.Release(ms(40))
	if c.Moving() {
		c.Step(ms(16))
	}
	if got := c.View().Distance; got > l.MaxDistance+1e-12 {
		t.Errorf("a throw passed the zoom limit: %v > %v", got, l.MaxDistance)
	}
}

func TestNeverUnderTheFloorOrOverTheTop(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Nudge(0, 10, 1, 0, 0) // keep pressing "down"
	for c.Step(ms(16)) {
	}
	if got := c.View().Polar; !near(got, Floor, 1e-12) {
		t.Errorf("polar angle %v, want it held at the floor limit %v", got, Floor)
	}
	if y := c.View().Position()[1]; y < -math.Sin(0.15)*c.View().Distance-1e-9 {
		t.Errorf("camera at y %v, below the floor limit", y)
	}
	c.Nudge(0, -10, 1, 0, 0)
	for c.Step(ms(16)) {
	}
	if got := c.View().Polar; !near(got, l.MinPolar, 1e-12) {
		t.Errorf("polar angle %v, want the top limit %v", got, l.MinPolar)
	}
}

func TestPanStaysNearTheModel(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Grab(0)
	c.Drag(0, 0, 1, 0.1, 0, ms(16))
	moved := c.View().Target
	want := h.Right()
	step := 0.1 * h.Distance
	if !nearVec(moved, [3]float64{want[0] * step, want[1] * step, want[2] * step}, 1e-9) {
		t.Errorf("pan right moved the target to %v, want %v along the screen's right", moved, want)
	}
	// The camera moves with the target: same angles and distance.
	if v := c.View(); !near(v.Distance, h.Distance, eps) || !near(v.Azimuth, h.Azimuth, eps) {
		t.Errorf("pan changed the angle or distance: %+v", v)
	}
	for i := 2; i < 200; i++ {
		c.Drag(0, 0, 1, 0.2, 0.1, ms(16*i))
	}
	if off := length(sub(c.View().Target, h.Target)); off > l.PanRadius+1e-9 {
		t.Errorf("panned %v from the model, want at most %v", off, l.PanRadius)
	}
}

func TestResetRestoresHome(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Grab(0)
	c.Drag(0.4, 0.2, 1.3, 0.05, -0.02, ms(16))
	c.Drag(0.1, 0, 1, 0, 0, ms(32))
	c.Release(ms(40))
	c.Nudge(0.2, 0, 0.8, 0, 0)
	c.Step(ms(16))
	c.Changed()
	c.Reset()
	if c.View() != c.Home() || c.Moving() || !c.Changed() {
		t.Errorf("after Reset: view %+v, moving %v; want home %+v, still, changed", c.View(), c.Moving(), c.Home())
	}
	if c.Changed() {
		t.Errorf("Changed reported twice")
	}
	if !nearVec(c.View().Position(), h.Position(), 1e-9) {
		t.Errorf("reset position %v, want %v", c.View().Position(), h.Position())
	}
}

func TestPanPerPixel(t *testing.T) {
	// With a 90° field of view the view is 2 distances tall.
	if got := PanPerPixel(90, 500); !near(got, 2.0/500, 1e-12) {
		t.Errorf("PanPerPixel(90°, 500 px) = %v, want %v", got, 2.0/500)
	}
}

func TestBadInputIsIgnored(t *testing.T) {
	h, l := home()
	c := New(h, l)
	c.Grab(0)
	c.Drag(math.NaN(), math.Inf(1), 0, math.NaN(), 0, ms(16))
	c.Nudge(math.NaN(), math.Inf(-1), -1, 0, math.Inf(1))
	for c.Step(ms(16)) {
	}
	v := c.View()
	if v != c.Home() {
		t.Errorf("NaN and infinite input moved the view to %+v", v)
	}
}
