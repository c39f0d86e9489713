//go:build js && wasm

package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"image"
	"math"
	"syscall/js"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/facefind"
	"github.com/vitrine-shop/vitrine/wasm/glb"
	"github.com/vitrine-shop/vitrine/wasm/placeflow"
	"github.com/vitrine-shop/vitrine/wasm/progressive"
	"github.com/vitrine-shop/vitrine/wire"
)

//go:embed place_tryon.html
var tryOnPanelHTML string

// Try-on tuning.
const (
	analyseEvery   = 120 * time.Millisecond // video frames analysed at most this often
	analyseMaxSide = 640                    // frames are analysed at most this large
	framesToSize   = 6                      // frames with an iris before the first size answer
	glassesImagePx = 640                    // width of the glasses' front drawing
	typicalPDMM    = 63                     // for drawing only, before any scale is known
)

// The face detector is loaded once per page (1.4 MB of cascades).
var (
	detectorOnce = make(chan struct{}, 1)
	detector     *facefind.Detector
	detectorErr  error
)

// tryOnFlow is "Try on": glasses drawn on the shopper's face from the
// camera or a photo and a frame-size answer; for watches and shoes a
// typed measurement and a size answer. Its methods run on the placeFlows
// loop unless they say otherwise.
type tryOnFlow struct {
	p      *placeFlows
	ctx    context.Context
	cancel context.CancelFunc
	prod   wire.Product

	video, photo, overlay, marks js.Value
	stream                       js.Value
	analyse                      js.Value // offscreen canvas frames are read from
	glasses                      js.Value // the glasses' front, drawn from the model
	glassesRatio                 float64  // its height / width

	status, errorBox, measure, result, verdict, lines, cardBox, cardWidth js.Value

	track     placeflow.FaceTrack
	face      placeflow.FaceMeasure
	found     bool
	imgW      int // analysed frame size
	imgH      int
	live      bool
	useCard   bool
	card      placeflow.Point // card outline centre, stage coordinates
	cardSet   bool
	reply     *wire.PlaceTryOnReply
	asked     bool
	askSeq    int
	draws     int
	funcs     []js.Func
	dragCard  bool
	dragFrom  placeflow.Point
	analysing bool
}

func (p *placeFlows) openTryOn() {
	if p.tryon != nil || !worn(p.product.Placement) {
		return
	}
	p.closeFlow()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancelRun = cancel
	t := &tryOnFlow{p: p, ctx: ctx, cancel: cancel, prod: p.product}
	p.tryon = t
	p.openPanel(tryOnPanelHTML)
	t.status = byID("tryon-status")
	t.errorBox = byID("tryon-error")
	t.measure = byID("tryon-measure")
	t.result = byID("tryon-result")
	t.verdict = byID("tryon-verdict")
	t.lines = byID("tryon-lines")
	t.cardBox = byID("tryon-card")
	t.cardWidth = byID("tryon-card-width")
	hook().Set("state", "tryon")
	if t.prod.Placement == wire.PlacementFace {
		setText(byID("place-heading"), "Try on "+t.prod.Name)
		t.buildFace()
		p.announce("Try on. Use the camera or choose a photo of your face.")
		return
	}
	t.buildSize()
}

func (t *tryOnFlow) on(target js.Value, event string, handle func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			handle(args[0])
		}
		return nil
	})
	t.funcs = append(t.funcs, f)
	target.Call("addEventListener", event, f)
}

func (t *tryOnFlow) close() {
	t.cancel()
	stopStream(t.stream)
	for _, e := range []js.Value{t.video, t.photo, t.overlay, t.marks} {
		if e.Truthy() {
			e.Call("remove")
		}
	}
	for _, f := range t.funcs {
		f.Release()
	}
	t.funcs = nil
}

func (t *tryOnFlow) showError(box js.Value, msg string) {
	setText(box, msg)
	setHidden(box, msg == "")
	if msg != "" {
		t.p.announce(msg)
	}
}

