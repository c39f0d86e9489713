//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"image"
	"net/url"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/format"
	"github.com/vitrine-shop/vitrine/wasm/photoquery"
	"github.com/vitrine-shop/vitrine/wire"
)

// Visual search in the viewer: "Search by photo" in the header opens a
// panel at the top of the shop where the shopper takes or chooses a
// photo, frames the product with a crop rectangle (pointer or keyboard)
// and searches; "Find similar" on a product page searches with the
// product's own pictures. Photo preparation (decode, EXIF orientation,
// crop, resize, JPEG) is package photoquery; the upload is
// client.SearchImage.
//
// Test hooks: #photo-search and #similar carry data-state: "idle",
// "decoding", "ready" (photo chosen), "searching", "results", "empty" or
// "error"; #similar's data-context is the product its list is for. Result
// cards are a.ps-card with data-sku.

const (
	// similarCount is how many products "Find similar" shows.
	similarCount = 8
	// photoResults is how many products a photo search shows.
	photoResults = 12
	// searchTimeout bounds a whole search, upload included.
	searchTimeout = 60 * time.Second
)

// searchUI is the photo search panel and the "Find similar" list.
type searchUI struct {
	u *ui

	headerBtn js.Value
	panel     js.Value
	fileInput js.Value
	camInput  js.Value
	cropWrap  js.Value
	stage     js.Value
	preview   js.Value
	box       js.Value
	cropSay   js.Value
	submit    js.Value
	status    js.Value
	photoList *resultsList
	// The photo search's filters: a category select and an "up to"
	// price.
	category   js.Value
	priceMax   js.Value
	priceLabel js.Value

	similarBtn js.Value
	similar    *resultsList

	// mu guards the crop, which pointer and key callbacks change.
	mu   sync.Mutex
	crop photoquery.Rect
	drag *cropDrag

	// Owned by the controller goroutine.
	photo      image.Image // the chosen photo, upright
	previewURL string
	photoSeq   int
	similarSeq int
}

// cropDrag is a pointer dragging the crop frame or its corner.
type cropDrag struct {
	pointer       int
	resize        bool
	x0, y0        float64
	start         photoquery.Rect
	width, height float64
}

// resultsList is a section of result cards.
type resultsList struct {
	section, heading, note, list js.Value
}

func newSearchUI(u *ui) *searchUI {
	s := &searchUI{u: u, crop: photoquery.Full()}
	s.buildPanel()
	s.buildSimilar()
	return s
}

