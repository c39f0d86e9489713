package assetpipe

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/assets"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

// zipOf packs name → bytes into a zip, in name order.
func zipOf(tb testing.TB, files map[string][]byte) []byte {
	tb.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(files[n]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// pngOf encodes a w×h image whose pixels fn gives.
func pngOf(tb testing.TB, w, h int, fn func(x, y int) color.NRGBA) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, fn(x, y))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// cubeOBJ is a 1 m cube of six quads with texture coordinates and
// normals, its top drawn with a second material.
const cubeOBJ = `# a cube
mtllib cube.mtl
o cube
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 0 0 1
v 1 0 1
v 1 1 1
v 0 1 1
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vn 0 0 -1
vn 0 0 1
vn -1 0 0
vn 1 0 0
vn 0 -1 0
vn 0 1 0
usemtl wood
f 1/1/1 4/4/1 3/3/1 2/2/1
f 5/1/2 6/2/2 7/3/2 8/4/2
f 1/1/3 5/2/3 8/3/3 4/4/3
f 2/1/4 3/4/4 7/3/4 6/2/4
f 1/1/5 2/2/5 6/3/5 5/4/5
usemtl glass
f -5/1/6 -1/4/6 -2/3/6 -6/2/6
`

const cubeMTL = `newmtl wood
Kd 0.8 0.5 0.2
Ks 0.5 0.5 0.5
Ns 250
map_Kd -s 1 1 1 textures/wood.png
map_Bump -bm 0.5 textures/normal.png
map_Pr textures/rough.png
Pm 0.25

newmtl glass
Kd 0.9 0.9 1
d 0.4
Ke 0.1 0.1 0.1
`

func cubeZip(tb testing.TB) []byte {
	return zipOf(tb, map[string][]byte{
		"cube/cube.obj": []byte(cubeOBJ),
		"cube/cube.mtl": []byte(cubeMTL),
		"cube/textures/wood.png": pngOf(tb, 16, 16, func(x, y int) color.NRGBA {
			return color.NRGBA{uint8(120 + 8*x), uint8(60 + 4*y), 30, 255}
		}),
		"cube/textures/normal.png": pngOf(tb, 8, 8, func(x, y int) color.NRGBA { return color.NRGBA{128, 128, 255, 255} }),
		"cube/textures/rough.png":  pngOf(tb, 4, 4, func(x, y int) color.NRGBA { return color.NRGBA{uint8(60 * x), uint8(60 * x), uint8(60 * x), 255} }),
	})
}

func TestOBJZipConverts(t *testing.T) {
	a, glb, err := ParseModel(cubeZip(t), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(glb, []byte("glTF")) {
		t.Fatal("the converted model is not a GLB")
	}
	st := a.Stats()
	if st.Triangles != 12 || st.Vertices != 24 {
		t.Fatalf("got %d triangles and %d vertices; want 12 and 24 (six quads, corners welded per face)", st.Triangles, st.Vertices)
	}
	lo, hi, err := a.Bounds()
	if err != nil || lo != [3]float64{} || hi != [3]float64{1, 1, 1} {
		t.Fatalf("bounds %v %v (%v); want the unit cube", lo, hi, err)
	}
	doc := a.Doc
	if len(doc.Meshes) != 1 || len(doc.Meshes[0].Primitives) != 2 || len(doc.Materials) != 2 {
		t.Fatalf("%d meshes, %d primitives, %d materials; want one mesh with a primitive per material", len(doc.Meshes), len(doc.Meshes[0].Primitives), len(doc.Materials))
	}
	wood, glass := doc.Materials[0], doc.Materials[1]
	pbr := wood.PBRMetallicRoughness
	if wood.Name != "wood" || pbr.BaseColorTexture == nil || wood.NormalTexture == nil || pbr.MetallicRoughnessTexture == nil {
		t.Fatalf("wood material %+v lost a texture", wood)
	}
	if *wood.NormalTexture.Scale != 0.5 || *pbr.MetallicFactor != 0.25 || *pbr.RoughnessFactor != 1 {
		t.Fatalf("wood: normal scale %v, metallic %v, roughness %v; want 0.5, 0.25 (Pm) and 1 (map_Pr scales it)", *wood.NormalTexture.Scale, *pbr.MetallicFactor, *pbr.RoughnessFactor)
	}
	if glass.AlphaMode != "BLEND" || glass.PBRMetallicRoughness.BaseColorFactor[3] != 0.4 || len(glass.EmissiveFactor) != 3 {
		t.Fatalf("glass material %+v: want alpha 0.4 blended and emissive", glass)
	}
	// Ns 250 is Blender's roughness 0.5 — with map_Pr the factor is 1, so
	// check Ns on its own with the glass material (no Ns: rough 1).
	if r := *glass.PBRMetallicRoughness.RoughnessFactor; r != 1 {
		t.Fatalf("glass roughness %v; want 1 without Ns or Pr", r)
	}
	if len(doc.Textures) != 3 {
		t.Fatalf("%d textures; want base colour, normal and roughness-metalness", len(doc.Textures))
	}
	// The roughness map went to green, metalness (absent) reads 1 in blue.
	mr, _, err := a.ImageBytes(*doc.Textures[pbr.MetallicRoughnessTexture.Index].Source)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(mr))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := img.At(3, 0).RGBA(); g>>8 != 180 || b>>8 != 255 || r != 0 {
		t.Fatalf("metallic-roughness texel (3,0) is %d,%d,%d; want 0,180,255", r>>8, g>>8, b>>8)
	}
	// OBJ's v runs up the image, glTF's down: vt 0 0 becomes (0, 1).
	prim := doc.Meshes[0].Primitives[0]
	uvs, err := a.ReadVec2(prim.Attributes["TEXCOORD_0"])
	if err != nil {
		t.Fatal(err)
	}
	if uvs[0] != [2]float32{0, 1} {
		t.Fatalf("first UV %v; want [0 1] (v flipped)", uvs[0])
	}
	// The normal-mapped primitive carries tangents: unit, perpendicular to
	// the normal, w ±1, and along +u on the front face (z = 0, facing −z).
	tan, err := a.ReadVec4(prim.Attributes["TANGENT"])
	if err != nil {
		t.Fatalf("normal-mapped primitive without tangents: %v", err)
	}
	nrm, _ := a.ReadVec3(prim.Attributes["NORMAL"])
	for i, tg := range tan {
		l := math.Sqrt(float64(tg[0]*tg[0] + tg[1]*tg[1] + tg[2]*tg[2]))
		dot := tg[0]*nrm[i][0] + tg[1]*nrm[i][1] + tg[2]*nrm[i][2]
		if math.Abs(l-1) > 1e-5 || math.Abs(float64(dot)) > 1e-5 || (tg[3] != 1 && tg[3] != -1) {
			t.Fatalf("tangent %d %v against normal %v", i, tg, nrm[i])
		}
	}
	// u grows with x; glTF's v grows downwards, so n × t = −y runs along
	// ∂P/∂v: right-handed.
	if tan[0] != [4]float32{1, 0, 0, 1} {
		t.Fatalf("front-face tangent %v; want [1 0 0 1]", tan[0])
	}
	if _, ok := doc.Meshes[0].Primitives[1].Attributes["TANGENT"]; ok {
		t.Fatal("the glass primitive has no normal map but got tangents")
	}
	codes := map[string]bool{}
	for _, p := range a.Warnings {
		codes[p.Code] = true
	}
	if !codes["OBJ_TRIANGULATED"] || codes["OBJ_MTL_UNSUPPORTED"] {
		t.Fatalf("problems %v; want the triangulation noted and no complaint about the default -s 1 1 1", a.Warnings)
	}
}

func TestOBJRoughnessFromNs(t *testing.T) {
	for _, tt := range []struct {
		mtl  string
		want float64
	}{
		{"Ns 250", 0.5},
		{"Ns 1000", 0},
		{"Ns 0", 1},
		{"Ns 900\nKs 0 0 0", 1},
		{"Ns 250\nPr 0.3", 0.3},
	} {
		mats := map[string]*mtlMaterial{}
		r := &objProblems{}
		parseMTL([]byte("newmtl m\n"+tt.mtl+"\n"), "m.mtl", ".", objLimitsFrom(gltf.DefaultLimits()), mats, r)
		_, _, rough := mats["m"].pbr()
		if math.Abs(rough-tt.want) > 1e-9 || r.errors > 0 {
			t.Errorf("%q: roughness %v (problems %v); want %v", tt.mtl, rough, r.list, tt.want)
		}
	}
}

func TestOBJBareUpload(t *testing.T) {
	obj := "v 0 0 0\nv 2 0 0\nv 2 0 -1\nv 0 0 -1\nf 1 2 \\\n 3 4\n" // the face continues on a second line
	a, _, err := ParseModel([]byte(obj), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if st := a.Stats(); st.Triangles != 2 || st.Vertices != 4 {
		t.Fatalf("%d triangles, %d vertices; want 2 and 4", st.Triangles, st.Vertices)
	}
	n, err := a.ReadVec3(a.Doc.Meshes[0].Primitives[0].Attributes["NORMAL"])
	if err != nil || n[0] != [3]float32{0, 1, 0} {
		t.Fatalf("computed normal %v (%v); want +Y for a counter-clockwise floor quad", n, err)
	}
	if a.Doc.Meshes[0].Primitives[0].Material != nil {
		t.Fatal("a face without usemtl got a material; want glTF's default")
	}
}

func TestOBJSmoothingGroups(t *testing.T) {
	// A cube of quads without normals: smoothed, its eight corners are
	// shared; flat, every face has its own four.
	cube := "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n%s\n" +
		"f 1 4 3 2\nf 5 6 7 8\nf 1 5 8 4\nf 2 3 7 6\nf 1 2 6 5\nf 4 8 7 3\n"
	for _, tt := range []struct {
		smooth   string
		vertices int
	}{{"s 1", 8}, {"s off", 24}, {"", 24}} {
		a, _, err := ParseModel([]byte(fmt.Sprintf(cube, tt.smooth)), gltf.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if st := a.Stats(); st.Vertices != tt.vertices {
			t.Errorf("%q: %d vertices; want %d", tt.smooth, st.Vertices, tt.vertices)
		}
		n, _ := a.ReadVec3(a.Doc.Meshes[0].Primitives[0].Attributes["NORMAL"])
		pos, _ := a.ReadVec3(a.Doc.Meshes[0].Primitives[0].Attributes["POSITION"])
		for i, v := range n {
			l := math.Sqrt(float64(v[0]*v[0] + v[1]*v[1] + v[2]*v[2]))
			if math.Abs(l-1) > 1e-5 {
				t.Fatalf("%q: normal %d %v is not unit", tt.smooth, i, v)
			}
			// Every normal points away from the cube's centre.
			out := (pos[i][0]-0.5)*v[0] + (pos[i][1]-0.5)*v[1] + (pos[i][2]-0.5)*v[2]
			if out <= 0 {
				t.Fatalf("%q: normal %v at %v points inwards", tt.smooth, v, pos[i])
			}
		}
	}
}

func TestOBJConcaveFaceEarClipped(t *testing.T) {
	// An L of area 3 starting at a corner that cannot see the whole
	// polygon: a fan from it would make triangles turning the wrong way.
	obj := "v 0 2 0\nv 0 0 0\nv 1 0 0\nv 2 0 0\nv 2 1 0\nv 1 1 0\nv 1 2 0\nf 1 2 3 4 5 6 7\n"
	a, _, err := ParseModel([]byte(obj), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	prim := a.Doc.Meshes[0].Primitives[0]
	pos, _ := a.ReadVec3(prim.Attributes["POSITION"])
	idx, _ := a.ReadIndices(*prim.Indices)
	area := 0.0
	for i := 0; i+2 < len(idx); i += 3 {
		n := triNormal(pos[idx[i]], pos[idx[i+1]], pos[idx[i+2]])
		if n[2] <= 0 {
			t.Fatalf("triangle %d turns the wrong way: %v", i/3, n)
		}
		area += n[2] / 2
	}
	if len(idx) != 15 || math.Abs(area-3) > 1e-6 {
		t.Fatalf("%d triangles covering %.3f m²; want 5 covering 3 (the L's area)", len(idx)/3, area)
	}
}

// wantProblem fails unless err is an *gltf.InvalidError with an error of
// code at a location starting with where.
func wantProblem(t *testing.T, err error, code, where string) {
	t.Helper()
	var inv *gltf.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v; want *gltf.InvalidError with %s", err, code)
	}
	for _, p := range inv.Problems {
		if p.Severity == gltf.SeverityError && p.Code == code && strings.HasPrefix(p.Pointer, where) {
			return
		}
	}
	t.Fatalf("problems %s; want error %s at %q", strings.Join(inv.Lines(), "; "), code, where)
}

func TestOBJBrokenInputs(t *testing.T) {
	tex := pngOf(t, 4, 4, func(x, y int) color.NRGBA { return color.NRGBA{200, 10, 10, 255} })
	tri := "v 0 0 0\nv 1 0 0\nv 0 1 0\n"
	withMTL := func(mtl string, extra map[string][]byte) []byte {
		files := map[string][]byte{"chair.obj": []byte("mtllib chair.mtl\n" + tri + "usemtl m\nf 1 2 3\n"), "chair.mtl": []byte("newmtl m\n" + mtl + "\n")}
		for k, v := range extra {
			files[k] = v
		}
		return zipOf(t, files)
	}
	for _, tt := range []struct {
		name, code, where string
		data              []byte
	}{
		{"index out of range", "OBJ_INDEX_OOB", "model.obj:4", []byte(tri + "f 1 2 4\n")},
		{"index zero", "OBJ_INDEX_OOB", "model.obj:4", []byte(tri + "f 0 1 2\n")},
		{"index out of range on a continued line", "OBJ_INDEX_OOB", "model.obj:5", []byte(tri + "# comment \\\nf 1 \\\n 2 \\\n 9\nf 1 2 3\n")},
		{"relative index before the first vertex", "OBJ_INDEX_OOB", "model.obj:4", []byte(tri + "f -1 -2 -4\n")},
		{"texture coordinate out of range", "OBJ_INDEX_OOB", "model.obj:5", []byte(tri + "vt 0 0\nf 1/1 2/2 3/1\n")},
		{"mixed corner forms", "OBJ_FACE_INVALID", "model.obj:5", []byte(tri + "vt 0 0\nf 1/1 2 3\n")},
		{"two-corner face", "OBJ_FACE_INVALID", "model.obj:4", []byte(tri + "f 1 2\n")},
		{"NaN vertex", "OBJ_VERTEX_INVALID", "model.obj:2", []byte("v 0 0 0\nv NaN 0 0\nv 0 1 0\nf 1 2 3\n")},
		{"infinite vertex", "OBJ_VERTEX_INVALID", "model.obj:1", []byte("v 1e39 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")},
		{"text vertex", "OBJ_VERTEX_INVALID", "model.obj:1", []byte("v 0 zero 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")},
		{"no faces", "OBJ_NO_GEOMETRY", "model.obj", []byte(tri)},
		{"giant face", "LIMIT_EXCEEDED", "model.obj:4", []byte(tri + "f" + strings.Repeat(" 1 2 3", 400) + "\n")},
		{"giant line", "LIMIT_EXCEEDED", "model.obj:1", []byte("v 0 0 0 " + strings.Repeat(" ", 70000) + "\n")},
		{"mtl missing from a bare upload", "OBJ_MTL_MISSING", "model.obj:1", []byte("mtllib chair.mtl\n" + tri + "f 1 2 3\n")},
		{"mtl missing from the zip", "OBJ_MTL_MISSING", "chair.obj:1", zipOf(t, map[string][]byte{"chair.obj": []byte("mtllib chair.mtl\n" + tri + "f 1 2 3\n")})},
		{"mtl outside the zip", "URI_NOT_ALLOWED", "chair.obj:1", zipOf(t, map[string][]byte{"a/chair.obj": []byte("mtllib ../chair.mtl\n" + tri + "f 1 2 3\n"), "chair.mtl": []byte("newmtl m\n")})},
		{"texture climbing out", "URI_NOT_ALLOWED", "chair.mtl:2", withMTL("map_Kd ../wood.png", nil)},
		{"texture by absolute path", "URI_NOT_ALLOWED", "chair.mtl:2", withMTL("map_Kd /home/me/wood.png", nil)},
		{"texture on a Windows drive", "URI_NOT_ALLOWED", "chair.mtl:2", withMTL(`map_Kd C:\Users\me\wood.png`, nil)},
		{"texture by URL", "URI_NOT_ALLOWED", "chair.mtl:2", withMTL("map_Kd http://example.com/wood.png", nil)},
		{"texture missing", "OBJ_TEXTURE_MISSING", "chair.mtl:2", withMTL("map_Kd wood.png", nil)},
		{"texture not PNG or JPEG", "IMAGE_UNRECOGNIZED_FORMAT", "chair.mtl:2", withMTL("map_Kd wood.bmp", map[string][]byte{"wood.bmp": []byte("BM\x00\x00\x00\x00")})},
		{"texture bomb", "IMAGE_TOO_LARGE", "chair.mtl:2", withMTL("map_Kd wood.png", map[string][]byte{"wood.png": pngHeader(t, 100000, 100000)})},
		{"corrupt texture", "IMAGE_DATA_INVALID", "chair.mtl:2", withMTL("map_d mask.png", map[string][]byte{"mask.png": tex[:40]})},
		{"two models", "ZIP_MULTIPLE_MODELS", "", zipOf(t, map[string][]byte{"a.obj": []byte(tri + "f 1 2 3\n"), "b.obj": []byte(tri + "f 1 2 3\n")})},
		{"entry climbing out", "ZIP_ENTRY_NAME_INVALID", "", zipOf(t, map[string][]byte{"a.obj": []byte(tri + "f 1 2 3\n"), "../evil.png": tex})},
		{"binary in the obj", "OBJ_SYNTAX", "model.obj:3", []byte("v 0 0 0\n#" + strings.Repeat("-", 5000) + "\nv 1\x00 0 0\n")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseModel(tt.data, gltf.DefaultLimits())
			wantProblem(t, err, tt.code, tt.where)
		})
	}
}

// pngHeader is a PNG signature and IHDR chunk declaring w×h pixels with no
// image data: a decompression bomb's header.
func pngHeader(tb testing.TB, w, h int) []byte {
	tb.Helper()
	full := pngOf(tb, 1, 1, func(int, int) color.NRGBA { return color.NRGBA{} })
	ihdr := append([]byte(nil), full[:33]...) // signature (8) + IHDR length, type, 13 bytes data, CRC
	putBE := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	putBE(ihdr[16:], uint32(w))
	putBE(ihdr[20:], uint32(h))
	putBE(ihdr[29:], crc32.ChecksumIEEE(ihdr[12:29]))
	return ihdr
}

func TestOBJCountLimits(t *testing.T) {
	lim := gltf.DefaultLimits()
	lim.MaxVertices, lim.MaxTriangles = 100, 50
	var b strings.Builder
	for i := 0; i < 101; i++ {
		fmt.Fprintf(&b, "v %d 0 0\n", i)
	}
	_, _, err := ParseModel([]byte(b.String()), lim)
	wantProblem(t, err, "LIMIT_EXCEEDED", "model.obj:101")

	b.Reset()
	b.WriteString("v 0 0 0\nv 1 0 0\nv 0 1 0\n")
	for i := 0; i < 51; i++ {
		b.WriteString("f 1 2 3\n")
	}
	_, _, err = ParseModel([]byte(b.String()), lim)
	wantProblem(t, err, "LIMIT_EXCEEDED", "model.obj:54")
}

func TestLooksLikeOBJ(t *testing.T) {
	for _, tt := range []struct {
		data string
		want bool
	}{
		{"# Blender\nmtllib a.mtl\n", true},
		{"\n\nv 1 2 3\n", true},
		{"glTF\x02\x00\x00\x00", false},
		{"hello world\n", false},
		{"", false},
		{"v 1 2 3\x00", false},
	} {
		if got := looksLikeOBJ([]byte(tt.data)); got != tt.want {
			t.Errorf("looksLikeOBJ(%q) = %v; want %v", tt.data, got, tt.want)
		}
	}
}

// objFromAsset writes a parsed glTF asset's scene as OBJ text and MTL (a
// material per glTF material, its base colour texture as a file), the
// way a merchant's tool would export it.
func objFromAsset(tb testing.TB, a *gltf.Asset, name string) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	var obj, mtl strings.Builder
	fmt.Fprintf(&obj, "# exported from %s\nmtllib %s.mtl\n", name, name)
	for i, m := range a.Doc.Materials {
		fmt.Fprintf(&mtl, "newmtl mat%d\n", i)
		if pbr := m.PBRMetallicRoughness; pbr != nil {
			if c := pbr.BaseColorFactor; len(c) == 4 {
				fmt.Fprintf(&mtl, "Kd %g %g %g\n", c[0], c[1], c[2])
				if c[3] < 1 {
					fmt.Fprintf(&mtl, "d %g\n", c[3])
				}
			}
			if pbr.RoughnessFactor != nil {
				fmt.Fprintf(&mtl, "Pr %g\n", *pbr.RoughnessFactor)
			}
			if pbr.MetallicFactor != nil {
				fmt.Fprintf(&mtl, "Pm %g\n", *pbr.MetallicFactor)
			}
			if ti := pbr.BaseColorTexture; ti != nil && ti.TexCoord == 0 && a.Doc.Textures[ti.Index].Source != nil {
				data, mime, err := a.ImageBytes(*a.Doc.Textures[ti.Index].Source)
				if err != nil {
					tb.Fatal(err)
				}
				file := fmt.Sprintf("maps/tex%d.png", ti.Index)
				if mime == "image/jpeg" {
					file = fmt.Sprintf("maps/tex%d.jpg", ti.Index)
				}
				files[file] = data
				fmt.Fprintf(&mtl, "map_Kd %s\n", file)
			}
		}
	}
	nv, nt, nn := 0, 0, 0
	gltf.Walk(a.Doc, gltf.Identity, func(node int, world gltf.Mat4) {
		n := a.Doc.Nodes[node]
		if n.Mesh == nil {
			return
		}
		for _, p := range a.Doc.Meshes[*n.Mesh].Primitives {
			if p.Mode != nil && *p.Mode != 4 {
				continue
			}
			pos, err := a.ReadVec3(p.Attributes["POSITION"])
			if err != nil {
				tb.Fatal(err)
			}
			var idx []uint32
			if p.Indices != nil {
				if idx, err = a.ReadIndices(*p.Indices); err != nil {
					tb.Fatal(err)
				}
			} else {
				for i := range pos {
					idx = append(idx, uint32(i))
				}
			}
			var normals [][3]float32
			if ix, ok := p.Attributes["NORMAL"]; ok {
				if normals, err = a.ReadVec3(ix); err != nil {
					tb.Fatal(err)
				}
			}
			var uvs [][2]float32
			if ix, ok := p.Attributes["TEXCOORD_0"]; ok {
				if uvs, err = a.ReadVec2(ix); err != nil {
					tb.Fatal(err)
				}
			}
			origin := world.TransformPoint([3]float64{})
			for i, v := range pos {
				w := world.TransformPoint([3]float64{float64(v[0]), float64(v[1]), float64(v[2])})
				fmt.Fprintf(&obj, "v %.7g %.7g %.7g\n", w[0], w[1], w[2])
				if normals != nil {
					q := world.TransformPoint([3]float64{float64(normals[i][0]), float64(normals[i][1]), float64(normals[i][2])})
					fmt.Fprintf(&obj, "vn %.6g %.6g %.6g\n", q[0]-origin[0], q[1]-origin[1], q[2]-origin[2])
				}
				if uvs != nil {
					fmt.Fprintf(&obj, "vt %.7g %.7g\n", uvs[i][0], 1-uvs[i][1])
				}
			}
			if p.Material != nil {
				fmt.Fprintf(&obj, "usemtl mat%d\n", *p.Material)
			} else {
				obj.WriteString("usemtl default\n")
			}
			corner := func(i uint32) string {
				s := fmt.Sprint(nv + int(i) + 1)
				switch {
				case uvs != nil && normals != nil:
					s += fmt.Sprintf("/%d/%d", nt+int(i)+1, nn+int(i)+1)
				case uvs != nil:
					s += fmt.Sprintf("/%d", nt+int(i)+1)
				case normals != nil:
					s += fmt.Sprintf("//%d", nn+int(i)+1)
				}
				return s
			}
			for i := 0; i+2 < len(idx); i += 3 {
				fmt.Fprintf(&obj, "f %s %s %s\n", corner(idx[i]), corner(idx[i+1]), corner(idx[i+2]))
			}
			nv += len(pos)
			if uvs != nil {
				nt += len(pos)
			}
			if normals != nil {
				nn += len(pos)
			}
		}
	})
	mtl.WriteString("newmtl default\nKd 0.8 0.8 0.8\n")
	files[name+".obj"] = []byte(obj.String())
	files[name+".mtl"] = []byte(mtl.String())
	return files
}

// TestOBJSamplesThroughPipeline exports sample products as OBJ zips, runs
// them through Process exactly as an upload, and holds every level to the
// Khronos glTF-Validator; the measured size matches the GLB's.
func TestOBJSamplesThroughPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("processes two sample products")
	}
	samples, err := assets.Products()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	done := 0
	for _, s := range samples {
		if s.Model != "chair-oak.glb" && s.Model != "mug-sage.glb" {
			continue
		}
		done++
		glb, err := assets.ReadFile("models/" + s.Model)
		if err != nil {
			t.Fatal(err)
		}
		src, err := gltf.Parse(glb, gltf.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(s.Model, ".glb")
		upload := zipOf(t, objFromAsset(t, src, name))
		_, converted, err := ParseModel(upload, gltf.DefaultLimits())
		if err != nil {
			t.Fatalf("%s as OBJ: %v", name, err)
		}
		out, err := Process(context.Background(), converted, ProcessInput{DeclaredM: s.DimensionsM, Placement: s.Placement, Budget: DefaultBudget()})
		if err != nil {
			t.Fatalf("%s as OBJ: process: %v", name, err)
		}
		want, err := Process(context.Background(), glb, ProcessInput{DeclaredM: s.DimensionsM, Placement: s.Placement, Budget: DefaultBudget()})
		if err != nil {
			t.Fatal(err)
		}
		got, exp := out.Report.NormalisedM, want.Report.NormalisedM
		if math.Abs(got.W-exp.W) > 1e-4 || math.Abs(got.H-exp.H) > 1e-4 || math.Abs(got.D-exp.D) > 1e-4 {
			t.Errorf("%s: the OBJ measures %+v, the GLB %+v", name, got, exp)
		}
		if out.Report.DimensionsMismatch || out.Report.LODs[0].Triangles != want.Report.LODs[0].Triangles {
			t.Errorf("%s: OBJ report %+v; GLB level 0 has %d triangles", name, out.Report, want.Report.LODs[0].Triangles)
		}
		for _, l := range out.LODs {
			files[fmt.Sprintf("%s-lod%d", name, l.Level)] = l.GLB
		}
	}
	if done != 2 {
		t.Fatalf("found %d of the 2 samples", done)
	}
	// The cube with every material feature too.
	_, cube, err := ParseModel(cubeZip(t), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	out, err := Process(context.Background(), cube, ProcessInput{DeclaredM: wire.Dimensions{W: 1, H: 1, D: 1}, Placement: wire.PlacementFloor, Budget: DefaultBudget()})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range out.LODs {
		files[fmt.Sprintf("cube-lod%d", l.Level)] = l.GLB
	}
	files["cube-converted"] = cube
	for name, r := range khronosValidate(t, files) {
		var warned []string
		for _, is := range r.Issues {
			if is.Severity == 1 {
				warned = append(warned, is.Code+" "+is.Pointer)
			}
		}
		t.Logf("%s: %d errors, %d warnings %v", name, r.Errors, r.Warnings, warned)
		if r.Errors > 0 || slices.ContainsFunc(r.Issues, func(is validatorIssue) bool { return is.Code == "MESH_PRIMITIVE_GENERATED_TANGENT_SPACE" }) {
			t.Errorf("%s: %d validator errors:%s", name, r.Errors, errorsOf(r))
		}
	}
}

// TestOBJUnitsDetected: OBJ has no units; a chair exported in centimetres
// is found out by comparing with the declared size, as for a GLB.
func TestOBJUnitsDetected(t *testing.T) {
	obj := "v 0 0 0\nv 45 0 0\nv 45 90 0\nv 0 90 0\nv 0 0 50\nv 45 0 50\nv 45 90 50\nv 0 90 50\ns 1\n" +
		"f 1 4 3 2\nf 5 6 7 8\nf 1 5 8 4\nf 2 3 7 6\nf 1 2 6 5\nf 4 8 7 3\n"
	_, glb, err := ParseModel([]byte(obj), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	out, err := Process(context.Background(), glb, ProcessInput{DeclaredM: wire.Dimensions{W: 0.45, H: 0.9, D: 0.5}, Placement: wire.PlacementFloor})
	if err != nil {
		t.Fatal(err)
	}
	if out.Report.Unit != "cm" || out.Report.DimensionsMismatch {
		t.Fatalf("unit %q, mismatch %v (%.1f%%); want cm found and no mismatch", out.Report.Unit, out.Report.DimensionsMismatch, out.Report.MismatchPct)
	}
}

// TestOBJBrokenCorpus reads every file in testdata/obj/broken as `vitrine
// asset check` would and expects its error at its place.
func TestOBJBrokenCorpus(t *testing.T) {
	want := map[string][2]string{
		"index-out-of-range.obj": {"OBJ_INDEX_OOB", "index-out-of-range.obj:7"},
		"nan-vertex.obj":         {"OBJ_VERTEX_INVALID", "nan-vertex.obj:4"},
		"giant-face.obj":         {"LIMIT_EXCEEDED", "giant-face.obj:2002"},
		"missing-mtl.zip":        {"OBJ_MTL_MISSING", "chair.obj:1"},
		"texture-outside.zip":    {"URI_NOT_ALLOWED", "chair.mtl:3"},
		"absolute-texture.zip":   {"URI_NOT_ALLOWED", "chair.mtl:2"},
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "obj", "broken"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Fatalf("%d files in testdata/obj/broken, %d expected: give each new file a row here", len(entries), len(want))
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			w, ok := want[e.Name()]
			if !ok {
				t.Fatalf("no expectation for %s", e.Name())
			}
			_, _, err := ReadModelFile(filepath.Join("testdata", "obj", "broken", e.Name()), gltf.DefaultLimits())
			wantProblem(t, err, w[0], w[1])
		})
	}
}

