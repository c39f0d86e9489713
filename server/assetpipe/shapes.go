package assetpipe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/server/render"
	"github.com/vitrine-shop/vitrine/wire"
)

// ShapeTile is the side in pixels of one silhouette in a shape sheet.
const ShapeTile = 64

// ShapePoses are the viewpoints (yaw, pitch in degrees) of a model's
// silhouette sheet, for a product of the given placement: all round every
// 15° and from level to 40° above for anything that stands, lies or is
// worn (where shoppers photograph such things from), a frontal fan
// (−60°…60° every 10°, from 10° below to 20° above) for wall pieces.
func ShapePoses(placement string) [][2]float64 {
	var out [][2]float64
	if placement == wire.PlacementWall {
		for pitch := -10.0; pitch <= 20; pitch += 10 {
			for yaw := -60.0; yaw <= 60; yaw += 10 {
				out = append(out, [2]float64{yaw, pitch})
			}
		}
		return out
	}
	for pitch := 0.0; pitch <= 40; pitch += 10 {
		for yaw := 0.0; yaw < 360; yaw += 15 {
			out = append(out, [2]float64{yaw, pitch})
		}
	}
	return out
}

// RenderShapes draws the silhouettes of scene (bounds lo..hi) from every
// one of ShapePoses(placement), framed as the views are (fovYDeg), as a
// shape sheet: one row of ShapeTile-pixel square tiles, covered pixels
// (at least half opaque) white on black. Visual search checks the
// silhouettes of the products a photo's colours and texture suggest
// against it (vsearch.NewShapeBankSheet).
func RenderShapes(ctx context.Context, scene render.Scene, lo, hi [3]float64, placement string, fovYDeg float64) (*image.Gray, error) {
	poses := ShapePoses(placement)
	sheet := image.NewGray(image.Rect(0, 0, ShapeTile*len(poses), ShapeTile))
	for k, p := range poses {
		cam := render.FrameCamera(lo, hi, p[0], p[1], fovYDeg, 1)
		img, err := render.Render(ctx, scene, cam, render.Options{Width: ShapeTile, Height: ShapeTile, Supersample: 1})
		if err != nil {
			return nil, fmt.Errorf("assetpipe: silhouette %d: %w", k, err)
		}
		for y := range ShapeTile {
			for x := range ShapeTile {
				if img.Pix[y*img.Stride+x*4+3] >= 128 {
					sheet.Pix[y*sheet.Stride+k*ShapeTile+x] = 255
				}
			}
		}
	}
	return sheet, nil
}

// shapeSheetPNG is RenderShapes encoded as the PNG that is stored.
func shapeSheetPNG(ctx context.Context, scene render.Scene, lo, hi [3]float64, placement string, fovYDeg float64) ([]byte, error) {
	sheet, err := RenderShapes(ctx, scene, lo, hi, placement, fovYDeg)
	if err != nil {
		return nil, err
	}
	return EncodePNG(sheet)
}

// shapeKey is where a product's shape sheet of processing id is stored.
func shapeKey(sku, id string) string { return catalog.ProductPrefix(sku) + "shapes/" + id + ".png" }

// BackfillShapes renders and stores the shape sheet of a ready product
// whose model was processed before sheets existed (no ShapeKey), from its
// stored level 0, and names it in the catalog. It reports whether it
// stored one; a product that has a sheet, no model or another model by
// the time the sheet is ready is left as it is (the sheet, if made, is
// deleted).
func (m *ModelProcessor) BackfillShapes(ctx context.Context, sku string) (bool, error) {
	prod, err := m.cfg.Catalog.Get(ctx, sku)
	if err != nil {
		return false, fmt.Errorf("assetpipe: shapes of %s: %w", sku, err)
	}
	if prod.Model == nil || prod.ShapeKey != "" || prod.Status != wire.StatusReady {
		return false, nil
	}
	modelKey := prod.Model.Key
	data, err := m.read(ctx, modelKey)
	if err != nil {
		return false, fmt.Errorf("assetpipe: shapes of %s: %w", sku, err)
	}
	asset, err := gltf.ParseGLB(data, m.cfg.Limits)
	if err != nil {
		return false, fmt.Errorf("assetpipe: shapes of %s: parse %s: %w", sku, modelKey, err)
	}
	// Silhouettes need no texture detail.
	scene, err := SceneFromAsset(ctx, asset, SceneOptions{MaxTextureSide: 16})
	if err != nil {
		return false, fmt.Errorf("assetpipe: shapes of %s: %w", sku, err)
	}
	png, err := shapeSheetPNG(ctx, scene, prod.Model.BoundsMin, prod.Model.BoundsMax, prod.Placement, m.cfg.Poster.withDefaults().FovYDeg)
	if err != nil {
		return false, fmt.Errorf("assetpipe: shapes of %s: %w", sku, err)
	}
	key := shapeKey(sku, newID())
	if err := m.cfg.Store.Put(ctx, key, bytes.NewReader(png), int64(len(png)), blob.PutOptions{ContentType: "image/png"}); err != nil {
		return false, fmt.Errorf("assetpipe: store %s: %w", key, err)
	}
	_, err = m.cfg.Catalog.Update(ctx, sku, func(p *catalog.Product) error {
		if p.Model == nil || p.Model.Key != modelKey || p.ShapeKey != "" {
			return errSuperseded
		}
		p.ShapeKey = key
		return nil
	})
	if err != nil {
		m.discard(ctx, &StoredOutputs{ShapeKey: key})
		if errors.Is(err, errSuperseded) {
			return false, nil
		}
		return false, fmt.Errorf("assetpipe: shapes of %s: %w", sku, err)
	}
	m.cfg.Logger.Info("assetpipe: shape sheet added", "sku", sku, "key", key)
	return true, nil
}
