package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/vitrine-shop/vitrine/assets"
	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/catalog"
)

// TestBackfillShapes: a product whose model was processed before shape
// sheets existed gets one at start; one that has one keeps it.
func TestBackfillShapes(t *testing.T) {
	ctx := context.Background()
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(ctx, store, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := assetpipe.NewInline(assetpipe.Config{Store: store, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	samples, err := assets.Products()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples[:2] {
		if _, err := cat.Create(ctx, catalog.Product{SKU: s.SKU, Name: s.Name, Category: s.Category, Currency: s.Currency, DimensionsM: s.DimensionsM, Placement: s.Placement}); err != nil {
			t.Fatal(err)
		}
		data, err := assets.ReadFile("models/" + s.Model)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pipe.IngestModel(ctx, s.SKU, data); err != nil {
			t.Fatal(err)
		}
	}
	old, kept := samples[0].SKU, samples[1].SKU
	keptProduct, err := cat.Get(ctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Update(ctx, old, func(p *catalog.Product) error { p.ShapeKey = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	models := assetpipe.NewModelProcessor(assetpipe.ModelProcessorConfig{Store: store, Catalog: cat})
	backfillShapes(ctx, cat, models, slog.New(slog.NewTextHandler(io.Discard, nil)))
	got, err := cat.Get(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if got.ShapeKey == "" {
		t.Fatalf("%s has no shape sheet after the backfill", old)
	}
	if _, err := store.Stat(ctx, got.ShapeKey); err != nil {
		t.Errorf("%s's sheet %s: %v", old, got.ShapeKey, err)
	}
	after, err := cat.Get(ctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	if after.ShapeKey != keptProduct.ShapeKey || after.Version != keptProduct.Version {
		t.Errorf("%s was touched: shape key %q → %q, version %d → %d", kept, keptProduct.ShapeKey, after.ShapeKey, keptProduct.Version, after.Version)
	}
}