func (s *searchUI) buildPanel() {
	s.headerBtn = element("button", "header-link ps-open", "Search by photo")
	s.headerBtn.Set("type", "button")
	s.headerBtn.Set("id", "photo-search-open")
	s.headerBtn.Call("setAttribute", "aria-controls", "photo-search")
	s.headerBtn.Call("setAttribute", "aria-expanded", "false")
	if link := byID("your-data-link"); !link.IsNull() {
		link.Get("parentNode").Call("insertBefore", s.headerBtn, link)
	}

	p := element("section", "ps", "")
	p.Set("id", "photo-search")
	p.Call("setAttribute", "aria-labelledby", "ps-heading")
	p.Get("dataset").Set("state", "idle")
	setHidden(p, true)
	s.panel = p

	head := element("div", "ps-head", "")
	h := element("h2", "", "Search by photo")
	h.Set("id", "ps-heading")
	h.Set("tabIndex", -1)
	closeBtn := element("button", "ps-close", "Close")
	closeBtn.Set("type", "button")
	closeBtn.Call("setAttribute", "aria-label", "Close photo search")
	head.Call("appendChild", h)
	head.Call("appendChild", closeBtn)
	p.Call("appendChild", head)
	p.Call("appendChild", element("p", "ps-lede", "Take or choose a photo of something you like. Frame the product, and we will show the products that look most like it."))

	source := element("div", "ps-source", "")
	s.fileInput = fileInput("ps-file", false)
	chooseLabel := element("label", "action primary", "Choose a photo")
	chooseLabel.Set("htmlFor", "ps-file")
	s.camInput = fileInput("ps-camera", true)
	camLabel := element("label", "action", "Take a photo")
	camLabel.Set("htmlFor", "ps-camera")
	source.Call("appendChild", s.fileInput)
	source.Call("appendChild", chooseLabel)
	source.Call("appendChild", s.camInput)
	source.Call("appendChild", camLabel)
	p.Call("appendChild", source)

	s.cropWrap = element("div", "ps-crop", "")
	setHidden(s.cropWrap, true)
	s.stage = element("div", "ps-stage", "")
	s.preview = element("img", "ps-preview", "")
	s.preview.Set("alt", "Your photo")
	s.preview.Set("draggable", false)
	s.box = element("div", "ps-box", "")
	s.box.Set("tabIndex", 0)
	s.box.Call("setAttribute", "role", "group")
	s.box.Call("setAttribute", "aria-label", "Crop frame")
	s.box.Call("setAttribute", "aria-describedby", "ps-crop-help ps-crop-say")
	handle := element("span", "ps-handle", "")
	handle.Call("setAttribute", "aria-hidden", "true")
	s.box.Call("appendChild", handle)
	s.stage.Call("appendChild", s.preview)
	s.stage.Call("appendChild", s.box)
	s.cropWrap.Call("appendChild", s.stage)
	help := element("p", "ps-help", "Drag the frame to move it and its corner to resize it. On the focused frame: arrow keys move it, Shift + arrow keys resize it.")
	help.Set("id", "ps-crop-help")
	s.cropWrap.Call("appendChild", help)
	s.cropSay = element("p", "visually-hidden", "")
	s.cropSay.Set("id", "ps-crop-say")
	s.cropWrap.Call("appendChild", s.cropSay)
	s.cropWrap.Call("appendChild", s.buildFilters())
	buttons := element("div", "ps-buttons", "")
	s.submit = element("button", "action primary", "Search")
	s.submit.Set("type", "button")
	s.submit.Set("id", "ps-submit")
	whole := element("button", "action", "Use the whole photo")
	whole.Set("type", "button")
	buttons.Call("appendChild", s.submit)
	buttons.Call("appendChild", whole)
	s.cropWrap.Call("appendChild", buttons)
	p.Call("appendChild", s.cropWrap)

	s.status = element("p", "ps-status", "")
	s.status.Set("id", "ps-status")
	setHidden(s.status, true)
	p.Call("appendChild", s.status)

	s.photoList = newResultsList("ps-results", "Products that look like your photo")
	setHidden(s.photoList.section, false)
	setHidden(s.photoList.heading, true)
	p.Call("appendChild", s.photoList.section)

	if head := document.Call("querySelector", "#catalog-view .catalog-head"); !head.IsNull() {
		head.Get("parentNode").Call("insertBefore", p, head.Get("nextSibling"))
	}

	listen(s.headerBtn, "click", func(js.Value) {
		s.u.post(uiTask(func(ctx context.Context, u *ui) { s.toggle(u, s.panel.Get("hidden").Bool()) }))
	})
	listen(closeBtn, "click", func(js.Value) {
		s.u.post(uiTask(func(ctx context.Context, u *ui) { s.toggle(u, false) }))
	})
	listen(p, "keydown", func(ev js.Value) {
		if ev.Get("key").String() == "Escape" {
			s.u.post(uiTask(func(ctx context.Context, u *ui) { s.toggle(u, false) }))
		}
	})
	for _, in := range []js.Value{s.fileInput, s.camInput} {
		in := in
		listen(in, "change", func(js.Value) {
			files := in.Get("files")
			if files.Get("length").Int() == 0 {
				return
			}
			file := files.Index(0)
			in.Set("value", "") // choosing the same file again fires change again
			s.u.post(uiTask(func(ctx context.Context, u *ui) { s.chosen(ctx, file) }))
		})
	}
	listen(s.submit, "click", func(js.Value) {
		s.u.post(uiTask(func(ctx context.Context, u *ui) { s.searchPhoto(ctx) }))
	})
	listen(s.priceMax, "input", func(js.Value) {
		s.u.post(uiTask(func(ctx context.Context, u *ui) {
			// Typing again takes back a refused price's error.
			if s.priceMax.Call("getAttribute", "aria-invalid").String() == "true" {
				s.priceMax.Call("setAttribute", "aria-invalid", "false")
				if s.panel.Get("dataset").Get("state").String() == "error" {
					setSearchState(s.panel, "ready")
					s.say("", false)
				}
			}
		}))
	})
	listen(s.priceMax, "keydown", func(ev js.Value) {
		if ev.Get("key").String() == "Enter" {
			ev.Call("preventDefault")
			s.u.post(uiTask(func(ctx context.Context, u *ui) { s.searchPhoto(ctx) }))
		}
	})
	listen(whole, "click", func(js.Value) {
		s.setCrop(photoquery.Full())
		s.box.Call("focus")
	})
	s.bindCrop()
}

