// Package gltftest makes small, valid glTF models for tests.
package gltftest

import (
	"testing"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// Box returns a valid GLB of a w × h × d metre box standing on y = 0,
// centred in x and z, with one red PBR material.
func Box(t testing.TB, w, h, d float32) []byte {
	t.Helper()
	b := gltf.NewBuilder("vitrine gltftest")
	var pos [][3]float32
	for _, c := range [][3]float32{{-1, 0, -1}, {1, 0, -1}, {1, 1, -1}, {-1, 1, -1}, {-1, 0, 1}, {1, 0, 1}, {1, 1, 1}, {-1, 1, 1}} {
		pos = append(pos, [3]float32{c[0] * w / 2, c[1] * h, c[2] * d / 2})
	}
	idx := []uint32{0, 2, 1, 0, 3, 2, 4, 5, 6, 4, 6, 7, 0, 1, 5, 0, 5, 4, 3, 7, 6, 3, 6, 2, 0, 4, 7, 0, 7, 3, 1, 2, 6, 1, 6, 5}
	mat, err := b.AddMaterial(gltf.MaterialSpec{BaseColor: [4]float64{0.8, 0.2, 0.2, 1}, Roughness: 0.5,
		BaseColorTexture: gltf.NoTexture, MetallicRoughnessTexture: gltf.NoTexture, NormalTexture: gltf.NoTexture})
	if err != nil {
		t.Fatal(err)
	}
	mesh, err := b.AddMesh("box", []gltf.PrimitiveData{{Positions: pos, Indices: idx, Material: mat}})
	if err != nil {
		t.Fatal(err)
	}
	node, err := b.AddNode(gltf.NodeSpec{Name: "box", Mesh: mesh})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AddToScene(node); err != nil {
		t.Fatal(err)
	}
	glb, err := b.GLB()
	if err != nil {
		t.Fatal(err)
	}
	return glb
}
