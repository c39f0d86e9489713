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
	"github.com/g3n/engine/material"
	"github.com/g3n/engine/math32"
	"github.com/g3n/engine/renderer"
	"github.com/g3n/engine/texture"

	"github.com/vitrine-shop/vitrine/shaders"
	"github.com/vitrine-shop/vitrine/wasm/framing"
	"github.com/vitrine-shop/vitrine/wasm/glb"
	"github.com/vitrine-shop/vitrine/wasm/ibl"
	"github.com/vitrine-shop/vitrine/wire"
)

const (
	fovYDeg = 40
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

	// Lighting: the baked studio environment (wasm/ibl) lights every
	// PBR material, as <model-viewer>'s "neutral" environment does; no
	// g3n lights are added, so the look does not change with the camera.
	started := global.Get("performance").Call("now").Float()
	env, err := ibl.Embedded()
	if err != nil {
		return nil, fmt.Errorf("viewer: %w", err)
	}
	studio = newEnvLighting(env)
	// The start-up cost of the lighting, for the benchmarks.
	global.Set("vitrineLightingMs", global.Get("performance").Call("now").Float()-started)

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
			mat = newPBRMaterial(m.Materials[mesh.Material], textures)
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
	// The home camera relative to the centre of the model's bounds, for
	// tests that render the same view elsewhere (<model-viewer>,
	// shading_test.go).
	global.Set("vitrineHomeView", map[string]any{
		"position": []any{shot.Position[0], shot.Position[1], shot.Position[2]},
		"target":   []any{shot.Target[0], shot.Target[1], shot.Target[2]},
		"fovYDeg":  fovYDeg,
	})
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
	// The raw sets a texture reads besides the base colour's (attribute
	// names from shaders/pbr_vertex.glsl).
	for set, uvs := range mesh.RawUVs {
		if uvs != nil {
			g.AddVBO(gls.NewVBO(math32.ArrayF32(uvs)).AddCustomAttrib(fmt.Sprintf("VertexTexcoordRaw%d", set), 2))
		}
	}
	g.SetIndices(math32.ArrayU32(mesh.Indices))
	return g
}

// studio is the image-based lighting every PBR material shares, set by
// newViewer.
var studio *envLighting

// exposure scales the light before tone mapping, like <model-viewer>'s
// exposure attribute (default 1).
const exposure = 1.0

// envLighting is the GPU side of the baked environment: the prefiltered
// levels as the mips of one RGB9_E5 texture and the BRDF table (RG8),
// uploaded on first use and kept for the page's life, and the uniforms
// every PBR material sets.
type envLighting struct {
	env    *ibl.Lighting
	envMap uint32 // GL texture names, 0 until uploaded
	lut    uint32
	gs     *gls.GLS
	params [4]float32  // EnvParams
	sh     [27]float32 // IrradianceSH
}

// GL constants gls v0.2.0 does not name.
const (
	glRGB9E5             = 0x8C3D
	glUnsignedInt5999Rev = 0x8C3E
	glTextureMaxLevel    = 0x813D
)

func newEnvLighting(env *ibl.Lighting) *envLighting {
	e := &envLighting{env: env}
	e.params = [4]float32{float32(env.Levels), 1, 0, 0}
	for k := range 9 {
		copy(e.sh[3*k:], env.SH[k][:])
	}
	return e
}

