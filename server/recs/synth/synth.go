// Package synth generates realistic synthetic shopping sessions for the
// offline evaluation of the recommenders (vitrine eval recs). No public
// e-commerce session dataset can be downloaded where Vitrine is built, so
// the evaluation runs on this documented generator instead.
//
// The model:
//
//   - A catalogue of Options.Products products in the categories of
//     Taxonomy, each a main category (phones, sofas, cameras …) or an
//     accessory category (cases, cushions, lenses …). Main categories list
//     their complements (phones → cases, chargers, earbuds; sofas →
//     cushions, lamps, rugs). Every product has a brand (shared by a phone
//     and its cases, so complements follow brands), a price rank within its
//     category and a merchant.
//   - Popularity is Zipf-distributed (exponent 1.1) within each category,
//     and categories themselves have Zipf-like weights.
//   - A session enters at a popular product of a popular main category,
//     then browses: mostly within the category along a chain (the next
//     product is near the current one in price rank, as shoppers compare
//     neighbours), sometimes to a random popular product of the category,
//     occasionally jumping to a complement category (same brand preferred).
//     Views come with engagement events (model_loaded, rotate, zoom,
//     dwell, ar_place or tryon by category).
//   - A funnel: a viewed product is added to the cart with probability
//     AddProbability, after which the shopper often looks at its
//     complements; a session with a cart ends in a purchase of the cart
//     with probability PurchaseProbability.
//   - Time: sessions start uniformly over Options.Days with a day/night
//     cycle; events within a session are 5–120 s apart.
//
// Visually similar products (Dataset.Similar) are those of the same
// category nearest in a synthetic style vector (brand and price rank).
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/vitrine-shop/vitrine/server/recs"
	"github.com/vitrine-shop/vitrine/wire"
)

// Category is a node of the synthetic taxonomy.
type Category struct {
	Name        string
	Main        bool
	Complements []string
	// Share is the category's share of the catalogue, and Weight its
	// popularity as a session entry.
	Share, Weight float64
	// Engage is the immersive event the category's products get.
	Engage string
}

// Taxonomy is the generator's category tree.
var Taxonomy = []Category{
	{Name: "phones", Main: true, Complements: []string{"phone_cases", "chargers", "earbuds"}, Share: 6, Weight: 10, Engage: wire.EventRotate},
	{Name: "laptops", Main: true, Complements: []string{"laptop_bags", "mice", "monitors"}, Share: 5, Weight: 7, Engage: wire.EventRotate},
	{Name: "sofas", Main: true, Complements: []string{"cushions", "lamps", "rugs"}, Share: 5, Weight: 6, Engage: wire.EventARPlace},
	{Name: "beds", Main: true, Complements: []string{"bedding", "lamps", "nightstands"}, Share: 4, Weight: 4, Engage: wire.EventARPlace},
	{Name: "dining_tables", Main: true, Complements: []string{"dining_chairs", "tableware"}, Share: 4, Weight: 3, Engage: wire.EventARPlace},
	{Name: "desks", Main: true, Complements: []string{"desk_chairs", "lamps", "monitors"}, Share: 4, Weight: 3, Engage: wire.EventFitCheck},
	{Name: "cameras", Main: true, Complements: []string{"lenses", "tripods", "memory_cards"}, Share: 4, Weight: 3, Engage: wire.EventRotate},
	{Name: "glasses", Main: true, Complements: []string{"glasses_cases"}, Share: 5, Weight: 5, Engage: wire.EventTryOn},
	{Name: "watches", Main: true, Complements: []string{"watch_straps"}, Share: 5, Weight: 4, Engage: wire.EventTryOn},
	{Name: "shoes", Main: true, Complements: []string{"socks", "shoe_care"}, Share: 7, Weight: 6, Engage: wire.EventTryOn},
	{Name: "phone_cases", Complements: []string{"chargers"}, Share: 6, Weight: 1.5, Engage: wire.EventRotate},
	{Name: "chargers", Complements: []string{"phone_cases"}, Share: 3, Weight: 0.8, Engage: wire.EventRotate},
	{Name: "earbuds", Complements: []string{"chargers"}, Share: 3, Weight: 1.5, Engage: wire.EventRotate},
	{Name: "laptop_bags", Share: 2, Weight: 0.5, Engage: wire.EventRotate},
	{Name: "mice", Share: 2, Weight: 0.5, Engage: wire.EventRotate},
	{Name: "monitors", Complements: []string{"desks"}, Share: 3, Weight: 1.5, Engage: wire.EventFitCheck},
	{Name: "cushions", Complements: []string{"rugs"}, Share: 4, Weight: 0.8, Engage: wire.EventARPlace},
	{Name: "lamps", Complements: []string{"nightstands"}, Share: 4, Weight: 1.2, Engage: wire.EventARPlace},
	{Name: "rugs", Share: 3, Weight: 0.8, Engage: wire.EventARPlace},
	{Name: "bedding", Share: 3, Weight: 0.6, Engage: wire.EventZoom},
	{Name: "nightstands", Complements: []string{"lamps"}, Share: 2, Weight: 0.5, Engage: wire.EventARPlace},
	{Name: "dining_chairs", Share: 3, Weight: 0.8, Engage: wire.EventARPlace},
	{Name: "tableware", Share: 3, Weight: 0.5, Engage: wire.EventZoom},
	{Name: "desk_chairs", Share: 2, Weight: 1, Engage: wire.EventARPlace},
	{Name: "lenses", Complements: []string{"tripods"}, Share: 3, Weight: 0.8, Engage: wire.EventRotate},
	{Name: "tripods", Share: 1, Weight: 0.3, Engage: wire.EventRotate},
	{Name: "memory_cards", Share: 1, Weight: 0.3, Engage: wire.EventZoom},
	{Name: "glasses_cases", Share: 1, Weight: 0.2, Engage: wire.EventZoom},
	{Name: "watch_straps", Share: 2, Weight: 0.5, Engage: wire.EventTryOn},
	{Name: "socks", Share: 1, Weight: 0.3, Engage: wire.EventZoom},
	{Name: "shoe_care", Share: 1, Weight: 0.2, Engage: wire.EventZoom},
}

