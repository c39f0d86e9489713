package placement

import (
	"errors"
	"math"
	"testing"

	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// knownCamera looks down at the floor from 1.5 m, 2 m back from the plane
// origin, pitched 40° and slightly yawed and rolled.
func knownCamera() Camera {
	img := ImageSize{W: 1920, H: 1440}
	rot := lookAt(vec3{-0.3, -2, 1.5}, vec3{0.2, 0.3, 0}, 0.05)
	// Plane frame = world floor frame: x, y on the floor, z up.
	var r mat3
	r.setCol(0, rot.apply(vec3{1, 0, 0}))
	r.setCol(1, rot.apply(vec3{0, 1, 0}))
	r.setCol(2, rot.apply(vec3{0, 0, 1}))
	t := rot.apply(vec3{0.3, 2, -1.5})
	return Camera{FocalPx: 1300, Cx: float64(img.W) / 2, Cy: float64(img.H) / 2, R: r, T: t}
}

func projectAll(c Camera, pts [][2]float64) [][2]float64 {
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		out[i], _ = c.Project(p)
	}
	return out
}

func TestDLTKnownCamera(t *testing.T) {
	cam := knownCamera()
	model := [][2]float64{{0, 0}, {0.297, 0}, {0.297, 0.21}, {0, 0.21}}
	h, err := DLT(model, projectAll(cam, model))
	if err != nil {
		t.Fatal(err)
	}
	want := cam.Homography().normalised()
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			if math.Abs(h[i][j]-want[i][j]) > 1e-9 {
				t.Fatalf("H[%d][%d] = %g; want %g", i, j, h[i][j], want[i][j])
			}
		}
	}
	for _, p := range [][2]float64{{1, 1}, {-0.5, 2}, {0.7, -0.3}} {
		got, _, _ := h.Apply(p)
		wantPx, _ := cam.Project(p)
		if dist(got, wantPx) > 1e-6 {
			t.Errorf("H maps %v to %v; want %v", p, got, wantPx)
		}
	}
}

func TestFocalAndPoseRecovery(t *testing.T) {
	cam := knownCamera()
	h := cam.Homography()
	f, ok := FocalFromHomography(h, cam.Cx, cam.Cy, 1920)
	if !ok || math.Abs(f-1300) > 1e-6 {
		t.Fatalf("FocalFromHomography = %g, %v; want 1300", f, ok)
	}
	got, err := DecomposeHomography(h, f, cam.Cx, cam.Cy)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if math.Abs(got.T[i]-cam.T[i]) > 1e-9 {
			t.Errorf("T[%d] = %g; want %g", i, got.T[i], cam.T[i])
		}
		for j := 0; j < 3; j++ {
			if math.Abs(got.R[i][j]-cam.R[i][j]) > 1e-9 {
				t.Errorf("R[%d][%d] = %g; want %g", i, j, got.R[i][j], cam.R[i][j])
			}
		}
	}
	// A plane seen face-on does not determine the focal length.
	faceOn := Camera{FocalPx: 1000, Cx: 960, Cy: 720, R: identity3(), T: [3]float64{-0.1, -0.1, 2}}
	if f, ok := FocalFromHomography(faceOn.Homography(), 960, 720, 1920); ok {
		t.Errorf("face-on plane gave focal %g; want not determined", f)
	}
}

// exactPlane measures the known camera's floor from an exact 1 m × 0.6 m
// reference.
func exactPlane(t *testing.T, opts Options) (*Plane, Camera) {
	t.Helper()
	cam := knownCamera()
	ref := Reference{WidthM: 1, HeightM: 0.6}
	for i, m := range [][2]float64{{0, 0}, {1, 0}, {1, 0.6}, {0, 0.6}} {
		ref.CornersPx[i], _ = cam.Project(m)
	}
	p, err := Estimate(ImageSize{W: 1920, H: 1440}, ref, opts)
	if err != nil {
		t.Fatalf("Estimate: %v", err)
	}
	return p, cam
}

