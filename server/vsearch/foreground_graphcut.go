package vsearch

import (
	"math"
)

// GrabCut-style refinement of a hypothesis mask (Rother, Kolmogorov and
// Blake 2004): colour models for the product (the hypothesis) and the
// background (everything else, and for certain the border ring and what
// lies well outside the hypothesis' box), a contrast-sensitive smoothness
// term, and a minimum cut, a few rounds, on a grid of at most
// cutSide×cutSide cells to stay within the query's time budget.
const (
	cutSide       = 80   // the picture is averaged down to fit cutSide² cells
	cutComponents = 5    // Gaussians per colour model
	cutKMeans     = 4    // k-means rounds fitting a model
	cutMaxSamples = 1200 // samples a model is fitted on
	cutRounds     = 3    // model fit + cut rounds
	cutSmooth     = 15   // weight of the smoothness term (GrabCut's γ, per 4-neighbour)
	cutBoxMargin  = 0.1  // cells outside the hypothesis' box grown by this fraction of the grid side are background
	cutMinVar     = 4.0  // ΔE² floor of a Gaussian's per-channel variance (JPEG noise)
	cutHard       = 1e6  // capacity of a certain label's terminal link
)

// refineCut returns hyp refined by a graph cut over li, at li's size, or
// nil when hyp or its complement is too small to model. Pixels of known,
// when not nil, are certain background.
func refineCut(li *labImage, hyp, known []bool) []bool {
	w, h := li.w, li.h
	step := max(1, (max(w, h)+cutSide-1)/cutSide)
	gw, gh := (w+step-1)/step, (h+step-1)/step
	n := gw * gh
	// Cell colours (mean L*a*b*) and the hypothesis by majority.
	col := make([][3]float32, n)
	inHyp := make([]bool, n)
	cnt := make([]int32, n)
	votes := make([]int32, n)
	knownVotes := make([]int32, n)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i, c := y*w+x, (y/step)*gw+x/step
			col[c][0] += li.l[i]
			col[c][1] += li.a[i]
			col[c][2] += li.b[i]
			cnt[c]++
			if hyp[i] {
				votes[c]++
			}
			if known != nil && known[i] {
				knownVotes[c]++
			}
		}
	}
	x0, y0, x1, y1 := gw, gh, 0, 0
	for c := range col {
		k := float32(cnt[c])
		col[c][0] /= k
		col[c][1] /= k
		col[c][2] /= k
		inHyp[c] = 2*votes[c] >= cnt[c]
		if inHyp[c] {
			x, y := c%gw, c/gw
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
		}
	}
	// Certain background: the border ring outside the hypothesis, and all
	// outside its grown box.
	margin := int(math.Ceil(cutBoxMargin * float64(max(gw, gh))))
	bx0, by0, bx1, by1 := x0-margin, y0-margin, x1+margin, y1+margin
	hard := make([]bool, n)
	nFG, nBG := 0, 0
	for c := range hard {
		x, y := c%gw, c/gw
		ring := x == 0 || y == 0 || x == gw-1 || y == gh-1
		hard[c] = (ring && !inHyp[c]) || x < bx0 || y < by0 || x >= bx1 || y >= by1 || 2*knownVotes[c] > cnt[c]
		if inHyp[c] {
			nFG++
		} else {
			nBG++
		}
	}
	if nFG < 4*cutComponents || nBG < 4*cutComponents {
		return nil
	}
	// Smoothness: γ·exp(−β‖zi−zj‖²), β from the mean contrast.
	var sum float64
	var pairs int
	for c := range col {
		x, y := c%gw, c/gw
		if x+1 < gw {
			sum += float64(dist2(col[c], col[c+1]))
			pairs++
		}
		if y+1 < gh {
			sum += float64(dist2(col[c], col[c+gw]))
			pairs++
		}
	}
	beta := 0.0
	if sum > 0 {
		beta = float64(pairs) / (2 * sum)
	}
	right := make([]float32, n)
	down := make([]float32, n)
	for c := range col {
		x, y := c%gw, c/gw
		if x+1 < gw {
			right[c] = float32(cutSmooth * math.Exp(-beta*float64(dist2(col[c], col[c+1]))))
		}
		if y+1 < gh {
			down[c] = float32(cutSmooth * math.Exp(-beta*float64(dist2(col[c], col[c+gw]))))
		}
	}

	alpha := make([]bool, n)
	copy(alpha, inHyp)
	for c := range alpha {
		if hard[c] {
			alpha[c] = false
		}
	}
	g := newGridFlow(gw, gh)
	var fgModel, bgModel gmm
	samples := make([][3]float32, 0, n)
	source, sink := make([]float32, n), make([]float32, n)
	for round := range cutRounds {
		samples = samples[:0]
		for c := range alpha {
			if alpha[c] {
				samples = append(samples, col[c])
			}
		}
		if len(samples) < 4*cutComponents {
			return nil
		}
		fgModel.fit(samples, round > 0)
		samples = samples[:0]
		for c := range alpha {
			if !alpha[c] {
				samples = append(samples, col[c])
			}
		}
		bgModel.fit(samples, round > 0)
		for c := range col {
			if hard[c] {
				source[c], sink[c] = 0, cutHard
				continue
			}
			// Cutting a cell from the source labels it background and
			// costs −log p(z | product); cutting it from the sink costs
			// −log p(z | background).
			dFG, dBG := fgModel.cost(col[c]), bgModel.cost(col[c])
			source[c], sink[c] = 0, 0
			if dBG > dFG {
				source[c] = dBG - dFG
			} else {
				sink[c] = dFG - dBG
			}
		}
		g.reset(source, sink, right, down)
		g.maxFlow()
		changed := false
		for c, in := range g.sourceSide() {
			if alpha[c] != in {
				alpha[c] = in
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	out := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out[y*w+x] = alpha[(y/step)*gw+x/step]
		}
	}
	return out
}

