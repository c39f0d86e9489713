//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"github.com/vitrine-shop/vitrine/wasm/client"
	"github.com/vitrine-shop/vitrine/wire"
)

// WebSocket readyState values.
const (
	wsOpen = 1
)

// browserConn is a client.Conn over the browser's WebSocket. Its event
// callbacks only copy data and queue it; Recv, run by the client's read
// goroutine, takes it from the queue in arrival order.
type browserConn struct {
	ws js.Value

	mu       sync.Mutex
	queue    []client.Frame
	closed   bool
	closeErr error
	signal   chan struct{} // capacity 1: "the queue or closed changed"

	funcs []js.Func
}

// socketURL is the vitrine.v1 endpoint of the page's own origin.
func socketURL() string {
	loc := js.Global().Get("location")
	scheme := "ws:"
	if loc.Get("protocol").String() == "https:" {
		scheme = "wss:"
	}
	return scheme + "//" + loc.Get("host").String() + "/ws"
}

// dialBrowser opens a WebSocket to url and waits until it is open (or
// fails, or ctx ends).
func dialBrowser(ctx context.Context, url string) (client.Conn, error) {
	c := &browserConn{signal: make(chan struct{}, 1)}
	opened := make(chan error, 1)
	notifyOpen := func(err error) {
		select {
		case opened <- err:
		default:
		}
	}
	ws := js.Global().Get("WebSocket").New(url, wire.Subprotocol)
	ws.Set("binaryType", "arraybuffer")
	c.ws = ws
	c.on("open", func(js.Value) { notifyOpen(nil) })
	c.on("error", func(js.Value) { notifyOpen(errors.New("the WebSocket reported an error")) })
	c.on("close", func(ev js.Value) {
		err := fmt.Errorf("WebSocket closed: code %d %s", ev.Get("code").Int(), ev.Get("reason").String())
		notifyOpen(err)
		c.mu.Lock()
		if !c.closed {
			c.closed, c.closeErr = true, err
		}
		c.mu.Unlock()
		c.wake()
	})
	c.on("message", func(ev js.Value) {
		data := ev.Get("data")
		var f client.Frame
		if data.Type() == js.TypeString {
			f = client.Frame{Data: []byte(data.String())}
		} else {
			arr := js.Global().Get("Uint8Array").New(data)
			buf := make([]byte, arr.Get("length").Int())
			js.CopyBytesToGo(buf, arr)
			f = client.Frame{Binary: true, Data: buf}
		}
		c.mu.Lock()
		c.queue = append(c.queue, f)
		c.mu.Unlock()
		c.wake()
	})

	select {
	case err := <-opened:
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("dial %s: %w", url, err)
		}
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("dial %s: %w", url, ctx.Err())
	}
	if p := ws.Get("protocol").String(); p != wire.Subprotocol {
		c.Close()
		return nil, fmt.Errorf("dial %s: server chose subprotocol %q, want %q", url, p, wire.Subprotocol)
	}
	return c, nil
}

// on sets a WebSocket event handler. Handlers never block: they copy
// and queue.
func (c *browserConn) on(event string, handle func(ev js.Value)) {
	f := js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) > 0 {
			handle(args[0])
		}
		return nil
	})
	c.funcs = append(c.funcs, f)
	c.ws.Set("on"+event, f)
}

func (c *browserConn) wake() {
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// Send writes one frame. The browser buffers it; Send never blocks.
func (c *browserConn) Send(ctx context.Context, f client.Frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed || c.ws.Get("readyState").Int() != wsOpen {
		return errors.New("send: the WebSocket is not open")
	}
	if f.Binary {
		arr := js.Global().Get("Uint8Array").New(len(f.Data))
		js.CopyBytesToJS(arr, f.Data)
		c.ws.Call("send", arr)
	} else {
		c.ws.Call("send", string(f.Data))
	}
	return nil
}

// Recv returns the next frame in arrival order, or the close error once
// the queue is drained.
func (c *browserConn) Recv(ctx context.Context) (client.Frame, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			f := c.queue[0]
			c.queue[0] = client.Frame{}
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return f, nil
		}
		if c.closed {
			err := c.closeErr
			c.mu.Unlock()
			return client.Frame{}, err
		}
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-ctx.Done():
			return client.Frame{}, ctx.Err()
		}
	}
}

// Close closes the WebSocket and releases its callbacks. Handlers are
// detached first so the browser cannot call a released function.
func (c *browserConn) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed, c.closeErr = true, errors.New("WebSocket closed by the viewer")
	}
	funcs := c.funcs
	c.funcs = nil
	c.mu.Unlock()
	for _, ev := range []string{"open", "error", "close", "message"} {
		c.ws.Set("on"+ev, js.Null())
	}
	state := c.ws.Get("readyState").Int()
	if state <= wsOpen { // CONNECTING or OPEN
		c.ws.Call("close", 1000, "bye")
	}
	for _, f := range funcs {
		f.Release()
	}
	c.wake()
	return nil
}
