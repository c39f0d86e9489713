package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

func newStore(t *testing.T) blob.Store {
	t.Helper()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func open(t *testing.T, st blob.Store) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Open(context.Background(), st, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sample(sku, name, category string) catalog.Product {
	return catalog.Product{SKU: sku, Name: name, Category: category, Price: 10, Currency: "EUR",
		Merchant: "m1", DimensionsM: wire.Dimensions{W: 1, H: 1, D: 1}, Placement: wire.PlacementFloor}
}

// makeReady gives p a stored model and marks it ready, as the pipeline does.
func makeReady(t *testing.T, c *catalog.Catalog, st blob.Store, sku string) catalog.Product {
	t.Helper()
	ctx := context.Background()
	key := catalog.ProductPrefix(sku) + "models/m.glb"
	if err := st.Put(ctx, key, strings.NewReader("glb"), 3, blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(ctx, sku, func(p *catalog.Product) error {
		p.Status = wire.StatusProcessing
		p.PendingModel = &catalog.Model{Key: key, SizeBytes: 3}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Update(ctx, sku, func(p *catalog.Product) error {
		p.Model, p.PendingModel, p.Status = p.PendingModel, nil, wire.StatusReady
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreateGetUpdate(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	c := open(t, st)
	p, err := c.Create(ctx, sample("chair-1", "Oak chair", "chairs"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || p.Status != wire.StatusPending || p.Created.IsZero() {
		t.Fatalf("created %+v; want version 1, pending, created time", p)
	}
	if _, err := c.Create(ctx, sample("chair-1", "Again", "chairs")); !errors.Is(err, catalog.ErrExists) {
		t.Fatalf("second Create: %v; want ErrExists", err)
	}
	p, err = c.Update(ctx, "chair-1", func(p *catalog.Product) error { p.Price = 99; return nil })
	if err != nil || p.Version != 2 || p.Price != 99 {
		t.Fatalf("Update = %+v, %v; want version 2 price 99", p, err)
	}
	got, err := c.Get(ctx, "chair-1")
	if err != nil || got.Version != 2 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := c.Get(ctx, "nope"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	if _, err := c.Update(ctx, "nope", func(*catalog.Product) error { return nil }); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Update missing: %v", err)
	}
	// A failed update changes nothing.
	if _, err := c.Update(ctx, "chair-1", func(p *catalog.Product) error { p.Price = -1; return nil }); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("invalid update: %v", err)
	}
	boom := errors.New("boom")
	if _, err := c.Update(ctx, "chair-1", func(p *catalog.Product) error { p.Price = 1; return boom }); !errors.Is(err, boom) {
		t.Fatalf("abandoned update: %v", err)
	}
	if got, _ := c.Get(ctx, "chair-1"); got.Price != 99 || got.Version != 2 {
		t.Fatalf("after failed updates: %+v", got)
	}
	// Returned products are copies.
	got.Images = append(got.Images, catalog.Image{ID: "x"})
	if again, _ := c.Get(ctx, "chair-1"); len(again.Images) != 0 {
		t.Fatal("caller's change leaked into the catalog")
	}
}

func TestStatusTransitions(t *testing.T) {
	ctx := context.Background()
	c := open(t, newStore(t))
	if _, err := c.Create(ctx, sample("s1", "A", "c")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(ctx, "s1", func(p *catalog.Product) error { p.Status = wire.StatusReady; return nil }); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("pending → ready allowed: %v", err)
	}
	for _, tt := range []struct {
		from, to string
		ok       bool
	}{
		{wire.StatusPending, wire.StatusProcessing, true},
		{wire.StatusProcessing, wire.StatusReady, true},
		{wire.StatusProcessing, wire.StatusFailed, true},
		{wire.StatusReady, wire.StatusProcessing, true},
		{wire.StatusFailed, wire.StatusProcessing, true},
		{wire.StatusReady, wire.StatusReady, true},
		{wire.StatusPending, wire.StatusReady, false},
		{wire.StatusReady, wire.StatusPending, false},
		{wire.StatusFailed, wire.StatusReady, false},
		{wire.StatusReady, "bogus", false},
	} {
		if got := catalog.ValidTransition(tt.from, tt.to); got != tt.ok {
			t.Errorf("ValidTransition(%s, %s) = %v; want %v", tt.from, tt.to, got, tt.ok)
		}
	}
}

func TestListFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	c := open(t, st)
	for i := range 7 {
		cat := "chairs"
		if i%2 == 1 {
			cat = "lamps"
		}
		sku := fmt.Sprintf("p%d", i)
		if _, err := c.Create(ctx, sample(sku, fmt.Sprintf("Item %d %s", i, cat), cat)); err != nil {
			t.Fatal(err)
		}
		if i != 6 {
			makeReady(t, c, st, sku)
		}
	}
	page, err := c.List(ctx, catalog.Query{ReadyOnly: true, Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 6 || len(page.Products) != 4 || page.NextOffset != 4 {
		t.Fatalf("first page: total %d, %d products, next %d", page.Total, len(page.Products), page.NextOffset)
	}
	if strings.Join(page.Categories, ",") != "chairs,lamps" {
		t.Fatalf("categories %v", page.Categories)
	}
	page, _ = c.List(ctx, catalog.Query{ReadyOnly: true, Limit: 4, Offset: 4})
	if len(page.Products) != 2 || page.NextOffset != 0 {
		t.Fatalf("last page: %d products, next %d", len(page.Products), page.NextOffset)
	}
	page, _ = c.List(ctx, catalog.Query{ReadyOnly: true, Category: "lamps"})
	if page.Total != 3 {
		t.Fatalf("lamps: %d", page.Total)
	}
	page, _ = c.List(ctx, catalog.Query{ReadyOnly: true, Text: "ITEM 2"})
	if page.Total != 1 || page.Products[0].SKU != "p2" {
		t.Fatalf("text match: %+v", page.Products)
	}
	page, _ = c.List(ctx, catalog.Query{})
	if page.Total != 7 {
		t.Fatalf("all: %d", page.Total)
	}
	page, _ = c.List(ctx, catalog.Query{Offset: 100})
	if len(page.Products) != 0 || page.Total != 7 {
		t.Fatalf("past the end: %+v", page)
	}
	if _, err := c.List(ctx, catalog.Query{Offset: -1}); err == nil {
		t.Fatal("negative offset accepted")
	}
}

// TestSharedStore: a second catalog on the same store sees the first's
// writes after Refresh, and deletions too.
func TestSharedStore(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	a, b := open(t, st), open(t, st)
	if _, err := a.Create(ctx, sample("x1", "Shared", "c")); err != nil {
		t.Fatal(err)
	}
	// Get falls through to the store for a product not yet refreshed.
	if p, err := b.Get(ctx, "x1"); err != nil || p.Name != "Shared" {
		t.Fatalf("b.Get = %+v, %v", p, err)
	}
	if _, err := a.Update(ctx, "x1", func(p *catalog.Product) error { p.Name = "Renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	// Updates through b start from the stored version, not b's memory.
	p, err := b.Update(ctx, "x1", func(p *catalog.Product) error { p.Price = 5; return nil })
	if err != nil || p.Name != "Renamed" || p.Version != 3 {
		t.Fatalf("b.Update = %+v, %v; want a's rename kept at version 3", p, err)
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.Get(ctx, "x1"); p.Price != 5 {
		t.Fatalf("a after refresh: %+v", p)
	}
	if err := a.Delete(ctx, "x1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "x1"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("b after delete: %v", err)
	}
}

func TestDeleteRemovesFiles(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	c := open(t, st)
	if _, err := c.Create(ctx, sample("d1", "Gone", "c")); err != nil {
		t.Fatal(err)
	}
	makeReady(t, c, st, "d1")
	if err := c.Delete(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{catalog.ProductPrefix("d1"), catalog.ManifestKey("d1")} {
		if infos, _ := st.List(ctx, prefix); len(infos) != 0 {
			t.Fatalf("left behind under %s: %v", prefix, infos)
		}
	}
	if err := c.Delete(ctx, "d1"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestSweepOrphans(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	now := time.Now()
	c, err := catalog.Open(ctx, st, catalog.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, sample("k1", "Kept", "c")); err != nil {
		t.Fatal(err)
	}
	p := makeReady(t, c, st, "k1")
	for _, key := range []string{catalog.ProductPrefix("k1") + "models/stale.glb", catalog.ProductPrefix("ghost") + "images/a.png"} {
		if err := st.Put(ctx, key, strings.NewReader("x"), 1, blob.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Young files are left alone: they may be uploads in flight.
	if n, err := c.SweepOrphans(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("sweep of young files deleted %d, %v", n, err)
	}
	now = now.Add(2 * time.Hour)
	if n, err := c.SweepOrphans(ctx, time.Hour); err != nil || n != 2 {
		t.Fatalf("sweep deleted %d, %v; want 2", n, err)
	}
	if _, err := st.Stat(ctx, p.Model.Key); err != nil {
		t.Fatalf("referenced model swept: %v", err)
	}
}

func TestRecoverInterrupted(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	c := open(t, st)
	for _, sku := range []string{"stored", "lost", "had-model"} {
		if _, err := c.Create(ctx, sample(sku, sku, "c")); err != nil {
			t.Fatal(err)
		}
	}
	makeReady(t, c, st, "had-model")
	if err := st.Put(ctx, "products/stored/models/new.glb", strings.NewReader("glb"), 3, blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for sku, key := range map[string]string{"stored": "products/stored/models/new.glb", "lost": "products/lost/models/gone.glb", "had-model": "products/had-model/models/gone.glb"} {
		if _, err := c.Update(ctx, sku, func(p *catalog.Product) error {
			p.Status, p.PendingModel = wire.StatusProcessing, &catalog.Model{Key: key}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	settled, err := open(t, st).RecoverInterrupted(ctx)
	if err != nil || strings.Join(settled, ",") != "had-model,lost" {
		t.Fatalf("settled %v, %v; want had-model and lost", settled, err)
	}
	c2 := open(t, st)
	if got := strings.Join(c2.Processing(), ","); got != "stored" {
		t.Fatalf("still processing: %q; want the stored upload left for the processor", got)
	}
	want := map[string]string{"stored": wire.StatusProcessing, "lost": wire.StatusFailed, "had-model": wire.StatusReady}
	for sku, status := range want {
		p, _ := c2.Get(ctx, sku)
		if p.Status != status || (status != wire.StatusProcessing && p.PendingModel != nil) {
			t.Errorf("%s: status %s pending %v; want %s", sku, p.Status, p.PendingModel, status)
		}
	}
	if p, _ := c2.Get(ctx, "lost"); p.Report == nil || len(p.Report.Problems) == 0 {
		t.Error("lost upload has no report problem")
	}
}

func TestValidate(t *testing.T) {
	good := sample("ok-1", "Fine", "chairs")
	if problems := good.Validate(); len(problems) != 0 {
		t.Fatalf("valid product: %v", problems)
	}
	for _, tt := range []struct {
		field  string
		mutate func(p *catalog.Product)
	}{
		{"sku", func(p *catalog.Product) { p.SKU = "../x" }},
		{"sku", func(p *catalog.Product) { p.SKU = "" }},
		{"name", func(p *catalog.Product) { p.Name = "  " }},
		{"name", func(p *catalog.Product) { p.Name = strings.Repeat("n", 201) }},
		{"category", func(p *catalog.Product) { p.Category = "Chairs!" }},
		{"price", func(p *catalog.Product) { p.Price = -1 }},
		{"currency", func(p *catalog.Product) { p.Currency = "euro" }},
		{"dimensions_m.w", func(p *catalog.Product) { p.DimensionsM.W = 0 }},
		{"dimensions_m.h", func(p *catalog.Product) { p.DimensionsM.H = 51 }},
		{"placement", func(p *catalog.Product) { p.Placement = "ceiling" }},
		{"frame", func(p *catalog.Product) { p.Frame = &catalog.Frame{LensWidthMM: 5} }},
	} {
		p := good
		tt.mutate(&p)
		problems := p.Validate()
		if len(problems) != 1 || !strings.HasPrefix(problems[0], tt.field) {
			t.Errorf("%s: problems %v; want one naming %s", tt.field, problems, tt.field)
		}
	}
}

func TestWireListsLevels(t *testing.T) {
	p := sample("w1", "Levels", "c")
	p.Model = &catalog.Model{Key: "k0", SizeBytes: 900, Triangles: 4000,
		LODs: []catalog.LOD{{Level: 1, Key: "k1", SizeBytes: 200, Triangles: 1000}, {Level: 2, Key: "k2", SizeBytes: 40, Triangles: 90}}}
	w := p.Wire()
	if len(w.LODs) != 3 || w.LODs[0] != (wire.LODInfo{Level: 0, Triangles: 4000, SizeBytes: 900}) || w.LODs[2].Level != 2 || w.ModelBytes != 900 {
		t.Fatalf("wire levels %+v", w.LODs)
	}
	if p.Model = nil; len(p.Wire().LODs) != 0 {
		t.Fatal("a product without a model lists levels")
	}
}
