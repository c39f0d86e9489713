//go:build js && wasm

package main

import (
	"fmt"
	"image"
	"log/slog"
	"math"
	"syscall/js"
	"time"

	"github.com/g3n/engine/app"
	"github.com/g3n/engine/camera"
	"github.com/g3n/engine/core"
	"github.com/g3n/engine/geometry"
	"github.com/g3n/engine/gls"
	"github.com/g3n/engine/graphic"
	"github.com/g3n/engine/light"
	"github.com/g3n/engine/material"
	"github.com/g3n/engine/math32"
	"github.com/g3n/engine/renderer"
	"github.com/g3n/engine/texture"

	"github.com/vitrine-shop/vitrine/shaders"
	"github.com/vitrine-shop/vitrine/wasm/framing"
	"github.com/vitrine-shop/vitrine/wasm/glb"
	"github.com/vitrine-shop/vitrine/wire"
)

const (
	fovYDeg = 40
	// maxMetallic caps metalness: with no environment map to reflect, a
	// fully metallic surface would render almost black.
	maxMetallic = 0.55
	// settleFrames is how many frames are drawn after anything changes;
	// an idle view is not redrawn, sparing phone batteries.
	settleFrames = 12
	// maxPixelRatio caps the canvas resolution on dense screens.
	maxPixelRatio = 2
)

// background is the stage colour, matching --stage in style.css.
var background = math32.Color{R: 0.945, G: 0.941, B: 0.929}

// viewer owns the g3n scene. Every scene change runs on the frame loop
// (the requestAnimationFrame callback), which drains commands sent from
// other goroutines without blocking.
type viewer struct {
	app    *app.Application
	canvas js.Value
	scene  *core.Node
	cam    *camera.Camera
	orbit  *orbitControls // controls.go
	dims   *dimsOverlay
	log    *slog.Logger

	cmds chan func()

	model     *core.Node
	shadow    *graphic.Mesh // ground contact shadow, nil when none
	shown     modelKey      // what model holds
	visible   bool
	frames    int // frames drawn since the current model was added
	dirty     int // frames still to draw
	width     int
	height    int
	lastCam   math32.Matrix4
	renderErr bool
}

// newViewer initialises g3n on the page's g3n-canvas. It fails when the
// browser has no WebGL2.
func newViewer(log *slog.Logger) (v *viewer, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("viewer: 3D view unavailable: %v", r)
		}
	}()
	a := app.App()
	v = &viewer{
		app:    a,
		canvas: byID("g3n-canvas"),
		scene:  core.NewNode(),
		log:    log,
		cmds:   make(chan func(), 16),
	}
	v.cam = camera.NewPerspective(1, 0.01, 100, fovYDeg, camera.Vertical)
	v.cam.SetPosition(0, 0.5, 2)
	v.scene.Add(v.cam)
	v.orbit = newOrbitControls(v.canvas)
	v.dims = newDimsOverlay()

	// Lighting: a soft ambient fill, a key light that travels with the
	// camera (so the side being looked at is lit), and a cool light from
	// above and behind that separates the silhouette from the backdrop.
	v.scene.Add(light.NewAmbient(&math32.Color{R: 1, G: 1, B: 1}, 0.55))
	key := light.NewDirectional(&math32.Color{R: 1, G: 0.98, B: 0.95}, 1.6)
	key.SetPosition(-1.2, 2.2, 1.5)
	v.cam.Add(key)
	rim := light.NewDirectional(&math32.Color{R: 0.85, G: 0.9, B: 1}, 0.7)
	rim.SetPosition(1.5, 2.5, -2)
	v.scene.Add(rim)

	shaders.Register(a.Renderer())
	a.Gls().ClearColor(background.R, background.G, background.B, 1)
	v.dirty = settleFrames
	return v, nil
}

// run drives the frame loop; it never returns.
func (v *viewer) run() {
	v.app.Run(v.frame)
}

// do queues f to run on the frame loop. It may block briefly, so it must
// not be called from a JS callback.
func (v *viewer) do(f func()) { v.cmds <- f }

