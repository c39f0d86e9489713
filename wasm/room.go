//go:build js && wasm

package main

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"syscall/js"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/placeflow"
	"github.com/vitrine-shop/vitrine/wire"
)

//go:embed place_room.html
var roomPanelHTML string

// Room flow tuning.
const (
	handleRadiusCSS = 16               // how close a press must be to grab a handle
	rotateStepDeg   = 15               // one press of Rotate or [ / ]
	placeTimeout    = 20 * time.Second // a place.* call
	svgNS           = "http://www.w3.org/2000/svg"
)

// roomFlow is "View in your room": a photo (chosen or taken), the
// reference's corners, the product drawn in it by g3n with the camera
// and plane from place.pose, and the fit check with place.fit. Its
// methods run on the placeFlows loop.
type roomFlow struct {
	p      *placeFlows
	ctx    context.Context
	cancel context.CancelFunc
	st     *placeflow.Room
	sku    string

	photo, video, marks js.Value
	stream              js.Value
	inViewer            bool // the viewer is in room mode

	// panel
	instruction, precision, errorBox, refSel, sides, refW, refH  js.Value
	capture, fitBox, fitVerdict, fitMargins, fitAdvice, markFree js.Value

	drag       placeflow.Handle
	dragging   bool
	cursor     placeflow.Point // keyboard cursor, image pixels
	cursorOn   bool
	poseBusy   bool
	posePend   bool
	pose       *wire.PlacePoseReply
	poseCount  int
	fitSeq     int
	funcs      []js.Func
	stopResize func()
}

func (p *placeFlows) openRoom() {
	if p.room != nil || !inRoom(p.product.Placement) || p.v == nil {
		return
	}
	p.closeFlow()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancelRun = cancel
	r := &roomFlow{p: p, ctx: ctx, cancel: cancel, sku: p.product.SKU,
		st: placeflow.NewRoom(0, 0, p.product.Placement)}
	p.room = r
	p.openPanel(roomPanelHTML)
	p.stage.Get("classList").Call("add", "placing")
	r.build()
	r.render()
	hook().Set("state", "room-photo")
	p.announce("View in your room. " + r.st.Instruction())
}

// each calls f for every element of a NodeList.
func each(list js.Value, f func(js.Value)) {
	for i := 0; i < list.Length(); i++ {
		f(list.Index(i))
	}
}

// on listens like listen, but the function is released when the flow
// closes.
func (r *roomFlow) on(target js.Value, event string, handle func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			handle(args[0])
		}
		return nil
	})
	r.funcs = append(r.funcs, f)
	target.Call("addEventListener", event, f)
}

