package recs

import (
	"math"
	"slices"
	"sync"

	"github.com/vitrine-shop/vitrine/wire"
)

// Request asks for recommendations. SKU is the context product (empty on
// the front page); Session and Consent decide whether the session's history
// is used (only at wire.ConsentPersonalisation).
type Request struct {
	Session string
	Consent string
	SKU     string
	Slot    string
	Count   int
}

// The recommenders, in blend order.
const (
	kindSession = iota
	kindCoView
	kindBought
	kindSimilar
	kindPopular
	numKinds
)

var kindNames = [numKinds]string{wire.RecsKindSession, wire.RecsKindCoView, wire.RecsKindBought, wire.RecsKindSimilar, wire.RecsKindPopular}

func (w Weights) of(k int) float64 {
	return [numKinds]float64{w.Session, w.CoView, w.Bought, w.Similar, w.Popular}[k]
}

// candidate is a product some recommender proposed, with each recommender's
// score and the product that led to it (for the reason).
type candidate struct {
	id   int32
	raw  [numKinds]float64
	src  [numKinds]int32
	best [numKinds]float64 // largest single contribution, to pick src

	blended float64
	kind    int
}

// candidates gathers every recommender's proposals; e.mu is held. They
// are pooled: a Get allocates almost nothing.
type candidates struct {
	list  []candidate
	byID  map[int32]int32 // index into list
	skip  map[int32]bool
	pool  []*candidate
	norms [numKinds]float64
}

var candidatePool = sync.Pool{New: func() any {
	return &candidates{byID: map[int32]int32{}, skip: map[int32]bool{}}
}}

func getCandidates() *candidates {
	c := candidatePool.Get().(*candidates)
	c.list = c.list[:0]
	clear(c.byID)
	clear(c.skip)
	c.norms = [numKinds]float64{}
	return c
}

func putCandidates(c *candidates) {
	if cap(c.list) <= 1<<14 {
		candidatePool.Put(c)
	}
}

func (c *candidates) add(id int32, kind int, v float64, src int32) {
	if v <= 0 || c.skip[id] {
		return
	}
	i, ok := c.byID[id]
	if !ok {
		i = int32(len(c.list))
		c.byID[id] = i
		c.list = append(c.list, candidate{id: id, src: [numKinds]int32{-1, -1, -1, -1, -1}})
	}
	x := &c.list[i]
	x.raw[kind] += v
	if v > x.best[kind] {
		x.best[kind], x.src[kind] = v, src
	}
}

