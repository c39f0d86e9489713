// Package seed fills an empty catalog with Vitrine's sample products (the
// embedded assets package), so a fresh server has something to show.
package seed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"

	"github.com/vitrine-shop/vitrine/assets"
	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// Merchant owns the sample products.
const Merchant = "vitrine"

// MarkerKey is written once seeding has completed, so a catalog a merchant
// emptied on purpose is not seeded again.
const MarkerKey = "catalog/seeded"

// Catalog is what seeding needs of the catalog.
type Catalog interface {
	Get(ctx context.Context, sku string) (catalog.Product, error)
	Create(ctx context.Context, p catalog.Product) (catalog.Product, error)
}

// Pipeline ingests the sample models and photos like any upload.
type Pipeline interface {
	IngestModel(ctx context.Context, sku string, data []byte) (catalog.Product, error)
	IngestImage(ctx context.Context, sku string, data []byte) (catalog.Product, catalog.Image, error)
}

// Run seeds the sample catalog unless MarkerKey exists. It is idempotent:
// a seeding interrupted half-way completes on the next start without
// duplicating products. It returns the number of products it created.
func Run(ctx context.Context, store blob.Store, cat Catalog, pipe Pipeline, log *slog.Logger) (int, error) {
	if _, err := store.Stat(ctx, MarkerKey); err == nil {
		return 0, nil
	} else if !errors.Is(err, blob.ErrNotFound) {
		return 0, fmt.Errorf("seed: check marker: %w", err)
	}
	samples, err := assets.Products()
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	// Products are seeded side by side, one per core: processing a model
	// (levels of detail, poster, views) takes about a second.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		errs    []error
		slots   = make(chan struct{}, runtime.GOMAXPROCS(0))
	)
	for _, s := range samples {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			isNew, err := seedOne(ctx, cat, pipe, s)
			mu.Lock()
			defer mu.Unlock()
			if isNew {
				created++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return created, err
	}
	marker := "seeded from the sample catalog\n"
	if err := store.Put(ctx, MarkerKey, strings.NewReader(marker), int64(len(marker)), blob.PutOptions{ContentType: "text/plain"}); err != nil {
		return created, fmt.Errorf("seed: write marker: %w", err)
	}
	log.Info("seed: sample catalog ready", "created", created, "samples", len(samples))
	return created, nil
}

// seedOne creates one sample product, or completes one an interrupted
// seeding left behind, reporting whether it created it.
func seedOne(ctx context.Context, cat Catalog, pipe Pipeline, s assets.Product) (bool, error) {
	created := false
	p, err := cat.Get(ctx, s.SKU)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		p, err = cat.Create(ctx, product(s))
		if errors.Is(err, catalog.ErrExists) { // another server is seeding too
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("seed: create %s: %w", s.SKU, err)
		}
		created = true
	case err != nil:
		return false, fmt.Errorf("seed: %s: %w", s.SKU, err)
	}
	if p.Merchant != Merchant {
		return created, nil // a merchant owns this SKU now; leave it alone
	}
	if len(p.Images) == 0 {
		for _, name := range s.Photos {
			data, err := assets.ReadFile("photos/" + name)
			if err != nil {
				return created, fmt.Errorf("seed: %s: %w", s.SKU, err)
			}
			if _, _, err := pipe.IngestImage(ctx, s.SKU, data); err != nil {
				return created, fmt.Errorf("seed: %s photo %s: %w", s.SKU, name, err)
			}
		}
	}
	if p.Status != wire.StatusReady {
		data, err := assets.ReadFile("models/" + s.Model)
		if err != nil {
			return created, fmt.Errorf("seed: %s: %w", s.SKU, err)
		}
		if _, err := pipe.IngestModel(ctx, s.SKU, data); err != nil {
			return created, fmt.Errorf("seed: %s model %s: %w", s.SKU, s.Model, err)
		}
	}
	return created, nil
}

func product(s assets.Product) catalog.Product {
	p := catalog.Product{
		SKU: s.SKU, Name: s.Name, Category: s.Category, Description: s.Description,
		Price: s.Price, Currency: s.Currency, Merchant: Merchant, Placement: s.Placement,
		DimensionsM: wire.Dimensions{W: s.DimensionsM.W, H: s.DimensionsM.H, D: s.DimensionsM.D},
	}
	if f := s.Frame; f != nil {
		p.Frame = &catalog.Frame{LensWidthMM: f.LensWidthMM, BridgeMM: f.BridgeMM, TempleMM: f.TempleMM}
	}
	return p
}
