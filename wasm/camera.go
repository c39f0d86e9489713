//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"time"
)

// errNoCamera explains why the live camera cannot be used.
var errNoCamera = errors.New("no camera")

// openCamera asks for the camera facing the given way ("environment" for
// the room, "user" for try-on) and plays it in video. Run it on a
// goroutine: it waits for the shopper's permission. The error's text is
// written for the shopper.
func openCamera(ctx context.Context, video js.Value, facing string) (js.Value, error) {
	md := global.Get("navigator").Get("mediaDevices")
	if !md.Truthy() || !md.Get("getUserMedia").Truthy() {
		return js.Null(), errors.New("this browser cannot use a camera here (a secure https page is needed); choose a photo instead")
	}
	constraints := map[string]any{
		"audio": false,
		"video": map[string]any{
			"facingMode": facing,
			"width":      map[string]any{"ideal": 1920},
			"height":     map[string]any{"ideal": 1080},
		},
	}
	stream, err := await(ctx, md.Call("getUserMedia", constraints))
	if err != nil {
		msg := err.Error()
		switch {
		case strings.HasPrefix(msg, "NotAllowedError"), strings.HasPrefix(msg, "SecurityError"):
			return js.Null(), errors.New("camera access was not allowed; choose a photo instead, or allow the camera in your browser's settings")
		case strings.HasPrefix(msg, "NotFoundError"), strings.HasPrefix(msg, "OverconstrainedError"):
			return js.Null(), errors.New("no camera was found; choose a photo instead")
		case strings.HasPrefix(msg, "NotReadableError"):
			return js.Null(), errors.New("the camera is in use by another app; close it or choose a photo instead")
		}
		return js.Null(), errors.New("the camera could not start (" + msg + "); choose a photo instead")
	}
	video.Set("muted", true)
	video.Call("setAttribute", "playsinline", "")
	video.Set("srcObject", stream)
	if _, err := await(ctx, video.Call("play")); err != nil {
		stopStream(stream)
		return js.Null(), errors.New("the camera's picture could not be shown (" + err.Error() + ")")
	}
	// Wait for the first frame's size.
	for video.Get("videoWidth").Int() == 0 {
		select {
		case <-ctx.Done():
			stopStream(stream)
			return js.Null(), ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return stream, nil
}

// stopStream turns the camera off.
func stopStream(stream js.Value) {
	if !stream.Truthy() {
		return
	}
	tracks := stream.Call("getTracks")
	for i := 0; i < tracks.Length(); i++ {
		tracks.Index(i).Call("stop")
	}
}

// decodePhoto decodes a chosen image file (EXIF orientation applied by
// the browser). Run it on a goroutine.
func decodePhoto(ctx context.Context, file js.Value) (js.Value, error) {
	if !global.Get("createImageBitmap").Truthy() {
		return js.Null(), errors.New("this browser cannot open photos here")
	}
	bmp, err := await(ctx, global.Call("createImageBitmap", file, map[string]any{"imageOrientation": "from-image"}))
	if err != nil {
		return js.Null(), errors.New("that file could not be opened as a photo")
	}
	return bmp, nil
}

// maxPhotoSide bounds the photo kept for measuring (and the pixels read
// back for corner refinement).
const maxPhotoSide = 4096

// drawToCanvas draws src (a video, image or bitmap of w×h) into canvas at
// its own resolution, scaled down to maxPhotoSide, and returns the size.
func drawToCanvas(canvas, src js.Value, w, h int) (int, int) {
	if s := max(w, h); s > maxPhotoSide {
		w, h = w*maxPhotoSide/s, h*maxPhotoSide/s
	}
	canvas.Set("width", w)
	canvas.Set("height", h)
	ctx := canvas.Call("getContext", "2d", map[string]any{"willReadFrequently": true})
	ctx.Call("drawImage", src, 0, 0, w, h)
	return w, h
}

// readRGBA copies a w×h window of canvas at (x, y) into Go.
func readRGBA(canvas js.Value, x, y, w, h int) []byte {
	ctx := canvas.Call("getContext", "2d", map[string]any{"willReadFrequently": true})
	data := ctx.Call("getImageData", x, y, w, h).Get("data")
	buf := make([]byte, data.Length())
	js.CopyBytesToGo(buf, js.Global().Get("Uint8Array").New(data.Get("buffer"), data.Get("byteOffset"), data.Get("length")))
	return buf
}
