package placeflow

import (
	"errors"
	"image"
	"math"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/wasm/glb"
	"github.com/vitrine-shop/vitrine/wire"
)

func TestParseLength(t *testing.T) {
	for _, tc := range []struct {
		text, unit string
		want       float64
		err        bool
	}{
		{"29.7", "cm", 0.297, false},
		{"29,7 cm", "in", 0.297, false},
		{"11 in", "cm", 0.2794, false},
		{`11"`, "cm", 0.2794, false},
		{"0.8 m", "cm", 0.8, false},
		{"210mm", "cm", 0.21, false},
		{"8.5", "in", 0.2159, false},
		{"", "cm", 0, true},
		{"abc", "cm", 0, true},
		{"-3", "cm", 0, true},
		{"NaN", "cm", 0, true},
	} {
		got, err := ParseLength(tc.text, tc.unit)
		if (err != nil) != tc.err || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("ParseLength(%q, %q) = %g, %v; want %g, error %v", tc.text, tc.unit, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrLength) {
			t.Errorf("ParseLength(%q) error %v does not wrap ErrLength", tc.text, err)
		}
	}
	if _, err := ParseSide("2 cm", "cm"); err == nil {
		t.Error("a 2 cm reference side accepted")
	}
	if _, err := ParseSide("11 m", "cm"); err == nil {
		t.Error("an 11 m reference side accepted")
	}
}

func TestReferences(t *testing.T) {
	for _, r := range References {
		if r.ID == "custom" {
			continue
		}
		if r.WidthM < MinSideM || r.HeightM > MaxSideM || r.WidthM > r.HeightM {
			t.Errorf("%s: %g × %g m; want sides within bounds, the first side the shorter", r.ID, r.WidthM, r.HeightM)
		}
	}
	if r, ok := ReferenceByID("door"); !ok || r.WidthM != 0.8 || r.HeightM != 2 {
		t.Errorf("door = %+v, %v", r, ok)
	}
}

func TestFitMapsBothWays(t *testing.T) {
	f := Fit{ImgW: 1280, ImgH: 720, BoxW: 700, BoxH: 525}
	if s := f.Scale(); math.Abs(s-700.0/1280) > 1e-12 {
		t.Fatalf("scale %g", s)
	}
	if o := f.Offset(); o.X != 0 || math.Abs(o.Y-(525-720*700.0/1280)/2) > 1e-9 {
		t.Errorf("offset %+v", o)
	}
	p := Point{X: 333.3, Y: 222.2}
	q, ok := f.ToImage(f.ToBox(p))
	if !ok || math.Hypot(q.X-p.X, q.Y-p.Y) > 1e-9 {
		t.Errorf("round trip %+v → %+v (%v)", p, q, ok)
	}
	if _, ok := f.ToImage(Point{X: 10, Y: 5}); ok {
		t.Error("a point in the letterbox maps into the photo")
	}
}

// TestFovYDrawsOverThePhoto: a symmetric perspective camera with
// FovYDeg over the whole box projects a 3D point where the photo's pinhole
// camera (principal point centred) shows it, letterbox included.
func TestFovYDrawsOverThePhoto(t *testing.T) {
	for _, f := range []Fit{
		{ImgW: 1280, ImgH: 720, BoxW: 700, BoxH: 525},
		{ImgW: 720, ImgH: 1280, BoxW: 700, BoxH: 525},
		{ImgW: 4032, ImgH: 3024, BoxW: 390, BoxH: 390},
	} {
		fy := 0.7 * float64(max(f.ImgW, f.ImgH))
		fov := f.FovYDeg(fy) * math.Pi / 180
		for _, p := range [][3]float64{{0.3, -0.2, 2}, {-1, 0.5, 3.5}, {0, 0, 1}} {
			// The photo: pixels, then the box.
			img := Point{X: fy*p[0]/p[2] + float64(f.ImgW)/2, Y: fy*p[1]/p[2] + float64(f.ImgH)/2}
			want := f.ToBox(img)
			// The GL camera: normalised device coordinates over the box.
			t2 := math.Tan(fov / 2)
			aspect := f.BoxW / f.BoxH
			ndcX := p[0] / p[2] / (t2 * aspect)
			ndcY := p[1] / p[2] / t2
			got := Point{X: (ndcX + 1) / 2 * f.BoxW, Y: (ndcY + 1) / 2 * f.BoxH}
			if math.Hypot(got.X-want.X, got.Y-want.Y) > 1e-6 {
				t.Errorf("%+v: point %v drawn at %+v, photo shows it at %+v", f, p, got, want)
			}
		}
	}
}