// build creates the stage layers and binds the panel.
func (r *roomFlow) build() {
	p := r.p
	r.photo = element("canvas", "place-photo", "")
	r.photo.Set("id", "place-photo")
	r.photo.Call("setAttribute", "aria-hidden", "true")
	r.video = element("video", "place-photo", "")
	r.video.Set("id", "place-video")
	r.video.Call("setAttribute", "aria-hidden", "true")
	setHidden(r.video, true)
	canvas := byID("g3n-canvas")
	p.stage.Call("insertBefore", r.photo, canvas)
	p.stage.Call("insertBefore", r.video, canvas)
	r.marks = document.Call("createElementNS", svgNS, "svg")
	r.marks.Call("setAttribute", "id", "place-marks")
	r.marks.Call("setAttribute", "class", "place-marks")
	r.marks.Call("setAttribute", "tabindex", "0")
	r.marks.Call("setAttribute", "role", "application")
	r.marks.Call("setAttribute", "aria-label", "Your photo. Tap to mark points; drag a mark to adjust it. With the keyboard, move the cross with the arrow keys and press Enter.")
	p.stage.Call("insertBefore", r.marks, canvas.Get("nextSibling"))

	r.instruction = byID("room-instruction")
	r.precision = byID("room-precision")
	r.errorBox = byID("room-error")
	r.refSel = byID("room-ref")
	r.sides = byID("room-sides")
	r.refW, r.refH = byID("room-ref-w"), byID("room-ref-h")
	r.capture = byID("room-capture")
	r.fitBox = byID("room-fit")
	r.fitVerdict = byID("room-fit-verdict")
	r.fitMargins = byID("room-fit-margins")
	r.fitAdvice = byID("room-fit-advice")
	r.markFree = byID("room-mark-free")
	for _, ref := range placeflow.References {
		opt := element("option", "", ref.Label)
		opt.Set("value", ref.ID)
		r.refSel.Call("appendChild", opt)
	}
	for _, sel := range []string{`input[name="room-surface"][value="` + r.st.Surface + `"]`,
		fmt.Sprintf(`input[name="room-free"][value="%d"]`, r.st.FreePoints)} {
		if e := p.panel.Call("querySelector", sel); !e.IsNull() {
			e.Set("checked", true)
		}
	}

	post := p.post
	r.on(byID("room-file"), "change", func(ev js.Value) {
		files := ev.Get("target").Get("files")
		if files.Length() == 0 {
			return
		}
		file := files.Index(0)
		post(func() { r.usePhotoFile(file) })
	})
	r.on(byID("room-camera"), "click", func(js.Value) { post(r.startCamera) })
	r.on(r.capture, "click", func(js.Value) { post(r.takePhoto) })
	r.on(r.refSel, "change", func(js.Value) { post(r.referenceChanged) })
	r.on(r.refW, "change", func(js.Value) { post(r.referenceChanged) })
	r.on(r.refH, "change", func(js.Value) { post(r.referenceChanged) })
	each(p.panel.Call("querySelectorAll", `input[name="room-surface"]`), func(e js.Value) {
		r.on(e, "change", func(ev js.Value) {
			v := ev.Get("target").Get("value").String()
			post(func() { r.surfaceChanged(v) })
		})
	})
	each(p.panel.Call("querySelectorAll", `input[name="room-free"]`), func(e js.Value) {
		r.on(e, "change", func(ev js.Value) {
			n, _ := strconv.Atoi(ev.Get("target").Get("value").String())
			post(func() { r.st.FreePoints = n; r.render() })
		})
	})
	r.on(byID("room-rotate-left"), "click", func(js.Value) { post(func() { r.rotate(-rotateStepDeg) }) })
	r.on(byID("room-rotate-right"), "click", func(js.Value) { post(func() { r.rotate(rotateStepDeg) }) })
	r.on(byID("room-corners-again"), "click", func(js.Value) { post(r.cornersAgain) })
	r.on(r.markFree, "click", func(js.Value) { post(r.toggleFreeSpace) })

	// Pointer input on the photo. Positions are relative to the stage.
	pos := func(ev js.Value) placeflow.Point {
		rect := r.marks.Call("getBoundingClientRect")
		return placeflow.Point{X: ev.Get("clientX").Float() - rect.Get("left").Float(), Y: ev.Get("clientY").Float() - rect.Get("top").Float()}
	}
	r.on(r.marks, "pointerdown", func(ev js.Value) {
		if ev.Get("button").Int() != 0 {
			return
		}
		ev.Call("preventDefault")
		r.marks.Call("focus")
		r.marks.Call("setPointerCapture", ev.Get("pointerId"))
		at := pos(ev)
		post(func() { r.pointerDown(at) })
	})
	r.on(r.marks, "pointermove", func(ev js.Value) {
		at := pos(ev)
		post(func() { r.pointerMove(at) })
	})
	for _, name := range []string{"pointerup", "pointercancel"} {
		r.on(r.marks, name, func(js.Value) { post(r.pointerUp) })
	}
	r.on(r.marks, "keydown", func(ev js.Value) {
		key := ev.Get("key").String()
		shift := ev.Get("shiftKey").Bool()
		switch key {
		case "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Enter", " ", "[", "]":
			ev.Call("preventDefault")
			post(func() { r.key(key, shift) })
		}
	})
	r.on(r.marks, "blur", func(js.Value) { post(func() { r.cursorOn = false; r.render() }) })
	ro := global.Get("ResizeObserver")
	if ro.Truthy() {
		f := js.FuncOf(func(js.Value, []js.Value) any {
			post(func() { r.render(); r.applyPose() })
			return nil
		})
		r.funcs = append(r.funcs, f)
		obs := ro.New(f)
		obs.Call("observe", p.stage)
		r.stopResize = func() { obs.Call("disconnect") }
	}
}

