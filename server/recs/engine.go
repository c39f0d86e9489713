// Package recs turns interaction signals into recommendations that react
// within the same request: every observed event updates the models at
// once, so a new view changes the next Get.
//
// Five recommenders feed one blended, explained list:
//
//   - session next-item: recency-weighted co-visitation within a session
//     (a view of B after A adds to A→B, weighted 1/distance), queried from
//     the context product and, with consent personalisation, the session's
//     recent views;
//   - co-view: undirected item-to-item co-occurrence of views and adds;
//   - bought together: pairs added to the cart or bought in one session;
//   - visually similar: Options.Similar (the visual search index), if set;
//   - popularity per category, the cold start.
//
// A blender sums each recommender's normalised score times its weight; the
// strongest contribution names the item's kind and reason ("because you
// viewed …", "often bought with …", "looks like …", "popular in …").
// A diversity step (maximal marginal relevance with at most N items per
// category and per merchant) keeps one category or merchant from filling
// the list.
//
// Memory is bounded: at most Options.MaxNeighbours neighbours per item and
// relation (a space-saving sketch keeps the heaviest), counts decay with
// Options.HalfLife, session state expires after Options.SessionTTL and at
// most Options.MaxSessions sessions are held. Only products in the catalog
// (SetCatalog) are learnt, so clients cannot grow the state with made-up
// SKUs.
package recs

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// Item is what the recommenders know about a product.
type Item struct {
	SKU      string
	Name     string
	Category string
	Merchant string
}

// SimilarItem is a visually similar product, as the visual search index
// returns it; Score is higher for closer matches.
type SimilarItem struct {
	SKU   string
	Score float64
}

// Weights of the recommenders in the blend. A zero weight turns one off.
type Weights struct {
	Session, CoView, Bought, Similar, Popular float64
}

// DefaultWeights favour what the shopper is doing now, then complements.
var DefaultWeights = Weights{Session: 1.0, CoView: 0.8, Bought: 1.0, Similar: 0.6, Popular: 0.25}

