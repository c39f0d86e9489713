package vsearch

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
)

// Options tunes an Index. Zero fields take the defaults below.
type Options struct {
	// HNSWThreshold is the number of live vectors from which the index
	// keeps an HNSW graph and answers unfiltered (or broadly filtered)
	// queries approximately; below it every query is an exact scan.
	HNSWThreshold int
	// M is the HNSW graph's out-degree on upper layers (2M on layer 0).
	M int
	// EfConstruction is the candidate list size while inserting.
	EfConstruction int
	// EfSearch is the candidate list size while searching (at least k
	// times the mean vectors per product is used). Zero picks it from the
	// graph's size (efSearchFor).
	EfSearch int
	// CompactRatio is the fraction of dead (removed or replaced) vectors
	// at which the index compacts itself, rebuilding its graph.
	CompactRatio float64
	// Seed makes the HNSW level draws reproducible.
	Seed uint64
}

// maxM bounds Options.M: a layer-0 list holds up to 3M neighbours and the
// index file stores its count in one byte.
const maxM = 85

// Default index options, chosen with BenchmarkSearch on synthetic
// clustered vectors (docs/vsearch.md, "Speed"): efConstruction 64 builds
// about a fifth faster than 100 for the same recall@10. efSearch: recall@10
// was 0.9985 at 10k and 0.9995 at 100k vectors with 128; at 1M it was 0.92
// for 128–256 and 0.97 from 384, at about 2 ms a query. A photo query
// searches once per mask hypothesis, so small graphs keep the cheaper 128.
const (
	DefaultHNSWThreshold  = 20000
	DefaultM              = 16
	DefaultEfConstruction = 64
	DefaultEfSearch       = 128
	LargeEfSearch         = 384
	LargeGraphVectors     = 300_000
	DefaultCompactRatio   = 0.3
)

// efSearchFor is the candidate list size for a graph of n live vectors:
// the configured one, or DefaultEfSearch below LargeGraphVectors and
// LargeEfSearch from there.
func (o Options) efSearchFor(n int) int {
	switch {
	case o.EfSearch > 0:
		return o.EfSearch
	case n >= LargeGraphVectors:
		return LargeEfSearch
	default:
		return DefaultEfSearch
	}
}

func (o Options) withDefaults() Options {
	if o.HNSWThreshold <= 0 {
		o.HNSWThreshold = DefaultHNSWThreshold
	}
	if o.M <= 1 {
		o.M = DefaultM
	}
	if o.M > maxM {
		o.M = maxM
	}
	if o.EfConstruction <= 0 {
		o.EfConstruction = DefaultEfConstruction
	}
	if !(o.CompactRatio > 0 && o.CompactRatio < 1) {
		o.CompactRatio = DefaultCompactRatio
	}
	return o
}

// Limits on what an index accepts.
const (
	// MaxVectorsPerProduct bounds one product's gallery.
	MaxVectorsPerProduct = 256
	// MaxSKUBytes and MaxCategoryBytes bound a product's identifiers.
	MaxSKUBytes      = 256
	MaxCategoryBytes = 256
	// MaxK bounds the number of results of one query.
	MaxK = 1000
)

// Filter restricts a search to products of one category (empty: any) in
// a price range (MinPrice ≤ price ≤ MaxPrice; a zero bound is open).
type Filter struct {
	Category           string
	MinPrice, MaxPrice float64
}

func (f Filter) empty() bool { return f.Category == "" && f.MinPrice == 0 && f.MaxPrice == 0 }

func (f Filter) allows(p *entry) bool {
	if f.Category != "" && p.category != f.Category {
		return false
	}
	if f.MinPrice != 0 && p.price < f.MinPrice {
		return false
	}
	if f.MaxPrice != 0 && p.price > f.MaxPrice {
		return false
	}
	return true
}

// Hit is one product found by Index.Search: its score is the best cosine
// similarity between the query and any of its vectors, and BlockScores
// (when blocks were asked for) split that best vector's similarity by
// descriptor block.
type Hit struct {
	SKU         string
	Score       float32
	BlockScores []float32
}

// entry is a product slot. Its vectors are contiguous: rows
// [start, start+count) of Index.vecs.
type entry struct {
	sku, category string
	price         float64
	start, count  int32
	dead          bool
}