func dist2(p, q [3]float32) float32 {
	dl, da, db := p[0]-q[0], p[1]-q[1], p[2]-q[2]
	return dl*dl + da*da + db*db
}

// gmm is a mixture of Gaussians with diagonal covariances in L*a*b*.
type gmm struct {
	k      int
	weight [cutComponents]float64
	mean   [cutComponents][3]float32
	inv    [cutComponents][3]float32 // 1 / variance
	logC   [cutComponents]float64    // log(weight) − ½·log((2π)³·Πvariance)
}

// fit clusters samples (at most cutMaxSamples of them, evenly strided)
// with k-means rounds — seeded at evenly spaced samples, or warm-started
// from the previous fit's means — and makes each cluster a Gaussian.
func (m *gmm) fit(samples [][3]float32, warm bool) {
	stride := max(1, len(samples)/cutMaxSamples)
	rounds := cutKMeans
	if warm && m.k == min(cutComponents, len(samples)) {
		rounds = 2
	} else {
		m.k = min(cutComponents, len(samples))
		for j := range m.k {
			m.mean[j] = samples[j*len(samples)/m.k]
		}
	}
	var sums [cutComponents][7]float64
	for range rounds {
		sums = [cutComponents][7]float64{}
		for i := 0; i < len(samples); i += stride {
			s := samples[i]
			best, bestD := 0, float32(math.MaxFloat32)
			for j := range m.k {
				if d := dist2(s, m.mean[j]); d < bestD {
					best, bestD = j, d
				}
			}
			a := &sums[best]
			for ch := range 3 {
				a[ch] += float64(s[ch])
				a[3+ch] += float64(s[ch]) * float64(s[ch])
			}
			a[6]++
		}
		for j := range m.k {
			if a := sums[j]; a[6] > 0 {
				m.mean[j] = [3]float32{float32(a[0] / a[6]), float32(a[1] / a[6]), float32(a[2] / a[6])}
			}
		}
	}
	var total float64
	for j := range m.k {
		total += sums[j][6]
	}
	for j := range m.k {
		a := sums[j]
		if a[6] == 0 {
			m.weight[j], m.logC[j] = 0, math.Inf(-1)
			continue
		}
		m.weight[j] = a[6] / total
		logDet := 0.0
		for ch := range 3 {
			mu := a[ch] / a[6]
			v := math.Max(cutMinVar, a[3+ch]/a[6]-mu*mu)
			m.inv[j][ch] = float32(1 / v)
			logDet += math.Log(v)
		}
		m.logC[j] = math.Log(m.weight[j]) - 0.5*(3*math.Log(2*math.Pi)+logDet)
	}
}

// cost is −log of the density at z of the mixture's likeliest component
// (GrabCut assigns each pixel to one component too): no exponentials.
func (m *gmm) cost(z [3]float32) float32 {
	best := float32(cutHard)
	for j := range m.k {
		if m.weight[j] == 0 {
			continue
		}
		var q float32
		for ch := range 3 {
			d := z[ch] - m.mean[j][ch]
			q += d * d * m.inv[j][ch]
		}
		best = min(best, 0.5*q-float32(m.logC[j]))
	}
	return best
}

// gridFlow is a minimum s–t cut on a 4-connected grid: every cell has a
// link from the source, a link to the sink and a capacity to each
// neighbour, the same both ways. It runs Dinic's algorithm.
type gridFlow struct {
	w, h   int
	src    []float32 // residual source → cell
	snk    []float32 // residual cell → sink
	nb     []float32 // residual cell → neighbour, 4 per cell: right, left, down, up
	level  []int32
	next   []uint8 // the next arc to try in the current phase (current-arc)
	queue  []int32
	reach  []bool
	offset [4]int
}

