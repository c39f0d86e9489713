package placeflow

import (
	"math"
	"sort"
)

// IrisDiameterMM is the human iris's visible diameter, nearly the same in
// every adult; the placement service uses the same value.
const IrisDiameterMM = 11.7

// Plausible ratios to the pupillary distance (adult PD 54-74 mm, face
// width 120-160 mm): measurements outside are rejected as misdetections.
const (
	minIrisToPD = 0.13
	maxIrisToPD = 0.25
	minFaceToPD = 1.75
	maxFaceToPD = 2.9
)

// FaceMeasure is what one video frame or photo says about a face, in
// image pixels. IrisPx and FaceWidthPx are 0 when not found.
type FaceMeasure struct {
	Left, Right Point // pupils, in image order (Left has the smaller x)
	PDPx        float64
	IrisPx      float64
	FaceWidthPx float64
}

// MeasureFace measures a face from its pupils on a luminance image: the
// pupillary distance, the iris diameter (the limbus, the iris's dark to
// the sclera's bright step, found along the eye line on both sides of each
// pupil) and the face width (the strongest step at the cheeks along the
// eye line). Values that are implausible for the pupillary distance are
// left at 0.
func MeasureFace(g Gray, a, b Point) FaceMeasure {
	if b.X < a.X {
		a, b = b, a
	}
	m := FaceMeasure{Left: a, Right: b, PDPx: math.Hypot(b.X-a.X, b.Y-a.Y)}
	if m.PDPx < 8 {
		return m
	}
	dir := Point{(b.X - a.X) / m.PDPx, (b.Y - a.Y) / m.PDPx}
	var irises []float64
	for _, eye := range []Point{a, b} {
		rOut := limbus(g, eye, dir, m.PDPx)
		rIn := limbus(g, eye, Point{-dir.X, -dir.Y}, m.PDPx)
		if rOut > 0 && rIn > 0 {
			irises = append(irises, rOut+rIn)
		}
	}
	if len(irises) > 0 {
		iris := irises[0]
		if len(irises) == 2 {
			if math.Abs(irises[0]-irises[1]) > 0.25*math.Max(irises[0], irises[1]) {
				iris = 0 // the eyes disagree: one of them is a misdetection
			} else {
				iris = (irises[0] + irises[1]) / 2
			}
		}
		if r := iris / m.PDPx; r >= minIrisToPD && r <= maxIrisToPD {
			m.IrisPx = iris
		}
	}
	mid := Point{(a.X + b.X) / 2, (a.Y + b.Y) / 2}
	right := cheek(g, mid, dir, m.PDPx)
	left := cheek(g, mid, Point{-dir.X, -dir.Y}, m.PDPx)
	if right > 0 && left > 0 {
		if w := left + right; w/m.PDPx >= minFaceToPD && w/m.PDPx <= maxFaceToPD {
			m.FaceWidthPx = w
		}
	}
	return m
}

// profile samples luminance from p along dir at radii from r0 to r1 in
// steps of step, averaging three lines across dir to soften noise.
func profile(g Gray, p, dir Point, r0, r1, step float64) []float64 {
	n := Point{-dir.Y, dir.X}
	var out []float64
	for r := r0; r <= r1; r += step {
		var v float64
		for _, across := range [3]float64{-1, 0, 1} {
			s, ok := g.at(p.X+dir.X*r+n.X*across, p.Y+dir.Y*r+n.Y*across)
			if !ok {
				return nil
			}
			v += s
		}
		out = append(out, v/3)
	}
	return out
}

// limbus returns the iris radius from pupil p along dir: the strongest
// dark-to-bright step between 5% and 14% of the pupillary distance.
func limbus(g Gray, p, dir Point, pd float64) float64 {
	step := math.Max(pd/200, 0.25)
	r0, r1 := 0.05*pd, 0.14*pd
	prof := profile(g, p, dir, r0, r1, step)
	return strongestStep(prof, r0, step, true, 6)
}

