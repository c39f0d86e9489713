package render

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"testing"
)

var white = Material{BaseColor: [4]float32{1, 1, 1, 1}, Roughness: 0.8}

// quad is an axis-aligned rectangle in the plane z=z, spanning [x0,x1]×[y0,y1],
// with UVs (0,0) at the top left.
func quad(x0, y0, x1, y1, z float32, m Material) Mesh {
	return Mesh{
		Positions: [][3]float32{{x0, y0, z}, {x1, y0, z}, {x1, y1, z}, {x0, y1, z}},
		Normals:   [][3]float32{{0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}},
		UVs:       [][2]float32{{0, 1}, {1, 1}, {1, 0}, {0, 0}},
		Indices:   []uint32{0, 1, 2, 0, 2, 3},
		Material:  m,
	}
}

// cube is the axis-aligned cube of side size centred at the origin, with
// flat normals.
func cube(size float32, m Material) Mesh {
	h := size / 2
	var mesh Mesh
	faces := [][3]float32{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}}
	for _, n := range faces {
		// Two axes spanning the face.
		var u, v [3]float32
		switch {
		case n[0] != 0:
			u, v = [3]float32{0, 1, 0}, [3]float32{0, 0, 1}
		case n[1] != 0:
			u, v = [3]float32{0, 0, 1}, [3]float32{1, 0, 0}
		default:
			u, v = [3]float32{1, 0, 0}, [3]float32{0, 1, 0}
		}
		base := uint32(len(mesh.Positions))
		for _, s := range [][2]float32{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
			var p [3]float32
			for k := 0; k < 3; k++ {
				p[k] = h * (n[k] + s[0]*u[k] + s[1]*v[k])
			}
			mesh.Positions = append(mesh.Positions, p)
			mesh.Normals = append(mesh.Normals, n)
		}
		mesh.Indices = append(mesh.Indices, base, base+1, base+2, base, base+2, base+3)
	}
	mesh.Material = m
	return mesh
}

// frontCamera looks down -z from (0,0,dist) with a 90° field of view, so
// a length L at depth d spans L/d × height/2 pixels.
func frontCamera(dist float64) Camera {
	return Camera{Eye: [3]float64{0, 0, dist}, Up: [3]float64{0, 1, 0}, FovYDeg: 90, Near: 0.01, Far: 100}
}

// covered is the area drawn, in pixels, counting partly covered pixels by
// their alpha.
func covered(img *image.NRGBA) float64 {
	n := 0.0
	for i := 3; i < len(img.Pix); i += 4 {
		n += float64(img.Pix[i]) / 255
	}
	return n
}

func mustRender(t testing.TB, s Scene, cam Camera, opt Options) *image.NRGBA {
	t.Helper()
	img, err := Render(context.Background(), s, cam, opt)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return img
}

func TestCoverage(t *testing.T) {
	tests := []struct {
		name string
		mesh Mesh
		cam  Camera
		want float64 // pixels
	}{
		// 200 px high, fov 90°: at depth 2 one metre spans 50 px.
		{"unit quad at depth 2", quad(-0.5, -0.5, 0.5, 0.5, 0, white), frontCamera(2), 50 * 50},
		{"unit quad at depth 4", quad(-0.5, -0.5, 0.5, 0.5, 0, white), frontCamera(4), 25 * 25},
		{"off-centre 1×0.5 quad", quad(0, 0, 1, 0.5, 0, white), frontCamera(2), 50 * 25},
		// The cube's front face is at depth 1.5: 1/1.5 × 100 px per side.
		{"unit cube face-on", cube(1, white), frontCamera(2), math.Pow(100/1.5, 2)},
		{"back of a quad is drawn too", quad(-0.5, -0.5, 0.5, 0.5, 0, white), Camera{Eye: [3]float64{0, 0, -2}, Up: [3]float64{0, 1, 0}, FovYDeg: 90, Near: 0.01, Far: 100}, 50 * 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := mustRender(t, Scene{Meshes: []Mesh{tt.mesh}}, tt.cam, Options{Width: 200, Height: 200})
			got := covered(img)
			if math.Abs(got-tt.want) > 0.03*tt.want {
				t.Errorf("covered %v pixels, want %v ± 3%%", got, tt.want)
			}
		})
	}
}

