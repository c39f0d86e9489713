package framing

import "testing"

func TestProject(t *testing.T) {
	// A perspective-like matrix: x' = x, y' = y, w = -z (camera looks
	// down -z from the origin).
	var vp [16]float32
	vp[0], vp[5], vp[11] = 1, 1, -1
	tests := []struct {
		p      [3]float64
		x, y   float64
		inView bool
	}{
		{[3]float64{0, 0, -1}, 400, 300, true},
		{[3]float64{1, 1, -1}, 800, 0, true},
		{[3]float64{-0.5, -0.5, -2}, 300, 375, true},
		{[3]float64{0, 0, 1}, 0, 0, false},
	}
	for _, tc := range tests {
		x, y, ok := Project(vp, tc.p, 800, 600)
		if ok != tc.inView || (ok && (!near(x, tc.x) || !near(y, tc.y))) {
			t.Errorf("Project(%v) = %v, %v, %v; want %v, %v, %v", tc.p, x, y, ok, tc.x, tc.y, tc.inView)
		}
	}
}

func TestGuides(t *testing.T) {
	w, h, d := Guides([3]float64{-1, -2, -3}, [3]float64{1, 2, 3})
	if w.To[0]-w.From[0] != 2 || h.To[1]-h.From[1] != 4 || d.From[2]-d.To[2] != 6 {
		t.Errorf("guides %v %v %v do not span the box", w, h, d)
	}
	if w.From[2] != 3 || h.From != w.To || d.From != w.To {
		t.Errorf("guides do not meet at the front right bottom corner: %v %v %v", w, h, d)
	}
}