const flowEps = 1e-4

func newGridFlow(w, h int) *gridFlow {
	n := w * h
	return &gridFlow{
		w: w, h: h,
		src: make([]float32, n), snk: make([]float32, n), nb: make([]float32, 4*n),
		level: make([]int32, n), next: make([]uint8, n), queue: make([]int32, 0, n), reach: make([]bool, n),
		offset: [4]int{1, -1, w, -w},
	}
}

// reset loads terminal capacities and the neighbour capacities (right[c]
// between c and c+1, down[c] between c and c+w).
func (g *gridFlow) reset(source, sink, right, down []float32) {
	copy(g.src, source)
	copy(g.snk, sink)
	clear(g.nb)
	for c := range right {
		x, y := c%g.w, c/g.w
		if x+1 < g.w {
			g.nb[4*c] = right[c]
			g.nb[4*(c+1)+1] = right[c]
		}
		if y+1 < g.h {
			g.nb[4*c+2] = down[c]
			g.nb[4*(c+g.w)+3] = down[c]
		}
	}
}

// maxFlow saturates every augmenting path from source to sink. Paths of
// one neighbour step (source → cell → neighbour → sink), most of the flow
// between a region and its border, are pushed first, greedily, so that
// Dinic's phases have less left to do.
func (g *gridFlow) maxFlow() {
	for c := range g.src {
		for d := 0; d < 4 && g.src[c] > flowEps; d++ {
			r := g.nb[4*c+d]
			if r <= flowEps {
				continue
			}
			q := c + g.offset[d]
			f := min(g.src[c], r, g.snk[q])
			if f <= flowEps {
				continue
			}
			g.src[c] -= f
			g.snk[q] -= f
			g.nb[4*c+d] -= f
			g.nb[4*q+(d^1)] += f
		}
	}
	for g.levels() {
		clear(g.next)
		for c := range g.src {
			for g.src[c] > flowEps && g.level[c] == 1 {
				f := g.push(c, g.src[c])
				if f <= 0 {
					break
				}
				g.src[c] -= f
			}
		}
	}
}

// levels labels cells by their distance from the source in the residual
// graph and reports whether the sink is reachable.
func (g *gridFlow) levels() bool {
	for i := range g.level {
		g.level[i] = -1
	}
	g.queue = g.queue[:0]
	for c, s := range g.src {
		if s > flowEps {
			g.level[c] = 1
			g.queue = append(g.queue, int32(c))
		}
	}
	found := false
	for k := 0; k < len(g.queue); k++ {
		c := int(g.queue[k])
		if g.snk[c] > flowEps {
			found = true
		}
		for d := range 4 {
			if g.nb[4*c+d] <= flowEps {
				continue
			}
			// Off-grid arcs never have capacity.
			if q := c + g.offset[d]; g.level[q] < 0 {
				g.level[q] = g.level[c] + 1
				g.queue = append(g.queue, int32(q))
			}
		}
	}
	return found
}

// push sends up to f from c towards the sink along the level graph and
// returns what it sent.
func (g *gridFlow) push(c int, f float32) float32 {
	sent := float32(0)
	if s := g.snk[c]; s > flowEps {
		d := min(s, f)
		g.snk[c] -= d
		sent += d
		if sent >= f-flowEps {
			return sent
		}
	}
	for ; g.next[c] < 4; g.next[c]++ {
		d := int(g.next[c])
		r := g.nb[4*c+d]
		if r <= flowEps {
			continue
		}
		q := c + g.offset[d]
		if g.level[q] != g.level[c]+1 {
			continue
		}
		got := g.push(q, min(r, f-sent))
		if got > 0 {
			g.nb[4*c+d] -= got
			g.nb[4*q+(d^1)] += got
			sent += got
			if sent >= f-flowEps {
				return sent
			}
		}
	}
	// Nothing more gets through c in this phase.
	g.level[c] = -1
	return sent
}

// sourceSide marks the cells still reachable from the source: after
// maxFlow, the product side of the minimum cut.
func (g *gridFlow) sourceSide() []bool {
	clear(g.reach)
	g.queue = g.queue[:0]
	for c, s := range g.src {
		if s > flowEps {
			g.reach[c] = true
			g.queue = append(g.queue, int32(c))
		}
	}
	for k := 0; k < len(g.queue); k++ {
		c := int(g.queue[k])
		for d := range 4 {
			if g.nb[4*c+d] <= flowEps {
				continue
			}
			if q := c + g.offset[d]; !g.reach[q] {
				g.reach[q] = true
				g.queue = append(g.queue, int32(q))
			}
		}
	}
	return g.reach
}