func TestNearerTriangleWins(t *testing.T) {
	red := Material{BaseColor: [4]float32{1, 0, 0, 1}, Roughness: 1}
	green := Material{BaseColor: [4]float32{0, 1, 0, 1}, Roughness: 1}
	far := quad(-1, -1, 1, 1, 0, red)
	near := quad(-0.5, -0.5, 0.5, 0.5, 0.5, green)
	for _, order := range [][]Mesh{{far, near}, {near, far}} {
		img := mustRender(t, Scene{Meshes: order}, frontCamera(3), Options{Width: 64, Height: 64})
		c := img.NRGBAAt(32, 32)
		if !(c.G > 2*c.R && c.A == 255) {
			t.Errorf("centre pixel %v: the nearer green quad should hide the red one", c)
		}
		edge := img.NRGBAAt(32, 23) // 9 px above centre: beyond the green quad (6.4 px), inside the red (10.7 px)
		if !(edge.R > 2*edge.G) {
			t.Errorf("pixel beside the green quad %v should show the red one", edge)
		}
	}
}

func TestBackground(t *testing.T) {
	s := Scene{Meshes: []Mesh{quad(-0.2, -0.2, 0.2, 0.2, 0, white)}}
	tests := []struct {
		name string
		bg   color.NRGBA
		want color.NRGBA
	}{
		{"zero background is transparent", color.NRGBA{}, color.NRGBA{}},
		{"opaque background fills", color.NRGBA{R: 10, G: 200, B: 30, A: 255}, color.NRGBA{R: 10, G: 200, B: 30, A: 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := mustRender(t, s, frontCamera(2), Options{Width: 40, Height: 30, Background: tt.bg})
			if img.Rect.Dx() != 40 || img.Rect.Dy() != 30 {
				t.Fatalf("image is %v, want 40×30", img.Rect)
			}
			for _, p := range []image.Point{{0, 0}, {39, 0}, {0, 29}, {39, 29}} {
				if got := img.NRGBAAt(p.X, p.Y); got != tt.want {
					t.Errorf("pixel %v = %v, want %v", p, got, tt.want)
				}
			}
			if got := img.NRGBAAt(20, 15); got.A != 255 {
				t.Errorf("centre pixel %v should be opaque", got)
			}
		})
	}
}

func TestTextureShowsThrough(t *testing.T) {
	// Left half red, right half blue, in sRGB.
	tex := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			c := color.NRGBA{200, 20, 20, 255}
			if x >= 4 {
				c = color.NRGBA{20, 20, 200, 255}
			}
			tex.SetNRGBA(x, y, c)
		}
	}
	m := Material{BaseColor: [4]float32{1, 1, 1, 1}, BaseColorTexture: tex, Roughness: 1}
	img := mustRender(t, Scene{Meshes: []Mesh{quad(-1, -1, 1, 1, 0, m)}}, frontCamera(1.5), Options{Width: 100, Height: 100})
	left, right := img.NRGBAAt(30, 50), img.NRGBAAt(70, 50)
	if !(left.R > 3*left.B) {
		t.Errorf("left pixel %v should be red (u < 0.5)", left)
	}
	if !(right.B > 3*right.R) {
		t.Errorf("right pixel %v should be blue (u > 0.5)", right)
	}
}

