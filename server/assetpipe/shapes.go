package assetpipe

import (
	"context"
	"fmt"
	"image"

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
