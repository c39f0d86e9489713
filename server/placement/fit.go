package placement

import (
	"fmt"
	"math"
	"strings"

	"github.com/vitrine-shop/vitrine/wire"
)

// TrustRelHalfWidth is the relative 95% half-width above which a length is
// flagged as not trustworthy.
const TrustRelHalfWidth = 0.10

// Footprint is the rectangle a product occupies on the plane: its width
// and its extent across (depth on a floor, height on a wall).
type Footprint struct {
	WidthM float64
	DepthM float64
}

// FootprintOf returns the footprint of a product with the given
// dimensions: width × height against a wall, width × depth elsewhere.
func FootprintOf(d wire.Dimensions, placement string) Footprint {
	if placement == wire.PlacementWall {
		return Footprint{WidthM: d.W, DepthM: d.H}
	}
	return Footprint{WidthM: d.W, DepthM: d.D}
}

// extent returns the footprint's size along the free space's first axis
// and across it, turned by angle radians.
func (f Footprint) extent(angle float64) (along, across float64) {
	c, s := math.Abs(math.Cos(angle)), math.Abs(math.Sin(angle))
	return f.WidthM*c + f.DepthM*s, f.WidthM*s + f.DepthM*c
}

// Margin is one dimension of a fit check.
type Margin struct {
	Dimension string
	Available Length
	RequiredM float64
	// MarginM is Available − Required, LowM and HighM its 95% interval.
	MarginM, LowM, HighM float64
}

// FitResult is the answer of CheckFit.
type FitResult struct {
	Verdict     string
	Margins     []Margin
	ClearanceM  float64
	Trustworthy bool
	Suggestion  string
	Message     string
}

// CheckFit compares the free space marked in the image — two points along
// a wall (a width) or the four corners of a rectangle on the plane, width
// side first — with the product's footprint turned by angleDeg on the
// plane plus clearanceM. The verdict is wire.VerdictFits when every
// margin's 95% lower bound is ≥ 0, wire.VerdictDoesNotFit when some
// margin's upper bound is < 0, and wire.VerdictTight otherwise.
func (p *Plane) CheckFit(free [][2]float64, fp Footprint, angleDeg, clearanceM float64) (FitResult, error) {
	if !finite(fp.WidthM, fp.DepthM, angleDeg, clearanceM) {
		return FitResult{}, fmt.Errorf("placement: fit check: %w", ErrNotFinite)
	}
	if fp.WidthM <= 0 || fp.DepthM <= 0 || fp.WidthM > 50 || fp.DepthM > 50 {
		return FitResult{}, fmt.Errorf("placement: fit check: product footprint %g×%g m: %w", fp.WidthM, fp.DepthM, ErrScale)
	}
	if clearanceM < 0 || clearanceM > wire.PlaceMaxClearanceM {
		return FitResult{}, fmt.Errorf("placement: fit check: clearance %g m must be 0-%g: %w", clearanceM, wire.PlaceMaxClearanceM, ErrScale)
	}
	if math.Abs(angleDeg) > 360 {
		return FitResult{}, fmt.Errorf("placement: fit check: angle %g° must be within ±360: %w", angleDeg, ErrScale)
	}
	along, across := fp.extent(angleDeg * math.Pi / 180)
	var lengths []Length
	var names []string
	var required []float64
	switch len(free) {
	case 2:
		for i, q := range free {
			if err := checkPoint(fmt.Sprintf("free space point %d", i), q, p.img); err != nil {
				return FitResult{}, err
			}
		}
		if math.Hypot(free[1][0]-free[0][0], free[1][1]-free[0][1]) < MinCornerSpacingPx {
			return FitResult{}, fmt.Errorf("placement: free space points coincide: %w", ErrDegenerate)
		}
		ls, err := p.propagate(free, func(_ *solution, q [][2]float64) ([]float64, error) {
			return []float64{dist(q[0], q[1])}, nil
		}, true)
		if err != nil {
			return FitResult{}, err
		}
		lengths, names, required = ls, []string{"width"}, []float64{along + clearanceM}
	case 4:
		var quad [4][2]float64
		copy(quad[:], free)
		if err := checkQuad("free space", quad, p.img); err != nil {
			return FitResult{}, err
		}
		ls, err := p.propagate(free, func(_ *solution, q [][2]float64) ([]float64, error) {
			return []float64{(dist(q[0], q[1]) + dist(q[3], q[2])) / 2, (dist(q[1], q[2]) + dist(q[0], q[3])) / 2}, nil
		}, true)
		if err != nil {
			return FitResult{}, err
		}
		lengths, names, required = ls, []string{"width", "depth"}, []float64{along + clearanceM, across + clearanceM}
	default:
		return FitResult{}, fmt.Errorf("placement: free space has %d points; give 2 (a width) or 4 (a rectangle): %w", len(free), ErrBadRequest)
	}
	res := FitResult{Verdict: wire.VerdictFits, ClearanceM: clearanceM, Trustworthy: true}
	worstRel := 0.0
	for i, l := range lengths {
		m := Margin{Dimension: names[i], Available: l, RequiredM: required[i],
			MarginM: l.M - required[i], LowM: l.LowM - required[i], HighM: l.HighM - required[i]}
		res.Margins = append(res.Margins, m)
		switch {
		case m.HighM < 0:
			res.Verdict = wire.VerdictDoesNotFit
		case m.LowM < 0 && res.Verdict != wire.VerdictDoesNotFit:
			res.Verdict = wire.VerdictTight
		}
		worstRel = math.Max(worstRel, l.RelativeHalfWidth())
	}
	res.Trustworthy, res.Suggestion = p.advise(worstRel, free)
	res.Message = fitMessage(res)
	return res, nil
}