func TestPerspectiveCorrectUV(t *testing.T) {
	// A floor strip from z=-1 (near) to z=-9 (far) at y=-1, seen from the
	// origin looking down -z. The texture's top half (v<0.5, the far half
	// of the strip) is blue and the bottom half red, so the colour changes
	// at z=-5, which projects to y = 100 + 100/5 = 120 px; an affine
	// interpolation would put it half-way between rows 200 and 111.
	tex := image.NewNRGBA(image.Rect(0, 0, 4, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 4; x++ {
			c := color.NRGBA{20, 20, 220, 255}
			if y >= 32 {
				c = color.NRGBA{220, 20, 20, 255}
			}
			tex.SetNRGBA(x, y, c)
		}
	}
	m := Material{BaseColor: [4]float32{1, 1, 1, 1}, BaseColorTexture: tex, Roughness: 1}
	floor := Mesh{
		Positions: [][3]float32{{-1, -1, -1}, {1, -1, -1}, {1, -1, -9}, {-1, -1, -9}},
		UVs:       [][2]float32{{0, 1}, {1, 1}, {1, 0}, {0, 0}},
		Indices:   []uint32{0, 1, 2, 0, 2, 3},
		Material:  m,
	}
	cam := Camera{Eye: [3]float64{0, 0, 0}, Target: [3]float64{0, 0, -1}, Up: [3]float64{0, 1, 0}, FovYDeg: 90, Near: 0.01, Far: 100}
	img := mustRender(t, Scene{Meshes: []Mesh{floor}}, cam, Options{Width: 200, Height: 200})
	for _, tc := range []struct {
		y       int
		wantRed bool
	}{{116, false}, {124, true}, {150, true}} {
		c := img.NRGBAAt(100, tc.y)
		if isRed := c.R > c.B; isRed != tc.wantRed || c.A != 255 {
			t.Errorf("row %d pixel %v: red=%v, want red=%v", tc.y, c, isRed, tc.wantRed)
		}
	}
}

func TestFrameCameraKeepsBoxInView(t *testing.T) {
	boxes := []struct {
		name     string
		min, max [3]float64
	}{
		{"chair", [3]float64{-0.225, 0, -0.26}, [3]float64{0.225, 0.9, 0.26}},
		{"sofa", [3]float64{-1.05, 0, -0.46}, [3]float64{1.05, 0.85, 0.46}},
		{"watch", [3]float64{-0.0225, -0.006, -0.12}, [3]float64{0.0225, 0.006, 0.12}},
		{"wall art", [3]float64{-0.35, 0, 0}, [3]float64{0.35, 0.5, 0.03}},
	}
	angles := [][2]float64{{0, 0}, {35, 20}, {-60, 10}, {180, 45}, {90, -30}}
	for _, b := range boxes {
		for _, a := range angles {
			for _, aspect := range []float64{1, 1.6, 0.6} {
				cam := FrameCamera(b.min, b.max, a[0], a[1], 35, aspect)
				h := 400
				w := int(float64(h) * aspect)
				v, err := newView(cam, w, h)
				if err != nil {
					t.Fatalf("%s %v: %v", b.name, a, err)
				}
				minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
				for i := 0; i < 8; i++ {
					p := b.min
					if i&1 != 0 {
						p[0] = b.max[0]
					}
					if i&2 != 0 {
						p[1] = b.max[1]
					}
					if i&4 != 0 {
						p[2] = b.max[2]
					}
					c := v.toView(p)
					if c[2] <= cam.Near || c[2] >= cam.Far {
						t.Fatalf("%s %v: corner %v at depth %g outside near/far %g/%g", b.name, a, p, c[2], cam.Near, cam.Far)
					}
					x, y := v.project(c)
					minX, maxX = math.Min(minX, x), math.Max(maxX, x)
					minY, maxY = math.Min(minY, y), math.Max(maxY, y)
				}
				if minX < 0 || minY < 0 || maxX > float64(w) || maxY > float64(h) {
					t.Errorf("%s yaw %g pitch %g aspect %g: projection [%.1f,%.1f]×[%.1f,%.1f] leaves the %d×%d image", b.name, a[0], a[1], aspect, minX, maxX, minY, maxY, w, h)
				}
				// The box should fill the frame in at least one direction.
				if (maxX-minX)/float64(w) < 0.8 && (maxY-minY)/float64(h) < 0.8 {
					t.Errorf("%s yaw %g pitch %g aspect %g: box fills only %.0f%%×%.0f%% of the image", b.name, a[0], a[1], aspect, 100*(maxX-minX)/float64(w), 100*(maxY-minY)/float64(h))
				}
				if cx := (minX + maxX) / 2; math.Abs(cx-float64(w)/2) > 0.02*float64(w) {
					t.Errorf("%s yaw %g pitch %g: projection centred at x=%.1f, want %d", b.name, a[0], a[1], cx, w/2)
				}
			}
		}
	}
}

func TestRenderRejects(t *testing.T) {
	ok := Scene{Meshes: []Mesh{quad(-1, -1, 1, 1, 0, white)}}
	tests := []struct {
		name  string
		scene Scene
		cam   Camera
		opt   Options
	}{
		{"width above the limit", ok, frontCamera(2), Options{Width: MaxDimension + 1, Height: 10}},
		{"zero height", ok, frontCamera(2), Options{Width: 10, Height: 0}},
		{"supersample above the limit", ok, frontCamera(2), Options{Width: 10, Height: 10, Supersample: MaxSupersample + 1}},
		{"eye on target", ok, Camera{Up: [3]float64{0, 1, 0}, FovYDeg: 60, Near: 0.1, Far: 10}, Options{Width: 10, Height: 10}},
		{"near beyond far", ok, Camera{Eye: [3]float64{0, 0, 2}, Up: [3]float64{0, 1, 0}, FovYDeg: 60, Near: 5, Far: 1}, Options{Width: 10, Height: 10}},
		{"index out of range", Scene{Meshes: []Mesh{{Positions: [][3]float32{{0, 0, 0}}, Indices: []uint32{0, 0, 1}}}}, frontCamera(2), Options{Width: 10, Height: 10}},
		{"normals not matching positions", Scene{Meshes: []Mesh{{Positions: make([][3]float32, 3), Normals: make([][3]float32, 2)}}}, frontCamera(2), Options{Width: 10, Height: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(context.Background(), tt.scene, tt.cam, tt.opt)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRenderHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Render(ctx, Scene{Meshes: []Mesh{cube(1, white)}}, frontCamera(3), Options{Width: 32, Height: 32})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestKeyLitFaceIsBrighter(t *testing.T) {
	// Light from +x: the cube's +x face must be brighter than its -x face.
	s := Scene{Meshes: []Mesh{cube(1, Material{BaseColor: [4]float32{0.6, 0.6, 0.6, 1}, Roughness: 0.9})}}
	opt := Options{Width: 100, Height: 100, LightDir: [3]float64{1, 0, 0}}
	lit := mustRender(t, s, Camera{Eye: [3]float64{3, 0, 0}, Up: [3]float64{0, 1, 0}, FovYDeg: 40, Near: 0.1, Far: 10}, opt)
	dark := mustRender(t, s, Camera{Eye: [3]float64{-3, 0, 0}, Up: [3]float64{0, 1, 0}, FovYDeg: 40, Near: 0.1, Far: 10}, opt)
	if l, d := lit.NRGBAAt(50, 50), dark.NRGBAAt(50, 50); int(l.R) <= int(d.R)+40 {
		t.Errorf("lit face %v should be clearly brighter than the unlit face %v", l, d)
	}
}

// sphere is a UV sphere of the given radius with about 2·rings·segments
// triangles.
func sphere(radius float32, rings, segments int, m Material) Mesh {
	var mesh Mesh
	for r := 0; r <= rings; r++ {
		phi := math.Pi * float64(r) / float64(rings)
		for s := 0; s <= segments; s++ {
			theta := 2 * math.Pi * float64(s) / float64(segments)
			n := [3]float32{float32(math.Sin(phi) * math.Cos(theta)), float32(math.Cos(phi)), float32(math.Sin(phi) * math.Sin(theta))}
			mesh.Normals = append(mesh.Normals, n)
			mesh.Positions = append(mesh.Positions, [3]float32{n[0] * radius, n[1] * radius, n[2] * radius})
			mesh.UVs = append(mesh.UVs, [2]float32{float32(s) / float32(segments), float32(r) / float32(rings)})
		}
	}
	for r := 0; r < rings; r++ {
		for s := 0; s < segments; s++ {
			a := uint32(r*(segments+1) + s)
			b := a + uint32(segments+1)
			mesh.Indices = append(mesh.Indices, a, b, a+1, a+1, b, b+1)
		}
	}
	mesh.Material = m
	return mesh
}

func BenchmarkRender512(b *testing.B) {
	tex := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	for i := range tex.Pix {
		tex.Pix[i] = uint8(i * 7)
	}
	s := Scene{Meshes: []Mesh{
		sphere(0.5, 100, 100, Material{BaseColor: [4]float32{1, 1, 1, 1}, BaseColorTexture: tex, Roughness: 0.4}),
		cube(0.6, Material{BaseColor: [4]float32{0.8, 0.8, 0.9, 1}, Metallic: 1, Roughness: 0.3}),
	}}
	lo, hi, _ := s.Bounds()
	cam := FrameCamera(lo, hi, 30, 20, 35, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(context.Background(), s, cam, Options{Width: 512, Height: 512}); err != nil {
			b.Fatal(err)
		}
	}
}
