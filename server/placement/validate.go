package placement

import (
	"fmt"
	"math"
)

// Limits on inputs.
const (
	// MinImageSidePx and MaxImageSidePx bound each side of the image.
	MinImageSidePx = 16
	MaxImageSidePx = 16384
	// MinReferenceSideM and MaxReferenceSideM bound each side of the
	// reference rectangle: below 5 cm the answer would be noise, above 10 m
	// the number is a typo.
	MinReferenceSideM = 0.05
	MaxReferenceSideM = 10.0
	// MinCornerSpacingPx is the shortest side of the clicked quadrilateral.
	MinCornerSpacingPx = 5.0
	// MinCornerSine bounds the sine of every corner angle of the clicked
	// quadrilateral (about 0.6°): below it three corners are collinear.
	MinCornerSine = 0.01
	// MaxSigmaPx bounds the stated corner and point noise.
	MaxSigmaPx = 20.0
	// DefaultSigmaPx is the corner noise assumed when none is stated.
	DefaultSigmaPx = 1.0
	// MinFocalRel and MaxFocalRel bound a focal length given in pixels,
	// relative to the longer image side (horizontal fields of view from
	// about 160° down to about 3°).
	MinFocalRel = 0.1
	MaxFocalRel = 20.0
)

// ImageSize is an image's size in pixels. Pixel coordinates run from (0,0)
// at the top-left corner of the top-left pixel to (W,H); y points down.
type ImageSize struct {
	W int `json:"w"`
	H int `json:"h"`
}

// Validate checks the size against the limits.
func (s ImageSize) Validate() error {
	if s.W < MinImageSidePx || s.H < MinImageSidePx || s.W > MaxImageSidePx || s.H > MaxImageSidePx {
		return fmt.Errorf("placement: image is %d×%d px; each side must be %d-%d: %w", s.W, s.H, MinImageSidePx, MaxImageSidePx, ErrImageSize)
	}
	return nil
}

func (s ImageSize) longSide() float64 { return math.Max(float64(s.W), float64(s.H)) }

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// checkPoint reports an error when p is not finite or lies outside img.
func checkPoint(what string, p [2]float64, img ImageSize) error {
	if !finite(p[0], p[1]) {
		return fmt.Errorf("placement: %s: %w", what, ErrNotFinite)
	}
	if p[0] < 0 || p[1] < 0 || p[0] > float64(img.W) || p[1] > float64(img.H) {
		return fmt.Errorf("placement: %s (%.1f, %.1f) lies outside the %d×%d image: %w", what, p[0], p[1], img.W, img.H, ErrOutsideImage)
	}
	return nil
}

// checkQuad validates a clicked quadrilateral: finite, inside the image,
// sides long enough, no three corners collinear, convex and simple.
func checkQuad(what string, q [4][2]float64, img ImageSize) error {
	for i, p := range q {
		if err := checkPoint(fmt.Sprintf("%s corner %d", what, i), p, img); err != nil {
			return err
		}
	}
	sign := 0.0
	for i := 0; i < 4; i++ {
		a, b, c := q[(i+3)%4], q[i], q[(i+1)%4]
		e1 := [2]float64{b[0] - a[0], b[1] - a[1]}
		e2 := [2]float64{c[0] - b[0], c[1] - b[1]}
		l1, l2 := math.Hypot(e1[0], e1[1]), math.Hypot(e2[0], e2[1])
		if l2 < MinCornerSpacingPx {
			return fmt.Errorf("placement: %s corners %d and %d are %.1f px apart; at least %g px needed: %w", what, i, (i+1)%4, l2, MinCornerSpacingPx, ErrDegenerate)
		}
		cross := e1[0]*e2[1] - e1[1]*e2[0]
		if math.Abs(cross)/(l1*l2) < MinCornerSine {
			return fmt.Errorf("placement: %s corners %d, %d and %d are collinear: %w", what, (i+3)%4, i, (i+1)%4, ErrCollinear)
		}
		if sign == 0 {
			sign = math.Copysign(1, cross)
		} else if math.Copysign(1, cross) != sign {
			return fmt.Errorf("placement: %s is not convex at corner %d; click the corners in order around the rectangle: %w", what, i, ErrNonConvex)
		}
	}
	// Consistent turning at every corner still admits a self-intersecting
	// star (total turning 720°); a convex polygon turns exactly once.
	turn := 0.0
	for i := 0; i < 4; i++ {
		a, b, c := q[(i+3)%4], q[i], q[(i+1)%4]
		a1 := math.Atan2(b[1]-a[1], b[0]-a[0])
		a2 := math.Atan2(c[1]-b[1], c[0]-b[0])
		d := a2 - a1
		for d > math.Pi {
			d -= 2 * math.Pi
		}
		for d < -math.Pi {
			d += 2 * math.Pi
		}
		turn += d
	}
	if math.Abs(math.Abs(turn)-2*math.Pi) > 0.1 {
		return fmt.Errorf("placement: %s sides cross each other: %w", what, ErrNonConvex)
	}
	return nil
}

// checkReferenceSize validates the reference's physical size.
func checkReferenceSize(widthM, heightM float64) error {
	if !finite(widthM, heightM) {
		return fmt.Errorf("placement: reference size: %w", ErrNotFinite)
	}
	for _, s := range []struct {
		name string
		v    float64
	}{{"width_m", widthM}, {"height_m", heightM}} {
		if s.v < MinReferenceSideM || s.v > MaxReferenceSideM {
			return fmt.Errorf("placement: reference %s is %g m; it must be %g-%g m: %w", s.name, s.v, MinReferenceSideM, MaxReferenceSideM, ErrScale)
		}
	}
	return nil
}

func checkSigma(what string, v float64) error {
	if !finite(v) {
		return fmt.Errorf("placement: %s: %w", what, ErrNotFinite)
	}
	if v < 0 || v > MaxSigmaPx {
		return fmt.Errorf("placement: %s is %g px; it must be 0-%g: %w", what, v, MaxSigmaPx, ErrScale)
	}
	return nil
}
