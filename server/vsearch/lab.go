package vsearch

import (
	"image"
	"math"

	"github.com/disintegration/imaging"
)

// labImage is a small picture in CIELAB (D65), one float32 triple per
// pixel, rows top to bottom.
type labImage struct {
	w, h    int
	l, a, b []float32
}

// srgbToLinearLUT maps an 8-bit sRGB value to linear light.
var srgbToLinearLUT = func() [256]float32 {
	var t [256]float32
	for i := range t {
		c := float64(i) / 255
		if c <= 0.04045 {
			t[i] = float32(c / 12.92)
		} else {
			t[i] = float32(math.Pow((c+0.055)/1.055, 2.4))
		}
	}
	return t
}()

// labF is CIELAB's companding function.
func labF(t float64) float64 {
	const delta = 6.0 / 29
	if t > delta*delta*delta {
		return math.Cbrt(t)
	}
	return t/(3*delta*delta) + 4.0/29
}

// rgbToLab converts 8-bit sRGB to CIELAB under D65.
func rgbToLab(r, g, b uint8) (float32, float32, float32) {
	rl, gl, bl := float64(srgbToLinearLUT[r]), float64(srgbToLinearLUT[g]), float64(srgbToLinearLUT[b])
	x := (0.4124564*rl + 0.3575761*gl + 0.1804375*bl) / 0.95047
	y := 0.2126729*rl + 0.7151522*gl + 0.0721750*bl
	z := (0.0193339*rl + 0.1191920*gl + 0.9503041*bl) / 1.08883
	fx, fy, fz := labF(x), labF(y), labF(z)
	return float32(116*fy - 16), float32(500 * (fx - fy)), float32(200 * (fy - fz))
}

// smallNRGBA returns img shrunk (never enlarged) to fit maxSide×maxSide,
// with any transparency composited onto white: a cut-out product on a
// transparent background is a product on a plain background.
func smallNRGBA(img image.Image, maxSide int) (*image.NRGBA, error) {
	small, _, err := smallCutout(img, maxSide)
	return small, err
}

// Cut-out detection: a picture is a cut-out (a rendered view or a product
// photo with its background removed) when a real part of it is
// transparent and a real part opaque.
const (
	cutoutMinTransparent = 0.02
	cutoutMinOpaque      = 0.005
)

// smallCutout is smallNRGBA that also returns, for a cut-out, the mask of
// its opaque pixels (alpha ≥ 50%) at the small size; nil otherwise.
func smallCutout(img image.Image, maxSide int) (*image.NRGBA, []bool, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, nil, ErrEmptyImage
	}
	var small *image.NRGBA
	if b.Dx() > maxSide || b.Dy() > maxSide {
		small = imaging.Fit(img, maxSide, maxSide, imaging.Linear)
	} else {
		small = imaging.Clone(img)
	}
	n := small.Rect.Dx() * small.Rect.Dy()
	mask := make([]bool, 0, n)
	opaque, clear := 0, 0
	for y := 0; y < small.Rect.Dy(); y++ {
		row := small.Pix[y*small.Stride : y*small.Stride+4*small.Rect.Dx()]
		for i := 0; i+3 < len(row); i += 4 {
			a := row[i+3]
			mask = append(mask, a >= 128)
			if a >= 128 {
				opaque++
			} else {
				clear++
			}
			if a == 255 {
				continue
			}
			for c := 0; c < 3; c++ {
				v := uint32(row[i+c])*uint32(a) + 255*(255-uint32(a))
				row[i+c] = uint8((v + 127) / 255)
			}
			row[i+3] = 255
		}
	}
	if float64(clear) < cutoutMinTransparent*float64(n) || float64(opaque) < cutoutMinOpaque*float64(n) {
		mask = nil
	}
	return small, mask, nil
}

// toLab converts an opaque NRGBA image to CIELAB.
func toLab(img *image.NRGBA) *labImage {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := w * h
	li := &labImage{w: w, h: h, l: make([]float32, n), a: make([]float32, n), b: make([]float32, n)}
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < w; x++ {
			p := row[4*x : 4*x+4 : 4*x+4]
			li.l[y*w+x], li.a[y*w+x], li.b[y*w+x] = rgbToLab(p[0], p[1], p[2])
		}
	}
	return li
}
