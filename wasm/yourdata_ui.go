//go:build js && wasm

package main

import (
	"context"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/privacy"
	"github.com/vitrine-shop/vitrine/wire"
)

// yourDataHash is the route of the "Your data" page: /#your-data (the
// server serves the page only for /, /p/{sku} and /merchant, so the page
// lives in the fragment).
const yourDataHash = "#your-data"

// routePath is the location as the controller routes it: the path, plus
// the "Your data" fragment when that is the one shown. Other fragments
// (the skip link's #main) do not change the view.
func routePath() string {
	loc := global.Get("location")
	path := loc.Get("pathname").String()
	if loc.Get("hash").String() == yourDataHash {
		path += yourDataHash
	}
	return path
}

// navigate shows the "Your data" page for its route and reports whether
// it did; for any other route it hides the page and the controller shows
// the route as before.
func (s *signalsUI) navigate(ctx context.Context, path string) bool {
	if strings.HasSuffix(path, yourDataHash) {
		s.data.show(ctx)
		return true
	}
	s.data.hide()
	return false
}

// yourDataMarkup is the page's fixed skeleton; everything from the server
// is filled in with textContent.
const yourDataMarkup = `
<a class="back" href="/" id="your-data-back"><span aria-hidden="true">←</span> Back to the shop</a>
<h1 id="your-data-heading" tabindex="-1">Your data</h1>
<p class="lede">What Vitrine keeps about this visit, why, and what you can do about it.</p>

<section class="data-panel" aria-labelledby="data-held-heading">
  <h2 id="data-held-heading">What is held, and why</h2>
  <p>Your choice: <strong id="data-consent-now">—</strong> <a href="#data-consent-form" id="data-consent-change">Change</a></p>
  <ul id="data-held" class="held-list"></ul>
  <p class="data-note">With every choice the shop works the same: the viewer still sends what you do,
  and with “Only necessary” the server keeps only anonymous counts from it. This visit is identified by a
  random id that this browser tab keeps until you close it.</p>
</section>

<section class="data-panel" aria-labelledby="data-events-heading">
  <h2 id="data-events-heading">Stored events</h2>
  <p id="data-events-summary" class="data-summary" aria-live="polite">Loading…</p>
  <div class="table-wrap" id="data-table-wrap" role="region" aria-labelledby="data-events-heading" tabindex="0" hidden>
    <table id="data-events" class="data-table">
      <caption id="data-events-caption" class="visually-hidden">Events stored about you, newest first</caption>
      <thead>
        <tr><th scope="col">Time</th><th scope="col">What happened</th><th scope="col">Product</th><th scope="col">Details</th></tr>
      </thead>
      <tbody id="data-events-body"></tbody>
    </table>
  </div>
  <p id="data-events-empty" class="data-empty" hidden></p>
  <div class="data-actions">
    <button type="button" id="data-download" class="pill-button">Download my data</button>
    <button type="button" id="data-erase" class="pill-button danger" aria-controls="data-erase-confirm" aria-expanded="false">Erase my data</button>
  </div>
  <div id="data-erase-confirm" class="erase-confirm" role="group" aria-labelledby="data-erase-question" hidden>
    <p id="data-erase-question"></p>
    <div class="data-actions">
      <button type="button" id="data-erase-yes" class="pill-button danger">Yes, erase my data</button>
      <button type="button" id="data-erase-no" class="pill-button">Cancel</button>
    </div>
  </div>
  <p id="data-erase-result" class="data-result" hidden></p>
</section>

<section class="data-panel" aria-labelledby="data-consent-heading">
  <h2 id="data-consent-heading">Change your choice</h2>
  <form id="data-consent-form" class="consent-form" tabindex="-1">
    <fieldset>
      <legend>What may Vitrine record while you shop?</legend>
      <div id="data-consent-options" class="consent-options"></div>
    </fieldset>
    <button type="submit" class="pill-button primary">Save my choice</button>
    <p id="data-consent-saved" class="data-note" hidden></p>
  </form>
</section>`