// buildSize shows the typed-measurement form for a watch or shoes.
func (t *tryOnFlow) buildSize() {
	setHidden(byID("tryon-face"), true)
	form := byID("tryon-size")
	setHidden(form, false)
	watch := t.prod.Placement == wire.PlacementWrist
	heading, label, lede, hint := "Find your shoe size", "Foot length", "Measure your longer foot: stand on a sheet of paper against a wall, mark the tip of your longest toe, and measure from the wall to the mark.", "Typical adult feet are 22–31 cm (8.7–12.2 in)."
	if watch {
		heading, label, lede, hint = "Find your watch size", "Wrist circumference", "Wrap a strip of paper around your wrist where you wear a watch, mark where it meets, and measure the strip.", "Typical adult wrists are 14–21 cm (5.5–8.3 in)."
	}
	setText(byID("place-heading"), heading)
	setText(byID("tryon-length-label"), label)
	setText(byID("tryon-size-lede"), lede)
	setText(byID("tryon-size-hint"), hint)
	unit := byID("tryon-unit")
	if t.p.u != nil && t.p.u.locale == "en-US" {
		unit.Set("value", "in")
	}
	t.on(form, "submit", func(ev js.Value) {
		ev.Call("preventDefault")
		text := byID("tryon-length").Get("value").String()
		u := unit.Get("value").String()
		t.p.post(func() { t.sizeSubmitted(text, u, watch) })
	})
	t.p.announce(heading + ". " + lede)
}

func (t *tryOnFlow) sizeSubmitted(text, unit string, watch bool) {
	errBox := byID("tryon-size-error")
	m, err := placeflow.ParseLength(text, unit)
	if err != nil {
		t.showError(errBox, "Type the length as a number, for example 17 cm or 6.7 in.")
		byID("tryon-length").Call("focus")
		return
	}
	t.showError(errBox, "")
	req := wire.PlaceTryOn{SKU: t.prod.SKU}
	if watch {
		req.WristMM = m * 1000
	} else {
		req.FootMM = m * 1000
	}
	t.ask(req, errBox)
}

// ask sends place.tryon and shows the answer.
func (t *tryOnFlow) ask(req wire.PlaceTryOn, errBox js.Value) {
	t.askSeq++
	seq := t.askSeq
	setHidden(t.result, false)
	setText(t.verdict, "Checking…")
	t.lines.Set("textContent", "")
	ctx := t.ctx
	go func() {
		callCtx, cancel := context.WithTimeout(ctx, placeTimeout)
		defer cancel()
		var reply wire.PlaceTryOnReply
		err := t.p.c.Call(callCtx, wire.TypePlaceTryOn, req, &reply)
		t.p.post(func() {
			if ctx.Err() != nil || seq != t.askSeq {
				return
			}
			if err != nil {
				setHidden(t.result, true)
				t.showError(errBox, "No size answer: "+errorText(err))
				hook().Set("tryonError", errorText(err))
				return
			}
			t.showError(errBox, "")
			t.reply = &reply
			t.showReply(reply)
		})
	}()
}

func (t *tryOnFlow) showReply(r wire.PlaceTryOnReply) {
	label := placeflow.VerdictLabel(r.Verdict)
	if r.Fit != "" {
		label += " · " + r.Fit
	}
	setText(t.verdict, label)
	t.result.Get("dataset").Set("verdict", r.Verdict)
	t.lines.Set("textContent", "")
	lines := placeflow.TryOnLines(r)
	for _, l := range lines {
		t.lines.Call("appendChild", element("li", "", l))
	}
	t.p.announce(label + ". " + r.Message)
	hook().Set("tryon", r.Verdict)
	hook().Set("tryonFit", r.Fit)
	hook().Set("state", "tryon-sized")
	t.drawOverlay()
}

