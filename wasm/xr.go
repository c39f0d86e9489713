//go:build js && wasm

package main

import (
	"context"
	"syscall/js"
	"time"

	"github.com/g3n/engine/math32"

	"github.com/vitrine-shop/vitrine/wire"
)

// detectAR reports whether the browser offers WebXR immersive-ar. It
// never fails: a browser without navigator.xr (most desktops, headless
// Chromium) simply gets the photo and camera flow. hit-test support is
// only known when a session is requested; startAR falls back then.
func detectAR(done func(ok bool, why string)) {
	xr := global.Get("navigator").Get("xr")
	if !xr.Truthy() || !xr.Get("isSessionSupported").Truthy() {
		done(false, "unsupported: navigator.xr is absent")
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		v, err := await(ctx, xr.Call("isSessionSupported", "immersive-ar"))
		switch {
		case err != nil:
			done(false, "unsupported: "+err.Error())
		case v.Truthy():
			done(true, "supported")
		default:
			done(false, "unsupported: immersive-ar is not offered")
		}
	}()
}

// xrCamera is the g3n camera of one XR view: the view and projection
// matrices come straight from the WebXR frame.
type xrCamera struct{ view, proj math32.Matrix4 }

func (c *xrCamera) ViewMatrix(m *math32.Matrix4) { *m = c.view }
func (c *xrCamera) ProjMatrix(m *math32.Matrix4) { *m = c.proj }

func matrixFrom(arr js.Value) math32.Matrix4 {
	var m math32.Matrix4
	for i := range 16 {
		m[i] = float32(arr.Index(i).Float())
	}
	return m
}

// startAR runs "View in AR" from the button's click (WebXR needs the
// shopper's gesture, so the session is requested in the callback itself):
// an immersive-ar session with hit-test; the product follows the detected
// surface under the screen's centre at its true metric size (glTF metres
// are WebXR metres) until the shopper taps, which sets it down. Any
// failure falls back to the photo flow.
func startAR(p *placeFlows) {
	xr := global.Get("navigator").Get("xr")
	if !xr.Truthy() || p.v == nil {
		p.post(p.openRoom)
		return
	}
	opts := map[string]any{"requiredFeatures": []any{"hit-test", "local"}}
	promise := xr.Call("requestSession", "immersive-ar", opts)
	v := p.v
	wall := p.product.Placement == wire.PlacementWall
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		fail := func(why string) {
			p.post(func() {
				hook().Set("xr", "failed: "+why)
				p.openRoom()
				if p.room != nil {
					p.room.showError("AR could not start (" + why + "). Use a photo of your room instead.")
				}
			})
		}
		session, err := await(ctx, promise)
		if err != nil {
			fail(err.Error())
			return
		}
		gl := v.canvas.Call("getContext", "webgl2")
		if _, err := await(ctx, gl.Call("makeXRCompatible")); err != nil {
			session.Call("end")
			fail(err.Error())
			return
		}
		layer := global.Get("XRWebGLLayer").New(session, gl)
		session.Call("updateRenderState", map[string]any{"baseLayer": layer})
		local, err := await(ctx, session.Call("requestReferenceSpace", "local"))
		if err != nil {
			session.Call("end")
			fail(err.Error())
			return
		}
		viewerSpace, err := await(ctx, session.Call("requestReferenceSpace", "viewer"))
		if err != nil {
			session.Call("end")
			fail(err.Error())
			return
		}
		hitSource, err := await(ctx, session.Call("requestHitTestSource", map[string]any{"space": viewerSpace}))
		if err != nil {
			session.Call("end")
			fail(err.Error())
			return
		}
		v.do(v.enterRoom)
		runARSession(p, session, layer, gl, local, hitSource, wall)
	}()
}

// runARSession draws every XR frame. It runs in the session's
// requestAnimationFrame callbacks, like the viewer's own frame loop, and
// touches the scene only there.
func runARSession(p *placeFlows, session, layer, gl, local, hitSource js.Value, wall bool) {
	v := p.v
	placed := false
	var cam xrCamera
	var onFrame, onSelect, onEnd js.Func
	// A wall's hit pose has y along the wall's normal: turn the model so
	// its front (+z) faces out and its up lies along the wall.
	var wallTurn math32.Matrix4
	wallTurn.MakeRotationX(math32.Pi / 2)
	onSelect = js.FuncOf(func(js.Value, []js.Value) any {
		placed = true
		return nil
	})
	onEnd = js.FuncOf(func(js.Value, []js.Value) any {
		onFrame.Release()
		onSelect.Release()
		onEnd.Release()
		gl.Call("bindFramebuffer", gl.Get("FRAMEBUFFER"), js.Null())
		go v.do(v.leaveRoom)
		p.post(func() { hook().Set("xr", "ended") })
		return nil
	})
	onFrame = js.FuncOf(func(_ js.Value, args []js.Value) any {
		frame := args[1]
		session.Call("requestAnimationFrame", onFrame)
		pose := frame.Call("getViewerPose", local)
		if !pose.Truthy() || v.model == nil {
			return nil
		}
		if !placed {
			hits := frame.Call("getHitTestResults", hitSource)
			if hits.Length() > 0 {
				m := matrixFrom(hits.Index(0).Call("getPose", local).Get("transform").Get("matrix"))
				if wall {
					m.Multiply(&wallTurn)
				}
				v.model.SetMatrix(&m)
				v.model.SetVisible(true)
			}
		}
		fb := layer.Get("framebuffer")
		gl.Call("bindFramebuffer", gl.Get("FRAMEBUFFER"), fb)
		gl.Call("clearColor", 0, 0, 0, 0)
		gl.Call("clear", gl.Get("COLOR_BUFFER_BIT").Int()|gl.Get("DEPTH_BUFFER_BIT").Int())
		views := pose.Get("views")
		for i := 0; i < views.Length(); i++ {
			view := views.Index(i)
			vp := layer.Call("getViewport", view)
			gl.Call("viewport", vp.Get("x"), vp.Get("y"), vp.Get("width"), vp.Get("height"))
			cam.view = matrixFrom(view.Get("transform").Get("inverse").Get("matrix"))
			cam.proj = matrixFrom(view.Get("projectionMatrix"))
			if err := v.app.Renderer().Render(v.scene, &cam); err != nil {
				v.log.Error("ar: render failed", "err", err)
			}
		}
		return nil
	})
	session.Call("addEventListener", "select", onSelect)
	session.Call("addEventListener", "end", onEnd)
	session.Call("requestAnimationFrame", onFrame)
	p.post(func() { hook().Set("xr", "running") })
}
