package glb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"
)

// builder assembles a GLB for tests: it appends typed data to the BIN
// chunk and records buffer views and accessors.
type builder struct {
	bin   []byte
	views []map[string]any
	accs  []map[string]any
}

func (b *builder) pad() {
	for len(b.bin)%4 != 0 {
		b.bin = append(b.bin, 0)
	}
}

func (b *builder) view(data []byte, stride int) int {
	b.pad()
	v := map[string]any{"buffer": 0, "byteOffset": len(b.bin), "byteLength": len(data)}
	if stride > 0 {
		v["byteStride"] = stride
	}
	b.bin = append(b.bin, data...)
	b.views = append(b.views, v)
	return len(b.views) - 1
}

func (b *builder) accessor(view, offset, comp, count int, typ string) int {
	b.accs = append(b.accs, map[string]any{"bufferView": view, "byteOffset": offset, "componentType": comp, "count": count, "type": typ})
	return len(b.accs) - 1
}

func f32bytes(v ...float32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	return out
}

func (b *builder) floats(typ string, v ...float32) int {
	n := map[string]int{"VEC2": 2, "VEC3": 3}[typ]
	return b.accessor(b.view(f32bytes(v...), 0), 0, compFloat, len(v)/n, typ)
}

func (b *builder) indices16(idx ...uint16) int {
	var data []byte
	for _, i := range idx {
		data = binary.LittleEndian.AppendUint16(data, i)
	}
	return b.accessor(b.view(data, 0), 0, compUnsignedShort, len(idx), "SCALAR")
}

func (b *builder) indices32(idx ...uint32) int {
	var data []byte
	for _, i := range idx {
		data = binary.LittleEndian.AppendUint32(data, i)
	}
	return b.accessor(b.view(data, 0), 0, compUnsignedInt, len(idx), "SCALAR")
}