func dist(a, b [2]float64) float64 { return math.Hypot(b[0]-a[0], b[1]-a[1]) }

func fitMessage(r FitResult) string {
	var parts []string
	for _, m := range r.Margins {
		parts = append(parts, fmt.Sprintf("%s margin %+.0f cm (%+.1f in), between %+.0f and %+.0f cm",
			m.Dimension, 100*m.MarginM, m.MarginM/0.0254, 100*m.LowM, 100*m.HighM))
	}
	var head string
	switch r.Verdict {
	case wire.VerdictFits:
		head = "It fits"
	case wire.VerdictDoesNotFit:
		head = "It does not fit"
	default:
		head = "It is tight: it may or may not fit"
	}
	msg := fmt.Sprintf("%s, with %.0f cm clearance: %s.", head, 100*r.ClearanceM, strings.Join(parts, "; "))
	if !r.Trustworthy {
		msg += " This measurement is not precise enough to be sure. " + r.Suggestion
	}
	return msg
}

// advise says whether a relative 95% half-width is small enough to trust
// and, when not, how to take a better photo.
func (p *Plane) advise(relHalfWidth float64, pts [][2]float64) (bool, string) {
	if relHalfWidth <= TrustRelHalfWidth {
		return true, ""
	}
	var tips []string
	diag := math.Hypot(p.ref.WidthM, p.ref.HeightM)
	if diag < 0.5 {
		tips = append(tips, "Use a larger reference, such as a rug, a door or a rectangle of tape about 1 m × 0.6 m.")
	}
	far := 0.0
	centre := [2]float64{p.ref.WidthM / 2, p.ref.HeightM / 2}
	for _, q := range pts {
		if on, err := p.sol.plane(q); err == nil {
			far = math.Max(far, dist(on, centre))
		}
	}
	if far > 3*diag {
		tips = append(tips, "Put the reference closer to what you measure, ideally in the middle of it.")
	}
	shortest := math.Inf(1)
	for k := 0; k < 4; k++ {
		shortest = math.Min(shortest, dist(p.ref.CornersPx[k], p.ref.CornersPx[(k+1)%4]))
	}
	if shortest < 80 {
		tips = append(tips, "Take the photo closer so the reference looks bigger.")
	}
	if p.Ambiguous() {
		tips = append(tips, "Say whether the reference lies on the floor or on a wall.")
	}
	if len(tips) == 0 {
		tips = append(tips, "Mark the reference's corners more precisely, or use a larger reference.")
	}
	return false, strings.Join(tips, " ")
}
