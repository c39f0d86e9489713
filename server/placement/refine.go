package placement

import (
	"fmt"
	"image"
	"math"
)

// MaxRefinePixels bounds the image area RefineCorners accepts.
const MaxRefinePixels = 50 << 20

// RefineOptions tune RefineCorners.
type RefineOptions struct {
	// SearchPx is how far across each clicked side the edge is searched
	// for (default 8 px; clicks are rarely further off than that).
	SearchPx float64
	// Samples is the number of edge samples per side (default 48).
	Samples int
}

// Refined is the outcome of RefineCorners.
type Refined struct {
	// CornersPx are the refined corners, in the clicked order.
	CornersPx [4][2]float64
	// ResidualPx is the RMS distance of the accepted edge points from
	// their fitted lines: how straight and sharp the edges were.
	ResidualPx float64
	// CornerSigmaPx is each corner's estimated 1σ per coordinate,
	// propagated from the line fits; SigmaPx is their root mean square, the
	// corner noise to pass to Estimate.
	CornerSigmaPx [4]float64
	SigmaPx       float64
	// MovedPx is how far each corner moved from the click.
	MovedPx [4]float64
	// Inliers is the number of edge points each side's line rests on.
	Inliers [4]int
}

// edgeLine is a line n·x = c with unit normal n.
type edgeLine struct {
	n      [2]float64
	c      float64
	sigma  float64 // residual RMS
	count  int
	mean   float64 // mean position of the points along the line
	spread float64 // Σ (s - mean)² along the line
	dir    [2]float64
}

// RefineCorners moves the clicked corners of a bright or dark sheet (or
// card) to sub-pixel precision. Along each side it samples the image
// across the side within SearchPx, takes the strongest gradient of the
// sheet's polarity (parabolic sub-pixel peak) as an edge point, fits a line
// to the points by RANSAC and total least squares, and intersects adjacent
// lines. Two passes are made, the second in a narrower window around the
// first pass's lines. It fails with ErrNoEdges when a side shows no
// straight edge.
func RefineCorners(img image.Image, corners [4][2]float64, opts RefineOptions) (Refined, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 || int64(b.Dx())*int64(b.Dy()) > MaxRefinePixels {
		return Refined{}, fmt.Errorf("placement: refine corners: image %dx%d: %w", b.Dx(), b.Dy(), ErrImageSize)
	}
	size := ImageSize{W: b.Dx(), H: b.Dy()}
	if err := checkQuad("clicked", corners, size); err != nil {
		return Refined{}, err
	}
	if opts.SearchPx == 0 {
		opts.SearchPx = 8
	}
	if opts.Samples == 0 {
		opts.Samples = 48
	}
	if !finite(opts.SearchPx) || opts.SearchPx < 2 || opts.SearchPx > 64 || opts.Samples < 8 || opts.Samples > 512 {
		return Refined{}, fmt.Errorf("placement: refine corners: search %g px and %d samples must be 2-64 px and 8-512: %w", opts.SearchPx, opts.Samples, ErrInvalid)
	}
	g := newGrayPatch(img, corners, opts.SearchPx+4)
	polarity := g.polarity(corners)
	quad := corners
	var lines [4]edgeLine
	window := opts.SearchPx
	for pass := 0; pass < 2; pass++ {
		for k := 0; k < 4; k++ {
			l, err := g.fitSide(quad, k, window, opts.Samples, polarity)
			if err != nil {
				return Refined{}, fmt.Errorf("placement: refine corners: side %d-%d: %w", k, (k+1)%4, err)
			}
			lines[k] = l
		}
		var next [4][2]float64
		for k := 0; k < 4; k++ {
			p, ok := intersect(lines[(k+3)%4], lines[k])
			if !ok {
				return Refined{}, fmt.Errorf("placement: refine corners: sides meeting at corner %d are parallel: %w", k, ErrNoEdges)
			}
			next[k] = p
		}
		quad = next
		window = math.Min(window, 3)
	}
	var out Refined
	out.CornersPx = quad
	var sumSq, n float64
	for k := 0; k < 4; k++ {
		out.Inliers[k] = lines[k].count
		sumSq += lines[k].sigma * lines[k].sigma * float64(lines[k].count)
		n += float64(lines[k].count)
	}
	out.ResidualPx = math.Sqrt(sumSq / n)
	var sigmaSq float64
	for k := 0; k < 4; k++ {
		a, c := lines[(k+3)%4], lines[k]
		out.CornerSigmaPx[k] = cornerSigma(a, c, quad[k])
		sigmaSq += out.CornerSigmaPx[k] * out.CornerSigmaPx[k]
		out.MovedPx[k] = math.Hypot(quad[k][0]-corners[k][0], quad[k][1]-corners[k][1])
		if out.MovedPx[k] > 2*opts.SearchPx {
			return Refined{}, fmt.Errorf("placement: refine corners: corner %d would move %.1f px: %w", k, out.MovedPx[k], ErrNoEdges)
		}
		if err := checkPoint(fmt.Sprintf("refined corner %d", k), quad[k], size); err != nil {
			return Refined{}, fmt.Errorf("placement: refine corners: %w", ErrNoEdges)
		}
	}
	out.SigmaPx = math.Sqrt(sigmaSq / 4)
	if err := checkQuad("refined", quad, size); err != nil {
		return Refined{}, fmt.Errorf("placement: refine corners: %v: %w", err, ErrNoEdges)
	}
	return out, nil
}