func TestCheckQuad(t *testing.T) {
	square := [4]Point{{100, 100}, {200, 100}, {200, 200}, {100, 200}}
	if err := CheckQuad(square); err != nil {
		t.Errorf("square: %v", err)
	}
	crossed := [4]Point{{100, 100}, {200, 200}, {200, 100}, {100, 200}}
	if err := CheckQuad(crossed); !errors.Is(err, ErrQuadCrossing) {
		t.Errorf("crossed: %v", err)
	}
	tiny := [4]Point{{100, 100}, {103, 100}, {103, 103}, {100, 103}}
	if err := CheckQuad(tiny); !errors.Is(err, ErrQuadSmall) {
		t.Errorf("tiny: %v", err)
	}
	flat := [4]Point{{100, 100}, {200, 100}, {300, 100.5}, {100, 200}}
	if err := CheckQuad(flat); err == nil {
		t.Error("three corners in a line accepted")
	}
}

func TestRoomFlowBuildsRequests(t *testing.T) {
	r := NewRoom(1280, 720, wire.PlacementFloor)
	if r.Step() != StepCorners || r.Surface != wire.SurfaceFloor || r.FreePoints != 4 {
		t.Fatalf("new floor room: step %v surface %q free %d", r.Step(), r.Surface, r.FreePoints)
	}
	if w := NewRoom(100, 100, wire.PlacementWall); w.Surface != wire.SurfaceWall || w.FreePoints != 2 {
		t.Errorf("wall product: surface %q free %d", w.Surface, w.FreePoints)
	}
	if _, err := r.PoseRequest("chair"); !errors.Is(err, ErrNotReady) {
		t.Errorf("pose before corners: %v", err)
	}
	for _, c := range []Point{{600, 400}, {700, 400}, {710, 480}, {590, 480}} {
		r.TapAt(c)
	}
	if r.Step() != StepPlace {
		t.Fatalf("after four corners: step %v", r.Step())
	}
	if h := r.HandleAt(Point{702, 401}, 10); h.Kind != CornerHandle || h.Index != 1 {
		t.Errorf("handle near corner 2: %+v", h)
	}
	r.TapAt(Point{400, 500})
	r.Rotate(200)
	if r.AngleDeg != -160 {
		t.Errorf("angle %g, want -160", r.AngleDeg)
	}
	r.CornerSigmaPx = 0.01
	req, err := r.PoseRequest("chair")
	if err != nil {
		t.Fatal(err)
	}
	if req.SKU != "chair" || req.Image.W != 1280 || len(req.Reference.CornersPx) != 4 || req.Reference.WidthM != 0.21 ||
		req.TapPx != [2]float64{400, 500} || req.AngleDeg != -160 || req.CornerSigmaPx != 0.05 || req.Reference.Surface != "floor" {
		t.Errorf("pose request %+v", req)
	}
	if h := r.HandleAt(Point{410, 495}, 10); h.Kind != ProductHandle {
		t.Errorf("a press near the product grabs %+v", h)
	}
	r.StartFreeSpace(4)
	if h := r.HandleAt(Point{410, 495}, 10); h.Kind != NoHandle {
		t.Errorf("while marking free space, a press near the product grabs %+v", h)
	}
	for _, p := range []Point{{100, 600}, {300, 600}, {300, 700}, {100, 700}} {
		r.TapAt(p)
	}
	if !r.FreeComplete() || !strings.Contains(r.Instruction(), "marked") {
		t.Errorf("free space: complete %v, instruction %q", r.FreeComplete(), r.Instruction())
	}
	fit, err := r.FitRequest("chair", 1.8)
	if err != nil {
		t.Fatal(err)
	}
	if len(fit.FreeSpacePx) != 4 || fit.PointSigmaPx != 1.8 || fit.AngleDeg != -160 {
		t.Errorf("fit request %+v", fit)
	}
	r.TapAt(Point{120, 610}) // a fifth tap starts a new free space
	if len(r.Free) != 1 {
		t.Errorf("a tap after a complete free space leaves %d points", len(r.Free))
	}
	r.Corners[2] = Point{650, 440} // crossing now
	r.Corners[1], r.Corners[2] = r.Corners[2], r.Corners[1]
	if _, err := r.PoseRequest("chair"); err == nil {
		t.Error("crossed corners accepted")
	}
	r.ResetCorners()
	if r.Step() != StepCorners || r.Tap != nil {
		t.Errorf("after reset: step %v", r.Step())
	}
}