// yourDataPage is the "Your data" page: the consent in force and the form
// to change it, what is held and why, the stored events as a table, a
// JSON download and erasure with a confirmation. The controller's
// goroutine owns it; the download reads the last export under mu because
// it must run inside the click (browsers allow downloads from a user
// gesture).
//
// Test hook: the section's data-state is "loading", "ready", "erasing" or
// "error".
type yourDataPage struct {
	s     *signalsUI
	view  js.Value
	shown bool
	seq   int

	heading, consentNow, options, saved js.Value
	held, summary, tableWrap, tbody     js.Value
	empty, download, erase, confirm     js.Value
	question, eraseYes, eraseNo, result js.Value

	mu   sync.Mutex
	last *wire.PrivacyExportReply
}

func newYourDataPage(s *signalsUI) *yourDataPage {
	p := &yourDataPage{s: s}
	p.view = element("section", "your-data", "")
	p.view.Set("id", "your-data-view")
	p.view.Call("setAttribute", "aria-labelledby", "your-data-heading")
	p.view.Set("innerHTML", yourDataMarkup)
	setHidden(p.view, true)
	byID("main").Call("appendChild", p.view)
	q := func(id string) js.Value { return p.view.Call("querySelector", "#"+id) }
	p.heading = q("your-data-heading")
	p.consentNow = q("data-consent-now")
	p.options = q("data-consent-options")
	p.saved = q("data-consent-saved")
	p.held = q("data-held")
	p.summary = q("data-events-summary")
	p.tableWrap = q("data-table-wrap")
	p.tbody = q("data-events-body")
	p.empty = q("data-events-empty")
	p.download = q("data-download")
	p.erase = q("data-erase")
	p.confirm = q("data-erase-confirm")
	p.question = q("data-erase-question")
	p.eraseYes = q("data-erase-yes")
	p.eraseNo = q("data-erase-no")
	p.result = q("data-erase-result")

	for _, c := range privacy.Choices {
		id := "data-consent-" + c.Consent
		opt := element("div", "consent-option", "")
		input := element("input", "", "")
		input.Set("type", "radio")
		input.Set("name", "consent")
		input.Set("value", c.Consent)
		input.Set("id", id)
		input.Call("setAttribute", "aria-describedby", id+"-desc")
		label := element("label", "", c.Label)
		label.Set("htmlFor", id)
		desc := element("p", "consent-desc", c.Description)
		desc.Set("id", id+"-desc")
		opt.Call("appendChild", input)
		opt.Call("appendChild", label)
		opt.Call("appendChild", desc)
		p.options.Call("appendChild", opt)
	}
	p.checkConsent(s.consent)

	listen(q("your-data-back"), "click", func(ev js.Value) {
		if !plainClick(ev) {
			return
		}
		ev.Call("preventDefault")
		s.u.pushPath("/")
	})
	listen(byID("your-data-link"), "click", func(ev js.Value) {
		if !plainClick(ev) {
			return
		}
		ev.Call("preventDefault")
		s.u.pushPath("/" + yourDataHash)
	})
	// "Change" moves to the form without touching the fragment, which
	// routes the page.
	listen(q("data-consent-change"), "click", func(ev js.Value) {
		ev.Call("preventDefault")
		target := p.options.Call("querySelector", "input[name=consent]:checked")
		if target.IsNull() {
			target = p.options.Call("querySelector", "input[name=consent]")
		}
		target.Call("scrollIntoView", map[string]any{"block": "center"})
		target.Call("focus")
	})
	listen(q("data-consent-form"), "submit", func(ev js.Value) {
		ev.Call("preventDefault")
		checked := p.options.Call("querySelector", "input[name=consent]:checked")
		if checked.IsNull() {
			return
		}
		level := checked.Get("value").String()
		s.u.post(uiTask(func(ctx context.Context, u *ui) { s.setConsent(ctx, level, p.saved) }))
	})
	listen(p.download, "click", func(js.Value) { p.downloadExport() })
	listen(p.erase, "click", func(js.Value) {
		s.u.post(uiTask(func(context.Context, *ui) { p.askErase() }))
	})
	listen(p.eraseNo, "click", func(js.Value) {
		s.u.post(uiTask(func(context.Context, *ui) { p.closeConfirm(true) }))
	})
	listen(p.eraseYes, "click", func(js.Value) {
		s.u.post(uiTask(func(ctx context.Context, u *ui) { p.eraseNow(ctx) }))
	})
	return p
}

