package framing

import (
	"math"
	"testing"
)

func TestGroundShadow(t *testing.T) {
	tests := []struct {
		name     string
		min, max [3]float64
		want     Shadow
	}{
		{
			// A 1 m cube centred at the origin: footprint half 0.5, grown
			// by 1.25 and a quarter of the half-height.
			name: "unit cube",
			min:  [3]float64{-0.5, -0.5, -0.5}, max: [3]float64{0.5, 0.5, 0.5},
			want: Shadow{Centre: [3]float64{0, -0.502, 0}, HalfX: 0.75, HalfZ: 0.75, Core: 0.5 / 0.75, Opacity: 0.6},
		},
		{
			// A flat rug 2 × 0.01 × 1 m: light shadow, elliptical.
			name: "rug",
			min:  [3]float64{-1, 0, -0.5}, max: [3]float64{1, 0.01, 0.5},
			want: Shadow{Centre: [3]float64{0, -0.004, 0}, HalfX: 1.25125, HalfZ: 0.62625, Core: 0.5 / 0.62625, Opacity: 0.35 + 0.25*0.005},
		},
		{
			name: "degenerate",
			min:  [3]float64{math.NaN(), 0, 0}, max: [3]float64{0, 0, 0},
			want: Shadow{Centre: [3]float64{0, -0.0002, 0}, HalfX: 0.003125, HalfZ: 0.003125, Core: 0.8, Opacity: 0.35},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := GroundShadow(tc.min, tc.max)
			if !near(got.HalfX, tc.want.HalfX) || !near(got.HalfZ, tc.want.HalfZ) || !near(got.Core, tc.want.Core) ||
				!near(got.Opacity, tc.want.Opacity) || !near3(got.Centre, tc.want.Centre) {
				t.Errorf("GroundShadow = %+v, want %+v", got, tc.want)
			}
			if got.Core <= 0 || got.Core >= 1 {
				t.Errorf("core %v outside (0, 1)", got.Core)
			}
		})
	}
}

func TestCastsGroundShadow(t *testing.T) {
	for placement, want := range map[string]bool{
		"floor": true, "table": true, "feet": true, "": true, "wall": false, "face": false, "wrist": false,
	} {
		if got := CastsGroundShadow(placement); got != want {
			t.Errorf("CastsGroundShadow(%q) = %v, want %v", placement, got, want)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func near3(a, b [3]float64) bool { return near(a[0], b[0]) && near(a[1], b[1]) && near(a[2], b[2]) }