// Options configures an Engine; zero values take the defaults.
type Options struct {
	Weights *Weights
	// Similar returns up to k products that look like sku; nil skips the
	// visually similar recommender.
	Similar func(sku string, k int) []SimilarItem
	// MaxNeighbours bounds the neighbours kept per item and relation
	// (default 32).
	MaxNeighbours int
	// HistoryLen is how many recent views of a session are kept and used
	// (default 10).
	HistoryLen int
	// MaxSessions bounds the sessions held (default 100,000); SessionTTL
	// forgets idle ones (default 30 minutes).
	MaxSessions int
	SessionTTL  time.Duration
	// HalfLife is the decay of every count (default 7 days).
	HalfLife time.Duration
	// MaxPerCategory and MaxPerMerchant cap a list (defaults 5 and 5); a cap
	// applies only when the candidates span more than one category or
	// merchant.
	MaxPerCategory, MaxPerMerchant int
	// Lambda trades relevance (1) against diversity (0) in maximal marginal
	// relevance (default 0.85).
	Lambda float64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Engine holds the recommenders' state. It is safe for concurrent use:
// Observe takes a short write lock, Get a read lock.
type Engine struct {
	opt     Options
	weights Weights
	tau     float64 // decay time constant, seconds

	mu       sync.RWMutex
	items    []itemState
	index    map[string]int32
	cats     map[string]*topList
	global   *topList
	sessions map[string]*sessionState
	base     time.Time // time at which gain is 1
	// names interns categories and merchants for fast comparisons.
	names map[string]int32
}

// intern returns a small integer standing for a category or merchant
// name; e.mu is held (write).
func (e *Engine) intern(kind, name string) int32 {
	key := kind + "\x00" + name
	id, ok := e.names[key]
	if !ok {
		id = int32(len(e.names))
		e.names[key] = id
	}
	return id
}

type itemState struct {
	info                 Item
	catID, merchantID    int32
	pop                  float64
	next, coView, bought neighbours
}

type sessionState struct {
	recent   []int32 // most recent first
	cart     []int32
	lastSeen time.Time
}

const (
	maxCart       = 20
	topListSize   = 100
	similarFanout = 20
	sessionScan   = 1024
)

// New returns an empty Engine; call SetCatalog before observing events.
func New(opt Options) *Engine {
	if opt.MaxNeighbours <= 0 {
		opt.MaxNeighbours = 32
	}
	if opt.HistoryLen <= 0 {
		opt.HistoryLen = 10
	}
	if opt.MaxSessions <= 0 {
		opt.MaxSessions = 100000
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 30 * time.Minute
	}
	if opt.HalfLife <= 0 {
		opt.HalfLife = 7 * 24 * time.Hour
	}
	if opt.MaxPerCategory <= 0 {
		opt.MaxPerCategory = 5
	}
	if opt.MaxPerMerchant <= 0 {
		opt.MaxPerMerchant = 5
	}
	if opt.Lambda <= 0 || opt.Lambda > 1 {
		opt.Lambda = 0.85
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	w := DefaultWeights
	if opt.Weights != nil {
		w = *opt.Weights
	}
	return &Engine{
		opt: opt, weights: w,
		tau:      opt.HalfLife.Seconds() / math.Ln2,
		index:    map[string]int32{},
		cats:     map[string]*topList{},
		global:   &topList{},
		sessions: map[string]*sessionState{},
		names:    map[string]int32{},
	}
}

// SetCatalog adds products or updates their name, category and merchant.
// Products are never removed (their learnt state stays until it decays);
// a product that left the catalog is filtered by the caller's listing.
func (e *Engine) SetCatalog(items []Item) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, it := range items {
		if it.SKU == "" {
			continue
		}
		if id, ok := e.index[it.SKU]; ok {
			old := e.items[id].info.Category
			e.items[id].info = it
			e.items[id].catID, e.items[id].merchantID = e.intern("c", it.Category), e.intern("m", it.Merchant)
			if old != it.Category {
				e.catList(old).remove(id)
				e.catList(it.Category).offer(id, e.items)
			}
			continue
		}
		id := int32(len(e.items))
		e.index[it.SKU] = id
		e.items = append(e.items, itemState{info: it, catID: e.intern("c", it.Category), merchantID: e.intern("m", it.Merchant)})
	}
}

func (e *Engine) catList(cat string) *topList {
	t := e.cats[cat]
	if t == nil {
		t = &topList{}
		e.cats[cat] = t
	}
	return t
}

// gain is the weight of an observation at now: counts are stored scaled by
// exp((t-base)/tau), so older ones weigh relatively less without touching
// them. When the scale grows large everything is rescaled once.
func (e *Engine) gain(now time.Time) float64 {
	if e.base.IsZero() {
		e.base = now
	}
	g := math.Exp(now.Sub(e.base).Seconds() / e.tau)
	if g > 1e12 {
		e.rescale(1 / g)
		e.base = now
		g = 1
	}
	return g
}

func (e *Engine) rescale(f float64) {
	for i := range e.items {
		it := &e.items[i]
		it.pop *= f
		it.next.scale(float32(f))
		it.coView.scale(float32(f))
		it.bought.scale(float32(f))
	}
}

// popularityWeight is how much an event says "people want this".
func popularityWeight(typ string) float64 {
	switch typ {
	case wire.EventProductView, wire.EventSearchClick, wire.EventRecsClick:
		return 1
	case wire.EventRotate, wire.EventZoom, wire.EventDwell:
		return 0.25
	case wire.EventARPlace, wire.EventFitCheck, wire.EventTryOn:
		return 1.5
	case wire.EventAddToCart:
		return 3
	case wire.EventPurchase:
		return 5
	}
	return 0
}

// isVisit reports whether an event moves the shopper to a product.
func isVisit(typ string) bool {
	switch typ {
	case wire.EventProductView, wire.EventSearchClick, wire.EventRecsClick, wire.EventAddToCart, wire.EventPurchase:
		return true
	}
	return false
}

// Observe learns from a session's newly stored events (signals'
// AppendResult.New). Popularity learns at every consent level, as an
// anonymous count; session history and the item-to-item models only at
// analytics and personalisation. Events on products outside the catalog
// are ignored.
func (e *Engine) Observe(session, consent string, events []wire.Event) {
	now := e.opt.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.gain(now)
	var s *sessionState
	if consent == wire.ConsentAnalytics || consent == wire.ConsentPersonalisation {
		s = e.session(session, now)
	}
	for _, ev := range events {
		id, ok := e.index[ev.SKU]
		if !ok {
			continue
		}
		if w := popularityWeight(ev.Type); w > 0 {
			e.items[id].pop += w * g
			e.catList(e.items[id].info.Category).offer(id, e.items)
			e.global.offer(id, e.items)
		}
		if s == nil {
			continue
		}
		if isVisit(ev.Type) && (len(s.recent) == 0 || s.recent[0] != id) {
			for d, prev := range s.recent {
				if prev == id {
					continue
				}
				inc := float32(g / float64(d+1))
				e.items[prev].next.add(id, inc, e.opt.MaxNeighbours)
				e.items[prev].coView.add(id, inc, e.opt.MaxNeighbours)
				e.items[id].coView.add(prev, inc, e.opt.MaxNeighbours)
			}
			s.recent = moveToFront(s.recent, id, e.opt.HistoryLen)
		}
		if ev.Type == wire.EventAddToCart || ev.Type == wire.EventPurchase {
			if !slices.Contains(s.cart, id) {
				for _, c := range s.cart {
					e.items[c].bought.add(id, float32(g), e.opt.MaxNeighbours)
					e.items[id].bought.add(c, float32(g), e.opt.MaxNeighbours)
				}
				s.cart = append(s.cart, id)
				if len(s.cart) > maxCart {
					s.cart = s.cart[1:]
				}
			}
		}
	}
}

// session returns the session's state, creating it; e.mu is held.
func (e *Engine) session(key string, now time.Time) *sessionState {
	s := e.sessions[key]
	if s == nil {
		if len(e.sessions) >= e.opt.MaxSessions {
			e.evictSessions(now)
		}
		s = &sessionState{}
		e.sessions[key] = s
	}
	s.lastSeen = now
	return s
}

// evictSessions frees room: idle sessions first, then any, down to 90%.
func (e *Engine) evictSessions(now time.Time) {
	target := e.opt.MaxSessions * 9 / 10
	for k, s := range e.sessions {
		if now.Sub(s.lastSeen) > e.opt.SessionTTL {
			delete(e.sessions, k)
		}
	}
	for k := range e.sessions {
		if len(e.sessions) <= target {
			break
		}
		delete(e.sessions, k)
	}
}

// Forget drops a session's history at once (privacy.erase). What it taught
// the item-to-item models is anonymous aggregate counts and stays.
func (e *Engine) Forget(session string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.sessions, session)
}

