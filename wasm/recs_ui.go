//go:build js && wasm

package main

import (
	"context"
	"net/url"
	"strconv"
	"syscall/js"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/recsview"
	"github.com/vitrine-shop/vitrine/wire"
)

// recsUI shows recommendations with their reasons: "You may also like" on
// the product page and "Picked for you" / "Popular" on the front page.
// Both lists are fetched again after every product view, so a view
// changes them within a second. The controller's goroutine owns it.
//
// Test hooks: each section's data-state is "loading", "ready", "empty" or
// "error", data-signature lists the SKUs and kinds shown, and the product
// page's data-context is the product the list is for.
type recsUI struct {
	s       *signalsUI
	product *recsPanel
	home    *recsPanel
}

// recsPanel is one list on the page.
type recsPanel struct {
	slot     string
	section  js.Value
	heading  js.Value
	note     js.Value
	list     js.Value
	seq      int // the newest request; older answers are dropped
	context  string
	lookedUp map[string]bool // SKUs already fetched with catalog.get for this list
}

func newRecsUI(s *signalsUI) *recsUI {
	r := &recsUI{s: s}
	r.product = newRecsPanel(s, wire.RecsSlotProduct, recsview.ProductHeading)
	r.home = newRecsPanel(s, wire.RecsSlotHome, "Popular")
	// On the product page the list follows the details; on the front page
	// it comes before the full catalog.
	if layout := document.Call("querySelector", "#product-view .product-layout"); !layout.IsNull() {
		layout.Get("parentNode").Call("insertBefore", r.product.section, layout.Get("nextSibling"))
	}
	if chips := document.Call("querySelector", "#catalog-view .chips"); !chips.IsNull() {
		chips.Get("parentNode").Call("insertBefore", r.home.section, chips)
	}
	return r
}

func newRecsPanel(s *signalsUI, slot, title string) *recsPanel {
	p := &recsPanel{slot: slot}
	id := "recs-" + slot
	p.section = element("section", "recs", "")
	p.section.Set("id", id)
	p.section.Call("setAttribute", "aria-labelledby", id+"-heading")
	p.section.Get("dataset").Set("state", "empty")
	setHidden(p.section, true)
	p.heading = element("h2", "recs-heading", title)
	p.heading.Set("id", id+"-heading")
	p.note = element("p", "recs-note", "")
	setHidden(p.note, true)
	p.list = element("ul", "recs-list", "")
	p.list.Set("id", id+"-list")
	p.section.Call("appendChild", p.heading)
	p.section.Call("appendChild", p.note)
	p.section.Call("appendChild", p.list)
	listen(p.list, "click", func(ev js.Value) {
		card := ev.Get("target").Call("closest", "a.rec-card")
		if card.IsNull() || !plainClick(ev) {
			return
		}
		ev.Call("preventDefault")
		ds := card.Get("dataset")
		rank, _ := strconv.Atoi(ds.Get("rank").String())
		s.emitNow(wire.Event{Type: wire.EventRecsClick, SKU: ds.Get("sku").String(), Slot: slot, Rank: rank})
		s.u.pushPath(card.Call("getAttribute", "href").String())
	})
	return p
}

// productOpened fetches the list around sku once its product_view is
// acknowledged (or after recsAfterViewWait, when the server is slow).
func (r *recsUI) productOpened(ctx context.Context, sku string, viewed <-chan struct{}) {
	r.product.context = sku
	r.product.section.Get("dataset").Set("context", sku)
	r.product.lookedUp = nil
	r.product.list.Set("textContent", "")
	setHidden(r.product.section, true)
	r.fetch(ctx, r.product, recsview.ProductRequest(sku), viewed)
}

// homeShown fetches the front page's list.
func (r *recsUI) homeShown(ctx context.Context) {
	r.fetch(ctx, r.home, recsview.HomeRequest(), nil)
}

// refresh fetches the list of the view shown again (after a consent
// change).
func (r *recsUI) refresh(ctx context.Context, u *ui) {
	if u.current != "" {
		r.fetch(ctx, r.product, recsview.ProductRequest(u.current), nil)
	} else {
		r.homeShown(ctx)
	}
}