// renderSheet draws a white quadrilateral on a mid-grey textured floor,
// 4×4 supersampled, with a little noise.
func renderSheet(w, h int, q [4]Point) Gray {
	g := Gray{W: w, H: h, Pix: make([]uint8, w*h)}
	inside := func(x, y float64) bool {
		for i := range 4 {
			a, b := q[i], q[(i+1)%4]
			if (b.X-a.X)*(y-a.Y)-(b.Y-a.Y)*(x-a.X) < 0 {
				return false
			}
		}
		return true
	}
	seed := uint32(1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var v float64
			for s := 0; s < 16; s++ {
				px, py := float64(x)+(float64(s%4)+0.5)/4, float64(y)+(float64(s/4)+0.5)/4
				if inside(px, py) {
					v += 235
				} else {
					v += 90 + 25*math.Sin(px*0.3+math.Sin(py*0.05)*3)
				}
			}
			seed = seed*1664525 + 1013904223
			noise := (float64(seed>>24)/255 - 0.5) * 4
			g.Pix[y*w+x] = uint8(math.Max(0, math.Min(255, math.Round(v/16+noise))))
		}
	}
	return g
}

func TestRefineCornersFindsTheSheet(t *testing.T) {
	truth := [4]Point{{300.3, 250.7}, {420.8, 262.1}, {431.2, 330.4}, {288.6, 318.9}}
	g := renderSheet(640, 480, truth)
	taps := truth
	offsets := [4]Point{{2.5, -1.5}, {-2, 2.5}, {1.5, 2}, {-3, -2}}
	for i := range taps {
		taps[i].X += offsets[i].X
		taps[i].Y += offsets[i].Y
	}
	r, err := RefineCorners(g, taps)
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i := range 4 {
		worst = math.Max(worst, math.Hypot(r.Corners[i].X-truth[i].X, r.Corners[i].Y-truth[i].Y))
	}
	t.Logf("worst corner error %.3f px, reported σ %.3f px", worst, r.SigmaPx)
	if worst > 0.25 {
		t.Errorf("refined corners up to %.2f px off", worst)
	}
	if !(r.SigmaPx > 0 && r.SigmaPx < 0.3) {
		t.Errorf("reported σ %g px", r.SigmaPx)
	}
	// A window onto the photo (as the page reads it) gives the same answer.
	sub := Gray{X0: 250, Y0: 200, W: 240, H: 180, Pix: make([]uint8, 240*180)}
	for y := 0; y < 180; y++ {
		copy(sub.Pix[y*240:(y+1)*240], g.Pix[(y+200)*640+250:])
	}
	r2, err := RefineCorners(sub, taps)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if math.Hypot(r2.Corners[i].X-r.Corners[i].X, r2.Corners[i].Y-r.Corners[i].Y) > 1e-9 {
			t.Errorf("corner %d: window %+v, whole %+v", i, r2.Corners[i], r.Corners[i])
		}
	}
}

func TestRefineCornersRefusesNoSheet(t *testing.T) {
	g := renderSheet(320, 240, [4]Point{{0, 0}, {1, 0}, {1, 1}, {0, 1}})
	if _, err := RefineCorners(g, [4]Point{{100, 100}, {200, 100}, {200, 180}, {100, 180}}); !errors.Is(err, ErrNoEdge) {
		t.Errorf("no sheet: %v", err)
	}
}