// glb encodes doc (to which the builder adds buffers, views and
// accessors) with the builder's BIN chunk.
func (b *builder) glb(t testing.TB, doc map[string]any) []byte {
	t.Helper()
	b.pad()
	if _, ok := doc["asset"]; !ok {
		doc["asset"] = map[string]any{"version": "2.0"}
	}
	if _, ok := doc["buffers"]; !ok && len(b.bin) > 0 {
		doc["buffers"] = []any{map[string]any{"byteLength": len(b.bin)}}
	}
	if _, ok := doc["bufferViews"]; !ok {
		doc["bufferViews"] = b.views
	}
	if _, ok := doc["accessors"]; !ok {
		doc["accessors"] = b.accs
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for len(js)%4 != 0 {
		js = append(js, ' ')
	}
	le := binary.LittleEndian
	out := le.AppendUint32(nil, magic)
	out = le.AppendUint32(out, 2)
	total := headerSize + 8 + len(js)
	if len(b.bin) > 0 {
		total += 8 + len(b.bin)
	}
	out = le.AppendUint32(out, uint32(total))
	out = le.AppendUint32(out, uint32(len(js)))
	out = le.AppendUint32(out, chunkJSON)
	out = append(out, js...)
	if len(b.bin) > 0 {
		out = le.AppendUint32(out, uint32(len(b.bin)))
		out = le.AppendUint32(out, chunkBIN)
		out = append(out, b.bin...)
	}
	return out
}

func pngBytes(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// quad is a unit square in the XY plane facing +Z: 4 vertices, 2
// triangles.
var quadPositions = []float32{0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0}

func quadModel(t testing.TB) []byte {
	var b builder
	pos := b.floats("VEC3", quadPositions...)
	nor := b.floats("VEC3", 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1)
	uv := b.floats("VEC2", 0, 1, 1, 1, 1, 0, 0, 0)
	idx := b.indices16(0, 1, 2, 0, 2, 3)
	img := b.view(pngBytes(t, 4, 4, color.NRGBA{200, 30, 30, 255}), 0)
	return b.glb(t, map[string]any{
		"scene":  0,
		"scenes": []any{map[string]any{"nodes": []int{0}}},
		"nodes":  []any{map[string]any{"mesh": 0, "name": "seat"}},
		"meshes": []any{map[string]any{"name": "seat", "primitives": []any{map[string]any{
			"attributes": map[string]int{"POSITION": pos, "NORMAL": nor, "TEXCOORD_0": uv},
			"indices":    idx, "material": 0,
		}}}},
		"materials": []any{map[string]any{
			"name": "oak", "doubleSided": true,
			"pbrMetallicRoughness": map[string]any{
				"baseColorFactor":  []float64{0.8, 0.6, 0.4, 1},
				"baseColorTexture": map[string]any{"index": 0},
				"metallicFactor":   0, "roughnessFactor": 0.7,
			},
		}},
		"textures": []any{map[string]any{"source": 0}},
		"images":   []any{map[string]any{"bufferView": img, "mimeType": "image/png"}},
	})
}

func TestDecodeTexturedQuad(t *testing.T) {
	m, err := Decode(quadModel(t), Limits{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(m.Meshes) != 1 {
		t.Fatalf("%d meshes, want 1", len(m.Meshes))
	}
	mesh := m.Meshes[0]
	if mesh.Name != "seat" || mesh.VertexCount() != 4 || len(mesh.Indices) != 6 || len(mesh.UVs) != 8 {
		t.Errorf("mesh %q: %d vertices, %d indices, %d uv components; want seat, 4, 6, 8", mesh.Name, mesh.VertexCount(), len(mesh.Indices), len(mesh.UVs))
	}
	if !equalFloats(mesh.Positions, quadPositions) {
		t.Errorf("positions %v, want %v", mesh.Positions, quadPositions)
	}
	if mesh.Material != 0 || len(m.Materials) != 1 {
		t.Fatalf("material %d of %d, want 0 of 1", mesh.Material, len(m.Materials))
	}
	mat := m.Materials[0]
	want := DefaultMaterial()
	want.Name, want.BaseColor, want.Metallic, want.Roughness = "oak", [4]float32{0.8, 0.6, 0.4, 1}, 0, 0.7
	want.BaseColorImage, want.DoubleSided = 0, true
	if mat != want {
		t.Errorf("material = %+v, want %+v", mat, want)
	}
	if len(m.Images) != 1 || m.Images[0].MimeType != "image/png" {
		t.Fatalf("images = %d, want one PNG", len(m.Images))
	}
	rgba, err := DecodeImage(m.Images[0], 0)
	if err != nil {
		t.Fatalf("DecodeImage: %v", err)
	}
	if got := rgba.RGBAAt(1, 1); got != (color.RGBA{200, 30, 30, 255}) {
		t.Errorf("texel = %v, want {200 30 30 255}", got)
	}
	if m.BoundsMin != [3]float32{0, 0, 0} || m.BoundsMax != [3]float32{1, 1, 0} {
		t.Errorf("bounds %v..%v, want [0 0 0]..[1 1 0]", m.BoundsMin, m.BoundsMax)
	}
}

func TestDecodeAppliesNodeTransforms(t *testing.T) {
	for _, tc := range []struct {
		name      string
		node      map[string]any
		parent    map[string]any
		wantMin   [3]float32
		wantMax   [3]float32
		wantFirst [3]float32 // position of vertex 0
		flipped   bool       // winding reversed by a mirroring transform
	}{
		{
			name:    "translation and scale",
			node:    map[string]any{"mesh": 0, "translation": []float64{1, 2, 3}, "scale": []float64{2, 2, 2}},
			wantMin: [3]float32{1, 2, 3}, wantMax: [3]float32{3, 4, 3}, wantFirst: [3]float32{1, 2, 3},
		},
		{
			name: "quarter turn about Y",
			// (x, y, z) → (z, y, −x)
			node:    map[string]any{"mesh": 0, "rotation": []float64{0, math.Sqrt2 / 2, 0, math.Sqrt2 / 2}},
			wantMin: [3]float32{0, 0, -1}, wantMax: [3]float32{0, 1, 0}, wantFirst: [3]float32{0, 0, 0},
		},
		{
			name:    "matrix under a translated parent",
			node:    map[string]any{"mesh": 0, "matrix": []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0.5, 0, 1}},
			parent:  map[string]any{"translation": []float64{10, 0, 0}},
			wantMin: [3]float32{10, 0.5, 0}, wantMax: [3]float32{11, 1.5, 0}, wantFirst: [3]float32{10, 0.5, 0},
		},
		{
			name:    "mirror",
			node:    map[string]any{"mesh": 0, "scale": []float64{-1, 1, 1}},
			wantMin: [3]float32{-1, 0, 0}, wantMax: [3]float32{0, 1, 0}, wantFirst: [3]float32{0, 0, 0},
			flipped: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b builder
			pos := b.floats("VEC3", quadPositions...)
			idx := b.indices32(0, 1, 2, 0, 2, 3)
			nodes := []any{tc.node}
			roots := []int{0}
			if tc.parent != nil {
				tc.parent["children"] = []int{0}
				nodes = append(nodes, tc.parent)
				roots = []int{1}
			}
			data := b.glb(t, map[string]any{
				"scenes": []any{map[string]any{"nodes": roots}},
				"nodes":  nodes,
				"meshes": []any{map[string]any{"primitives": []any{map[string]any{
					"attributes": map[string]int{"POSITION": pos}, "indices": idx,
				}}}},
			})
			m, err := Decode(data, Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !near3(m.BoundsMin, tc.wantMin) || !near3(m.BoundsMax, tc.wantMax) {
				t.Errorf("bounds %v..%v, want %v..%v", m.BoundsMin, m.BoundsMax, tc.wantMin, tc.wantMax)
			}
			mesh := m.Meshes[0]
			if got := [3]float32(mesh.Positions[:3]); !near3(got, tc.wantFirst) {
				t.Errorf("vertex 0 at %v, want %v", got, tc.wantFirst)
			}
			wantIdx := []uint32{0, 1, 2, 0, 2, 3}
			if tc.flipped {
				wantIdx = []uint32{0, 2, 1, 0, 3, 2}
			}
			if !equalU32(mesh.Indices, wantIdx) {
				t.Errorf("indices %v, want %v", mesh.Indices, wantIdx)
			}
			// Computed normals face the viewer of the transformed quad's
			// front side: +Z, or −X after the quarter turn, never zero.
			for i := 0; i < len(mesh.Normals); i += 3 {
				n := mesh.Normals[i : i+3]
				if l := n[0]*n[0] + n[1]*n[1] + n[2]*n[2]; math.Abs(float64(l)-1) > 1e-4 {
					t.Fatalf("normal %d = %v is not unit length", i/3, n)
				}
			}
		})
	}
}

func TestDecodeInterleavedNormalizedAndStrip(t *testing.T) {
	var b builder
	// Interleaved: position (3 floats) + uv as normalized uint16 (2×2
	// bytes) = 16-byte stride.
	var inter []byte
	uvs := [][2]uint16{{0, 65535}, {65535, 65535}, {0, 0}, {65535, 0}}
	strip := []float32{0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0}
	for v := range 4 {
		inter = append(inter, f32bytes(strip[v*3:v*3+3]...)...)
		inter = binary.LittleEndian.AppendUint16(inter, uvs[v][0])
		inter = binary.LittleEndian.AppendUint16(inter, uvs[v][1])
	}
	view := b.view(inter, 16)
	pos := b.accessor(view, 0, compFloat, 4, "VEC3")
	uv := b.accessor(view, 12, compUnsignedShort, 4, "VEC2")
	b.accs[uv]["normalized"] = true
	data := b.glb(t, map[string]any{
		"nodes": []any{map[string]any{"mesh": 0}},
		"meshes": []any{map[string]any{"primitives": []any{map[string]any{
			"attributes": map[string]int{"POSITION": pos, "TEXCOORD_0": uv}, "mode": modeTriangleStrip,
		}}}},
	})
	m, err := Decode(data, Limits{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	mesh := m.Meshes[0]
	if !equalFloats(mesh.Positions, strip) {
		t.Errorf("positions %v, want %v", mesh.Positions, strip)
	}
	if want := []float32{0, 1, 1, 1, 0, 0, 1, 0}; !equalFloats(mesh.UVs, want) {
		t.Errorf("uvs %v, want %v", mesh.UVs, want)
	}
	if want := []uint32{0, 1, 2, 2, 1, 3}; !equalU32(mesh.Indices, want) {
		t.Errorf("strip indices %v, want %v", mesh.Indices, want)
	}
	if mesh.Material != -1 {
		t.Errorf("material %d, want -1 (default)", mesh.Material)
	}
}

func TestDecodeSkipsLinesAndPoints(t *testing.T) {
	var b builder
	pos := b.floats("VEC3", quadPositions...)
	data := b.glb(t, map[string]any{
		"nodes": []any{map[string]any{"mesh": 0}},
		"meshes": []any{map[string]any{"primitives": []any{
			map[string]any{"attributes": map[string]int{"POSITION": pos}, "mode": 1},
			map[string]any{"attributes": map[string]int{"POSITION": pos}, "mode": 0},
		}}},
	})
	m, err := Decode(data, Limits{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(m.Meshes) != 0 {
		t.Errorf("%d meshes, want 0", len(m.Meshes))
	}
}

func TestDecodeRejects(t *testing.T) {
	good := quadModel(t)
	mutateJSON := func(f func(doc map[string]any)) []byte {
		jsonLen := binary.LittleEndian.Uint32(good[12:])
		var doc map[string]any
		if err := json.Unmarshal(good[20:20+jsonLen], &doc); err != nil {
			t.Fatal(err)
		}
		f(doc)
		js, _ := json.Marshal(doc)
		for len(js)%4 != 0 {
			js = append(js, ' ')
		}
		rest := good[20+jsonLen:]
		out := binary.LittleEndian.AppendUint32(nil, magic)
		out = binary.LittleEndian.AppendUint32(out, 2)
		out = binary.LittleEndian.AppendUint32(out, uint32(20+len(js)+len(rest)))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(js)))
		out = binary.LittleEndian.AppendUint32(out, chunkJSON)
		out = append(out, js...)
		return append(out, rest...)
	}
	path := func(doc map[string]any, keys ...any) map[string]any {
		var cur any = doc
		for _, k := range keys {
			switch k := k.(type) {
			case string:
				cur = cur.(map[string]any)[k]
			case int:
				cur = cur.([]any)[k]
			}
		}
		return cur.(map[string]any)
	}
	prim := func(doc map[string]any) map[string]any { return path(doc, "meshes", 0, "primitives", 0) }
	for _, tc := range []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"empty", nil, Limits{}, ErrInvalid},
		{"bad magic", append([]byte("glTX"), good[4:]...), Limits{}, ErrInvalid},
		{"truncated", good[:len(good)-10], Limits{}, ErrInvalid},
		{"over byte limit", good, Limits{MaxBytes: 100}, ErrTooLarge},
		{"over vertex limit", good, Limits{MaxVertices: 3}, ErrTooLarge},
		{"over index limit", good, Limits{MaxIndices: 5}, ErrTooLarge},
		{"glTF 1.0", mutateJSON(func(d map[string]any) { d["asset"] = map[string]any{"version": "1.0"} }), Limits{}, ErrInvalid},
		{"draco required", mutateJSON(func(d map[string]any) { d["extensionsRequired"] = []string{"KHR_draco_mesh_compression"} }), Limits{}, ErrInvalid},
		{"external buffer", mutateJSON(func(d map[string]any) { path(d, "buffers", 0)["uri"] = "../../etc/passwd" }), Limits{}, ErrInvalid},
		{"index past vertices", mutateJSON(func(d map[string]any) { path(d, "accessors", 3)["count"] = 6; prim(d)["indices"] = 0 }), Limits{}, ErrInvalid},
		{"accessor overruns view", mutateJSON(func(d map[string]any) { path(d, "accessors", 0)["count"] = 5 }), Limits{}, ErrInvalid},
		{"view overruns buffer", mutateJSON(func(d map[string]any) { path(d, "bufferViews", 0)["byteLength"] = 1 << 20 }), Limits{}, ErrInvalid},
		{"accessor offset negative", mutateJSON(func(d map[string]any) { path(d, "accessors", 0)["byteOffset"] = -4 }), Limits{}, ErrInvalid},
		{"missing accessor", mutateJSON(func(d map[string]any) { prim(d)["attributes"].(map[string]any)["NORMAL"] = 99 }), Limits{}, ErrInvalid},
		{"normals count mismatch", mutateJSON(func(d map[string]any) { path(d, "accessors", 1)["count"] = 3 }), Limits{}, ErrInvalid},
		{"position as VEC2", mutateJSON(func(d map[string]any) { path(d, "accessors", 0)["type"] = "VEC2" }), Limits{}, ErrInvalid},
		{"integer positions", mutateJSON(func(d map[string]any) { path(d, "accessors", 0)["componentType"] = compUnsignedShort }), Limits{}, ErrInvalid},
		{"float indices", mutateJSON(func(d map[string]any) { path(d, "accessors", 3)["componentType"] = compFloat }), Limits{}, ErrInvalid},
		{"no position", mutateJSON(func(d map[string]any) { delete(prim(d)["attributes"].(map[string]any), "POSITION") }), Limits{}, ErrInvalid},
		{"missing material", mutateJSON(func(d map[string]any) { prim(d)["material"] = 3 }), Limits{}, ErrInvalid},
		{"missing mesh", mutateJSON(func(d map[string]any) { path(d, "nodes", 0)["mesh"] = 2 }), Limits{}, ErrInvalid},
		{"node cycle", mutateJSON(func(d map[string]any) { path(d, "nodes", 0)["children"] = []int{0} }), Limits{}, ErrInvalid},
		{"bad scene index", mutateJSON(func(d map[string]any) { d["scene"] = 4 }), Limits{}, ErrInvalid},
		{"image by uri", mutateJSON(func(d map[string]any) { i := path(d, "images", 0); delete(i, "bufferView"); i["uri"] = "wood.png" }), Limits{}, ErrInvalid},
		{"gif image", mutateJSON(func(d map[string]any) { path(d, "images", 0)["mimeType"] = "image/gif" }), Limits{}, ErrInvalid},
		{"texture past images", mutateJSON(func(d map[string]any) { path(d, "textures", 0)["source"] = 5 }), Limits{}, ErrInvalid},
		{"sparse accessor", mutateJSON(func(d map[string]any) { path(d, "accessors", 0)["sparse"] = map[string]any{"count": 1} }), Limits{}, ErrInvalid},
		{"zero-length rotation", mutateJSON(func(d map[string]any) { path(d, "nodes", 0)["rotation"] = []float64{0, 0, 0, 0} }), Limits{}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.data, tc.lim)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %v, %v; want %v", m, err, tc.want)
			}
		})
	}
}

