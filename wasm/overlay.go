//go:build js && wasm

package main

import (
	"strconv"
	"syscall/js"

	"github.com/g3n/engine/math32"

	"github.com/vitrine-shop/vitrine/wasm/format"
	"github.com/vitrine-shop/vitrine/wasm/framing"
	"github.com/vitrine-shop/vitrine/wire"
)

// dimsOverlay draws the true-size guides over the canvas: an SVG line
// along the model's width, height and depth edges with the real length
// beside each, re-projected whenever the camera moves. Only the frame
// loop touches it.
type dimsOverlay struct {
	svg     js.Value
	lines   [3]js.Value
	labels  [3]js.Value
	edges   [3]framing.Edge
	texts   [3]string
	on      bool
	hasEdge bool
}

func newDimsOverlay() *dimsOverlay {
	o := &dimsOverlay{svg: byID("dims-overlay"), on: true}
	for i, axis := range []string{"w", "h", "d"} {
		o.lines[i] = byID("dims-line-" + axis)
		o.labels[i] = byID("dims-label-" + axis)
	}
	return o
}

// set gives the overlay the centred bounding box and the real size.
func (o *dimsOverlay) set(lo, hi [3]float64, dims wire.Dimensions, locale string) {
	w, h, d := framing.Guides(lo, hi)
	o.edges = [3]framing.Edge{w, h, d}
	o.texts = [3]string{format.Length(dims.W, locale), format.Length(dims.H, locale), format.Length(dims.D, locale)}
	o.hasEdge = dims != (wire.Dimensions{})
	for i := range o.labels {
		setText(o.labels[i], o.texts[i])
	}
	o.show()
}

func (o *dimsOverlay) clear() {
	o.hasEdge = false
	o.show()
}

func (o *dimsOverlay) setOn(on bool) {
	o.on = on
	o.show()
}

func (o *dimsOverlay) show() {
	// SVG elements have no hidden property: use the attribute.
	if o.on && o.hasEdge {
		o.svg.Call("removeAttribute", "hidden")
	} else {
		o.svg.Call("setAttribute", "hidden", "")
	}
}

// update re-projects the guides for the camera's view-projection.
func (o *dimsOverlay) update(view, proj *math32.Matrix4, cssW, cssH float64) {
	if !o.on || !o.hasEdge {
		return
	}
	var vp math32.Matrix4
	vp.MultiplyMatrices(proj, view)
	o.svg.Call("setAttribute", "viewBox", "0 0 "+ftoa(cssW)+" "+ftoa(cssH))
	for i, e := range o.edges {
		x1, y1, ok1 := framing.Project(vp, e.From, cssW, cssH)
		x2, y2, ok2 := framing.Project(vp, e.To, cssW, cssH)
		visible := ok1 && ok2
		o.lines[i].Call("setAttribute", "visibility", visibility(visible))
		o.labels[i].Call("setAttribute", "visibility", visibility(visible))
		if !visible {
			continue
		}
		for name, v := range map[string]float64{"x1": x1, "y1": y1, "x2": x2, "y2": y2} {
			o.lines[i].Call("setAttribute", name, ftoa(v))
		}
		// The label sits at the edge's middle, nudged outwards.
		mx, my := (x1+x2)/2, (y1+y2)/2
		switch i {
		case 0:
			my += 18
		case 1:
			mx += 10
		case 2:
			mx += 10
			my += 14
		}
		o.labels[i].Call("setAttribute", "x", ftoa(mx))
		o.labels[i].Call("setAttribute", "y", ftoa(my))
	}
}

func visibility(v bool) string {
	if v {
		return "visible"
	}
	return "hidden"
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
