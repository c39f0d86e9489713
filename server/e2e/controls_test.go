package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
)

// viewSettled waits, inside the page, until the view has stopped moving
// and no frame has been drawn for ten animation frames: the canvas then
// shows the final picture of the last input.
const viewSettled = `(async () => {
	const deadline = performance.now() + 30000;
	let last = -1, still = 0;
	while (performance.now() < deadline) {
		await new Promise(r => requestAnimationFrame(r));
		const f = window.vitrineFrames;
		if (f === last && !window.vitrineViewMoving) { if (++still >= 10) return true; } else { still = 0; last = f; }
	}
	return false;
})()`

// TestViewerControls checks the orbit controls from the keyboard: keys
// typed in the search box leave the model alone (g3n listened for keys on
// the whole window), the focused canvas turns and zooms with the arrows
// and + and -, and "Reset view", 0 and Home bring back the first picture.
func TestViewerControls(t *testing.T) {
	e := Server(t)
	products := e.DialWS(t).Catalog()
	p, ok := pick(products, "chair")
	if !ok {
		if p, ok = thirdProduct(products); !ok {
			t.Fatal("no product with a model")
		}
	}
	b := browsertest.New(t)
	s := &controlsSession{t: t, e: e, b: b, shots: browsertest.ScreenshotDir(t)}

	s.run("open the product", chromedp.Navigate(e.URL("/p/"+p.SKU)))
	s.wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	s.wait(fmt.Sprintf(`window.vitrineFrames >= %d`, framesWanted), pageTimeout)
	first := s.canvas("controls-01-first")

	// The controls are labelled and reachable.
	if got := s.eval(`(() => { const b = document.getElementById("reset-view");
		return b ? b.tagName + "|" + b.textContent + "|" + b.disabled + "|" + b.getAttribute("aria-controls") : "none"; })()`); got != "BUTTON|Reset view|false|g3n-canvas" {
		t.Errorf("reset button: %q, want an enabled BUTTON named \"Reset view\" controlling the canvas", got)
	}
	if got := s.eval(`(() => { const c = document.getElementById("g3n-canvas");
		return c.tabIndex + "|" + c.getAttribute("role") + "|" + (c.getAttribute("aria-label") || ""); })()`); !regexp.MustCompile(`^0\|application\|.*arrows turn.*plus and minus zoom.*0 or Home resets`).MatchString(got) {
		t.Errorf("canvas tabindex|role|label = %q; want it focusable, an application, and its keys described", got)
	}

	// Keys pressed in the search box do not reach the model.
	s.run("focus the search box", chromedp.Focus(chromedp.CSS("#search")))
	for _, key := range []string{"ArrowLeft", "ArrowLeft", "ArrowUp", "ArrowRight", "ArrowDown", "Home", "End"} {
		s.key(key)
	}
	s.settle()
	if got := s.eval(`document.activeElement.id`); got != "search" {
		t.Fatalf("focus moved to %q while typing in the search box", got)
	}
	if d := differs(first, s.canvas("controls-02-after-search-keys")); d > 0.002 {
		t.Errorf("keys typed in the search box changed %.2f%% of the canvas; want it untouched", 100*d)
	}

	// The focused canvas shows a focus ring and turns with the arrows.
	s.run("focus the canvas", chromedp.Focus(chromedp.CSS("#g3n-canvas")))
	if got := s.eval(`(() => { const c = document.getElementById("g3n-canvas"), st = getComputedStyle(c);
		return document.activeElement === c && c.matches(":focus-visible") ? st.outlineStyle + " " + st.outlineWidth : "not focused"; })()`); got != "solid 3px" {
		t.Errorf("focused canvas outline %q, want a visible 3px ring", got)
	}
	for range 3 {
		s.key("ArrowRight")
	}
	s.settle()
	turned := s.canvas("controls-03-turned")
	if d := differs(first, turned); d < 0.03 {
		t.Errorf("three arrow presses on the focused canvas changed only %.2f%% of it; want the model turned", 100*d)
	}
	checkModelPixels(t, pngBytes(t, turned))

	// "Reset view" restores the first picture.
	s.run("reset", chromedp.Click(chromedp.CSS("#reset-view")))
	s.settle()
	if d := differs(first, s.canvas("controls-04-reset")); d > 0.01 {
		t.Errorf("after Reset view %.2f%% of the canvas differs from the first frame; want it restored", 100*d)
	}

	// + zooms in, 0 and Home reset from the keyboard.
	s.run("focus the canvas again", chromedp.Focus(chromedp.CSS("#g3n-canvas")))
	s.key("+")
	s.key("+")
	s.settle()
	zoomed := s.canvas("controls-05-zoomed")
	if d := differs(first, zoomed); d < 0.03 {
		t.Errorf("+ + changed only %.2f%% of the canvas; want a closer view", 100*d)
	}
	if before, after := coverage(first), coverage(zoomed); after <= before {
		t.Errorf("zooming in with + left the model covering %.1f%% of the canvas (was %.1f%%); want more", 100*after, 100*before)
	}
	s.key("0")
	s.settle()
	if d := differs(first, s.canvas("controls-06-key-0")); d > 0.01 {
		t.Errorf("after 0, %.2f%% of the canvas differs from the first frame", 100*d)
	}
	s.key("-")
	s.key("ArrowUp")
	s.settle()
	s.key("Home")
	s.settle()
	if d := differs(first, s.canvas("controls-07-key-home")); d > 0.01 {
		t.Errorf("after Home, %.2f%% of the canvas differs from the first frame", 100*d)
	}
	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d exceptions: %q", len(ex), ex)
	}
}

