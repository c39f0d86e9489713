package main

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval/synth"
)

// reportMasks uses the true product masks a tuning set was generated
// with (gen -masks: masks/<label>/<query>.png beside queries/) to measure
// the learned segmentation — its intersection over union with the truth,
// per background — and the ceiling segmentation puts on search: Recall@1
// when each query is described by its true mask (as a cut-out).
func reportMasks(ctx context.Context, masksDir string, gallery, queries []eval.Item, d *vsearch.Descriptor) error {
	gv, _, err := eval.EmbedAll(ctx, d, gallery)
	if err != nil {
		return err
	}
	cut := make([]eval.Item, len(queries))
	var sum float64
	per := map[string][2]float64{}
	for i, q := range queries {
		name := strings.TrimSuffix(filepath.Base(q.Path), filepath.Ext(q.Path)) + ".png"
		truth, err := readMask(filepath.Join(masksDir, q.Label, name), q.Image.Bounds())
		if err != nil {
			return err
		}
		prob, w, h, err := vsearch.SegmentationProbability(ctx, q.Image)
		if err != nil {
			return err
		}
		small := imaging.Resize(truth, w, h, imaging.Box)
		inter, union := 0, 0
		for k, p := range prob {
			a, b := p >= 0.5, small.Pix[4*k] >= 128
			if a && b {
				inter++
			}
			if a || b {
				union++
			}
		}
		iou := float64(inter) / float64(max(union, 1))
		sum += iou
		bg, _ := synth.BackgroundOfFile(q.Path)
		e := per[bg]
		per[bg] = [2]float64{e[0] + iou, e[1] + 1}
		c := image.NewNRGBA(q.Image.Bounds())
		draw.Draw(c, c.Rect, q.Image, c.Rect.Min, draw.Src)
		for y := c.Rect.Min.Y; y < c.Rect.Max.Y; y++ {
			for x := c.Rect.Min.X; x < c.Rect.Max.X; x++ {
				c.Pix[c.PixOffset(x, y)+3] = truth.GrayAt(x, y).Y
			}
		}
		cut[i] = eval.Item{Label: q.Label, Path: q.Path, Image: c}
	}
	fmt.Printf("\nlearned segmentation against the true masks: mean IoU %.3f\n  per background:", sum/float64(len(queries)))
	for _, bg := range synth.Backgrounds {
		if e, ok := per[bg]; ok {
			fmt.Printf(" %s %.2f", bg, e[0]/e[1])
		}
	}
	fmt.Println()
	cv, _, err := eval.EmbedAll(ctx, d, cut)
	if err != nil {
		return err
	}
	m := eval.Score(gallery, cut, func(q, g int) float32 { return vsearch.Dot(cv[q], gv[g]) })
	fmt.Printf("queries described by their true masks (the ceiling segmentation puts on search): R@1 %.3f  R@5 %.3f  mAP %.3f\n  R@1 per background:", m.RecallAt1, m.RecallAt5, m.MAP)
	printBackgrounds(m)
	return nil
}

// readMask reads a generated mask, which must cover bounds.
func readMask(path string, bounds image.Rectangle) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("masks: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("masks: decode %s: %w", path, err)
	}
	if img.Bounds() != bounds {
		return nil, fmt.Errorf("masks: %s is %v, its query %v", path, img.Bounds(), bounds)
	}
	g := image.NewGray(bounds)
	draw.Draw(g, bounds, img, bounds.Min, draw.Src)
	return g, nil
}
