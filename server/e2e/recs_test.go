package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
	"github.com/vitrine-shop/vitrine/wire"
)

// recCard is a recommendation card as the page shows it.
type recCard struct {
	SKU    string `json:"sku"`
	Kind   string `json:"kind"`
	Title  string `json:"title"`
	Price  string `json:"price"`
	Reason string `json:"reason"`
	Poster bool   `json:"poster"`
}

// recCardsJS reads the cards of a recommendation list; the reason is the
// visible text (without the screen-reader prefix).
const recCardsJS = `JSON.stringify([...document.querySelectorAll(%q)].map(a => {
	const r = a.querySelector(".rec-reason");
	const hidden = r ? r.querySelector(".visually-hidden") : null;
	return {
		sku: a.dataset.sku, kind: a.dataset.kind,
		title: (a.querySelector(".rec-title") || {}).textContent || "",
		price: (a.querySelector(".rec-price") || {}).textContent || "",
		reason: r ? r.textContent.slice(hidden ? hidden.textContent.length : 0).trim() : "",
		poster: !!a.querySelector("img"),
	};
}))`

// TestRecommendationsFollowViewsWithReasons walks a shopper who allows
// personalised recommendations: viewing products changes the lists on the
// product page and the front page, every card says why it is there, and
// the "Your data" page lists the views, downloads them and erases them.
func TestRecommendationsFollowViewsWithReasons(t *testing.T) {
	e := Server(t)
	products := e.DialWS(t).Catalog()
	a, ok := pick(products, "chair")
	if !ok {
		t.Fatalf("no chair among %d products", len(products))
	}
	b, ok := pick(products, "lamp")
	if !ok {
		if b, ok = thirdProduct(products, a.SKU); !ok {
			t.Fatal("no second product with a model")
		}
	}

	br := browsertest.New(t)
	shots := browsertest.ScreenshotDir(t)
	pg := newPage(t, br, e, shots)
	run, wait, eval := pg.run, pg.wait, pg.eval
	shot := pg.shot
	cards := func(list string) []recCard {
		t.Helper()
		var out []recCard
		if err := json.Unmarshal([]byte(eval(fmt.Sprintf(recCardsJS, "#"+list+" a.rec-card"))), &out); err != nil {
			t.Fatalf("cards of %s: %v", list, err)
		}
		return out
	}
	cardSel := func(list, sku string) string { return fmt.Sprintf(`#%s a[data-sku=%q]`, list, sku) }
	openFromGrid := func(p wire.Product) time.Time {
		t.Helper()
		run("back to the shop", chromedp.Click(chromedp.CSS("#brand")))
		wait(`document.body.dataset.state === "ready" && !document.getElementById("catalog-view").hidden`, pageTimeout)
		began := time.Now()
		run("open "+p.SKU, chromedp.Click(chromedp.CSS(cardSel("grid", p.SKU))))
		wait(fmt.Sprintf(`location.pathname === %q`, "/p/"+p.SKU), pageTimeout)
		return began
	}
	productRecsSettled := func(sku string) string {
		return fmt.Sprintf(`(() => { const s = document.getElementById("recs-product");
			return s.dataset.context === %q && ["ready", "empty"].includes(s.dataset.state); })()`, sku)
	}

	// First visit: the consent banner, operated with the keyboard.
	run("open the shop", chromedp.Navigate(e.URL("/")))
	wait(`document.body.dataset.state === "ready" && document.getElementById("consent-banner") !== null`, pageTimeout)
	if got := eval(`[...document.querySelectorAll("#consent-banner button[data-consent]")].map(b => b.textContent).join("|")`); got != "Only necessary|Analytics|Personalised recommendations" {
		t.Errorf("banner buttons %q", got)
	}
	if label := eval(`(() => { const b = document.getElementById("consent-banner"); return document.getElementById(b.getAttribute("aria-labelledby")).textContent; })()`); label == "" {
		t.Error("the consent banner has no accessible name")
	}
	shot("recs-00-consent-banner")
	if consent := eval(`document.body.dataset.consent`); consent != wire.ConsentNone {
		t.Errorf("before a choice the consent is %q, want none", consent)
	}
	run("choose personalised recommendations with the keyboard",
		chromedp.Focus(chromedp.CSS(`#consent-banner button[data-consent="personalisation"]`)),
		chromedp.KeyEvent("\r"))
	wait(`document.getElementById("consent-banner") === null && document.body.dataset.consent === "personalisation" &&
		localStorage.getItem("vitrine.consent.v1") === "personalisation"`, pageTimeout)
	wait(`document.getElementById("status").textContent.includes("Personalised recommendations")`, pageTimeout)

	// Product A, first visit: whatever is recommended, it has reasons.
	run("open "+a.SKU, chromedp.Click(chromedp.CSS(cardSel("grid", a.SKU))))
	wait(fmt.Sprintf(`location.pathname === %q`, "/p/"+a.SKU), pageTimeout)
	wait(productRecsSettled(a.SKU), pageTimeout)
	firstA := eval(`document.getElementById("recs-product").dataset.signature || ""`)
	t.Logf("recommendations on the first visit of %s: %q", a.SKU, firstA)
	wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	// A zoom gesture (many wheel ticks are one event) and the cart.
	eval(`(() => { const c = document.getElementById("g3n-canvas");
		for (let i = 0; i < 5; i++) c.dispatchEvent(new WheelEvent("wheel", {deltaY: 60, bubbles: true, cancelable: true}));
		return ""; })()`)
	run("add to cart", chromedp.Click(chromedp.CSS("#add-to-cart")))
	wait(`!document.getElementById("cart-note").hidden && document.getElementById("cart-note").textContent.includes("cart")`, pageTimeout)

	// Product B, then A again: B is now recommended on A's page because
	// A was viewed, within moments of the view.
	openFromGrid(b)
	wait(productRecsSettled(b.SKU), pageTimeout)
	began := openFromGrid(a)
	wait(fmt.Sprintf(`document.getElementById("recs-product").dataset.context === %q && document.getElementById("recs-product").dataset.state === "ready" &&
		document.querySelector(%q) !== null`, a.SKU, cardSel("recs-product-list", b.SKU)), pageTimeout)
	t.Logf("A's recommendations showed B %v after the click", time.Since(began).Round(time.Millisecond))
	secondA := eval(`document.getElementById("recs-product").dataset.signature`)
	if secondA == firstA {
		t.Errorf("the recommendations on %s did not change after viewing %s: %q", a.SKU, b.SKU, secondA)
	}
	productCards := cards("recs-product-list")
	checkCards(t, "product page", productCards)
	for _, c := range productCards {
		if c.SKU == a.SKU {
			t.Errorf("the product page recommends its own product %s", a.SKU)
		}
		if c.SKU == b.SKU && !strings.HasPrefix(strings.ToLower(c.Reason), "because you viewed") {
			t.Errorf("card for %s gives the reason %q, want “Because you viewed …”", b.SKU, c.Reason)
		}
	}
	if h := eval(`document.getElementById("recs-product-heading").textContent`); h != "You may also like" {
		t.Errorf("product recommendations heading %q", h)
	}
	eval(`(document.getElementById("recs-product").scrollIntoView({block: "end"}), "")`)
	shot("recs-02-product-with-recommendations")

	// The front page: picked for this shopper, with reasons.
	run("back to the shop", chromedp.Click(chromedp.CSS("#back")))
	wait(`document.body.dataset.state === "ready" && document.getElementById("recs-home").dataset.state === "ready" &&
		document.getElementById("recs-home-heading").textContent === "Picked for you"`, pageTimeout)
	homeCards := cards("recs-home-list")
	checkCards(t, "front page", homeCards)
	personal := 0
	for _, c := range homeCards {
		if strings.HasPrefix(strings.ToLower(c.Reason), "because you viewed") {
			personal++
		}
	}
	if personal == 0 {
		t.Errorf("no front-page card says “Because you viewed …”: %+v", homeCards)
	}
	eval(`(window.scrollTo(0, 0), "")`)
	shot("recs-01-front-page-picked-for-you")

	// Clicking a recommendation opens the product (and is recorded).
	clicked := homeCards[0]
	run("open a recommendation", chromedp.Click(chromedp.CSS(cardSel("recs-home-list", clicked.SKU))))
	wait(fmt.Sprintf(`location.pathname === %q && document.getElementById("product-name").textContent === %q`, "/p/"+clicked.SKU, clicked.Title), pageTimeout)
	wait(productRecsSettled(clicked.SKU), pageTimeout)

	// "Your data", from the header link: the events in a table.
	run("open Your data", chromedp.Click(chromedp.CSS("#your-data-link")))
	wait(`location.hash === "#your-data" && !document.getElementById("your-data-view").hidden &&
		document.getElementById("your-data-view").dataset.state === "ready"`, pageTimeout)
	if hidden := eval(`String(document.getElementById("catalog-view").hidden && document.getElementById("product-view").hidden)`); hidden != "true" {
		t.Error("the shop's views are still shown beside Your data")
	}
	if c := eval(`document.getElementById("data-consent-now").textContent`); c != "Personalised recommendations" {
		t.Errorf("Your data shows the consent %q", c)
	}
	if held := eval(`document.getElementById("data-held").textContent`); !strings.Contains(held, "recommend") {
		t.Errorf("what is held does not say why: %q", held)
	}
	rows := eval(`JSON.stringify([...document.querySelectorAll("#data-events-body tr")].map(r => r.dataset.type + ":" + r.dataset.sku + ":" + r.cells[2].textContent))`)
	for _, want := range []string{
		"product_view:" + a.SKU + ":" + a.Name,
		"product_view:" + b.SKU + ":" + b.Name,
		"model_loaded:" + a.SKU,
		"zoom:" + a.SKU,
		"add_to_cart:" + a.SKU,
		"recs_click:" + clicked.SKU,
	} {
		if !strings.Contains(rows, `"`+want) {
			t.Errorf("Your data lists no %q among %s", want, rows)
		}
	}
	if zooms := eval(`String(document.querySelectorAll('#data-events-body tr[data-type="zoom"]').length)`); zooms != "1" {
		t.Errorf("five wheel ticks in one gesture stored %s zoom events, want 1", zooms)
	}
	if cols := eval(`[...document.querySelectorAll("#data-events thead th")].map(th => th.scope + ":" + th.textContent).join("|")`); cols != "col:Time|col:What happened|col:Product|col:Details" {
		t.Errorf("table header %q", cols)
	}
	if caption := eval(`document.getElementById("data-events-caption").textContent`); caption == "" {
		t.Error("the events table has no caption")
	}
	scrollTo := func(sel string) {
		t.Helper()
		eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q);
			window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 84); return ""; })()`, sel))
	}
	scrollTo(`section[aria-labelledby="data-events-heading"]`)
	shot("recs-03-your-data")

	// Download: a JSON file of the export.
	run("download", chromedp.Click(chromedp.CSS("#data-download")))
	wait(`(document.getElementById("your-data-view").dataset.downloaded || "").startsWith("vitrine-my-data-")`, pageTimeout)

	// Erase, with a confirmation that takes the focus.
	run("erase", chromedp.Click(chromedp.CSS("#data-erase")))
	wait(`!document.getElementById("data-erase-confirm").hidden && document.activeElement.id === "data-erase-yes"`, pageTimeout)
	run("confirm erase", chromedp.Click(chromedp.CSS("#data-erase-yes")))
	wait(`Number(document.getElementById("your-data-view").dataset.erased) > 0 &&
		document.getElementById("your-data-view").dataset.state === "ready" &&
		document.querySelectorAll("#data-events-body tr").length === 0 && !document.getElementById("data-events-empty").hidden`, pageTimeout)
	if res := eval(`document.getElementById("data-erase-result").textContent`); !strings.HasPrefix(res, "Erased ") || !strings.Contains(res, "gone by") {
		t.Errorf("erase result says %q", res)
	}
	scrollTo(`section[aria-labelledby="data-events-heading"]`)
	shot("recs-04-your-data-erased")

	// A deep link to the page, on a fresh load of this tab: the choice is
	// remembered (no banner), the session resumed, nothing stored.
	run("deep link to Your data", chromedp.Navigate(e.URL("/#your-data")))
	wait(`document.getElementById("your-data-view") && document.getElementById("your-data-view").dataset.state === "ready"`, pageTimeout)
	if banner := eval(`String(document.getElementById("consent-banner") !== null)`); banner != "false" {
		t.Error("the consent banner came back after a choice was made")
	}
	if n := eval(`String(document.querySelectorAll("#data-events-body tr").length)`); n != "0" {
		t.Errorf("after erasing, a reload lists %s events", n)
	}

	// Phone width, a shopper who chooses "Only necessary": the banner
	// fits, the shop works, events are still sent (the server keeps only
	// anonymous counts) and Your data says so.
	eval(`(localStorage.clear(), "")`)
	run("phone, first visit again", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Navigate(e.URL("/")))
	wait(`document.body.dataset.state === "ready" && document.getElementById("consent-banner") !== null`, pageTimeout)
	if overflow := eval(`String(document.documentElement.scrollWidth - window.innerWidth)`); overflow != "0" {
		t.Errorf("phone layout with the consent banner is %s px wider than the screen", overflow)
	}
	shot("recs-05-phone-consent-banner")
	run("only necessary", chromedp.Click(chromedp.CSS(`#consent-banner button[data-consent="none"]`)))
	wait(`document.getElementById("consent-banner") === null && document.body.dataset.consent === "none"`, pageTimeout)
	acked := eval(`String(window.vitrineSignals().acked)`)
	run("open a product without consent", chromedp.Click(chromedp.CSS(cardSel("grid", b.SKU))))
	wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	wait(fmt.Sprintf(`window.vitrineSignals().acked > %s`, acked), pageTimeout)
	run("Your data on a phone", chromedp.Click(chromedp.CSS("#your-data-link")))
	wait(`document.getElementById("your-data-view").dataset.state === "ready"`, pageTimeout)
	if c := eval(`document.getElementById("data-consent-now").textContent`); c != "Only necessary" {
		t.Errorf("Your data shows the consent %q, want Only necessary", c)
	}
	if empty := eval(`document.getElementById("data-events-empty").textContent`); !strings.Contains(empty, "anonymous") {
		t.Errorf("with consent none the page says %q; want it to explain the anonymous counts", empty)
	}
	if overflow := eval(`String(document.documentElement.scrollWidth - window.innerWidth)`); overflow != "0" {
		t.Errorf("phone Your data page is %s px wider than the screen", overflow)
	}
	shot("recs-06-phone-your-data")

	if ex := br.Exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d exceptions: %q", len(ex), ex)
	}
}

// checkCards asserts that a list has cards and each shows a poster, a
// name, a price and a reason.
func checkCards(t *testing.T, where string, cards []recCard) {
	t.Helper()
	if len(cards) == 0 {
		t.Fatalf("%s: no recommendation cards", where)
	}
	for _, c := range cards {
		if c.Reason == "" || c.Title == "" || c.Price == "" || !c.Poster || c.Kind == "" {
			t.Errorf("%s: card %+v lacks a reason, name, price, poster or kind", where, c)
		}
	}
}