// buildFace prepares the glasses try-on: stage layers, the detector and
// the glasses' drawing (both loaded in the background).
func (t *tryOnFlow) buildFace() {
	p := t.p
	p.stage.Get("classList").Call("add", "trying")
	canvas := byID("g3n-canvas")
	t.video = element("video", "place-photo", "")
	t.video.Call("setAttribute", "aria-hidden", "true")
	t.video.Set("id", "tryon-video")
	setHidden(t.video, true)
	t.photo = element("canvas", "place-photo", "")
	t.photo.Set("id", "tryon-photo")
	t.photo.Call("setAttribute", "aria-hidden", "true")
	setHidden(t.photo, true)
	t.overlay = element("canvas", "place-overlay", "")
	t.overlay.Set("id", "tryon-overlay")
	t.overlay.Call("setAttribute", "role", "img")
	t.overlay.Call("setAttribute", "aria-label", "Your picture with the glasses drawn on your face")
	t.marks = document.Call("createElementNS", svgNS, "svg")
	t.marks.Call("setAttribute", "class", "place-marks")
	t.marks.Call("setAttribute", "id", "tryon-marks")
	t.marks.Call("setAttribute", "aria-hidden", "true")
	for _, e := range []js.Value{t.video, t.photo, t.overlay} {
		p.stage.Call("insertBefore", e, canvas)
	}
	p.stage.Call("insertBefore", t.marks, canvas)
	t.analyse = element("canvas", "", "")

	post := p.post
	t.on(byID("tryon-camera"), "click", func(js.Value) { post(t.startCamera) })
	t.on(byID("tryon-file"), "change", func(ev js.Value) {
		files := ev.Get("target").Get("files")
		if files.Length() == 0 {
			return
		}
		file := files.Index(0)
		post(func() { t.usePhotoFile(file) })
	})
	t.on(t.measure, "click", func(js.Value) { post(t.askFace) })
	each(p.panel.Call("querySelectorAll", `input[name="tryon-scale"]`), func(e js.Value) {
		t.on(e, "change", func(ev js.Value) {
			card := ev.Get("target").Get("value").String() == "card"
			post(func() { t.setCard(card) })
		})
	})
	t.on(t.cardWidth, "input", func(js.Value) { post(t.drawOverlay) })
	pos := func(ev js.Value) placeflow.Point {
		rect := t.marks.Call("getBoundingClientRect")
		return placeflow.Point{X: ev.Get("clientX").Float() - rect.Get("left").Float(), Y: ev.Get("clientY").Float() - rect.Get("top").Float()}
	}
	t.on(t.marks, "pointerdown", func(ev js.Value) {
		t.marks.Call("setPointerCapture", ev.Get("pointerId"))
		at := pos(ev)
		post(func() { t.dragCard, t.dragFrom = t.useCard, at })
	})
	t.on(t.marks, "pointermove", func(ev js.Value) {
		at := pos(ev)
		post(func() {
			if t.dragCard {
				t.card.X += at.X - t.dragFrom.X
				t.card.Y += at.Y - t.dragFrom.Y
				t.dragFrom = at
				t.drawOverlay()
			}
		})
	})
	t.on(t.marks, "pointerup", func(js.Value) { post(func() { t.dragCard = false }) })

	setText(t.status, "Loading the face finder…")
	ctx := t.ctx
	go func() {
		err := loadDetector(ctx)
		post(func() {
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				t.showError(t.errorBox, "The face finder could not be loaded: "+err.Error())
				return
			}
			setText(t.status, "Use the camera or choose a photo of your face, looking straight ahead.")
		})
	}()
	go t.loadGlasses(ctx)
}

// loadDetector fetches pigo's cascades and unpacks them, once per page.
// Run on a goroutine.
func loadDetector(ctx context.Context) error {
	select {
	case detectorOnce <- struct{}{}:
	default:
		for detector == nil && detectorErr == nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		return detectorErr
	}
	fetchBytes := func(url string) ([]byte, error) {
		resp, err := await(ctx, global.Call("fetch", url))
		if err != nil {
			return nil, err
		}
		if !resp.Get("ok").Bool() {
			return nil, fmt.Errorf("%s: HTTP %d", url, resp.Get("status").Int())
		}
		buf, err := await(ctx, resp.Call("arrayBuffer"))
		if err != nil {
			return nil, err
		}
		arr := global.Get("Uint8Array").New(buf)
		out := make([]byte, arr.Length())
		js.CopyBytesToGo(out, arr)
		return out, nil
	}
	ff, err := fetchBytes("/web/pigo-facefinder")
	if err == nil {
		var pl []byte
		pl, err = fetchBytes("/web/pigo-puploc")
		if err == nil {
			detector, err = facefind.New(ff, pl)
		}
	}
	if err != nil {
		detectorErr = err
		<-detectorOnce // let a later try-on retry
		return err
	}
	return nil
}