// fetch asks for a list in the background, after the given event is
// acknowledged; the answer is rendered on the controller's goroutine.
func (r *recsUI) fetch(ctx context.Context, p *recsPanel, req wire.RecsGet, after <-chan struct{}) {
	p.seq++
	seq := p.seq
	p.section.Get("dataset").Set("state", "loading")
	p.section.Call("setAttribute", "aria-busy", "true")
	go func() {
		if after != nil {
			t := time.NewTimer(recsAfterViewWait)
			select {
			case <-after:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		var res wire.RecsResults
		err := r.s.c.Call(callCtx, wire.TypeRecsGet, req, &res)
		if err == nil {
			r.s.rememberSession()
		}
		r.s.u.post(uiTask(func(ctx context.Context, u *ui) { r.show(ctx, u, p, seq, res.Items, err) }))
	}()
}

// show renders a list answer unless a newer request is on its way.
// Products the page does not know yet are fetched first.
func (r *recsUI) show(ctx context.Context, u *ui, p *recsPanel, seq int, items []wire.RecItem, err error) {
	if seq != p.seq {
		return
	}
	p.section.Call("removeAttribute", "aria-busy")
	if err != nil {
		r.s.log.Warn("recs.get failed", "slot", p.slot, "err", err)
		p.section.Get("dataset").Set("state", "error")
		setHidden(p.section, true)
		return
	}
	var missing []string
	for _, it := range items {
		if _, ok := u.products[it.SKU]; !ok && !p.lookedUp[it.SKU] {
			missing = append(missing, it.SKU)
		}
	}
	if len(missing) > 0 {
		if p.lookedUp == nil {
			p.lookedUp = make(map[string]bool)
		}
		for _, sku := range missing {
			p.lookedUp[sku] = true
		}
		go func() {
			found := make(map[string]wire.Product)
			for _, sku := range missing {
				callCtx, cancel := context.WithTimeout(ctx, callTimeout)
				prod, err := u.c.CatalogGet(callCtx, sku)
				cancel()
				if err == nil {
					found[sku] = prod
				}
			}
			u.post(uiTask(func(ctx context.Context, u *ui) {
				for sku, prod := range found {
					if _, ok := u.products[sku]; !ok {
						u.products[sku] = prod
					}
				}
				r.show(ctx, u, p, seq, items, nil)
			}))
		}()
		return
	}
	var shown []wire.RecItem
	p.list.Set("textContent", "")
	for _, it := range items {
		prod, ok := u.products[it.SKU]
		if !ok {
			continue // not in the catalog any more
		}
		p.list.Call("appendChild", recCard(prod, it, len(shown)))
		shown = append(shown, it)
	}
	ds := p.section.Get("dataset")
	ds.Set("signature", recsview.Signature(shown))
	if len(shown) == 0 {
		ds.Set("state", "empty")
		setHidden(p.section, true)
		return
	}
	if p.slot == wire.RecsSlotHome {
		setText(p.heading, recsview.HomeHeading(shown))
		setText(p.note, recsview.HomeNote(shown, r.s.consent))
		setHidden(p.note, false)
	}
	ds.Set("state", "ready")
	setHidden(p.section, false)
}

// recCard builds one recommendation: a link to the product with its
// poster, name, price and the reason it is shown.
func recCard(p wire.Product, it wire.RecItem, rank int) js.Value {
	li := element("li", "rec-item", "")
	a := element("a", "rec-card", "")
	a.Set("href", productPathPrefix+url.PathEscape(p.SKU))
	ds := a.Get("dataset")
	ds.Set("sku", p.SKU)
	ds.Set("rank", rank)
	ds.Set("kind", it.Kind)
	media := cardMedia("rec-media", p.PosterURL, 240)
	body := element("div", "rec-body", "")
	appendNameAndPrice(body, "rec", p.Name, p.SKU, p.Price, p.Currency)
	reason := element("p", "rec-reason", "")
	reason.Call("appendChild", element("span", "visually-hidden", "Why it is shown: "))
	reason.Call("appendChild", document.Call("createTextNode", recsview.Reason(it)))
	if recsview.Personal(it) {
		reason.Get("classList").Call("add", "personal")
	}
	body.Call("appendChild", reason)
	a.Call("appendChild", media)
	a.Call("appendChild", body)
	li.Call("appendChild", a)
	return li
}
