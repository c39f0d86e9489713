//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/client"
	"github.com/vitrine-shop/vitrine/wasm/format"
	"github.com/vitrine-shop/vitrine/wasm/glb"
	"github.com/vitrine-shop/vitrine/wasm/progressive"
	"github.com/vitrine-shop/vitrine/wire"
)

const (
	pageSize       = 48
	searchDebounce = 250 * time.Millisecond
	// maxTextureSide shrinks large textures for small GPUs.
	maxTextureSide = 2048
	// productPathPrefix starts deep links to a product.
	productPathPrefix = "/p/"
)

// Events the controller handles, posted by DOM callbacks and by the
// goroutines doing network work.
type (
	evNavigate   struct{ path string } // show the view for path (already in history)
	evSearchText struct{ text string } // the search box changed
	evSearchFire struct{ text string } // the debounce elapsed
	evCategory   struct{ category string }
	evMore       struct{}
	evConn       struct{ state client.State }
	evCatalog    struct {
		seq    int
		append bool
		reply  wire.CatalogListReply
		err    error
	}
	evProduct struct {
		sku     string
		product wire.Product
		err     error
	}
	evModelShown struct {
		sku       string
		level     int
		final     bool
		fromCache bool
		sizeBytes int64
	}
	evModelFailed struct {
		sku string
		err error
	}
)

// ui is the page controller. One goroutine (loop) owns its state; DOM
// callbacks only post events.
type ui struct {
	c      *client.Client
	loader *progressive.Loader
	locale string  // navigator.language: inches for en-US
	v      *viewer // nil when WebGL2 is unavailable
	log    *slog.Logger
	events chan any

	// catalog state
	category   string
	query      string
	listSeq    int
	nextOffset int
	categories []string
	products   map[string]wire.Product
	searchTmr  *time.Timer
	listed     bool // a catalog page has been shown

	// product state
	current     string // SKU shown in the product view, "" on the catalog
	cancelModel context.CancelFunc
	opener      string       // SKU whose card opened the product view
	lastPercent atomic.Int64 // progress shown, updated from the client's goroutine

	// sig emits interaction signals and owns the consent banner, the
	// recommendations and the "Your data" page (signals_ui.go).
	sig *signalsUI
	// place runs "View in your room" and "Try on" (place.go); nil on a
	// page without their markup.
	place *placeFlows
	// photo runs "Search by photo" and "Find similar" (search_ui.go).
	photo *searchUI

	// elements
	grid, chips, count, empty, more   js.Value
	catalogView, productView          js.Value
	productName, productCategory      js.Value
	productPrice, productDescription  js.Value
	productDims, productSize          js.Value
	status, conn, progress, bar       js.Value
	overlay, stageMsg, search, mainEl js.Value
}

func newUI(c *client.Client, v *viewer, log *slog.Logger) *ui {
	u := &ui{
		c: c, v: v, log: log,
		loader:             newLoader(c, log),
		locale:             global.Get("navigator").Get("language").String(),
		events:             make(chan any, 64),
		products:           make(map[string]wire.Product),
		grid:               byID("grid"),
		chips:              byID("chips"),
		count:              byID("result-count"),
		empty:              byID("catalog-empty"),
		catalogView:        byID("catalog-view"),
		productView:        byID("product-view"),
		productName:        byID("product-name"),
		productCategory:    byID("product-category"),
		productPrice:       byID("product-price"),
		productDescription: byID("product-description"),
		productDims:        byID("product-dims"),
		productSize:        byID("product-size"),
		status:             byID("status"),
		conn:               byID("conn"),
		progress:           byID("progress"),
		bar:                byID("progress-bar"),
		overlay:            byID("stage-overlay"),
		stageMsg:           byID("stage-message"),
		search:             byID("search"),
		mainEl:             byID("main"),
	}
	u.more = element("button", "more", "Show more products")
	u.more.Set("type", "button")
	setHidden(u.more, true)
	u.grid.Get("parentNode").Call("insertBefore", u.more, u.empty)
	return u
}

// post hands an event to the controller without ever blocking the
// caller: when the queue is full a goroutine waits instead.
func (u *ui) post(ev any) {
	select {
	case u.events <- ev:
	default:
		go func() { u.events <- ev }()
	}
}

