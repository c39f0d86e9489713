package assetpipe

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/render"
	"github.com/vitrine-shop/vitrine/wire"
)

// checkShapeSheet decodes a silhouette sheet and checks its layout: one
// row of poses ShapeTile-pixel tiles, pure black and white, no tile blank
// and none touching the tile's edge (the framing keeps the model inside).
func checkShapeSheet(t *testing.T, what string, data []byte, poses int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: shape sheet: %v", what, err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("%s: shape sheet is %T, want *image.Gray", what, img)
	}
	if b := g.Bounds(); b.Dx() != poses*ShapeTile || b.Dy() != ShapeTile {
		t.Fatalf("%s: shape sheet is %v, want %d tiles of %d px", what, b, poses, ShapeTile)
	}
	for k := range poses {
		covered, edge := 0, false
		for y := range ShapeTile {
			for x := range ShapeTile {
				switch v := g.Pix[y*g.Stride+k*ShapeTile+x]; v {
				case 255:
					covered++
					edge = edge || x == 0 || y == 0 || x == ShapeTile-1 || y == ShapeTile-1
				case 0:
				default:
					t.Fatalf("%s: tile %d has grey %d, want black or white", what, k, v)
				}
			}
		}
		if covered < 16 {
			t.Errorf("%s: tile %d covers %d px", what, k, covered)
		}
		if edge {
			t.Errorf("%s: tile %d touches its edge", what, k)
		}
	}
}

func TestShapePoses(t *testing.T) {
	for _, tc := range []struct {
		placement string
		n         int
	}{{wire.PlacementFloor, 120}, {wire.PlacementTable, 120}, {wire.PlacementFace, 120}, {wire.PlacementWall, 52}} {
		poses := ShapePoses(tc.placement)
		if len(poses) != tc.n {
			t.Errorf("%s: %d poses, want %d", tc.placement, len(poses), tc.n)
		}
		seen := map[[2]float64]bool{}
		for _, p := range poses {
			if seen[p] {
				t.Errorf("%s: pose %v twice", tc.placement, p)
			}
			seen[p] = true
		}
	}
}

// TestRenderShapesTurnsWithTheModel: a 0.9 × 0.3 × 0.15 m box seen
// level from the front (the first tile, yaw 0) is three times as wide as
// high, from the side (the seventh, yaw 90°) half as wide as high, and
// from the side 40° above (the last row) taller still.
func TestRenderShapesTurnsWithTheModel(t *testing.T) {
	box := boxScene(0.9, 0.3, 0.15)
	lo, hi, _ := box.Bounds()
	start := time.Now()
	sheet, err := RenderShapes(context.Background(), box, lo, hi, wire.PlacementFloor, 30)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("120 silhouettes in %v", time.Since(start))
	aspect := func(tile int) float64 {
		x0, y0, x1, y1 := ShapeTile, ShapeTile, 0, 0
		for y := range ShapeTile {
			for x := range ShapeTile {
				if sheet.Pix[y*sheet.Stride+tile*ShapeTile+x] == 255 {
					x0, x1, y0, y1 = min(x0, x), max(x1, x+1), min(y0, y), max(y1, y+1)
				}
			}
		}
		return float64(x1-x0) / float64(max(y1-y0, 1))
	}
	if a := aspect(0); a < 2.5 || a > 3.5 {
		t.Errorf("front view: width/height %.2f, want about 3", a)
	}
	if a := aspect(6); a < 0.35 || a > 0.7 {
		t.Errorf("side view: width/height %.2f, want about 0.5", a)
	}
	// From the side and 40° above, the 0.9 m length shows as height.
	if a := aspect(4*24 + 6); a > 0.3 {
		t.Errorf("side view from 40° above: width/height %.2f, want about 0.19", a)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, sheet); err != nil {
		t.Fatal(err)
	}
	checkShapeSheet(t, "box", buf.Bytes(), 120)
}

func TestRenderShapesHonoursCancellation(t *testing.T) {
	box := boxScene(1, 1, 1)
	lo, hi, _ := box.Bounds()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RenderShapes(ctx, box, lo, hi, wire.PlacementFloor, 30); err == nil {
		t.Fatal("a cancelled context should stop the rendering")
	}
}

// boxScene is a grey box w × h × d metres standing on y = 0, each face
// in both windings.
func boxScene(w, h, d float64) render.Scene {
	corner := func(i int) [3]float32 {
		return [3]float32{float32(float64(i&1*2-1) * w / 2), float32(float64(i>>1&1) * h), float32(float64(i>>2&1*2-1) * d / 2)}
	}
	mesh := render.Mesh{Material: render.Material{BaseColor: [4]float32{0.5, 0.5, 0.5, 1}, Roughness: 0.8}}
	for _, f := range [6][4]int{{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4}, {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}} {
		for _, k := range [12]int{0, 1, 2, 0, 2, 3, 0, 2, 1, 0, 3, 2} {
			mesh.Positions = append(mesh.Positions, corner(f[k]))
		}
	}
	return render.Scene{Meshes: []render.Mesh{mesh}}
}