// Index is a gallery of products, each with one or more vectors of one
// descriptor space, searched by cosine similarity with the per-product
// score the best over its vectors. It is safe for concurrent use: searches
// run in parallel, changes take an exclusive lock briefly, and building or
// rebuilding the HNSW graph happens off to the side without blocking
// searches (see Compact).
//
// Vectors live in one contiguous []float32; a product's vectors are
// adjacent, so an exact scan is a single pass of blocked dot products and
// a running per-product maximum. Removing or replacing a product marks
// its vectors dead (a tombstone); when dead vectors reach
// Options.CompactRatio the index compacts itself.
type Index struct {
	mu       sync.RWMutex
	space    Space
	opt      Options
	vecs     []float32
	owner    []int32 // product slot of each vector
	products []entry
	bySKU    map[string]int32
	dead     int // dead vectors
	graph    *hnsw

	// rebuildMu serialises rebuilds (compactions that build a graph off
	// to the side); rebuilding, under mu, tells changes that one is under
	// way so they neither compact in place nor start another.
	rebuildMu  sync.Mutex
	rebuilding bool
	// rebuildHook, when set (tests), runs after a rebuild's graph is
	// built and before it is swapped in, with no lock held.
	rebuildHook func()
}

// ErrInvalidProduct is wrapped when a product's identifiers or vectors are
// unacceptable.
var ErrInvalidProduct = errors.New("vsearch: invalid product")

// NewIndex returns an empty index for vectors of space s.
func NewIndex(s Space, opt Options) *Index {
	return &Index{space: s, opt: opt.withDefaults(), bySKU: map[string]int32{}}
}

// Space returns the descriptor space of the index.
func (x *Index) Space() Space { return x.space }

// Stats describes an index's size.
type Stats struct {
	Products, Vectors, DeadVectors int
	Approximate                    bool
	// Bytes is the memory held by vectors, owners and the graph.
	Bytes int64
}

// Stats returns the index's current size.
func (x *Index) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := Stats{Products: len(x.bySKU), Vectors: len(x.owner) - x.dead, DeadVectors: x.dead, Approximate: x.graph != nil}
	s.Bytes = int64(cap(x.vecs))*4 + int64(cap(x.owner))*4 + int64(cap(x.products))*64
	if x.graph != nil {
		s.Bytes += x.graph.bytes()
	}
	return s
}

// Add indexes a product's vectors, replacing any vectors it had. Vectors
// must belong to the index's space (dimension, finite entries); they are
// normalised on the way in.
//
// When the change leaves the index due for a compaction or, at
// Options.HNSWThreshold live vectors, its first graph, Add rebuilds
// before returning (see Compact); searches and other changes proceed
// meanwhile.
func (x *Index) Add(sku, category string, price float64, vectors [][]float32) error {
	if err := checkProduct(sku, category, price, len(vectors)); err != nil {
		return err
	}
	for i, v := range vectors {
		if err := checkVector(x.space, v); err != nil {
			return fmt.Errorf("%w: %s vector %d: %w", ErrInvalidProduct, sku, i, err)
		}
	}
	x.mu.Lock()
	x.removeLocked(sku)
	slot := int32(len(x.products))
	start := int32(len(x.owner))
	for _, v := range vectors {
		row := len(x.vecs)
		x.vecs = append(x.vecs, v...)
		Normalize(x.vecs[row:])
		x.owner = append(x.owner, slot)
	}
	x.products = append(x.products, entry{sku: sku, category: category, price: price, start: start, count: int32(len(vectors))})
	x.bySKU[sku] = slot
	if x.graph != nil {
		for id := start; id < start+int32(len(vectors)); id++ {
			x.graph.insert(x.vecs, id)
		}
	}
	rebuild := x.maintainLocked()
	x.mu.Unlock()
	if rebuild {
		x.tryRebuild()
	}
	return nil
}

func checkProduct(sku, category string, price float64, n int) error {
	switch {
	case sku == "" || len(sku) > MaxSKUBytes:
		return fmt.Errorf("%w: SKU must be 1..%d bytes", ErrInvalidProduct, MaxSKUBytes)
	case len(category) > MaxCategoryBytes:
		return fmt.Errorf("%w: %s: category over %d bytes", ErrInvalidProduct, sku, MaxCategoryBytes)
	case math.IsNaN(price) || math.IsInf(price, 0) || price < 0:
		return fmt.Errorf("%w: %s: price %v", ErrInvalidProduct, sku, price)
	case n == 0 || n > MaxVectorsPerProduct:
		return fmt.Errorf("%w: %s has %d vectors; 1..%d allowed", ErrInvalidProduct, sku, n, MaxVectorsPerProduct)
	}
	return nil
}

