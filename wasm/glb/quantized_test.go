package glb

import (
	"encoding/binary"
	"errors"
	"image/color"
	"math"
	"testing"
)

// ints packs integer components of the given component type, each
// element padded with zero bytes to stride (0: tightly packed).
func ints(comp, perElem, stride int, v ...int) []byte {
	size := componentSize[comp]
	if stride == 0 {
		stride = size * perElem
	}
	out := make([]byte, 0, len(v)/perElem*stride)
	for e := 0; e < len(v)/perElem; e++ {
		start := len(out)
		for _, x := range v[e*perElem : (e+1)*perElem] {
			switch size {
			case 1:
				out = append(out, byte(x))
			case 2:
				out = binary.LittleEndian.AppendUint16(out, uint16(x))
			}
		}
		for len(out)-start < stride {
			out = append(out, 0)
		}
	}
	return out
}

// quantAccessor adds an integer vertex attribute.
func (b *builder) quantAccessor(comp int, normalized bool, typ string, stride int, v ...int) int {
	n := typeComponents[typ]
	i := b.accessor(b.view(ints(comp, n, stride, v...), stride), 0, comp, len(v)/n, typ)
	if normalized {
		b.accs[i]["normalized"] = true
	}
	return i
}

// quantizedQuad is the quantised twin of a 1 m × 0.8 m quad leaning back,
// as the asset pipeline writes it: 14-bit unsigned short positions on a
// 0.1 mm grid (stride 8), a child node whose translation is the grid
// origin and whose scale is the step, under a root node that lifts the
// model 0.1 m; normalised byte normals and tangents; normalised unsigned
// short UVs with a KHR_texture_transform on the base colour texture;
// normalised unsigned byte colours.
func quantizedQuad(t testing.TB, transform map[string]any, texCoord int) []byte {
	var b builder
	pos := b.quantAccessor(compUnsignedShort, false, "VEC3", 8,
		0, 0, 5000,
		10000, 0, 5000,
		10000, 8000, 0,
		0, 8000, 0)
	nor := b.quantAccessor(compByte, true, "VEC3", 4,
		0, 127, 0,
		-128, 0, 0, // −128 clamps to −1
		90, 90, 0,
		0, 0, 127)
	tan := b.quantAccessor(compByte, true, "VEC4", 0,
		127, 0, 0, 127,
		127, 0, 0, -127,
		0, 127, 0, 127,
		0, 0, -128, -128)
	uv := b.quantAccessor(compUnsignedShort, true, "VEC2", 0,
		0, 0,
		65535, 0,
		65535, 65535,
		0, 65535)
	// TEXCOORD_1 holds the same quad at half size, so a texCoord override
	// shows in the result.
	uv1 := b.quantAccessor(compUnsignedByte, false, "VEC2", 0,
		0, 0,
		1, 0,
		1, 1,
		0, 1)
	col := b.quantAccessor(compUnsignedByte, true, "VEC4", 0,
		255, 0, 0, 255,
		0, 255, 0, 255,
		0, 0, 255, 128,
		51, 102, 153, 0)
	idx := b.indices16(0, 1, 2, 0, 2, 3)
	img := b.view(pngBytes(t, 2, 2, color.NRGBA{10, 200, 30, 255}), 0)
	texInfo := map[string]any{"index": 0}
	if texCoord != 0 {
		texInfo["texCoord"] = texCoord
	}
	ext := []string{extMeshQuantization}
	if transform != nil {
		texInfo["extensions"] = map[string]any{extTextureTransform: transform}
		ext = append(ext, extTextureTransform)
	}
	return b.glb(t, map[string]any{
		"extensionsUsed":     ext,
		"extensionsRequired": ext,
		"scene":              0,
		"scenes":             []any{map[string]any{"nodes": []int{0}}},
		"nodes": []any{
			map[string]any{"name": "vitrine_root", "translation": []float64{0, 0.1, 0}, "children": []int{1}},
			map[string]any{"mesh": 0, "translation": []float64{-0.5, 0, -0.25}, "scale": []float64{1e-4, 1e-4, 1e-4}},
		},
		"meshes": []any{map[string]any{"name": "panel", "primitives": []any{map[string]any{
			"attributes": map[string]int{"POSITION": pos, "NORMAL": nor, "TANGENT": tan, "TEXCOORD_0": uv, "TEXCOORD_1": uv1, "COLOR_0": col},
			"indices":    idx, "material": 0,
		}}}},
		"materials": []any{map[string]any{
			"pbrMetallicRoughness": map[string]any{"baseColorTexture": texInfo},
		}},
		"textures": []any{map[string]any{"source": 0}},
		"images":   []any{map[string]any{"bufferView": img, "mimeType": "image/png"}},
	})
}