// fileInput is a visually hidden image chooser; its label is the button.
func fileInput(id string, camera bool) js.Value {
	in := element("input", "visually-hidden", "")
	in.Set("type", "file")
	in.Set("id", id)
	in.Set("accept", "image/*")
	if camera {
		// Phones open the rear camera; desktops show the file chooser.
		in.Call("setAttribute", "capture", "environment")
	}
	return in
}

func newResultsList(id, title string) *resultsList {
	r := &resultsList{}
	r.section = element("section", "ps-results", "")
	r.section.Set("id", id)
	r.section.Call("setAttribute", "aria-labelledby", id+"-heading")
	r.heading = element("h2", "ps-results-heading", title)
	r.heading.Set("id", id+"-heading")
	r.note = element("p", "ps-note", "")
	setHidden(r.note, true)
	r.list = element("ul", "ps-list", "")
	r.section.Call("appendChild", r.heading)
	r.section.Call("appendChild", r.note)
	r.section.Call("appendChild", r.list)
	return r
}

// bindCards opens a product from a result card in-page.
func (s *searchUI) bindCards(r *resultsList) {
	listen(r.list, "click", func(ev js.Value) {
		card := ev.Get("target").Call("closest", "a.ps-card")
		if card.IsNull() || !plainClick(ev) {
			return
		}
		ev.Call("preventDefault")
		s.u.pushPath(card.Call("getAttribute", "href").String())
	})
}

// buildFilters makes the photo search's filters: which category, and the
// highest price. The category's options come from the catalog when the
// panel opens (fillCategories).
func (s *searchUI) buildFilters() js.Value {
	f := element("div", "ps-filters", "")
	catField := element("div", "ps-field", "")
	catLabel := element("label", "", "Category")
	catLabel.Set("htmlFor", "ps-category")
	s.category = element("select", "", "")
	s.category.Set("id", "ps-category")
	catField.Call("appendChild", catLabel)
	catField.Call("appendChild", s.category)
	priceField := element("div", "ps-field", "")
	s.priceLabel = element("label", "", "Up to (price)")
	s.priceLabel.Set("htmlFor", "ps-price-max")
	s.priceMax = element("input", "", "")
	s.priceMax.Set("id", "ps-price-max")
	s.priceMax.Set("type", "text")
	s.priceMax.Set("inputMode", "decimal")
	s.priceMax.Set("autocomplete", "off")
	s.priceMax.Set("placeholder", "Any price")
	priceField.Call("appendChild", s.priceLabel)
	priceField.Call("appendChild", s.priceMax)
	f.Call("appendChild", catField)
	f.Call("appendChild", priceField)
	s.fillCategories(nil)
	return f
}