// bind wires the DOM callbacks. Each one only reads the event and posts.
func (u *ui) bind() {
	listen(u.grid, "click", func(ev js.Value) {
		card := ev.Get("target").Call("closest", "a.card")
		if card.IsNull() || !plainClick(ev) {
			return
		}
		ev.Call("preventDefault")
		u.pushPath(card.Call("getAttribute", "href").String())
	})
	listen(u.chips, "click", func(ev js.Value) {
		chip := ev.Get("target").Call("closest", "button[data-category]")
		if chip.IsNull() {
			return
		}
		u.post(evCategory{category: chip.Get("dataset").Get("category").String()})
	})
	listen(u.more, "click", func(js.Value) { u.post(evMore{}) })
	listen(u.search, "input", func(js.Value) { u.post(evSearchText{text: u.search.Get("value").String()}) })
	listen(byID("search-form"), "submit", func(ev js.Value) {
		ev.Call("preventDefault")
		u.post(evSearchFire{text: u.search.Get("value").String()})
	})
	for _, id := range []string{"back", "brand"} {
		listen(byID(id), "click", func(ev js.Value) {
			if !plainClick(ev) {
				return
			}
			ev.Call("preventDefault")
			u.pushPath("/")
		})
	}
	listen(global, "popstate", func(js.Value) {
		u.post(evNavigate{path: routePath()})
	})
	dimsToggle := byID("dims-toggle")
	listen(dimsToggle, "click", func(js.Value) {
		on := dimsToggle.Call("getAttribute", "aria-pressed").String() != "true"
		dimsToggle.Call("setAttribute", "aria-pressed", fmt.Sprint(on))
		if u.v != nil {
			go u.v.do(func() { u.v.dims.setOn(on) })
		}
	})
	// Arrow keys on the focused canvas turn the model instead of
	// scrolling the page.
	listen(byID("g3n-canvas"), "keydown", func(ev js.Value) {
		if strings.HasPrefix(ev.Get("key").String(), "Arrow") {
			ev.Call("preventDefault")
		}
	})
}

// pushPath records path in the history and shows it. Called from JS
// callbacks: it only touches history and posts.
func (u *ui) pushPath(path string) {
	if routePath() != path {
		global.Get("history").Call("pushState", nil, "", path)
	}
	u.post(evNavigate{path: path})
}

// loop runs the controller until ctx ends.
func (u *ui) loop(ctx context.Context) {
	u.post(evNavigate{path: routePath()})
	u.list(ctx, false)
	for {
		var ev any
		select {
		case <-ctx.Done():
			return
		case ev = <-u.events:
		}
		switch ev := ev.(type) {
		case evNavigate:
			u.navigate(ctx, ev.path)
		case evSearchText:
			if u.searchTmr != nil {
				u.searchTmr.Stop()
			}
			text := ev.text
			u.searchTmr = time.AfterFunc(searchDebounce, func() { u.post(evSearchFire{text: text}) })
		case evSearchFire:
			q := strings.TrimSpace(ev.text)
			if len(q) > wire.MaxQueryBytes {
				q = q[:wire.MaxQueryBytes]
			}
			if q != u.query {
				u.query = q
				u.list(ctx, false)
			}
			if u.current != "" {
				u.pushPath("/")
			}
		case evCategory:
			if ev.category != u.category {
				u.category = ev.category
				u.renderChips()
				u.list(ctx, false)
			}
		case evMore:
			u.list(ctx, true)
		case evCatalog:
			u.showCatalog(ev)
		case evProduct:
			if ev.sku == u.current {
				if ev.err != nil {
					u.modelFailed(ev.sku, ev.err)
				} else {
					u.products[ev.sku] = ev.product
					u.fillProduct(ev.product)
					u.loadModel(ctx, ev.product)
				}
			}
		case evModelShown:
			if ev.sku == u.current {
				u.modelShown(ev)
			}
		case evModelFailed:
			if ev.sku == u.current {
				u.modelFailed(ev.sku, ev.err)
			}
		case evConn:
			u.showConn(ev.state)
			if ev.state == client.Connected && !u.listed {
				u.list(ctx, false)
			}
		case uiTask:
			ev(ctx, u)
		}
	}
}