// close ends the flow: camera off, layers gone, the viewer back to 3D.
func (r *roomFlow) close() {
	r.cancel()
	stopStream(r.stream)
	for _, e := range []js.Value{r.photo, r.video, r.marks} {
		if e.Truthy() {
			e.Call("remove")
		}
	}
	if r.stopResize != nil {
		r.stopResize()
	}
	for _, f := range r.funcs {
		f.Release()
	}
	r.funcs = nil
	if r.inViewer {
		v := r.p.v
		go v.do(v.leaveRoom)
	}
}

func (r *roomFlow) showError(msg string) {
	setText(r.errorBox, msg)
	setHidden(r.errorBox, msg == "")
	if msg != "" {
		r.p.announce(msg)
	}
}

// fit maps the photo into the stage box.
func (r *roomFlow) fit() placeflow.Fit {
	return placeflow.Fit{ImgW: r.st.ImgW, ImgH: r.st.ImgH,
		BoxW: r.p.stage.Get("clientWidth").Float(), BoxH: r.p.stage.Get("clientHeight").Float()}
}

// startCamera shows the live camera with a "Take the photo" button.
func (r *roomFlow) startCamera() {
	r.showError("")
	setText(r.instruction, "Starting the camera…")
	ctx := r.ctx
	go func() {
		stream, err := openCamera(ctx, r.video, "environment")
		r.p.post(func() {
			if ctx.Err() != nil {
				stopStream(stream)
				return
			}
			if err != nil {
				hook().Set("cameraError", err.Error())
				r.showError(capitalise(err.Error()) + ".")
				r.render()
				return
			}
			stopStream(r.stream)
			r.stream = stream
			setHidden(r.video, false)
			setHidden(r.photo, true)
			setHidden(r.capture, false)
			setText(r.instruction, "Frame the room with the reference in view, then take the photo.")
			hook().Set("state", "room-camera")
			r.capture.Call("focus")
		})
	}()
}

// takePhoto freezes the current camera frame as the photo.
func (r *roomFlow) takePhoto() {
	w, h := r.video.Get("videoWidth").Int(), r.video.Get("videoHeight").Int()
	if w == 0 || h == 0 {
		return
	}
	w, h = drawToCanvas(r.photo, r.video, w, h)
	stopStream(r.stream)
	r.stream = js.Null()
	setHidden(r.video, true)
	setHidden(r.capture, true)
	r.newPhoto(w, h)
}

// usePhotoFile decodes a chosen photo and shows it.
func (r *roomFlow) usePhotoFile(file js.Value) {
	r.showError("")
	ctx := r.ctx
	go func() {
		bmp, err := decodePhoto(ctx, file)
		r.p.post(func() {
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				r.showError(capitalise(err.Error()) + ".")
				return
			}
			stopStream(r.stream)
			setHidden(r.video, true)
			setHidden(r.capture, true)
			w, h := drawToCanvas(r.photo, bmp, bmp.Get("width").Int(), bmp.Get("height").Int())
			bmp.Call("close")
			r.newPhoto(w, h)
		})
	}()
}

func (r *roomFlow) newPhoto(w, h int) {
	if w < 16 || h < 16 {
		r.showError("That photo is too small to measure.")
		return
	}
	setHidden(r.photo, false)
	ref, surface, free := r.st.Ref, r.st.Surface, r.st.FreePoints
	r.st = placeflow.NewRoom(w, h, r.p.product.Placement)
	r.st.Ref, r.st.Surface, r.st.FreePoints = ref, surface, free
	r.pose = nil
	r.cursor = placeflow.Point{X: float64(w) / 2, Y: float64(h) / 2}
	setHidden(r.fitBox, true)
	setText(r.precision, "")
	hook().Set("photo", map[string]any{"w": w, "h": h})
	if !r.inViewer {
		r.inViewer = true
		v := r.p.v
		go v.do(v.enterRoom)
	} else {
		go r.p.v.do(r.p.v.hideRoomModel)
	}
	r.render()
	r.marks.Call("focus")
	r.p.announce("Photo ready. " + r.st.Instruction())
}