// fillCategories lists "Any category" and the catalog's categories in
// the filter, keeping the choice when it is still offered.
func (s *searchUI) fillCategories(categories []string) {
	chosen := s.category.Get("value").String()
	s.category.Set("textContent", "")
	anyCategory := element("option", "", "Any category")
	anyCategory.Set("value", "")
	s.category.Call("appendChild", anyCategory)
	for _, c := range categories {
		o := element("option", "", categoryLabel(c))
		o.Set("value", c)
		s.category.Call("appendChild", o)
	}
	s.category.Set("value", chosen)
	if s.category.Get("value").String() != chosen {
		s.category.Set("value", "")
	}
}

// labelPrice names the price filter's currency when every product shown
// so far has the same one: "Up to (€)".
func (s *searchUI) labelPrice(products map[string]wire.Product) {
	codes := map[string]bool{}
	for _, p := range products {
		codes[p.Currency] = true
	}
	label := "Up to (price)"
	if len(codes) == 1 {
		for code := range codes {
			if c := format.Currency(code); c != "" {
				label = "Up to (" + c + ")"
			}
		}
	}
	setText(s.priceLabel, label)
}

// toggle opens or closes the photo search panel (controller goroutine).
func (s *searchUI) toggle(u *ui, open bool) {
	s.headerBtn.Call("setAttribute", "aria-expanded", fmt.Sprint(open))
	if !open {
		setHidden(s.panel, true)
		s.headerBtn.Call("focus")
		return
	}
	if u.current != "" {
		u.pushPath("/")
	}
	s.fillCategories(u.categories)
	s.labelPrice(u.products)
	setHidden(s.panel, false)
	s.panel.Call("scrollIntoView", map[string]any{"block": "start"})
	byID("ps-heading").Call("focus")
}

// setCrop moves the crop frame; callable from any callback.
func (s *searchUI) setCrop(r photoquery.Rect) {
	s.mu.Lock()
	s.crop = r.Clamp()
	r = s.crop
	s.mu.Unlock()
	st := s.box.Get("style")
	st.Set("left", fmt.Sprintf("%.3f%%", r.X*100))
	st.Set("top", fmt.Sprintf("%.3f%%", r.Y*100))
	st.Set("width", fmt.Sprintf("%.3f%%", r.W*100))
	st.Set("height", fmt.Sprintf("%.3f%%", r.H*100))
	setText(s.cropSay, r.Describe())
}

func (s *searchUI) currentCrop() photoquery.Rect {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.crop
}

// bindCrop lets the pointer drag the frame (or its corner, to resize)
// and the keyboard move and resize it. The handlers only do arithmetic
// and set styles.
func (s *searchUI) bindCrop() {
	listen(s.box, "pointerdown", func(ev js.Value) {
		if ev.Get("button").Int() != 0 {
			return
		}
		ev.Call("preventDefault")
		rect := s.stage.Call("getBoundingClientRect")
		d := &cropDrag{
			pointer: ev.Get("pointerId").Int(),
			resize:  ev.Get("target").Call("closest", ".ps-handle").Truthy(),
			x0:      ev.Get("clientX").Float(), y0: ev.Get("clientY").Float(),
			start: s.currentCrop(),
			width: rect.Get("width").Float(), height: rect.Get("height").Float(),
		}
		if d.width <= 0 || d.height <= 0 {
			return
		}
		s.mu.Lock()
		s.drag = d
		s.mu.Unlock()
		s.box.Call("setPointerCapture", d.pointer)
		s.box.Call("focus")
	})
	listen(s.box, "pointermove", func(ev js.Value) {
		s.mu.Lock()
		d := s.drag
		s.mu.Unlock()
		if d == nil || ev.Get("pointerId").Int() != d.pointer {
			return
		}
		dx := (ev.Get("clientX").Float() - d.x0) / d.width
		dy := (ev.Get("clientY").Float() - d.y0) / d.height
		if d.resize {
			s.setCrop(d.start.Resize(dx, dy))
		} else {
			s.setCrop(d.start.Move(dx, dy))
		}
	})
	end := func(ev js.Value) {
		s.mu.Lock()
		if s.drag != nil && ev.Get("pointerId").Int() == s.drag.pointer {
			s.drag = nil
		}
		s.mu.Unlock()
	}
	listen(s.box, "pointerup", end)
	listen(s.box, "pointercancel", end)
	listen(s.box, "keydown", func(ev js.Value) {
		next, ok := s.currentCrop().Key(ev.Get("key").String(), ev.Get("shiftKey").Bool())
		if !ok {
			if ev.Get("key").String() == "Enter" {
				ev.Call("preventDefault")
				s.u.post(uiTask(func(ctx context.Context, u *ui) { s.searchPhoto(ctx) }))
			}
			return
		}
		ev.Call("preventDefault")
		s.setCrop(next)
	})
}

