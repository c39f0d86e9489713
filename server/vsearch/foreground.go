package vsearch

import (
	"math"
	"sort"
)

// foreground is the product's mask in a labImage and its bounding box
// [x0,x1)×[y0,y1).
type foreground struct {
	mask []bool
	// edge marks mask pixels with a 4-neighbour outside the mask (or on
	// the picture's border).
	edge           []bool
	edgeWeight     float32 // colourWeight of edge pixels
	count          int
	x0, y0, x1, y1 int
	// whole reports that the mask was under minMaskFraction and the
	// whole picture stands in for it: no product was found.
	whole bool
}

// Foreground isolation parameters. The background is modelled from the
// image border two ways: a linear colour gradient (studio sweeps, soft
// vignettes) and a small palette of border colours (busy backgrounds).
// A pixel far from both is foreground; connected foreground regions are
// then kept by size and closeness to the centre, where people frame the
// thing they photograph.
const (
	paletteSize      = 6
	paletteIters     = 6
	shadowLWeight    = 0.45 // weight of a darkening with unchanged chroma: shadows
	minThresholdDE   = 7
	maxThresholdDE   = 30
	centreSigma      = 0.35 // of the image's half-diagonal-ish normalised radius
	keepScoreRatio   = 0.2  // keep components scoring at least this fraction of the best
	minMaskFraction  = 0.005
	minComponentFrac = 0.0015
	// minInteriorFrac: when fewer than this fraction of a mask's pixels
	// are interior (a mask of thin parts only), its edge pixels keep their
	// full weight in colour statistics.
	minInteriorFrac = 0.1
)

// isolate finds the product in li. A cut-out's own mask (its opaque
// pixels), when there is one, is the product.
func isolate(li *labImage, cutout []bool) foreground {
	if cutout != nil {
		return boxed(cutout, li.w, li.h)
	}
	return boxed(selectComponents(rawForeground(li), li.w, li.h), li.w, li.h)
}

// rawForeground is the mask of pixels far from both background models,
// before components are chosen.
func rawForeground(li *labImage) []bool {
	w, h := li.w, li.h
	n := w * h
	ring := max(2, min(w, h)/32)
	var border []int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < ring || y < ring || x >= w-ring || y >= h-ring {
				border = append(border, y*w+x)
			}
		}
	}
	grad := fitGradient(li, border)
	palette := borderPalette(li, border)
	dist := make([]float32, n)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			bl, ba, bb := grad.at(x, y, w, h)
			d := bgDistance(li.l[i]-bl, li.a[i]-ba, li.b[i]-bb)
			for _, c := range palette {
				if e := bgDistance(li.l[i]-c[0], li.a[i]-c[1], li.b[i]-c[2]); e < d {
					d = e
				}
			}
			dist[i] = d
		}
	}
	bd := make([]float32, len(border))
	for k, i := range border {
		bd[k] = dist[i]
	}
	sort.Slice(bd, func(i, j int) bool { return bd[i] < bd[j] })
	q90 := float64(bd[len(bd)*9/10])
	threshold := float32(math.Max(minThresholdDE, math.Min(maxThresholdDE, 1.5*q90+4)))
	raw := make([]bool, n)
	for i, d := range dist {
		raw[i] = d > threshold
	}
	return raw
}

// boxed makes a foreground of mask: its count, box and outline. A mask
// under minMaskFraction of the picture is replaced by the whole picture.
func boxed(mask []bool, w, h int) foreground {
	n := w * h
	fg := foreground{mask: mask}
	for _, m := range mask {
		if m {
			fg.count++
		}
	}
	if float64(fg.count) < minMaskFraction*float64(n) {
		fg.mask = make([]bool, n)
		for i := range fg.mask {
			fg.mask[i] = true
		}
		fg.count = n
		fg.whole = true
	}
	fg.x0, fg.y0, fg.x1, fg.y1 = w, h, 0, 0
	fg.edge = make([]bool, n)
	edges := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !fg.mask[i] {
				continue
			}
			fg.x0, fg.x1 = min(fg.x0, x), max(fg.x1, x+1)
			fg.y0, fg.y1 = min(fg.y0, y), max(fg.y1, y+1)
			if x == 0 || y == 0 || x == w-1 || y == h-1 ||
				!fg.mask[i-1] || !fg.mask[i+1] || !fg.mask[i-w] || !fg.mask[i+w] {
				fg.edge[i] = true
				edges++
			}
		}
	}
	if float64(fg.count-edges) < minInteriorFrac*float64(fg.count) {
		fg.edgeWeight = 1
	}
	return fg
}

// colourWeight is how much mask pixel i counts in colour statistics. An
// outline pixel mixes the product with what is behind it (anti-aliasing,
// JPEG's halved colour resolution, a cut-out's edge flattened onto white)
// and does not count, unless the mask is nearly all outline (thin parts).
func (fg foreground) colourWeight(i int) float32 {
	if fg.edge[i] {
		return fg.edgeWeight
	}
	return 1
}

// bgDistance is a colour difference to the background model in which a
// pure darkening (a shadow on the backdrop) counts for less than a change
// of hue or a brightening.
func bgDistance(dl, da, db float32) float32 {
	if dl < 0 {
		dl *= shadowLWeight
	}
	return float32(math.Sqrt(float64(dl*dl + da*da + db*db)))
}

// gradient is a per-channel linear model c = k0 + k1·u + k2·v over
// normalised coordinates u, v in [-0.5, 0.5].
type gradient struct{ k [3][3]float64 }

func (g gradient) at(x, y, w, h int) (float32, float32, float32) {
	u, v := float64(x)/float64(w)-0.5, float64(y)/float64(h)-0.5
	return float32(g.k[0][0] + g.k[0][1]*u + g.k[0][2]*v),
		float32(g.k[1][0] + g.k[1][1]*u + g.k[1][2]*v),
		float32(g.k[2][0] + g.k[2][1]*u + g.k[2][2]*v)
}