// checkConsent ticks the radio of a level.
func (p *yourDataPage) checkConsent(level string) {
	if in := p.options.Call("querySelector", `input[value="`+privacy.Lookup(level).Consent+`"]`); !in.IsNull() {
		in.Set("checked", true)
	}
	setText(p.consentNow, privacy.Lookup(level).Label)
}

// show opens the page and loads the export.
func (p *yourDataPage) show(ctx context.Context) {
	u := p.s.u
	u.closeProduct()
	setHidden(u.catalogView, true)
	setHidden(p.view, false)
	p.shown = true
	byID("your-data-link").Call("setAttribute", "aria-current", "page")
	document.Set("title", "Your data — Vitrine")
	global.Call("scrollTo", 0, 0)
	p.closeConfirm(false)
	setHidden(p.result, true)
	setHidden(p.saved, true)
	p.checkConsent(p.s.consent)
	p.heading.Call("focus")
	p.load(ctx)
}

// hide closes the page (another route is shown).
func (p *yourDataPage) hide() {
	if !p.shown {
		return
	}
	p.shown = false
	setHidden(p.view, true)
	byID("your-data-link").Call("removeAttribute", "aria-current")
}

// load fetches the export in the background, after the events still
// queued are acknowledged, so the table is complete.
func (p *yourDataPage) load(ctx context.Context) {
	p.seq++
	seq := p.seq
	p.view.Get("dataset").Set("state", "loading")
	setText(p.summary, "Loading what is stored about you…")
	go func() {
		drainCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = p.s.q.Drain(drainCtx)
		cancel()
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		var reply wire.PrivacyExportReply
		err := p.s.c.Call(callCtx, wire.TypePrivacyExport, struct{}{}, &reply)
		p.s.u.post(uiTask(func(ctx context.Context, u *ui) { p.render(u, seq, reply, err) }))
	}()
}

func (p *yourDataPage) render(u *ui, seq int, reply wire.PrivacyExportReply, err error) {
	if seq != p.seq {
		return
	}
	if err != nil {
		u.log.Error("privacy.export failed", "err", err)
		p.view.Get("dataset").Set("state", "error")
		setText(p.summary, "Your data could not be loaded. Please try again in a moment.")
		return
	}
	p.mu.Lock()
	p.last = &reply
	p.mu.Unlock()
	p.checkConsent(reply.Consent)
	p.held.Set("textContent", "")
	for _, h := range reply.Held {
		p.held.Call("appendChild", element("li", "", h))
	}
	rows := privacy.Rows(reply.Events, func(sku string) string { return u.products[sku].Name }, time.Local)
	p.tbody.Set("textContent", "")
	for _, r := range rows {
		tr := element("tr", "", "")
		tr.Get("dataset").Set("type", r.Type)
		tr.Get("dataset").Set("sku", r.SKU)
		when := element("time", "", r.Time)
		when.Call("setAttribute", "datetime", r.ISO)
		td := element("td", "", "")
		td.Call("appendChild", when)
		tr.Call("appendChild", td)
		tr.Call("appendChild", element("td", "", r.Event))
		tr.Call("appendChild", element("td", "", r.Product))
		tr.Call("appendChild", element("td", "", r.Details))
		p.tbody.Call("appendChild", tr)
	}
	setText(p.summary, privacy.EventCount(len(rows), reply.Truncated)+".")
	setHidden(p.tableWrap, len(rows) == 0)
	setText(p.empty, privacy.Empty(reply.Consent))
	setHidden(p.empty, len(rows) > 0)
	p.erase.Set("disabled", len(rows) == 0)
	p.view.Get("dataset").Set("state", "ready")
}

