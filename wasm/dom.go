//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"
)

// The page's globals, looked up once.
var (
	global   = js.Global()
	document = global.Get("document")
)

// byID returns the element with the given id; the page's skeleton in
// index.html guarantees the ids the viewer uses.
func byID(id string) js.Value {
	return document.Call("getElementById", id)
}

// element creates an element with a class and text. Text is always set
// through textContent, so catalog strings can never inject markup.
func element(tag, class, text string) js.Value {
	e := document.Call("createElement", tag)
	if class != "" {
		e.Set("className", class)
	}
	if text != "" {
		e.Set("textContent", text)
	}
	return e
}

func setText(e js.Value, text string) { e.Set("textContent", text) }

func setHidden(e js.Value, hidden bool) { e.Set("hidden", hidden) }

func setBodyState(state string) {
	document.Get("body").Get("dataset").Set("state", state)
}

// safeMediaURL accepts only same-origin paths and http(s) URLs for images,
// so a catalog entry cannot smuggle a javascript: or data: URL into the
// page.
func safeMediaURL(u string) (string, bool) {
	switch {
	case strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"):
		return u, true
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"):
		return u, true
	}
	return "", false
}

// listen adds an event listener whose handler must not block; it is never
// released because the page's skeleton lives as long as the program.
func listen(target js.Value, event string, handle func(ev js.Value)) {
	f := js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) > 0 {
			handle(args[0])
		}
		return nil
	})
	target.Call("addEventListener", event, f)
}

// plainClick reports whether a click should be handled in-page: the main
// button without modifier keys (others open new tabs and windows).
func plainClick(ev js.Value) bool {
	return ev.Get("button").Int() == 0 && !ev.Get("metaKey").Bool() && !ev.Get("ctrlKey").Bool() &&
		!ev.Get("shiftKey").Bool() && !ev.Get("altKey").Bool()
}