func TestDistanceOnPlane(t *testing.T) {
	for _, opts := range []Options{
		{Method: MethodDLT, CornerSigmaPx: 0.5},
		{Method: MethodPose, CornerSigmaPx: 0.5, NoFocalPrior: true},
		{Method: MethodPose, CornerSigmaPx: 0.5, Surface: SurfaceFloor},
		{Method: MethodPose, CornerSigmaPx: 0.5, FocalPx: 1300},
	} {
		p, cam := exactPlane(t, opts)
		tests := []struct {
			a, b [2]float64
		}{
			{[2]float64{0, 0}, [2]float64{1.5, 0}},
			{[2]float64{-0.5, 1}, [2]float64{0.5, 2}},
			{[2]float64{0.2, 0.2}, [2]float64{0.2, 0.9}},
		}
		for _, tt := range tests {
			pa, _ := cam.Project(tt.a)
			pb, _ := cam.Project(tt.b)
			d, err := p.Distance(pa, pb)
			if err != nil {
				t.Fatalf("%+v: Distance: %v", opts, err)
			}
			want := dist(tt.a, tt.b)
			// With the prior the exact corners still pull f to the truth
			// up to the prior's weight, so allow 0.5%.
			if math.Abs(d.M-want) > 0.005*want {
				t.Errorf("method %v: distance %v-%v = %.5f m; want %.5f", opts.Method, tt.a, tt.b, d.M, want)
			}
			if !(d.HalfWidth95M > 0 && d.HalfWidth95M < 0.05*want) || d.LowM > d.M || d.HighM < d.M {
				t.Errorf("method %v: interval [%.4f, %.4f] ±%.4f for %.4f", opts.Method, d.LowM, d.HighM, d.HalfWidth95M, d.M)
			}
		}
		// Metres per pixel at the plane origin matches the local Jacobian.
		o, _ := cam.Project([2]float64{0, 0})
		mpp, err := p.MetresPerPixel(o)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := cam.Project([2]float64{0.001, 0})
		y, _ := cam.Project([2]float64{0, 0.001})
		area := math.Abs((x[0]-o[0])*(y[1]-o[1])-(x[1]-o[1])*(y[0]-o[0])) / 1e-6 // px² per m²
		if want := 1 / math.Sqrt(area); math.Abs(mpp.M-want) > 0.01*want {
			t.Errorf("metres per pixel %.6g; want %.6g", mpp.M, want)
		}
	}
}

func TestPoseFitRecoversCamera(t *testing.T) {
	p, cam := exactPlane(t, Options{NoFocalPrior: true})
	got := p.Camera()
	if math.Abs(got.FocalPx-cam.FocalPx) > 1e-3 {
		t.Errorf("focal %g; want %g", got.FocalPx, cam.FocalPx)
	}
	for i := 0; i < 3; i++ {
		if math.Abs(got.T[i]-cam.T[i]) > 1e-6 {
			t.Errorf("T[%d] = %g; want %g", i, got.T[i], cam.T[i])
		}
	}
}

// TestCoverage checks on seeded simulated scenes that the 95% intervals
// hold the true length in at least 88% of cases.
func TestCoverage(t *testing.T) {
	for _, cfg := range []simConfig{
		{name: "A4 0.7 px", w: 0.297, h: 0.210, sigma: 0.7, pointNoise: true, opts: Options{Surface: SurfaceFloor}},
		{name: "A4 0.7 px, surface unknown", w: 0.297, h: 0.210, sigma: 0.7, pointNoise: true},
		{name: "card 0.2 px", w: 0.0856, h: 0.05398, sigma: 0.2, pointNoise: true, opts: Options{Surface: SurfaceFloor}},
		{name: "1.0×0.6 m 0.7 px", w: 1, h: 0.6, sigma: 0.7, pointNoise: true, opts: Options{Surface: SurfaceFloor}},
		{name: "DLT A4 0.2 px", w: 0.297, h: 0.210, sigma: 0.2, pointNoise: true, opts: Options{Method: MethodDLT}},
	} {
		st := runSim(cfg, 200, 42)
		cov := float64(st.covered) / float64(len(st.relErr))
		t.Logf("%s: coverage %.1f%%, median error %.2f%%", cfg.name, 100*cov, 100*st.quantile(0.5))
		if cov < 0.88 {
			t.Errorf("%s: coverage %.1f%%; want ≥ 88%%", cfg.name, 100*cov)
		}
	}
}

