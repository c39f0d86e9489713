// Package synth generates labelled image sets for evaluating and tuning
// visual search, from the sample catalog in assets/: a gallery (each
// product's studio photos plus a ring of rendered views, and distractor
// products — recoloured or reshaped variants of the samples — that no
// query asks for), and queries that differ from the gallery the way
// shoppers' photos do: other viewpoints, busy or photographic-style
// backgrounds, lighting, exposure and colour casts, crops, scale and JPEG
// quality. Everything is derived from a seed, deterministically.
//
// A set on disk is two folders, gallery/ and queries/, each holding one
// folder per product label (the SKU) with its images: photos and queries
// as JPEG, rendered gallery views as PNG with a transparent background,
// as the asset pipeline stores the views it indexes.
package synth

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/disintegration/imaging"

	"github.com/vitrine-shop/vitrine/assets"
	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/render"
	"github.com/vitrine-shop/vitrine/wire"
)

// Options selects what Generate writes.
type Options struct {
	// Seed drives every random choice of the queries.
	Seed uint64
	// QueriesPerProduct is the number of query images per sample product.
	QueriesPerProduct int
	// QueryYawOffsetDeg shifts the queries' ring of viewpoints so that it
	// falls between the gallery's rendered views.
	QueryYawOffsetDeg float64
	// Gallery writes gallery/ too; a tuning set reuses the committed one.
	Gallery bool
	// Queries writes queries/.
	Queries bool
	// Masks also writes, for every query, the true product mask as
	// masks/<label>/qNN.png (8-bit grey, the product's coverage of each
	// pixel): training and diagnosis data for segmentation, never an input
	// of the search.
	Masks bool
	// NoExposure and NoCast leave out the queries' exposure change and
	// colour cast, every other choice (and so every other pixel's cause)
	// unchanged: ablations that measure what each costs the search.
	NoExposure, NoCast bool
	// QueryFovDeg is the queries' camera's vertical field of view (0
	// means viewFovDeg, the gallery's and the asset pipeline's): wider is
	// a closer camera with stronger perspective, as a phone's, every
	// other choice unchanged.
	QueryFovDeg float64
}

// Sizes of the generated images.
const (
	gallerySide    = 256
	galleryQuality = 80
	galleryViews   = 6
	galleryPitch   = 15 // degrees above the product
	viewFovDeg     = 30 // vertical field of view of the views (assetpipe's default)
	photoSide      = 256
)

// Suffixes of distractor labels: "<sku>~recolour" has the product's shape
// in other colours, "<sku>~reshape" its colours on other proportions.
const (
	RecolourSuffix = "~recolour"
	ReshapeSuffix  = "~reshape"
)

type product struct {
	assets.Product
	scene render.Scene
	lo    [3]float64
	hi    [3]float64
}

func loadProducts() ([]product, error) {
	list, err := assets.Products()
	if err != nil {
		return nil, err
	}
	out := make([]product, 0, len(list))
	for _, p := range list {
		data, err := assets.ReadFile("models/" + p.Model)
		if err != nil {
			return nil, err
		}
		sc, err := sceneFromGLB(data)
		if err != nil {
			return nil, fmt.Errorf("synth: %s: %w", p.SKU, err)
		}
		lo, hi, _ := sc.Bounds()
		out = append(out, product{Product: p, scene: sc, lo: lo, hi: hi})
	}
	return out, nil
}