// setSearchState sets a panel's test hook and busy state.
func setSearchState(e js.Value, state string) {
	e.Get("dataset").Set("state", state)
	if state == "decoding" || state == "searching" {
		e.Call("setAttribute", "aria-busy", "true")
	} else {
		e.Call("removeAttribute", "aria-busy")
	}
}

// say shows a message in the panel's status line; errors are announced
// at once.
func (s *searchUI) say(text string, isError bool) {
	setText(s.status, text)
	setHidden(s.status, text == "")
	s.status.Get("classList").Call("toggle", "error", isError)
	if text != "" {
		s.u.announce(text)
	}
}

// chosen reads and decodes a chosen file in the background.
func (s *searchUI) chosen(ctx context.Context, file js.Value) {
	s.photoSeq++
	seq := s.photoSeq
	s.photo = nil
	s.submit.Set("disabled", true)
	clearList(s.photoList)
	if size := file.Get("size").Float(); size > photoquery.MaxFileBytes {
		s.failPhoto(photoquery.ErrTooLarge)
		return
	} else if size == 0 {
		s.failPhoto(photoquery.ErrEmpty)
		return
	}
	setSearchState(s.panel, "decoding")
	s.say("Reading your photo…", false)
	go func() {
		buf, err := await(ctx, file.Call("arrayBuffer"))
		var img image.Image
		var preview []byte
		if err == nil {
			arr := global.Get("Uint8Array").New(buf)
			data := make([]byte, arr.Get("length").Int())
			js.CopyBytesToGo(data, arr)
			img, err = photoquery.Decode(data)
			if err == nil {
				preview, err = photoquery.Preview(img)
			}
		} else {
			err = fmt.Errorf("%w: %v", photoquery.ErrBroken, err)
		}
		s.u.post(uiTask(func(ctx context.Context, u *ui) {
			if seq != s.photoSeq {
				return
			}
			if err != nil {
				s.failPhoto(err)
				return
			}
			s.showPhoto(img, preview)
		}))
	}()
}

func (s *searchUI) failPhoto(err error) {
	s.u.log.Warn("photo search: photo rejected", "err", err)
	setHidden(s.cropWrap, true)
	setSearchState(s.panel, "error")
	s.say(photoquery.Message(err), true)
}

// showPhoto shows the upright preview with the crop frame over all of it.
func (s *searchUI) showPhoto(img image.Image, preview []byte) {
	s.photo = img
	if s.previewURL != "" {
		global.Get("URL").Call("revokeObjectURL", s.previewURL)
	}
	arr := global.Get("Uint8Array").New(len(preview))
	js.CopyBytesToJS(arr, preview)
	blob := global.Get("Blob").New([]any{arr}, map[string]any{"type": "image/jpeg"})
	s.previewURL = global.Get("URL").Call("createObjectURL", blob).String()
	s.preview.Set("src", s.previewURL)
	b := img.Bounds()
	s.stage.Get("style").Set("aspectRatio", fmt.Sprintf("%d / %d", b.Dx(), b.Dy()))
	s.setCrop(photoquery.Full())
	setHidden(s.cropWrap, false)
	s.submit.Set("disabled", false)
	setSearchState(s.panel, "ready")
	s.say("", false)
	s.u.announce("Photo ready. Adjust the crop frame if you like, then choose Search.")
	s.box.Call("focus")
}

