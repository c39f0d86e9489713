package gltf

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse (seeded with a valid GLB, a valid
// zip and the broken corpus). Parse must never panic; on success the
// accessors, images, Bounds, Stats and GLB must be usable and the re-encoded
// GLB must parse again.
func FuzzParse(f *testing.F) {
	f.Add(validCubeGLB(f))
	js, bin := gltfFiles(f, texturedCube(f), "cube.bin", "cube.png")
	f.Add(makeZip(f, zipEntry{"cube.gltf", js}, zipEntry{"cube.bin", bin}, zipEntry{"cube.png", testPNG(f, 2, 2)}))
	files, _ := filepath.Glob(filepath.Join(brokenDir, "*"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	lim := DefaultLimits()
	// Keep the fuzzer's memory small: inputs are small anyway, but these
	// also bound accessors without a bufferView.
	lim.MaxVertices = 1 << 16
	lim.MaxTriangles = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		asset, err := Parse(data, lim)
		if err != nil {
			return
		}
		for i, acc := range asset.Doc.Accessors {
			switch acc.Type {
			case TypeVec2:
				_, err = asset.ReadVec2(i)
			case TypeVec3:
				_, err = asset.ReadVec3(i)
			case TypeVec4:
				_, err = asset.ReadVec4(i)
			case TypeScalar:
				_, err = asset.ReadScalarsFloat(i)
				if acc.ComponentType != ComponentFloat && acc.ComponentType != ComponentByte && acc.ComponentType != ComponentShort {
					_, err = asset.ReadIndices(i)
				}
			}
			if err != nil {
				t.Fatalf("accessor %d of a valid asset is unreadable: %v", i, err)
			}
		}
		for i := range asset.Doc.Images {
			if _, _, err := asset.ImageBytes(i); err != nil {
				t.Fatalf("image %d of a valid asset is unreadable: %v", i, err)
			}
		}
		asset.Bounds()
		asset.Stats()
		glb, err := asset.GLB()
		if err != nil {
			t.Fatalf("GLB of a valid asset: %v", err)
		}
		again, err := Parse(glb, lim)
		if err != nil {
			t.Fatalf("re-encoded GLB does not parse: %v", err)
		}
		if again.Stats() != asset.Stats() {
			t.Fatalf("stats changed on re-encoding: %+v → %+v", asset.Stats(), again.Stats())
		}
	})
}