// navigate shows the catalog for "/" and a product for "/p/{sku}".
func (u *ui) navigate(ctx context.Context, path string) {
	if u.sig.navigate(ctx, path) {
		return // the "Your data" page
	}
	if sku, ok := strings.CutPrefix(path, productPathPrefix); ok {
		if sku, err := url.PathUnescape(sku); err == nil && sku != "" && len(sku) <= wire.MaxSKUBytes {
			u.openProduct(ctx, sku)
			return
		}
	}
	u.closeProduct()
}

// list fetches a catalog page in the background; older answers are
// dropped by sequence number.
func (u *ui) list(ctx context.Context, more bool) {
	u.listSeq++
	seq := u.listSeq
	req := wire.CatalogList{Category: u.category, Query: u.query, Limit: pageSize}
	if more {
		req.Offset = u.nextOffset
	}
	setText(u.count, "Loading products…")
	go func() {
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		reply, err := u.c.CatalogList(callCtx, req)
		u.post(evCatalog{seq: seq, append: more, reply: reply, err: err})
	}()
}

func (u *ui) showCatalog(ev evCatalog) {
	if ev.seq != u.listSeq {
		return // a newer search or category is on its way
	}
	if ev.err != nil {
		u.log.Error("catalog.list failed", "err", ev.err)
		setText(u.count, "Products could not be loaded. Retrying when the connection is back.")
		u.listed = false
		return
	}
	u.listed = true
	if !ev.append {
		u.grid.Set("textContent", "")
	}
	for _, p := range ev.reply.Products {
		u.products[p.SKU] = p
		u.grid.Call("appendChild", productCard(p))
	}
	if u.category == "" && u.query == "" && len(ev.reply.Categories) > 0 || len(u.categories) == 0 {
		u.categories = ev.reply.Categories
		u.renderChips()
	}
	u.nextOffset = ev.reply.NextOffset
	setHidden(u.more, ev.reply.NextOffset == 0)
	shown := u.grid.Get("children").Get("length").Int()
	setHidden(u.empty, ev.reply.Total > 0)
	noun := "products"
	if ev.reply.Total == 1 {
		noun = "product"
	}
	summary := fmt.Sprintf("%d %s", ev.reply.Total, noun)
	if shown < ev.reply.Total {
		summary = fmt.Sprintf("Showing %d of %d %s", shown, ev.reply.Total, noun)
	}
	setText(u.count, summary)
	if u.current == "" {
		if u.query != "" || u.category != "" {
			u.announce(summary + " found.")
		}
		setBodyState("ready")
	}
}

// cardMedia is a card's picture box: the poster (lazy, side px square
// hint) or a "No photo" placeholder when the URL is not a media URL.
func cardMedia(class, posterURL string, side int) js.Value {
	media := element("div", class, "")
	if src, ok := safeMediaURL(posterURL); ok {
		img := element("img", "", "")
		img.Set("src", src)
		img.Set("alt", "")
		img.Set("loading", "lazy")
		img.Set("decoding", "async")
		img.Set("width", side)
		img.Set("height", side)
		media.Call("appendChild", img)
	} else {
		media.Call("appendChild", element("span", "card-noimage", "No photo"))
	}
	return media
}

// appendNameAndPrice adds a small card's title (the SKU when the name is
// missing) and, when known, its price, with classes prefix-title and
// prefix-price.
func appendNameAndPrice(body js.Value, prefix, name, sku string, price float64, currency string) {
	if name == "" {
		name = sku
	}
	body.Call("appendChild", element("h3", prefix+"-title", name))
	if currency != "" || price != 0 {
		body.Call("appendChild", element("p", prefix+"-price", format.Price(price, currency)))
	}
}

// productCard builds a catalog card: a link to the product's page, so it
// works with the keyboard, middle-click and screen readers alike.
func productCard(p wire.Product) js.Value {
	li := element("li", "card-item", "")
	a := element("a", "card", "")
	a.Set("href", productPathPrefix+url.PathEscape(p.SKU))
	a.Get("dataset").Set("sku", p.SKU)
	media := cardMedia("card-media", p.PosterURL, 400)
	if p.ModelBytes > 0 {
		badge := element("span", "badge", "3D")
		badge.Set("title", "Has a 3D model")
		media.Call("appendChild", badge)
	}
	body := element("div", "card-body", "")
	body.Call("appendChild", element("p", "card-category", p.Category))
	body.Call("appendChild", element("h2", "card-title", p.Name))
	body.Call("appendChild", element("p", "card-price", format.Price(p.Price, p.Currency)))
	dims := element("p", "card-dims", "")
	dims.Call("appendChild", element("span", "visually-hidden", "Dimensions: "))
	dims.Call("appendChild", document.Call("createTextNode", format.Dimensions(p.DimensionsM)))
	body.Call("appendChild", dims)
	a.Call("appendChild", media)
	a.Call("appendChild", body)
	li.Call("appendChild", a)
	return li
}