// searchPhoto prepares the cropped photo and searches with it.
func (s *searchUI) searchPhoto(ctx context.Context) {
	if s.photo == nil || s.panel.Get("dataset").Get("state").String() == "searching" {
		return
	}
	priceMax, err := photoquery.ParsePriceMax(s.priceMax.Get("value").String())
	s.priceMax.Call("setAttribute", "aria-invalid", fmt.Sprint(err != nil))
	if err != nil {
		s.failSearch(err)
		s.priceMax.Call("focus")
		return
	}
	req := wire.SearchImage{K: photoResults, Category: s.category.Get("value").String(), PriceMax: priceMax}
	filtered := req.Category != "" || req.PriceMax > 0
	s.photoSeq++
	seq := s.photoSeq
	img, crop := s.photo, s.currentCrop()
	s.submit.Set("disabled", true)
	setSearchState(s.panel, "searching")
	setSearchState(s.photoList.section, "searching")
	s.say("Searching…", false)
	go func() {
		data, err := photoquery.Prepare(img, crop)
		var res wire.SearchResults
		if err == nil {
			callCtx, cancel := context.WithTimeout(ctx, searchTimeout)
			res, err = s.u.c.SearchImage(callCtx, req, data)
			cancel()
		}
		s.u.post(uiTask(func(ctx context.Context, u *ui) {
			if seq != s.photoSeq {
				return
			}
			s.submit.Set("disabled", false)
			if err != nil {
				u.log.Warn("photo search failed", "err", err)
				setSearchState(s.photoList.section, "error")
				s.failSearch(err)
				return
			}
			state := s.render(s.photoList, res.Results)
			hint := photoquery.Hint(res.Hint)
			if state == "results" && hint != "" {
				setText(s.photoList.note, hint)
				setHidden(s.photoList.note, false)
			}
			if state == "empty" && filtered {
				setText(s.photoList.note, "No products in this category or price range look like your photo. Widen the filters, or try another photo.")
			}
			setSearchState(s.panel, state)
			s.say("", false)
			s.photoList.section.Call("scrollIntoView", map[string]any{"block": "start"})
			if state == "results" {
				u.announce(strings.TrimSpace(fmt.Sprintf("%d products look like your photo. Best match: %s, %d%% match. %s",
					len(res.Results), res.Results[0].Name, photoquery.Percent(res.Results[0].Score), hint)))
			} else {
				u.announce("No products look like your photo. Try framing the product more closely.")
			}
		}))
	}()
}

func (s *searchUI) failSearch(err error) {
	setSearchState(s.panel, "error")
	s.say(photoquery.Message(err), true)
}

// render fills a list with result cards and returns "results" or "empty".
func (s *searchUI) render(r *resultsList, results []wire.SearchResult) string {
	r.list.Set("textContent", "")
	for i, res := range results {
		r.list.Call("appendChild", resultCard(res, i))
	}
	setHidden(r.heading, false)
	state := "results"
	if len(results) == 0 {
		state = "empty"
		setText(r.note, "No products look similar enough. Try another photo, or frame the product more closely.")
	}
	setHidden(r.note, len(results) > 0)
	setSearchState(r.section, state)
	return state
}

func clearList(r *resultsList) {
	r.list.Set("textContent", "")
	setHidden(r.note, true)
	setHidden(r.heading, true)
	setSearchState(r.section, "idle")
}

