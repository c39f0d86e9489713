package assetpipe

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"sync"

	"github.com/disintegration/imaging"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// imageCache re-encodes an asset's images at the sizes levels ask for,
// decoding each source once and shrinking it through a pyramid of exact
// halvings, so that a 64-pixel texture is made from the 128-pixel one and
// not again from the full image. It is safe for concurrent use, so that a
// goroutine can prepare every level's textures while meshes simplify.
type imageCache struct {
	asset   *gltf.Asset
	quality int
	mu      sync.Mutex
	sources map[int]*sourceImage
	encoded map[[2]int]*encodedImage // (image, maxSide) → bytes
}

// sourceImage is one image of the asset: its bytes and header size at
// once, its pixels (and their pyramid) when a level first needs them.
type sourceImage struct {
	header sync.Once
	data   []byte
	w, h   int
	err    error

	mu      sync.Mutex
	decoded image.Image
	opaque  bool
	// pyramid[0] is the decoded image as NRGBA (nil until a level needs
	// more than half of it), each next one half the size of the one
	// before (rounded up), down to one pixel.
	pyramid []*image.NRGBA
}

type encodedImage struct {
	once sync.Once
	data []byte
	err  error
}

func newImageCache(a *gltf.Asset, quality int) *imageCache {
	return &imageCache{asset: a, quality: quality, sources: map[int]*sourceImage{}, encoded: map[[2]int]*encodedImage{}}
}

// source returns image i with its header read.
func (c *imageCache) source(i int) (*sourceImage, error) {
	c.mu.Lock()
	s, ok := c.sources[i]
	if !ok {
		s = &sourceImage{}
		c.sources[i] = s
	}
	c.mu.Unlock()
	s.header.Do(func() {
		data, _, err := c.asset.ImageBytes(i)
		if err != nil {
			s.err = fmt.Errorf("assetpipe: %w", err)
			return
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			s.err = fmt.Errorf("assetpipe: image %d header: %w", i, err)
			return
		}
		s.w, s.h, s.data = cfg.Width, cfg.Height, data
	})
	return s, s.err
}

// level returns the smallest image of s's pyramid whose sides are both at
// least w×h (decoding s on first use), and whether s is opaque.
func (s *sourceImage) level(i, w, h int) (*image.NRGBA, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.decoded == nil {
		// The asset was validated, so the header's size is within the
		// limits and decoding is bounded.
		img, _, err := image.Decode(bytes.NewReader(s.data))
		if err != nil {
			return nil, false, fmt.Errorf("assetpipe: decode image %d: %w", i, err)
		}
		s.decoded = img
		s.opaque = opaque(img)
		s.pyramid = []*image.NRGBA{nil}
	}
	bw, bh := s.decoded.Bounds().Dx(), s.decoded.Bounds().Dy()
	if s.pyramid[0] == nil && (len(s.pyramid) == 1 || (bw+1)/2 < w || (bh+1)/2 < h) {
		if yc, ok := s.decoded.(*image.YCbCr); ok && len(s.pyramid) == 1 && (bw+1)/2 >= w && (bh+1)/2 >= h {
			// JPEG's Y'CbCr halves straight to RGB: a quarter of the
			// colour conversions, and no full-size copy.
			s.pyramid = append(s.pyramid, halveYCbCr(yc))
		} else {
			s.pyramid[0] = toNRGBA(s.decoded)
		}
	}
	for {
		top := s.pyramid[len(s.pyramid)-1]
		tw, th := top.Rect.Dx(), top.Rect.Dy()
		if tw <= 1 && th <= 1 {
			break
		}
		if (tw+1)/2 < w || (th+1)/2 < h {
			break
		}
		s.pyramid = append(s.pyramid, halve(top))
	}
	var best *image.NRGBA
	for _, p := range s.pyramid {
		if p != nil && p.Rect.Dx() >= w && p.Rect.Dy() >= h {
			best = p
		}
	}
	if best == nil {
		// Only reachable for a size over the decoded image's own.
		if s.pyramid[0] == nil {
			s.pyramid[0] = toNRGBA(s.decoded)
		}
		best = s.pyramid[0]
	}
	return best, s.opaque, nil
}

// toNRGBA converts img to straight-alpha RGBA at the origin, with a
// direct path for JPEG's Y'CbCr (no per-pixel interface calls).
func toNRGBA(img image.Image) *image.NRGBA {
	yc, ok := img.(*image.YCbCr)
	if !ok {
		return imaging.Clone(img)
	}
	r := yc.Rect
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := out.Pix[(y-r.Min.Y)*out.Stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			yi, ci := yc.YOffset(x, y), yc.COffset(x, y)
			i := 4 * (x - r.Min.X)
			o[i], o[i+1], o[i+2] = ycbcrToRGB(int32(yc.Y[yi]), int32(yc.Cb[ci]), int32(yc.Cr[ci]))
			o[i+3] = 255
		}
	}
	return out
}

