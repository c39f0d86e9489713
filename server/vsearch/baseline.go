package vsearch

import (
	"context"
	"fmt"
	"image"
)

// ColourHistogramName is the baseline embedder's name.
const ColourHistogramName = "hsv-hist"

const (
	histH, histS, histV = 8, 4, 4
	histDim             = histH * histS * histV
)

// ColourHistogram is the comparison baseline: a plain global HSV
// histogram of the whole picture (background included), 8 hue × 4
// saturation × 4 value bins, L2-normalised. It is what a search without
// foreground isolation, layout, texture or shape can do.
type ColourHistogram struct{}

// Name implements Embedder.
func (ColourHistogram) Name() string { return ColourHistogramName }

// Version implements Embedder.
func (ColourHistogram) Version() string { return "1" }

// Dim implements Embedder.
func (ColourHistogram) Dim() int { return histDim }

// Embed implements Embedder.
func (ColourHistogram) Embed(ctx context.Context, img image.Image) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	small, err := smallNRGBA(img, workSide)
	if err != nil {
		return nil, fmt.Errorf("vsearch: colour histogram: %w", err)
	}
	out := make([]float32, histDim)
	w, h := small.Rect.Dx(), small.Rect.Dy()
	for y := 0; y < h; y++ {
		row := small.Pix[y*small.Stride:]
		for x := 0; x < w; x++ {
			hue, sat, val := hsv(row[4*x], row[4*x+1], row[4*x+2])
			hi := min(int(hue*histH), histH-1)
			si := min(int(sat*histS), histS-1)
			vi := min(int(val*histV), histV-1)
			out[(hi*histS+si)*histV+vi]++
		}
	}
	Normalize(out)
	return out, nil
}

// hsv converts 8-bit RGB to hue, saturation and value, each in [0, 1].
func hsv(r8, g8, b8 uint8) (h, s, v float32) {
	r, g, b := float32(r8)/255, float32(g8)/255, float32(b8)/255
	mx, mn := max(r, g, b), min(r, g, b)
	v = mx
	if mx == 0 {
		return 0, 0, 0
	}
	d := mx - mn
	s = d / mx
	if d == 0 {
		return 0, s, v
	}
	switch mx {
	case r:
		h = (g - b) / d
		if h < 0 {
			h += 6
		}
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	return h / 6, s, v
}