// loadGlasses draws the glasses' front from the product's model (from
// the model cache when the product page already loaded it). Run on a
// goroutine.
func (t *tryOnFlow) loadGlasses(ctx context.Context) {
	var final []byte
	err := t.p.u.loader.Load(ctx, t.prod.SKU, t.prod.Version, func(lv progressive.Level) error {
		if lv.Final {
			final = lv.Data
		}
		return nil
	}, nil)
	var img js.Value
	ratio := 0.0
	if err == nil && final != nil {
		var m *glb.Model
		m, err = glb.Decode(final, glb.Limits{})
		if err == nil {
			textures := make([]*image.RGBA, len(m.Images))
			for i, im := range m.Images {
				textures[i], _ = glb.DecodeImage(im, 1024) // a broken texture leaves the base colour
			}
			front := placeflow.FrontView(m, textures, glassesImagePx)
			w, h := front.Rect.Dx(), front.Rect.Dy()
			img = element("canvas", "", "")
			img.Set("width", w)
			img.Set("height", h)
			data := global.Get("Uint8ClampedArray").New(len(front.Pix))
			js.CopyBytesToJS(global.Get("Uint8Array").New(data.Get("buffer")), front.Pix)
			img.Call("getContext", "2d").Call("putImageData", global.Get("ImageData").New(data, w, h), 0, 0)
			ratio = float64(h) / float64(w)
		}
	}
	if err == nil && final == nil {
		err = errors.New("no model")
	}
	t.p.post(func() {
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			t.p.log.Warn("try-on: glasses drawing unavailable", "err", err)
			return
		}
		t.glasses, t.glassesRatio = img, ratio
		t.drawOverlay()
	})
}

func (t *tryOnFlow) startCamera() {
	t.showError(t.errorBox, "")
	setText(t.status, "Starting the camera…")
	ctx := t.ctx
	go func() {
		stream, err := openCamera(ctx, t.video, "user")
		t.p.post(func() {
			if ctx.Err() != nil {
				stopStream(stream)
				return
			}
			if err != nil {
				hook().Set("cameraError", err.Error())
				t.showError(t.errorBox, capitalise(err.Error())+".")
				setText(t.status, "")
				return
			}
			stopStream(t.stream)
			t.stream, t.live = stream, true
			setHidden(t.video, false)
			setHidden(t.photo, true)
			t.newSource()
			setText(t.status, "Looking for your face…")
			go t.analyseLoop(ctx, stream)
		})
	}()
}

func (t *tryOnFlow) usePhotoFile(file js.Value) {
	t.showError(t.errorBox, "")
	ctx := t.ctx
	go func() {
		bmp, err := decodePhoto(ctx, file)
		t.p.post(func() {
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				t.showError(t.errorBox, capitalise(err.Error())+".")
				return
			}
			stopStream(t.stream)
			t.stream, t.live = js.Null(), false
			setHidden(t.video, true)
			setHidden(t.photo, false)
			drawToCanvas(t.photo, bmp, bmp.Get("width").Int(), bmp.Get("height").Int())
			bmp.Call("close")
			t.newSource()
			go func() {
				if err := loadDetector(ctx); err != nil {
					return
				}
				m, ok := t.analyseFrame(t.photo, t.photo.Get("width").Int(), t.photo.Get("height").Int())
				t.p.post(func() { t.analysed(m, ok) })
			}()
		})
	}()
}

func (t *tryOnFlow) newSource() {
	t.track.Reset()
	t.found, t.asked, t.reply = false, false, nil
	setHidden(t.result, true)
	hook().Set("face", false)
}

// analyseLoop analyses the live video until the flow closes or the
// stream changes. Run on a goroutine.
func (t *tryOnFlow) analyseLoop(ctx context.Context, stream js.Value) {
	if err := loadDetector(ctx); err != nil {
		return
	}
	tick := time.NewTicker(analyseEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !t.stream.Equal(stream) {
			return
		}
		w, h := t.video.Get("videoWidth").Int(), t.video.Get("videoHeight").Int()
		if w == 0 || h == 0 {
			continue
		}
		m, ok := t.analyseFrame(t.video, w, h)
		done := make(chan struct{})
		t.p.post(func() { t.analysed(m, ok); close(done) })
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
	}
}