func TestDecodeImageRejectsHugeHeader(t *testing.T) {
	// A PNG header announcing 100000×100000 pixels with no pixel data.
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	binary.BigEndian.PutUint32(data[16:], 100000)
	binary.BigEndian.PutUint32(data[20:], 100000)
	if _, err := DecodeImage(Image{MimeType: "image/png", Data: data}, 0); !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrInvalid) {
		t.Fatalf("DecodeImage = %v, want ErrTooLarge or ErrInvalid", err)
	}
}

func TestDecodeImageShrinks(t *testing.T) {
	img, err := DecodeImage(Image{MimeType: "image/png", Data: pngBytes(t, 64, 32, color.White)}, 16)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 16 || b.Dy() != 8 {
		t.Errorf("shrunk to %v, want 16×8", b.Size())
	}
}

// FuzzDecode checks that arbitrary bytes never panic the decoder and that
// whatever it accepts is self-consistent.
func FuzzDecode(f *testing.F) {
	f.Add(quadModel(f))
	f.Add(quantizedQuad(f, map[string]any{"offset": []float64{0.5, 0}, "rotation": 1, "scale": []float64{2, 2}, "texCoord": 1}, 0))
	f.Add([]byte("glTF\x02\x00\x00\x00\x14\x00\x00\x00\x00\x00\x00\x00JSON"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, Limits{MaxVertices: 1 << 16, MaxIndices: 1 << 18})
		if err != nil {
			return
		}
		for _, mesh := range m.Meshes {
			n := mesh.VertexCount()
			if len(mesh.Normals) != len(mesh.Positions) || (mesh.UVs != nil && len(mesh.UVs) != 2*n) || len(mesh.Indices)%3 != 0 ||
				(mesh.Tangents != nil && len(mesh.Tangents) != 4*n) || (mesh.Colors != nil && len(mesh.Colors) != 4*n) {
				t.Fatalf("inconsistent mesh: %d positions, %d normals, %d uvs, %d tangents, %d colors, %d indices",
					len(mesh.Positions), len(mesh.Normals), len(mesh.UVs), len(mesh.Tangents), len(mesh.Colors), len(mesh.Indices))
			}
			for _, i := range mesh.Indices {
				if int(i) >= n {
					t.Fatalf("index %d past %d vertices", i, n)
				}
			}
			if mesh.Material >= len(m.Materials) {
				t.Fatalf("material %d of %d", mesh.Material, len(m.Materials))
			}
		}
	})
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			return false
		}
	}
	return true
}

func near3(a, b [3]float32) bool { return equalFloats(a[:], b[:]) }

func equalU32(a, b []uint32) bool {
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