// Options sizes the generated data.
type Options struct {
	Seed                uint64
	Products            int     // default 3000
	Sessions            int     // default 6000
	Days                int     // default 14
	Merchants           int     // default 12
	Brands              int     // default 8
	AddProbability      float64 // per view, default 0.08
	PurchaseProbability float64 // per session with a cart, default 0.35
	// PersonalisedShare is the share of sessions at consent
	// personalisation; the rest are at analytics (default 0.6).
	PersonalisedShare float64
	// Start is the first day (default 2026-01-05 UTC).
	Start time.Time
}

// Dataset is a generated catalogue and event log.
type Dataset struct {
	Items  []recs.Item
	Events []recs.LoggedEvent
	// Similar returns the k products of sku's category nearest in style.
	Similar func(sku string, k int) []recs.SimilarItem
}

type product struct {
	item  recs.Item
	cat   int
	brand int
	rank  int // price rank within the category, 0 = cheapest
}

// Generate builds a dataset; the same Options always give the same data.
func Generate(opt Options) *Dataset {
	if opt.Products <= 0 {
		opt.Products = 3000
	}
	if opt.Sessions <= 0 {
		opt.Sessions = 6000
	}
	if opt.Days <= 0 {
		opt.Days = 14
	}
	if opt.Merchants <= 0 {
		opt.Merchants = 12
	}
	if opt.Brands <= 0 {
		opt.Brands = 8
	}
	if opt.AddProbability <= 0 {
		opt.AddProbability = 0.08
	}
	if opt.PurchaseProbability <= 0 {
		opt.PurchaseProbability = 0.35
	}
	if opt.PersonalisedShare <= 0 {
		opt.PersonalisedShare = 0.6
	}
	if opt.Start.IsZero() {
		opt.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5e55))
	catIndex := map[string]int{}
	var totalShare float64
	for i, c := range Taxonomy {
		catIndex[c.Name] = i
		totalShare += c.Share
	}
	// Products per category, in order of popularity (index 0 most popular);
	// price ranks are a random permutation so popularity and price differ.
	byCat := make([][]int, len(Taxonomy))
	var products []product
	for ci, c := range Taxonomy {
		n := max(3, int(math.Round(float64(opt.Products)*c.Share/totalShare)))
		ranks := rng.Perm(n)
		for j := range n {
			sku := fmt.Sprintf("%s-%04d", c.Name, j)
			p := product{
				item: recs.Item{SKU: sku, Name: fmt.Sprintf("%s %d", c.Name, j), Category: c.Name,
					Merchant: fmt.Sprintf("merchant-%02d", rng.IntN(opt.Merchants))},
				cat: ci, brand: rng.IntN(opt.Brands), rank: ranks[j],
			}
			byCat[ci] = append(byCat[ci], len(products))
			products = append(products, p)
		}
	}
	// byRank[c][r] is the product of category c with price rank r.
	byRank := make([][]int, len(Taxonomy))
	for ci, ids := range byCat {
		byRank[ci] = make([]int, len(ids))
		for _, id := range ids {
			byRank[ci][products[id].rank] = id
		}
	}
	zipfs := make([]*rand.Zipf, len(Taxonomy))
	for ci, ids := range byCat {
		zipfs[ci] = rand.NewZipf(rng, 1.1, 1, uint64(len(ids)-1))
	}
	var mainCats []int
	var mainWeights []float64
	for ci, c := range Taxonomy {
		mainCats = append(mainCats, ci)
		mainWeights = append(mainWeights, c.Weight)
	}
	pickWeighted := func(w []float64) int {
		var sum float64
		for _, x := range w {
			sum += x
		}
		r := rng.Float64() * sum
		for i, x := range w {
			if r < x {
				return i
			}
			r -= x
		}
		return len(w) - 1
	}
	pickInCat := func(ci int) int { return byCat[ci][zipfs[ci].Uint64()] }
	pickComplement := func(from int) (int, bool) {
		c := Taxonomy[products[from].cat]
		if len(c.Complements) == 0 {
			return 0, false
		}
		ci := catIndex[c.Complements[rng.IntN(len(c.Complements))]]
		if rng.Float64() < 0.7 {
			// Same brand: the most popular of the brand's products there.
			for _, id := range byCat[ci] {
				if products[id].brand == products[from].brand && rng.Float64() < 0.6 {
					return id, true
				}
			}
		}
		return pickInCat(ci), true
	}
	neighbourInChain := func(from int) int {
		ci := products[from].cat
		r := products[from].rank + []int{-2, -1, 1, 1, 2}[rng.IntN(5)]
		r = min(max(r, 0), len(byRank[ci])-1)
		return byRank[ci][r]
	}

	ds := &Dataset{}
	for _, p := range products {
		ds.Items = append(ds.Items, p.item)
	}
	span := time.Duration(opt.Days) * 24 * time.Hour
	for s := range opt.Sessions {
		session := fmt.Sprintf("sess-%06d", s)
		consent := wire.ConsentAnalytics
		if rng.Float64() < opt.PersonalisedShare {
			consent = wire.ConsentPersonalisation
		}
		// Day/night cycle: reject start times at night with probability 0.7.
		var start time.Time
		for {
			start = opt.Start.Add(time.Duration(rng.Int64N(int64(span))))
			if h := start.Hour(); h >= 8 && h < 23 || rng.Float64() < 0.3 {
				break
			}
		}
		t := start
		seq := 0
		emit := func(typ, sku string, extra func(*wire.Event)) {
			e := wire.Event{ID: fmt.Sprintf("%s-%d", session, seq), Type: typ, SKU: sku, T: t.UnixMilli()}
			if extra != nil {
				extra(&e)
			}
			seq++
			ds.Events = append(ds.Events, recs.LoggedEvent{Session: session, Consent: consent, Event: e})
			t = t.Add(time.Duration(5+rng.IntN(116)) * time.Second)
		}
		cur := pickInCat(mainCats[pickWeighted(mainWeights)])
		var cart []int
		for step := 0; step < 30; step++ {
			p := products[cur]
			emit(wire.EventProductView, p.item.SKU, nil)
			if rng.Float64() < 0.7 {
				emit(wire.EventModelLoaded, p.item.SKU, func(e *wire.Event) { e.LoadMS = int64(300 + rng.IntN(3000)) })
			}
			if rng.Float64() < 0.4 {
				emit(Taxonomy[p.cat].Engage, p.item.SKU, nil)
			}
			if rng.Float64() < 0.3 {
				emit(wire.EventDwell, p.item.SKU, func(e *wire.Event) { e.DwellMS = int64(2000 + rng.IntN(60000)) })
			}
			if rng.Float64() < opt.AddProbability {
				emit(wire.EventAddToCart, p.item.SKU, nil)
				cart = append(cart, cur)
				if next, ok := pickComplement(cur); ok && rng.Float64() < 0.6 {
					cur = next
					continue
				}
			}
			r := rng.Float64()
			switch {
			case r < 0.45:
				cur = neighbourInChain(cur)
			case r < 0.65:
				cur = pickInCat(p.cat)
			case r < 0.78:
				if next, ok := pickComplement(cur); ok {
					cur = next
				} else {
					cur = pickInCat(p.cat)
				}
			case r < 0.85:
				cur = pickInCat(mainCats[pickWeighted(mainWeights)])
			default:
				step = 30
			}
		}
		if len(cart) > 0 && rng.Float64() < opt.PurchaseProbability {
			for _, id := range cart {
				emit(wire.EventPurchase, products[id].item.SKU, nil)
			}
		}
	}
	sort.SliceStable(ds.Events, func(i, j int) bool { return ds.Events[i].Event.T < ds.Events[j].Event.T })

	index := map[string]int{}
	for i, p := range products {
		index[p.item.SKU] = i
	}
	ds.Similar = func(sku string, k int) []recs.SimilarItem {
		from, ok := index[sku]
		if !ok {
			return nil
		}
		p := products[from]
		type scored struct {
			id int
			d  float64
		}
		var all []scored
		for _, id := range byCat[p.cat] {
			if id == from {
				continue
			}
			q := products[id]
			d := math.Abs(float64(q.rank-p.rank)) / float64(len(byCat[p.cat]))
			if q.brand != p.brand {
				d += 0.3
			}
			all = append(all, scored{id, d})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].d < all[j].d || all[i].d == all[j].d && all[i].id < all[j].id })
		out := make([]recs.SimilarItem, 0, k)
		for _, s := range all[:min(k, len(all))] {
			out = append(out, recs.SimilarItem{SKU: products[s.id].item.SKU, Score: 1 / (1 + s.d)})
		}
		return out
	}
	return ds
}
