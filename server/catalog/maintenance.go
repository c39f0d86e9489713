package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/wire"
)

// Keys lists every blob key p references.
func (p *Product) Keys() map[string]bool {
	ks := map[string]bool{}
	for _, m := range []*Model{p.Model, p.PendingModel} {
		if m == nil {
			continue
		}
		for _, l := range m.Levels() {
			ks[l.Key] = true
		}
		if m.SourceKey != "" {
			ks[m.SourceKey] = true
		}
	}
	for _, k := range p.ViewKeys {
		ks[k] = true
	}
	for _, im := range p.Images {
		ks[im.Key] = true
	}
	if p.PosterKey != "" {
		ks[p.PosterKey] = true
	}
	if p.ShapeKey != "" {
		ks[p.ShapeKey] = true
	}
	return ks
}

// SweepOrphans deletes files under MediaPrefix that no product references
// and that are older than minAge (younger ones may belong to an upload in
// flight on this or another server). It returns the number deleted.
func (c *Catalog) SweepOrphans(ctx context.Context, minAge time.Duration) (int, error) {
	infos, err := c.store.List(ctx, MediaPrefix)
	if err != nil {
		return 0, fmt.Errorf("catalog: sweep: %w", err)
	}
	cutoff := c.now().Add(-minAge)
	referenced := map[string]map[string]bool{}
	deleted := 0
	for _, info := range infos {
		if info.Modified.After(cutoff) {
			continue
		}
		sku, _, ok := strings.Cut(strings.TrimPrefix(info.Key, MediaPrefix), "/")
		if !ok {
			continue
		}
		refs, seen := referenced[sku]
		if !seen {
			p, _, err := c.read(ctx, sku)
			switch {
			case err == nil:
				refs = p.Keys()
			case errors.Is(err, ErrNotFound):
				refs = map[string]bool{}
			default:
				return deleted, fmt.Errorf("catalog: sweep: %w", err)
			}
			referenced[sku] = refs
		}
		if refs[info.Key] {
			continue
		}
		if err := c.store.Delete(ctx, info.Key); err != nil {
			return deleted, fmt.Errorf("catalog: sweep: %w", err)
		}
		c.log.Info("catalog: removed unreferenced file", "key", info.Key)
		deleted++
	}
	return deleted, nil
}

// RecoverInterrupted settles products left in processing by a server that
// stopped mid-way whose pending upload never reached the store: they go
// back to ready with their earlier model, or to failed with a report
// asking for a new upload. Products whose pending upload is stored stay
// in processing for the asset processor to resume (see Processing). It
// returns the SKUs it settled.
func (c *Catalog) RecoverInterrupted(ctx context.Context) ([]string, error) {
	var settled []string
	for _, sku := range c.Processing() {
		_, err := c.Update(ctx, sku, func(p *Product) error {
			if p.Status != wire.StatusProcessing {
				return errSettled
			}
			if p.PendingModel != nil {
				if _, err := c.store.Stat(ctx, p.PendingModel.Key); err == nil {
					return errSettled // the processor resumes it
				} else if !errors.Is(err, blob.ErrNotFound) {
					return err
				}
			}
			p.PendingModel = nil
			if p.Model != nil {
				// The earlier model is intact: keep serving it.
				p.Status = wire.StatusReady
				if p.Report != nil {
					p.Report.Notes = append(p.Report.Notes, "a newer upload was interrupted before it was stored; the previous model is still served")
				}
				return nil
			}
			p.Status = wire.StatusFailed
			p.Report = &Report{At: c.now().UTC(), DeclaredM: p.DimensionsM,
				Problems: []string{"processing was interrupted before the model was stored; upload it again"}}
			return nil
		})
		if errors.Is(err, errSettled) {
			continue
		}
		if err != nil {
			return settled, fmt.Errorf("catalog: recover %s: %w", sku, err)
		}
		settled = append(settled, sku)
	}
	return settled, nil
}

// Processing lists the SKUs whose status is processing, sorted.
func (c *Catalog) Processing() []string {
	c.mu.RLock()
	var skus []string
	for sku, e := range c.bySKU {
		if e.product.Status == wire.StatusProcessing {
			skus = append(skus, sku)
		}
	}
	c.mu.RUnlock()
	sort.Strings(skus)
	return skus
}

var errSettled = errors.New("catalog: already settled")
