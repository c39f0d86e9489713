//go:build js && wasm

package main

import (
	"fmt"
	"image"
	"math"
	"strconv"
	"sync"
	"syscall/js"

	"github.com/g3n/engine/core"
	"github.com/g3n/engine/gls"
	"github.com/g3n/engine/graphic"
	"github.com/g3n/engine/material"
	"github.com/g3n/engine/math32"

	"github.com/vitrine-shop/vitrine/wasm/glb"
)

// The colour picker for models with KHR_materials_variants: a radio group
// under the product's description ("Colour"), one option per variant,
// that swaps the materials of the affected meshes in the scene without
// reloading anything. The decoding and the per-mesh mapping live in
// wasm/glb (variants.go); this file is the thin DOM and g3n layer.

// variantsUI is the picker in the page. Its fields are guarded by mu:
// it is filled from the frame loop and read by the change handler.
type variantsUI struct {
	mu       sync.Mutex
	fieldset js.Value
	options  js.Value
	sku      string
	names    []string // the variants offered, by index
	original bool     // an "Original" option (-1) leads the list
}

var picker variantsUI

// variantScene is the frame loop's view of the variants of the model on
// screen. It is only touched on the loop.
type variantScene struct {
	node     *core.Node
	sku      string
	model    *glb.Model
	textures []*image.RGBA
	meshes   []*graphic.Mesh // by glb mesh index; nil when not drawn
	mats     map[int]material.IMaterial
	selected int // variant shown, -1 for the model's own materials
}

var sceneVariants = variantScene{selected: -1}

// variantsReset hides the picker when a product's model starts loading.
// It runs on the UI goroutine.
func (u *ui) variantsReset() {
	picker.mu.Lock()
	defer picker.mu.Unlock()
	picker.sku, picker.names = "", nil
	if !picker.fieldset.IsUndefined() && !picker.fieldset.IsNull() {
		setHidden(picker.fieldset, true)
	}
}

// variantsShown is called on the frame loop right after v.show put a
// level of sku's model on screen: it maps the decoded meshes to the
// scene's, re-applies the chosen variant (a finer level keeps the
// shopper's colour) and shows or hides the picker.
func (u *ui) variantsShown(v *viewer, m *glb.Model, textures []*image.RGBA, sku string) {
	s := &sceneVariants
	keep := s.sku == sku && s.model != nil && equalNames(s.model.Variants, m.Variants)
	s.release()
	selected := -1
	if keep {
		selected = s.selected
	}
	*s = variantScene{node: v.model, sku: sku, model: m, textures: textures, selected: -1, mats: map[int]material.IMaterial{}}
	if v.model == nil || len(m.Variants) == 0 || !s.bind() {
		s.model = nil
		u.variantsReset()
		return
	}
	if selected < 0 {
		selected = m.DefaultVariant()
	}
	s.apply(v, selected)
	picker.show(u, sku, m, selected)
}

func equalNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bind pairs each decoded mesh with the graphic show made of it: show
// adds one child per mesh with vertices and indices, in order.
func (s *variantScene) bind() bool {
	children := s.node.Children()
	s.meshes = make([]*graphic.Mesh, len(s.model.Meshes))
	next := 0
	for i := range s.model.Meshes {
		mesh := &s.model.Meshes[i]
		if mesh.VertexCount() == 0 || len(mesh.Indices) == 0 {
			continue
		}
		if next >= len(children) {
			return false
		}
		gm, ok := children[next].(*graphic.Mesh)
		if !ok {
			return false
		}
		next++
		s.meshes[i] = gm
		if mats := gm.Materials(); len(mats) > 0 {
			if _, seen := s.mats[mesh.Material]; !seen {
				s.mats[mesh.Material] = mats[0].IMaterial()
			}
		}
	}
	return next == len(children)
}

// material returns the scene material for glb material i (-1: the
// default), made once per model.
func (s *variantScene) material(i int) material.IMaterial {
	if m, ok := s.mats[i]; ok {
		return m
	}
	var m material.IMaterial
	if i < 0 || i >= len(s.model.Materials) {
		m = defaultMaterial()
	} else {
		m = newPBRMaterial(s.model.Materials[i], s.textures)
	}
	s.mats[i] = m
	return m
}