// halveYCbCr is halve for a Y'CbCr image: the 2×2 means of luma and
// chroma, converted to RGB once per output pixel (the conversion is
// affine, so averaging before it matches averaging after it but for
// rounding, and for colours outside the RGB gamut that it clamps).
func halveYCbCr(yc *image.YCbCr) *image.NRGBA {
	r := yc.Rect
	w, h := r.Dx(), r.Dy()
	hw, hh := (w+1)/2, (h+1)/2
	out := image.NewNRGBA(image.Rect(0, 0, hw, hh))
	for y := range hh {
		y0, y1 := r.Min.Y+2*y, r.Min.Y+min(2*y+1, h-1)
		o := out.Pix[y*out.Stride:]
		for x := range hw {
			x0, x1 := r.Min.X+2*x, r.Min.X+min(2*x+1, w-1)
			lum := (int32(yc.Y[yc.YOffset(x0, y0)]) + int32(yc.Y[yc.YOffset(x1, y0)]) + int32(yc.Y[yc.YOffset(x0, y1)]) + int32(yc.Y[yc.YOffset(x1, y1)]) + 2) / 4
			var cb, cr int32
			if yc.SubsampleRatio == image.YCbCrSubsampleRatio420 {
				c := yc.COffset(x0, y0) // one chroma sample covers the block
				cb, cr = int32(yc.Cb[c]), int32(yc.Cr[c])
			} else {
				for _, c := range [4]int{yc.COffset(x0, y0), yc.COffset(x1, y0), yc.COffset(x0, y1), yc.COffset(x1, y1)} {
					cb += int32(yc.Cb[c])
					cr += int32(yc.Cr[c])
				}
				cb, cr = (cb+2)/4, (cr+2)/4
			}
			o[4*x], o[4*x+1], o[4*x+2] = ycbcrToRGB(lum, cb, cr)
			o[4*x+3] = 255
		}
	}
	return out
}

// ycbcrToRGB is color.YCbCrToRGB, inlined for the loops above.
func ycbcrToRGB(y, cb, cr int32) (uint8, uint8, uint8) {
	yy := y * 0x10101
	cb -= 128
	cr -= 128
	r := yy + 91881*cr
	g := yy - 22554*cb - 46802*cr
	b := yy + 116130*cb
	return clampRGB(r), clampRGB(g), clampRGB(b)
}

func clampRGB(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// halve returns img at half its size (odd sides rounded up, the last row
// or column repeated), each pixel the alpha-weighted mean of a 2×2 block:
// a box-filtered mipmap step.
func halve(img *image.NRGBA) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	hw, hh := (w+1)/2, (h+1)/2
	out := image.NewNRGBA(image.Rect(0, 0, hw, hh))
	for y := range hh {
		y0, y1 := 2*y, min(2*y+1, h-1)
		r0 := img.Pix[y0*img.Stride:]
		r1 := img.Pix[y1*img.Stride:]
		o := out.Pix[y*out.Stride:]
		for x := range hw {
			x0, x1 := 4*2*x, 4*min(2*x+1, w-1)
			a00, a01, a10, a11 := uint32(r0[x0+3]), uint32(r0[x1+3]), uint32(r1[x0+3]), uint32(r1[x1+3])
			sa := a00 + a01 + a10 + a11
			if sa == 0 {
				o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = 0, 0, 0, 0
				continue
			}
			for c := range 3 {
				sum := uint32(r0[x0+c])*a00 + uint32(r0[x1+c])*a01 + uint32(r1[x0+c])*a10 + uint32(r1[x1+c])*a11
				o[4*x+c] = uint8((sum + sa/2) / sa)
			}
			o[4*x+3] = uint8((sa + 2) / 4)
		}
	}
	return out
}

// fitSize is the size imaging.Fit gives a w×h image within side×side.
func fitSize(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, int(math.Round(float64(h)*float64(side)/float64(w))))
	}
	return max(1, int(math.Round(float64(w)*float64(side)/float64(h)))), side
}

// get returns image i's bytes for a level whose textures may be at most
// maxSide pixels a side (0: no limit). An image that already fits is kept
// byte for byte; a larger one is shrunk (box-filtered halvings, then a
// linear filter for the last step below 2×, aspect kept) and re-encoded
// as JPEG when opaque, PNG when it has transparency; below 32 pixels,
// where JPEG's fixed tables outweigh the pixels, as whichever is smaller.
func (c *imageCache) get(ctx context.Context, i, maxSide int) ([]byte, error) {
	src, err := c.source(i)
	if err != nil {
		return nil, err
	}
	if maxSide == 0 || (src.w <= maxSide && src.h <= maxSide) {
		return src.data, nil
	}
	c.mu.Lock()
	e, ok := c.encoded[[2]int{i, maxSide}]
	if !ok {
		e = &encodedImage{}
		c.encoded[[2]int{i, maxSide}] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		if e.err = ctx.Err(); e.err != nil {
			return
		}
		w, h := fitSize(src.w, src.h, maxSide)
		base, isOpaque, err := src.level(i, w, h)
		if err != nil {
			e.err = err
			return
		}
		small := base
		if base.Rect.Dx() != w || base.Rect.Dy() != h {
			small = imaging.Resize(base, w, h, imaging.Linear)
		}
		e.data, e.err = c.encode(small, isOpaque)
		if e.err != nil {
			e.err = fmt.Errorf("assetpipe: encode image %d at %d px: %w", i, maxSide, e.err)
		}
	})
	return e.data, e.err
}