// Remove drops a product; it reports whether the product was indexed.
//
// Like Add, it may leave the index due for a compaction and then
// rebuilds before returning, without blocking searches.
func (x *Index) Remove(sku string) bool {
	x.mu.Lock()
	ok := x.removeLocked(sku)
	rebuild := ok && x.maintainLocked()
	x.mu.Unlock()
	if rebuild {
		x.tryRebuild()
	}
	return ok
}

func (x *Index) removeLocked(sku string) bool {
	slot, ok := x.bySKU[sku]
	if !ok {
		return false
	}
	p := &x.products[slot]
	p.dead = true
	x.dead += int(p.count)
	delete(x.bySKU, sku)
	return true
}

// maintainLocked compacts a graph-less index in place when too much of
// it is dead (a copy, cheap below the graph threshold). It reports
// whether a rebuild is due instead: the index has a graph and too much is
// dead, or it has reached the threshold without a graph.
func (x *Index) maintainLocked() bool {
	if x.rebuilding {
		return false
	}
	live := len(x.owner) - x.dead
	if x.graph == nil && live >= x.opt.HNSWThreshold {
		return true
	}
	if x.dead > 0 && float64(x.dead) >= x.opt.CompactRatio*float64(len(x.owner)) {
		if x.graph != nil {
			return true
		}
		x.compactLocked()
	}
	return false
}

// Compact drops dead vectors now and rebuilds the graph if the live
// vectors call for one. Searches and changes proceed meanwhile: the live
// products are copied under a read lock, the graph is built on that copy
// with no lock held, and the result is swapped in under a brief write lock
// after the changes made meanwhile are applied to it. If a rebuild is
// already under way, Compact waits for it and then rebuilds again.
func (x *Index) Compact() {
	x.rebuildMu.Lock()
	defer x.rebuildMu.Unlock()
	x.rebuild()
}

// tryRebuild rebuilds unless a rebuild is already under way.
func (x *Index) tryRebuild() {
	if !x.rebuildMu.TryLock() {
		return
	}
	defer x.rebuildMu.Unlock()
	x.rebuild()
}

// snapshot is the live part of an index, copied for a rebuild.
type snapshot struct {
	vecs     []float32
	owner    []int32
	products []entry
	bySKU    map[string]int32
	// newSlot maps each product slot of the index at copy time to its
	// slot in the copy, -1 when it was dead then.
	newSlot []int32
}

// rebuild compacts and (re)builds the graph off to the side; the caller
// holds rebuildMu.
func (x *Index) rebuild() {
	x.mu.Lock()
	x.rebuilding = true
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		x.rebuilding = false
		x.mu.Unlock()
	}()

	x.mu.RLock()
	snap := x.snapshotLocked()
	x.mu.RUnlock()

	var g *hnsw
	if len(snap.owner) >= x.opt.HNSWThreshold {
		g = buildHNSW(snap.vecs, x.space.Dim, len(snap.owner), 0, x.opt)
	}
	if x.rebuildHook != nil {
		x.rebuildHook()
	}

	x.mu.Lock()
	defer x.mu.Unlock()
	x.swapLocked(snap, g)
}

// snapshotLocked copies the live products; the caller holds mu (read).
func (x *Index) snapshotLocked() *snapshot {
	dim := x.space.Dim
	live := len(x.owner) - x.dead
	s := &snapshot{
		vecs:     make([]float32, 0, live*dim),
		owner:    make([]int32, 0, live),
		products: make([]entry, 0, len(x.bySKU)),
		bySKU:    make(map[string]int32, len(x.bySKU)),
		newSlot:  make([]int32, len(x.products)),
	}
	for old, p := range x.products {
		s.newSlot[old] = -1
		if p.dead {
			continue
		}
		s.newSlot[old] = int32(len(s.products))
		s.appendProduct(p, x.vecs[int(p.start)*dim:int(p.start+p.count)*dim])
	}
	return s
}

// appendProduct adds a live product and its vectors to the copy.
func (s *snapshot) appendProduct(p entry, vecs []float32) int32 {
	slot := int32(len(s.products))
	p.start = int32(len(s.owner))
	s.vecs = append(s.vecs, vecs...)
	for range p.count {
		s.owner = append(s.owner, slot)
	}
	s.products = append(s.products, p)
	s.bySKU[p.sku] = slot
	return slot
}