func moveToFront(list []int32, id int32, max int) []int32 {
	if i := slices.Index(list, id); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	list = slices.Insert(list, 0, id)
	if len(list) > max {
		list = list[:max]
	}
	return list
}

// neighbours is a bounded weighted neighbour list. When full, a new
// neighbour replaces the lightest and inherits its weight (the
// space-saving algorithm): the heavy neighbours are kept and their weights
// over-estimated by at most the lightest one's.
type neighbours []neighbour

type neighbour struct {
	id int32
	w  float32
}

func (n *neighbours) add(id int32, inc float32, max int) {
	l := *n
	for i := range l {
		if l[i].id == id {
			l[i].w += inc
			return
		}
	}
	if len(l) < max {
		*n = append(l, neighbour{id, inc})
		return
	}
	mi := 0
	for i := range l {
		if l[i].w < l[mi].w {
			mi = i
		}
	}
	l[mi] = neighbour{id, l[mi].w + inc}
}

func (n neighbours) scale(f float32) {
	for i := range n {
		n[i].w *= f
	}
}

func (n neighbours) max() float32 {
	var m float32
	for _, x := range n {
		m = max(m, x.w)
	}
	return m
}

// topList keeps the most popular items of a category, unordered.
type topList struct {
	ids []int32
}

func (t *topList) offer(id int32, items []itemState) {
	if slices.Contains(t.ids, id) {
		return
	}
	if len(t.ids) < topListSize {
		t.ids = append(t.ids, id)
		return
	}
	mi := 0
	for i, x := range t.ids {
		if items[x].pop < items[t.ids[mi]].pop {
			mi = i
		}
	}
	if items[id].pop > items[t.ids[mi]].pop {
		t.ids[mi] = id
	}
}

func (t *topList) remove(id int32) {
	if i := slices.Index(t.ids, id); i >= 0 {
		t.ids = slices.Delete(t.ids, i, i+1)
	}
}

// sorted returns the list's items by popularity, best first.
func (t *topList) sorted(items []itemState) []int32 {
	out := slices.Clone(t.ids)
	sort.Slice(out, func(a, b int) bool { return items[out[a]].pop > items[out[b]].pop })
	return out
}