// cornerSigma propagates the two lines' offset and angle uncertainty to
// their intersection p and returns the per-coordinate RMS 1σ.
func cornerSigma(a, b edgeLine, p [2]float64) float64 {
	perp := func(l edgeLine) float64 {
		s := p[0]*l.dir[0] + p[1]*l.dir[1] - l.mean
		v := l.sigma * l.sigma / float64(l.count)
		if l.spread > 0 {
			v += l.sigma * l.sigma * s * s / l.spread
		}
		return v
	}
	va, vb := perp(a), perp(b)
	// e solves [na; nb]·e = (δa, δb).
	det := a.n[0]*b.n[1] - a.n[1]*b.n[0]
	if det == 0 {
		return math.Inf(1)
	}
	// Inverse columns.
	i0 := [2]float64{b.n[1] / det, -b.n[0] / det}
	i1 := [2]float64{-a.n[1] / det, a.n[0] / det}
	trace := va*(i0[0]*i0[0]+i0[1]*i0[1]) + vb*(i1[0]*i1[0]+i1[1]*i1[1])
	return math.Sqrt(trace / 2)
}

func intersect(a, b edgeLine) ([2]float64, bool) {
	det := a.n[0]*b.n[1] - a.n[1]*b.n[0]
	if math.Abs(det) < 1e-6 {
		return [2]float64{}, false
	}
	return [2]float64{(a.c*b.n[1] - b.c*a.n[1]) / det, (a.n[0]*b.c - b.n[0]*a.c) / det}, true
}

// grayPatch is a smoothed luminance copy of the part of an image around a
// quadrilateral.
type grayPatch struct {
	x0, y0 int
	w, h   int
	v      []float64
}

func newGrayPatch(img image.Image, q [4][2]float64, margin float64) *grayPatch {
	b := img.Bounds()
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range q {
		minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
		minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
	}
	x0 := max(0, int(math.Floor(minX-margin)))
	y0 := max(0, int(math.Floor(minY-margin)))
	x1 := min(b.Dx(), int(math.Ceil(maxX+margin)))
	y1 := min(b.Dy(), int(math.Ceil(maxY+margin)))
	g := &grayPatch{x0: x0, y0: y0, w: x1 - x0, h: y1 - y0}
	raw := make([]float64, g.w*g.h)
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			r, gg, bb, _ := img.At(b.Min.X+x0+x, b.Min.Y+y0+y).RGBA()
			raw[y*g.w+x] = (0.299*float64(r) + 0.587*float64(gg) + 0.114*float64(bb)) / 65535
		}
	}
	g.v = gaussianBlur(raw, g.w, g.h, 1.0)
	return g
}

