package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
)

// psCard is a visual search result card as the page shows it.
type psCard struct {
	SKU     string `json:"sku"`
	Title   string `json:"title"`
	Price   string `json:"price"`
	Percent string `json:"percent"`
	Why     string `json:"why"`
	Poster  bool   `json:"poster"`
}

const psCardsJS = `JSON.stringify([...document.querySelectorAll(%q)].map(a => {
	const w = a.querySelector(".ps-why");
	const hidden = w ? w.querySelector(".visually-hidden") : null;
	return {
		sku: a.dataset.sku,
		title: (a.querySelector(".ps-title") || {}).textContent || "",
		price: (a.querySelector(".ps-price") || {}).textContent || "",
		percent: (a.querySelector(".ps-percent") || {}).textContent || "",
		why: w ? w.textContent.slice(hidden ? hidden.textContent.length : 0).trim() : "",
		poster: !!a.querySelector("img"),
	};
}))`

// TestSearchByPhotoAndFindSimilar: a shopper chooses a photo of
// sunglasses in the viewer, searches and sees them first; a file that is
// not a photo gets a clear message; on the chair's page "Find similar"
// lists other products.
func TestSearchByPhotoAndFindSimilar(t *testing.T) {
	e := Server(t)
	products := e.DialWS(t).Catalog()
	chair, ok := pick(products, "chair")
	if !ok {
		t.Fatalf("no chair among %d products", len(products))
	}
	photo, err := filepath.Abs(filepath.Join("..", "vsearch", "testdata", "eval", "queries", "glasses-tortoise", "q01.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	notPhoto, err := filepath.Abs("search_ui_test.go")
	if err != nil {
		t.Fatal(err)
	}

	br := browsertest.New(t)
	shots := browsertest.ScreenshotDir(t)
	ctx := br.Ctx
	pg := newPage(t, br, e, shots)
	run, wait, eval := pg.run, pg.wait, pg.eval
	cards := func(list string) []psCard {
		t.Helper()
		var out []psCard
		if err := json.Unmarshal([]byte(eval(fmt.Sprintf(psCardsJS, "#"+list+" a.ps-card"))), &out); err != nil {
			t.Fatalf("cards of %s: %v", list, err)
		}
		return out
	}
	shot := func(name string) {
		t.Helper()
		settleCtx, cancel := context.WithTimeout(ctx, pageTimeout)
		_, err := chromedp.Run(settleCtx, chromedp.Evaluate[bool](`(async () => {
			await Promise.all([...document.images].map(i => i.decode().catch(() => {})));
			await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
			return true;
		})()`, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			t.Fatalf("settle before screenshot %s: %v", name, err)
		}
		path, _, err := br.Screenshot(ctx, shots, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", path)
	}

	// No consent banner: the shopper chose "only necessary" before.
	run("open the shop", chromedp.Navigate(e.URL("/")))
	eval(`(localStorage.setItem("vitrine.consent.v1", "none"), "")`)
	run("reload the shop", chromedp.Navigate(e.URL("/")))
	wait(`document.body.dataset.state === "ready" && document.getElementById("photo-search-open") !== null`, pageTimeout)

	run("open photo search", chromedp.Click(chromedp.CSS("#photo-search-open")))
	wait(`!document.getElementById("photo-search").hidden && document.activeElement.id === "ps-heading"`, pageTimeout)
	if got := eval(`document.getElementById("photo-search-open").getAttribute("aria-expanded")`); got != "true" {
		t.Errorf("aria-expanded %q after opening", got)
	}
	if got := eval(`(() => { const c = document.getElementById("ps-camera"); return c.accept + "|" + c.getAttribute("capture") + "|" + document.querySelector("label[for=ps-camera]").textContent; })()`); got != "image/*|environment|Take a photo" {
		t.Errorf("camera input %q", got)
	}

	// A file that is not a photo: a clear message, nothing sent.
	run("choose a file that is not a photo", chromedp.SetUploadFiles(chromedp.CSS("#ps-file"), []string{notPhoto}))
	wait(`document.getElementById("photo-search").dataset.state === "error"`, pageTimeout)
	if msg := eval(`document.getElementById("ps-status").textContent`); !strings.Contains(msg, "not a photo") {
		t.Errorf("message for a Go file: %q", msg)
	}

	// A photo of a blank wall: results, and a word that no product was
	// picked out and cropping helps.
	run("choose a blank photo", chromedp.SetUploadFiles(chromedp.CSS("#ps-file"), []string{blankPhoto(t)}))
	wait(`document.getElementById("photo-search").dataset.state === "ready" && document.querySelector(".ps-preview").complete &&
		document.querySelector(".ps-preview").naturalWidth > 0`, pageTimeout)
	run("search with the blank photo", chromedp.Click(chromedp.CSS("#ps-submit")))
	wait(`["results", "empty", "error"].includes(document.getElementById("photo-search").dataset.state)`, pageTimeout)
	if state := eval(`document.getElementById("photo-search").dataset.state`); state != "results" {
		t.Fatalf("blank photo search ended %q: %s", state, eval(`document.getElementById("ps-status").textContent`))
	}
	if note := eval(`(() => { const n = document.querySelector("#ps-results .ps-note"); return n.hidden ? "" : n.textContent; })()`); !strings.Contains(note, "could not pick out a product") {
		t.Errorf("note after a blank photo: %q", note)
	}
	shot("search-no-product")

	// The sunglasses photo.
	run("choose the photo", chromedp.SetUploadFiles(chromedp.CSS("#ps-file"), []string{photo}))
	wait(`document.getElementById("photo-search").dataset.state === "ready" && document.querySelector(".ps-preview").complete &&
		document.querySelector(".ps-preview").naturalWidth > 0`, pageTimeout)
	if msg := eval(`document.getElementById("ps-status").textContent`); msg != "" {
		t.Errorf("status after a good photo: %q", msg)
	}
	if got := eval(`document.activeElement.className`); got != "ps-box" {
		t.Errorf("focus after choosing is on %q, want the crop frame", got)
	}
	// The keyboard adjusts the crop; "Use the whole photo" puts it back.
	run("shrink the crop with the keyboard", chromedp.KeyEvent(kb.ArrowLeft, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := eval(`document.getElementById("ps-crop-say").textContent`); !strings.Contains(got, "98% wide") {
		t.Errorf("crop after Shift+Left: %q", got)
	}
	run("use the whole photo", chromedp.Click(chromedp.CSS(".ps-buttons .action:not(.primary)")))
	if got := eval(`document.getElementById("ps-crop-say").textContent`); got != "Crop: the whole photo." {
		t.Errorf("crop after reset: %q", got)
	}

	// The filters: the price names the shop's one currency; a price
	// that is not a number is refused before
	// anything is sent; "up to 150" keeps the dearer products out.
	if got := eval(`document.querySelector("label[for=ps-price-max]").textContent`); got != "Up to (€)" {
		t.Errorf("price filter label %q; want Up to (€)", got)
	}
	run("type a bad price", chromedp.SetValue(chromedp.CSS("#ps-price-max"), "cheap"))
	run("search with it", chromedp.Click(chromedp.CSS("#ps-submit")))
	wait(`document.getElementById("photo-search").dataset.state === "error"`, pageTimeout)
	if msg := eval(`document.getElementById("ps-status").textContent`); !strings.Contains(msg, "price") ||
		eval(`document.getElementById("ps-price-max").getAttribute("aria-invalid")`) != "true" {
		t.Errorf("bad price: message %q", msg)
	}
	eval(`(() => { document.getElementById("ps-price-max").value = ""; return ""; })()`)
	run("type a good price", chromedp.SendKeys(chromedp.CSS("#ps-price-max"), "150"))
	// Typing again takes the error back.
	wait(`document.getElementById("ps-status").textContent === "" && document.getElementById("photo-search").dataset.state === "ready" &&
		document.getElementById("ps-price-max").getAttribute("aria-invalid") === "false"`, pageTimeout)
	shot("search-crop")

	began := time.Now()
	run("search with Enter in the price", chromedp.SendKeys(chromedp.CSS("#ps-price-max"), kb.Enter))
	wait(`["results", "empty", "error"].includes(document.getElementById("photo-search").dataset.state)`, pageTimeout)
	if state := eval(`document.getElementById("photo-search").dataset.state`); state != "results" {
		t.Fatalf("photo search ended %q: %s\nserver log:\n%s", state, eval(`document.getElementById("ps-status").textContent`), e.ServerLog())
	}
	t.Logf("photo search answered in %v", time.Since(began))
	found := cards("ps-results")
	if len(found) == 0 {
		t.Fatal("no result cards")
	}
	if first := found[0]; first.SKU != "glasses-tortoise" || first.Title != "Marlow Tortoiseshell Sunglasses" {
		t.Errorf("first result %+v; want Marlow Tortoiseshell Sunglasses", first)
	}
	price := map[string]float64{}
	for _, p := range products {
		price[p.SKU] = p.Price
	}
	for _, c := range found {
		if p, ok := price[c.SKU]; !ok || p > 150 {
			t.Errorf("result %s (price %v) is not within the price filter", c.SKU, p)
		}
	}
	if len(found) >= len(products) {
		t.Errorf("%d results of %d products with a price filter", len(found), len(products))
	}
	for _, c := range found {
		if c.Title == "" || c.Price == "" || !strings.HasSuffix(c.Percent, "% match") || !strings.HasSuffix(c.Why, "match") && c.Why != "Similar look" || !c.Poster {
			t.Errorf("card lacks details: %+v", c)
		}
	}
	if got := eval(`document.querySelector("#ps-results .ps-note").hidden ? "hidden" : "shown"`); got != "hidden" {
		t.Errorf("the no-product note is %s for the sunglasses photo", got)
	}
	wait(`document.getElementById("status").textContent.includes("look like your photo")`, pageTimeout)
	shot("search-results")

	// The category filter lists the catalog's categories; eyewear and
	// any price leaves the sunglasses alone.
	if got := eval(`[...document.querySelectorAll("#ps-category option")].map(o => o.value + "=" + o.textContent).join(",")`); !strings.HasPrefix(got, "=Any category,") || !strings.Contains(got, "eyewear=Eyewear") {
		t.Errorf("category options %q", got)
	}
	run("choose eyewear", chromedp.SetValue(chromedp.CSS("#ps-category"), "eyewear"))
	eval(`(() => { document.getElementById("ps-price-max").value = ""; return ""; })()`) // any price
	// The results scrolled the Search button out of view; scrolled back,
	// it must not sit under the sticky header.
	run("search eyewear", chromedp.Click(chromedp.CSS("#ps-submit")))
	wait(`["results", "empty", "error"].includes(document.getElementById("photo-search").dataset.state) &&
		document.querySelectorAll("#ps-results a.ps-card").length <= 1`, pageTimeout)
	if got := cards("ps-results"); len(got) != 1 || got[0].SKU != "glasses-tortoise" {
		t.Errorf("eyewear results %+v; want the sunglasses alone", got)
	}

	// The result opens the product.
	run("open the first result", chromedp.Click(chromedp.CSS(`#ps-results a.ps-card[data-sku="glasses-tortoise"]`)))
	wait(`location.pathname === "/p/glasses-tortoise" && !document.getElementById("product-view").hidden`, pageTimeout)

	// Find similar on the chair's page.
	run("back to the shop", chromedp.Click(chromedp.CSS("#brand")))
	wait(`document.body.dataset.state === "ready" && !document.getElementById("catalog-view").hidden`, pageTimeout)
	run("open the chair", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#grid a[data-sku=%q]`, chair.SKU))))
	wait(fmt.Sprintf(`location.pathname === %q && !document.getElementById("find-similar").disabled`, "/p/"+chair.SKU), pageTimeout)
	if got := eval(`document.getElementById("similar").hidden ? "hidden" : "shown"`); got != "hidden" {
		t.Errorf("similar list %s before asking", got)
	}
	run("find similar", chromedp.Click(chromedp.CSS("#find-similar")))
	wait(fmt.Sprintf(`(() => { const s = document.getElementById("similar");
		return s.dataset.context === %q && ["results", "empty", "error"].includes(s.dataset.state); })()`, chair.SKU), pageTimeout)
	if state := eval(`document.getElementById("similar").dataset.state`); state != "results" {
		t.Fatalf("find similar ended %q: %s", state, eval(`document.querySelector("#similar .ps-note").textContent`))
	}
	similar := cards("similar")
	if len(similar) == 0 || len(similar) > 8 {
		t.Errorf("%d similar products", len(similar))
	}
	for _, c := range similar {
		if c.SKU == chair.SKU {
			t.Errorf("the chair is similar to itself: %+v", similar)
		}
	}
	// The live region may already carry a later message (the model's final
	// level arriving); what matters is that the result was announced.
	wait(`(window.vitrineAnnouncements || []).some(a => a.includes("similar product"))`, pageTimeout)
	shot("search-similar")

	// Another product forgets the chair's list.
	run("back to the shop again", chromedp.Click(chromedp.CSS("#brand")))
	wait(`!document.getElementById("catalog-view").hidden`, pageTimeout)
	run("open the sunglasses", chromedp.Click(chromedp.CSS(`#ps-results a.ps-card[data-sku="glasses-tortoise"]`)))
	wait(`location.pathname === "/p/glasses-tortoise" && document.getElementById("similar").hidden`, pageTimeout)

	if ex := br.Exceptions(); len(ex) > 0 {
		t.Errorf("page exceptions: %v", ex)
	}
}

// blankPhoto writes a JPEG of an empty, evenly lit wall: nothing to pick
// out as a product.
func blankPhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{214, 206, 190, 255}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wall.jpg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