// categoryLabel shows a catalog category ("eyewear") as a label
// ("Eyewear").
func categoryLabel(c string) string {
	if c == "" {
		return ""
	}
	return strings.ToUpper(c[:1]) + c[1:]
}

func (u *ui) renderChips() {
	u.chips.Set("textContent", "")
	all := append([]string{""}, u.categories...)
	for _, c := range all {
		label := categoryLabel(c)
		if c == "" {
			label = "All"
		}
		li := element("li", "", "")
		b := element("button", "chip", label)
		b.Set("type", "button")
		b.Get("dataset").Set("category", c)
		b.Call("setAttribute", "aria-pressed", fmt.Sprint(c == u.category))
		li.Call("appendChild", b)
		u.chips.Call("appendChild", li)
	}
}

// openProduct shows the product view for sku and starts its model.
func (u *ui) openProduct(ctx context.Context, sku string) {
	if sku == u.current {
		return
	}
	u.stopModel()
	u.current = sku
	u.opener = sku
	u.sig.productOpened(ctx, sku)
	u.photo.productOpened(sku)
	setHidden(u.catalogView, true)
	setHidden(u.productView, false)
	setBodyState("product")
	global.Call("scrollTo", 0, 0)
	u.overlay.Get("classList").Call("remove", "compact")
	u.showProgress(0, 0, "Loading 3D model…")
	setText(u.productSize, "—")
	if u.v != nil {
		go u.v.do(func() {
			u.v.clear()
			u.v.setVisible(true)
		})
	}
	if p, ok := u.products[sku]; ok {
		u.fillProduct(p)
		u.loadModel(ctx, p)
	} else {
		u.fillProduct(wire.Product{SKU: sku, Name: "Loading…"})
		go func() {
			callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			p, err := u.c.CatalogGet(callCtx, sku)
			u.post(evProduct{sku: sku, product: p, err: err})
		}()
	}
	u.productName.Call("focus")
}

func (u *ui) fillProduct(p wire.Product) {
	u.place.setProduct(p)
	setText(u.productName, p.Name)
	setText(u.productCategory, p.Category)
	if p.Currency != "" || p.Price != 0 {
		setText(u.productPrice, format.Price(p.Price, p.Currency))
	} else {
		setText(u.productPrice, "")
	}
	setText(u.productDescription, p.Description)
	setHidden(u.productDescription, p.Description == "")
	if p.DimensionsM != (wire.Dimensions{}) {
		setText(u.productDims, format.DimensionsFor(p.DimensionsM, u.locale))
		u.productDims.Call("setAttribute", "aria-label", format.DimensionsSpoken(p.DimensionsM))
	} else {
		setText(u.productDims, "—")
	}
	if p.Name != "" && p.Name != "Loading…" {
		document.Set("title", p.Name+" — Vitrine")
	}
}

// newLoader builds the progressive loader: the client as the model
// source (counting every model.open in window.vitrineModelOpens for the
// end-to-end tests) and the browser's Cache Storage when it has one.
func newLoader(c *client.Client, log *slog.Logger) *progressive.Loader {
	global.Set("vitrineModelOpens", 0)
	l := &progressive.Loader{
		Open:         countingOpener{c},
		OnCacheError: func(err error) { log.Warn("model cache", "err", err) },
	}
	if cache := newBrowserCache(); cache != nil {
		l.Cache = cache
	}
	return l
}

// countingOpener counts the model streams opened, for tests.
type countingOpener struct{ c *client.Client }

func (o countingOpener) Open(ctx context.Context, req client.ModelRequest) (client.Model, error) {
	global.Set("vitrineModelOpens", global.Get("vitrineModelOpens").Int()+1)
	if lods := global.Get("vitrineOpenLODs"); lods.Truthy() {
		lods.Call("push", req.LOD) // the level each model.open asks for
	}
	return o.c.Open(ctx, req)
}