// gaussianBlur smooths v (w×h) with a separable Gaussian of the given σ.
func gaussianBlur(v []float64, w, h int, sigma float64) []float64 {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	s := 0.0
	for i := -r; i <= r; i++ {
		k[i+r] = math.Exp(-float64(i*i) / (2 * sigma * sigma))
		s += k[i+r]
	}
	for i := range k {
		k[i] /= s
	}
	tmp := make([]float64, len(v))
	out := make([]float64, len(v))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			acc := 0.0
			for i := -r; i <= r; i++ {
				xx := min(max(x+i, 0), w-1)
				acc += k[i+r] * v[y*w+xx]
			}
			tmp[y*w+x] = acc
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			acc := 0.0
			for i := -r; i <= r; i++ {
				yy := min(max(y+i, 0), h-1)
				acc += k[i+r] * tmp[yy*w+x]
			}
			out[y*w+x] = acc
		}
	}
	return out
}

// at samples the patch bilinearly at image coordinates (x, y), where pixel
// (i, j) covers [i, i+1)×[j, j+1) and its value sits at its centre.
func (g *grayPatch) at(x, y float64) (float64, bool) {
	fx := x - float64(g.x0) - 0.5
	fy := y - float64(g.y0) - 0.5
	if fx < 0 || fy < 0 || fx > float64(g.w-1) || fy > float64(g.h-1) {
		return 0, false
	}
	ix, iy := int(fx), int(fy)
	if ix == g.w-1 {
		ix--
	}
	if iy == g.h-1 {
		iy--
	}
	if ix < 0 || iy < 0 {
		return 0, false
	}
	ax, ay := fx-float64(ix), fy-float64(iy)
	i := iy*g.w + ix
	return (1-ay)*((1-ax)*g.v[i]+ax*g.v[i+1]) + ay*((1-ax)*g.v[i+g.w]+ax*g.v[i+g.w+1]), true
}