func TestCheckFit(t *testing.T) {
	p, cam := exactPlane(t, Options{CornerSigmaPx: 0.3, Surface: SurfaceFloor})
	px := func(x, y float64) [2]float64 { q, _ := cam.Project([2]float64{x, y}); return q }
	// A 1.20 m gap along a wall, and a 1.20 × 0.80 m free rectangle.
	gap := [][2]float64{px(-0.1, 1.0), px(1.1, 1.0)}
	rect := [][2]float64{px(-0.1, 0.9), px(1.1, 0.9), px(1.1, 1.7), px(-0.1, 1.7)}
	tests := []struct {
		name      string
		free      [][2]float64
		fp        Footprint
		angle     float64
		clearance float64
		want      string
		dims      int
	}{
		{"wide gap", gap, Footprint{1.0, 0.5}, 0, 0.05, wire.VerdictFits, 1},
		{"too narrow", gap, Footprint{1.3, 0.5}, 0, 0.05, wire.VerdictDoesNotFit, 1},
		{"exactly", gap, Footprint{1.15, 0.5}, 0, 0.05, wire.VerdictTight, 1},
		{"turned 90° fits", gap, Footprint{1.3, 0.5}, 90, 0.05, wire.VerdictFits, 1},
		{"rectangle fits", rect, Footprint{1.0, 0.6}, 0, 0.05, wire.VerdictFits, 2},
		{"rectangle too shallow", rect, Footprint{1.0, 0.9}, 0, 0.05, wire.VerdictDoesNotFit, 2},
		{"rectangle turned does not fit", rect, Footprint{1.0, 0.6}, 90, 0.05, wire.VerdictDoesNotFit, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := p.CheckFit(tt.free, tt.fp, tt.angle, tt.clearance)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tt.want || len(r.Margins) != tt.dims {
				t.Fatalf("verdict %s with %d margins (%+v); want %s with %d", r.Verdict, len(r.Margins), r.Margins, tt.want, tt.dims)
			}
			if !r.Trustworthy || r.Message == "" {
				t.Errorf("trustworthy %v, message %q", r.Trustworthy, r.Message)
			}
		})
	}
	if _, err := p.CheckFit(gap[:1], Footprint{1, 1}, 0, 0.05); !errors.Is(err, ErrBadRequest) {
		t.Errorf("one free-space point: %v; want ErrBadRequest", err)
	}
}