// TestOBJFileBesideItsResources reads an .obj from disk with its .mtl and
// texture beside it, and refuses a texture reached through a symbolic
// link out of the folder.
func TestOBJFileBesideItsResources(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	tex := pngOf(t, 2, 2, func(x, y int) color.NRGBA { return color.NRGBA{10, 200, 10, 255} })
	for name, data := range map[string][]byte{
		"lamp.obj":       []byte("mtllib lamp.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nusemtl shade\nf 1/1 2/1 3/1\n"),
		"lamp.mtl":       []byte("newmtl shade\nmap_Kd maps/shade.png\n"),
		"maps/shade.png": tex,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, _, err := ReadModelFile(filepath.Join(dir, "lamp.obj"), gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Doc.Images) != 1 {
		t.Fatalf("%d images; want the shade texture", len(a.Doc.Images))
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.png"), tex, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lamp.mtl"), []byte("newmtl shade\nmap_Kd link.png\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.png"), filepath.Join(dir, "link.png")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	_, _, err = ReadModelFile(filepath.Join(dir, "lamp.obj"), gltf.DefaultLimits())
	wantProblem(t, err, "OBJ_FILE_UNREADABLE", "lamp.mtl:2")
}

// BenchmarkConvertOBJ converts a 200 000-triangle OBJ grid with texture
// coordinates and normals (13.5 MB of text) and reports its speed.
func BenchmarkConvertOBJ(b *testing.B) {
	const side = 317 // 316² quads ≈ 200k triangles
	var buf bytes.Buffer
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			fmt.Fprintf(&buf, "v %g %g %g\nvt %g %g\n", float64(x)*0.01, math.Sin(float64(x+y)*0.1)*0.05, float64(y)*0.01, float64(x)/side, float64(y)/side)
		}
	}
	buf.WriteString("vn 0 1 0\n")
	for y := 0; y+1 < side; y++ {
		for x := 0; x+1 < side; x++ {
			a := y*side + x + 1
			fmt.Fprintf(&buf, "f %d/%d/1 %d/%d/1 %d/%d/1 %d/%d/1\n", a, a, a+side, a+side, a+side+1, a+side+1, a+1, a+1)
		}
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var tris int
	for range b.N {
		a, _, err := ParseModel(data, gltf.DefaultLimits())
		if err != nil {
			b.Fatal(err)
		}
		tris = a.Stats().Triangles
	}
	b.ReportMetric(float64(tris)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mtri/s")
}

// TestOBJOpacityAndHeightMaps: a separate map_d becomes the base colour
// texture's alpha (blended); a grey height map named by map_Bump is left
// out with a warning rather than drawn as a normal map.
func TestOBJOpacityAndHeightMaps(t *testing.T) {
	upload := zipOf(t, map[string][]byte{
		"a.obj": []byte("mtllib a.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nusemtl leaf\nf 1/1 2/2 3/3\n"),
		"a.mtl": []byte("newmtl leaf\nmap_Kd leaf.jpg\nmap_d mask.png\nmap_Bump height.png\n"),
		"leaf.jpg": func() []byte {
			var buf bytes.Buffer
			img := image.NewRGBA(image.Rect(0, 0, 8, 8))
			for i := range img.Pix {
				img.Pix[i] = []uint8{40, 160, 40, 255}[i%4]
			}
			if err := jpeg.Encode(&buf, img, nil); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}(),
		"mask.png":   pngOf(t, 4, 4, func(x, y int) color.NRGBA { return color.NRGBA{uint8(85 * x), uint8(85 * x), uint8(85 * x), 255} }),
		"height.png": pngOf(t, 4, 4, func(x, y int) color.NRGBA { return color.NRGBA{uint8(60 * y), uint8(60 * y), uint8(60 * y), 255} }),
	})
	a, _, err := ParseModel(upload, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	m := a.Doc.Materials[0]
	if m.AlphaMode != "BLEND" || m.NormalTexture != nil || m.PBRMetallicRoughness.BaseColorTexture == nil {
		t.Fatalf("material %+v; want blended, a base colour texture and no normal texture", m)
	}
	data, mime, err := a.ImageBytes(*a.Doc.Textures[m.PBRMetallicRoughness.BaseColorTexture.Index].Source)
	if err != nil || mime != "image/png" {
		t.Fatalf("base colour image %s (%v); want the composed PNG", mime, err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// 8×8 (the JPEG's size): x = 6 samples mask column 3 (alpha 255), x = 0 column 0 (alpha 0).
	left := color.NRGBAModel.Convert(img.At(0, 0)).(color.NRGBA)
	right := color.NRGBAModel.Convert(img.At(6, 0)).(color.NRGBA)
	if left.A != 0 || right.A != 255 || right.G < 120 || right.R > 80 {
		t.Fatalf("composed texels %v and %v; want the leaf's green with the mask's alpha 0 and 255", left, right)
	}
	found := false
	for _, p := range a.Warnings {
		found = found || p.Code == "OBJ_BUMP_MAP_IGNORED" && p.Pointer == "a.mtl:4"
	}
	if !found {
		t.Fatalf("warnings %v; want OBJ_BUMP_MAP_IGNORED at a.mtl:4", a.Warnings)
	}
}

// TestOBJWindowsPaths: Windows exporters write relative texture paths
// with backslashes and in another case than the files; both resolve
// inside the zip.
func TestOBJWindowsPaths(t *testing.T) {
	tex := pngOf(t, 2, 2, func(x, y int) color.NRGBA { return color.NRGBA{200, 200, 10, 255} })
	upload := zipOf(t, map[string][]byte{
		"model/stool.obj":                []byte("mtllib stool.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nusemtl seat\nf 1/1 2/1 3/1\n"),
		"model/stool.mtl":                []byte("newmtl seat\nmap_Kd Textures\\Seat Fabric.PNG\r\n"),
		"model/textures/seat fabric.png": tex,
	})
	a, _, err := ParseModel(upload, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Doc.Images) != 1 {
		t.Fatalf("%d images; want the seat texture found", len(a.Doc.Images))
	}
}