// polarity is +1 when the inside of q is brighter than its surroundings.
func (g *grayPatch) polarity(q [4][2]float64) float64 {
	var in, out float64
	var nIn, nOut int
	for k := 0; k < 4; k++ {
		a, b := q[k], q[(k+1)%4]
		n := inwardNormal(q, k)
		for t := 0.2; t <= 0.8; t += 0.1 {
			p := [2]float64{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
			if v, ok := g.at(p[0]+6*n[0], p[1]+6*n[1]); ok {
				in += v
				nIn++
			}
			if v, ok := g.at(p[0]-6*n[0], p[1]-6*n[1]); ok {
				out += v
				nOut++
			}
		}
	}
	if nIn == 0 || nOut == 0 || in/float64(nIn) >= out/float64(nOut) {
		return 1
	}
	return -1
}

// inwardNormal is the unit normal of side k of q pointing into q.
func inwardNormal(q [4][2]float64, k int) [2]float64 {
	a, b := q[k], q[(k+1)%4]
	d := [2]float64{b[0] - a[0], b[1] - a[1]}
	l := math.Hypot(d[0], d[1])
	n := [2]float64{-d[1] / l, d[0] / l}
	var c [2]float64
	for _, p := range q {
		c[0] += p[0] / 4
		c[1] += p[1] / 4
	}
	if (c[0]-a[0])*n[0]+(c[1]-a[1])*n[1] < 0 {
		n = [2]float64{-n[0], -n[1]}
	}
	return n
}

// fitSide finds edge points across side k of quad (from corner k to corner
// k+1) and fits a line to them.
func (g *grayPatch) fitSide(quad [4][2]float64, k int, window float64, samples int, polarity float64) (edgeLine, error) {
	a, b := quad[k], quad[(k+1)%4]
	d := [2]float64{b[0] - a[0], b[1] - a[1]}
	length := math.Hypot(d[0], d[1])
	dir := [2]float64{d[0] / length, d[1] / length}
	n := inwardNormal(quad, k)
	// Keep away from the corners, where the other side's edge interferes.
	margin := math.Min(window+3, 0.25*length)
	const step = 0.5
	var pts [][2]float64
	for i := 0; i < samples; i++ {
		s := margin + (length-2*margin)*(float64(i)+0.5)/float64(samples)
		base := [2]float64{a[0] + s*dir[0], a[1] + s*dir[1]}
		steps := int(window / step)
		prof := make([]float64, 2*steps+3)
		ok := true
		for j := -steps - 1; j <= steps+1; j++ {
			v, in := g.at(base[0]+float64(j)*step*n[0], base[1]+float64(j)*step*n[1])
			if !in {
				ok = false
				break
			}
			prof[j+steps+1] = v
		}
		if !ok {
			continue
		}
		// The derivative along the inward normal is positive at the edge
		// of a sheet brighter than its surroundings; polarity flips it for
		// a darker one.
		best, bestJ := 0.0, -1
		der := make([]float64, len(prof))
		for j := 1; j < len(prof)-1; j++ {
			der[j] = (prof[j+1] - prof[j-1]) / (2 * step)
		}
		sign := polarity
		for j := 2; j < len(prof)-2; j++ {
			v := sign * der[j]
			if v > best {
				best, bestJ = v, j
			}
		}
		if bestJ < 0 || best < 0.02 {
			continue
		}
		y0, y1, y2 := sign*der[bestJ-1], best, sign*der[bestJ+1]
		off := 0.0
		if den := y0 - 2*y1 + y2; den < 0 {
			off = 0.5 * (y0 - y2) / den
		}
		t := (float64(bestJ-steps-1) + off) * step
		pts = append(pts, [2]float64{base[0] + t*n[0], base[1] + t*n[1]})
	}
	if len(pts) < 6 {
		return edgeLine{}, fmt.Errorf("%d edge points found: %w", len(pts), ErrNoEdges)
	}
	return fitLineRobust(pts, dir)
}

// fitLineRobust fits a line to pts by RANSAC over all pairs (inlier band
// 1 px) followed by total least squares on the inliers.
func fitLineRobust(pts [][2]float64, dir [2]float64) (edgeLine, error) {
	const band = 1.0
	bestCount, bestErr := -1, math.Inf(1)
	var bestIn []int
	for i := 0; i < len(pts); i++ {
		for j := i + 1; j < len(pts); j++ {
			dx, dy := pts[j][0]-pts[i][0], pts[j][1]-pts[i][1]
			l := math.Hypot(dx, dy)
			if l < 1e-9 {
				continue
			}
			nx, ny := -dy/l, dx/l
			c := nx*pts[i][0] + ny*pts[i][1]
			var in []int
			errSum := 0.0
			for k, p := range pts {
				r := math.Abs(nx*p[0] + ny*p[1] - c)
				if r <= band {
					in = append(in, k)
					errSum += r * r
				}
			}
			if len(in) > bestCount || (len(in) == bestCount && errSum < bestErr) {
				bestCount, bestErr, bestIn = len(in), errSum, in
			}
		}
	}
	if bestCount < 6 {
		return edgeLine{}, fmt.Errorf("only %d edge points on a line: %w", bestCount, ErrNoEdges)
	}
	line := tls(pts, bestIn, dir)
	// Re-select inliers against the refined line with a band from its own
	// spread, and refit once.
	var in []int
	thr := math.Max(3*line.sigma, 0.5)
	for k, p := range pts {
		if math.Abs(line.n[0]*p[0]+line.n[1]*p[1]-line.c) <= thr {
			in = append(in, k)
		}
	}
	if len(in) >= 6 {
		line = tls(pts, in, dir)
	}
	return line, nil
}

// tls fits n·x = c to the selected points by total least squares.
func tls(pts [][2]float64, idx []int, dir [2]float64) edgeLine {
	var mx, my float64
	for _, i := range idx {
		mx += pts[i][0]
		my += pts[i][1]
	}
	cnt := float64(len(idx))
	mx /= cnt
	my /= cnt
	var sxx, sxy, syy float64
	for _, i := range idx {
		dx, dy := pts[i][0]-mx, pts[i][1]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	// Direction of largest spread.
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
	d := [2]float64{math.Cos(theta), math.Sin(theta)}
	if d[0]*dir[0]+d[1]*dir[1] < 0 {
		d = [2]float64{-d[0], -d[1]}
	}
	n := [2]float64{-d[1], d[0]}
	c := n[0]*mx + n[1]*my
	var ss, spread float64
	mean := d[0]*mx + d[1]*my
	for _, i := range idx {
		r := n[0]*pts[i][0] + n[1]*pts[i][1] - c
		ss += r * r
		s := d[0]*pts[i][0] + d[1]*pts[i][1] - mean
		spread += s * s
	}
	dof := math.Max(cnt-2, 1)
	return edgeLine{n: n, c: c, sigma: math.Sqrt(ss / dof), count: len(idx), mean: mean, spread: spread, dir: d}
}