// encode writes img as JPEG when opaque, PNG otherwise; tiny opaque
// images take whichever of the two is smaller.
func (c *imageCache) encode(img *image.NRGBA, isOpaque bool) ([]byte, error) {
	var pngBuf bytes.Buffer
	tiny := img.Rect.Dx() < 32 && img.Rect.Dy() < 32
	if !isOpaque || tiny {
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&pngBuf, img); err != nil {
			return nil, err
		}
		if !isOpaque {
			return pngBuf.Bytes(), nil
		}
	}
	// An opaque NRGBA image has RGBA's exact layout; the JPEG encoder
	// converts RGBA without going pixel by pixel through interfaces.
	rgba := &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: c.quality}); err != nil {
		return nil, err
	}
	if tiny && pngBuf.Len() < buf.Len() {
		return pngBuf.Bytes(), nil
	}
	return buf.Bytes(), nil
}

// shrunk returns image i fitted within side×side pixels.
func (c *imageCache) shrunk(i, side int) (*image.NRGBA, error) {
	src, err := c.source(i)
	if err != nil {
		return nil, err
	}
	w, h := fitSize(src.w, src.h, side)
	base, _, err := src.level(i, w, h)
	if err != nil {
		return nil, err
	}
	if base.Rect.Dx() != w || base.Rect.Dy() != h {
		return imaging.Resize(base, w, h, imaging.Linear), nil
	}
	return base, nil
}

// meanColour returns image i's mean colour, decoded from sRGB to linear
// (for colour textures) and as raw channel values (for data textures such
// as metallic-roughness), each RGBA in 0..1, measured on a 16-pixel
// version.
func (c *imageCache) meanColour(i int) (linear, raw [4]float64, err error) {
	small, err := c.shrunk(i, 16)
	if err != nil {
		return linear, raw, err
	}
	var sumLinear, sumRaw [4]float64
	alpha := 0.0
	for y := range small.Rect.Dy() {
		row := small.Pix[y*small.Stride:]
		for x := range small.Rect.Dx() {
			a := float64(row[4*x+3]) / 255
			for ch := range 3 {
				v := float64(row[4*x+ch]) / 255
				sumLinear[ch] += srgbToLinear(v) * a
				sumRaw[ch] += v * a
			}
			alpha += a
		}
	}
	n := float64(small.Rect.Dx() * small.Rect.Dy())
	for ch := range 3 {
		if alpha > 0 {
			linear[ch], raw[ch] = sumLinear[ch]/alpha, sumRaw[ch]/alpha
		}
	}
	linear[3], raw[3] = alpha/n, alpha/n
	return linear, raw, nil
}

func srgbToLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// detail measures how far image i's 4×4-pixel version strays from its
// mean: the mean absolute difference of alpha-weighted RGBA, 0..1. Wood,
// fabric or brushed metal score under 0.005, a picture or a dial over
// 0.04: below flatDetail a texture reads as one colour once the model is
// a few dozen pixels across.
func (c *imageCache) detail(i int) (float64, error) {
	small, err := c.shrunk(i, 4)
	if err != nil {
		return 0, err
	}
	w, h := small.Rect.Dx(), small.Rect.Dy()
	var mean [4]float64
	for y := range h {
		row := small.Pix[y*small.Stride:]
		for x := range w {
			a := float64(row[4*x+3]) / 255
			for ch := range 3 {
				mean[ch] += float64(row[4*x+ch]) / 255 * a
			}
			mean[3] += a
		}
	}
	n := float64(w * h)
	for ch := range 4 {
		mean[ch] /= n
	}
	dev := 0.0
	for y := range h {
		row := small.Pix[y*small.Stride:]
		for x := range w {
			a := float64(row[4*x+3]) / 255
			d := math.Abs(a - mean[3])
			for ch := range 3 {
				d += math.Abs(float64(row[4*x+ch])/255*a - mean[ch])
			}
			dev += d / 4
		}
	}
	return dev / n, nil
}

// flatDetail is the detail (see imageCache.detail) under which the
// coarsest level replaces a texture by its mean colour.
const flatDetail = 0.02

// prepare encodes every image at every side in sides, in the background
// of the caller; errors surface again from get.
func (c *imageCache) prepare(ctx context.Context, sides []int) {
	for _, side := range sides {
		for i := range c.asset.Doc.Images {
			if ctx.Err() != nil {
				return
			}
			_, _ = c.get(ctx, i, side)
		}
	}
}

// opaque reports whether every pixel of img is fully opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}
