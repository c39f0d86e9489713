package assetpipe

import (
	"context"
	"math"
	"testing"

	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		name      string
		lo, hi    [3]float64
		declared  wire.Dimensions
		placement string
		unit      string
		zUp       bool
		wantLo    [3]float64
		wantHi    [3]float64
	}{
		{"metres floor", [3]float64{-1, 2, -1}, [3]float64{1, 3, 0}, wire.Dimensions{W: 2, H: 1, D: 1}, wire.PlacementFloor, "m", false, [3]float64{-1, 0, -0.5}, [3]float64{1, 1, 0.5}},
		{"centimetres", [3]float64{0, 0, 0}, [3]float64{45, 90, 52}, wire.Dimensions{W: 0.45, H: 0.9, D: 0.52}, wire.PlacementFloor, "cm", false, [3]float64{-0.225, 0, -0.26}, [3]float64{0.225, 0.9, 0.26}},
		{"millimetres", [3]float64{0, 0, 0}, [3]float64{450, 900, 520}, wire.Dimensions{W: 0.45, H: 0.9, D: 0.52}, wire.PlacementTable, "mm", false, [3]float64{-0.225, 0, -0.26}, [3]float64{0.225, 0.9, 0.26}},
		{"inches", [3]float64{0, 0, 0}, [3]float64{10, 20, 5}, wire.Dimensions{W: 0.254, H: 0.508, D: 0.127}, wire.PlacementFloor, "in", false, [3]float64{-0.127, 0, -0.0635}, [3]float64{0.127, 0.508, 0.0635}},
		{"z up", [3]float64{0, 0, 0}, [3]float64{0.45, 0.52, 0.9}, wire.Dimensions{W: 0.45, H: 0.9, D: 0.52}, wire.PlacementFloor, "m", true, [3]float64{-0.225, 0, -0.26}, [3]float64{0.225, 0.9, 0.26}},
		{"wall", [3]float64{0, 0, 0}, [3]float64{0.6, 0.8, 0.03}, wire.Dimensions{W: 0.6, H: 0.8, D: 0.03}, wire.PlacementWall, "m", false, [3]float64{-0.3, -0.4, 0}, [3]float64{0.3, 0.4, 0.03}},
		{"face", [3]float64{0, 0, 0}, [3]float64{0.14, 0.05, 0.15}, wire.Dimensions{W: 0.14, H: 0.05, D: 0.15}, wire.PlacementFace, "m", false, [3]float64{-0.07, -0.025, -0.15}, [3]float64{0.07, 0.025, 0}},
		{"mismatch kept", [3]float64{0, 0, 0}, [3]float64{1, 1, 1}, wire.Dimensions{W: 0.5, H: 0.5, D: 0.7}, wire.PlacementFloor, "m", false, [3]float64{-0.5, 0, -0.5}, [3]float64{0.5, 1, 0.5}},
	}
	for _, tt := range tests {
		n := Normalise(tt.lo, tt.hi, tt.declared, tt.placement)
		if n.Unit.Name != tt.unit || n.ZUp != tt.zUp {
			t.Errorf("%s: unit %s zUp %v, want %s %v", tt.name, n.Unit.Name, n.ZUp, tt.unit, tt.zUp)
		}
		// The transform applied to the box corners gives the bounds.
		m := gltf.LocalMatrix(&gltf.Node{Translation: n.Transform.Translation[:], Rotation: n.Transform.Rotation[:], Scale: []float64{n.Transform.Scale, n.Transform.Scale, n.Transform.Scale}})
		lo, hi := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}, [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
		for c := range 8 {
			p := tt.lo
			for a := range 3 {
				if c&(1<<a) != 0 {
					p[a] = tt.hi[a]
				}
			}
			w := m.TransformPoint(p)
			for a := range 3 {
				lo[a], hi[a] = math.Min(lo[a], w[a]), math.Max(hi[a], w[a])
			}
		}
		for a := range 3 {
			if math.Abs(lo[a]-tt.wantLo[a]) > 1e-6 || math.Abs(hi[a]-tt.wantHi[a]) > 1e-6 || math.Abs(n.BoundsMin[a]-lo[a]) > 1e-6 || math.Abs(n.BoundsMax[a]-hi[a]) > 1e-6 {
				t.Errorf("%s: bounds %v..%v (reported %v..%v), want %v..%v", tt.name, lo, hi, n.BoundsMin, n.BoundsMax, tt.wantLo, tt.wantHi)
				break
			}
		}
		if tt.name == "mismatch kept" && !(n.MismatchPct > MismatchTolerancePct) {
			t.Errorf("mismatch %.2f%% not reported", n.MismatchPct)
		}
	}
}

func TestSceneFromAssetAppliesHierarchy(t *testing.T) {
	b := gltf.NewBuilder("")
	mesh, _ := b.AddMesh("tri", []gltf.PrimitiveData{{
		Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}},
		Normals:   [][3]float32{{0, 0, 1}, {0, 0, 1}, {0, 0, 1}},
		Indices:   []uint32{0, 1, 2}, Material: -1,
	}})
	child, _ := b.AddNode(gltf.NodeSpec{Mesh: mesh, Scale: []float64{2, 1, 1}})
	// Parent turns 90° about Y and moves up 5.
	s := math.Sqrt2 / 2
	parent, _ := b.AddNode(gltf.NodeSpec{Mesh: -1, Children: []int{child}, Translation: []float64{0, 5, 0}, Rotation: []float64{0, s, 0, s}})
	_ = b.AddToScene(parent)
	glb, err := b.GLB()
	if err != nil {
		t.Fatal(err)
	}
	a, err := gltf.Parse(glb, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	scene, err := SceneFromAsset(context.Background(), a, SceneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(scene.Meshes) != 1 {
		t.Fatalf("%d meshes", len(scene.Meshes))
	}
	m := scene.Meshes[0]
	// (1,0,0) scaled to (2,0,0), turned about Y to (0,0,-2), lifted to y=5.
	want := [][3]float32{{0, 5, 0}, {0, 5, -2}, {0, 6, 0}}
	for i, p := range m.Positions {
		for c := range 3 {
			if math.Abs(float64(p[c]-want[i][c])) > 1e-5 {
				t.Fatalf("position %d = %v, want %v", i, p, want[i])
			}
		}
	}
	// The +Z normal turns to +X.
	if n := m.Normals[0]; math.Abs(float64(n[0])-1) > 1e-5 {
		t.Errorf("normal %v, want +X", n)
	}
	lo, hi, _ := scene.Bounds()
	alo, ahi, _ := a.Bounds()
	for c := range 3 {
		if math.Abs(lo[c]-alo[c]) > 1e-5 || math.Abs(hi[c]-ahi[c]) > 1e-5 {
			t.Fatalf("scene bounds %v..%v differ from gltf.Bounds %v..%v", lo, hi, alo, ahi)
		}
	}
}