// analyseFrame finds the face and measures it in one frame of src, read
// at no more than analyseMaxSide. Run on a goroutine (it is CPU-bound).
func (t *tryOnFlow) analyseFrame(src js.Value, w, h int) (frame, bool) {
	if s := max(w, h); s > analyseMaxSide {
		w, h = w*analyseMaxSide/s, h*analyseMaxSide/s
	}
	if w < 32 || h < 32 {
		return frame{}, false
	}
	if t.analyse.Get("width").Int() != w || t.analyse.Get("height").Int() != h {
		t.analyse.Set("width", w)
		t.analyse.Set("height", h)
	}
	ctx := t.analyse.Call("getContext", "2d", map[string]any{"willReadFrequently": true})
	ctx.Call("drawImage", src, 0, 0, w, h)
	g, err := placeflow.GrayFromRGBA(readRGBA(t.analyse, 0, 0, w, h), 0, 0, w, h)
	if err != nil {
		return frame{}, false
	}
	face, ok := detector.Find(g.Pix, w, h)
	if !ok || !face.Pupils {
		return frame{w: w, h: h}, false
	}
	return frame{m: placeflow.MeasureFace(g, placeflow.Point(face.Left), placeflow.Point(face.Right)), w: w, h: h}, true
}

// frame is one analysed frame: the measurement and the frame's size.
type frame struct {
	m    placeflow.FaceMeasure
	w, h int
}

// analysed takes a frame's result: smooth it, draw the glasses, and ask
// for the size once the measurement has settled.
func (t *tryOnFlow) analysed(fr frame, ok bool) {
	if fr.w > 0 {
		t.imgW, t.imgH = fr.w, fr.h
	}
	if !ok {
		if t.found {
			setText(t.status, "Face lost. Look straight at the camera.")
		} else if !t.live {
			t.showError(t.errorBox, "No face was found in that photo. Use a photo looking straight at the camera, in good light.")
			setText(t.status, "")
		}
		t.found = false
		hook().Set("face", false)
		t.drawOverlay()
		return
	}
	t.face = t.track.Add(fr.m)
	t.found = true
	hook().Set("face", true)
	hook().Set("pdPx", t.face.PDPx)
	hook().Set("irisPx", t.face.IrisPx)
	t.measure.Set("disabled", false)
	status := fmt.Sprintf("Face found: pupils %.0f px apart", t.face.PDPx)
	if t.face.IrisPx > 0 {
		status += fmt.Sprintf(", iris %.1f px", t.face.IrisPx)
	} else if !t.useCard {
		status += "; the iris is not clear enough yet: come closer, or use a bank card"
	}
	setText(t.status, status+".")
	t.drawOverlay()
	ready := t.face.IrisPx > 0 && (!t.live || t.track.Frames() >= framesToSize)
	if !t.asked && ready && !t.useCard {
		t.asked = true
		t.askFace()
	}
}

// scaleMMPerPx is the scale the drawing uses: the server's answer, else
// the card or the iris, else a typical pupillary distance.
func (t *tryOnFlow) scaleMMPerPx() (float64, bool) {
	if t.reply != nil && t.reply.MMPerPx != nil && t.reply.MMPerPx.MM > 0 {
		return t.reply.MMPerPx.MM, true
	}
	if t.useCard {
		if w := t.cardWidthPx(); w > 0 {
			return placeflow.CardWidthMM / w, true
		}
	}
	if s := placeflow.MMPerPxFromIris(t.face.IrisPx); s > 0 {
		return s, true
	}
	if t.face.PDPx > 0 {
		return typicalPDMM / t.face.PDPx, false
	}
	return 0, false
}

func (t *tryOnFlow) fit() placeflow.Fit {
	return placeflow.Fit{ImgW: t.imgW, ImgH: t.imgH,
		BoxW: t.p.stage.Get("clientWidth").Float(), BoxH: t.p.stage.Get("clientHeight").Float()}
}

// cardWidthPx is the card outline's width in analysed-frame pixels.
func (t *tryOnFlow) cardWidthPx() float64 {
	s := t.fit().Scale()
	if s <= 0 {
		return 0
	}
	return t.cardWidth.Get("valueAsNumber").Float() / s
}

func (t *tryOnFlow) setCard(card bool) {
	t.useCard = card
	setHidden(t.cardBox, !card)
	if card && !t.cardSet && t.found {
		f := t.fit()
		mid := f.ToBox(placeflow.Point{X: (t.face.Left.X + t.face.Right.X) / 2, Y: (t.face.Left.Y + t.face.Right.Y) / 2})
		t.card = placeflow.Point{X: mid.X, Y: mid.Y - 0.9*t.face.PDPx*f.Scale()}
		t.cardWidth.Set("value", math.Round(1.4*t.face.PDPx*f.Scale()))
		t.cardSet = true
	}
	t.marks.Get("classList").Call("toggle", "card", card)
	if card {
		t.p.announce("Hold a bank card flat against your forehead, then drag the outline onto it and change its width until it matches. Then press Get my frame size.")
	}
	t.drawOverlay()
}

