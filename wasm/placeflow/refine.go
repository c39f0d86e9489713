package placeflow

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Gray is a luminance image, or a window of one: pixel (x, y) of the
// whole photo is Pix[(y-Y0)*W + (x-X0)].
type Gray struct {
	X0, Y0, W, H int
	Pix          []uint8
}

// GrayFromRGBA converts RGBA bytes (as from a canvas's getImageData) of a
// w×h window whose top-left pixel is (x0, y0) to luminance (Rec. 601).
func GrayFromRGBA(rgba []byte, x0, y0, w, h int) (Gray, error) {
	if w <= 0 || h <= 0 || len(rgba) < 4*w*h {
		return Gray{}, fmt.Errorf("placeflow: %d bytes for a %dx%d RGBA window", len(rgba), w, h)
	}
	g := Gray{X0: x0, Y0: y0, W: w, H: h, Pix: make([]uint8, w*h)}
	for i := range g.Pix {
		r, gr, b := int(rgba[4*i]), int(rgba[4*i+1]), int(rgba[4*i+2])
		g.Pix[i] = uint8((299*r + 587*gr + 114*b + 500) / 1000)
	}
	return g, nil
}

// at samples the image bilinearly at (x, y) in photo coordinates (pixel
// centres at +0.5); ok is false outside the window.
func (g Gray) at(x, y float64) (float64, bool) {
	fx, fy := x-0.5-float64(g.X0), y-0.5-float64(g.Y0)
	ix, iy := int(math.Floor(fx)), int(math.Floor(fy))
	if ix < 0 || iy < 0 || ix+1 >= g.W || iy+1 >= g.H {
		return 0, false
	}
	ax, ay := fx-float64(ix), fy-float64(iy)
	p := g.Pix[iy*g.W+ix:]
	top := float64(p[0])*(1-ax) + float64(p[1])*ax
	bottom := float64(p[g.W])*(1-ax) + float64(p[g.W+1])*ax
	return top*(1-ay) + bottom*ay, true
}

// Refined is the outcome of RefineCorners.
type Refined struct {
	Corners [4]Point
	// SigmaPx is the corners' 1σ per coordinate (root mean square over
	// the corners), from the edge lines' fits: the corner noise to send
	// with place.* requests.
	SigmaPx float64
	// MovedPx is how far each corner moved from the tap.
	MovedPx [4]float64
}

// ErrNoEdge reports a side of the marked shape without a clear straight
// edge near it: the sheet is not there, or the photo is blurred.
var ErrNoEdge = errors.New("placeflow: no straight edge found near a side")

// Refinement parameters: how far across a side edges are looked for, how
// many places along it.
const (
	refineSearchPx = 8
	refineSamples  = 40
)

type line struct {
	n      Point   // unit normal
	c      float64 // n·x = c
	sigma  float64 // residual RMS, px
	count  int
	mean   Point   // centroid of the inliers
	spread float64 // Σ (s - s̄)² along the line
}

// RefineCorners moves the tapped corners of a sheet (brighter or darker
// than its surroundings) onto its edges with sub-pixel precision: across
// each side, away from the corners, it finds the strongest luminance step
// of the sheet's polarity (parabolic peak), fits a line robustly, and
// intersects neighbouring lines. A second pass looks closer around the
// first pass's lines. Corners must be in order round the sheet.
func RefineCorners(g Gray, taps [4]Point) (Refined, error) {
	if err := CheckQuad(taps); err != nil {
		return Refined{}, err
	}
	quad := taps
	window := float64(refineSearchPx)
	var lines [4]line
	for pass := 0; pass < 2; pass++ {
		for i := range 4 {
			l, err := fitEdge(g, quad, i, window)
			if err != nil {
				return Refined{}, err
			}
			lines[i] = l
		}
		for i := range 4 {
			p, ok := intersect(lines[(i+3)%4], lines[i])
			if !ok {
				return Refined{}, fmt.Errorf("%w: sides %d and %d are parallel", ErrNoEdge, (i+3)%4+1, i+1)
			}
			quad[i] = p
		}
		window = 3
	}
	var out Refined
	out.Corners = quad
	var sum float64
	for i := range 4 {
		moved := math.Hypot(quad[i].X-taps[i].X, quad[i].Y-taps[i].Y)
		if moved > 2*refineSearchPx {
			return Refined{}, fmt.Errorf("%w: corner %d would move %.0f px", ErrNoEdge, i+1, moved)
		}
		out.MovedPx[i] = moved
		s := cornerSigma(lines[(i+3)%4], lines[i], quad[i])
		sum += s * s
	}
	out.SigmaPx = math.Max(math.Sqrt(sum/4), 0.02)
	if err := CheckQuad(out.Corners); err != nil {
		return Refined{}, fmt.Errorf("%w: %v", ErrNoEdge, err)
	}
	return out, nil
}

