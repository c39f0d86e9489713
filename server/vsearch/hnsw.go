package vsearch

import (
	"math"
	"math/rand/v2"
	"sync"
)

// hnsw is a Hierarchical Navigable Small World graph (Malkov & Yashunin,
// 2018) over the rows of an Index's vector array, by inner product (the
// vectors are unit length, so this is cosine similarity). Layer 0 keeps
// 2M neighbours per node (up to 3M before pruning) in one flat array; the
// few nodes on upper layers keep M (up to 1.5M) per layer. Neighbours are
// chosen with the paper's diversity heuristic (Algorithm 4), which keeps
// the graph navigable on clustered data. The graph is not safe for
// concurrent mutation; Index serialises inserts and lets searches share
// it.
type hnsw struct {
	dim, m, m0, cap0, efConstruction int
	levelMult                        float64
	rng                              *rand.Rand

	levels  []uint8
	links0  []int32 // node*cap0 … node*cap0+count0[node]
	count0  []uint8
	upper   map[int32][][]int32 // node → layer-1 … layer-level neighbours
	entry   int32
	top     int
	visited sync.Pool // *visitSet
}

// visitSet marks nodes seen in one search with a generation counter, so
// clearing it is free.
type visitSet struct {
	gen  uint32
	mark []uint32
}

func newHNSW(dim, capacity int, opt Options) *hnsw {
	g := &hnsw{
		dim: dim, m: opt.M, m0: 2 * opt.M, cap0: 3 * opt.M, efConstruction: opt.EfConstruction,
		levelMult: 1 / math.Log(float64(opt.M)),
		rng:       rand.New(rand.NewPCG(opt.Seed, 0x5eed)),
		levels:    make([]uint8, 0, capacity),
		count0:    make([]uint8, 0, capacity),
		links0:    make([]int32, 0, capacity*3*opt.M),
		upper:     map[int32][][]int32{},
		entry:     -1,
	}
	return g
}

func (g *hnsw) bytes() int64 {
	b := int64(cap(g.links0))*4 + int64(cap(g.count0)) + int64(cap(g.levels))
	for _, layers := range g.upper {
		for _, l := range layers {
			b += int64(cap(l))*4 + 24
		}
	}
	return b
}

func (g *hnsw) row(vecs []float32, id int32) []float32 {
	return vecs[int(id)*g.dim : int(id+1)*g.dim]
}

func (g *hnsw) neighbours(id int32, layer int) []int32 {
	if layer == 0 {
		base := int(id) * g.cap0
		return g.links0[base : base+int(g.count0[id])]
	}
	return g.upper[id][layer-1]
}

func (g *hnsw) setNeighbours(id int32, layer int, ns []int32) {
	if layer == 0 {
		base := int(id) * g.cap0
		copy(g.links0[base:base+g.cap0], ns)
		g.count0[id] = uint8(len(ns))
		return
	}
	g.upper[id][layer-1] = append(g.upper[id][layer-1][:0], ns...)
}

func (g *hnsw) getVisit(n int) *visitSet {
	v, _ := g.visited.Get().(*visitSet)
	if v == nil {
		v = &visitSet{}
	}
	if len(v.mark) < n {
		v.mark = make([]uint32, n+n/4)
		v.gen = 0
	}
	v.gen++
	if v.gen == 0 { // wrapped: clear once every 4 billion searches
		clear(v.mark)
		v.gen = 1
	}
	return v
}