// frame is the requestAnimationFrame callback: it must not block.
func (v *viewer) frame(rend *renderer.Renderer, _ time.Duration) {
	for drained := false; !drained; {
		select {
		case f := <-v.cmds:
			f()
			v.dirty = settleFrames
		default:
			drained = true
		}
	}
	if !v.visible {
		return
	}
	if v.model != nil {
		v.orbit.apply(v.cam)
	}
	v.fitCanvas()
	var m math32.Matrix4
	v.cam.ViewMatrix(&m)
	if m != v.lastCam {
		v.lastCam = m
		v.dirty = settleFrames
	}
	if v.dirty == 0 {
		return
	}
	v.dirty--
	if v.model != nil {
		var proj math32.Matrix4
		v.cam.ProjMatrix(&proj)
		v.dims.update(&m, &proj, v.canvas.Get("clientWidth").Float(), v.canvas.Get("clientHeight").Float())
	}
	v.app.Gls().Clear(gls.DEPTH_BUFFER_BIT | gls.STENCIL_BUFFER_BIT | gls.COLOR_BUFFER_BIT)
	if err := rend.Render(v.scene, v.cam); err != nil && !v.renderErr {
		v.renderErr = true
		v.log.Error("viewer: render failed", "err", err)
	}
	if v.model != nil {
		v.frames++
		global.Set("vitrineFrames", v.frames)
		if !firstFrameMarked {
			// The time to the first model frame, for the benchmarks
			// (milliseconds since navigation, like performance.now()).
			firstFrameMarked = true
			global.Set("vitrineFirstFrameMs", global.Get("performance").Call("now"))
		}
	}
}

// firstFrameMarked is set once the page's first model frame is drawn.
var firstFrameMarked bool

// fitCanvas keeps the drawing buffer the size of the canvas's CSS box.
func (v *viewer) fitCanvas() {
	ratio := math.Min(global.Get("devicePixelRatio").Float(), maxPixelRatio)
	if !(ratio >= 1) {
		ratio = 1
	}
	w := int(math.Round(v.canvas.Get("clientWidth").Float() * ratio))
	h := int(math.Round(v.canvas.Get("clientHeight").Float() * ratio))
	if w <= 0 || h <= 0 || (w == v.width && h == v.height) {
		return
	}
	v.width, v.height = w, h
	v.canvas.Set("width", w)
	v.canvas.Set("height", h)
	v.app.Gls().Viewport(0, 0, int32(w), int32(h))
	v.cam.SetAspect(float32(w) / float32(h))
	v.dirty = settleFrames
}

// setVisible turns drawing and orbit input on or off. Call on the loop.
func (v *viewer) setVisible(visible bool) {
	v.visible = visible
	if visible && v.model != nil {
		v.orbit.SetEnabled(camera.OrbitAll)
	} else {
		v.orbit.SetEnabled(camera.OrbitNone)
	}
}

// clear removes the current model. Call on the loop.
func (v *viewer) clear() {
	v.removeModel()
	if v.shadow != nil {
		v.scene.Remove(v.shadow)
		v.shadow.Dispose()
		v.shadow = nil
	}
	v.shown = modelKey{}
	v.dims.clear()
	v.frames = 0
	global.Set("vitrineFrames", 0)
	v.orbit.SetEnabled(camera.OrbitNone)
}

// modelKey identifies what the scene shows: a product and its bounds.
// Levels of detail of one product share it, so swapping one for another
// keeps the camera, the shadow and the framing: no visible jump.
type modelKey struct {
	sku    string
	lo, hi [3]float64
}

// showOptions describe the model handed to show.
type showOptions struct {
	sku       string
	placement string // wire placement kind; decides the ground shadow
	// boundsMin and boundsMax are the product's bounds from model.meta,
	// the same for every level; decoded bounds are used when empty.
	boundsMin, boundsMax [3]float64
	dims                 wire.Dimensions // the product's real size
	locale               string          // navigator.language, for the unit
}

func (v *viewer) removeModel() {
	if v.model != nil {
		v.scene.Remove(v.model)
		v.model.DisposeChildren(true)
		v.model = nil
	}
}