func (r *roomFlow) referenceChanged() {
	id := r.refSel.Get("value").String()
	ref, ok := placeflow.ReferenceByID(id)
	if !ok {
		return
	}
	custom := id == "custom" || id == "rug"
	setHidden(r.sides, !custom)
	r.showError("")
	if custom {
		unit := "cm"
		if r.p.u != nil && (r.p.u.locale == "en-US") {
			unit = "in"
		}
		wText, hText := r.refW.Get("value").String(), r.refH.Get("value").String()
		if wText == "" && hText == "" && id == "rug" {
			r.refW.Set("value", "160 cm")
			r.refH.Set("value", "230 cm")
			wText, hText = "160 cm", "230 cm"
		}
		if wText == "" || hText == "" {
			setText(r.instruction, "Type both sides of the rectangle.")
			return
		}
		w, errW := placeflow.ParseSide(wText, unit)
		h, errH := placeflow.ParseSide(hText, unit)
		if errW != nil || errH != nil {
			r.showError("Type each side as a length from 5 cm to 10 m, for example 160 cm or 63 in.")
			return
		}
		ref.WidthM, ref.HeightM = w, h
	}
	r.st.Ref = ref
	r.render()
	r.requestPose()
}

func (r *roomFlow) surfaceChanged(surface string) {
	if surface != wire.SurfaceFloor && surface != wire.SurfaceWall {
		return
	}
	r.st.Surface = surface
	r.render()
	r.requestPose()
}

func (r *roomFlow) cornersAgain() {
	r.st.ResetCorners()
	r.pose = nil
	setHidden(r.fitBox, true)
	setText(r.precision, "")
	go r.p.v.do(r.p.v.hideRoomModel)
	r.render()
	r.marks.Call("focus")
	r.p.announce(r.st.Instruction())
}

func (r *roomFlow) rotate(deg float64) {
	if r.st.Tap == nil {
		return
	}
	r.st.Rotate(deg)
	r.requestPose()
	r.p.announce(fmt.Sprintf("Turned to %.0f degrees.", r.st.AngleDeg))
}

func (r *roomFlow) toggleFreeSpace() {
	if len(r.st.Corners) < 4 {
		r.p.announce("Mark the reference's corners first.")
		return
	}
	if r.st.Step() == placeflow.StepFreeSpace {
		r.st.StopFreeSpace()
	} else {
		n := r.st.FreePoints
		if e := r.p.panel.Call("querySelector", `input[name="room-free"]:checked`); !e.IsNull() {
			n, _ = strconv.Atoi(e.Get("value").String())
		}
		r.st.StartFreeSpace(n)
		setHidden(r.fitBox, true)
		r.marks.Call("focus")
	}
	r.render()
	r.p.announce(r.st.Instruction())
}

// tap handles a tap (pointer or Enter) at image point at.
func (r *roomFlow) tap(at placeflow.Point) {
	before := r.st.Step()
	if before == placeflow.StepPhoto {
		return
	}
	after := r.st.TapAt(at)
	switch {
	case before == placeflow.StepCorners && after != placeflow.StepCorners:
		r.cornersDone()
	case before == placeflow.StepPlace || before == placeflow.StepPlaced:
		r.requestPose()
	case before == placeflow.StepFreeSpace && r.st.FreeComplete():
		r.requestFit()
	}
	r.render()
	if before == placeflow.StepCorners || before == placeflow.StepFreeSpace {
		r.p.announce(r.st.Instruction())
	}
}

// cornersDone checks the four corners and refines them on the photo.
func (r *roomFlow) cornersDone() {
	var q [4]placeflow.Point
	copy(q[:], r.st.Corners)
	if err := placeflow.CheckQuad(q); err != nil {
		r.st.ResetCorners()
		r.showError("Those corners do not go round a rectangle. Tap them again in order, going round the shape.")
		r.render()
		return
	}
	r.showError("")
	r.refine()
	if r.st.Tap != nil {
		r.requestPose()
	}
}

