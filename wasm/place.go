//go:build js && wasm

package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"syscall/js"

	"github.com/vitrine-shop/vitrine/wasm/client"
	"github.com/vitrine-shop/vitrine/wire"
)

// placeFlows offers "View in your room", "View in AR" and "Try on" on the
// product page, by the product's placement kind, and runs the chosen flow.
// The page controller (ui) tells it which product is shown; everything
// else happens on its own goroutine (loop), fed by events that DOM
// callbacks post without blocking. Logic lives in wasm/placeflow.
type placeFlows struct {
	c      *client.Client
	v      *viewer
	u      *ui
	log    *slog.Logger
	events chan func()

	// owned by loop
	product   wire.Product
	modelOK   bool // the product's final model level is on screen
	xrAR      bool // WebXR immersive-ar with hit-test is available
	room      *roomFlow
	tryon     *tryOnFlow
	cancelRun context.CancelFunc

	actions, roomBtn, arBtn, tryonBtn, panel, stage js.Value
}

func newPlaceFlows(c *client.Client, v *viewer, u *ui, log *slog.Logger) *placeFlows {
	p := &placeFlows{
		c: c, v: v, u: u, log: log,
		events:   make(chan func(), 64),
		actions:  byID("place-actions"),
		roomBtn:  byID("room-open"),
		arBtn:    byID("ar-open"),
		tryonBtn: byID("tryon-open"),
		panel:    byID("place-panel"),
		stage:    byID("stage"),
	}
	if p.actions.IsNull() || p.panel.IsNull() {
		return nil // an older page without the placement markup
	}
	global.Set("vitrinePlace", map[string]any{"state": "closed", "xr": "checking"})
	listen(p.roomBtn, "click", func(js.Value) { p.post(func() { p.openRoom() }) })
	listen(p.tryonBtn, "click", func(js.Value) { p.post(func() { p.openTryOn() }) })
	listen(p.arBtn, "click", func(js.Value) { startAR(p) })
	go p.loop()
	detectAR(func(ok bool, why string) {
		p.post(func() {
			p.xrAR = ok
			hook().Set("xr", why)
			p.showActions()
		})
	})
	return p
}

// hook is window.vitrinePlace, the flows' test hooks.
func hook() js.Value { return global.Get("vitrinePlace") }

// post queues f for the loop without blocking the caller.
func (p *placeFlows) post(f func()) {
	select {
	case p.events <- f:
	default:
		go func() { p.events <- f }()
	}
}

func (p *placeFlows) loop() {
	for f := range p.events {
		f()
	}
}

// setProduct is called by the page controller when a product is shown
// (or "" when it leaves the product view). It never blocks.
func (p *placeFlows) setProduct(prod wire.Product) {
	if p == nil {
		return
	}
	p.post(func() {
		if prod.SKU != p.product.SKU {
			p.closeFlow()
			p.modelOK = false
		}
		p.product = prod
		p.showActions()
	})
}

// modelReady is called when the product's final model level is shown.
func (p *placeFlows) modelReady(sku string) {
	if p == nil {
		return
	}
	p.post(func() {
		if sku == p.product.SKU {
			p.modelOK = true
			p.showActions()
		}
	})
}

// leave is called when the product view closes.
func (p *placeFlows) leave() {
	if p == nil {
		return
	}
	p.post(func() {
		p.closeFlow()
		p.product = wire.Product{}
		p.modelOK = false
		p.showActions()
	})
}

// inRoom reports whether products of this placement are placed in a room.
func inRoom(placement string) bool {
	switch placement {
	case wire.PlacementFloor, wire.PlacementWall, wire.PlacementTable:
		return true
	}
	return false
}

// worn reports whether products of this placement are tried on.
func worn(placement string) bool {
	switch placement {
	case wire.PlacementFace, wire.PlacementWrist, wire.PlacementFeet:
		return true
	}
	return false
}

// showActions shows the buttons that fit the product.
func (p *placeFlows) showActions() {
	pl := p.product.Placement
	room := p.product.SKU != "" && inRoom(pl)
	tryon := p.product.SKU != "" && worn(pl)
	setHidden(p.actions, !(room || tryon))
	setHidden(p.roomBtn, !room)
	setHidden(p.arBtn, !(room && p.xrAR))
	setHidden(p.tryonBtn, !tryon)
	// Placing needs the model on screen; sizing a worn product does not.
	p.roomBtn.Set("disabled", !p.modelOK || p.v == nil)
	p.arBtn.Set("disabled", !p.modelOK || p.v == nil)
	if room && !p.modelOK {
		p.roomBtn.Set("title", "Available once the 3D model has loaded")
	} else {
		p.roomBtn.Call("removeAttribute", "title")
	}
	label := "Try on"
	switch pl {
	case wire.PlacementWrist:
		label = "Find your watch size"
	case wire.PlacementFeet:
		label = "Find your shoe size"
	}
	setText(p.tryonBtn, label)
	p.actions.Get("dataset").Set("placement", pl)
}

// closeFlow ends the open flow, if any, and gives the stage back to the
// 3D view.
func (p *placeFlows) closeFlow() {
	if p.cancelRun != nil {
		p.cancelRun()
		p.cancelRun = nil
	}
	if p.room != nil {
		p.room.close()
		p.room = nil
	}
	if p.tryon != nil {
		p.tryon.close()
		p.tryon = nil
	}
	setHidden(p.panel, true)
	p.panel.Set("textContent", "")
	p.stage.Get("classList").Call("remove", "placing", "trying")
	hook().Set("state", "closed")
}

// openPanel fills the side panel with html (static markup from this
// program, never catalog text) and binds its close button.
func (p *placeFlows) openPanel(html string) {
	p.panel.Set("innerHTML", html)
	setHidden(p.panel, false)
	for _, b := range []js.Value{p.panel.Call("querySelector", ".place-close")} {
		if !b.IsNull() {
			listen(b, "click", func(js.Value) {
				p.post(func() {
					p.closeFlow()
					p.roomBtn.Call("focus")
				})
			})
		}
	}
	p.panel.Call("querySelector", "h2").Call("focus")
}

// announce speaks text through the page's polite live region.
func (p *placeFlows) announce(text string) { announceIn(byID("status"), text) }

// errorText turns a place.* failure into words for the shopper.
func errorText(err error) string {
	var werr *wire.Error
	if errors.As(err, &werr) {
		// The placement service prefixes its messages with its name.
		msg := strings.ReplaceAll(werr.Message, "placement: ", "")
		if i := strings.LastIndex(msg, ": invalid"); i > 0 {
			msg = msg[:i]
		}
		return capitalise(msg) + "."
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "The server did not answer in time. Check your connection and try again."
	}
	return err.Error()
}

// capitalise upper-cases the first letter of a sentence.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
