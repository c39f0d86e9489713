package recs

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// LoggedEvent is an event of a time-ordered log with its session and the
// consent it was recorded under (signals.Record has all three).
type LoggedEvent struct {
	Session string
	Consent string
	Event   wire.Event
}

// EvalOptions tunes EvalRecs.
type EvalOptions struct {
	// K is the list length evaluated (default 10).
	K int
	// WarmupFraction of the log (by position in time order) only trains
	// before any prediction is scored (default 0.2).
	WarmupFraction float64
	// Similar is the visual similarity the "similar" recommender uses; nil
	// reports it as skipped.
	Similar func(sku string, k int) []SimilarItem
	// Weights of the blend (default DefaultWeights).
	Weights *Weights
}

// EvalRow is one recommender's offline result.
type EvalRow struct {
	Name string
	// HitRate is the share of predictions whose next item was in the top K.
	HitRate float64
	// NDCG is the mean normalised discounted cumulative gain at K with one
	// relevant item: 1/log2(rank+2) when it is at 0-based rank, else 0.
	NDCG float64
	// Coverage is the share of the catalogue recommended at least once.
	Coverage float64
	// ILD is the mean intra-list diversity: the share of item pairs within a
	// list that belong to different categories.
	ILD     float64
	Queries int
	Skipped bool
}

// EvalReport is the result of EvalRecs.
type EvalReport struct {
	Events      int
	Predictions int
	Rows        []EvalRow
}

// EvalRecs replays a log in time order: each event first serves as a test
// (when it moves a session to a new product, every recommender is asked
// for K items from the session's previous product and history, and scored
// on whether the new product is among them), then trains the models. It
// prints HitRate@K, NDCG@K, catalogue coverage and intra-list diversity for
// each recommender, the blend with and without the diversity step, and a
// global popularity baseline, to w.
func EvalRecs(ctx context.Context, w io.Writer, events []LoggedEvent, catalog []Item, opt EvalOptions) (*EvalReport, error) {
	if opt.K <= 0 {
		opt.K = 10
	}
	if opt.WarmupFraction <= 0 || opt.WarmupFraction >= 1 {
		opt.WarmupFraction = 0.2
	}
	weights := DefaultWeights
	if opt.Weights != nil {
		weights = *opt.Weights
	}
	log := slices.Clone(events)
	slices.SortStableFunc(log, func(a, b LoggedEvent) int {
		switch {
		case a.Event.T < b.Event.T:
			return -1
		case a.Event.T > b.Event.T:
			return 1
		}
		return 0
	})
	var now time.Time
	eng := New(Options{Similar: opt.Similar, Weights: &weights, Now: func() time.Time { return now }})
	eng.SetCatalog(catalog)

	type acc struct {
		name            string
		hits, ndcg, ild float64
		queries, lists  int
		seen            map[string]bool
		skipped         bool
	}
	only := func(k int) Weights {
		var x Weights
		switch k {
		case kindSession:
			x.Session = 1
		case kindCoView:
			x.CoView = 1
		case kindBought:
			x.Bought = 1
		case kindSimilar:
			x.Similar = 1
		case kindPopular:
			x.Popular = 1
		}
		return x
	}
	names := []string{"session next-item", "co-view", "bought together", "visually similar", "popular in category", "blend", "blend, no diversity", "baseline: global popularity"}
	accs := make([]*acc, len(names))
	for i, n := range names {
		accs[i] = &acc{name: n, seen: map[string]bool{}}
	}
	accs[kindSimilar].skipped = opt.Similar == nil
	record := func(a *acc, list []string, target string) {
		a.queries++
		for i, sku := range list {
			a.seen[sku] = true
			if sku == target {
				a.hits++
				a.ndcg += 1 / math.Log2(float64(i+2))
			}
		}
		if len(list) >= 2 {
			diff, pairs := 0, 0
			for i := range list {
				for j := i + 1; j < len(list); j++ {
					pairs++
					if eng.categoryOf(list[i]) != eng.categoryOf(list[j]) {
						diff++
					}
				}
			}
			a.ild += float64(diff) / float64(pairs)
			a.lists++
		}
	}
	skus := func(items []wire.RecItem) []string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it.SKU
		}
		return out
	}
	last := map[string]string{}
	warm := int(float64(len(log)) * opt.WarmupFraction)
	predictions := 0
	for i, le := range log {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("recs: eval: %w", ctx.Err())
		}
		now = time.UnixMilli(le.Event.T)
		ev := le.Event
		prev := last[le.Session]
		if isVisit(ev.Type) && i >= warm && prev != "" && prev != ev.SKU {
			predictions++
			req := Request{Session: le.Session, Consent: wire.ConsentPersonalisation, SKU: prev, Slot: wire.RecsSlotProduct, Count: opt.K}
			var similar []SimilarItem
			if opt.Similar != nil {
				similar = opt.Similar(prev, similarFanout)
			}
			eng.mu.RLock()
			c := eng.gather(req, similar)
			for k := range numKinds {
				if !accs[k].skipped {
					record(accs[k], skus(eng.rank(c, only(k), false, opt.K)), ev.SKU)
				}
			}
			record(accs[numKinds], skus(eng.rank(c, weights, true, opt.K)), ev.SKU)
			record(accs[numKinds+1], skus(eng.rank(c, weights, false, opt.K)), ev.SKU)
			putCandidates(c)
			var base []string
			for _, id := range eng.global.sorted(eng.items) {
				if sku := eng.items[id].info.SKU; sku != prev && len(base) < opt.K {
					base = append(base, sku)
				}
			}
			eng.mu.RUnlock()
			record(accs[numKinds+2], base, ev.SKU)
		}
		if isVisit(ev.Type) {
			last[le.Session] = ev.SKU
		}
		eng.Observe(le.Session, le.Consent, []wire.Event{ev})
	}
	rep := &EvalReport{Events: len(log), Predictions: predictions}
	for _, a := range accs {
		row := EvalRow{Name: a.name, Queries: a.queries, Skipped: a.skipped}
		if a.queries > 0 {
			row.HitRate = a.hits / float64(a.queries)
			row.NDCG = a.ndcg / float64(a.queries)
		}
		if a.lists > 0 {
			row.ILD = a.ild / float64(a.lists)
		}
		if len(catalog) > 0 {
			row.Coverage = float64(len(a.seen)) / float64(len(catalog))
		}
		rep.Rows = append(rep.Rows, row)
	}
	fmt.Fprintf(w, "replayed %d events, %d next-item predictions (first %.0f%% of the log trains only), catalogue of %d products\n\n",
		len(log), predictions, opt.WarmupFraction*100, len(catalog))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "recommender\tHitRate@%d\tNDCG@%d\tcoverage\tdiversity (ILD)\t\n", opt.K, opt.K)
	for _, r := range rep.Rows {
		if r.Skipped {
			fmt.Fprintf(tw, "%s\tskipped: no similarity index\t\t\t\t\n", r.Name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\t\n", r.Name, r.HitRate, r.NDCG, r.Coverage, r.ILD)
	}
	if err := tw.Flush(); err != nil {
		return nil, fmt.Errorf("recs: eval: writing report: %w", err)
	}
	return rep, nil
}

// categoryOf returns a product's category; e.mu is held or not needed.
func (e *Engine) categoryOf(sku string) string {
	if id, ok := e.index[sku]; ok {
		return e.items[id].info.Category
	}
	return ""
}