func TestDecodeQuantizedPositionsNormalsTangentsColors(t *testing.T) {
	m, err := Decode(quantizedQuad(t, nil, 0), DefaultLimits)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(m.Meshes) != 1 {
		t.Fatalf("%d meshes, want 1", len(m.Meshes))
	}
	mesh := m.Meshes[0]
	// q × 0.1 mm + (−0.5, 0, −0.25) m, then 0.1 m up.
	wantPos := []float32{
		-0.5, 0.1, 0.25,
		0.5, 0.1, 0.25,
		0.5, 0.9, -0.25,
		-0.5, 0.9, -0.25,
	}
	if !equalFloats(mesh.Positions, wantPos) {
		t.Errorf("positions %v, want %v", mesh.Positions, wantPos)
	}
	if !near3(m.BoundsMin, [3]float32{-0.5, 0.1, -0.25}) || !near3(m.BoundsMax, [3]float32{0.5, 0.9, 0.25}) {
		t.Errorf("bounds %v..%v, want [-0.5 0.1 -0.25]..[0.5 0.9 0.25]", m.BoundsMin, m.BoundsMax)
	}
	// The uniform dequantising scale leaves normal directions alone.
	h := float32(math.Sqrt2 / 2)
	if want := []float32{0, 1, 0, -1, 0, 0, h, h, 0, 0, 0, 1}; !equalFloats(mesh.Normals, want) {
		t.Errorf("normals %v, want %v", mesh.Normals, want)
	}
	if want := []float32{1, 0, 0, 1, 1, 0, 0, -1, 0, 1, 0, 1, 0, 0, -1, -1}; !equalFloats(mesh.Tangents, want) {
		t.Errorf("tangents %v, want %v", mesh.Tangents, want)
	}
	if want := []float32{1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 128.0 / 255, 0.2, 0.4, 0.6, 0}; !equalFloats(mesh.Colors, want) {
		t.Errorf("colors %v, want %v", mesh.Colors, want)
	}
	if want := []float32{0, 0, 1, 0, 1, 1, 0, 1}; !equalFloats(mesh.UVs, want) {
		t.Errorf("uvs %v, want %v", mesh.UVs, want)
	}
	if !equalU32(mesh.Indices, []uint32{0, 1, 2, 0, 2, 3}) {
		t.Errorf("indices %v", mesh.Indices)
	}
	if m.Materials[0].BaseColorImage != 0 {
		t.Errorf("base colour image %d, want 0", m.Materials[0].BaseColorImage)
	}
}

func TestDecodeTextureTransform(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transform map[string]any
		texCoord  int
		want      []float32
	}{
		{
			name: "offset and scale",
			// uv' = (−1 + 4u, 2 + 0.5v)
			transform: map[string]any{"offset": []float64{-1, 2}, "scale": []float64{4, 0.5}},
			want:      []float32{-1, 2, 3, 2, 3, 2.5, -1, 2.5},
		},
		{
			name: "quarter turn",
			// cos = 0, sin = 1: uv' = (0.25 + 3v, 0.5 − 2u)
			transform: map[string]any{"offset": []float64{0.25, 0.5}, "rotation": math.Pi / 2, "scale": []float64{2, 3}},
			want:      []float32{0.25, 0.5, 0.25, -1.5, 3.25, -1.5, 3.25, 0.5},
		},
		{
			name: "rotation only",
			// 30°: uv' = (cos·u + sin·v, −sin·u + cos·v)
			transform: map[string]any{"rotation": math.Pi / 6},
			want: []float32{
				0, 0,
				float32(math.Sqrt(3) / 2), -0.5,
				float32(math.Sqrt(3)/2 + 0.5), float32(math.Sqrt(3)/2 - 0.5),
				0.5, float32(math.Sqrt(3) / 2),
			},
		},
		{
			name:      "texCoord override reads TEXCOORD_1",
			transform: map[string]any{"texCoord": 1, "scale": []float64{0.5, 0.25}},
			want:      []float32{0, 0, 0.5, 0, 0.5, 0.25, 0, 0.25},
		},
		{
			name:     "texCoord 1 without a transform",
			texCoord: 1,
			want:     []float32{0, 0, 1, 0, 1, 1, 0, 1},
		},
		{
			name:      "override back to TEXCOORD_0",
			transform: map[string]any{"texCoord": 0, "offset": []float64{0.5, 0}},
			texCoord:  1,
			want:      []float32{0.5, 0, 1.5, 0, 1.5, 1, 0.5, 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(quantizedQuad(t, tc.transform, tc.texCoord), Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := m.Meshes[0].UVs; !equalFloats(got, tc.want) {
				t.Errorf("uvs %v, want %v", got, tc.want)
			}
			if m.Materials[0].BaseColorImage != 0 {
				t.Errorf("base colour image %d, want 0", m.Materials[0].BaseColorImage)
			}
		})
	}
}

