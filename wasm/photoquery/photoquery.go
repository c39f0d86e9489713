// Package photoquery prepares a shopper's photo for visual search in the
// viewer: it decodes PNG or JPEG within bounds, turns the picture upright
// by its EXIF orientation, crops it to the product the shopper framed,
// shrinks it to at most wire.SearchImageSide pixels and encodes JPEG. It
// also models the crop rectangle (moved and resized by pointer or
// keyboard), cuts the upload into vitrine.v1 binary frames and words the
// results and errors for the page. Pure Go, tested natively.
package photoquery

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"strconv"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/vitrine-shop/vitrine/wire"
)

// Limits on the photo a shopper chooses. Phones take large photos, so a
// file may be far bigger than the upload; what is sent is resized.
const (
	// MaxFileBytes bounds the chosen file.
	MaxFileBytes = 40 << 20
	// MaxPixels bounds the decoded photo (checked from its header before
	// any pixel is decoded).
	MaxPixels = 50_000_000
	// PreviewSide is the longest side of the preview shown for cropping.
	PreviewSide = 1024
	// Quality is the JPEG quality of the upload.
	Quality = 85
)

// Errors a chosen file can fail with; Message words them for shoppers.
var (
	ErrEmpty      = errors.New("photoquery: the file is empty")
	ErrTooLarge   = errors.New("photoquery: the file is too large")
	ErrNotImage   = errors.New("photoquery: the file is not a PNG or JPEG image")
	ErrBroken     = errors.New("photoquery: the image is damaged or incomplete")
	ErrTooManyPix = errors.New("photoquery: the image has too many pixels")
)

// Format names the image format by its magic bytes ("jpeg", "png") or
// returns "" — whatever the file's name or MIME type claims.
func Format(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "jpeg"
	case len(data) >= 8 && bytes.Equal(data[:8], []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	}
	return ""
}

// Decode decodes a chosen file and turns it upright by its EXIF
// orientation (JPEG only).
func Decode(data []byte) (image.Image, error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	if len(data) > MaxFileBytes {
		return nil, ErrTooLarge
	}
	format := Format(data)
	var cfg image.Config
	var err error
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case "png":
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	default:
		return nil, ErrNotImage
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBroken, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: it is %d×%d pixels", ErrBroken, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d", ErrTooManyPix, cfg.Width, cfg.Height)
	}
	var img image.Image
	if format == "jpeg" {
		img, err = jpeg.Decode(bytes.NewReader(data))
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBroken, err)
	}
	if format == "jpeg" {
		img = Orient(img, Orientation(data))
	}
	return img, nil
}

// Orient applies an EXIF orientation (1..8) so the picture is upright.
func Orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img) // 90° clockwise
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img) // 90° anticlockwise
	}
	return img
}

// Preview is the upright photo shrunk to PreviewSide, as JPEG, for the
// cropping view. Its proportions are the photo's, so a crop chosen on it
// applies to the photo.
func Preview(img image.Image) ([]byte, error) {
	return encode(fit(img, PreviewSide))
}

// Prepare crops the upright photo to r, shrinks it to at most
// wire.SearchImageSide pixels on its longest side and encodes it as JPEG.
func Prepare(img image.Image, r Rect) ([]byte, error) {
	b := img.Bounds()
	px := r.Clamp().Pixels(b.Dx(), b.Dy()).Add(b.Min)
	return encode(fit(imaging.Crop(img, px), wire.SearchImageSide))
}

func fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	if b.Dx() <= side && b.Dy() <= side {
		return img
	}
	return imaging.Fit(img, side, side, imaging.Lanczos)
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: Quality}); err != nil {
		return nil, fmt.Errorf("photoquery: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Percent shows a cosine score in [-1, 1] as a match percentage 0..100.
func Percent(score float64) int {
	if math.IsNaN(score) || score <= 0 {
		return 0
	}
	if score >= 1 {
		return 100
	}
	return int(math.Round(score * 100))
}

// Why words which part of the picture matched best.
func Why(why string) string {
	switch why {
	case wire.WhyColour:
		return "Colour match"
	case wire.WhyShape:
		return "Shape match"
	case wire.WhyTexture:
		return "Texture match"
	}
	return "Similar look"
}

// MaxPriceLimit bounds the "up to" price a shopper can type.
const MaxPriceLimit = 1e9

// ErrPrice is a price filter that is not a number above 0 and at most
// MaxPriceLimit.
var ErrPrice = errors.New("photoquery: the price is not a number above 0")

// ParsePriceMax reads the "up to" price filter as typed: blank means no
// ceiling (0, as wire.SearchImage takes it, so a typed 0 is refused
// rather than read as no ceiling); a comma may stand for the decimal
// point.
func ParsePriceMax(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if len(s) > 32 {
		return 0, ErrPrice
	}
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || math.IsNaN(v) || v <= 0 || v > MaxPriceLimit {
		return 0, ErrPrice
	}
	return v, nil
}

// Hint words a search's hint (wire.SearchResults.Hint) for the shopper;
// "" for none or one this viewer does not know.
func Hint(hint string) string {
	if hint == wire.HintNoProduct {
		return "We could not pick out a product in this photo, so these results compare the whole picture. Crop the photo to the product for closer matches."
	}
	return ""
}

// Message words a failure for the shopper.
func Message(err error) string {
	var werr *wire.Error
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrEmpty):
		return "That file is empty. Choose a photo (JPEG or PNG)."
	case errors.Is(err, ErrTooLarge):
		return fmt.Sprintf("That file is too large (the limit is %d MB). Choose a smaller photo.", MaxFileBytes>>20)
	case errors.Is(err, ErrNotImage):
		return "That file is not a photo we can read. Choose a JPEG or PNG image."
	case errors.Is(err, ErrTooManyPix):
		return "That picture is too large to search with. Choose a smaller photo."
	case errors.Is(err, ErrPrice):
		return "Enter the highest price as a number above 0, or leave it empty for any price."
	case errors.Is(err, ErrBroken):
		return "That photo is damaged or incomplete and could not be read. Try another one."
	case errors.As(err, &werr) && werr.Code == wire.CodeNotFound:
		return "That product is not in the visual search index yet."
	case errors.As(err, &werr) && werr.Code == wire.CodeInvalidImage:
		return "The shop could not read that photo. Try another one."
	case errors.As(err, &werr) && werr.Code == wire.CodeTooLarge:
		return "That photo is too large to search with. Try cropping it."
	case errors.As(err, &werr) && werr.Code == wire.CodeTooManyStreams:
		return "Another search is still running. Try again in a moment."
	}
	return "The search did not work this time. Check your connection and try again."
}

// Without drops sku from results ("find similar" never offers the product
// itself), keeping the order.
func Without(results []wire.SearchResult, sku string) []wire.SearchResult {
	out := make([]wire.SearchResult, 0, len(results))
	for _, r := range results {
		if r.SKU != sku {
			out = append(out, r)
		}
	}
	return out
}

// Summary words a results list for the live region.
func Summary(results []wire.SearchResult) string {
	switch len(results) {
	case 0:
		return "No similar products found."
	case 1:
		return fmt.Sprintf("1 similar product found: %s.", results[0].Name)
	}
	return fmt.Sprintf("%d similar products found. Best match: %s, %d%% match.", len(results), results[0].Name, Percent(results[0].Score))
}