// askFace sends the face measurements with the chosen scale.
func (t *tryOnFlow) askFace() {
	if !t.found || t.face.PDPx <= 0 {
		t.showError(t.errorBox, "No face found yet.")
		return
	}
	req := wire.PlaceTryOn{SKU: t.prod.SKU, PupillaryDistancePx: t.face.PDPx, FaceWidthPx: t.face.FaceWidthPx, SigmaPx: 1}
	switch {
	case t.useCard:
		req.CardWidthPx = t.cardWidthPx()
		req.CardHeightPx = req.CardWidthPx * placeflow.CardHeightMM / placeflow.CardWidthMM
	case t.face.IrisPx > 0:
		req.IrisDiameterPx = t.face.IrisPx
	default:
		t.showError(t.errorBox, "The iris could not be measured. Come closer to the camera in good light, or use a bank card.")
		return
	}
	t.ask(req, t.errorBox)
}

// drawOverlay draws the glasses over the face (and the card outline).
func (t *tryOnFlow) drawOverlay() {
	if !t.overlay.Truthy() {
		return
	}
	f := t.fit()
	ratio := math.Min(global.Get("devicePixelRatio").Float(), 2)
	if !(ratio >= 1) {
		ratio = 1
	}
	cw, ch := int(f.BoxW*ratio), int(f.BoxH*ratio)
	if t.overlay.Get("width").Int() != cw || t.overlay.Get("height").Int() != ch {
		t.overlay.Set("width", cw)
		t.overlay.Set("height", ch)
	}
	ctx := t.overlay.Call("getContext", "2d")
	ctx.Call("setTransform", ratio, 0, 0, ratio, 0, 0)
	ctx.Call("clearRect", 0, 0, f.BoxW, f.BoxH)
	t.marks.Set("textContent", "")
	t.marks.Call("setAttribute", "viewBox", fmt.Sprintf("0 0 %.1f %.1f", f.BoxW, f.BoxH))
	if t.useCard {
		w := t.cardWidth.Get("valueAsNumber").Float()
		h := w * placeflow.CardHeightMM / placeflow.CardWidthMM
		rect := document.Call("createElementNS", svgNS, "rect")
		for k, v := range map[string]float64{"x": t.card.X - w/2, "y": t.card.Y - h/2, "width": w, "height": h, "rx": w * 0.04} {
			rect.Call("setAttribute", k, ftoa(v))
		}
		rect.Call("setAttribute", "class", "place-card")
		t.marks.Call("appendChild", rect)
	}
	if !t.found || f.Scale() == 0 {
		return
	}
	mm, _ := t.scaleMMPerPx()
	frameMM := t.prod.DimensionsM.W * 1000
	if t.reply != nil && t.reply.FrameWidth != nil {
		frameMM = t.reply.FrameWidth.MM
	}
	place, ok := placeflow.PlaceGlasses(t.face, frameMM, mm)
	if !ok {
		return
	}
	s := f.Scale()
	c := f.ToBox(place.Centre)
	// Pupils, faintly, so the shopper sees what was measured.
	for _, eye := range []placeflow.Point{t.face.Left, t.face.Right} {
		b := f.ToBox(eye)
		ctx.Call("beginPath")
		ctx.Call("arc", b.X, b.Y, 3, 0, 2*math.Pi)
		ctx.Set("fillStyle", "rgba(47, 93, 80, 0.85)")
		ctx.Call("fill")
	}
	if !t.glasses.Truthy() {
		return
	}
	w := place.WidthPx * s
	h := w * t.glassesRatio
	ctx.Call("save")
	ctx.Call("translate", c.X, c.Y)
	ctx.Call("rotate", place.Angle)
	ctx.Call("drawImage", t.glasses, -w/2, -h/2, w, h)
	ctx.Call("restore")
	t.draws++
	hook().Set("glasses", t.draws)
	hook().Set("glassesBox", map[string]any{"x": c.X - w/2, "y": c.Y - h/2, "w": w, "h": h})
}
