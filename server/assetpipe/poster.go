package assetpipe

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"

	"github.com/vitrine-shop/vitrine/server/render"
)

// PosterOptions controls posters and views.
type PosterOptions struct {
	// Size is the poster's width and height in pixels (0 means 512).
	Size int
	// ViewSize is each view's width and height (0 means 256).
	ViewSize int
	// Views is how many views ring the model at equal yaw steps (0 means
	// 8, that is every 45°; negative means none).
	Views int
	// YawDeg and PitchDeg place the poster camera (0 and 0 mean 30° to the
	// right and 15° above the front); views use PitchDeg too.
	YawDeg, PitchDeg float64
	// FovYDeg is the vertical field of view (0 means 30°).
	FovYDeg float64
}

func (o PosterOptions) withDefaults() PosterOptions {
	if o.Size == 0 {
		o.Size = 512
	}
	if o.ViewSize == 0 {
		o.ViewSize = 256
	}
	if o.Views == 0 {
		o.Views = 8
	}
	if o.YawDeg == 0 && o.PitchDeg == 0 {
		o.YawDeg, o.PitchDeg = 30, 15
	}
	if o.FovYDeg == 0 {
		o.FovYDeg = 30
	}
	return o
}

// PosterCamera is the camera posters of a model with bounds lo..hi use;
// every level of detail is drawn with the camera of level 0 so that their
// posters can be compared pixel for pixel.
func PosterCamera(lo, hi [3]float64, opt PosterOptions) render.Camera {
	opt = opt.withDefaults()
	return render.FrameCamera(lo, hi, opt.YawDeg, opt.PitchDeg, opt.FovYDeg, 1)
}

// RenderPoster draws scene with cam on a transparent background at
// opt.Size pixels square.
func RenderPoster(ctx context.Context, scene render.Scene, cam render.Camera, opt PosterOptions) (*image.NRGBA, error) {
	opt = opt.withDefaults()
	img, err := render.Render(ctx, scene, cam, render.Options{Width: opt.Size, Height: opt.Size})
	if err != nil {
		return nil, fmt.Errorf("assetpipe: poster: %w", err)
	}
	return img, nil
}

// RenderViews draws opt.Views views of scene around the vertical axis, the
// first from the front (yaw 0) and each next one 360°/Views further, on a
// transparent background.
func RenderViews(ctx context.Context, scene render.Scene, lo, hi [3]float64, opt PosterOptions) ([]*image.NRGBA, error) {
	opt = opt.withDefaults()
	if opt.Views < 0 {
		return nil, nil
	}
	out := make([]*image.NRGBA, 0, opt.Views)
	for k := range opt.Views {
		cam := render.FrameCamera(lo, hi, 360*float64(k)/float64(opt.Views), opt.PitchDeg, opt.FovYDeg, 1)
		img, err := render.Render(ctx, scene, cam, render.Options{Width: opt.ViewSize, Height: opt.ViewSize})
		if err != nil {
			return nil, fmt.Errorf("assetpipe: view %d: %w", k, err)
		}
		out = append(out, img)
	}
	return out, nil
}

// EncodePNG encodes img as a PNG. Speed beats the last few per cent of
// size here: a model's poster and views are encoded on every upload.
func EncodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("assetpipe: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// ImageDifference compares two renders of equal size: the mean absolute
// difference of premultiplied RGBA (alpha-weighted colour, plus coverage),
// each channel in [0,1], averaged over the pixels either image covers. 0
// means identical; a silhouette that moved entirely scores about 1. It
// returns NaN for images of different sizes and 0 when neither covers
// anything.
func ImageDifference(a, b *image.NRGBA) float64 {
	if a.Bounds().Size() != b.Bounds().Size() {
		return math.NaN()
	}
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	sum, covered := 0.0, 0
	for y := range h {
		ra := a.Pix[(y)*a.Stride:]
		rb := b.Pix[(y)*b.Stride:]
		for x := range w {
			pa, pb := ra[4*x:4*x+4], rb[4*x:4*x+4]
			if pa[3] == 0 && pb[3] == 0 {
				continue
			}
			covered++
			aa, ab := float64(pa[3])/255, float64(pb[3])/255
			d := math.Abs(aa - ab)
			for c := range 3 {
				d += math.Abs(float64(pa[c])/255*aa - float64(pb[c])/255*ab)
			}
			sum += d / 4
		}
	}
	if covered == 0 {
		return 0
	}
	return sum / float64(covered)
}
