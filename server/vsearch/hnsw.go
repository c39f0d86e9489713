package vsearch

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// hnsw is a Hierarchical Navigable Small World graph (Malkov & Yashunin,
// 2018) over the rows of an Index's vector array, by inner product (the
// vectors are unit length, so this is cosine similarity).
//
// Layer 0 keeps 2M neighbours per node in one flat int32 slab (a count
// followed by room for up to 3M ids, so back edges can pile up before a
// prune); the few nodes on upper layers keep M (up to 1.5M) per layer in a
// second slab. Neighbours are chosen with the paper's diversity heuristic
// (Algorithm 4), which keeps the graph navigable on clustered data.
//
// A bulk build (buildHNSW) inserts on every core at once, each node's
// lists guarded by its own mutex; outside a bulk build the graph is
// mutated only under Index's write lock (insert), and searches, which
// hold its read lock, take no locks at all.
type hnsw struct {
	dim, m, m0, efConstruction int
	stride0, strideUp          int // int32s per node and layer: count + room
	levelMult                  float64
	rng                        *rand.Rand

	levels     []uint8
	links0     []int32 // node*stride0: count, then neighbours
	upperAt    []int32 // node → offset in upperLinks of its layer-1 list; -1 on layer 0 only
	upperLinks []int32 // per upper node and layer: count, then neighbours
	entry      int32
	top        int

	locks   []sync.Mutex // per node, during a parallel build only
	scratch sync.Pool    // *hnswScratch
}

func newHNSW(dim int, opt Options) *hnsw {
	return &hnsw{
		dim: dim, m: opt.M, m0: 2 * opt.M, efConstruction: opt.EfConstruction,
		stride0: 1 + 3*opt.M, strideUp: 1 + opt.M + opt.M/2,
		levelMult: 1 / math.Log(float64(opt.M)),
		rng:       rand.New(rand.NewPCG(opt.Seed, 0x5eed)),
		entry:     -1,
	}
}

// drawLevel draws a node's top layer from the paper's exponential law.
func (g *hnsw) drawLevel() uint8 {
	return uint8(min(int(-math.Log(1-g.rng.Float64())*g.levelMult), 32))
}

// allocate sizes the slabs for nodes of the given levels (the graph must
// be empty); their lists start empty.
func (g *hnsw) allocate(levels []uint8) {
	n := len(levels)
	g.levels = levels
	g.links0 = make([]int32, n*g.stride0)
	g.upperAt = make([]int32, n)
	upper := 0
	for _, l := range levels {
		upper += int(l)
	}
	g.upperLinks = make([]int32, 0, upper*g.strideUp)
	for id, l := range levels {
		g.upperAt[id] = -1
		if l > 0 {
			g.upperAt[id] = int32(len(g.upperLinks))
			g.upperLinks = g.upperLinks[:len(g.upperLinks)+int(l)*g.strideUp]
		}
	}
}

// appendNode adds one node of level with empty lists.
func (g *hnsw) appendNode(level uint8) {
	g.levels = append(g.levels, level)
	g.links0 = append(g.links0, make([]int32, g.stride0)...)
	if level == 0 {
		g.upperAt = append(g.upperAt, -1)
		return
	}
	g.upperAt = append(g.upperAt, int32(len(g.upperLinks)))
	g.upperLinks = append(g.upperLinks, make([]int32, int(level)*g.strideUp)...)
}

func (g *hnsw) bytes() int64 {
	return int64(cap(g.links0))*4 + int64(cap(g.upperAt))*4 + int64(cap(g.upperLinks))*4 + int64(cap(g.levels))
}

func (g *hnsw) row(vecs []float32, id int32) []float32 {
	return vecs[int(id)*g.dim : int(id+1)*g.dim : int(id+1)*g.dim]
}

// slab returns node id's list on layer: slab[0] is the count, the rest is
// room for neighbours.
func (g *hnsw) slab(id int32, layer int) []int32 {
	if layer == 0 {
		base := int(id) * g.stride0
		return g.links0[base : base+g.stride0 : base+g.stride0]
	}
	base := int(g.upperAt[id]) + (layer-1)*g.strideUp
	return g.upperLinks[base : base+g.strideUp : base+g.strideUp]
}

// neighbours returns node id's current neighbours on layer (no locking:
// for readers that exclude writers).
func (g *hnsw) neighbours(id int32, layer int) []int32 {
	s := g.slab(id, layer)
	return s[1 : 1+s[0]]
}

// setNeighbours replaces node id's list on layer; ns must fit its room.
func (g *hnsw) setNeighbours(id int32, layer int, ns []int32) {
	s := g.slab(id, layer)
	s[0] = int32(copy(s[1:], ns))
}

func (g *hnsw) lock(id int32) {
	if g.locks != nil {
		g.locks[id].Lock()
	}
}

func (g *hnsw) unlock(id int32) {
	if g.locks != nil {
		g.locks[id].Unlock()
	}
}

// copyNeighbours copies node id's list on layer into buf under its lock.
func (g *hnsw) copyNeighbours(id int32, layer int, buf []int32) []int32 {
	g.lock(id)
	buf = append(buf[:0], g.neighbours(id, layer)...)
	g.unlock(id)
	return buf
}