// refine moves the corners onto the sheet's edges when it can find
// them, and records how precise the corners are.
func (r *roomFlow) refine() {
	var q [4]placeflow.Point
	copy(q[:], r.st.Corners)
	tapSigma := r.clickSigma()
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range q {
		minX, minY = math.Min(minX, c.X), math.Min(minY, c.Y)
		maxX, maxY = math.Max(maxX, c.X), math.Max(maxY, c.Y)
	}
	const pad = 24
	x0, y0 := max(int(minX)-pad, 0), max(int(minY)-pad, 0)
	x1, y1 := min(int(maxX)+pad, r.st.ImgW), min(int(maxY)+pad, r.st.ImgH)
	var refined placeflow.Refined
	var err error
	if (x1-x0)*(y1-y0) > 24<<20 {
		err = placeflow.ErrNoEdge
	} else {
		var g placeflow.Gray
		g, err = placeflow.GrayFromRGBA(readRGBA(r.photo, x0, y0, x1-x0, y1-y0), x0, y0, x1-x0, y1-y0)
		if err == nil {
			refined, err = placeflow.RefineCorners(g, q)
		}
	}
	if err != nil {
		r.st.Refined, r.st.CornerSigmaPx = false, tapSigma
		hook().Set("refined", false)
		r.p.announce(fmt.Sprintf("Corners marked. The sheet's edges were not found, so your taps are used as they are (about ±%.1f px).", tapSigma))
	} else {
		r.st.Corners = refined.Corners[:]
		r.st.Refined, r.st.CornerSigmaPx = true, refined.SigmaPx
		hook().Set("refined", true)
		r.p.announce(fmt.Sprintf("Corners found on the sheet's edges, to ±%.2f px. %s", refined.SigmaPx, r.st.Instruction()))
	}
	hook().Set("sigmaPx", r.st.CornerSigmaPx)
	hook().Set("corners", cornersJS(r.st.Corners))
	r.showPrecision()
}

func cornersJS(cs []placeflow.Point) js.Value {
	arr := global.Get("Array").New()
	for _, c := range cs {
		arr.Call("push", global.Get("Array").New(c.X, c.Y))
	}
	return arr
}

// clickSigma is a tap's 1σ in image pixels: about one CSS pixel.
func (r *roomFlow) clickSigma() float64 {
	s := r.fit().Scale()
	if s <= 0 {
		return 1
	}
	return math.Min(math.Max(1/s, 0.5), wire.PlaceMaxSigmaPx)
}

func (r *roomFlow) showPrecision() {
	mpp := 0.0
	if r.pose != nil {
		mpp = r.pose.MetresPerPixel
	}
	setText(r.precision, placeflow.PrecisionText(r.st.CornerSigmaPx, r.st.Refined, mpp))
}

func (r *roomFlow) pointerDown(box placeflow.Point) {
	if r.st.Step() == placeflow.StepPhoto {
		return
	}
	f := r.fit()
	at, inside := f.ToImage(box)
	radius := handleRadiusCSS / math.Max(f.Scale(), 1e-6)
	if h := r.st.HandleAt(at, radius); h.Kind != placeflow.NoHandle {
		r.drag, r.dragging = h, true
		return
	}
	if inside {
		r.tap(at)
		if r.st.Step() == placeflow.StepPlaced {
			r.drag, r.dragging = placeflow.Handle{Kind: placeflow.ProductHandle, Index: -1}, true
		}
	}
}

func (r *roomFlow) pointerMove(box placeflow.Point) {
	if !r.dragging {
		return
	}
	at, _ := r.fit().ToImage(box)
	r.st.Move(r.drag, r.fit().Clamp(at))
	if r.drag.Kind == placeflow.ProductHandle {
		r.requestPose()
	}
	r.render()
}

func (r *roomFlow) pointerUp() {
	if !r.dragging {
		return
	}
	r.dragging = false
	switch r.drag.Kind {
	case placeflow.CornerHandle:
		r.cornersDone()
		if r.st.FreeComplete() {
			r.requestFit()
		}
	case placeflow.FreeHandle:
		if r.st.FreeComplete() {
			r.requestFit()
		}
	}
	r.render()
}