// show puts m in the scene, centred on the origin. A level of the model
// already shown (same SKU and bounds) replaces it in place; anything else
// is framed afresh. textures holds the decoded images by index. Call on
// the loop.
func (v *viewer) show(m *glb.Model, textures []*image.RGBA, opts showOptions) {
	lo, hi := opts.boundsMin, opts.boundsMax
	if !(hi[0] > lo[0] || hi[1] > lo[1] || hi[2] > lo[2]) {
		for i := range 3 {
			lo[i], hi[i] = float64(m.BoundsMin[i]), float64(m.BoundsMax[i])
		}
	}
	key := modelKey{sku: opts.sku, lo: lo, hi: hi}
	swap := v.model != nil && key == v.shown
	if swap {
		v.removeModel()
	} else {
		v.clear()
	}
	node := core.NewNode()
	mats := make([]material.IMaterial, len(m.Materials))
	for _, mesh := range m.Meshes {
		if mesh.VertexCount() == 0 || len(mesh.Indices) == 0 {
			continue
		}
		var mat material.IMaterial
		switch {
		case mesh.Material < 0:
			mat = defaultMaterial()
		case mats[mesh.Material] != nil:
			mat = mats[mesh.Material]
		default:
			mat = physicalMaterial(m.Materials[mesh.Material], textures)
			mats[mesh.Material] = mat
		}
		node.Add(graphic.NewMesh(meshGeometry(mesh), mat))
	}
	centre := [3]float64{(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2}
	node.SetPosition(float32(-centre[0]), float32(-centre[1]), float32(-centre[2]))
	v.scene.Add(node)
	v.model = node
	v.shown = key
	if swap {
		return
	}
	clo := [3]float64{lo[0] - centre[0], lo[1] - centre[1], lo[2] - centre[2]}
	chi := [3]float64{hi[0] - centre[0], hi[1] - centre[1], hi[2] - centre[2]}
	v.dims.set(clo, chi, opts.dims, opts.locale)
	if framing.CastsGroundShadow(opts.placement) {
		v.shadow = newGroundShadow(clo, chi)
		v.scene.Add(v.shadow)
	}

	aspect := 1.0
	if v.width > 0 && v.height > 0 {
		aspect = float64(v.width) / float64(v.height)
	}
	shot := framing.Frame(clo, chi, fovYDeg, math.Max(aspect, 0.75), 1.12)
	v.cam.SetNear(float32(shot.Near))
	v.cam.SetFar(float32(shot.Far))
	v.cam.SetPosition(float32(shot.Position[0]), float32(shot.Position[1]), float32(shot.Position[2]))
	target := math32.Vector3{X: float32(shot.Target[0]), Y: float32(shot.Target[1]), Z: float32(shot.Target[2])}
	v.cam.LookAt(&target, &math32.Vector3{X: 0, Y: 1, Z: 0})
	// The home view for "Reset view"; zoom, floor and pan limits.
	v.orbit.frameShot(shot)
	v.setVisible(v.visible)
	v.frames = 0
}

func meshGeometry(mesh glb.Mesh) *geometry.Geometry {
	g := geometry.NewGeometry()
	g.AddVBO(gls.NewVBO(math32.ArrayF32(mesh.Positions)).AddAttrib(gls.VertexPosition))
	g.AddVBO(gls.NewVBO(math32.ArrayF32(mesh.Normals)).AddAttrib(gls.VertexNormal))
	if mesh.UVs != nil {
		g.AddVBO(gls.NewVBO(math32.ArrayF32(mesh.UVs)).AddAttrib(gls.VertexTexcoord))
	}
	g.SetIndices(math32.ArrayU32(mesh.Indices))
	return g
}

func physicalMaterial(m glb.Material, textures []*image.RGBA) material.IMaterial {
	pm := material.NewPhysical()
	pm.SetBaseColorFactor(&math32.Color4{R: m.BaseColor[0], G: m.BaseColor[1], B: m.BaseColor[2], A: m.BaseColor[3]})
	pm.SetMetallicFactor(min(m.Metallic, maxMetallic))
	pm.SetRoughnessFactor(max(m.Roughness, 0.15))
	pm.SetEmissiveFactor(&math32.Color{R: m.Emissive[0], G: m.Emissive[1], B: m.Emissive[2]})
	if i := m.BaseColorImage; i >= 0 && i < len(textures) && textures[i] != nil {
		tex := texture.NewTexture2DFromRGBA(textures[i])
		tex.SetFlipY(false) // glTF texture coordinates start at the image's top row
		tex.SetWrapS(gls.REPEAT)
		tex.SetWrapT(gls.REPEAT)
		pm.SetBaseColorMap(tex)
	}
	if m.DoubleSided {
		pm.SetSide(material.SideDouble)
	}
	if m.AlphaMode == "BLEND" {
		pm.SetTransparent(true)
	}
	return pm
}

// defaultMaterial is for primitives without a material: a neutral matte
// grey rather than glTF's white metal, which renders black without an
// environment to reflect.
func defaultMaterial() material.IMaterial {
	pm := material.NewPhysical()
	pm.SetBaseColorFactor(&math32.Color4{R: 0.7, G: 0.7, B: 0.7, A: 1})
	pm.SetMetallicFactor(0)
	pm.SetRoughnessFactor(0.8)
	return pm
}