// bind makes the environment and the table current on texture units
// slot and slot+1, uploading them the first time.
func (e *envLighting) bind(gs *gls.GLS, slot int) {
	if e.gs != gs {
		e.gs = gs
		e.envMap = gs.GenTexture()
		gs.ActiveTexture(uint32(gls.TEXTURE0 + slot))
		gs.BindTexture(gls.TEXTURE_2D, e.envMap)
		// Shared-exponent texels go up as stored; RGB9_E5 filters
		// linearly in WebGL2 without extensions.
		for level := range e.env.Levels {
			w, h := e.env.LevelSize(level)
			gs.TexImage2D(gls.TEXTURE_2D, int32(level), glRGB9E5, int32(w), int32(h), gls.RGB, glUnsignedInt5999Rev, e.env.Level(level))
		}
		gs.TexParameteri(gls.TEXTURE_2D, glTextureMaxLevel, int32(e.env.Levels-1))
		gs.TexParameteri(gls.TEXTURE_2D, gls.TEXTURE_MIN_FILTER, gls.LINEAR_MIPMAP_LINEAR)
		gs.TexParameteri(gls.TEXTURE_2D, gls.TEXTURE_MAG_FILTER, gls.LINEAR)
		gs.TexParameteri(gls.TEXTURE_2D, gls.TEXTURE_WRAP_S, gls.REPEAT) // azimuth wraps
		gs.TexParameteri(gls.TEXTURE_2D, gls.TEXTURE_WRAP_T, gls.CLAMP_TO_EDGE)
		e.lut = gs.GenTexture()
		gs.ActiveTexture(uint32(gls.TEXTURE0 + slot + 1))
		gs.BindTexture(gls.TEXTURE_2D, e.lut)
		gs.TexImage2D(gls.TEXTURE_2D, 0, gls.RG8, int32(e.env.LUTSize), int32(e.env.LUTSize), gls.RG, gls.UNSIGNED_BYTE, e.env.LUT)
		gs.TexParameteri(gls.TEXTURE_2D, gls.TEXTURE_MIN_FILTER, gls.LINEAR)
		gs.TexParameteri(gls.TEXTURE_2D, gls.TEXTURE_MAG_FILTER, gls.LINEAR)
		gs.TexParameteri(gls.TEXTURE_2D, gls.TEXTURE_WRAP_S, gls.CLAMP_TO_EDGE)
		gs.TexParameteri(gls.TEXTURE_2D, gls.TEXTURE_WRAP_T, gls.CLAMP_TO_EDGE)
	}
	gs.ActiveTexture(uint32(gls.TEXTURE0 + slot))
	gs.BindTexture(gls.TEXTURE_2D, e.envMap)
	gs.ActiveTexture(uint32(gls.TEXTURE0 + slot + 1))
	gs.BindTexture(gls.TEXTURE_2D, e.lut)
}

// pbrMaterial is a glTF metallic-roughness material drawn with the
// shaders.PBR program: g3n's Physical holds the factors and the texture
// maps (its uniforms and HAS_* defines are what the program reads), and
// RenderSetup adds the environment and the glTF texture parameters.
type pbrMaterial struct {
	*material.Physical
	params                                                     [12]float32 // PbrParams
	transforms                                                 [30]float32 // TexTransform
	uniParams, uniTransforms, uniEnvMap, uniLUT, uniEnv, uniSH gls.Uniform
}

// The texture order of PbrParams and TexTransform.
const (
	texBaseColor = iota
	texMetallicRoughness
	texNormal
	texOcclusion
	texEmissive
)