// key moves the keyboard cursor (or the product once placed) and taps
// with Enter.
func (r *roomFlow) key(key string, shift bool) {
	if r.st.Step() == placeflow.StepPhoto {
		return
	}
	step := 2.0 / math.Max(r.fit().Scale(), 1e-6)
	if shift {
		step *= 10
	}
	dx, dy := 0.0, 0.0
	switch key {
	case "ArrowLeft":
		dx = -step
	case "ArrowRight":
		dx = step
	case "ArrowUp":
		dy = -step
	case "ArrowDown":
		dy = step
	case "[":
		r.rotate(-rotateStepDeg)
		return
	case "]":
		r.rotate(rotateStepDeg)
		return
	case "Enter", " ":
		r.tap(r.cursor)
		return
	}
	if r.st.Step() == placeflow.StepPlaced && r.st.Tap != nil {
		r.st.Move(placeflow.Handle{Kind: placeflow.ProductHandle, Index: -1}, placeflow.Point{X: r.st.Tap.X + dx, Y: r.st.Tap.Y + dy})
		r.cursor = *r.st.Tap
		r.requestPose()
	} else {
		r.cursor = r.fit().Clamp(placeflow.Point{X: r.cursor.X + dx, Y: r.cursor.Y + dy})
	}
	r.cursorOn = true
	r.render()
}

// requestPose asks place.pose for the product at the tap point; while
// one is in flight, later changes wait and only the latest is sent.
func (r *roomFlow) requestPose() {
	if r.st.Tap == nil || len(r.st.Corners) < 4 {
		return
	}
	if r.poseBusy {
		r.posePend = true
		return
	}
	req, err := r.st.PoseRequest(r.sku)
	if err != nil {
		r.showError(capitalise(err.Error()))
		return
	}
	r.poseBusy = true
	ctx := r.ctx
	go func() {
		callCtx, cancel := context.WithTimeout(ctx, placeTimeout)
		defer cancel()
		var reply wire.PlacePoseReply
		err := r.p.c.Call(callCtx, wire.TypePlacePose, req, &reply)
		r.p.post(func() {
			if ctx.Err() != nil {
				return
			}
			r.poseBusy = false
			if err != nil {
				r.showError("The product could not be placed: " + errorText(err))
				hook().Set("poseError", errorText(err))
			} else {
				r.showError("")
				r.pose = &reply
				r.applyPose()
				r.showPrecision()
				if r.poseCount == 1 {
					r.p.announce(fmt.Sprintf("%s placed at its true size, %.1f m from the camera. %s", r.p.product.Name, reply.DistanceM, r.st.Instruction()))
				}
			}
			if r.posePend {
				r.posePend = false
				r.requestPose()
			}
			r.render()
		})
	}()
}

// applyPose hands the latest pose to the viewer with the field of view
// that lays the camera over the photo in the stage.
func (r *roomFlow) applyPose() {
	if r.pose == nil || !r.inViewer {
		return
	}
	fov := r.fit().FovYDeg(r.pose.Intrinsics.Fy)
	if fov <= 0 {
		return
	}
	pose := *r.pose
	r.poseCount++
	n := r.poseCount
	v := r.p.v
	go v.do(func() {
		v.roomPose(pose, fov)
		hook().Set("poses", n)
	})
	hook().Set("state", "room-placed")
}

// requestFit asks place.fit about the marked free space.
func (r *roomFlow) requestFit() {
	req, err := r.st.FitRequest(r.sku, r.clickSigma())
	if err != nil {
		r.showError(capitalise(err.Error()))
		return
	}
	r.fitSeq++
	seq := r.fitSeq
	setHidden(r.fitBox, false)
	r.fitBox.Get("dataset").Set("verdict", "")
	setText(r.fitVerdict, "Checking…")
	r.fitMargins.Set("textContent", "")
	setHidden(r.fitAdvice, true)
	ctx := r.ctx
	go func() {
		callCtx, cancel := context.WithTimeout(ctx, placeTimeout)
		defer cancel()
		var reply wire.PlaceFitReply
		err := r.p.c.Call(callCtx, wire.TypePlaceFit, req, &reply)
		r.p.post(func() {
			if ctx.Err() != nil || seq != r.fitSeq {
				return
			}
			if err != nil {
				setText(r.fitVerdict, "The fit could not be checked: "+errorText(err))
				r.p.announce("The fit could not be checked: " + errorText(err))
				hook().Set("fitError", errorText(err))
				return
			}
			r.showFit(reply)
		})
	}()
}