// TestViewerLevelPreview opens /p/{sku}?lod=N, the merchant console's
// preview of one level of detail: exactly that level is streamed and
// shown, labelled, and nothing else is fetched.
func TestViewerLevelPreview(t *testing.T) {
	e := Server(t)
	products := e.DialWS(t).Catalog()
	p, ok := pick(products, "chair")
	if !ok {
		if p, ok = thirdProduct(products); !ok {
			t.Fatal("no product with a model")
		}
	}
	b := browsertest.New(t)
	s := &controlsSession{t: t, e: e, b: b, shots: browsertest.ScreenshotDir(t)}

	// The ordinary page learns how many levels there are.
	s.run("open the product", chromedp.Navigate(e.URL("/p/"+p.SKU)))
	s.wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	if hidden := s.eval(`String(!document.getElementById("lod-preview") || document.getElementById("lod-preview").hidden)`); hidden != "true" {
		t.Errorf("the level label shows without ?lod")
	}
	var shown []int
	if err := json.Unmarshal([]byte(s.eval(`JSON.stringify(window.vitrineLevels)`)), &shown); err != nil || len(shown) == 0 {
		t.Fatalf("window.vitrineLevels: %v", err)
	}
	coarsest := shown[0]
	if coarsest == 0 {
		t.Logf("%s has a single level shown; previewing level 0", p.SKU)
	}

	for _, level := range []int{coarsest, 0} {
		s.run("preview", chromedp.Navigate(e.URL(fmt.Sprintf("/p/%s?lod=%d", p.SKU, level))))
		s.wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
		s.wait(fmt.Sprintf(`window.vitrineFrames >= %d`, framesWanted), pageTimeout)
		if got := s.eval(`JSON.stringify(window.vitrineLevels)`); got != fmt.Sprintf("[%d]", level) {
			t.Errorf("?lod=%d showed levels %s, want exactly [%d]", level, got, level)
		}
		if got := s.eval(`String(window.vitrineModelOpens)`); got != "1" {
			t.Errorf("?lod=%d opened %s model streams, want 1 (no probe, no cache)", level, got)
		}
		label := s.eval(`document.getElementById("lod-preview").hidden ? "" : document.getElementById("lod-preview").textContent`)
		if !regexp.MustCompile(fmt.Sprintf(`^Level %d of [1-8], [0-9][0-9,]* triangles?$`, level)).MatchString(label) {
			t.Errorf("?lod=%d label %q, want \"Level %d of M, T triangles\"", level, label, level)
		}
		checkModelPixels(t, pngBytes(t, s.canvas(fmt.Sprintf("lod-preview-%d", level))))
	}

	// A level the model does not have is explained.
	s.run("preview a missing level", chromedp.Navigate(e.URL(fmt.Sprintf("/p/%s?lod=7", p.SKU))))
	s.wait(`document.body.dataset.state === "error"`, modelTimeout)
	if label := s.eval(`document.getElementById("lod-preview").textContent`); !regexp.MustCompile(`^Level preview: .*lod 7`).MatchString(label) {
		t.Errorf("?lod=7 label %q, want the server's explanation", label)
	}
	s.shot("lod-preview-missing")
}

