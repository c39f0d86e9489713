package catalogen

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
)

// Procedural textures. Everything derives from integer hashes of lattice
// coordinates and a seed, so the output is identical on every run and
// platform. Tiling textures use noise whose lattice wraps at the image
// edge, so they repeat seamlessly.

// hash returns a deterministic value in [0,1) for integer coordinates.
func hash(x, y int, seed uint64) float64 {
	h := uint64(int64(x))*0x9E3779B97F4A7C15 ^ uint64(int64(y))*0xC2B2AE3D27D4EB4F ^ seed*0x165667B19E3779F9
	h ^= h >> 33
	h *= 0xFF51AFD7ED558CCD
	h ^= h >> 33
	h *= 0xC4CEB9FE1A85EC53
	h ^= h >> 33
	return float64(h>>11) / float64(1<<53)
}

func mod(a, n int) int {
	if n <= 0 {
		return a
	}
	return ((a % n) + n) % n
}

// noise is smooth value noise at (x, y) in lattice units, wrapping with
// periods px and py (0 for none).
func noise(x, y float64, px, py int, seed uint64) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	tx, ty := x-x0, y-y0
	tx = tx * tx * (3 - 2*tx)
	ty = ty * ty * (3 - 2*ty)
	ix, iy := int(x0), int(y0)
	h := func(dx, dy int) float64 { return hash(mod(ix+dx, px), mod(iy+dy, py), seed) }
	a := h(0, 0)*(1-tx) + h(1, 0)*tx
	b := h(0, 1)*(1-tx) + h(1, 1)*tx
	return a*(1-ty) + b*ty
}

// fbm sums octaves of noise, each at twice the frequency and half the
// amplitude; the result is roughly in [0,1].
func fbm(x, y float64, px, py, octaves int, seed uint64) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for o := 0; o < octaves; o++ {
		sum += amp * noise(x, y, px, py, seed+uint64(o)*101)
		norm += amp
		amp *= 0.5
		x, y, px, py = x*2, y*2, px*2, py*2
	}
	return sum / norm
}

type rgb [3]float64

func (c rgb) mix(d rgb, t float64) rgb {
	return rgb{c[0] + (d[0]-c[0])*t, c[1] + (d[1]-c[1])*t, c[2] + (d[2]-c[2])*t}
}
func (c rgb) scale(s float64) rgb { return rgb{c[0] * s, c[1] * s, c[2] * s} }

func hexRGB(h uint32) rgb {
	return rgb{float64(h>>16&0xFF) / 255, float64(h>>8&0xFF) / 255, float64(h&0xFF) / 255}
}

func (c rgb) nrgba() color.NRGBA {
	b := func(v float64) uint8 { return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255)) }
	return color.NRGBA{b(c[0]), b(c[1]), b(c[2]), 255}
}

// paint fills a size×size image by calling f with texel coordinates in
// [0,1).
func paint(size int, f func(u, v float64) rgb) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			img.SetNRGBA(x, y, f((float64(x)+0.5)/float64(size), (float64(y)+0.5)/float64(size)).nrgba())
		}
	}
	return img
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// woodTexture is tiling plank grain running along u: growth rings
// distorted by noise, with fine pores.
func woodTexture(light, dark rgb, seed uint64) *image.NRGBA {
	return paint(512, func(u, v float64) rgb {
		// Rings run along u, gently wandering; every so often a broad
		// cathedral arch bends them.
		warp := fbm(u*2, v*3, 2, 3, 4, seed) - 0.5
		arch := 0.35 * math.Pow(math.Abs(math.Sin(math.Pi*(u*2+fbm(u, v*2, 1, 2, 2, seed+3)))), 3)
		rings := v*14 + warp*1.6 + arch
		r := rings - math.Floor(rings)
		band := math.Pow(math.Abs(math.Sin(math.Pi*r)), 8)
		pores := fbm(u*32, v*256, 32, 256, 2, seed+13)
		streak := fbm(u*3, v*128, 3, 128, 3, seed+29)
		c := light.mix(dark, 0.45*band+0.4*streak)
		return c.scale(0.92 + 0.14*pores)
	})
}

// weaveTexture is a tiling plain-weave fabric: alternating warp and weft
// threads with slub variation.
func weaveTexture(base rgb, threads int, seed uint64) *image.NRGBA {
	const size = 256
	return paint(size, func(u, v float64) rgb {
		x, y := u*float64(threads), v*float64(threads)
		cx, cy := int(math.Floor(x)), int(math.Floor(y))
		fx, fy := x-math.Floor(x), y-math.Floor(y)
		var shade float64
		if (cx+cy)%2 == 0 { // warp on top: thread runs along v
			shade = math.Sin(math.Pi * fx)
		} else {
			shade = math.Sin(math.Pi * fy)
		}
		slub := fbm(u*8, v*64, 8, 64, 2, seed)
		fleck := hash(cx, cy, seed+3)
		c := base.scale(0.62 + 0.38*math.Pow(shade, 0.7))
		c = c.scale(0.9 + 0.18*slub + 0.06*(fleck-0.5))
		return c
	})
}