// downloadExport saves the last export as a JSON file. It runs inside the
// click callback: no waiting, only building the file.
func (p *yourDataPage) downloadExport() {
	p.mu.Lock()
	last := p.last
	p.mu.Unlock()
	if last == nil {
		return
	}
	now := time.Now()
	data, err := privacy.ExportJSON(*last, now)
	if err != nil {
		p.s.log.Error("export file", "err", err)
		return
	}
	arr := global.Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	blob := global.Get("Blob").New([]any{arr}, map[string]any{"type": "application/json"})
	href := global.Get("URL").Call("createObjectURL", blob)
	a := element("a", "", "")
	a.Set("href", href)
	a.Set("download", privacy.ExportFileName(now))
	document.Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	// Revoke once the browser has started the download.
	var revoke js.Func
	revoke = js.FuncOf(func(js.Value, []js.Value) any {
		global.Get("URL").Call("revokeObjectURL", href)
		revoke.Release()
		return nil
	})
	global.Call("setTimeout", revoke, 60_000)
	p.view.Get("dataset").Set("downloaded", privacy.ExportFileName(now))
}

// askErase shows the confirmation and moves focus to it.
func (p *yourDataPage) askErase() {
	p.mu.Lock()
	n := 0
	if p.last != nil {
		n = len(p.last.Events)
	}
	p.mu.Unlock()
	q := "Erase every event stored about this visit? It is removed from the shop at once and from every stored copy within the promised time. This cannot be undone."
	if n > 0 {
		q = "Erase the " + privacy.EventCount(n, false) + "? They are removed from the shop at once and from every stored copy within the promised time. This cannot be undone."
	}
	setText(p.question, q)
	setHidden(p.confirm, false)
	p.erase.Call("setAttribute", "aria-expanded", "true")
	p.eraseYes.Call("focus")
}

// closeConfirm hides the confirmation, returning focus to "Erase my data"
// when asked.
func (p *yourDataPage) closeConfirm(refocus bool) {
	setHidden(p.confirm, true)
	p.erase.Call("setAttribute", "aria-expanded", "false")
	if refocus {
		p.erase.Call("focus")
	}
}

// eraseNow erases, after the queued events are acknowledged (so they are
// erased too), shows what the server answered and reloads the table.
func (p *yourDataPage) eraseNow(ctx context.Context) {
	p.closeConfirm(false)
	p.eraseYes.Set("disabled", true)
	p.erase.Set("disabled", true)
	p.view.Get("dataset").Set("state", "erasing")
	setText(p.summary, "Erasing…")
	go func() {
		drainCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = p.s.q.Drain(drainCtx)
		cancel()
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		var reply wire.PrivacyEraseReply
		err := p.s.c.Call(callCtx, wire.TypePrivacyErase, struct{}{}, &reply)
		p.s.u.post(uiTask(func(ctx context.Context, u *ui) {
			p.eraseYes.Set("disabled", false)
			if err != nil {
				u.log.Error("privacy.erase failed", "err", err)
				msg := "Your data could not be erased. Nothing was changed; please try again."
				setText(p.result, msg)
				setHidden(p.result, false)
				p.result.Get("classList").Call("add", "failed")
				u.announce(msg)
				p.erase.Set("disabled", false)
				p.view.Get("dataset").Set("state", "error")
				return
			}
			msg := privacy.EraseSummary(reply, time.Local)
			p.result.Get("classList").Call("remove", "failed")
			setText(p.result, msg)
			setHidden(p.result, false)
			p.view.Get("dataset").Set("erased", reply.Erased)
			u.announce(msg)
			p.erase.Call("focus")
			p.load(ctx)
		}))
	}()
}