// swapLocked brings the copy up to date with the changes made since it was
// taken — products removed or replaced meanwhile become tombstones in it,
// products added meanwhile are appended (and inserted into g) — and makes
// it the index. The caller holds mu (write). Products are only appended or
// tombstoned between compactions, and no compaction runs during a
// rebuild, so slots below len(s.newSlot) still mean what they meant.
func (x *Index) swapLocked(s *snapshot, g *hnsw) {
	dim := x.space.Dim
	dead := 0
	for old, slot := range s.newSlot {
		if slot < 0 || !x.products[old].dead {
			continue
		}
		p := &s.products[slot]
		p.dead = true
		dead += int(p.count)
		if s.bySKU[p.sku] == slot {
			delete(s.bySKU, p.sku)
		}
	}
	for old := len(s.newSlot); old < len(x.products); old++ {
		p := x.products[old]
		if p.dead {
			continue
		}
		start := int32(len(s.owner))
		s.appendProduct(p, x.vecs[int(p.start)*dim:int(p.start+p.count)*dim])
		if g != nil {
			for id := start; id < start+p.count; id++ {
				g.insert(s.vecs, id)
			}
		}
	}
	x.vecs, x.owner, x.products, x.bySKU, x.dead, x.graph = s.vecs, s.owner, s.products, s.bySKU, dead, g
}

// compactLocked drops dead vectors in place; the caller holds mu (write)
// and the index has no graph.
func (x *Index) compactLocked() {
	s := x.snapshotLocked()
	x.vecs, x.owner, x.products, x.bySKU, x.dead = s.vecs, s.owner, s.products, s.bySKU, 0
}

// Search returns the k products most similar to query that pass filter,
// best first. With blocks, each hit also carries its best vector's
// similarity split by block. Approximate search is used when the index
// has a graph and the filter keeps enough of the catalog; otherwise the
// scan is exact.
func (x *Index) Search(query []float32, k int, filter Filter, blocks []Block) ([]Hit, error) {
	if err := checkVector(x.space, query); err != nil {
		return nil, err
	}
	if k <= 0 {
		return nil, nil
	}
	k = min(k, MaxK)
	x.mu.RLock()
	defer x.mu.RUnlock()
	var top topK
	top.init(min(k, len(x.bySKU)))
	if x.graph != nil && x.approximateFits(filter) {
		x.searchGraph(query, k, filter, &top)
	} else if filter.empty() {
		x.scanAll(query, &top)
	} else {
		x.scanFiltered(query, filter, &top)
	}
	return x.hits(query, &top, blocks), nil
}

// approximateFits reports whether the graph can serve filter: it can when
// at least a quarter of the live products pass (results are filtered after
// the graph walk, so a narrow filter would leave too few).
func (x *Index) approximateFits(f Filter) bool {
	if f.empty() {
		return true
	}
	pass := 0
	for i := range x.products {
		if p := &x.products[i]; !p.dead && f.allows(p) {
			pass++
		}
	}
	return pass*4 >= len(x.bySKU)
}

func (x *Index) hits(query []float32, top *topK, blocks []Block) []Hit {
	items := top.sorted()
	out := make([]Hit, len(items))
	dim := x.space.Dim
	for i, it := range items {
		out[i] = Hit{SKU: x.products[it.slot].sku, Score: it.score}
		if len(blocks) > 0 {
			row := x.vecs[int(it.vec)*dim : int(it.vec+1)*dim]
			out[i].BlockScores = make([]float32, len(blocks))
			for b, bl := range blocks {
				if bl.Start >= 0 && bl.End <= dim && bl.Start < bl.End {
					out[i].BlockScores[b] = Dot(query[bl.Start:bl.End], row[bl.Start:bl.End])
				}
			}
		}
	}
	return out
}

// scanBlock is the number of vectors scored per block of the exact scan.
const scanBlock = 64

// scanAll scores every vector in blocks of scanBlock (the query stays in
// cache across four rows at a time), folding each product's run of
// vectors into its maximum.
func (x *Index) scanAll(query []float32, top *topK) {
	dim := x.space.Dim
	n := len(x.owner)
	var scores [scanBlock]float32
	cur, curBest, curVec := int32(-1), float32(0), int32(0)
	flush := func() {
		if cur >= 0 && !x.products[cur].dead {
			top.offer(cur, curVec, curBest)
		}
	}
	for base := 0; base < n; base += scanBlock {
		end := min(base+scanBlock, n)
		dotRows(query, x.vecs[base*dim:end*dim], dim, scores[:end-base])
		for i := base; i < end; i++ {
			s, o := scores[i-base], x.owner[i]
			if o != cur {
				flush()
				cur, curBest, curVec = o, s, int32(i)
			} else if s > curBest {
				curBest, curVec = s, int32(i)
			}
		}
	}
	flush()
}