// glazeTexture is a tiling speckled ceramic glaze.
func glazeTexture(base, speck rgb, seed uint64) *image.NRGBA {
	return paint(256, func(u, v float64) rgb {
		cloud := fbm(u*4, v*4, 4, 4, 4, seed)
		c := base.scale(0.92 + 0.16*cloud)
		// Speckles: sparse dark dots on a fine lattice.
		x, y := u*64, v*64
		cx, cy := int(math.Floor(x)), int(math.Floor(y))
		if h := hash(mod(cx, 64), mod(cy, 64), seed+5); h > 0.86 {
			dx := x - math.Floor(x) - 0.5 - 0.3*(hash(cx, cy, seed+6)-0.5)
			dy := y - math.Floor(y) - 0.5 - 0.3*(hash(cx, cy, seed+7)-0.5)
			rad := 0.12 + 0.2*hash(cx, cy, seed+8)
			if d := math.Hypot(dx, dy); d < rad {
				c = c.mix(speck, 0.8*(1-d/rad))
			}
		}
		return c
	})
}

// dripGlazeTexture is a two-tone reactive glaze running down a vase: the
// top colour drips over the bottom one. It tiles in u only.
func dripGlazeTexture(top, bottom rgb, seed uint64) *image.NRGBA {
	return paint(256, func(u, v float64) rgb {
		edge := 0.42 + 0.18*fbm(u*8, 0, 8, 0, 3, seed) + 0.1*math.Pow(noise(u*24, 0, 24, 0, seed+3), 3)
		t := clamp01((v - edge) / 0.05)
		c := top.mix(bottom, t)
		c = c.scale(0.93 + 0.12*fbm(u*16, v*16, 16, 16, 3, seed+9))
		return c
	})
}

// leatherTexture is a tiling pebbled leather grain (cellular noise).
func leatherTexture(base rgb, seed uint64) *image.NRGBA {
	const cells = 24
	return paint(256, func(u, v float64) rgb {
		x, y := u*cells, v*cells
		cx, cy := int(math.Floor(x)), int(math.Floor(y))
		d1, d2 := 9.0, 9.0
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				gx, gy := cx+dx, cy+dy
				px := float64(gx) + hash(mod(gx, cells), mod(gy, cells), seed)
				py := float64(gy) + hash(mod(gx, cells), mod(gy, cells), seed+1)
				d := math.Hypot(x-px, y-py)
				if d < d1 {
					d1, d2 = d, d1
				} else if d < d2 {
					d2 = d
				}
			}
		}
		crease := clamp01((d2 - d1) * 4)
		c := base.scale(0.7 + 0.3*crease)
		return c.scale(0.92 + 0.16*fbm(u*6, v*6, 6, 6, 3, seed+4))
	})
}

// brushedTexture is tiling brushed metal: fine streaks along u.
func brushedTexture(base rgb, seed uint64) *image.NRGBA {
	return paint(256, func(u, v float64) rgb {
		streak := fbm(u*2, v*256, 2, 256, 3, seed)
		return base.scale(0.85 + 0.25*streak)
	})
}

// tortoiseTexture is tiling tortoiseshell acetate: amber with dark
// brown blotches.
func tortoiseTexture(seed uint64) *image.NRGBA {
	amber, brown, dark := hexRGB(0xB8772E), hexRGB(0x5A2E12), hexRGB(0x1E0E06)
	return paint(256, func(u, v float64) rgb {
		n := fbm(u*5, v*5, 5, 5, 5, seed)
		m := fbm(u*12, v*12, 12, 12, 3, seed+11)
		c := amber.mix(brown, smooth(0.42, 0.55, n))
		return c.mix(dark, smooth(0.55, 0.68, n)*0.9+0.1*m)
	})
}

// knitTexture is a tiling engineered-knit upper: rows of small V stitches.
func knitTexture(base, accent rgb, seed uint64) *image.NRGBA {
	return paint(256, func(u, v float64) rgb {
		x, y := u*48, v*64
		fx := x - math.Floor(x)
		fy := y - math.Floor(y)
		stitch := math.Abs(fx-0.5)*2 - fy*0.6
		s := 0.6 + 0.4*math.Cos(stitch*math.Pi)
		c := base.scale(0.7 + 0.3*s)
		band := fbm(u*3, v*3, 3, 3, 3, seed)
		return c.mix(accent, 0.12*band)
	})
}

