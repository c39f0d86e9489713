package seed_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/vitrine-shop/vitrine/assets"
	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/seed"
	"github.com/vitrine-shop/vitrine/wire"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(ctx, st, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := assetpipe.NewInline(assetpipe.Config{Store: st, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	samples, err := assets.Products()
	if err != nil {
		t.Fatal(err)
	}
	n, err := seed.Run(ctx, st, cat, pipe, slog.Default())
	if err != nil || n != len(samples) {
		t.Fatalf("seeded %d, %v; want %d", n, err, len(samples))
	}
	for _, s := range samples {
		p, err := cat.Get(ctx, s.SKU)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != wire.StatusReady || p.Merchant != seed.Merchant || len(p.Images) != len(s.Photos) || p.PosterKey == "" || p.ShapeKey == "" {
			t.Errorf("%s: status %s merchant %s images %d poster %q shape sheet %q", s.SKU, p.Status, p.Merchant, len(p.Images), p.PosterKey, p.ShapeKey)
		}
		if p.Model.DimensionsM != s.DimensionsM || p.Report == nil || len(p.Report.Problems) != 0 {
			t.Errorf("%s: measured %+v declared %+v report %+v", s.SKU, p.Model.DimensionsM, s.DimensionsM, p.Report)
		}
		if s.Frame != nil && (p.Frame == nil || p.Frame.LensWidthMM != s.Frame.LensWidthMM) {
			t.Errorf("%s: frame %+v lost", s.SKU, p.Frame)
		}
	}
	// Seeding again does nothing, and a catalog emptied on purpose stays empty.
	if n, err := seed.Run(ctx, st, cat, pipe, slog.Default()); err != nil || n != 0 {
		t.Fatalf("second run seeded %d, %v", n, err)
	}
	if err := cat.Delete(ctx, samples[0].SKU); err != nil {
		t.Fatal(err)
	}
	if n, _ := seed.Run(ctx, st, cat, pipe, slog.Default()); n != 0 {
		t.Fatalf("reseeded %d after a deliberate delete", n)
	}
}

// TestSeedResumes: a seeding interrupted half-way (no marker written)
// completes on the next start without duplicating anything.
func TestSeedResumes(t *testing.T) {
	ctx := context.Background()
	st, _ := fsstore.New(t.TempDir())
	cat, _ := catalog.Open(ctx, st, catalog.Options{})
	pipe, err := assetpipe.NewInline(assetpipe.Config{Store: st, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	samples, _ := assets.Products()
	first := samples[0]
	if _, err := cat.Create(ctx, catalog.Product{SKU: first.SKU, Name: first.Name, Category: first.Category, Price: first.Price,
		Currency: first.Currency, Merchant: seed.Merchant, DimensionsM: first.DimensionsM, Placement: first.Placement}); err != nil {
		t.Fatal(err)
	}
	n, err := seed.Run(ctx, st, cat, pipe, slog.Default())
	if err != nil || n != len(samples)-1 {
		t.Fatalf("resumed seeding created %d, %v; want %d", n, err, len(samples)-1)
	}
	p, _ := cat.Get(ctx, first.SKU)
	if p.Status != wire.StatusReady || len(p.Images) != len(first.Photos) {
		t.Fatalf("half-seeded product not completed: %s, %d images", p.Status, len(p.Images))
	}
}