// newPBRMaterial makes the scene material for m; textures holds the
// model's decoded images by index (nil where one failed to decode).
func newPBRMaterial(m glb.Material, textures []*image.RGBA) *pbrMaterial {
	pm := &pbrMaterial{Physical: material.NewPhysical()}
	pm.SetShader(shaders.PBR)
	pm.SetBaseColorFactor(&math32.Color4{R: m.BaseColor[0], G: m.BaseColor[1], B: m.BaseColor[2], A: m.BaseColor[3]})
	pm.SetMetallicFactor(m.Metallic)
	pm.SetRoughnessFactor(m.Roughness)
	pm.SetEmissiveFactor(&math32.Color{R: m.Emissive[0], G: m.Emissive[1], B: m.Emissive[2]})
	pm.params[0], pm.params[1], pm.params[2], pm.params[3] = m.NormalScale, m.OcclusionStrength, m.AlphaCutoff, exposure
	for i := range 5 {
		copy(pm.transforms[6*i:], []float32{1, 0, 0, 0, 1, 0})
	}

	// One GPU texture per image and colour space, however many maps
	// share it (an occlusion-roughness-metallic image serves two).
	made := map[[2]int]*texture.Texture2D{}
	tex := func(img int, srgb bool) *texture.Texture2D {
		if img < 0 || img >= len(textures) || textures[img] == nil {
			return nil
		}
		key := [2]int{img, 0}
		if srgb {
			key[1] = 1
		}
		if t, ok := made[key]; ok {
			return t.Incref()
		}
		rgba := textures[img]
		iformat := gls.RGBA8
		if srgb {
			// Sampling decodes sRGB before filtering.
			iformat = gls.SRGB8_ALPHA8
		}
		t := texture.NewTexture2DFromData(rgba.Rect.Dx(), rgba.Rect.Dy(), gls.RGBA, gls.UNSIGNED_BYTE, iformat, rgba.Pix)
		t.SetWrapS(gls.REPEAT)
		t.SetWrapT(gls.REPEAT)
		made[key] = t
		return t
	}
	setUV := func(slot int, info glb.TextureInfo) {
		pm.params[4+slot] = float32(info.UV) // [1] and [2].x
		copy(pm.transforms[6*slot:], info.Transform[:])
	}
	if t := tex(m.BaseColorImage, true); t != nil {
		pm.SetBaseColorMap(t)
	}
	if t := tex(m.MetallicRoughnessTexture.Image, false); t != nil {
		pm.SetMetallicRoughnessMap(t)
		setUV(texMetallicRoughness, m.MetallicRoughnessTexture)
	}
	if t := tex(m.NormalTexture.Image, false); t != nil {
		pm.SetNormalMap(t)
		setUV(texNormal, m.NormalTexture)
	}
	if t := tex(m.OcclusionTexture.Image, false); t != nil {
		pm.SetOcclusionMap(t)
		setUV(texOcclusion, m.OcclusionTexture)
	}
	if t := tex(m.EmissiveTexture.Image, true); t != nil {
		pm.SetEmissiveMap(t)
		setUV(texEmissive, m.EmissiveTexture)
	}
	if m.DoubleSided {
		pm.SetSide(material.SideDouble)
	}
	switch m.AlphaMode {
	case "BLEND":
		pm.SetTransparent(true)
		pm.ShaderDefines.Set("ALPHA_BLEND", "")
	case "MASK":
		pm.ShaderDefines.Set("ALPHA_MASK", "")
	default:
		pm.SetBlending(material.BlendNone)
	}
	pm.uniParams.Init("PbrParams")
	pm.uniTransforms.Init("TexTransform")
	pm.uniEnvMap.Init("EnvMap")
	pm.uniLUT.Init("BrdfLUT")
	pm.uniEnv.Init("EnvParams")
	pm.uniSH.Init("IrradianceSH")
	return pm
}

// RenderSetup sets Physical's state, uniforms and maps, then binds the
// environment on the texture units after the maps.
func (m *pbrMaterial) RenderSetup(gs *gls.GLS) {
	m.Physical.RenderSetup(gs)
	slot := m.TextureCount()
	studio.bind(gs, slot)
	gs.Uniform1i(m.uniEnvMap.Location(gs), int32(slot))
	gs.Uniform1i(m.uniLUT.Location(gs), int32(slot+1))
	gs.Uniform4fv(m.uniEnv.Location(gs), 1, &studio.params[0])
	gs.Uniform3fv(m.uniSH.Location(gs), 9, &studio.sh[0])
	gs.Uniform4fv(m.uniParams.Location(gs), 3, &m.params[0])
	gs.Uniform3fv(m.uniTransforms.Location(gs), 10, &m.transforms[0])
}

// defaultMaterial is for primitives without a material: glTF's default
// (white, rough, metallic), which the studio lights as <model-viewer>
// does.
func defaultMaterial() material.IMaterial {
	return newPBRMaterial(glb.DefaultMaterial(), nil)
}
