//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
)

// cacheName is the Cache Storage bucket of streamed models; bump it when
// the stored layout changes.
const cacheName = "vitrine-models-v1"

// maxCachedBytes bounds a blob read back from the cache.
const maxCachedBytes = 256 << 20

// browserCache is a progressive.Store over the browser's Cache Storage.
// Its methods block on promises, so they must run on a goroutine, never
// inside a JS callback.
type browserCache struct {
	storage js.Value // window.caches
}

// newBrowserCache returns the page's Cache Storage, or nil where the
// browser has none (insecure origins, old browsers).
func newBrowserCache() *browserCache {
	c := global.Get("caches")
	if c.IsUndefined() || c.IsNull() {
		return nil
	}
	return &browserCache{storage: c}
}

func (b *browserCache) open(ctx context.Context) (js.Value, error) {
	return await(ctx, b.storage.Call("open", cacheName))
}

// Get reads key; ok is false when the cache has no entry.
func (b *browserCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	cache, err := b.open(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("cache: open: %w", err)
	}
	resp, err := await(ctx, cache.Call("match", key))
	if err != nil {
		return nil, false, fmt.Errorf("cache: match %s: %w", key, err)
	}
	if resp.IsUndefined() || resp.IsNull() {
		return nil, false, nil
	}
	buf, err := await(ctx, resp.Call("arrayBuffer"))
	if err != nil {
		return nil, false, fmt.Errorf("cache: read %s: %w", key, err)
	}
	arr := global.Get("Uint8Array").New(buf)
	n := arr.Get("length").Int()
	if n > maxCachedBytes {
		return nil, false, fmt.Errorf("cache: %s holds %d bytes, over %d", key, n, maxCachedBytes)
	}
	data := make([]byte, n)
	js.CopyBytesToGo(data, arr)
	return data, true, nil
}

// Put stores data under key.
func (b *browserCache) Put(ctx context.Context, key string, data []byte) error {
	cache, err := b.open(ctx)
	if err != nil {
		return fmt.Errorf("cache: open: %w", err)
	}
	arr := global.Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	headers := global.Get("Object").New()
	headers.Set("Content-Type", "application/octet-stream")
	init := global.Get("Object").New()
	init.Set("headers", headers)
	resp := global.Get("Response").New(arr, init)
	if _, err := await(ctx, cache.Call("put", key, resp)); err != nil {
		return fmt.Errorf("cache: put %s: %w", key, err)
	}
	return nil
}

// await waits for a JS promise. It must run on a goroutine other than
// the one serving JS callbacks.
func await(ctx context.Context, promise js.Value) (js.Value, error) {
	type outcome struct {
		v   js.Value
		err error
	}
	ch := make(chan outcome, 1)
	var onOK, onErr js.Func
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- outcome{v: v}
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "promise rejected"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		ch <- outcome{err: errors.New(msg)}
		return nil
	})
	promise.Call("then", onOK, onErr)
	select {
	case o := <-ch:
		onOK.Release()
		onErr.Release()
		return o.v, o.err
	case <-ctx.Done():
		// The callbacks may still fire; leak them rather than release a
		// function the browser will call.
		return js.Undefined(), ctx.Err()
	}
}
