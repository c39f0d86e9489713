package assetpipe

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"sync"

	"github.com/disintegration/imaging"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// imageCache re-encodes an asset's images at the sizes levels ask for,
// decoding each source once. It is safe for concurrent use, so that a
// goroutine can prepare every level's textures while meshes simplify.
type imageCache struct {
	asset   *gltf.Asset
	quality int
	mu      sync.Mutex
	sources map[int]*cacheEntry    // decoded source images
	encoded map[[2]int]*cacheEntry // (image, maxSide) → bytes
}

type cacheEntry struct {
	once sync.Once
	img  image.Image
	w, h int
	data []byte
	err  error
}

func newImageCache(a *gltf.Asset, quality int) *imageCache {
	return &imageCache{asset: a, quality: quality, sources: map[int]*cacheEntry{}, encoded: map[[2]int]*cacheEntry{}}
}

func (c *imageCache) entry(m map[[2]int]*cacheEntry, key [2]int) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m[key]
	if !ok {
		e = &cacheEntry{}
		m[key] = e
	}
	return e
}

// source returns image i's header size, and its pixels when decode is set.
func (c *imageCache) source(i int, decode bool) (*cacheEntry, error) {
	c.mu.Lock()
	e, ok := c.sources[i]
	if !ok {
		e = &cacheEntry{}
		c.sources[i] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		data, _, err := c.asset.ImageBytes(i)
		if err != nil {
			e.err = fmt.Errorf("assetpipe: %w", err)
			return
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			e.err = fmt.Errorf("assetpipe: image %d header: %w", i, err)
			return
		}
		e.w, e.h, e.data = cfg.Width, cfg.Height, data
	})
	if e.err != nil || !decode {
		return e, e.err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.img == nil {
		// The asset was validated, so the header's size is within the
		// limits and decoding is bounded.
		img, _, err := image.Decode(bytes.NewReader(e.data))
		if err != nil {
			return nil, fmt.Errorf("assetpipe: decode image %d: %w", i, err)
		}
		e.img = img
	}
	return e, nil
}

// get returns image i's bytes for a level whose textures may be at most
// maxSide pixels a side (0: no limit). An image that already fits is kept
// byte for byte; a larger one is resized (linear filter, aspect kept) and
// re-encoded as JPEG when opaque, PNG when it has transparency.
func (c *imageCache) get(ctx context.Context, i, maxSide int) ([]byte, error) {
	src, err := c.source(i, false)
	if err != nil {
		return nil, err
	}
	if maxSide == 0 || (src.w <= maxSide && src.h <= maxSide) {
		return src.data, nil
	}
	e := c.entry(c.encoded, [2]int{i, maxSide})
	e.once.Do(func() {
		if e.err = ctx.Err(); e.err != nil {
			return
		}
		src, err := c.source(i, true)
		if err != nil {
			e.err = err
			return
		}
		small := imaging.Fit(src.img, maxSide, maxSide, imaging.Linear)
		var buf bytes.Buffer
		if opaque(src.img) {
			err = jpeg.Encode(&buf, small, &jpeg.Options{Quality: c.quality})
		} else {
			err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, small)
		}
		if err != nil {
			e.err = fmt.Errorf("assetpipe: encode image %d at %d px: %w", i, maxSide, err)
			return
		}
		e.data = buf.Bytes()
	})
	return e.data, e.err
}

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