// resultCard is one found product: poster, name, price, how close it is
// and why, linking to the product.
func resultCard(r wire.SearchResult, rank int) js.Value {
	li := element("li", "ps-item", "")
	a := element("a", "ps-card", "")
	a.Set("href", productPathPrefix+url.PathEscape(r.SKU))
	ds := a.Get("dataset")
	ds.Set("sku", r.SKU)
	ds.Set("rank", rank)
	media := cardMedia("ps-media", r.PosterURL, 240)
	body := element("div", "ps-body", "")
	appendNameAndPrice(body, "ps", r.Name, r.SKU, r.Price, r.Currency)
	pct := photoquery.Percent(r.Score)
	score := element("div", "ps-score", "")
	meter := element("span", "ps-meter", "")
	meter.Call("setAttribute", "aria-hidden", "true")
	fill := element("span", "ps-meter-fill", "")
	fill.Get("style").Set("width", fmt.Sprintf("%d%%", pct))
	meter.Call("appendChild", fill)
	score.Call("appendChild", meter)
	score.Call("appendChild", element("span", "ps-percent", fmt.Sprintf("%d%% match", pct)))
	body.Call("appendChild", score)
	why := element("p", "ps-why", "")
	why.Call("appendChild", element("span", "visually-hidden", "Why: "))
	why.Call("appendChild", document.Call("createTextNode", photoquery.Why(r.Why)))
	body.Call("appendChild", why)
	a.Call("appendChild", media)
	a.Call("appendChild", body)
	li.Call("appendChild", a)
	return li
}

// buildSimilar adds "Find similar" to the product page and its list
// after the product's details.
func (s *searchUI) buildSimilar() {
	s.similarBtn = element("button", "action", "Find similar")
	s.similarBtn.Set("type", "button")
	s.similarBtn.Set("id", "find-similar")
	s.similarBtn.Call("setAttribute", "aria-controls", "similar")
	wrap := element("div", "ps-similar-actions", "")
	wrap.Call("appendChild", s.similarBtn)
	if place := byID("place-actions"); !place.IsNull() {
		place.Get("parentNode").Call("insertBefore", wrap, place)
	}
	s.similar = newResultsList("similar", "Similar products")
	s.similar.section.Get("classList").Call("add", "ps-similar")
	setHidden(s.similar.section, true)
	if layout := document.Call("querySelector", "#product-view .product-layout"); !layout.IsNull() {
		layout.Get("parentNode").Call("insertBefore", s.similar.section, layout.Get("nextSibling"))
	}
	s.bindCards(s.photoList)
	s.bindCards(s.similar)
	listen(s.similarBtn, "click", func(js.Value) {
		s.u.post(uiTask(func(ctx context.Context, u *ui) { s.findSimilar(ctx, u) }))
	})
}

// productOpened forgets the previous product's similar list.
func (s *searchUI) productOpened(sku string) {
	if s == nil {
		return
	}
	s.similarSeq++
	s.similar.section.Get("dataset").Set("context", sku)
	clearList(s.similar)
	setHidden(s.similar.section, true)
	s.similarBtn.Set("disabled", false)
}

// findSimilar searches with the shown product's own pictures.
func (s *searchUI) findSimilar(ctx context.Context, u *ui) {
	sku := u.current
	if sku == "" {
		return
	}
	s.similarSeq++
	seq := s.similarSeq
	sec := s.similar.section
	sec.Get("dataset").Set("context", sku)
	setHidden(sec, false)
	setHidden(s.similar.heading, false)
	s.similar.list.Set("textContent", "")
	setText(s.similar.note, "Searching…")
	setHidden(s.similar.note, false)
	setSearchState(sec, "searching")
	s.similarBtn.Set("disabled", true)
	u.announce("Looking for similar products…")
	go func() {
		callCtx, cancel := context.WithTimeout(ctx, searchTimeout)
		res, err := u.c.SearchImage(callCtx, wire.SearchImage{SKU: sku, K: similarCount + 1}, nil)
		cancel()
		u.post(uiTask(func(ctx context.Context, u *ui) {
			if seq != s.similarSeq || u.current != sku {
				return
			}
			s.similarBtn.Set("disabled", false)
			if err != nil {
				u.log.Warn("find similar failed", "sku", sku, "err", err)
				setSearchState(sec, "error")
				msg := photoquery.Message(err)
				setText(s.similar.note, msg)
				setHidden(s.similar.note, false)
				u.announce(msg)
				return
			}
			results := photoquery.Without(res.Results, sku)
			if len(results) > similarCount {
				results = results[:similarCount]
			}
			s.render(s.similar, results)
			u.announce(photoquery.Summary(results))
			sec.Call("scrollIntoView", map[string]any{"block": "start"})
		}))
	}()
}