// scanFiltered scores only the products filter allows.
func (x *Index) scanFiltered(query []float32, filter Filter, top *topK) {
	dim := x.space.Dim
	var scores [scanBlock]float32
	for slot := range x.products {
		p := &x.products[slot]
		if p.dead || !filter.allows(p) {
			continue
		}
		best, bestVec := float32(-2), p.start
		for base := p.start; base < p.start+p.count; base += scanBlock {
			end := min(base+scanBlock, p.start+p.count)
			dotRows(query, x.vecs[int(base)*dim:int(end)*dim], dim, scores[:end-base])
			for i, s := range scores[:end-base] {
				if s > best {
					best, bestVec = s, base+int32(i)
				}
			}
		}
		top.offer(int32(slot), bestVec, best)
	}
}

// dotRows computes the dot product of q with each dim-long row of rows,
// four rows at a time.
func dotRows(q, rows []float32, dim int, out []float32) {
	n := len(out)
	i := 0
	for ; i+4 <= n; i += 4 {
		a := rows[i*dim : (i+1)*dim]
		b := rows[(i+1)*dim : (i+2)*dim]
		c := rows[(i+2)*dim : (i+3)*dim]
		d := rows[(i+3)*dim : (i+4)*dim]
		var sa, sb, sc, sd float32
		for j, qv := range q[:dim] {
			sa += qv * a[j]
			sb += qv * b[j]
			sc += qv * c[j]
			sd += qv * d[j]
		}
		out[i], out[i+1], out[i+2], out[i+3] = sa, sb, sc, sd
	}
	for ; i < n; i++ {
		out[i] = Dot(q, rows[i*dim:(i+1)*dim])
	}
}

// searchGraph walks the HNSW graph with a candidate list large enough to
// yield k distinct allowed products, widening it when products with many
// vectors or the filter leave too few, then falls back to an exact scan.
func (x *Index) searchGraph(query []float32, k int, filter Filter, top *topK) {
	live := len(x.owner) - x.dead
	perProduct := max(1, live/max(1, len(x.bySKU)))
	base := max(x.opt.efSearchFor(live), k*perProduct)
	for ef := base; ef <= 8*base; ef *= 2 {
		top.reset()
		x.graph.search(x.vecs, query, ef, func(id int32, s float32) {
			slot := x.owner[id]
			if p := &x.products[slot]; !p.dead && filter.allows(p) {
				top.offerMax(slot, id, s)
			}
		})
		if top.len() >= top.k {
			return
		}
	}
	top.reset()
	if filter.empty() {
		x.scanAll(query, top)
	} else {
		x.scanFiltered(query, filter, top)
	}
}

// ranked is one product in a topK.
type ranked struct {
	slot, vec int32
	score     float32
}

// topK keeps the k best products in a min-heap on score.
type topK struct {
	k    int
	heap []ranked
}

func (t *topK) init(k int) {
	t.k = k
	t.heap = make([]ranked, 0, k)
}

func (t *topK) reset()   { t.heap = t.heap[:0] }
func (t *topK) len() int { return len(t.heap) }

// offer considers a product seen once (exact scans see each product once).
func (t *topK) offer(slot, vec int32, score float32) {
	if t.k == 0 {
		return
	}
	if len(t.heap) < t.k {
		t.heap = append(t.heap, ranked{slot, vec, score})
		t.up(len(t.heap) - 1)
		return
	}
	if score <= t.heap[0].score {
		return
	}
	t.heap[0] = ranked{slot, vec, score}
	t.down(0)
}

// offerMax considers a product that may already be in the heap (graph
// results arrive per vector); it keeps the product's best score.
func (t *topK) offerMax(slot, vec int32, score float32) {
	for i := range t.heap {
		if t.heap[i].slot == slot {
			if score > t.heap[i].score {
				t.heap[i].score, t.heap[i].vec = score, vec
				t.down(i)
			}
			return
		}
	}
	t.offer(slot, vec, score)
}

func (t *topK) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if t.heap[parent].score <= t.heap[i].score {
			return
		}
		t.heap[parent], t.heap[i] = t.heap[i], t.heap[parent]
		i = parent
	}
}

func (t *topK) down(i int) {
	n := len(t.heap)
	for {
		small := i
		if l := 2*i + 1; l < n && t.heap[l].score < t.heap[small].score {
			small = l
		}
		if r := 2*i + 2; r < n && t.heap[r].score < t.heap[small].score {
			small = r
		}
		if small == i {
			return
		}
		t.heap[i], t.heap[small] = t.heap[small], t.heap[i]
		i = small
	}
}

// sorted empties the heap into a best-first slice (ties by slot, so
// results are deterministic).
func (t *topK) sorted() []ranked {
	out := append([]ranked(nil), t.heap...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].slot < out[j].slot
	})
	return out
}