// cheek returns the distance from the eyes' midpoint along dir to the
// face's edge: the strongest luminance step, either way, between 0.85 and
// 1.45 pupillary distances out.
func cheek(g Gray, mid, dir Point, pd float64) float64 {
	step := math.Max(pd/100, 0.5)
	r0, r1 := 0.85*pd, 1.45*pd
	prof := profile(g, mid, dir, r0, r1, step)
	return strongestStep(prof, r0, step, false, 10)
}

// strongestStep finds the largest gradient (rising only when rising is
// set, else either way) in prof, refined by a parabola, and returns its
// radius; 0 when no step exceeds minStep grey levels per sample.
func strongestStep(prof []float64, r0, step float64, rising bool, minStep float64) float64 {
	if len(prof) < 5 {
		return 0
	}
	grad := make([]float64, len(prof))
	best, bestG := -1, minStep
	for j := 1; j < len(prof)-1; j++ {
		d := (prof[j+1] - prof[j-1]) / 2
		if !rising {
			d = math.Abs(d)
		}
		grad[j] = d
		if d > bestG {
			best, bestG = j, d
		}
	}
	if best < 1 {
		return 0
	}
	off := 0.0
	if best > 1 && best < len(prof)-2 {
		if den := grad[best-1] - 2*grad[best] + grad[best+1]; den < 0 {
			off = 0.5 * (grad[best-1] - grad[best+1]) / den
		}
	}
	return r0 + (float64(best)+off)*step
}

// FaceTrack smooths measurements over the last frames of a video: the
// median of each value over a window, so one bad frame does not jump.
type FaceTrack struct {
	window []FaceMeasure
	Size   int // frames kept; 15 when zero
}

// Add records a frame's measurement and returns the smoothed one: the
// latest pupils (the overlay follows the face), the medians of the
// lengths found in the window.
func (t *FaceTrack) Add(m FaceMeasure) FaceMeasure {
	size := t.Size
	if size == 0 {
		size = 15
	}
	t.window = append(t.window, m)
	if len(t.window) > size {
		t.window = t.window[len(t.window)-size:]
	}
	out := m
	out.PDPx = medianOf(t.window, func(f FaceMeasure) float64 { return f.PDPx })
	out.IrisPx = medianOf(t.window, func(f FaceMeasure) float64 { return f.IrisPx })
	out.FaceWidthPx = medianOf(t.window, func(f FaceMeasure) float64 { return f.FaceWidthPx })
	return out
}

// Frames is the number of frames in the window.
func (t *FaceTrack) Frames() int { return len(t.window) }

// Reset forgets the window (the face was lost).
func (t *FaceTrack) Reset() { t.window = t.window[:0] }

// medianOf is the median of the non-zero values, 0 when there are none.
func medianOf(ms []FaceMeasure, get func(FaceMeasure) float64) float64 {
	var vs []float64
	for _, m := range ms {
		if v := get(m); v > 0 {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0
	}
	sort.Float64s(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// GlassesPlacement is where to draw the glasses' front over the face: the
// frame's centre (between the pupils), its width and its roll, in image
// pixels and radians.
type GlassesPlacement struct {
	Centre  Point
	WidthPx float64
	Angle   float64
}

// PlaceGlasses puts a frame frameWidthMM wide on the face at mmPerPx.
func PlaceGlasses(m FaceMeasure, frameWidthMM, mmPerPx float64) (GlassesPlacement, bool) {
	if m.PDPx <= 0 || frameWidthMM <= 0 || mmPerPx <= 0 {
		return GlassesPlacement{}, false
	}
	return GlassesPlacement{
		Centre:  Point{(m.Left.X + m.Right.X) / 2, (m.Left.Y + m.Right.Y) / 2},
		WidthPx: frameWidthMM / mmPerPx,
		Angle:   math.Atan2(m.Right.Y-m.Left.Y, m.Right.X-m.Left.X),
	}, true
}

// MMPerPxFromIris is the image scale at the eyes from the iris.
func MMPerPxFromIris(irisPx float64) float64 {
	if irisPx <= 0 {
		return 0
	}
	return IrisDiameterMM / irisPx
}

// Bank card size (ISO/IEC 7810 ID-1), for the card option.
const (
	CardWidthMM  = 85.60
	CardHeightMM = 53.98
)