// loadModel loads p's model level by level in the background (coarsest
// first, from the cache when it holds it) and hands each level to the
// viewer as soon as it is decoded.
func (u *ui) loadModel(ctx context.Context, p wire.Product) {
	u.variantsReset() // variants.go
	if u.v == nil {
		u.modelFailed(p.SKU, errors.New("this browser cannot show 3D (WebGL2 is unavailable)"))
		return
	}
	if p.ModelBytes == 0 && p.Status != "" && p.Status != wire.StatusReady {
		u.modelFailed(p.SKU, errors.New("this product has no 3D model yet"))
		return
	}
	u.announce("Loading " + p.Name + "…")
	mctx, cancel := context.WithCancel(ctx)
	u.cancelModel = cancel
	u.lastPercent.Store(-1)
	sku := p.SKU
	started := time.Now()
	global.Set("vitrineLevels", global.Get("Array").New())
	global.Set("vitrineOpenLODs", global.Get("Array").New())
	go func() {
		deliver := func(lv progressive.Level) error {
			decoded, err := glb.Decode(lv.Data, glb.Limits{})
			if err != nil {
				return fmt.Errorf("level %d: %w", lv.Level, err)
			}
			if len(decoded.Meshes) == 0 {
				return errors.New("the model has no surfaces to show")
			}
			textures := make([]*image.RGBA, len(decoded.Images))
			for i, img := range decoded.Images {
				rgba, err := glb.DecodeImage(img, maxTextureSide)
				if err != nil {
					// A broken texture should not hide the shape.
					u.log.Warn("texture skipped", "sku", sku, "image", i, "err", err)
					continue
				}
				textures[i] = rgba
			}
			if mctx.Err() != nil {
				return mctx.Err()
			}
			opts := showOptions{sku: sku, placement: p.Placement, boundsMin: lv.Meta.BoundsMin, boundsMax: lv.Meta.BoundsMax,
				dims: p.DimensionsM, locale: u.locale}
			ev := evModelShown{sku: sku, level: lv.Level, final: lv.Final, fromCache: lv.FromCache, sizeBytes: int64(len(lv.Data))}
			u.v.do(func() {
				if mctx.Err() != nil {
					return // the shopper moved on while this was decoding
				}
				u.v.show(decoded, textures, opts)
				u.variantsShown(u.v, decoded, textures, sku) // variants.go
				global.Get("vitrineLevels").Call("push", lv.Level)
				u.post(ev)
			})
			return nil
		}
		progress := func(pr progressive.Progress) { u.showLevelProgress(pr) }
		err := u.loadLevels(mctx, sku, p.Version, p.LODs, deliver, progress) // lodpreview.go
		if err != nil && mctx.Err() == nil {
			u.post(evModelFailed{sku: sku, err: err})
			return
		}
		global.Set("vitrineModelLoadMs", time.Since(started).Milliseconds())
	}()
}

// modelShown updates the page when a level appeared: the first one
// replaces the loading overlay by a slim bar while finer levels stream;
// the final one announces the product and its size.
func (u *ui) modelShown(ev evModelShown) {
	p := u.products[ev.sku]
	setText(u.productSize, format.Bytes(ev.sizeBytes))
	if !ev.final {
		u.overlay.Get("classList").Call("add", "compact")
		setText(u.stageMsg, "Showing a preview · loading full detail…")
		setBodyState("model-preview")
		return
	}
	setHidden(u.overlay, true)
	u.overlay.Get("classList").Call("remove", "compact")
	source := ""
	if ev.fromCache {
		source = " (saved on this device)"
	}
	u.announce(fmt.Sprintf("%s loaded. 3D model, %s%s. %s.", p.Name, format.Bytes(ev.sizeBytes), source, format.DimensionsSpoken(p.DimensionsM)))
	u.sig.modelLoaded(ev.sku)
	u.place.modelReady(ev.sku)
	setBodyState("model-loaded")
}

// showLevelProgress shows bytes and levels; it may run on any goroutine.
func (u *ui) showLevelProgress(pr progressive.Progress) {
	msg := ""
	if pr.TotalBytes > 0 {
		msg = fmt.Sprintf("Downloading 3D model… %s of %s", format.Bytes(pr.HeldBytes), format.Bytes(pr.TotalBytes))
		if pr.LevelsTotal > 1 {
			msg += fmt.Sprintf(" · detail level %d of %d", min(pr.LevelsDone+1, pr.LevelsTotal), pr.LevelsTotal)
		}
	}
	u.showProgress(pr.HeldBytes, pr.TotalBytes, msg)
}

