package recs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

var fixedNow = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

func testEngine(opt Options, items ...Item) *Engine {
	if opt.Now == nil {
		opt.Now = func() time.Time { return fixedNow }
	}
	e := New(opt)
	e.SetCatalog(items)
	return e
}

func views(skus ...string) []wire.Event {
	out := make([]wire.Event, len(skus))
	for i, s := range skus {
		out[i] = wire.Event{ID: fmt.Sprint(i), Type: wire.EventProductView, SKU: s}
	}
	return out
}

func weightOf(e *Engine, n neighbours, sku string) float32 {
	for _, x := range n {
		if e.items[x.id].info.SKU == sku {
			return x.w
		}
	}
	return 0
}

var abcd = []Item{
	{SKU: "A", Name: "Alpha", Category: "x", Merchant: "m1"},
	{SKU: "B", Name: "Beta", Category: "x", Merchant: "m1"},
	{SKU: "C", Name: "Gamma", Category: "y", Merchant: "m2"},
	{SKU: "D", Name: "Delta", Category: "y", Merchant: "m2"},
}

func TestCoVisitationKnownAnswer(t *testing.T) {
	e := testEngine(Options{}, abcd...)
	e.Observe("s1", wire.ConsentAnalytics, views("A", "B", "C"))
	e.Observe("s2", wire.ConsentAnalytics, views("A", "C"))
	a, b, c := &e.items[e.index["A"]], &e.items[e.index["B"]], &e.items[e.index["C"]]
	tests := []struct {
		name string
		got  float32
		want float32
	}{
		{"next A→B", weightOf(e, a.next, "B"), 1},
		{"next A→C (distance 2 in s1, 1 in s2)", weightOf(e, a.next, "C"), 1.5},
		{"next B→C", weightOf(e, b.next, "C"), 1},
		{"next C→A (never after C)", weightOf(e, c.next, "A"), 0},
		{"co-view C~A", weightOf(e, c.coView, "A"), 1.5},
		{"co-view C~B", weightOf(e, c.coView, "B"), 1},
		{"co-view A~B", weightOf(e, a.coView, "B"), 1},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
	got := e.Get(Request{SKU: "A", Slot: wire.RecsSlotProduct, Count: 3})
	if len(got) < 2 || got[0].SKU != "C" || got[1].SKU != "B" {
		t.Fatalf("Get(A) = %+v; want C then B", got)
	}
	if got[0].Kind != wire.RecsKindSession || got[0].Reason != "because you viewed Alpha" {
		t.Errorf("first item %+v; want kind session, reason \"because you viewed Alpha\"", got[0])
	}
}

func TestBoughtTogetherKnownAnswer(t *testing.T) {
	e := testEngine(Options{Weights: &Weights{Bought: 1}}, abcd...)
	for i, s := range []string{"s1", "s2", "s3"} {
		ev := []wire.Event{{ID: "1", Type: wire.EventAddToCart, SKU: "A"}, {ID: "2", Type: wire.EventAddToCart, SKU: "C"}}
		if i == 2 {
			ev[1].SKU = "D"
		}
		e.Observe(s, wire.ConsentAnalytics, ev)
	}
	a := &e.items[e.index["A"]]
	if wc, wd := weightOf(e, a.bought, "C"), weightOf(e, a.bought, "D"); wc != 2 || wd != 1 {
		t.Fatalf("bought with A: C %v, D %v; want 2 and 1", wc, wd)
	}
	got := e.Get(Request{SKU: "A", Slot: wire.RecsSlotProduct})
	want := []string{"C", "D"}
	if len(got) != 2 || got[0].SKU != want[0] || got[1].SKU != want[1] {
		t.Fatalf("Get(A) = %+v; want %v", got, want)
	}
	for _, it := range got {
		if it.Kind != wire.RecsKindBought || it.Reason != "often bought with Alpha" {
			t.Errorf("%+v: want kind bought_together and reason \"often bought with Alpha\"", it)
		}
	}
}

func TestNewViewChangesNextGet(t *testing.T) {
	items := []Item{
		{SKU: "phone", Name: "Phone X", Category: "phones", Merchant: "m"},
		{SKU: "case", Name: "Case X", Category: "cases", Merchant: "m"},
		{SKU: "charger", Name: "Charger", Category: "chargers", Merchant: "m"},
		{SKU: "sofa", Name: "Sofa", Category: "sofas", Merchant: "m"},
		{SKU: "lamp", Name: "Lamp", Category: "lamps", Merchant: "m"},
	}
	e := testEngine(Options{}, items...)
	// Earlier shoppers: phone buyers add cases; sofas are popular.
	for i := range 5 {
		e.Observe(fmt.Sprint("past", i), wire.ConsentAnalytics, []wire.Event{
			{ID: "1", Type: wire.EventProductView, SKU: "phone"},
			{ID: "2", Type: wire.EventAddToCart, SKU: "phone"},
			{ID: "3", Type: wire.EventAddToCart, SKU: "case"},
		})
		e.Observe(fmt.Sprint("sofa", i), wire.ConsentAnalytics, views("sofa", "lamp", "sofa"))
	}
	home := func() []wire.RecItem {
		return e.Get(Request{Session: "me", Consent: wire.ConsentPersonalisation, Slot: wire.RecsSlotHome, Count: 3})
	}
	before := home()
	for _, it := range before {
		if it.Kind != wire.RecsKindPopular {
			t.Fatalf("cold start %+v: want only popular items", before)
		}
	}
	e.Observe("me", wire.ConsentPersonalisation, views("phone"))
	after := home()
	if len(after) == 0 || after[0].SKU != "case" {
		t.Fatalf("after viewing the phone, home = %+v; want its case first", after)
	}
	if !strings.Contains(after[0].Reason, "Phone X") {
		t.Errorf("reason %q does not name the phone", after[0].Reason)
	}
}

func TestConsentDecidesHistoryUse(t *testing.T) {
	e := testEngine(Options{}, abcd...)
	e.Observe("other", wire.ConsentAnalytics, views("A", "B"))
	e.Observe("none", wire.ConsentNone, views("C", "D"))
	if _, ok := e.sessions["none"]; ok {
		t.Error("a session at consent none has state")
	}
	if w := weightOf(e, e.items[e.index["C"]].next, "D"); w != 0 {
		t.Errorf("consent-none views taught C→D weight %v", w)
	}
	if e.items[e.index["D"]].pop == 0 {
		t.Error("consent-none views did not count towards popularity")
	}
	e.Observe("me", wire.ConsentAnalytics, views("A"))
	for _, consent := range []string{wire.ConsentAnalytics, wire.ConsentPersonalisation} {
		got := e.Get(Request{Session: "me", Consent: consent, Slot: wire.RecsSlotHome})
		personal := false
		for _, it := range got {
			personal = personal || it.Kind != wire.RecsKindPopular
		}
		if personal != (consent == wire.ConsentPersonalisation) {
			t.Errorf("consent %s: items %+v; history used = %v", consent, got, personal)
		}
	}
	e.Forget("me")
	if _, ok := e.sessions["me"]; ok {
		t.Error("Forget left the session")
	}
}

func TestDiversityCaps(t *testing.T) {
	var items []Item
	items = append(items, Item{SKU: "ctx", Category: "phones", Merchant: "m0"})
	for i := range 12 {
		items = append(items, Item{SKU: fmt.Sprint("case", i), Category: "cases", Merchant: "big"})
	}
	for i := range 6 {
		items = append(items, Item{SKU: fmt.Sprint("charger", i), Category: "chargers", Merchant: fmt.Sprint("m", i+1)})
	}
	e := testEngine(Options{MaxPerCategory: 4, MaxPerMerchant: 3}, items...)
	// Cases co-viewed far more often than chargers.
	for i := range 12 {
		for range 10 {
			e.Observe(fmt.Sprint("s", i), wire.ConsentAnalytics, views("ctx", fmt.Sprint("case", i), "ctx"))
		}
	}
	for i := range 6 {
		e.Observe(fmt.Sprint("c", i), wire.ConsentAnalytics, views("ctx", fmt.Sprint("charger", i)))
	}
	got := e.Get(Request{SKU: "ctx", Slot: wire.RecsSlotProduct, Count: 10})
	perCat, perMerchant := map[string]int{}, map[string]int{}
	for _, it := range got {
		info := e.items[e.index[it.SKU]].info
		perCat[info.Category]++
		perMerchant[info.Merchant]++
		if it.Reason == "" || it.Kind == "" {
			t.Errorf("item without reason or kind: %+v", it)
		}
	}
	if perMerchant["big"] > 3 || perCat["cases"] > 3 {
		t.Fatalf("list %+v has %d cases from merchant big; want at most 3", got, perMerchant["big"])
	}
	if perCat["chargers"] < 4 {
		t.Errorf("list has %d chargers; the caps should have let them in", perCat["chargers"])
	}
	// Without the step the heavier cases would fill the list.
	e.mu.RLock()
	c := e.gather(Request{SKU: "ctx"}, nil)
	plain := e.rank(c, e.weights, false, 10)
	putCandidates(c)
	e.mu.RUnlock()
	cases := 0
	for _, it := range plain {
		if strings.HasPrefix(it.SKU, "case") {
			cases++
		}
	}
	if cases < 8 {
		t.Errorf("undiversified list has only %d cases; the test does not exercise the caps", cases)
	}
}

func TestSimilarCallback(t *testing.T) {
	e := testEngine(Options{Weights: &Weights{Similar: 1}, Similar: func(sku string, k int) []SimilarItem {
		if sku != "A" {
			return nil
		}
		return []SimilarItem{{SKU: "B", Score: 0.9}, {SKU: "unknown", Score: 0.8}, {SKU: "D", Score: 0.5}}
	}}, abcd...)
	got := e.Get(Request{SKU: "A", Slot: wire.RecsSlotProduct})
	if len(got) != 2 || got[0].SKU != "B" || got[0].Reason != "looks like Alpha" || got[0].Kind != wire.RecsKindSimilar {
		t.Fatalf("Get = %+v; want B (looks like Alpha) then D", got)
	}
}

func TestMemoryBounds(t *testing.T) {
	var items []Item
	for i := range 200 {
		items = append(items, Item{SKU: fmt.Sprint(i), Category: fmt.Sprint(i % 7)})
	}
	e := testEngine(Options{MaxNeighbours: 8, MaxSessions: 50, HistoryLen: 5}, items...)
	for s := range 500 {
		var ev []wire.Event
		for j := range 12 {
			ev = append(ev, wire.Event{ID: fmt.Sprint(j), Type: wire.EventProductView, SKU: fmt.Sprint((s*7 + j*13) % 200)})
		}
		e.Observe(fmt.Sprint("s", s), wire.ConsentAnalytics, ev)
		e.Observe("x", wire.ConsentAnalytics, []wire.Event{{ID: "u", Type: wire.EventProductView, SKU: "not-in-catalog"}})
	}
	if len(e.sessions) > 50 {
		t.Errorf("%d sessions held; the bound is 50", len(e.sessions))
	}
	if len(e.items) != 200 {
		t.Errorf("%d items; unknown SKUs must not be learnt", len(e.items))
	}
	for _, it := range e.items {
		if len(it.next) > 8 || len(it.coView) > 8 {
			t.Fatalf("an item has %d/%d neighbours; the bound is 8", len(it.next), len(it.coView))
		}
	}
	for id, s := range e.sessions {
		if len(s.recent) > 5 {
			t.Fatalf("session %s keeps %d views; the bound is 5", id, len(s.recent))
		}
	}
}

func TestDecayFavoursRecent(t *testing.T) {
	now := fixedNow
	e := testEngine(Options{HalfLife: time.Hour, Now: func() time.Time { return now }}, abcd...)
	e.Observe("s1", wire.ConsentAnalytics, views("A", "B"))
	now = now.Add(3 * time.Hour)
	e.Observe("s2", wire.ConsentAnalytics, views("A", "C"))
	a := &e.items[e.index["A"]]
	if ratio := weightOf(e, a.next, "C") / weightOf(e, a.next, "B"); ratio < 7.9 || ratio > 8.1 {
		t.Fatalf("a 3-half-lives newer co-visit weighs %.2f× the old one; want 8", ratio)
	}
}
