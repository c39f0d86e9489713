package placement

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// measureBody is a request for the known camera's floor: a 1 × 0.6 m
// reference and two points 1.5 m apart.
func measureBody(t *testing.T) string {
	t.Helper()
	cam := knownCamera()
	var corners [4][2]float64
	for i, m := range [][2]float64{{0, 0}, {1, 0}, {1, 0.6}, {0, 0.6}} {
		corners[i], _ = cam.Project(m)
	}
	a, _ := cam.Project([2]float64{0, 1})
	b, _ := cam.Project([2]float64{1.5, 1})
	return fmt.Sprintf(`{"image":{"w":1920,"h":1440},"reference":{"corners_px":[[%g,%g],[%g,%g],[%g,%g],[%g,%g]],"width_m":1,"height_m":0.6,"surface":"floor"},"points_px":[[%g,%g],[%g,%g]],"corner_sigma_px":0.5}`,
		corners[0][0], corners[0][1], corners[1][0], corners[1][1], corners[2][0], corners[2][1], corners[3][0], corners[3][1], a[0], a[1], b[0], b[1])
}

func TestMeasureAPI(t *testing.T) {
	req, err := DecodeMeasureRequest([]byte(measureBody(t)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Measure(req)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.DistanceM-1.5) > 0.005 || !(res.UncertaintyM > 0) || !res.Trustworthy {
		t.Fatalf("Measure = %+v; want 1.5 m with a positive uncertainty, trustworthy", res)
	}
	if math.Abs(res.DistanceIn-1.5/0.0254) > 0.5 {
		t.Errorf("distance_in %g; want about %g", res.DistanceIn, 1.5/0.0254)
	}
	b, _ := json.Marshal(res)
	for _, field := range []string{`"distance_m"`, `"uncertainty_m"`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("reply %s lacks %s", b, field)
		}
	}
}

func TestDecodeMeasureRequestErrors(t *testing.T) {
	good := measureBody(t)
	tests := []struct {
		name string
		body string
	}{
		{"empty", ``},
		{"not json", `{"image":`},
		{"unknown field", strings.Replace(good, `"image"`, `"bogus":1,"image"`, 1)},
		{"trailing data", good + `{}`},
		{"three corners", `{"image":{"w":100,"h":100},"reference":{"corners_px":[[1,1],[50,1],[50,50]],"width_m":1,"height_m":1},"points_px":[[1,1],[2,2]]}`},
		{"one point", `{"image":{"w":100,"h":100},"reference":{"corners_px":[[1,1],[50,1],[50,50],[1,50]],"width_m":1,"height_m":1},"points_px":[[1,1]]}`},
		{"string number", strings.Replace(good, `"width_m":1`, `"width_m":"1"`, 1)},
		{"too large", `{"image":{"w":1,"h":1},"pad":"` + strings.Repeat("x", wire.PlaceMaxBodyBytes) + `"}`},
	}
	for _, tt := range tests {
		if _, err := DecodeMeasureRequest([]byte(tt.body)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v; want ErrBadRequest", tt.name, err)
		}
	}
	// Decoded but geometrically invalid requests fail in Measure with an
	// input error.
	req, err := DecodeMeasureRequest([]byte(strings.Replace(good, `"width_m":1`, `"width_m":0.001`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Measure(req); !errors.Is(err, ErrScale) {
		t.Errorf("1 mm reference: %v; want ErrScale", err)
	}
	req, _ = DecodeMeasureRequest([]byte(good))
	req.Reference.Surface = "ceiling"
	if _, err := Measure(req); !errors.Is(err, ErrBadRequest) {
		t.Errorf("unknown surface: %v; want ErrBadRequest", err)
	}
}

func TestFitAndPoseAPI(t *testing.T) {
	cam := knownCamera()
	var corners [][2]float64
	for _, m := range [][2]float64{{0, 0}, {1, 0}, {1, 0.6}, {0, 0.6}} {
		p, _ := cam.Project(m)
		corners = append(corners, p)
	}
	px := func(x, y float64) [2]float64 { q, _ := cam.Project([2]float64{x, y}); return q }
	ref := wire.PlaceReference{CornersPx: corners, WidthM: 1, HeightM: 0.6, Surface: wire.SurfaceFloor}
	img := wire.PlaceImage{W: 1920, H: 1440}
	chair := catalog.Product{SKU: "chair-oak", Placement: wire.PlacementFloor, DimensionsM: wire.Dimensions{W: 0.45, H: 0.9, D: 0.52}}
	zero := 0.0
	fit, err := Fit(wire.PlaceFit{SKU: chair.SKU, Image: img, Reference: ref, CornerSigmaPx: 0.3,
		FreeSpacePx: [][2]float64{px(0, 1), px(0.5, 1)}, ClearanceM: &zero}, chair)
	if err != nil {
		t.Fatal(err)
	}
	if fit.Verdict != wire.VerdictFits || len(fit.Margins) != 1 || math.Abs(fit.Margins[0].MarginCM-5) > 1 || fit.ClearanceM != 0 {
		t.Fatalf("Fit = %+v; want fits with a 5 cm margin", fit)
	}
	fit, err = Fit(wire.PlaceFit{SKU: chair.SKU, Image: img, Reference: ref, CornerSigmaPx: 0.3,
		FreeSpacePx: [][2]float64{px(0, 1), px(0.5, 1)}}, chair)
	if err != nil {
		t.Fatal(err)
	}
	if fit.Verdict != wire.VerdictTight || fit.ClearanceM != wire.PlaceDefaultClearanceM {
		t.Fatalf("Fit with default clearance = %+v; want tight (margin 0)", fit)
	}
	pose, err := Pose(wire.PlacePose{SKU: chair.SKU, Image: img, Reference: ref, TapPx: px(0.5, 1.2)}, chair)
	if err != nil || pose.SKU != chair.SKU || pose.Intrinsics.W != 1920 {
		t.Fatalf("Pose = %+v, %v", pose, err)
	}
}

// FuzzDecodeMeasureRequest checks that any body either decodes to a
// request Measure can handle without panicking, or fails with an input
// error.
func FuzzDecodeMeasureRequest(f *testing.F) {
	f.Add([]byte(`{"image":{"w":1920,"h":1440},"reference":{"corners_px":[[800,900],[1100,900],[1150,1100],[750,1100]],"width_m":0.297,"height_m":0.21},"points_px":[[600,1300],[1300,1200]],"corner_sigma_px":0.5}`))
	f.Add([]byte(`{"image":{"w":100,"h":100},"reference":{"corners_px":[[1,1],[1,1],[1,1],[1,1]],"width_m":1e308,"height_m":-1},"points_px":[[0,0],[0,0]]}`))
	f.Add([]byte(`{"image":{"w":1920,"h":1440,"focal_px":1e-9},"reference":{"corners_px":[[0,0],[1920,0],[1920,1440],[0,1440]],"width_m":5,"height_m":5,"surface":"wall"},"points_px":[[0,0],[1920,1440]],"corner_sigma_px":20}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeMeasureRequest(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("decode error %v is not an input error", err)
			}
			return
		}
		res, err := Measure(req)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Measure error %v is not an input error", err)
			}
			return
		}
		if !finite(res.DistanceM, res.UncertaintyM) || res.DistanceM < 0 || res.UncertaintyM < 0 {
			t.Fatalf("Measure = %+v; want finite non-negative numbers", res)
		}
	})
}