// hnswScratch is one goroutine's working memory for searches and
// inserts, reused through a pool so they allocate nothing.
type hnswScratch struct {
	gen        uint32
	mark       []uint32 // visited when mark[id] == gen; clearing is a gen++
	candidates maxHeap
	results    minHeap
	found      []cand // searchLayer's answer, best first
	nbuf       []int32
	chosen     []cand
	prune      []cand
	kept, disc []cand
	ids        []int32
	sims       []float32
}

func (g *hnsw) getScratch() *hnswScratch {
	s, _ := g.scratch.Get().(*hnswScratch)
	if s == nil {
		s = &hnswScratch{}
	}
	if n := len(g.levels); len(s.mark) < n {
		s.mark = make([]uint32, n+n/4)
		s.gen = 0
	}
	return s
}

// nextGen starts a new visited set.
func (s *hnswScratch) nextGen() {
	s.gen++
	if s.gen == 0 { // wrapped: clear once every 4 billion searches
		clear(s.mark)
		s.gen = 1
	}
}

// buildHNSW builds a graph over the first n rows of vecs, inserting on
// up to workers goroutines (0: GOMAXPROCS). Levels are drawn up front
// from opt.Seed; the node with the highest level becomes the entry point
// and is placed first, so concurrent inserts never move it.
func buildHNSW(vecs []float32, dim, n, workers int, opt Options) *hnsw {
	g := newHNSW(dim, opt)
	levels := make([]uint8, n)
	for i := range levels {
		levels[i] = g.drawLevel()
	}
	g.allocate(levels)
	if n == 0 {
		return g
	}
	g.entry = 0
	for id, l := range levels {
		if int(l) > g.top {
			g.entry, g.top = int32(id), int(l)
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Below a few thousand nodes the graph is too small for two inserts
	// to stay out of each other's way, and building takes milliseconds.
	if workers == 1 || n < 4096 {
		s := g.getScratch()
		for id := range int32(n) {
			if id != g.entry {
				g.insertNode(vecs, id, s)
			}
		}
		g.scratch.Put(s)
		return g
	}
	g.locks = make([]sync.Mutex, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := g.getScratch()
			defer g.scratch.Put(s)
			for {
				id := int32(next.Add(1) - 1)
				if int(id) >= n {
					return
				}
				if id != g.entry {
					g.insertNode(vecs, id, s)
				}
			}
		}()
	}
	wg.Wait()
	g.locks = nil
	return g
}

// insert adds row id of vecs as a new node (ids must arrive in order
// len(levels), len(levels)+1, …). The caller excludes searches.
func (g *hnsw) insert(vecs []float32, id int32) {
	level := g.drawLevel()
	g.appendNode(level)
	if g.entry < 0 {
		g.entry, g.top = id, int(level)
		return
	}
	s := g.getScratch()
	g.insertNode(vecs, id, s)
	g.scratch.Put(s)
	if int(level) > g.top {
		g.entry, g.top = id, int(level)
	}
}

// insertNode links node id (allocated, lists empty) into the graph from
// the current entry point.
func (g *hnsw) insertNode(vecs []float32, id int32, s *hnswScratch) {
	level := int(g.levels[id])
	q := g.row(vecs, id)
	cur := g.entry
	curSim := dot(q, g.row(vecs, cur))
	for l := g.top; l > level; l-- {
		cur, curSim = g.greedy(vecs, q, cur, curSim, l, s)
	}
	for l := min(level, g.top); l >= 0; l-- {
		found := g.searchLayer(vecs, q, cand{cur, curSim}, g.efConstruction, l, s)
		if len(found) == 0 {
			continue
		}
		cur, curSim = found[0].id, found[0].sim
		// A concurrent insert may already have linked id to a node this
		// search reached: never link a node to itself.
		s.prune = s.prune[:0]
		for _, c := range found {
			if c.id != id {
				s.prune = append(s.prune, c)
			}
		}
		maxN := g.m
		if l == 0 {
			maxN = g.m0
		}
		s.chosen = append(s.chosen[:0], g.selectNeighbours(vecs, s.prune, maxN, s)...)
		s.ids = s.ids[:0]
		for _, c := range s.chosen {
			s.ids = append(s.ids, c.id)
		}
		g.lock(id)
		g.setNeighbours(id, l, s.ids)
		g.unlock(id)
		for _, c := range s.chosen {
			g.link(vecs, c.id, id, c.sim, l, maxN, s)
		}
	}
}

// link adds a back edge from node to id. Lists may grow to half again
// their size (slack) before they are pruned back to maxN with the
// diversity heuristic: pruning costs O(maxN²) dot products, and doing it
// on every overflow, as the paper does, made building several times
// slower; amortised over maxN/2 back edges it costs little, and the
// extra edges help recall.
func (g *hnsw) link(vecs []float32, node, id int32, sim float32, layer, maxN int, s *hnswScratch) {
	g.lock(node)
	defer g.unlock(node)
	sl := g.slab(node, layer)
	count := int(sl[0])
	if count < maxN+maxN/2 {
		sl[1+count] = id
		sl[0]++
		return
	}
	ns := sl[1 : 1+count]
	s.sims = slices.Grow(s.sims[:0], count)[:count]
	g.dotRowsByID(vecs, g.row(vecs, node), ns, s.sims)
	s.prune = append(s.prune[:0], cand{id, sim})
	for i, n := range ns {
		s.prune = append(s.prune, cand{n, s.sims[i]})
	}
	sortCands(s.prune)
	kept := g.selectNeighbours(vecs, s.prune, maxN, s)
	for i, c := range kept {
		sl[1+i] = c.id
	}
	sl[0] = int32(len(kept))
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
// cands must be sorted best first; the result lives in s.kept. Each pair
// is compared at most once, and a candidate is dropped at the first kept
// neighbour closer to it than the base, so most are settled in a few dot
// products.
func (g *hnsw) selectNeighbours(vecs []float32, cands []cand, maxN int, s *hnswScratch) []cand {
	s.kept = s.kept[:0]
	if len(cands) <= maxN {
		s.kept = append(s.kept, cands...)
		return s.kept
	}
	s.disc = s.disc[:0]
	for _, c := range cands {
		if len(s.kept) >= maxN {
			break
		}
		good := g.closestToBase(vecs, c, s.kept)
		if good {
			s.kept = append(s.kept, c)
		} else {
			s.disc = append(s.disc, c)
		}
	}
	for _, c := range s.disc {
		if len(s.kept) >= maxN {
			break
		}
		s.kept = append(s.kept, c)
	}
	return s.kept
}

// closestToBase reports whether c is no more similar to any of kept
// than to the base. One row at a time, unlike the walk: most candidates
// lose to the first or second kept neighbour, and the kept rows are
// already in cache.
func (g *hnsw) closestToBase(vecs []float32, c cand, kept []cand) bool {
	cv := g.row(vecs, c.id)
	for _, k := range kept {
		if dot(cv, g.row(vecs, k.id)) > c.sim {
			return false
		}
	}
	return true
}

// greedy moves to the best neighbour on layer until none improves.
func (g *hnsw) greedy(vecs, q []float32, cur int32, curSim float32, layer int, s *hnswScratch) (int32, float32) {
	for changed := true; changed; {
		changed = false
		s.nbuf = g.copyNeighbours(cur, layer, s.nbuf)
		s.sims = slices.Grow(s.sims[:0], len(s.nbuf))[:len(s.nbuf)]
		g.dotRowsByID(vecs, q, s.nbuf, s.sims)
		for i, n := range s.nbuf {
			if sim := s.sims[i]; sim > curSim {
				cur, curSim, changed = n, sim, true
			}
		}
	}
	return cur, curSim
}

// searchLayer is the paper's Algorithm 2: a best-first search from entry
// keeping the ef best nodes found; it returns them best first in
// s.found, valid until the scratch is used again.
func (g *hnsw) searchLayer(vecs, q []float32, entry cand, ef, layer int, s *hnswScratch) []cand {
	s.nextGen()
	gen, mark := s.gen, s.mark
	candidates, results := &s.candidates, &s.results
	candidates.h, results.h = candidates.h[:0], results.h[:0]
	mark[entry.id] = gen
	candidates.push(entry)
	results.push(entry)
	for candidates.len() > 0 {
		c := candidates.pop()
		if results.len() >= ef && c.sim < results.peek().sim {
			break
		}
		s.nbuf = g.copyNeighbours(c.id, layer, s.nbuf)
		fresh := s.nbuf[:0] // unvisited neighbours, in place
		for _, n := range s.nbuf {
			if mark[n] != gen {
				mark[n] = gen
				fresh = append(fresh, n)
			}
		}
		s.sims = slices.Grow(s.sims[:0], len(fresh))[:len(fresh)]
		g.dotRowsByID(vecs, q, fresh, s.sims)
		for i, n := range fresh {
			sim := s.sims[i]
			if results.len() < ef || sim > results.peek().sim {
				candidates.push(cand{n, sim})
				results.push(cand{n, sim})
				if results.len() > ef {
					results.pop()
				}
			}
		}
	}
	s.found = s.found[:0]
	for results.len() > 0 {
		s.found = append(s.found, results.pop())
	}
	for i, j := 0, len(s.found)-1; i < j; i, j = i+1, j-1 {
		s.found[i], s.found[j] = s.found[j], s.found[i]
	}
	return s.found
}

// search finds the ef nodes nearest q and calls fn for each, best first.
func (g *hnsw) search(vecs, q []float32, ef int, fn func(id int32, sim float32)) {
	if g.entry < 0 {
		return
	}
	s := g.getScratch()
	defer g.scratch.Put(s)
	cur := g.entry
	curSim := dot(q, g.row(vecs, cur))
	for l := g.top; l > 0; l-- {
		cur, curSim = g.greedy(vecs, q, cur, curSim, l, s)
	}
	for _, c := range g.searchLayer(vecs, q, cand{cur, curSim}, ef, 0, s) {
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