// insert adds row id of vecs (ids must arrive in order 0, 1, 2, …).
func (g *hnsw) insert(vecs []float32, id int32) {
	level := min(int(-math.Log(1-g.rng.Float64())*g.levelMult), 32)
	g.levels = append(g.levels, uint8(level))
	g.count0 = append(g.count0, 0)
	g.links0 = append(g.links0, make([]int32, g.cap0)...)
	if level > 0 {
		g.upper[id] = make([][]int32, level)
		for l := range g.upper[id] {
			g.upper[id][l] = make([]int32, 0, g.m+g.m/2)
		}
	}
	if g.entry < 0 {
		g.entry, g.top = id, level
		return
	}
	q := g.row(vecs, id)
	cur := g.entry
	curSim := Dot(q, g.row(vecs, cur))
	for l := g.top; l > level; l-- {
		cur, curSim = g.greedy(vecs, q, cur, curSim, l)
	}
	visit := g.getVisit(len(g.levels))
	defer g.visited.Put(visit)
	var cands []cand
	for l := min(level, g.top); l >= 0; l-- {
		cands = g.searchLayer(vecs, q, []cand{{cur, curSim}}, g.efConstruction, l, visit)
		maxN := g.m
		if l == 0 {
			maxN = g.m0
		}
		chosen := g.selectNeighbours(vecs, cands, maxN)
		ids := make([]int32, len(chosen))
		for i, c := range chosen {
			ids[i] = c.id
		}
		g.setNeighbours(id, l, ids)
		for _, c := range chosen {
			g.link(vecs, c.id, id, c.sim, l, maxN)
		}
		cur, curSim = cands[0].id, cands[0].sim
	}
	if level > g.top {
		g.entry, g.top = id, level
	}
}

// link adds a back edge from node to id. Lists may grow to half again
// their size (slack) before they are pruned back to maxN with the
// diversity heuristic: pruning costs O(maxN²) dot products, and doing it
// on every overflow, as the paper does, made building several times
// slower; amortised over maxN/2 back edges it costs little, and the
// extra edges help recall.
func (g *hnsw) link(vecs []float32, node, id int32, sim float32, layer, maxN int) {
	ns := g.neighbours(node, layer)
	if len(ns) < maxN+maxN/2 {
		if layer == 0 {
			g.links0[int(node)*g.cap0+len(ns)] = id
			g.count0[node]++
		} else {
			g.upper[node][layer-1] = append(g.upper[node][layer-1], id)
		}
		return
	}
	nodeVec := g.row(vecs, node)
	cs := make([]cand, 0, len(ns)+1)
	cs = append(cs, cand{id, sim})
	for _, n := range ns {
		cs = append(cs, cand{n, Dot(nodeVec, g.row(vecs, n))})
	}
	sortCands(cs)
	chosen := g.selectNeighbours(vecs, cs, maxN)
	ids := make([]int32, len(chosen))
	for i, c := range chosen {
		ids[i] = c.id
	}
	g.setNeighbours(node, layer, ids)
}

// sortCands sorts best first (insertion sort: lists are short).
func sortCands(cs []cand) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].sim > cs[j-1].sim; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// selectNeighbours is the diversity heuristic: walk candidates best first
// and keep one only if it is closer to the base than to every neighbour
// kept so far; fill up with the best discarded ones if too few remain.
// cands must be sorted best first.
func (g *hnsw) selectNeighbours(vecs []float32, cands []cand, maxN int) []cand {
	if len(cands) <= maxN {
		return cands
	}
	kept := make([]cand, 0, maxN)
	var discarded []cand
	for _, c := range cands {
		if len(kept) >= maxN {
			break
		}
		cv := g.row(vecs, c.id)
		good := true
		for _, k := range kept {
			if Dot(cv, g.row(vecs, k.id)) > c.sim {
				good = false
				break
			}
		}
		if good {
			kept = append(kept, c)
		} else {
			discarded = append(discarded, c)
		}
	}
	for _, c := range discarded {
		if len(kept) >= maxN {
			break
		}
		kept = append(kept, c)
	}
	return kept
}

// greedy moves to the best neighbour on layer until none improves.
func (g *hnsw) greedy(vecs, q []float32, cur int32, curSim float32, layer int) (int32, float32) {
	for changed := true; changed; {
		changed = false
		for _, n := range g.neighbours(cur, layer) {
			if s := Dot(q, g.row(vecs, n)); s > curSim {
				cur, curSim, changed = n, s, true
			}
		}
	}
	return cur, curSim
}