// fitGradient fits the border pixels by least squares.
func fitGradient(li *labImage, border []int) gradient {
	var ata [3][3]float64
	var atb [3][3]float64 // [channel][row]
	for _, i := range border {
		x, y := i%li.w, i/li.w
		row := [3]float64{1, float64(x)/float64(li.w) - 0.5, float64(y)/float64(li.h) - 0.5}
		vals := [3]float64{float64(li.l[i]), float64(li.a[i]), float64(li.b[i])}
		for r := 0; r < 3; r++ {
			for c := 0; c < 3; c++ {
				ata[r][c] += row[r] * row[c]
			}
			for ch := 0; ch < 3; ch++ {
				atb[ch][r] += row[r] * vals[ch]
			}
		}
	}
	var g gradient
	for ch := 0; ch < 3; ch++ {
		sol, ok := solve3(ata, atb[ch])
		if !ok {
			sol = [3]float64{atb[ch][0] / math.Max(ata[0][0], 1), 0, 0}
		}
		g.k[ch] = sol
	}
	return g
}

// solve3 solves a 3×3 linear system by Cramer's rule.
func solve3(m [3][3]float64, b [3]float64) ([3]float64, bool) {
	det := func(a [3][3]float64) float64 {
		return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) -
			a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) +
			a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	}
	d := det(m)
	if math.Abs(d) < 1e-12 {
		return [3]float64{}, false
	}
	var out [3]float64
	for c := 0; c < 3; c++ {
		mc := m
		for r := 0; r < 3; r++ {
			mc[r][c] = b[r]
		}
		out[c] = det(mc) / d
	}
	return out, true
}

// borderPalette clusters the border colours with a few rounds of k-means,
// seeded at evenly spaced border pixels.
func borderPalette(li *labImage, border []int) [][3]float32 {
	k := min(paletteSize, len(border))
	centres := make([][3]float32, k)
	for c := range centres {
		i := border[c*len(border)/k]
		centres[c] = [3]float32{li.l[i], li.a[i], li.b[i]}
	}
	sums := make([][4]float64, k)
	for iter := 0; iter < paletteIters; iter++ {
		clear(sums)
		for _, i := range border {
			best, bestD := 0, float32(math.MaxFloat32)
			for c, ce := range centres {
				dl, da, db := li.l[i]-ce[0], li.a[i]-ce[1], li.b[i]-ce[2]
				if d := dl*dl + da*da + db*db; d < bestD {
					best, bestD = c, d
				}
			}
			s := &sums[best]
			s[0] += float64(li.l[i])
			s[1] += float64(li.a[i])
			s[2] += float64(li.b[i])
			s[3]++
		}
		for c := range centres {
			if sums[c][3] > 0 {
				centres[c] = [3]float32{float32(sums[c][0] / sums[c][3]), float32(sums[c][1] / sums[c][3]), float32(sums[c][2] / sums[c][3])}
			}
		}
	}
	// A cluster holding a sliver of the border is more likely the product
	// touching the edge than background: drop clusters under 4% of it.
	out := centres[:0]
	for c := range centres {
		if sums[c][3] >= 0.04*float64(len(border)) {
			out = append(out, centres[c])
		}
	}
	return out
}

// component is one 8-connected region of a raw foreground mask.
type component struct {
	area       int
	sumX, sumY float64
	score      float64 // area × centre prior; 0 for specks
}

// components labels the 8-connected components of raw (labels are
// 1-based; 0 is background) and scores them: large and central regions
// look like the product, since people frame the thing they photograph.
func components(raw []bool, w, h int) ([]int32, []component) {
	labels := make([]int32, len(raw))
	var comps []component
	stack := make([]int32, 0, 256)
	for start := range raw {
		if !raw[start] || labels[start] != 0 {
			continue
		}
		id := int32(len(comps) + 1)
		var c component
		labels[start] = id
		stack = append(stack[:0], int32(start))
		for len(stack) > 0 {
			p := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := p%w, p/w
			c.area++
			c.sumX += float64(x)
			c.sumY += float64(y)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					q := ny*w + nx
					if raw[q] && labels[q] == 0 {
						labels[q] = id
						stack = append(stack, int32(q))
					}
				}
			}
		}
		comps = append(comps, c)
	}
	minArea := minComponentFrac * float64(w*h)
	for i := range comps {
		c := &comps[i]
		if float64(c.area) < minArea {
			continue
		}
		cx := (c.sumX/float64(c.area) + 0.5) / float64(w)
		cy := (c.sumY/float64(c.area) + 0.5) / float64(h)
		d2 := (cx-0.5)*(cx-0.5) + (cy-0.5)*(cy-0.5)
		c.score = float64(c.area) * math.Exp(-d2/(2*centreSigma*centreSigma))
	}
	return labels, comps
}

// keepComponents returns the mask of the components scoring at least
// ratio × the best score (ratio 1 keeps the best alone).
func keepComponents(labels []int32, comps []component, ratio float64) []bool {
	best := 0.0
	for _, c := range comps {
		best = math.Max(best, c.score)
	}
	mask := make([]bool, len(labels))
	if best == 0 {
		return mask
	}
	for i, l := range labels {
		if l != 0 && comps[l-1].score > 0 && comps[l-1].score >= ratio*best {
			mask[i] = true
		}
	}
	return mask
}

// selectComponents keeps the components of raw that look like the
// product: large and central.
func selectComponents(raw []bool, w, h int) []bool {
	labels, comps := components(raw, w, h)
	return keepComponents(labels, comps, keepScoreRatio)
}