func smooth(a, b, x float64) float64 {
	t := clamp01((x - a) / (b - a))
	return t * t * (3 - 2*t)
}

// paintingTexture is an abstract landscape print: a warm sky with a sun,
// layered hills and brush-stroke texture. It does not tile.
func paintingTexture(seed uint64) *image.NRGBA {
	sky0, sky1 := hexRGB(0xF3C98B), hexRGB(0xE98467)
	sun := hexRGB(0xFFF1D0)
	hills := []rgb{hexRGB(0xC8664F), hexRGB(0x8E4A49), hexRGB(0x3F5E5A), hexRGB(0x20383A)}
	return paint(512, func(u, v float64) rgb {
		c := sky0.mix(sky1, v*1.3)
		if d := math.Hypot(u-0.68, (v-0.3)*0.9); d < 0.11 {
			c = sun
		} else if d < 0.16 {
			c = c.mix(sun, (0.16-d)/0.05*0.5)
		}
		for i, hc := range hills {
			base := 0.45 + 0.13*float64(i)
			ridge := base - 0.12*math.Sin(u*math.Pi*(1.3+0.4*float64(i))+float64(i)) - 0.08*fbm(u*3, float64(i), 0, 0, 4, seed+uint64(i))
			if v > ridge {
				c = hc.scale(0.9 + 0.2*(v-ridge))
			}
		}
		brush := fbm(u*40, v*8, 0, 0, 3, seed+50)
		return c.scale(0.93 + 0.12*brush)
	})
}

// dialTexture is a watch dial: a sunburst navy face with baton indices
// and hands set to ten past ten; the dial fills the image.
func dialTexture() *image.NRGBA {
	navy, steel, white := hexRGB(0x1B2A4A), hexRGB(0xD8DCE2), hexRGB(0xF4F4F0)
	return paint(256, func(u, v float64) rgb {
		x, y := u*2-1, 1-v*2
		r := math.Hypot(x, y)
		a := math.Atan2(x, y) // clockwise from 12 o'clock
		c := navy.scale(0.85 + 0.25*math.Pow(math.Abs(math.Cos(a*30)), 8))
		if r > 0.96 {
			return steel
		}
		// Minute track.
		minute := a / (2 * math.Pi) * 60
		if r > 0.86 && r < 0.92 && math.Abs(minute-math.Round(minute)) < 0.08 {
			c = white
		}
		// Hour batons.
		hour := a / (2 * math.Pi) * 12
		if r > 0.62 && r < 0.84 && math.Abs(hour-math.Round(hour))*2*math.Pi/12*r < 0.035 {
			c = steel
		}
		hand := func(angle, length, width float64) bool {
			s, co := math.Sincos(angle)
			along := x*s + y*co
			across := x*co - y*s
			return along > -0.1 && along < length && math.Abs(across) < width*(1-0.5*along/length)
		}
		if hand(2*math.Pi*(10+10.0/60)/12, 0.5, 0.05) || hand(2*math.Pi*10/60, 0.78, 0.035) {
			c = white
		}
		if hand(2*math.Pi*38/60, 0.85, 0.008) {
			c = hexRGB(0xE0533D)
		}
		if r < 0.05 {
			c = steel
		}
		return c
	})
}

// spineTexture is eight book-spine colours stacked in v (band k covers
// v in [k/8, (k+1)/8)), u running across the spine: gilt lines near the
// head and tail and a pale title label in the middle.
func spineTexture(seed uint64) *image.NRGBA {
	colours := []rgb{hexRGB(0x8C2F39), hexRGB(0x2E4A62), hexRGB(0xD9A441), hexRGB(0x3C6E47), hexRGB(0xE8DCC2), hexRGB(0x5B3A6B), hexRGB(0x1F1F24), hexRGB(0xC65D3B)}
	gilt, label := rgb{0.85, 0.7, 0.35}, rgb{0.93, 0.9, 0.8}
	return paint(256, func(u, v float64) rgb {
		k := min(int(v*8), 7)
		c := colours[k]
		local := v*8 - float64(k)
		if math.Abs(local-0.08) < 0.01 || math.Abs(local-0.92) < 0.01 || math.Abs(local-0.11) < 0.004 {
			c = c.mix(gilt, 0.8)
		}
		if math.Abs(u-0.5) < 0.28 && local > 0.3 && local < 0.62 {
			c = c.mix(label, 0.75)
		}
		return c.scale(0.9 + 0.15*fbm(u*16, v*64, 0, 0, 2, seed))
	})
}

func encodeJPEG(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode JPEG: %w", err)
	}
	return buf.Bytes(), nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}