// controlsSession bundles the browser steps of these tests.
type controlsSession struct {
	t     *testing.T
	e     *Env
	b     *browsertest.Browser
	shots string
}

func (s *controlsSession) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.b.Ctx, pageTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		s.t.Fatalf("%s: %v\nserver log:\n%s", what, err, s.e.ServerLog())
	}
}

func (s *controlsSession) wait(expr string, timeout time.Duration) {
	s.t.Helper()
	if err := s.b.WaitFor(expr, timeout); err != nil {
		s.t.Fatalf("%v\nserver log:\n%s", err, s.e.ServerLog())
	}
}

func (s *controlsSession) eval(expr string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.b.Ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// key presses one key (down and up) through the DevTools input domain,
// as a real keyboard would, to whatever has focus.
func (s *controlsSession) key(key string) {
	s.t.Helper()
	s.run("press "+key, chromedp.KeyEvent(keyText(key)))
}

// keyText maps key names to what chromedp.KeyEvent types.
func keyText(key string) string {
	switch key {
	case "ArrowLeft":
		return kb.ArrowLeft
	case "ArrowUp":
		return kb.ArrowUp
	case "ArrowRight":
		return kb.ArrowRight
	case "ArrowDown":
		return kb.ArrowDown
	case "Home":
		return kb.Home
	case "End":
		return kb.End
	}
	return key
}

func (s *controlsSession) settle() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.b.Ctx, pageTimeout)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](viewSettled, chromedp.EvalAwaitPromise))
	if err != nil || !ok {
		s.t.Fatalf("the view did not settle: %v", err)
	}
}

func (s *controlsSession) canvas(name string) image.Image {
	s.t.Helper()
	s.settle()
	path, data, err := s.b.ElementScreenshot(s.b.Ctx, s.shots, name, "#g3n-canvas")
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("screenshot %s", path)
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		s.t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

func (s *controlsSession) shot(name string) {
	s.t.Helper()
	path, _, err := s.b.Screenshot(s.b.Ctx, s.shots, name)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("screenshot %s", path)
}

// differs is the share of pixels whose colour differs noticeably (sum of
// channel differences over 30) between two pictures of the same size,
// leaving out a border the width of the focus ring.
func differs(a, b image.Image) float64 {
	const ring = 10
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return 1
	}
	n, diff := 0, 0
	for y := ring; y < ab.Dy()-ring; y++ {
		for x := ring; x < ab.Dx()-ring; x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			d := abs(int(r1>>8)-int(r2>>8)) + abs(int(g1>>8)-int(g2>>8)) + abs(int(b1>>8)-int(b2>>8))
			n++
			if d > 30 {
				diff++
			}
		}
	}
	return float64(diff) / float64(max(n, 1))
}

// coverage is the share of the canvas the model covers.
func coverage(img image.Image) float64 { return analyse(img).coverage }

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
