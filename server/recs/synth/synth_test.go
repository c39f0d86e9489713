package synth

import (
	"strings"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

func TestGenerateShape(t *testing.T) {
	ds := Generate(Options{Seed: 3, Products: 1000, Sessions: 500, Days: 2})
	if n := len(ds.Items); n < 950 || n > 1100 {
		t.Fatalf("%d products; want about 1000", n)
	}
	known := map[string]string{}
	for _, it := range ds.Items {
		known[it.SKU] = it.Category
	}
	counts := map[string]int{}
	sessions := map[string]bool{}
	var prevT int64
	phoneThenAccessory := 0
	last := map[string]string{}
	for _, le := range ds.Events {
		e := le.Event
		if err := wire.ValidateEvent(e, time.UnixMilli(e.T)); err != nil {
			t.Fatalf("invalid event %+v: %v", e, err)
		}
		if _, ok := known[e.SKU]; !ok {
			t.Fatalf("event on unknown product %q", e.SKU)
		}
		if e.T < prevT {
			t.Fatal("events are not in time order")
		}
		prevT = e.T
		counts[e.Type]++
		sessions[le.Session] = true
		if e.Type == wire.EventProductView {
			if known[last[le.Session]] == "phones" && (strings.HasPrefix(e.SKU, "phone_cases") || strings.HasPrefix(e.SKU, "chargers") || strings.HasPrefix(e.SKU, "earbuds")) {
				phoneThenAccessory++
			}
			last[le.Session] = e.SKU
		}
	}
	if len(sessions) != 500 {
		t.Errorf("%d sessions; want 500", len(sessions))
	}
	for _, typ := range []string{wire.EventProductView, wire.EventAddToCart, wire.EventPurchase, wire.EventDwell, wire.EventTryOn, wire.EventARPlace} {
		if counts[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	if counts[wire.EventPurchase] >= counts[wire.EventAddToCart] || counts[wire.EventAddToCart] >= counts[wire.EventProductView]/5 {
		t.Errorf("funnel %v is not view ≫ add ≥ purchase", counts)
	}
	if phoneThenAccessory == 0 {
		t.Error("no session went from a phone to its accessories")
	}
	again := Generate(Options{Seed: 3, Products: 1000, Sessions: 500, Days: 2})
	if len(again.Events) != len(ds.Events) || again.Events[100] != ds.Events[100] {
		t.Error("the same seed gave different data")
	}
	sim := ds.Similar(ds.Items[0].SKU, 5)
	if len(sim) != 5 || known[sim[0].SKU] != ds.Items[0].Category || sim[0].Score < sim[4].Score {
		t.Errorf("Similar = %+v; want 5 same-category items, closest first", sim)
	}
}