func TestGrayFromRGBA(t *testing.T) {
	g, err := GrayFromRGBA([]byte{255, 255, 255, 255, 255, 0, 0, 255}, 5, 6, 2, 1)
	if err != nil || g.Pix[0] != 255 || g.Pix[1] != 76 || g.X0 != 5 || g.Y0 != 6 {
		t.Errorf("%+v %v", g, err)
	}
	if _, err := GrayFromRGBA(make([]byte, 7), 0, 0, 2, 1); err == nil {
		t.Error("short buffer accepted")
	}
}

// drawEyes renders a face-coloured image with two eyes: white sclera,
// an iris of irisR px and a dark pupil, centred at the pupils.
func drawEyes(w, h int, left, right Point, irisR float64) Gray {
	g := Gray{W: w, H: h, Pix: make([]uint8, w*h)}
	faceL, faceR := (left.X+right.X)/2-1.1*(right.X-left.X), (left.X+right.X)/2+1.1*(right.X-left.X)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			v := 240.0 // background
			if px > faceL && px < faceR {
				v = 170 // skin
			}
			for _, e := range []Point{left, right} {
				d := math.Hypot(px-e.X, py-e.Y)
				dx, dy := math.Abs(px-e.X), math.Abs(py-e.Y)
				if dx < 2.2*irisR && dy < 0.9*irisR {
					v = 225 // sclera
				}
				if d < irisR {
					v = 80
				}
				if d < 0.4*irisR {
					v = 20
				}
			}
			g.Pix[y*w+x] = uint8(v)
		}
	}
	return g
}

func TestMeasureFace(t *testing.T) {
	left, right := Point{200, 240}, Point{300, 242}
	g := drawEyes(500, 480, left, right, 9.3)
	m := MeasureFace(g, right, left) // order does not matter
	if m.Left != left || math.Abs(m.PDPx-math.Hypot(100, 2)) > 1e-9 {
		t.Errorf("pupils %+v, PD %g", m, m.PDPx)
	}
	if math.Abs(m.IrisPx-18.6) > 1.2 {
		t.Errorf("iris %.2f px, want 18.6", m.IrisPx)
	}
	if math.Abs(m.FaceWidthPx-220) > 4 {
		t.Errorf("face width %.1f px, want 220", m.FaceWidthPx)
	}
	// No iris edge: the measurement is left out rather than guessed.
	flat := Gray{W: 500, H: 480, Pix: make([]uint8, 500*480)}
	if m := MeasureFace(flat, left, right); m.IrisPx != 0 || m.FaceWidthPx != 0 {
		t.Errorf("flat image: %+v", m)
	}
}

func TestFaceTrackSmooths(t *testing.T) {
	var tr FaceTrack
	for i, pd := range []float64{100, 101, 150, 99, 100} {
		iris := 19.0
		if i == 2 {
			iris = 0 // not found in that frame
		}
		tr.Add(FaceMeasure{PDPx: pd, IrisPx: iris, Left: Point{X: float64(i)}})
	}
	got := tr.Add(FaceMeasure{PDPx: 100, IrisPx: 20, Left: Point{X: 9}})
	if got.PDPx != 100 || got.IrisPx != 19 || got.Left.X != 9 || tr.Frames() != 6 {
		t.Errorf("smoothed %+v over %d frames", got, tr.Frames())
	}
	tr.Reset()
	if tr.Frames() != 0 {
		t.Error("reset kept frames")
	}
}

func TestPlaceGlasses(t *testing.T) {
	m := FaceMeasure{Left: Point{100, 100}, Right: Point{200, 200}, PDPx: math.Hypot(100, 100)}
	g, ok := PlaceGlasses(m, 132, MMPerPxFromIris(19.5))
	if !ok || g.Centre != (Point{150, 150}) || math.Abs(g.Angle-math.Pi/4) > 1e-12 || math.Abs(g.WidthPx-132/(11.7/19.5)) > 1e-9 {
		t.Errorf("%+v %v", g, ok)
	}
	if _, ok := PlaceGlasses(FaceMeasure{}, 132, 0.6); ok {
		t.Error("placed glasses without a face")
	}
}