// showProgress updates the download bar; it may run on any goroutine.
func (u *ui) showProgress(held, total int64, message string) {
	pct := 0
	if total > 0 {
		pct = int(held * 100 / total)
	}
	if u.lastPercent.Swap(int64(pct)) == int64(pct) && (message == "" || total > 0) {
		return
	}
	if u.overlay.Get("classList").Call("contains", "compact").Bool() && total > 0 && held >= total {
		return // the last level is decoding; modelShown hides the bar
	}
	setHidden(u.overlay, false)
	u.overlay.Get("classList").Call("remove", "failed")
	u.bar.Get("style").Set("width", fmt.Sprintf("%d%%", pct))
	u.progress.Call("setAttribute", "aria-valuenow", pct)
	if message == "" && total > 0 {
		message = fmt.Sprintf("Downloading 3D model… %s of %s", format.Bytes(held), format.Bytes(total))
	}
	if message != "" {
		setText(u.stageMsg, message)
	}
}

func (u *ui) modelFailed(sku string, err error) {
	u.log.Error("model failed", "sku", sku, "err", err)
	name := u.products[sku].Name
	if name == "" {
		name = "This product"
	}
	msg := name + " could not be shown in 3D."
	var werr *wire.Error
	switch {
	case errors.As(err, &werr) && werr.Code == wire.CodeNotFound:
		msg = "This product was not found."
	case errors.As(err, &werr) && werr.Code == wire.CodeNotReady:
		msg = name + " has no 3D model yet."
	case err != nil && strings.Contains(err.Error(), "WebGL2"):
		msg = "Your browser cannot show 3D models (WebGL2 is unavailable)."
	}
	setHidden(u.overlay, false)
	u.overlay.Get("classList").Call("remove", "compact")
	u.overlay.Get("classList").Call("add", "failed")
	setText(u.stageMsg, msg)
	u.announce(msg)
	setBodyState("error")
}

func (u *ui) stopModel() {
	if u.cancelModel != nil {
		u.cancelModel()
		u.cancelModel = nil
	}
}

// closeProduct returns to the catalog and puts focus back on the card
// that opened the product.
func (u *ui) closeProduct() {
	wasOpen := u.current != ""
	u.place.leave()
	u.stopModel()
	u.current = ""
	setHidden(u.productView, true)
	setHidden(u.catalogView, false)
	document.Set("title", "Vitrine — see it in 3D")
	if u.v != nil {
		go u.v.do(func() {
			u.v.setVisible(false)
			u.v.clear()
		})
	}
	if u.listed {
		setBodyState("ready")
	}
	u.sig.catalogShown()
	if wasOpen {
		card := u.grid.Call("querySelector", fmt.Sprintf(`a.card[href="%s"]`, productPathPrefix+url.PathEscape(u.opener)))
		if !card.IsNull() {
			card.Call("focus")
		} else {
			u.mainEl.Call("focus")
		}
	}
}

func (u *ui) showConn(s client.State) {
	u.conn.Get("dataset").Set("conn", s.String())
	switch s {
	case client.Connected:
		setText(u.conn, "Online")
	case client.Reconnecting:
		setText(u.conn, "Offline — reconnecting…")
	default:
		setText(u.conn, "Connecting…")
	}
}

// maxAnnouncementsKept bounds window.vitrineAnnouncements.
const maxAnnouncementsKept = 50

// announce speaks text through the polite live region.
func (u *ui) announce(text string) { announceIn(u.status, text) }

// announceIn speaks text through the live region status. Clearing first
// makes a repeated message heard again. A later message replaces an
// earlier one in the region (a screen reader has spoken both), so the
// recent ones are also kept, newest last, in window.vitrineAnnouncements
// for tests.
func announceIn(status js.Value, text string) {
	setText(status, "")
	setText(status, text)
	kept := global.Get("vitrineAnnouncements")
	if kept.Type() != js.TypeObject {
		kept = global.Get("Array").New()
		global.Set("vitrineAnnouncements", kept)
	}
	kept.Call("push", text)
	if kept.Length() > maxAnnouncementsKept {
		kept.Call("shift")
	}
}
