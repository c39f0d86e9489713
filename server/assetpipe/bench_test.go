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
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
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
// quantisation, no compression) and returns the output, the wall time and
// the CPU time (user and system) the process used.
func gltfpackRun(tb testing.TB, dir, name string, in []byte, ratio float64) ([]byte, time.Duration, time.Duration) {
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
	cmd := exec.Command("gltfpack", args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		tb.Fatalf("gltfpack %v: %v: %s", args, err, out)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	glb, err := os.ReadFile(dst)
	if err != nil {
		tb.Fatal(err)
	}
	return glb, elapsed, cpu
}

// processCPU returns the CPU time (user and system) this process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRepeats is how many times each side runs per model; the fastest
// run counts, so that a busy shared machine skews both sides less.
const benchRepeats = 5

// BenchmarkAssetsVsGltfpack builds the default levels of detail of every
// sample model and of a generated 204,800-triangle torus, runs gltfpack
// -si at the same triangle ratios on the same files, and prints Markdown
// tables of bytes, triangles, faithfulness and times (docs/assets.md).
// Run it with
//
//	go test -run '^$' -bench AssetsVsGltfpack -benchtime 1x ./server/assetpipe
//
// The timed region is the work gltfpack does: parsing the upload, then
// every level's simplification, ordering, quantisation, textures and GLB
// encoding, on one core (GOMAXPROCS=1, as gltfpack is single-threaded),
// best of benchRepeats runs; gltfpack's time is the best of as many sums
// of its runs, one per level (process start included). Both are measured
// as CPU time (user and system), which other jobs on a shared machine
// disturb far less than wall time, and as wall time. Posters, views and
// the faithfulness renders are timed apart: gltfpack makes none.
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
	ctx := context.Background()
	var table, times strings.Builder
	for b.Loop() {
		table.Reset()
		times.Reset()
		table.WriteString("| model | level | ratio | Vitrine tris | Vitrine bytes | gltfpack tris | gltfpack bytes | bytes ratio | % of source | poster diff |\n")
		table.WriteString("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		times.WriteString("| model | source tris | source bytes | Vitrine CPU | gltfpack CPU | CPU ratio | Vitrine wall | gltfpack wall | wall ratio | posters, views, diffs (not in the ratios) |\n")
		times.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, m := range models {
			asset, err := gltf.Parse(m.data, gltf.DefaultLimits())
			if err != nil {
				b.Fatal(err)
			}
			// The two sides take turns, so that both see the same spells of
			// load from other jobs on the machine.
			var lods []LODResult
			packed := make([][]byte, len(DefaultLevels()))
			safe := strings.Fields(m.name)[0]
			ours, oursCPU := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			theirs, theirsCPU := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			for range benchRepeats {
				procs := runtime.GOMAXPROCS(1)
				start, startCPU := time.Now(), processCPU(b)
				again, err := gltf.Parse(m.data, gltf.DefaultLimits())
				if err == nil {
					lods, _, err = BuildLODs(ctx, again, LODOptions{SourceBytes: int64(len(m.data))})
				}
				elapsed, cpu := time.Since(start), processCPU(b)-startCPU
				runtime.GOMAXPROCS(procs)
				if err != nil {
					b.Fatal(err)
				}
				ours, oursCPU = min(ours, elapsed), min(oursCPU, cpu)
				var sum, sumCPU time.Duration
				for i, l := range lods {
					glb, elapsed, cpu := gltfpackRun(b, dir, safe, m.data, l.TargetRatio)
					sum, sumCPU = sum+elapsed, sumCPU+cpu
					packed[i] = glb
				}
				theirs, theirsCPU = min(theirs, sum), min(theirsCPU, sumCPU)
			}
			// Posters, views and each level's image difference, as
			// Process makes them.
			out := &Outputs{LODs: lods, Report: &ProcessReport{}}
			start := time.Now()
			if err := renderOutputs(ctx, out, PosterOptions{}, wire.PlacementFloor); err != nil {
				b.Fatal(err)
			}
			renders := time.Since(start)
			for i, l := range lods {
				gp, err := gltf.ParseGLB(packed[i], gltf.DefaultLimits())
				if err != nil {
					b.Fatalf("%s: gltfpack output: %v", m.name, err)
				}
				fmt.Fprintf(&table, "| %s | %d | %.3g | %d | %d | %d | %d | %.2f | %.1f%% | %.4f |\n", m.name, l.Level, l.TargetRatio,
					l.Triangles, l.SizeBytes, gp.Stats().Triangles, len(packed[i]), float64(l.SizeBytes)/float64(len(packed[i])),
					100*float64(l.SizeBytes)/float64(len(m.data)), out.Report.LODs[i].PosterDifference)
			}
			fmt.Fprintf(&times, "| %s | %d | %d | %d ms | %d ms | %.2f | %d ms | %d ms | %.2f | %d ms |\n", m.name, asset.Stats().Triangles, len(m.data),
				oursCPU.Milliseconds(), theirsCPU.Milliseconds(), oursCPU.Seconds()/theirsCPU.Seconds(),
				ours.Milliseconds(), theirs.Milliseconds(), ours.Seconds()/theirs.Seconds(), renders.Milliseconds())
		}
	}
	fmt.Printf("\n%s\n%s\n", table.String(), times.String())
}
