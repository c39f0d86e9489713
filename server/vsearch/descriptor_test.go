package vsearch

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"
)

// scene draws a product-like shape on a background: a vertical gradient
// (studio sweep) or a busy checkerboard border with a plain middle.
type scene struct {
	w, h      int
	busy      bool
	shape     string // "disc" or "bar"
	fg        color.NRGBA
	cx, cy, r float64 // centre and size, as fractions of the width
}

func (s scene) draw() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, s.w, s.h))
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			t := float64(y) / float64(s.h)
			c := color.NRGBA{uint8(240 - 30*t), uint8(238 - 30*t), uint8(232 - 34*t), 255}
			if s.busy && ((x/9)+(y/9))%2 == 0 {
				c = color.NRGBA{70, 120, 60, 255}
			}
			u, v := float64(x)/float64(s.w)-s.cx, float64(y)/float64(s.w)-s.cy
			inside := false
			switch s.shape {
			case "disc":
				inside = u*u+v*v < s.r*s.r
			case "bar":
				inside = math.Abs(u) < s.r && math.Abs(v) < s.r/4
			}
			if inside {
				c = s.fg
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestIsolateFindsTheProduct(t *testing.T) {
	red := color.NRGBA{200, 40, 40, 255}
	cases := []struct {
		name string
		s    scene
		// expected box in working pixels (the image is already small)
		x0, y0, x1, y1 int
	}{
		{"disc on gradient", scene{w: 100, h: 100, shape: "disc", fg: red, cx: 0.5, cy: 0.5, r: 0.2}, 30, 30, 70, 70},
		{"off-centre bar", scene{w: 120, h: 90, shape: "bar", fg: red, cx: 0.4, cy: 0.35, r: 0.25}, 18, 34, 78, 49},
		{"disc on checks", scene{w: 100, h: 100, busy: true, shape: "disc", fg: red, cx: 0.5, cy: 0.5, r: 0.2}, 30, 30, 70, 70},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			small, err := smallNRGBA(tc.s.draw(), workSide)
			if err != nil {
				t.Fatal(err)
			}
			fg := isolate(toLab(small), nil)
			for _, d := range []struct{ got, want int }{{fg.x0, tc.x0}, {fg.y0, tc.y0}, {fg.x1, tc.x1}, {fg.y1, tc.y1}} {
				if d.got < d.want-2 || d.got > d.want+2 {
					t.Fatalf("box (%d,%d)-(%d,%d), want (%d,%d)-(%d,%d) ±2", fg.x0, fg.y0, fg.x1, fg.y1, tc.x0, tc.y0, tc.x1, tc.y1)
				}
			}
		})
	}
}

