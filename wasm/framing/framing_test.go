package framing

import (
	"math"
	"testing"
)

func dist(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

func TestFrameFitsTheBoxCorners(t *testing.T) {
	for _, tc := range []struct {
		name     string
		min, max [3]float64
		fov      float64
		aspect   float64
	}{
		{"chair, wide canvas", [3]float64{-0.25, 0, -0.25}, [3]float64{0.25, 0.9, 0.25}, 45, 16.0 / 9},
		{"mug, square canvas", [3]float64{-0.05, 0, -0.04}, [3]float64{0.05, 0.1, 0.04}, 45, 1},
		{"sofa, portrait phone", [3]float64{-1, 0, -0.45}, [3]float64{1, 0.8, 0.45}, 45, 0.5},
		{"watch, long and flat", [3]float64{-0.0225, -0.006, -0.12}, [3]float64{0.0225, 0.006, 0.12}, 40, 4.0 / 3},
		{"offset box", [3]float64{10, 10, 10}, [3]float64{11, 12, 13}, 60, 1.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const margin = 1.1
			s := Frame(tc.min, tc.max, tc.fov, tc.aspect, margin)
			for i := range 3 {
				if want := (tc.min[i] + tc.max[i]) / 2; math.Abs(s.Target[i]-want) > 1e-9 {
					t.Errorf("target[%d] = %v, want box centre %v", i, s.Target[i], want)
				}
			}
			// Project every corner with a look-at camera and check it lies
			// inside the frame shrunk by the margin, and that the tightest
			// corner is near that edge (the shot is not loose).
			back := normalize([3]float64{s.Position[0] - s.Target[0], s.Position[1] - s.Target[1], s.Position[2] - s.Target[2]})
			right := normalize(cross([3]float64{0, 1, 0}, back))
			up := cross(back, right)
			tanY := math.Tan(tc.fov*math.Pi/360) / margin
			tanX := tanY * tc.aspect
			tightest := 0.0
			for corner := range 8 {
				var p [3]float64
				for i := range 3 {
					p[i] = tc.max[i]
					if corner&(1<<i) != 0 {
						p[i] = tc.min[i]
					}
					p[i] -= s.Position[i]
				}
				depth := -dot(p, back)
				if depth <= s.Near || depth >= s.Far {
					t.Errorf("corner %d at depth %v is outside the clip planes %v..%v", corner, depth, s.Near, s.Far)
				}
				fx := math.Abs(dot(p, right)) / depth / tanX
				fy := math.Abs(dot(p, up)) / depth / tanY
				tightest = math.Max(tightest, math.Max(fx, fy))
			}
			if tightest > 1+1e-9 {
				t.Errorf("a corner projects %.0f%% of the way to the frame edge: outside", 100*tightest)
			} else if tightest < 0.95 {
				t.Errorf("the outermost corner reaches only %.0f%% of the frame: framed too loosely", 100*tightest)
			}
			d := dist(s.Position, s.Target)
			if s.MinDistance <= 0 || s.MinDistance >= d || s.MaxDistance <= d {
				t.Errorf("zoom range %v..%v should bracket the distance %v", s.MinDistance, s.MaxDistance, d)
			}
			if s.Position[1] <= s.Target[1] || s.Position[2] <= s.Target[2] {
				t.Errorf("camera at %v should look from above and in front of %v", s.Position, s.Target)
			}
		})
	}
}

func TestFrameDegenerateInput(t *testing.T) {
	for _, tc := range []struct {
		name     string
		min, max [3]float64
		fov      float64
		aspect   float64
	}{
		{"empty box", [3]float64{}, [3]float64{}, 45, 1},
		{"zero aspect", [3]float64{0, 0, 0}, [3]float64{1, 1, 1}, 45, 0},
		{"NaN fov", [3]float64{0, 0, 0}, [3]float64{1, 1, 1}, math.NaN(), 1},
		{"inverted box", [3]float64{1, 1, 1}, [3]float64{0, 0, 0}, 45, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Frame(tc.min, tc.max, tc.fov, tc.aspect, 1)
			for _, v := range []float64{s.Near, s.Far, s.MinDistance, s.MaxDistance, s.Radius, s.Position[0], s.Position[1], s.Position[2]} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("shot %+v has a non-finite value", s)
				}
			}
			if d := dist(s.Position, s.Target); d <= 0 || s.Near >= d || s.Far <= d {
				t.Errorf("shot %+v is unusable", s)
			}
		})
	}
}
