package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
	"github.com/vitrine-shop/vitrine/wire"
)

// Timeouts of the browser steps. Software WebGL on a busy CI machine is
// slow, hence the generous model bound.
const (
	pageTimeout  = 60 * time.Second
	modelTimeout = 120 * time.Second
	framesWanted = 5
)

// TestViewerShowsCatalogAndModel walks a shopper's path: the catalog grid,
// a chair in 3D (lit, framed, announced, with its real size), a deep link,
// back to the grid, search and categories, and the phone layout.
func TestViewerShowsCatalogAndModel(t *testing.T) {
	e := Server(t)
	products := e.DialWS(t).Catalog()
	if len(products) < 10 {
		t.Fatalf("catalog.list returned %d products; the seeded catalog has at least 10", len(products))
	}
	chair, ok := pick(products, "chair")
	if !ok {
		t.Fatalf("no chair among %d products", len(products))
	}
	// A small product tests framing at another scale: the mug when the
	// sample catalog has one, else the smallest.
	small, ok := pick(products, "mug")
	if !ok {
		if small, ok = smallest(products, chair.SKU); !ok {
			t.Fatal("no second product with a model")
		}
	}

	b := browsertest.New(t)
	shots := browsertest.ScreenshotDir(t)
	t.Logf("screenshots in %s", shots)
	pg := newPage(t, b, e, shots)
	run, wait, eval := pg.run, pg.wait, pg.eval
	shot := pg.shot

	// The catalog grid, with posters loaded.
	run("open the shop", chromedp.Navigate(e.URL("/")))
	wait(`document.body.dataset.state === "ready" && document.querySelectorAll("#grid a.card").length >= 10`, pageTimeout)
	wait(`[...document.querySelectorAll("#grid img")].every(i => i.complete && i.naturalWidth > 0)`, pageTimeout)
	shot("01-catalog")
	cardText := eval(fmt.Sprintf(`document.querySelector('#grid a.card[data-sku=%q]').innerText`, chair.SKU))
	for _, want := range []string{chair.Name, centimetresText(chair.DimensionsM)} {
		if !strings.Contains(cardText, want) {
			t.Errorf("chair card reads %q; want it to contain %q", cardText, want)
		}
	}

	// The chair in 3D.
	run("click the chair", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#grid a.card[data-sku=%q]`, chair.SKU))))
	wait(fmt.Sprintf(`location.pathname === %q`, "/p/"+chair.SKU), pageTimeout)
	wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	wait(fmt.Sprintf(`window.vitrineFrames >= %d`, framesWanted), pageTimeout)
	shot("02-product-chair")
	canvasPNG := canvasShot(t, b, shots, "03-canvas-chair")
	checkModelPixels(t, canvasPNG)

	status := eval(`document.getElementById("status").textContent`)
	if !strings.Contains(status, chair.Name) || !strings.Contains(status, "loaded") {
		t.Errorf("live region says %q; want the product name %q and \"loaded\"", status, chair.Name)
	}
	if role, live := eval(`document.getElementById("status").getAttribute("role")`), eval(`document.getElementById("status").getAttribute("aria-live")`); role != "status" || live != "polite" {
		t.Errorf("live region has role=%q aria-live=%q, want status and polite", role, live)
	}
	checkDimensions(t, eval(`document.getElementById("product-dims").textContent`), chair.DimensionsM)
	checkLevels(t, eval(`JSON.stringify(window.vitrineLevels)`))
	checkFirstOpenCoarsest(t, chair, eval(`JSON.stringify(window.vitrineOpenLODs)`))
	checkOverlay(t, eval, chair.DimensionsM)
	run("hide the dimensions", chromedp.Click(chromedp.CSS("#dims-toggle")))
	wait(`getComputedStyle(document.getElementById("dims-overlay")).display === "none" && document.getElementById("dims-toggle").getAttribute("aria-pressed") === "false"`, pageTimeout)
	run("show the dimensions", chromedp.Click(chromedp.CSS("#dims-toggle")))
	wait(`getComputedStyle(document.getElementById("dims-overlay")).display !== "none"`, pageTimeout)
	if opens := eval(`String(window.vitrineModelOpens)`); opens == "0" {
		t.Errorf("the first visit of the chair opened no model stream")
	}
	if h := eval(`document.getElementById("product-name").textContent`); h != chair.Name {
		t.Errorf("product heading %q, want %q", h, chair.Name)
	}

	// Back to the grid: focus returns to the chair's card.
	run("go back", chromedp.Click(chromedp.CSS("#back")))
	wait(`document.body.dataset.state === "ready" && location.pathname === "/" && !document.getElementById("catalog-view").hidden`, pageTimeout)
	if focused := eval(`document.activeElement && document.activeElement.dataset ? (document.activeElement.dataset.sku || "") : ""`); focused != chair.SKU {
		t.Errorf("after going back, focus is on %q, want the chair's card %q", focused, chair.SKU)
	}

	// A deep link opens a product directly.
	run("deep link", chromedp.Navigate(e.URL("/p/"+small.SKU)))
	wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	wait(fmt.Sprintf(`window.vitrineFrames >= %d`, framesWanted), pageTimeout)
	if h := eval(`document.getElementById("product-name").textContent`); h != small.Name {
		t.Errorf("deep link heading %q, want %q", h, small.Name)
	}
	checkDimensions(t, eval(`document.getElementById("product-dims").textContent`), small.DimensionsM)
	shot("04-product-deeplink-" + small.SKU)
	checkModelPixels(t, canvasShot(t, b, shots, "05-canvas-"+small.SKU))

	// Search and categories ask the server.
	run("back to the shop", chromedp.Navigate(e.URL("/")))
	wait(`document.body.dataset.state === "ready" && document.querySelectorAll("#grid a.card").length >= 10`, pageTimeout)
	word := strings.Fields(chair.Name)[len(strings.Fields(chair.Name))-1]
	run("search", chromedp.SendKeys(chromedp.CSS("#search"), word))
	wait(fmt.Sprintf(`(() => { const t = [...document.querySelectorAll("#grid .card-title")].map(e => e.textContent.toLowerCase());
		return t.length > 0 && t.length < %d && t.every(s => s.includes(%q)); })()`, len(products), strings.ToLower(word)), pageTimeout)
	eval(`(() => { const s = document.getElementById("search"); s.value = ""; s.dispatchEvent(new Event("input", {bubbles: true})); return ""; })()`)
	wait(fmt.Sprintf(`document.querySelectorAll("#grid a.card").length === %d`, min(len(products), 48)), pageTimeout)
	run("choose a category", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#chips button[data-category=%q]`, chair.Category))))
	wait(fmt.Sprintf(`(() => { const c = [...document.querySelectorAll("#grid .card-category")].map(e => e.textContent);
		return c.length > 0 && c.every(s => s === %q); })()`, chair.Category), pageTimeout)
	if pressed := eval(fmt.Sprintf(`document.querySelector('#chips button[data-category=%q]').getAttribute("aria-pressed")`, chair.Category)); pressed != "true" {
		t.Errorf("chosen category chip has aria-pressed=%q, want true", pressed)
	}
	shot("06-category-" + chair.Category)

	// Phone width: two columns, nothing wider than the screen.
	run("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Navigate(e.URL("/")))
	wait(`document.body.dataset.state === "ready" && document.querySelectorAll("#grid a.card").length >= 10`, pageTimeout)
	wait(`[...document.querySelectorAll("#grid img")].slice(0, 4).every(i => i.complete && i.naturalWidth > 0)`, pageTimeout)
	if overflow := eval(`String(document.documentElement.scrollWidth - window.innerWidth)`); overflow != "0" {
		t.Errorf("phone layout is %s px wider than the screen", overflow)
	}
	shot("07-phone-catalog")
	// The chair again, on a fresh page: it comes from Cache Storage, and
	// no model stream is opened.
	run("phone product", chromedp.Navigate(e.URL("/p/"+chair.SKU)))
	wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	wait(fmt.Sprintf(`window.vitrineFrames >= %d`, framesWanted), pageTimeout)
	if opens := eval(`String(window.vitrineModelOpens)`); opens != "0" {
		t.Errorf("revisiting the chair opened %s model streams; want 0 (served from Cache Storage)", opens)
	}
	if status := eval(`document.getElementById("status").textContent`); !strings.Contains(status, "saved on this device") {
		t.Errorf("revisit announced %q; want it to say the model came from this device", status)
	}
	shot("08-phone-product")

	// A third product, on the desktop layout.
	if third, ok := thirdProduct(products, chair.SKU, small.SKU); ok {
		run("third product", chromedp.EmulateViewport(browsertest.DefaultWidth, browsertest.DefaultHeight), chromedp.Navigate(e.URL("/p/"+third.SKU)))
		wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
		wait(fmt.Sprintf(`window.vitrineFrames >= %d`, framesWanted), pageTimeout)
		checkOverlay(t, eval, third.DimensionsM)
		shot("09-product-" + third.SKU)
	}

	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d exceptions: %q", len(ex), ex)
	}
}

// checkOverlay asserts the true-size guide labels: width, height and
// depth in the unit of the page's locale (inches for en-US).
func checkOverlay(t *testing.T, eval func(string) string, d wire.Dimensions) {
	t.Helper()
	locale := eval(`navigator.language`)
	length := func(m float64) string {
		if strings.EqualFold(locale, "en-US") {
			return strconv.FormatFloat(math.Round(m/0.0254*10)/10, 'f', -1, 64) + " in"
		}
		return strconv.FormatFloat(math.Round(m*1000)/10, 'f', -1, 64) + " cm"
	}
	if display := eval(`getComputedStyle(document.getElementById("dims-overlay")).display`); display == "none" {
		t.Errorf("the dimensions overlay is not displayed")
	}
	for axis, m := range map[string]float64{"w": d.W, "h": d.H, "d": d.D} {
		got := eval(fmt.Sprintf(`document.getElementById("dims-label-%s").textContent`, axis))
		if want := length(m); got != want {
			t.Errorf("overlay label %s reads %q, want %q (locale %s)", axis, got, want, locale)
		}
		if x2 := eval(fmt.Sprintf(`document.getElementById("dims-line-%s").getAttribute("x2") || ""`, axis)); x2 == "" {
			t.Errorf("guide line %s was never projected", axis)
		}
	}
}

// thirdProduct returns a product with a model other than the two given.
func thirdProduct(products []wire.Product, skip ...string) (wire.Product, bool) {
	for _, p := range products {
		if p.ModelBytes > 0 && !slices.Contains(skip, p.SKU) {
			return p, true
		}
	}
	return wire.Product{}, false
}

// checkLevels asserts the order levels of detail appeared in: each finer
// than the one before (coarse first), ending with the full model, level 0.
func checkLevels(t *testing.T, levelsJSON string) {
	t.Helper()
	var levels []int
	if err := json.Unmarshal([]byte(levelsJSON), &levels); err != nil || len(levels) == 0 {
		t.Errorf("window.vitrineLevels = %s: want the levels shown, coarse first", levelsJSON)
		return
	}
	for i := 1; i < len(levels); i++ {
		if levels[i] >= levels[i-1] {
			t.Errorf("levels shown in order %v: level %d followed %d, want coarse before fine", levels, levels[i], levels[i-1])
		}
	}
	if last := levels[len(levels)-1]; last != 0 {
		t.Errorf("levels shown %v end with %d, want the full model 0", levels, last)
	}
}

// checkFirstOpenCoarsest asserts that a product listed with several
// levels of detail was streamed coarsest first: its first model.open asks
// for the coarsest level, with no level-0 probe before it.
func checkFirstOpenCoarsest(t *testing.T, p wire.Product, opensJSON string) {
	t.Helper()
	if len(p.LODs) < 2 {
		t.Errorf("catalog lists %s with levels %+v, want several", p.SKU, p.LODs)
		return
	}
	coarsest := 0
	for _, l := range p.LODs {
		coarsest = max(coarsest, l.Level)
	}
	var opens []int
	if err := json.Unmarshal([]byte(opensJSON), &opens); err != nil || len(opens) == 0 {
		t.Errorf("window.vitrineOpenLODs = %s: want the level of each model.open", opensJSON)
		return
	}
	if opens[0] != coarsest {
		t.Errorf("model.open levels %v: the first asks for %d, want the coarsest %d (no level-0 probe)", opens, opens[0], coarsest)
	}
}

// pick returns the first product with a model whose category or SKU
// contains word.
func pick(products []wire.Product, word string) (wire.Product, bool) {
	for _, p := range products {
		if p.ModelBytes > 0 && (strings.Contains(p.Category, word) || strings.Contains(p.SKU, word)) {
			return p, true
		}
	}
	return wire.Product{}, false
}

// smallest returns the physically smallest product with a model other
// than skip: the hardest to frame.
func smallest(products []wire.Product, skip string) (wire.Product, bool) {
	var best wire.Product
	found := false
	for _, p := range products {
		d := p.DimensionsM
		if p.SKU == skip || p.ModelBytes == 0 {
			continue
		}
		if !found || d.W*d.H*d.D < best.DimensionsM.W*best.DimensionsM.H*best.DimensionsM.D {
			best, found = p, true
		}
	}
	return best, found
}

func canvasShot(t *testing.T, b *browsertest.Browser, dir, name string) []byte {
	t.Helper()
	path, data, err := b.ElementScreenshot(b.Ctx, dir, name, "#g3n-canvas")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
	return data
}

// centimetresText is how the page writes dimensions, for matching card
// text; checkDimensions parses the product view independently.
func centimetresText(d wire.Dimensions) string {
	f := func(m float64) string { return strconv.FormatFloat(math.Round(m*1000)/10, 'f', -1, 64) }
	return f(d.W) + " × " + f(d.H) + " × " + f(d.D) + " cm"
}

var numberRE = regexp.MustCompile(`\d+(?:\.\d+)?`)

// checkDimensions parses "W × H × D cm" (or "… in", the page's unit for
// an en-US browser) and compares it with the catalog's metres.
func checkDimensions(t *testing.T, text string, want wire.Dimensions) {
	t.Helper()
	scale, tolerance := 100.0, 0.051
	switch {
	case strings.HasSuffix(strings.TrimSpace(text), "cm"):
	case strings.HasSuffix(strings.TrimSpace(text), "in"):
		scale, tolerance = 100/2.54, 0.051
	default:
		t.Errorf("dimensions %q are neither in cm nor in inches", text)
		return
	}
	nums := numberRE.FindAllString(text, -1)
	if len(nums) != 3 {
		t.Errorf("dimensions %q: want three numbers", text)
		return
	}
	for i, wantM := range []float64{want.W, want.H, want.D} {
		got, _ := strconv.ParseFloat(nums[i], 64)
		if math.Abs(got-wantM*scale) > tolerance {
			t.Errorf("dimensions %q: value %d is %v cm, catalog says %v m", text, i, got, wantM)
		}
	}
}

// checkModelPixels asserts that the canvas shows a lit model: a plausible
// share of pixels differs from the background, the centre is covered, and
// the covered pixels are shaded (not a flat or black silhouette).
func checkModelPixels(t *testing.T, pngData []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("decode canvas screenshot: %v", err)
	}
	s := analyse(img)
	t.Logf("canvas %v: %.1f%% model pixels, centre %.0f%% covered, model luminance mean %.0f sd %.0f, background %v",
		img.Bounds().Size(), 100*s.coverage, 100*s.centre, s.lumMean, s.lumSD, s.background)
	if s.coverage < 0.05 || s.coverage > 0.90 {
		t.Errorf("model covers %.1f%% of the canvas; want 5%%–90%%", 100*s.coverage)
	}
	if s.centre < 0.5 {
		t.Errorf("only %.0f%% of the canvas centre shows the model; want it framed in the middle", 100*s.centre)
	}
	if s.lumMean < 25 {
		t.Errorf("model pixels average luminance %.0f: the model looks unlit", s.lumMean)
	}
	if s.lumSD < 8 {
		t.Errorf("model pixels vary by luminance sd %.1f: no visible shading", s.lumSD)
	}
}

type pixelStats struct {
	background     [3]int
	coverage       float64 // share of pixels unlike the background
	centre         float64 // the same within the central 20%×20%
	lumMean, lumSD float64 // luminance of the model pixels, 0–255
}

// analyse takes the background colour from the four corners (the model
// is framed away from them) and classifies every pixel against it.
func analyse(img image.Image) pixelStats {
	b := img.Bounds()
	rgb := func(x, y int) [3]int {
		r, g, bl, _ := img.At(x, y).RGBA()
		return [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
	}
	corners := [][3]int{rgb(b.Min.X+2, b.Min.Y+2), rgb(b.Max.X-3, b.Min.Y+2), rgb(b.Min.X+2, b.Max.Y-3), rgb(b.Max.X-3, b.Max.Y-3)}
	var bg [3]int
	for _, c := range corners {
		for k := range 3 {
			bg[k] += c[k] / 4
		}
	}
	differs := func(c [3]int) bool {
		d := 0
		for k := range 3 {
			d += abs(c[k] - bg[k])
		}
		return d > 30
	}
	var total, model, centreTotal, centreModel int
	var sum, sumSq float64
	cx0, cx1 := b.Min.X+b.Dx()*2/5, b.Min.X+b.Dx()*3/5
	cy0, cy1 := b.Min.Y+b.Dy()*2/5, b.Min.Y+b.Dy()*3/5
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := rgb(x, y)
			in := x >= cx0 && x < cx1 && y >= cy0 && y < cy1
			total++
			if in {
				centreTotal++
			}
			if !differs(c) {
				continue
			}
			model++
			if in {
				centreModel++
			}
			lum := 0.2126*float64(c[0]) + 0.7152*float64(c[1]) + 0.0722*float64(c[2])
			sum += lum
			sumSq += lum * lum
		}
	}
	s := pixelStats{background: bg}
	if total > 0 {
		s.coverage = float64(model) / float64(total)
	}
	if centreTotal > 0 {
		s.centre = float64(centreModel) / float64(centreTotal)
	}
	if model > 0 {
		s.lumMean = sum / float64(model)
		s.lumSD = math.Sqrt(math.Max(0, sumSq/float64(model)-s.lumMean*s.lumMean))
	}
	return s
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