// fitEdge finds side i's edge (from corner i to i+1) within ±window px.
func fitEdge(g Gray, quad [4]Point, i int, window float64) (line, error) {
	a, b := quad[i], quad[(i+1)%4]
	length := math.Hypot(b.X-a.X, b.Y-a.Y)
	d := Point{(b.X - a.X) / length, (b.Y - a.Y) / length}
	// The inward normal points towards the shape's centre.
	centre := Point{(quad[0].X + quad[1].X + quad[2].X + quad[3].X) / 4, (quad[0].Y + quad[1].Y + quad[2].Y + quad[3].Y) / 4}
	n := Point{-d.Y, d.X}
	mid := Point{(a.X + b.X) / 2, (a.Y + b.Y) / 2}
	if (centre.X-mid.X)*n.X+(centre.Y-mid.Y)*n.Y < 0 {
		n = Point{-n.X, -n.Y}
	}
	// Keep clear of the corners, where the other sides' edges cross.
	margin := math.Min(0.5, (window+2)/length)
	var pts []Point
	var contrast []float64
	const step = 0.5
	steps := int(window / step)
	profile := make([]float64, 2*steps+3)
	for k := range refineSamples {
		t := margin + (1-2*margin)*(float64(k)+0.5)/refineSamples
		if margin >= 0.5 {
			break
		}
		base := Point{a.X + (b.X-a.X)*t, a.Y + (b.Y-a.Y)*t}
		ok := true
		for j := range profile {
			u := float64(j-steps-1) * step
			var v float64
			for _, along := range [3]float64{-0.75, 0, 0.75} { // smooth along the edge
				s, in := g.at(base.X+n.X*u+d.X*along, base.Y+n.Y*u+d.Y*along)
				if !in {
					ok = false
				}
				v += s
			}
			profile[j] = v / 3
		}
		if !ok {
			continue
		}
		// Sheet polarity at this sample: inside minus outside.
		sign := 1.0
		if profile[len(profile)-1] < profile[0] {
			sign = -1
		}
		best, bestG := -1, 0.0
		grad := make([]float64, len(profile))
		for j := 1; j < len(profile)-1; j++ {
			grad[j] = sign * (profile[j+1] - profile[j-1]) / (2 * step)
			if grad[j] > bestG {
				best, bestG = j, grad[j]
			}
		}
		if best < 2 || best > len(profile)-3 || bestG < 4 {
			continue
		}
		den := grad[best-1] - 2*grad[best] + grad[best+1]
		off := 0.0
		if den < 0 {
			off = 0.5 * (grad[best-1] - grad[best+1]) / den
		}
		u := (float64(best-steps-1) + off) * step
		pts = append(pts, Point{base.X + n.X*u, base.Y + n.Y*u})
		contrast = append(contrast, sign*(profile[len(profile)-1]-profile[0]))
	}
	if len(pts) < refineSamples/4 {
		return line{}, fmt.Errorf("%w: side %d (%d edge points)", ErrNoEdge, i+1, len(pts))
	}
	// Most samples must agree on the polarity: a sheet, not texture.
	agree := 0
	for _, c := range contrast {
		if c > 0 {
			agree++
		}
	}
	if agree < len(contrast)*3/4 && agree > len(contrast)/4 {
		return line{}, fmt.Errorf("%w: side %d has no consistent edge", ErrNoEdge, i+1)
	}
	return robustLine(pts, i)
}

// robustLine fits a line by total least squares, dropping points further
// than 3 robust σ from it, three times over.
func robustLine(pts []Point, side int) (line, error) {
	in := pts
	var l line
	for round := 0; round < 4; round++ {
		if len(in) < 6 {
			return line{}, fmt.Errorf("%w: side %d has too few edge points on a line", ErrNoEdge, side+1)
		}
		l = tls(in)
		if round == 3 {
			break
		}
		res := make([]float64, len(pts))
		for k, p := range pts {
			res[k] = math.Abs(l.n.X*p.X + l.n.Y*p.Y - l.c)
		}
		sorted := append([]float64(nil), res...)
		sort.Float64s(sorted)
		limit := math.Max(3*1.4826*sorted[len(sorted)/2], 0.15)
		in = in[:0:0]
		for k, p := range pts {
			if res[k] <= limit {
				in = append(in, p)
			}
		}
	}
	return l, nil
}

func tls(pts []Point) line {
	var mx, my float64
	for _, p := range pts {
		mx += p.X
		my += p.Y
	}
	nf := float64(len(pts))
	mx, my = mx/nf, my/nf
	var sxx, sxy, syy float64
	for _, p := range pts {
		dx, dy := p.X-mx, p.Y-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	// The line's direction is the principal axis of the scatter.
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
	dir := Point{math.Cos(theta), math.Sin(theta)}
	n := Point{-dir.Y, dir.X}
	l := line{n: n, c: n.X*mx + n.Y*my, count: len(pts), mean: Point{mx, my}}
	var ss float64
	for _, p := range pts {
		r := n.X*p.X + n.Y*p.Y - l.c
		ss += r * r
		s := dir.X*(p.X-mx) + dir.Y*(p.Y-my)
		l.spread += s * s
	}
	if len(pts) > 2 {
		l.sigma = math.Sqrt(ss / float64(len(pts)-2))
	}
	return l
}

func intersect(a, b line) (Point, bool) {
	det := a.n.X*b.n.Y - a.n.Y*b.n.X
	if math.Abs(det) < 1e-9 {
		return Point{}, false
	}
	return Point{(a.c*b.n.Y - a.n.Y*b.c) / det, (a.n.X*b.c - a.c*b.n.X) / det}, true
}

// cornerSigma propagates two lines' offset and angle uncertainties to
// their intersection p: each line's displacement at p, divided by the
// sine of the angle between them; per coordinate.
func cornerSigma(a, b line, p Point) float64 {
	disp := func(l line) float64 {
		off := l.sigma / math.Sqrt(float64(l.count))
		ang := 0.0
		if l.spread > 0 {
			ang = l.sigma / math.Sqrt(l.spread)
		}
		along := Point{-l.n.Y, l.n.X}
		s := along.X*(p.X-l.mean.X) + along.Y*(p.Y-l.mean.Y)
		return math.Hypot(off, ang*s)
	}
	sin := math.Abs(a.n.X*b.n.Y - a.n.Y*b.n.X)
	return math.Hypot(disp(a), disp(b)) / math.Max(sin, 0.05) / math.Sqrt2
}
