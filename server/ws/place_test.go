package ws

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

// floorScene: a 1 × 0.6 m floor reference and two floor points 1.50 m
// apart, projected through a known camera (f = 1300 px, 1920 × 1440).
const (
	floorImage     = `{"w":1920,"h":1440}`
	floorReference = `{"corners_px":[[896.4897624764087,816.7945474888672],[1370.114085914972,731.5516656189155],[1247.9310863605401,603.7706715551584],[845.012021462311,667.3517784832949]],"width_m":1,"height_m":0.6,"surface":"floor"}`
	floorPoints    = `[[819.1808969391079,592.3625753980614],[1355.1266967238655,513.6900936101159]]`
)

func TestPlaceMessages(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)

	c.sendRaw(1, []byte(`{"type":"place.measure","id":"m","body":{"image":`+floorImage+`,"reference":`+floorReference+`,"points_px":`+floorPoints+`,"corner_sigma_px":0.5}}`))
	var m wire.PlaceMeasureReply
	env := c.expect(wire.TypePlaceMeasure, "m", &m)
	if math.Abs(m.DistanceM-1.5) > 0.01 || m.UncertaintyM <= 0 {
		t.Fatalf("place.measure %s", env.Body)
	}

	// chair-1 is 0.5 m wide: with 5 cm clearance it fits a 1.5 m gap.
	c.sendRaw(1, []byte(`{"type":"place.fit","id":"f","body":{"sku":"chair-1","image":`+floorImage+`,"reference":`+floorReference+`,"free_space_px":`+floorPoints+`,"corner_sigma_px":0.5}}`))
	var fit wire.PlaceFitReply
	env = c.expect(wire.TypePlaceFit, "f", &fit)
	if fit.Verdict != wire.VerdictFits || len(fit.Margins) == 0 || math.Abs(fit.Margins[0].MarginCM-95) > 2 || fit.Message == "" {
		t.Fatalf("place.fit %s", env.Body)
	}

	for _, tt := range []struct {
		id, frame string
		code      wire.Code
	}{
		{"nosku", `{"type":"place.fit","id":"nosku","body":{"sku":"nope","image":` + floorImage + `,"reference":` + floorReference + `,"free_space_px":` + floorPoints + `}}`, wire.CodeNotFound},
		{"badsku", `{"type":"place.pose","id":"badsku","body":{"sku":"../x"}}`, wire.CodeBadRequest},
		{"degenerate", `{"type":"place.measure","id":"degenerate","body":{"image":` + floorImage + `,"reference":` + strings.Replace(floorReference, "1370.114085914972,731.5516656189155", "896.4897624764087,816.7945474888672", 1) + `,"points_px":` + floorPoints + `}}`, wire.CodeBadRequest},
		{"types", `{"type":"place.measure","id":"types","body":{"image":"big"}}`, wire.CodeBadJSON},
	} {
		c.sendRaw(1, []byte(tt.frame))
		if e := c.expectError(tt.id, tt.code); e.Message == "" {
			t.Errorf("%s: empty message", tt.id)
		}
	}
	// The session lives on.
	var page wire.CatalogListReply
	c.send(wire.TypeCatalogList, "after", wire.CatalogList{})
	c.expect(wire.TypeCatalogList, "after", &page)
	if _, err := json.Marshal(page); err != nil || page.Total == 0 {
		t.Fatalf("catalog.list after place errors: %+v", page)
	}
}