// searchLayer is the paper's Algorithm 2: a best-first search keeping the
// ef best nodes found; it returns them sorted best first.
func (g *hnsw) searchLayer(vecs, q []float32, entries []cand, ef, layer int, visit *visitSet) []cand {
	visit.gen++
	if visit.gen == 0 {
		clear(visit.mark)
		visit.gen = 1
	}
	var candidates maxHeap
	var results minHeap
	for _, e := range entries {
		visit.mark[e.id] = visit.gen
		candidates.push(e)
		results.push(e)
	}
	for candidates.len() > 0 {
		c := candidates.pop()
		if results.len() >= ef && c.sim < results.peek().sim {
			break
		}
		for _, n := range g.neighbours(c.id, layer) {
			if visit.mark[n] == visit.gen {
				continue
			}
			visit.mark[n] = visit.gen
			s := Dot(q, g.row(vecs, n))
			if results.len() < ef || s > results.peek().sim {
				candidates.push(cand{n, s})
				results.push(cand{n, s})
				if results.len() > ef {
					results.pop()
				}
			}
		}
	}
	out := make([]cand, results.len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = results.pop()
	}
	return out
}

// search finds the ef nodes nearest q and calls fn for each, best first.
func (g *hnsw) search(vecs, q []float32, ef int, fn func(id int32, sim float32)) {
	if g.entry < 0 {
		return
	}
	cur := g.entry
	curSim := Dot(q, g.row(vecs, cur))
	for l := g.top; l > 0; l-- {
		cur, curSim = g.greedy(vecs, q, cur, curSim, l)
	}
	visit := g.getVisit(len(g.levels))
	defer g.visited.Put(visit)
	for _, c := range g.searchLayer(vecs, q, []cand{{cur, curSim}}, ef, 0, visit) {
		fn(c.id, c.sim)
	}
}

// cand is a node and its similarity to the query.
type cand struct {
	id  int32
	sim float32
}

// maxHeap pops the most similar candidate first.
type maxHeap struct{ h []cand }

func (m *maxHeap) len() int { return len(m.h) }
func (m *maxHeap) push(c cand) {
	m.h = append(m.h, c)
	for i := len(m.h) - 1; i > 0; {
		p := (i - 1) / 2
		if m.h[p].sim >= m.h[i].sim {
			break
		}
		m.h[p], m.h[i] = m.h[i], m.h[p]
		i = p
	}
}
func (m *maxHeap) pop() cand {
	top := m.h[0]
	last := len(m.h) - 1
	m.h[0] = m.h[last]
	m.h = m.h[:last]
	for i := 0; ; {
		b := i
		if l := 2*i + 1; l < last && m.h[l].sim > m.h[b].sim {
			b = l
		}
		if r := 2*i + 2; r < last && m.h[r].sim > m.h[b].sim {
			b = r
		}
		if b == i {
			break
		}
		m.h[i], m.h[b] = m.h[b], m.h[i]
		i = b
	}
	return top
}

// minHeap pops the least similar candidate first.
type minHeap struct{ h []cand }

func (m *minHeap) len() int   { return len(m.h) }
func (m *minHeap) peek() cand { return m.h[0] }
func (m *minHeap) push(c cand) {
	m.h = append(m.h, c)
	for i := len(m.h) - 1; i > 0; {
		p := (i - 1) / 2
		if m.h[p].sim <= m.h[i].sim {
			break
		}
		m.h[p], m.h[i] = m.h[i], m.h[p]
		i = p
	}
}
func (m *minHeap) pop() cand {
	top := m.h[0]
	last := len(m.h) - 1
	m.h[0] = m.h[last]
	m.h = m.h[:last]
	for i := 0; ; {
		b := i
		if l := 2*i + 1; l < last && m.h[l].sim < m.h[b].sim {
			b = l
		}
		if r := 2*i + 2; r < last && m.h[r].sim < m.h[b].sim {
			b = r
		}
		if b == i {
			break
		}
		m.h[i], m.h[b] = m.h[b], m.h[i]
		i = b
	}
	return top
}
