package glb

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // embedded JPEG textures
	_ "image/png"  // embedded PNG textures

	"github.com/disintegration/imaging"
)

// MaxImagePixels bounds the pixel count of a texture DecodeImage will
// decode, checked from the header before the pixels are allocated.
const MaxImagePixels = 8192 * 8192

// DecodeImage decodes an embedded texture to RGBA, refusing images over
// MaxImagePixels and shrinking the larger side to maxSide pixels (when
// maxSide > 0) so textures fit small GPUs.
func DecodeImage(img Image, maxSide int) (*image.RGBA, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img.Data))
	if err != nil {
		return nil, fmt.Errorf("%w: texture header: %v", ErrInvalid, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, fmt.Errorf("%w: texture is %d×%d pixels, limit %d pixels", ErrTooLarge, cfg.Width, cfg.Height, MaxImagePixels)
	}
	src, _, err := image.Decode(bytes.NewReader(img.Data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s texture: %v", ErrInvalid, format, err)
	}
	if maxSide > 0 && (cfg.Width > maxSide || cfg.Height > maxSide) {
		src = imaging.Fit(src, maxSide, maxSide, imaging.Linear)
	}
	if rgba, ok := src.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) && rgba.Stride == 4*rgba.Rect.Dx() {
		return rgba, nil
	}
	b := src.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), src, b.Min, draw.Src)
	return rgba, nil
}