// Generate writes a labelled set under dir.
func Generate(ctx context.Context, dir string, opt Options) error {
	products, err := loadProducts()
	if err != nil {
		return err
	}
	if opt.Gallery {
		for i, p := range products {
			if err := writeGallery(ctx, dir, i, p); err != nil {
				return fmt.Errorf("synth: gallery %s: %w", p.SKU, err)
			}
		}
	}
	if opt.Queries {
		for i, p := range products {
			for q := 0; q < opt.QueriesPerProduct; q++ {
				rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)*1000+uint64(q)))
				img, mask, quality, err := query(ctx, p, q, opt, rng)
				if err != nil {
					return fmt.Errorf("synth: query %s/%d: %w", p.SKU, q, err)
				}
				name := filepath.Join(dir, "queries", p.SKU, fmt.Sprintf("q%02d.jpg", q))
				if err := writeJPEG(name, img, quality); err != nil {
					return err
				}
				if opt.Masks {
					if err := writePNG(filepath.Join(dir, "masks", p.SKU, fmt.Sprintf("q%02d.png", q)), mask); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// ringYaws are the gallery's rendered viewpoints: all round for free
// standing products, a frontal fan for wall pieces (their backs are not
// what anyone photographs).
func ringYaws(p product, n int, offset float64) []float64 {
	out := make([]float64, n)
	for k := range out {
		if p.Placement == wire.PlacementWall {
			out[k] = -60 + 120*float64(k)/float64(n-1) + offset/3
		} else {
			out[k] = offset + 360*float64(k)/float64(n)
		}
	}
	return out
}

func writeGallery(ctx context.Context, dir string, index int, p product) error {
	for k, name := range p.Photos {
		data, err := assets.ReadFile("photos/" + name)
		if err != nil {
			return err
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("decode %s: %w", name, err)
		}
		small := imaging.Fit(img, photoSide, photoSide, imaging.Lanczos)
		if err := writeJPEG(filepath.Join(dir, "gallery", p.SKU, fmt.Sprintf("photo%d.jpg", k+1)), small, galleryQuality); err != nil {
			return err
		}
	}
	variants := []struct {
		label string
		scene render.Scene
	}{
		{p.SKU, p.scene},
		{p.SKU + RecolourSuffix, variant(p.scene, 130+float64(index%3)*40, 1.3, [3]float64{1, 1, 1})},
		{p.SKU + ReshapeSuffix, variant(p.scene, 20, 1, reshapeScale(index))},
	}
	for _, v := range variants {
		lo, hi, _ := v.scene.Bounds()
		vp := p
		vp.lo, vp.hi = lo, hi
		for k, yaw := range ringYaws(p, galleryViews, 0) {
			obj, err := renderView(ctx, v.scene, lo, hi, yaw, galleryPitch, viewFovDeg, gallerySide, [3]float64{})
			if err != nil {
				return err
			}
			if err := writePNG(filepath.Join(dir, "gallery", v.label, fmt.Sprintf("view%d.png", k+1)), obj); err != nil {
				return err
			}
		}
		// The silhouette sheet, as the asset pipeline renders it from a
		// processed model.
		sheet, err := assetpipe.RenderShapes(ctx, v.scene, lo, hi, p.Placement, viewFovDeg)
		if err != nil {
			return err
		}
		if err := writePNG(filepath.Join(dir, "gallery", v.label, ShapeSheetFile), sheet); err != nil {
			return err
		}
	}
	return nil
}

// ShapeSheetFile names a gallery label's silhouette sheet (see
// assetpipe.RenderShapes); eval reads it as the label's shape bank.
const ShapeSheetFile = "shapes.png"

// reshapeScale alternates between wider-and-lower and narrower-and-taller.
func reshapeScale(index int) [3]float64 {
	if index%2 == 0 {
		return [3]float64{1.5, 0.75, 1.2}
	}
	return [3]float64{0.7, 1.4, 0.8}
}

// renderView renders sc alone on a transparent side×side image, framed
// from (yawDeg, pitchDeg) with a vertical field of view of fovDeg.
func renderView(ctx context.Context, sc render.Scene, lo, hi [3]float64, yawDeg, pitchDeg, fovDeg float64, side int, light [3]float64) (*image.NRGBA, error) {
	cam := render.FrameCamera(lo, hi, yawDeg, pitchDeg, fovDeg, 1)
	img, err := render.Render(ctx, sc, cam, render.Options{Width: side, Height: side, Supersample: 2, LightDir: light})
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return img, nil
}

// writePNG writes a rendered view as the asset pipeline stores it: a PNG
// with the transparent background the renderer leaves.
func writePNG(name string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return fmt.Errorf("synth: encode %s: %w", name, err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

func writeJPEG(name string, img image.Image, quality int) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return fmt.Errorf("synth: encode %s: %w", name, err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// query makes query q of p: a new viewpoint and light, composited at a
// random scale and position (sometimes cropped by the frame) onto one of
// six kinds of background, with a soft shadow, exposure and colour cast,
// and a random JPEG quality.
func query(ctx context.Context, p product, q int, opt Options, rng *rand.Rand) (image.Image, *image.Gray, int, error) {
	w, h := canvasSize(rng)
	n := max(opt.QueriesPerProduct, 1)
	yaw := opt.QueryYawOffsetDeg + 360*float64(q)/float64(n) + (rng.Float64()*2-1)*12
	pitch := rng.Float64() * 40
	if p.Placement == wire.PlacementWall {
		yaw = -55 + 110*float64(q)/float64(max(n-1, 1)) + (rng.Float64()*2-1)*6 + opt.QueryYawOffsetDeg/6
		pitch = rng.Float64()*30 - 10
	}
	light := [3]float64{rng.Float64()*2 - 1, 0.4 + rng.Float64(), rng.Float64()*2 - 1}

	fill := 0.45 + rng.Float64()*0.5
	side := int(fill * float64(min(w, h)))
	fov := opt.QueryFovDeg
	if fov == 0 {
		fov = viewFovDeg
	}
	obj, err := renderView(ctx, p.scene, p.lo, p.hi, yaw, pitch, fov, side, light)
	if err != nil {
		return nil, nil, 0, err
	}
	at := place(rng, w, h, side, 0.08, 0.14)
	canvas := background(q%len(Backgrounds), w, h, rng)
	mask := paste(rng, canvas, obj, at)
	gain := 0.7 + rng.Float64()*0.6
	cast := [3]float64{0.9 + rng.Float64()*0.2, 0.9 + rng.Float64()*0.2, 0.9 + rng.Float64()*0.2}
	if opt.NoExposure {
		gain = 1
	}
	if opt.NoCast {
		cast = [3]float64{1, 1, 1}
	}
	expose(canvas, gain, cast)
	return canvas, mask, 30 + rng.IntN(61), nil
}

// canvasSize draws a photo's size: 256–320 px, square, 4:3 or 3:4.
func canvasSize(rng *rand.Rand) (w, h int) {
	w = 256 + rng.IntN(65)
	h = w
	switch rng.IntN(3) {
	case 1:
		h = w * 3 / 4
	case 2:
		w = h * 3 / 4
	}
	return w, h
}

// place chooses where a side×side object goes in a w×h picture: near the
// middle, or one time in four pushed out of frame across one edge by
// cutMin to cutMin+cutSpan of its side.
func place(rng *rand.Rand, w, h, side int, cutMin, cutSpan float64) image.Point {
	cx := float64(w)/2 + (rng.Float64()*2-1)*float64(w-side)/2*0.8
	cy := float64(h)/2 + (rng.Float64()*2-1)*float64(h-side)/2*0.8
	if rng.IntN(4) == 0 {
		cut := (cutMin + rng.Float64()*cutSpan) * float64(side)
		switch rng.IntN(4) {
		case 0:
			cx = float64(side)/2 - cut
		case 1:
			cx = float64(w) - float64(side)/2 + cut
		case 2:
			cy = float64(side)/2 - cut
		default:
			cy = float64(h) - float64(side)/2 + cut
		}
	}
	return image.Pt(int(cx)-side/2, int(cy)-side/2)
}

// paste draws obj onto canvas at at, half the time over a soft drop
// shadow, and returns the object's coverage of each canvas pixel.
func paste(rng *rand.Rand, canvas *image.RGBA, obj *image.NRGBA, at image.Point) *image.Gray {
	side := obj.Rect.Dx()
	if rng.IntN(2) == 0 {
		dropShadow(canvas, obj, at.Add(image.Pt(side/30, side/25)), side/18+1)
	}
	draw.Draw(canvas, obj.Rect.Add(at), obj, image.Point{}, draw.Over)
	mask := image.NewGray(canvas.Rect)
	draw.DrawMask(mask, obj.Rect.Add(at), image.NewUniform(color.White), image.Point{}, obj, image.Point{}, draw.Src)
	return mask
}

func randColour(rng *rand.Rand, minV, maxV float64) color.RGBA {
	r, g, b := shiftHue(1, 0.2+rng.Float64()*0.6, 0.2, rng.Float64()*360, rng.Float64())
	v := minV + rng.Float64()*(maxV-minV)
	return color.RGBA{to8(r * v), to8(g * v), to8(b * v), 255}
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return to8((float64(x)*(1-t) + float64(y)*t) / 255) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

// Backgrounds names the six kinds of query background, in the order
// query number q cycles through them (kind q mod 6).
var Backgrounds = []string{"plain", "gradient", "stripes/checks", "noise", "clutter", "room"}

// BackgroundOfFile returns the background kind of a generated query from
// its file name (q<number>.jpg); ok is false for other names.
func BackgroundOfFile(path string) (kind string, ok bool) {
	var q int
	var ext string
	if n, err := fmt.Sscanf(filepath.Base(path), "q%d.%s", &q, &ext); err != nil || n != 2 || q < 0 {
		return "", false
	}
	return Backgrounds[q%len(Backgrounds)], true
}

// background paints one of six kinds: plain, gradient, stripes or
// checks, value noise, clutter (shapes of random colours) and a room
// corner (wall over a planked floor).
func background(kind, w, h int, rng *rand.Rand) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	c1, c2 := randColour(rng, 0.35, 1), randColour(rng, 0.25, 1)
	set := func(fn func(x, y int) color.RGBA) {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.SetRGBA(x, y, fn(x, y))
			}
		}
	}
	switch kind {
	case 0:
		set(func(x, y int) color.RGBA { return c1 })
	case 1:
		angle := rng.Float64() * 2 * math.Pi
		set(func(x, y int) color.RGBA {
			t := (float64(x)/float64(w)-0.5)*math.Cos(angle) + (float64(y)/float64(h)-0.5)*math.Sin(angle) + 0.5
			return mix(c1, c2, math.Max(0, math.Min(1, t)))
		})
	case 2:
		period := 8 + rng.Float64()*30
		angle := rng.Float64() * math.Pi
		checks := rng.IntN(2) == 0
		set(func(x, y int) color.RGBA {
			u := float64(x)*math.Cos(angle) + float64(y)*math.Sin(angle)
			v := -float64(x)*math.Sin(angle) + float64(y)*math.Cos(angle)
			on := int(math.Floor(u/period))%2 == 0
			if checks && int(math.Floor(v/period))%2 == 0 {
				on = !on
			}
			if on {
				return c1
			}
			return c2
		})
	case 3:
		noise := valueNoise(rng, 8+rng.IntN(10))
		set(func(x, y int) color.RGBA {
			return mix(c1, c2, noise(float64(x)/float64(w), float64(y)/float64(h)))
		})
	case 4:
		set(func(x, y int) color.RGBA { return mix(c1, c2, float64(y)/float64(h)) })
		for k := 8 + rng.IntN(8); k > 0; k-- {
			c := randColour(rng, 0.2, 1)
			rx, ry := 8+rng.IntN(w/4), 8+rng.IntN(h/4)
			ox, oy := rng.IntN(w), rng.IntN(h)
			ellipse := rng.IntN(2) == 0
			for y := max(0, oy-ry); y < min(h, oy+ry); y++ {
				for x := max(0, ox-rx); x < min(w, ox+rx); x++ {
					dx, dy := float64(x-ox)/float64(rx), float64(y-oy)/float64(ry)
					if !ellipse || dx*dx+dy*dy <= 1 {
						img.SetRGBA(x, y, c)
					}
				}
			}
		}
	default:
		horizon := int(float64(h) * (0.55 + rng.Float64()*0.2))
		plank := 6 + rng.IntN(14)
		set(func(x, y int) color.RGBA {
			if y < horizon {
				return mix(c1, color.RGBA{255, 255, 255, 255}, 0.3*float64(y)/float64(horizon))
			}
			c := c2
			if (x/plank)%2 == 1 {
				c = mix(c2, color.RGBA{0, 0, 0, 255}, 0.12)
			}
			return c
		})
	}
	return img
}

// valueNoise returns a smooth random field over [0,1]² with cells×cells
// lattice points, values in [0,1].
func valueNoise(rng *rand.Rand, cells int) func(u, v float64) float64 {
	lattice := make([]float64, (cells+1)*(cells+1))
	for i := range lattice {
		lattice[i] = rng.Float64()
	}
	return func(u, v float64) float64 {
		x, y := u*float64(cells), v*float64(cells)
		x0, y0 := min(int(x), cells-1), min(int(y), cells-1)
		fx, fy := x-float64(x0), y-float64(y0)
		fx, fy = fx*fx*(3-2*fx), fy*fy*(3-2*fy)
		at := func(i, j int) float64 { return lattice[j*(cells+1)+i] }
		top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
		bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
		return top*(1-fy) + bot*fy
	}
}

// dropShadow darkens canvas under a blurred copy of obj's alpha placed at.
func dropShadow(canvas *image.RGBA, obj *image.NRGBA, at image.Point, radius int) {
	w, h := obj.Rect.Dx(), obj.Rect.Dy()
	alpha := make([]float64, w*h)
	for i := range alpha {
		alpha[i] = float64(obj.Pix[4*i+3]) / 255
	}
	tmp := make([]float64, len(alpha))
	for pass := 0; pass < 2; pass++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s float64
				for k := -radius; k <= radius; k++ {
					s += alpha[y*w+min(max(x+k, 0), w-1)]
				}
				tmp[y*w+x] = s / float64(2*radius+1)
			}
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s float64
				for k := -radius; k <= radius; k++ {
					s += tmp[min(max(y+k, 0), h-1)*w+x]
				}
				alpha[y*w+x] = s / float64(2*radius+1)
			}
		}
	}
	cb := canvas.Rect
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := image.Pt(x, y).Add(at)
			if !p.In(cb) {
				continue
			}
			f := 1 - 0.45*alpha[y*w+x]
			i := canvas.PixOffset(p.X, p.Y)
			for c := 0; c < 3; c++ {
				canvas.Pix[i+c] = to8(float64(canvas.Pix[i+c]) / 255 * f)
			}
		}
	}
}

// expose multiplies every pixel by gain and a per-channel cast.
func expose(img *image.RGBA, gain float64, cast [3]float64) {
	for i := 0; i+3 < len(img.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			img.Pix[i+c] = to8(float64(img.Pix[i+c]) / 255 * gain * cast[c])
		}
	}
}