func TestUntrustworthySuggestion(t *testing.T) {
	cam := knownCamera()
	ref := Reference{WidthM: 0.0856, HeightM: 0.05398}
	for i, m := range [][2]float64{{0, 0}, {0.0856, 0}, {0.0856, 0.05398}, {0, 0.05398}} {
		ref.CornersPx[i], _ = cam.Project(m)
	}
	p, err := Estimate(ImageSize{W: 1920, H: 1440}, ref, Options{CornerSigmaPx: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cam.Project([2]float64{-1, 2})
	b, _ := cam.Project([2]float64{1, 2.5})
	d, err := p.Distance(a, b)
	if err != nil {
		t.Fatal(err)
	}
	trust, tip := p.advise(d.RelativeHalfWidth(), [][2]float64{a, b})
	if trust || tip == "" {
		t.Fatalf("bank card at 1 px measuring 2 m away: trust %v (±%.0f%%), tip %q; want a suggestion", trust, 100*d.RelativeHalfWidth(), tip)
	}
}

func TestRenderPose(t *testing.T) {
	p, cam := exactPlane(t, Options{CornerSigmaPx: 0.3, Surface: SurfaceFloor})
	tap, _ := cam.Project([2]float64{0.5, 1.5})
	pose, err := p.RenderPose(tap, 30, false)
	if err != nil {
		t.Fatal(err)
	}
	// The model's origin projects onto the tap point.
	o := [3]float64{pose.ModelMatrix[12], pose.ModelMatrix[13], pose.ModelMatrix[14]}
	u := pose.Intrinsics.Fx*o[0]/o[2] + pose.Intrinsics.Cx
	v := pose.Intrinsics.Fy*o[1]/o[2] + pose.Intrinsics.Cy
	if math.Hypot(u-tap[0], v-tap[1]) > 0.5 {
		t.Errorf("model origin projects to (%.2f, %.2f); want the tap %v", u, v, tap)
	}
	// Its up axis is the plane normal, facing the camera.
	up := vec3{pose.ModelMatrix[4], pose.ModelMatrix[5], pose.ModelMatrix[6]}
	if up.dot(vec3(pose.PlaneNormal)) < 0.9999 || up.dot(vec3(o)) > 0 {
		t.Errorf("up %v; want the plane normal %v facing the camera", up, pose.PlaneNormal)
	}
	// The OpenGL matrices put the origin at the same pixel.
	eye := [4]float64{pose.ModelViewGL[12], pose.ModelViewGL[13], pose.ModelViewGL[14], 1}
	var clip [4]float64
	for r := 0; r < 4; r++ {
		for c := 0; c < 4; c++ {
			clip[r] += pose.ProjectionGL[4*c+r] * eye[c]
		}
	}
	ndcX, ndcY := clip[0]/clip[3], clip[1]/clip[3]
	gu, gv := (ndcX+1)/2*1920, (1-ndcY)/2*1440
	if math.Hypot(gu-tap[0], gv-tap[1]) > 0.5 {
		t.Errorf("GL projection puts the origin at (%.2f, %.2f); want %v", gu, gv, tap)
	}
	if math.Abs(pose.TapPlaneM[0]-0.5) > 0.01 || math.Abs(pose.TapPlaneM[1]-1.5) > 0.01 {
		t.Errorf("tap on plane %v; want (0.5, 1.5)", pose.TapPlaneM)
	}
}

func TestValidationErrors(t *testing.T) {
	img := ImageSize{W: 1920, H: 1440}
	good := Reference{CornersPx: [4][2]float64{{800, 900}, {1100, 900}, {1150, 1100}, {750, 1100}}, WidthM: 0.297, HeightM: 0.21}
	with := func(f func(r *Reference)) Reference { r := good; f(&r); return r }
	tests := []struct {
		name string
		img  ImageSize
		ref  Reference
		opts Options
		want error
	}{
		{"ok", img, good, Options{}, nil},
		{"tiny image", ImageSize{W: 8, H: 8}, good, Options{}, ErrImageSize},
		{"huge image", ImageSize{W: 100000, H: 10}, good, Options{}, ErrImageSize},
		{"NaN corner", img, with(func(r *Reference) { r.CornersPx[2][0] = math.NaN() }), Options{}, ErrNotFinite},
		{"Inf width", img, with(func(r *Reference) { r.WidthM = math.Inf(1) }), Options{}, ErrNotFinite},
		{"outside", img, with(func(r *Reference) { r.CornersPx[1] = [2]float64{2000, 900} }), Options{}, ErrOutsideImage},
		{"negative", img, with(func(r *Reference) { r.CornersPx[0] = [2]float64{-1, 900} }), Options{}, ErrOutsideImage},
		{"coincident", img, with(func(r *Reference) { r.CornersPx[1] = r.CornersPx[0] }), Options{}, ErrDegenerate},
		{"collinear", img, with(func(r *Reference) { r.CornersPx[1] = [2]float64{1000, 1000}; r.CornersPx[2] = [2]float64{1200, 1100} }), Options{}, ErrCollinear},
		{"crossed", img, with(func(r *Reference) { r.CornersPx[2], r.CornersPx[3] = r.CornersPx[3], r.CornersPx[2] }), Options{}, ErrNonConvex},
		{"reflex corner", img, with(func(r *Reference) { r.CornersPx[3] = [2]float64{950, 950} }), Options{}, ErrNonConvex},
		{"reference too small", img, with(func(r *Reference) { r.HeightM = 0.01 }), Options{}, ErrScale},
		{"reference too large", img, with(func(r *Reference) { r.WidthM = 42 }), Options{}, ErrScale},
		{"sigma too large", img, good, Options{CornerSigmaPx: 50}, ErrScale},
		{"focal absurd", img, good, Options{FocalPx: 3}, ErrScale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Estimate(tt.img, tt.ref, tt.opts)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Estimate: %v; want no error", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Estimate: %v; want %v (an ErrInvalid)", err, tt.want)
			}
		})
	}
	p, err := Estimate(img, good, Options{Surface: SurfaceFloor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Distance([2]float64{10, 10}, [2]float64{-5, 10}); !errors.Is(err, ErrOutsideImage) {
		t.Errorf("point outside: %v; want ErrOutsideImage", err)
	}
	// The top edge of a photo of a floor seen from 1.5 m at a shallow
	// angle can be above the horizon.
	if _, err := p.Distance([2]float64{960, 0}, [2]float64{960, 1400}); err != nil && !errors.Is(err, ErrBeyondHorizon) {
		t.Errorf("point near the horizon: %v; want nil or ErrBeyondHorizon", err)
	}
}

func TestShoeSizes(t *testing.T) {
	tests := []struct {
		footMM float64
		want   wire.PlaceShoeSizes
	}{
		{270, wire.PlaceShoeSizes{Mondopoint: 270, EU: 43, UK: 9, USMen: 10, USWomen: 11.5}},
		{240, wire.PlaceShoeSizes{Mondopoint: 240, EU: 38.5, UK: 5.5, USMen: 6.5, USWomen: 8}},
		{254, wire.PlaceShoeSizes{Mondopoint: 254, EU: 40.5, UK: 7, USMen: 8, USWomen: 9.5}},
	}
	for _, tt := range tests {
		if got := ShoeSizes(tt.footMM); got != tt.want {
			t.Errorf("ShoeSizes(%g) = %+v; want %+v", tt.footMM, got, tt.want)
		}
	}
}

func TestTryOn(t *testing.T) {
	glasses := catalog.Product{SKU: "glasses-tortoise", Placement: wire.PlacementFace, Frame: &catalog.Frame{LensWidthMM: 52, BridgeMM: 18, TempleMM: 140}}
	watch := catalog.Product{SKU: "watch-navy", Placement: wire.PlacementWrist, DimensionsM: wire.Dimensions{W: 0.045, H: 0.012, D: 0.24}}
	shoe := catalog.Product{SKU: "sneaker-navy", Placement: wire.PlacementFeet, DimensionsM: wire.Dimensions{W: 0.11, H: 0.11, D: 0.29}}
	tests := []struct {
		name    string
		req     wire.PlaceTryOn
		product catalog.Product
		verdict string
		fit     string
	}{
		// Frame 52-18: 2×52 + 18 + 2×5 = 132 mm wide.
		{"face 134 mm regular", wire.PlaceTryOn{FaceWidthMM: 134, SigmaMM: 1}, glasses, wire.VerdictFits, "regular"},
		{"face 150 mm narrow", wire.PlaceTryOn{FaceWidthMM: 150, SigmaMM: 1}, glasses, wire.VerdictDoesNotFit, "narrow"},
		{"face 118 mm wide", wire.PlaceTryOn{FaceWidthMM: 118, SigmaMM: 1}, glasses, wire.VerdictDoesNotFit, "wide"},
		{"face 141 mm borderline", wire.PlaceTryOn{FaceWidthMM: 141, SigmaMM: 2}, glasses, wire.VerdictTight, "narrow"},
		// 1340 px at 0.1 mm/px (iris 117 px) = 134 mm.
		{"face by iris", wire.PlaceTryOn{FaceWidthPx: 1340, IrisDiameterPx: 117, SigmaPx: 0.2}, glasses, wire.VerdictTight, "regular"},
		{"face by card", wire.PlaceTryOn{FaceWidthPx: 1340, CardWidthPx: 856, CardHeightPx: 539.8, SigmaPx: 0.5}, glasses, wire.VerdictFits, "regular"},
		{"pd only", wire.PlaceTryOn{PupillaryDistanceMM: 64, SigmaMM: 0.5}, glasses, wire.VerdictFits, "regular"},
		// Strap 240 mm: wrists 150-200 mm.
		{"wrist 170", wire.PlaceTryOn{WristMM: 170}, watch, wire.VerdictFits, ""},
		{"wrist 215", wire.PlaceTryOn{WristMM: 215}, watch, wire.VerdictDoesNotFit, "small"},
		{"wrist 199", wire.PlaceTryOn{WristMM: 199}, watch, wire.VerdictTight, ""},
		{"wrist 130", wire.PlaceTryOn{WristMM: 130}, watch, wire.VerdictDoesNotFit, "large"},
		// Shoe 290 mm: feet 250-265 mm.
		{"foot 258", wire.PlaceTryOn{FootMM: 258, SigmaMM: 1}, shoe, wire.VerdictFits, ""},
		{"foot 280", wire.PlaceTryOn{FootMM: 280, SigmaMM: 1}, shoe, wire.VerdictDoesNotFit, "small"},
		{"foot 230", wire.PlaceTryOn{FootMM: 230, SigmaMM: 1}, shoe, wire.VerdictDoesNotFit, "large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TryOn(tt.req, tt.product)
			if err != nil {
				t.Fatal(err)
			}
			if got.Verdict != tt.verdict || got.Fit != tt.fit || got.Message == "" {
				t.Fatalf("verdict %s fit %q (%s); want %s %q", got.Verdict, got.Fit, got.Message, tt.verdict, tt.fit)
			}
		})
	}
	bad := []struct {
		name    string
		req     wire.PlaceTryOn
		product catalog.Product
	}{
		{"no measure", wire.PlaceTryOn{}, glasses},
		{"pixels without scale", wire.PlaceTryOn{FaceWidthPx: 1000}, glasses},
		{"absurd wrist", wire.PlaceTryOn{WristMM: 20}, watch},
		{"NaN foot", wire.PlaceTryOn{FootMM: math.NaN()}, shoe},
		{"not worn", wire.PlaceTryOn{FootMM: 250}, catalog.Product{SKU: "sofa", Placement: wire.PlacementFloor}},
		{"card not a card", wire.PlaceTryOn{FaceWidthPx: 1340, CardWidthPx: 856, CardHeightPx: 856}, glasses},
	}
	for _, tt := range bad {
		if _, err := TryOn(tt.req, tt.product); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v; want an ErrInvalid", tt.name, err)
		}
	}
}

func TestScales(t *testing.T) {
	s, err := IrisScale(117, 0)
	if err != nil || math.Abs(s.MMPerPx-0.1) > 1e-12 || math.Abs(s.RelSigma-0.5/11.7) > 1e-12 {
		t.Errorf("IrisScale(117) = %+v, %v; want 0.1 mm/px ± 4.3%%", s, err)
	}
	c, err := CardScale(428, 269.9, 0.5)
	if err != nil || math.Abs(c.MMPerPx-0.2) > 1e-3 {
		t.Errorf("CardScale(428, 269.9) = %+v, %v; want 0.2 mm/px", c, err)
	}
}