func (r *roomFlow) showFit(reply wire.PlaceFitReply) {
	r.fitBox.Get("dataset").Set("verdict", reply.Verdict)
	setText(r.fitVerdict, placeflow.VerdictLabel(reply.Verdict)+" — "+reply.Message)
	r.fitMargins.Set("textContent", "")
	for _, m := range reply.Margins {
		r.fitMargins.Call("appendChild", element("li", "", placeflow.MarginLine(m)))
	}
	advice := ""
	if !reply.Trustworthy {
		advice = "This answer is not precise enough to rely on."
		if reply.Suggestion != "" {
			advice += " " + reply.Suggestion
		}
	}
	setText(r.fitAdvice, advice)
	setHidden(r.fitAdvice, advice == "")
	r.p.announce(placeflow.FitSpoken(reply))
	hook().Set("fit", reply.Verdict)
	hook().Set("fitTrustworthy", reply.Trustworthy)
	hook().Set("state", "room-fit")
}

// render redraws the marks and the panel's state.
func (r *roomFlow) render() {
	step := r.st.Step()
	setText(r.instruction, r.st.Instruction())
	placed := r.st.Tap != nil && len(r.st.Corners) == 4
	for _, id := range []string{"room-rotate-left", "room-rotate-right"} {
		byID(id).Set("disabled", !placed)
	}
	byID("room-corners-again").Set("disabled", len(r.st.Corners) == 0)
	r.markFree.Set("disabled", len(r.st.Corners) < 4)
	if step == placeflow.StepFreeSpace {
		setText(r.markFree, "Done marking")
	} else {
		setText(r.markFree, "Mark the free space")
	}
	r.marks.Get("dataset").Set("step", stepName(step))
	if step != placeflow.StepPhoto && step != placeflow.StepPlaced && hook().Get("state").String() != "room-fit" {
		hook().Set("state", "room-"+stepName(step))
	}
	r.drawMarks()
}

func stepName(s placeflow.Step) string {
	switch s {
	case placeflow.StepCorners:
		return "corners"
	case placeflow.StepPlace:
		return "place"
	case placeflow.StepPlaced:
		return "placed"
	case placeflow.StepFreeSpace:
		return "free"
	}
	return "photo"
}

// drawMarks draws the reference, the free space, the handles and the
// keyboard cursor in stage coordinates.
func (r *roomFlow) drawMarks() {
	m := r.marks
	m.Set("textContent", "")
	if r.st.ImgW == 0 {
		return
	}
	f := r.fit()
	m.Call("setAttribute", "viewBox", fmt.Sprintf("0 0 %.1f %.1f", f.BoxW, f.BoxH))
	add := func(tag string, attrs map[string]string) js.Value {
		e := document.Call("createElementNS", svgNS, tag)
		for k, v := range attrs {
			e.Call("setAttribute", k, v)
		}
		m.Call("appendChild", e)
		return e
	}
	poly := func(pts []placeflow.Point, class string, closed bool) {
		if len(pts) < 2 {
			return
		}
		s := ""
		for _, p := range pts {
			b := f.ToBox(p)
			s += fmt.Sprintf("%.1f,%.1f ", b.X, b.Y)
		}
		tag := "polyline"
		if closed && len(pts) > 2 {
			tag = "polygon"
		}
		add(tag, map[string]string{"points": s, "class": class})
	}
	handles := func(pts []placeflow.Point, class string) {
		for i, p := range pts {
			b := f.ToBox(p)
			add("circle", map[string]string{"cx": ftoa(b.X), "cy": ftoa(b.Y), "r": "9", "class": class})
			t := add("text", map[string]string{"x": ftoa(b.X + 12), "y": ftoa(b.Y - 10), "class": "place-label"})
			setText(t, strconv.Itoa(i+1))
		}
	}
	poly(r.st.Corners, "place-ref", len(r.st.Corners) == 4)
	handles(r.st.Corners, "place-handle")
	poly(r.st.Free, "place-free", len(r.st.Free) == 4)
	handles(r.st.Free, "place-handle free")
	if r.st.Tap != nil && r.pose == nil {
		b := f.ToBox(*r.st.Tap)
		add("circle", map[string]string{"cx": ftoa(b.X), "cy": ftoa(b.Y), "r": "6", "class": "place-tap"})
	}
	if r.cursorOn {
		b := f.ToBox(r.cursor)
		add("path", map[string]string{"d": fmt.Sprintf("M%.1f %.1fh24M%.1f %.1fv24", b.X-12, b.Y, b.X, b.Y-12), "class": "place-cursor"})
	}
}