// apply swaps every mapped mesh to its material (and texture
// coordinates) in variant.
func (s *variantScene) apply(v *viewer, variant int) {
	if s.model == nil || v.model != s.node {
		return
	}
	s.selected = variant
	for i, gm := range s.meshes {
		if gm == nil {
			continue
		}
		mesh := &s.model.Meshes[i]
		if len(mesh.Variants) == 0 {
			continue
		}
		mat, uvs := mesh.Variant(variant)
		gm.SetMaterial(s.material(mat))
		// A material reading other texture coordinates brings its own;
		// a mesh drawn without any keeps none.
		if vbo := gm.GetGeometry().VBO(gls.VertexTexcoord); vbo != nil && uvs != nil {
			vbo.SetBuffer(math32.ArrayF32(uvs))
		}
	}
	v.dirty = settleFrames
	global.Set("vitrineVariant", variant)
}

// release disposes the materials made for variants that no mesh holds
// any more (those on screen go with the model's meshes).
func (s *variantScene) release() {
	if s.mats == nil {
		return
	}
	held := map[material.IMaterial]bool{}
	for _, gm := range s.meshes {
		if gm == nil {
			continue
		}
		for _, gmat := range gm.Materials() {
			held[gmat.IMaterial()] = true
		}
	}
	for _, m := range s.mats {
		if !held[m] {
			m.Dispose()
		}
	}
	s.mats = nil
}

// show fills the radio group for m's variants, checking selected, and
// reveals it. It runs on the frame loop: DOM calls only, never blocking.
func (p *variantsUI) show(u *ui, sku string, m *glb.Model, selected int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ensure(u)
	p.sku = sku
	p.names = append([]string(nil), m.Variants...)
	p.original = m.DefaultVariant() < 0
	p.options.Set("textContent", "")
	add := func(index int, name string) {
		label := element("label", "variant-option", "")
		input := element("input", "", "")
		input.Set("type", "radio")
		input.Set("name", "variant")
		input.Set("value", strconv.Itoa(index))
		input.Set("checked", index == selected)
		swatch := element("span", "variant-swatch", "")
		swatch.Call("setAttribute", "aria-hidden", "true")
		swatch.Get("style").Set("background", swatchCSS(m.Swatch(index)))
		label.Call("append", input, swatch, element("span", "variant-name", name))
		p.options.Call("appendChild", label)
	}
	if p.original {
		add(-1, "Original")
	}
	for i, name := range p.names {
		add(i, name)
	}
	setHidden(p.fieldset, false)
}

// ensure creates the fieldset under the product description on first use.
func (p *variantsUI) ensure(u *ui) {
	if !p.fieldset.IsUndefined() && !p.fieldset.IsNull() {
		return
	}
	fs := element("fieldset", "variant-picker", "")
	fs.Set("id", "variant-picker")
	fs.Call("setAttribute", "role", "radiogroup")
	fs.Call("setAttribute", "aria-labelledby", "variant-legend")
	legend := element("legend", "variant-legend", "Colour")
	legend.Set("id", "variant-legend")
	opts := element("div", "variant-options", "")
	fs.Call("append", legend, opts)
	setHidden(fs, true)
	if desc := u.productDescription; !desc.IsUndefined() && !desc.IsNull() {
		desc.Call("after", fs)
	}
	p.fieldset, p.options = fs, opts
	listen(fs, "change", func(ev js.Value) {
		target := ev.Get("target")
		if target.Get("name").String() != "variant" {
			return
		}
		index, err := strconv.Atoi(target.Get("value").String())
		if err != nil {
			return
		}
		p.mu.Lock()
		sku, name := p.sku, "Original"
		if index >= 0 && index < len(p.names) {
			name = p.names[index]
		}
		p.mu.Unlock()
		u.announce(fmt.Sprintf("Colour: %s.", name))
		if u.v == nil {
			return
		}
		go u.v.do(func() {
			if sceneVariants.sku == sku {
				sceneVariants.apply(u.v, index)
			}
		})
	})
}

// swatchCSS turns a linear colour into a CSS sRGB colour.
func swatchCSS(c [3]float32) string {
	var out [3]int
	for i, v := range c {
		x := float64(v)
		if x <= 0.0031308 {
			x *= 12.92
		} else {
			x = 1.055*math.Pow(x, 1/2.4) - 0.055
		}
		out[i] = int(math.Round(math.Max(0, math.Min(1, x)) * 255))
	}
	return fmt.Sprintf("rgb(%d, %d, %d)", out[0], out[1], out[2])
}
