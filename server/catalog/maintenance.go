package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/wire"
)

// keys lists every blob key p references.
func (p *Product) keys() map[string]bool {
	ks := map[string]bool{}
	for _, m := range []*Model{p.Model, p.PendingModel} {
		if m == nil {
			continue
		}
		for _, l := range m.Levels() {
			ks[l.Key] = true
		}
	}
	for _, im := range p.Images {
		ks[im.Key] = true
	}
	if p.PosterKey != "" {
		ks[p.PosterKey] = true
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
				refs = p.keys()
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
// stopped mid-way: a pending model whose file is stored is promoted
// (finish is asked to complete it), otherwise the product is marked failed
// with a report asking for a new upload. It returns the SKUs it settled.
func (c *Catalog) RecoverInterrupted(ctx context.Context, finish func(ctx context.Context, p *Product) error) ([]string, error) {
	c.mu.RLock()
	var stuck []string
	for sku, e := range c.bySKU {
		if e.product.Status == wire.StatusProcessing {
			stuck = append(stuck, sku)
		}
	}
	c.mu.RUnlock()
	var settled []string
	for _, sku := range stuck {
		_, err := c.Update(ctx, sku, func(p *Product) error {
			if p.Status != wire.StatusProcessing {
				return errSettled
			}
			if p.PendingModel != nil {
				if _, err := c.store.Stat(ctx, p.PendingModel.Key); err == nil {
					return finish(ctx, p)
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

var errSettled = errors.New("catalog: already settled")