func TestFrontView(t *testing.T) {
	// A 0.2 × 0.1 m red rectangle facing +z, in front of a green one.
	quad := func(z float32, mat int) glb.Mesh {
		return glb.Mesh{
			Positions: []float32{-0.1, -0.05, z, 0.1, -0.05, z, 0.1, 0.05, z, -0.1, 0.05, z},
			Normals:   []float32{0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1},
			Indices:   []uint32{0, 1, 2, 0, 2, 3},
			Material:  mat,
		}
	}
	m := &glb.Model{
		Meshes:    []glb.Mesh{quad(0, 1), quad(0.01, 0)},
		Materials: []glb.Material{{BaseColor: [4]float32{1, 0, 0, 1}, BaseColorImage: -1}, {BaseColor: [4]float32{0, 1, 0, 1}, BaseColorImage: -1}},
		BoundsMin: [3]float32{-0.1, -0.05, 0}, BoundsMax: [3]float32{0.1, 0.05, 0.01},
	}
	img := FrontView(m, []*image.RGBA{}, 200)
	if img.Rect.Dx() != 200 || img.Rect.Dy() != 100 {
		t.Fatalf("size %v", img.Rect)
	}
	c := img.NRGBAAt(100, 50)
	if c.A != 255 || c.R < 100 || c.G != 0 {
		t.Errorf("centre pixel %+v; want the nearer red face", c)
	}
}

func TestTexts(t *testing.T) {
	m := wire.PlaceMargin{Dimension: "width", AvailableM: 1.2, RequiredM: 0.5, MarginCM: 70, LowCM: 65.1, HighCM: 74.9,
		MarginIn: 27.56, LowIn: 25.63, HighIn: 29.49}
	if got := MarginLine(m); got != "Width: 1.20 m free, needs 50.0 cm: +70.0 cm (95%: +65.1 to +74.9 cm) · +27.6 in (+25.6 to +29.5 in)" {
		t.Errorf("MarginLine = %q", got)
	}
	short := wire.PlaceMargin{Dimension: "depth", MarginCM: -7, LowCM: -9, HighCM: -5, MarginIn: -2.76}
	spoken := FitSpoken(wire.PlaceFitReply{Verdict: wire.VerdictDoesNotFit, Margins: []wire.PlaceMargin{short}, Suggestion: "Use a larger reference."})
	for _, want := range []string{"Does not fit.", "Depth: 7 cm (2.8 in) short, give or take 2 cm.", "not precise enough", "Use a larger reference."} {
		if !strings.Contains(spoken, want) {
			t.Errorf("FitSpoken = %q; lacks %q", spoken, want)
		}
	}
	if got := PrecisionText(0.04, true, 0.002); !strings.Contains(got, "±0.04 px") || !strings.Contains(got, "±0.2 mm") {
		t.Errorf("PrecisionText = %q", got)
	}
	lines := TryOnLines(wire.PlaceTryOnReply{Message: "Regular fit.", PupillaryDistance: &wire.PlaceSize{MM: 62, UncertaintyMM: 3, In: 2.44, UncertaintyIn: 0.12},
		FootSizes: &wire.PlaceShoeSizes{EU: 42, UK: 8, USMen: 9, USWomen: 10.5, Mondopoint: 265}})
	if len(lines) != 3 || !strings.Contains(lines[1], "62.0 mm ± 3.0 (2.44 in ± 0.12)") || !strings.Contains(lines[2], "EU 42") {
		t.Errorf("TryOnLines = %q", lines)
	}
	if signed(-0.04, 1) != "+0.0" || signed(-1, 1) != "−1.0" {
		t.Errorf("signed: %q %q", signed(-0.04, 1), signed(-1, 1))
	}
}

func FuzzParseLength(f *testing.F) {
	for _, s := range []string{"29.7", "11 in", `8"`, "0,8 m", "", "1e309", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseLength(s, "cm")
		if err == nil && !(m > 0 && !math.IsInf(m, 0)) {
			t.Errorf("ParseLength(%q) = %g without an error", s, m)
		}
	})
}
