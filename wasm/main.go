//go:build js && wasm

// Command wasm is the Vitrine viewer: the shop page's program, compiled to
// WebAssembly. It lists the catalog over the vitrine.v1 WebSocket, streams
// a product's model, verifies and decodes it, and shows it lit in a g3n
// scene with orbit controls. Platform code lives here; the protocol client,
// stream reassembly, GLB decoding, framing maths and text formatting live
// in natively tested packages beside it.
//
// Test hooks for end-to-end tests: document.body.dataset.state is
// "loading", "ready" (catalog shown), "product" (model loading),
// "model-loaded" or "error"; window.vitrineFrames counts the frames drawn
// since the current model appeared.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/vitrine-shop/vitrine/wasm/client"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx := context.Background()
	global.Set("vitrineFrames", 0)

	v, err := newViewer(log)
	if err != nil {
		log.Error("3D view disabled", "err", err)
		v = nil
	}

	var u *ui
	c := client.New(client.Options{
		Consent:    storedConsent(),
		ClientName: "vitrine-wasm",
		Logger:     log,
		OnState:    func(s client.State) { u.post(evConn{state: s}) },
	})
	u = newUI(c, v, log)
	u.sig = newSignalsUI(ctx, u)
	u.place = newPlaceFlows(c, v, u, log)
	u.photo = newSearchUI(u)
	u.bind()
	go u.loop(ctx)
	go func() {
		url := socketURL()
		_ = c.Run(ctx, func(ctx context.Context) (client.Conn, error) { return dialBrowser(ctx, url) })
	}()

	if v != nil {
		v.run() // the frame loop; never returns
	}
	select {} // keep the program's callbacks alive
}
