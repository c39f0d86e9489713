package httpapi_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

// measureRequest: a 1 × 0.6 m floor reference and two floor points 1.50 m
// apart, projected through a known camera (f = 1300 px, 1920 × 1440).
const measureRequest = `{"image":{"w":1920,"h":1440},"reference":{"corners_px":[[896.4897624764087,816.7945474888672],[1370.114085914972,731.5516656189155],[1247.9310863605401,603.7706715551584],[845.012021462311,667.3517784832949]],"width_m":1,"height_m":0.6,"surface":"floor"},"points_px":[[819.1808969391079,592.3625753980614],[1355.1266967238655,513.6900936101159]],"corner_sigma_px":0.5}`

func TestPlaceMeasure(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "POST", "/api/v1/place/measure", "", "application/json", []byte(measureRequest))
	if r.status != 200 {
		t.Fatalf("measure: %d %s", r.status, r.body)
	}
	var res wire.PlaceMeasureReply
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.DistanceM-1.5) > 0.01 || res.UncertaintyM <= 0 || res.UncertaintyM > 0.1 {
		t.Fatalf("distance %.4f ± %.4f m; want 1.50 m with a small positive uncertainty", res.DistanceM, res.UncertaintyM)
	}
	if res.LowM > 1.5 || res.HighM < 1.5 {
		t.Fatalf("95%% interval [%.4f, %.4f] misses the true 1.5 m", res.LowM, res.HighM)
	}
	degenerate := strings.Replace(measureRequest, "[1370.114085914972,731.5516656189155]", "[896.4897624764087,816.7945474888672]", 1)
	for name, tt := range map[string]struct {
		ctype, body string
		status      int
		code        wire.Code
	}{
		"not json":     {"application/json", `{"image":`, 400, wire.CodeBadRequest},
		"unknown":      {"application/json", `{"imagine":1}`, 400, wire.CodeBadRequest},
		"degenerate":   {"application/json", degenerate, 400, wire.CodeBadRequest},
		"content type": {"text/plain", measureRequest, 415, wire.CodeUnsupportedMedia},
		"too large":    {"application/json", strings.Repeat(" ", wire.PlaceMaxBodyBytes+1), 413, wire.CodeTooLarge},
	} {
		r := f.do(t, "POST", "/api/v1/place/measure", "", tt.ctype, []byte(tt.body))
		if r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%s: %d %s; want %d %s", name, r.status, r.body, tt.status, tt.code)
		}
	}
}
