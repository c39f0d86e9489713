package assetpipe

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// bigTorus generates a bumpy textured torus of 2·rings·segments triangles
// (with a UV seam in both directions), as a GLB.
func bigTorus(tb testing.TB, rings, segments int) []byte {
	tb.Helper()
	var p gltf.PrimitiveData
	for i := 0; i <= rings; i++ {
		u := 2 * math.Pi * float64(i) / float64(rings)
		for j := 0; j <= segments; j++ {
			v := 2 * math.Pi * float64(j) / float64(segments)
			r := 0.12 + 0.01*math.Sin(5*u)*math.Cos(7*v)
			cx, cz := 0.3*math.Cos(u), 0.3*math.Sin(u)
			nx, ny, nz := math.Cos(v)*math.Cos(u), math.Sin(v), math.Cos(v)*math.Sin(u)
			p.Positions = append(p.Positions, [3]float32{float32(cx + r*nx), float32(r * ny), float32(cz + r*nz)})
			p.Normals = append(p.Normals, [3]float32{float32(nx), float32(ny), float32(nz)})
			p.UVs = append(p.UVs, [2]float32{float32(i) / float32(rings), float32(j) / float32(segments)})
		}
	}
	at := func(i, j int) uint32 { return uint32(i*(segments+1) + j) }
	for i := 0; i < rings; i++ {
		for j := 0; j < segments; j++ {
			p.Indices = append(p.Indices, at(i, j), at(i, j+1), at(i+1, j+1), at(i, j), at(i+1, j+1), at(i+1, j))
		}
	}
	tex := image.NewRGBA(image.Rect(0, 0, 512, 512))
	for y := range 512 {
		for x := range 512 {
			tex.Set(x, y, color.RGBA{uint8(x / 2), uint8(128 + 60*math.Sin(float64(y)/20)), uint8((x ^ y) & 255), 255})
		}
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, tex, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	b := gltf.NewBuilder("vitrine benchmark")
	img, err := b.AddImage("torus", jpg.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	texIdx, _ := b.AddTexture(img)
	mat, err := b.AddMaterial(gltf.MaterialSpec{Name: "torus", BaseColor: [4]float64{1, 1, 1, 1}, Roughness: 0.6, BaseColorTexture: texIdx, MetallicRoughnessTexture: -1, NormalTexture: -1})
	if err != nil {
		tb.Fatal(err)
	}
	p.Material = mat
	mesh, err := b.AddMesh("torus", []gltf.PrimitiveData{p})
	if err != nil {
		tb.Fatal(err)
	}
	node, _ := b.AddNode(gltf.NodeSpec{Name: "torus", Mesh: mesh})
	_ = b.AddToScene(node)
	glb, err := b.GLB()
	if err != nil {
		tb.Fatal(err)
	}
	return glb
}

type benchModel struct {
	name string
	data []byte
}

// gltfpackRun runs gltfpack at ratio (simplification and its default
// quantisation, no compression) and returns the output and wall time.
func gltfpackRun(tb testing.TB, dir, name string, in []byte, ratio float64) ([]byte, time.Duration) {
	tb.Helper()
	src := filepath.Join(dir, name+".glb")
	if err := os.WriteFile(src, in, 0o600); err != nil {
		tb.Fatal(err)
	}
	dst := filepath.Join(dir, fmt.Sprintf("%s-gltfpack-%g.glb", name, ratio))
	args := []string{"-i", src, "-o", dst}
	if ratio < 1 {
		args = append(args, "-si", fmt.Sprint(ratio))
	}
	start := time.Now()
	out, err := exec.Command("gltfpack", args...).CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		tb.Fatalf("gltfpack %v: %v: %s", args, err, out)
	}
	glb, err := os.ReadFile(dst)
	if err != nil {
		tb.Fatal(err)
	}
	return glb, elapsed
}

// BenchmarkAssetsVsGltfpack builds the default levels of detail of every
// sample model and of a generated 204,800-triangle torus, runs gltfpack
// -si at the same triangle ratios on the same files, and prints a
// Markdown table of bytes, triangles and times (docs/assets.md). Run it
// with
//
//	go test -run '^$' -bench AssetsVsGltfpack -benchtime 1x ./server/assetpipe
func BenchmarkAssetsVsGltfpack(b *testing.B) {
	if _, err := exec.LookPath("gltfpack"); err != nil {
		b.Skip("gltfpack is not installed (Debian package gltfpack)")
	}
	models := []benchModel{{"torus-204k (generated)", bigTorus(b, 320, 320)}}
	for _, p := range sampleCatalog(b) {
		data, _ := readSample(b, p)
		models = append(models, benchModel{p.SKU, data})
	}
	dir := b.TempDir()
	var table, times strings.Builder
	for b.Loop() {
		table.Reset()
		times.Reset()
		table.WriteString("| model | level | ratio | Vitrine tris | Vitrine bytes | gltfpack tris | gltfpack bytes | bytes ratio | % of source |\n")
		table.WriteString("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		times.WriteString("| model | source tris | source bytes | Vitrine LODs (all levels) | gltfpack (all levels) | time ratio |\n")
		times.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
		for _, m := range models {
			asset, err := gltf.Parse(m.data, gltf.DefaultLimits())
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			again, err := gltf.Parse(m.data, gltf.DefaultLimits())
			if err != nil {
				b.Fatal(err)
			}
			lods, _, err := BuildLODs(context.Background(), again, LODOptions{})
			if err != nil {
				b.Fatal(err)
			}
			ours := time.Since(start)
			var theirs time.Duration
			safe := strings.Fields(m.name)[0]
			for _, l := range lods {
				glb, elapsed := gltfpackRun(b, dir, safe, m.data, l.TargetRatio)
				theirs += elapsed
				gp, err := gltf.ParseGLB(glb, gltf.DefaultLimits())
				if err != nil {
					b.Fatalf("%s: gltfpack output: %v", m.name, err)
				}
				fmt.Fprintf(&table, "| %s | %d | %.3g | %d | %d | %d | %d | %.2f | %.1f%% |\n", m.name, l.Level, l.TargetRatio,
					l.Triangles, l.SizeBytes, gp.Stats().Triangles, len(glb), float64(l.SizeBytes)/float64(len(glb)), 100*float64(l.SizeBytes)/float64(len(m.data)))
			}
			fmt.Fprintf(&times, "| %s | %d | %d | %d ms | %d ms | %.2f |\n", m.name, asset.Stats().Triangles, len(m.data),
				ours.Milliseconds(), theirs.Milliseconds(), ours.Seconds()/theirs.Seconds())
		}
	}
	fmt.Printf("\n%s\n%s\n", table.String(), times.String())
}