func TestDescriptorVectors(t *testing.T) {
	ctx := context.Background()
	d := NewDescriptor()
	if d.Dim() != descriptorDim || d.Name() != DescriptorName || d.Version() != descriptorVersion {
		t.Fatalf("identity %s %s %d", d.Name(), d.Version(), d.Dim())
	}
	blocks := d.Blocks()
	if blocks[0].Start != 0 || blocks[len(blocks)-1].End != d.Dim() {
		t.Fatalf("blocks %v do not tile %d dims", blocks, d.Dim())
	}
	img := scene{w: 200, h: 160, shape: "disc", fg: color.NRGBA{200, 40, 40, 255}, cx: 0.5, cy: 0.4, r: 0.2}.draw()
	v1, err := d.Embed(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := d.Embed(ctx, img)
	if len(v1) != d.Dim() || math.Abs(float64(Dot(v1, v1))-1) > 1e-4 {
		t.Fatalf("len %d, norm² %v", len(v1), Dot(v1, v1))
	}
	for i := range v1 {
		if v1[i] != v2[i] {
			t.Fatal("embedding is not deterministic")
		}
	}
	if _, err := d.Embed(ctx, image.NewNRGBA(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("empty image embedded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Embed(cancelled, img); err == nil {
		t.Error("cancelled context ignored")
	}
	w2, err := NewDescriptorWeights([numBlocks]float32{1})
	if err != nil || w2.Version() == d.Version() {
		t.Errorf("custom weights must change the version: %v %q", err, w2.Version())
	}
	if _, err := NewDescriptorWeights([numBlocks]float32{}); err == nil {
		t.Error("all-zero weights accepted")
	}
}

// TestDescriptorRanksLikeAPerson checks the ordering a shopper expects: the
// same red disc, moved, scaled and put on a busy background, is closer
// than a blue disc (colour) and than a red bar (shape).
func TestDescriptorRanksLikeAPerson(t *testing.T) {
	ctx := context.Background()
	red, blue := color.NRGBA{200, 40, 40, 255}, color.NRGBA{40, 60, 200, 255}
	query := scene{w: 160, h: 120, busy: true, shape: "disc", fg: red, cx: 0.4, cy: 0.35, r: 0.15}
	gallery := map[string]scene{
		"red disc":  {w: 200, h: 200, shape: "disc", fg: red, cx: 0.5, cy: 0.5, r: 0.3},
		"blue disc": {w: 200, h: 200, shape: "disc", fg: blue, cx: 0.5, cy: 0.5, r: 0.3},
		"red bar":   {w: 200, h: 200, shape: "bar", fg: red, cx: 0.5, cy: 0.5, r: 0.3},
	}
	for _, e := range []Embedder{NewDescriptor()} {
		q, err := e.Embed(ctx, query.draw())
		if err != nil {
			t.Fatal(err)
		}
		sims := map[string]float32{}
		for name, s := range gallery {
			g, err := e.Embed(ctx, s.draw())
			if err != nil {
				t.Fatal(err)
			}
			sims[name] = Dot(q, g)
		}
		if !(sims["red disc"] > sims["blue disc"] && sims["red disc"] > sims["red bar"]) {
			t.Errorf("%s similarities %v: the red disc should win", e.Name(), sims)
		}
	}
}

func TestColourHistogramBaseline(t *testing.T) {
	ctx := context.Background()
	var e ColourHistogram
	red := scene{w: 64, h: 64, shape: "disc", fg: color.NRGBA{220, 20, 20, 255}, cx: 0.5, cy: 0.5, r: 0.45}.draw()
	v, err := e.Embed(ctx, red)
	if err != nil || len(v) != e.Dim() {
		t.Fatalf("%v %d", err, len(v))
	}
	// Most of the mass is in the saturated-red bin: hue 0, saturation and
	// value in the top bins.
	redBin := (0*histS+histS-1)*histV + histV - 1
	for i, x := range v {
		if i != redBin && x > v[redBin] {
			t.Fatalf("bin %d (%v) outweighs the red bin (%v)", i, x, v[redBin])
		}
	}
	cases := []struct {
		r, g, b uint8
		h, s, v float32
	}{
		{255, 0, 0, 0, 1, 1},
		{0, 255, 0, 1.0 / 3, 1, 1},
		{0, 0, 255, 2.0 / 3, 1, 1},
		{128, 128, 128, 0, 0, 128.0 / 255},
		{0, 0, 0, 0, 0, 0},
	}
	for _, c := range cases {
		h, s, vv := hsv(c.r, c.g, c.b)
		if abs32(h-c.h) > 1e-3 || abs32(s-c.s) > 1e-3 || abs32(vv-c.v) > 1e-3 {
			t.Errorf("hsv(%d,%d,%d) = %v,%v,%v want %v,%v,%v", c.r, c.g, c.b, h, s, vv, c.h, c.s, c.v)
		}
	}
}

func TestRGBToLabKnownValues(t *testing.T) {
	cases := []struct {
		r, g, b  uint8
		l, a, bb float32
	}{
		{255, 255, 255, 100, 0, 0},
		{0, 0, 0, 0, 0, 0},
		{255, 0, 0, 53.24, 80.09, 67.20},
		{0, 0, 255, 32.30, 79.19, -107.86},
	}
	for _, c := range cases {
		l, a, b := rgbToLab(c.r, c.g, c.b)
		if abs32(l-c.l) > 0.1 || abs32(a-c.a) > 0.3 || abs32(b-c.bb) > 0.3 {
			t.Errorf("Lab(%d,%d,%d) = %.2f,%.2f,%.2f want %.2f,%.2f,%.2f", c.r, c.g, c.b, l, a, b, c.l, c.a, c.bb)
		}
	}
}