// setConsent applies a new consent level at once: it is remembered on
// this device, sent in every later hello and, with consent.update, to
// the live session. saved, when valid, shows the confirmation.
func (s *signalsUI) setConsent(ctx context.Context, level string, saved js.Value) {
	if !wire.ValidConsent(level) {
		return
	}
	s.consent, s.chosen = level, true
	storageSet("localStorage", privacy.StorageKey, level)
	s.c.SetConsent(level)
	document.Get("body").Get("dataset").Set("consent", level)
	s.banner.hide()
	label := privacy.Lookup(level).Label
	go func() {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		var reply wire.ConsentUpdateReply
		err := s.c.Call(callCtx, wire.TypeConsentUpdate, wire.ConsentUpdate{Consent: level}, &reply)
		s.u.post(uiTask(func(ctx context.Context, u *ui) {
			msg := "Saved: “" + label + "”. It applies from now on."
			if err != nil {
				u.log.Warn("consent.update failed", "err", err)
				msg = "Saved on this device: “" + label + "”. The shop applies it as soon as the connection is back."
			}
			if !saved.IsUndefined() && !saved.IsNull() {
				setText(saved, msg)
				setHidden(saved, false)
			}
			u.announce(msg)
			s.recs.refresh(ctx, u)
			if s.data.shown {
				s.data.load(ctx)
			}
		}))
	}()
}

// consentBanner asks for a choice on the first visit. It is a labelled
// region at the top of the page (not a modal: the shop works before any
// choice, as with "Only necessary"), its buttons reachable first with the
// keyboard, and it is not shown again once a choice is remembered.
type consentBanner struct {
	el js.Value
}

const consentBannerMarkup = `
<div class="consent-inner">
  <div class="consent-text">
    <h2 id="consent-banner-title">Your privacy choice</h2>
    <p>Vitrine records what you do in the shop (the products you open, turning and zooming them in 3D)
    to improve it and, if you allow, to recommend products to you. You can change your choice at any
    time under <a href="/#your-data" id="consent-banner-more">Your data</a>.</p>
    <details class="consent-details">
      <summary>What each choice means</summary>
      <dl id="consent-banner-choices"></dl>
    </details>
  </div>
  <div class="consent-actions" role="group" aria-label="Choose what Vitrine may record">
  </div>
</div>`

func newConsentBanner(s *signalsUI) *consentBanner {
	b := &consentBanner{}
	document.Get("body").Get("dataset").Set("consent", s.consent)
	if s.chosen {
		return b
	}
	b.el = element("section", "consent-banner", "")
	b.el.Set("id", "consent-banner")
	b.el.Call("setAttribute", "aria-labelledby", "consent-banner-title")
	b.el.Set("innerHTML", consentBannerMarkup)
	dl := b.el.Call("querySelector", "#consent-banner-choices")
	actions := b.el.Call("querySelector", ".consent-actions")
	for _, c := range privacy.Choices {
		dl.Call("appendChild", element("dt", "", c.Label))
		dl.Call("appendChild", element("dd", "", c.Description))
		btn := element("button", "pill-button", c.Label)
		btn.Set("type", "button")
		btn.Get("dataset").Set("consent", c.Consent)
		actions.Call("appendChild", btn)
	}
	header := document.Call("querySelector", ".site-header")
	header.Get("parentNode").Call("insertBefore", b.el, header.Get("nextSibling"))
	listen(actions, "click", func(ev js.Value) {
		btn := ev.Get("target").Call("closest", "button[data-consent]")
		if btn.IsNull() {
			return
		}
		level := btn.Get("dataset").Get("consent").String()
		s.u.post(uiTask(func(ctx context.Context, u *ui) {
			s.setConsent(ctx, level, js.Undefined())
			if s.data.shown {
				s.data.checkConsent(level)
			}
		}))
	})
	listen(b.el.Call("querySelector", "#consent-banner-more"), "click", func(ev js.Value) {
		if !plainClick(ev) {
			return
		}
		ev.Call("preventDefault")
		s.u.pushPath("/" + yourDataHash)
	})
	return b
}

// hide removes the banner once a choice is made, keeping keyboard focus
// on the page rather than losing it with the removed button.
func (b *consentBanner) hide() {
	if b.el.IsUndefined() || b.el.IsNull() {
		return
	}
	hadFocus := b.el.Call("contains", document.Get("activeElement")).Bool()
	b.el.Call("remove")
	b.el = js.Undefined()
	if hadFocus {
		byID("main").Call("focus")
	}
}
