//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/vitrine-shop/vitrine/wasm/progressive"
	"github.com/vitrine-shop/vitrine/wire"
)

// loadLevels loads sku's model for the product view: progressively (the
// coarsest level first, from the cache when it holds it), or, when the
// page's URL asks for one level (/p/mug-sage?lod=2, the merchant
// console's preview), exactly that level, labelled "Level N of M, T
// triangles", with no swap and no cache write. lods, the product's
// levels from the catalog, let the loader open the coarsest level first
// without probing level 0. It runs on loadModel's goroutine.
func (u *ui) loadLevels(ctx context.Context, sku string, version int64, lods []wire.LODInfo, deliver func(progressive.Level) error, progress func(progressive.Progress)) error {
	badge := previewBadge()
	level, preview, err := progressive.ParsePreview(previewQuery())
	if err != nil {
		showPreviewBadge(badge, fmt.Sprintf("Level preview: %s must be a level number from 0 to %d.", progressive.PreviewParam, wire.MaxLODs-1), true)
		return err
	}
	if !preview {
		setHidden(badge, true)
		return u.loader.LoadLevels(ctx, sku, version, lods, deliver, progress)
	}
	showPreviewBadge(badge, "Loading level preview…", false)
	err = u.loader.Preview(ctx, sku, level, func(lv progressive.Level) error {
		if err := deliver(lv); err != nil {
			return err
		}
		showPreviewBadge(badge, progressive.LevelLabel(lv.Meta), false)
		return nil
	}, progress)
	var werr *wire.Error
	switch {
	case err == nil, ctx.Err() != nil:
	case errors.As(err, &werr):
		showPreviewBadge(badge, "Level preview: "+werr.Message, true)
	default:
		showPreviewBadge(badge, "Level preview failed.", true)
	}
	return err
}

// previewQuery is the page URL's query string without the "?".
func previewQuery() string {
	q := global.Get("location").Get("search").String()
	if len(q) > 0 && q[0] == '?' {
		q = q[1:]
	}
	return q
}

// previewBadge returns the label over the stage naming the level shown,
// creating it on first use (hidden outside previews).
func previewBadge() js.Value {
	if b := byID("lod-preview"); !b.IsNull() {
		return b
	}
	b := element("p", "lod-preview", "")
	b.Set("id", "lod-preview")
	setHidden(b, true)
	if stage := byID("stage"); !stage.IsNull() {
		stage.Call("appendChild", b)
	}
	return b
}

func showPreviewBadge(b js.Value, text string, failed bool) {
	setText(b, text)
	b.Get("classList").Call("toggle", "failed", failed)
	setHidden(b, false)
}