// TestDecodeQuantizedPositionForms covers every KHR_mesh_quantization
// position component type, normalised or not, each decoded by a node
// transform to the same metres.
func TestDecodeQuantizedPositionForms(t *testing.T) {
	for _, tc := range []struct {
		name       string
		comp       int
		normalized bool
		q          []int     // lowest and highest component of the corners
		scale      float64   // node scale
		offset     []float64 // node translation
	}{
		// Each maps x to −0.5..0.5 and y to 0..1 (z = 0).
		{"unsigned short", compUnsignedShort, false, []int{0, 16383}, 1.0 / 16383, []float64{-0.5, 0, 0}},
		{"short", compShort, false, []int{-8000, 8000}, 1.0 / 16000, []float64{0, 0.5, 0}},
		{"unsigned byte", compUnsignedByte, false, []int{0, 200}, 1.0 / 200, []float64{-0.5, 0, 0}},
		{"byte", compByte, false, []int{-100, 100}, 1.0 / 200, []float64{0, 0.5, 0}},
		{"normalized unsigned short", compUnsignedShort, true, []int{0, 65535}, 1, []float64{-0.5, 0, 0}},
		{"normalized short", compShort, true, []int{-32767, 32767}, 0.5, []float64{0, 0.5, 0}},
		{"normalized short clamps -32768", compShort, true, []int{-32768, 32767}, 0.5, []float64{0, 0.5, 0}},
		{"normalized unsigned byte", compUnsignedByte, true, []int{0, 255}, 1, []float64{-0.5, 0, 0}},
		{"normalized byte", compByte, true, []int{-127, 127}, 0.5, []float64{0, 0.5, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := tc.q[0], tc.q[1]
			var b builder
			// Corners (lo,lo) (hi,lo) (hi,hi) (lo,hi) in x, y; z = 0.
			pos := b.quantAccessor(tc.comp, tc.normalized, "VEC3", 0, lo, lo, 0, hi, lo, 0, hi, hi, 0, lo, hi, 0)
			idx := b.indices16(0, 1, 2, 0, 2, 3)
			data := b.glb(t, map[string]any{
				"extensionsUsed":     []string{extMeshQuantization},
				"extensionsRequired": []string{extMeshQuantization},
				"nodes":              []any{map[string]any{"mesh": 0, "translation": tc.offset, "scale": []float64{tc.scale, tc.scale, tc.scale}}},
				"meshes": []any{map[string]any{"primitives": []any{map[string]any{
					"attributes": map[string]int{"POSITION": pos}, "indices": idx,
				}}}},
			})
			m, err := Decode(data, Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			wantMin, wantMax := [3]float32{-0.5, 0, 0}, [3]float32{0.5, 1, 0}
			if !near3(m.BoundsMin, wantMin) || !near3(m.BoundsMax, wantMax) {
				t.Errorf("bounds %v..%v, want %v..%v", m.BoundsMin, m.BoundsMax, wantMin, wantMax)
			}
		})
	}
}

func TestDecodeQuantizedRejects(t *testing.T) {
	type attr struct {
		comp       int
		normalized bool
		typ        string
		v          []int
	}
	// quadOf repeats one element for the four vertices of a quad.
	quadOf := func(v ...int) []int {
		var out []int
		for range 4 {
			out = append(out, v...)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		semantic  string
		a         attr
		quantized bool
		ok        bool
	}{
		{"unnormalized short positions without the extension", "POSITION", attr{compShort, false, "VEC3", quadOf(1, 2, 3)}, false, false},
		{"unnormalized short positions with it", "POSITION", attr{compShort, false, "VEC3", quadOf(1, 2, 3)}, true, true},
		{"unsigned int positions", "POSITION", attr{compUnsignedInt, false, "VEC3", nil}, true, false},
		{"byte normals", "NORMAL", attr{compByte, true, "VEC3", quadOf(0, 0, 127)}, true, true},
		{"unnormalized byte normals", "NORMAL", attr{compByte, false, "VEC3", quadOf(0, 0, 1)}, true, false},
		{"unsigned byte normals", "NORMAL", attr{compUnsignedByte, true, "VEC3", quadOf(0, 0, 255)}, true, false},
		{"VEC4 normals", "NORMAL", attr{compByte, true, "VEC4", quadOf(0, 0, 127, 0)}, true, false},
		{"short tangents", "TANGENT", attr{compShort, true, "VEC4", quadOf(32767, 0, 0, 32767)}, true, true},
		{"VEC3 tangents", "TANGENT", attr{compShort, true, "VEC3", quadOf(32767, 0, 0)}, true, false},
		{"unnormalized unsigned short UVs without the extension", "TEXCOORD_0", attr{compUnsignedShort, false, "VEC2", quadOf(1, 1)}, false, false},
		{"unnormalized byte UVs with it", "TEXCOORD_0", attr{compByte, false, "VEC2", quadOf(-1, 1)}, true, true},
		{"VEC3 colours", "COLOR_0", attr{compUnsignedShort, true, "VEC3", quadOf(65535, 0, 0)}, false, true},
		{"byte colours", "COLOR_0", attr{compByte, true, "VEC4", quadOf(127, 0, 0, 127)}, true, false},
		{"unnormalized colours", "COLOR_0", attr{compUnsignedByte, false, "VEC4", quadOf(1, 0, 0, 1)}, true, false},
		{"VEC2 colours", "COLOR_0", attr{compUnsignedByte, true, "VEC2", quadOf(255, 0)}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b builder
			attrs := map[string]int{}
			if tc.semantic != "POSITION" {
				attrs["POSITION"] = b.floats("VEC3", quadPositions...)
			}
			var i int
			if tc.a.comp == compUnsignedInt {
				var data []byte
				for range 12 {
					data = binary.LittleEndian.AppendUint32(data, 1)
				}
				i = b.accessor(b.view(data, 0), 0, compUnsignedInt, 4, tc.a.typ)
			} else {
				i = b.quantAccessor(tc.a.comp, tc.a.normalized, tc.a.typ, 0, tc.a.v...)
			}
			attrs[tc.semantic] = i
			doc := map[string]any{
				"nodes": []any{map[string]any{"mesh": 0}},
				"meshes": []any{map[string]any{"primitives": []any{map[string]any{
					"attributes": attrs, "indices": b.indices16(0, 1, 2, 0, 2, 3),
				}}}},
			}
			if tc.quantized {
				doc["extensionsUsed"] = []string{extMeshQuantization}
			}
			_, err := Decode(b.glb(t, doc), Limits{})
			t.Logf("Decode: %v", err)
			if tc.ok && err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDecodeTextureTransformRejects(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transform map[string]any
		texCoord  int
	}{
		{"offset of one element", map[string]any{"offset": []float64{1}}, 0},
		{"scale of three elements", map[string]any{"scale": []float64{1, 1, 1}}, 0},
		{"negative texCoord override", map[string]any{"texCoord": -1}, 0},
		{"negative texCoord", nil, -2},
		{"scale overflows float32", map[string]any{"scale": []float64{1e300, 1}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(quantizedQuad(t, tc.transform, tc.texCoord), Limits{})
			t.Logf("Decode: %v", err)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestDecodeMirroredQuantizedTangents: a mirroring parent flips the
// tangent's handedness along with the winding.
func TestDecodeMirroredQuantizedTangents(t *testing.T) {
	var b builder
	pos := b.quantAccessor(compUnsignedShort, false, "VEC3", 8, 0, 0, 0, 100, 0, 0, 100, 100, 0, 0, 100, 0)
	tan := b.quantAccessor(compByte, true, "VEC4", 0, 127, 0, 0, 127, 127, 0, 0, 127, 127, 0, 0, -127, 127, 0, 0, -127)
	data := b.glb(t, map[string]any{
		"extensionsUsed":     []string{extMeshQuantization},
		"extensionsRequired": []string{extMeshQuantization},
		"nodes": []any{
			map[string]any{"scale": []float64{-1, 1, 1}, "children": []int{1}},
			map[string]any{"mesh": 0, "scale": []float64{0.01, 0.01, 0.01}},
		},
		"meshes": []any{map[string]any{"primitives": []any{map[string]any{
			"attributes": map[string]int{"POSITION": pos, "TANGENT": tan}, "indices": b.indices16(0, 1, 2, 0, 2, 3),
		}}}},
	})
	m, err := Decode(data, Limits{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	mesh := m.Meshes[0]
	if want := []float32{-1, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, 1, -1, 0, 0, 1}; !equalFloats(mesh.Tangents, want) {
		t.Errorf("tangents %v, want %v", mesh.Tangents, want)
	}
	if !near3(m.BoundsMin, [3]float32{-1, 0, 0}) || !near3(m.BoundsMax, [3]float32{0, 1, 0}) {
		t.Errorf("bounds %v..%v, want [-1 0 0]..[0 1 0]", m.BoundsMin, m.BoundsMax)
	}
	if !equalU32(mesh.Indices, []uint32{0, 2, 1, 0, 3, 2}) {
		t.Errorf("indices %v, want the winding flipped", mesh.Indices)
	}
}
