//go:build js && wasm

package main

import (
	"math"

	"github.com/g3n/engine/geometry"
	"github.com/g3n/engine/gls"
	"github.com/g3n/engine/graphic"
	"github.com/g3n/engine/material"
	"github.com/g3n/engine/math32"

	"github.com/vitrine-shop/vitrine/shaders"
	"github.com/vitrine-shop/vitrine/wasm/framing"
)

// shadowColor is a warm near-black, so the shadow sits on the stage
// colour like a real one on a light floor.
var shadowColor = math32.Color{R: 0.16, G: 0.14, B: 0.12}

// shadowMaterial draws the ground contact shadow with the
// shaders.GroundShadow program: unlit, blended, not writing depth.
type shadowMaterial struct {
	material.Material
	params, color gls.Uniform
	opacity, core float32
}

func newShadowMaterial(opacity, core float64) *shadowMaterial {
	m := &shadowMaterial{opacity: float32(opacity), core: float32(core)}
	m.Material.Init()
	m.SetShader(shaders.GroundShadow)
	m.SetUseLights(material.UseLightNone)
	m.SetTransparent(true)
	m.SetBlending(material.BlendNormal)
	m.SetDepthMask(false)
	m.SetSide(material.SideDouble)
	m.params.Init("ShadowParams")
	m.color.Init("ShadowColor")
	return m
}

// RenderSetup sets the blending state and the shadow's uniforms.
func (m *shadowMaterial) RenderSetup(gs *gls.GLS) {
	m.Material.RenderSetup(gs)
	gs.Uniform4f(m.params.Location(gs), m.opacity, m.core, 0, 0)
	gs.Uniform3f(m.color.Location(gs), shadowColor.R, shadowColor.G, shadowColor.B)
}

// newGroundShadow builds the shadow quad for a model whose bounds, once
// centred on the origin, are [lo, hi].
func newGroundShadow(lo, hi [3]float64) *graphic.Mesh {
	s := framing.GroundShadow(lo, hi)
	// NewPlane lies in XY facing +Z; turned -90° about X it lies in XZ
	// facing up, with its texture v running along -z.
	plane := geometry.NewPlane(float32(2*s.HalfX), float32(2*s.HalfZ))
	mesh := graphic.NewMesh(plane, newShadowMaterial(s.Opacity, s.Core))
	mesh.SetRotationX(-math.Pi / 2)
	mesh.SetPosition(float32(s.Centre[0]), float32(s.Centre[1]), float32(s.Centre[2]))
	return mesh
}