// Get returns up to req.Count recommendations (wire.DefaultRecsCount when
// zero), best first, each with its kind and reason.
func (e *Engine) Get(req Request) []wire.RecItem {
	count := req.Count
	if count <= 0 {
		count = wire.DefaultRecsCount
	}
	count = min(count, wire.MaxRecsCount)
	var similar []SimilarItem
	if e.opt.Similar != nil && e.weights.Similar > 0 && req.SKU != "" {
		similar = e.opt.Similar(req.SKU, similarFanout)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	c := e.gather(req, similar)
	defer putCandidates(c)
	return e.rank(c, e.weights, true, count)
}

// gather runs every recommender for req; e.mu is held (read).
func (e *Engine) gather(req Request, similar []SimilarItem) *candidates {
	c := getCandidates()
	ctx := int32(-1)
	if id, ok := e.index[req.SKU]; ok {
		ctx = id
		c.skip[id] = true
	}
	type source struct {
		id int32
		w  float64
	}
	var hist []source
	var cart []int32
	if s := e.sessions[req.Session]; s != nil && req.Consent == wire.ConsentPersonalisation {
		w := 0.7
		for _, id := range s.recent {
			if id != ctx {
				hist = append(hist, source{id, w})
				w *= 0.7
			}
		}
		cart = s.cart
		for _, id := range cart {
			c.skip[id] = true
		}
	}
	visits := hist
	if ctx >= 0 {
		visits = append([]source{{ctx, 1}}, hist...)
	}
	for _, s := range visits {
		it := &e.items[s.id]
		if m := it.next.max(); m > 0 {
			for _, n := range it.next {
				c.add(n.id, kindSession, s.w*float64(n.w/m), s.id)
			}
		}
		if m := it.coView.max(); m > 0 {
			for _, n := range it.coView {
				c.add(n.id, kindCoView, s.w*float64(n.w/m), s.id)
			}
		}
	}
	basket := []source{}
	if ctx >= 0 {
		basket = append(basket, source{ctx, 1})
	}
	for _, id := range cart {
		basket = append(basket, source{id, 0.8})
	}
	for _, s := range basket {
		it := &e.items[s.id]
		if m := it.bought.max(); m > 0 {
			for _, n := range it.bought {
				c.add(n.id, kindBought, s.w*float64(n.w/m), s.id)
			}
		}
	}
	for _, sim := range similar {
		if id, ok := e.index[sim.SKU]; ok && ctx >= 0 {
			c.add(id, kindSimilar, sim.Score, ctx)
		}
	}
	// Popularity: the context's category, else the categories of the
	// session's history, else the whole shop.
	var lists []*topList
	switch {
	case ctx >= 0:
		lists = append(lists, e.cats[e.items[ctx].info.Category])
	case len(hist) > 0 || len(cart) > 0:
		seen := map[string]bool{}
		ids := slices.Clone(cart)
		for _, s := range hist {
			ids = append(ids, s.id)
		}
		for _, id := range ids {
			cat := e.items[id].info.Category
			if !seen[cat] && len(seen) < 3 {
				seen[cat] = true
				lists = append(lists, e.cats[cat])
			}
		}
		lists = append(lists, e.global)
	default:
		lists = append(lists, e.global)
	}
	for li, l := range lists {
		if l == nil {
			continue
		}
		var m float64
		for _, id := range l.ids {
			m = math.Max(m, e.items[id].pop)
		}
		if m == 0 {
			continue
		}
		w := 1 / float64(li+1)
		for _, id := range l.ids {
			c.add(id, kindPopular, w*e.items[id].pop/m, -1)
		}
	}
	for i := range c.list {
		for k := range numKinds {
			c.norms[k] = math.Max(c.norms[k], c.list[i].raw[k])
		}
	}
	return c
}

// rank blends the candidates with weights and returns the best count,
// diversified or not; e.mu is held (read).
func (e *Engine) rank(c *candidates, w Weights, diversify bool, count int) []wire.RecItem {
	pool := c.pool[:0]
	for i := range c.list {
		x := &c.list[i]
		x.blended, x.kind = 0, -1
		var top float64
		for k := range numKinds {
			if c.norms[k] == 0 || w.of(k) == 0 {
				continue
			}
			v := w.of(k) * x.raw[k] / c.norms[k]
			x.blended += v
			if v > top {
				top, x.kind = v, k
			}
		}
		if x.blended > 0 {
			pool = append(pool, x)
		}
	}
	c.pool = pool
	pool = topN(pool, 8*count+20)
	var chosen []*candidate
	if diversify {
		chosen = e.diversify(pool, count)
	} else {
		chosen = pool[:min(len(pool), count)]
	}
	out := make([]wire.RecItem, len(chosen))
	for i, x := range chosen {
		out[i] = wire.RecItem{
			SKU:    e.items[x.id].info.SKU,
			Score:  math.Round(x.blended*1e4) / 1e4,
			Kind:   kindNames[x.kind],
			Reason: e.reason(x),
		}
	}
	return out
}

func (e *Engine) name(id int32) string {
	if n := e.items[id].info.Name; n != "" {
		return n
	}
	return e.items[id].info.SKU
}

func (e *Engine) reason(x *candidate) string {
	src := x.src[x.kind]
	switch x.kind {
	case kindSession, kindCoView:
		if src >= 0 {
			return "because you viewed " + e.name(src)
		}
	case kindBought:
		if src >= 0 {
			return "often bought with " + e.name(src)
		}
	case kindSimilar:
		if src >= 0 {
			return "looks like " + e.name(src)
		}
	}
	if cat := e.items[x.id].info.Category; cat != "" {
		return "popular in " + cat
	}
	return "popular right now"
}

// better orders candidates: higher blended score first, then lower id.
func better(a, b *candidate) bool {
	return a.blended > b.blended || a.blended == b.blended && a.id < b.id
}

// topN returns the n best candidates, best first, reusing pool's storage.
func topN(pool []*candidate, n int) []*candidate {
	if len(pool) <= n {
		slices.SortFunc(pool, func(a, b *candidate) int {
			if better(a, b) {
				return -1
			}
			if better(b, a) {
				return 1
			}
			return 0
		})
		return pool
	}
	top := make([]*candidate, 0, n)
	for _, x := range pool {
		if len(top) == n && !better(x, top[n-1]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, x, func(a, b *candidate) int {
			if better(a, b) {
				return -1
			}
			return 1
		})
		if len(top) < n {
			top = append(top, nil)
		}
		copy(top[i+1:], top[i:len(top)-1])
		top[i] = x
	}
	return top
}

// similarity of two products for diversity: sharing a category counts
// most, sharing a merchant some.
func (e *Engine) similarity(a, b int32) float64 {
	ia, ib := &e.items[a], &e.items[b]
	s := 0.0
	if ia.catID == ib.catID {
		s += 0.7
	}
	if ia.merchantID == ib.merchantID {
		s += 0.3
	}
	return s
}

// diversify picks count items from pool (sorted best first) by maximal
// marginal relevance, never more than MaxPerCategory of one category or
// MaxPerMerchant of one merchant (when the pool spans several).
func (e *Engine) diversify(pool []*candidate, count int) []*candidate {
	if len(pool) == 0 {
		return nil
	}
	capCat, capMerchant := false, false
	first := &e.items[pool[0].id]
	for _, x := range pool[1:] {
		it := &e.items[x.id]
		capCat = capCat || it.catID != first.catID
		capMerchant = capMerchant || it.merchantID != first.merchantID
	}
	perCat, perMerchant := map[int32]int{}, map[int32]int{}
	top := pool[0].blended
	used := make([]bool, len(pool))
	maxSim := make([]float64, len(pool))
	var chosen []*candidate
	lambda := e.opt.Lambda
	for len(chosen) < count {
		best, bestScore := -1, math.Inf(-1)
		for i, x := range pool {
			it := &e.items[x.id]
			if used[i] || (capCat && perCat[it.catID] >= e.opt.MaxPerCategory) ||
				(capMerchant && perMerchant[it.merchantID] >= e.opt.MaxPerMerchant) {
				continue
			}
			score := lambda*x.blended/top - (1-lambda)*maxSim[i]
			if score > bestScore {
				best, bestScore = i, score
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		x := pool[best]
		chosen = append(chosen, x)
		perCat[e.items[x.id].catID]++
		perMerchant[e.items[x.id].merchantID]++
		for i, y := range pool {
			if !used[i] {
				maxSim[i] = math.Max(maxSim[i], e.similarity(y.id, x.id))
			}
		}
	}
	return chosen
}
