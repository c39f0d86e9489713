package gltf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
)

func TestValidationRules(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m *testMaker)
		code    string
		pointer string
	}{
		{"asset version 1.0", func(m *testMaker) { m.doc.Asset.Version = "1.0" }, "UNKNOWN_ASSET_MAJOR_VERSION", "/asset/version"},
		{"asset version missing", func(m *testMaker) { m.doc.Asset.Version = "" }, "UNDEFINED_PROPERTY", "/asset/version"},
		{"required extension not in extensionsUsed", func(m *testMaker) { m.doc.ExtensionsRequired = []string{ExtMeshQuantization} }, "EXTENSION_REQUIRED_NOT_USED", "/extensionsRequired/0"},
		{"node mesh", func(m *testMaker) { m.doc.Nodes[0].Mesh = intPtr(9) }, "UNRESOLVED_REFERENCE", "/nodes/0/mesh"},
		{"scene node", func(m *testMaker) { m.doc.Scenes[0].Nodes = []int{4} }, "UNRESOLVED_REFERENCE", "/scenes/0/nodes/0"},
		{"default scene", func(m *testMaker) { m.doc.Scene = intPtr(1) }, "UNRESOLVED_REFERENCE", "/scene"},
		{"node child", func(m *testMaker) { m.doc.Nodes[0].Children = []int{-1} }, "UNRESOLVED_REFERENCE", "/nodes/0/children/0"},
		{"texture source", func(m *testMaker) { m.doc.Textures[0].Source = intPtr(1) }, "UNRESOLVED_REFERENCE", "/textures/0/source"},
		{"texture sampler", func(m *testMaker) { m.doc.Textures[0].Sampler = intPtr(1) }, "UNRESOLVED_REFERENCE", "/textures/0/sampler"},
		{"material texture", func(m *testMaker) { m.doc.Materials[0].PBRMetallicRoughness.BaseColorTexture.Index = 3 }, "UNRESOLVED_REFERENCE", "/materials/0/pbrMetallicRoughness/baseColorTexture/index"},
		{"primitive material", func(m *testMaker) { m.doc.Meshes[0].Primitives[0].Material = intPtr(2) }, "UNRESOLVED_REFERENCE", "/meshes/0/primitives/0/material"},
		{"attribute accessor", func(m *testMaker) { m.doc.Meshes[0].Primitives[0].Attributes["NORMAL"] = 40 }, "UNRESOLVED_REFERENCE", "/meshes/0/primitives/0/attributes/NORMAL"},
		{"morph target accessor", func(m *testMaker) { m.doc.Meshes[0].Primitives[0].Targets = []map[string]int{{"POSITION": 40}} }, "UNRESOLVED_REFERENCE", "/meshes/0/primitives/0/targets/0/POSITION"},
		{"accessor bufferView", func(m *testMaker) { m.doc.Accessors[0].BufferView = intPtr(99) }, "UNRESOLVED_REFERENCE", "/accessors/0/bufferView"},
		{"bufferView buffer", func(m *testMaker) { m.doc.BufferViews[0].Buffer = 1 }, "UNRESOLVED_REFERENCE", "/bufferViews/0/buffer"},
		{"image bufferView", func(m *testMaker) { m.doc.Images[0].BufferView = intPtr(99) }, "UNRESOLVED_REFERENCE", "/images/0/bufferView"},
		{"bufferView past its buffer", func(m *testMaker) { m.doc.BufferViews[0].ByteLength = 1 << 20 }, "BUFFER_VIEW_TOO_LONG", "/bufferViews/0"},
		{"byteStride not a multiple of 4", func(m *testMaker) { m.doc.BufferViews[1].ByteStride = 6 }, "BUFFER_VIEW_INVALID_BYTE_STRIDE", "/bufferViews/1/byteStride"},
		{"byteStride over 252", func(m *testMaker) { m.doc.BufferViews[1].ByteStride = 256 }, "BUFFER_VIEW_INVALID_BYTE_STRIDE", "/bufferViews/1/byteStride"},
		{"byteStride smaller than the element", func(m *testMaker) { m.doc.BufferViews[1].ByteStride = 8 }, "ACCESSOR_SMALL_BYTESTRIDE", "/accessors/0"},
		{"accessor offset unaligned", func(m *testMaker) { m.doc.Accessors[0].ByteOffset = 2 }, "ACCESSOR_OFFSET_ALIGNMENT", "/accessors/0/byteOffset"},
		{"componentType", func(m *testMaker) { m.doc.Accessors[0].ComponentType = 5124 }, "VALUE_NOT_IN_LIST", "/accessors/0/componentType"},
		{"accessor type", func(m *testMaker) { m.doc.Accessors[0].Type = "VEC5" }, "VALUE_NOT_IN_LIST", "/accessors/0/type"},
		{"count 0", func(m *testMaker) { m.doc.Accessors[0].Count = 0 }, "VALUE_NOT_IN_RANGE", "/accessors/0/count"},
		{"negative byteOffset", func(m *testMaker) { m.doc.Accessors[0].ByteOffset = -4 }, "VALUE_NOT_IN_RANGE", "/accessors/0/byteOffset"},
		{"UNSIGNED_INT vector", func(m *testMaker) { m.doc.Accessors[2].ComponentType = ComponentUnsignedInt }, "ACCESSOR_INVALID_COMPONENT_TYPE", "/accessors/2/componentType"},
		{"normalized float", func(m *testMaker) { m.doc.Accessors[1].Normalized = true }, "ACCESSOR_NORMALIZED_INVALID", "/accessors/1/normalized"},
		{"min of the wrong length", func(m *testMaker) { m.doc.Accessors[0].Min = []float64{0, 0} }, "ARRAY_LENGTH_NOT_IN_LIST", "/accessors/0/min"},
		{"POSITION without bounds", func(m *testMaker) { m.doc.Accessors[0].Max = nil }, "MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS", "/accessors/0"},
		{"quantized POSITION without the extension", func(m *testMaker) { m.doc.Accessors[0].ComponentType = ComponentShort }, "MESH_PRIMITIVE_ACCESSOR_INVALID_FORMAT", "/meshes/0/primitives/0/attributes/POSITION"},
		{"POSITION as VEC2", func(m *testMaker) { m.doc.Meshes[0].Primitives[0].Attributes["POSITION"] = 2 }, "MESH_PRIMITIVE_ACCESSOR_INVALID_FORMAT", "/meshes/0/primitives/0/attributes/POSITION"},
		{"unequal attribute counts", func(m *testMaker) { m.doc.Accessors[2].Count = 7 }, "MESH_PRIMITIVE_UNEQUAL_ACCESSOR_COUNT", "/meshes/0/primitives/0/attributes/TEXCOORD_0"},
		{"triangle index count not a multiple of 3", func(m *testMaker) { m.doc.Accessors[3].Count = 35 }, "MESH_PRIMITIVE_INCOMPATIBLE_MODE", "/meshes/0/primitives/0"},
		{"sparse indices", func(m *testMaker) {
			m.doc.Accessors[3].Sparse = json.RawMessage(`{"count":1,"indices":{"bufferView":4,"componentType":5121},"values":{"bufferView":4}}`)
		}, "MESH_PRIMITIVE_INDICES_ACCESSOR_INVALID_FORMAT", "/meshes/0/primitives/0/indices"},
		{"mode 7", func(m *testMaker) { m.doc.Meshes[0].Primitives[0].Mode = intPtr(7) }, "VALUE_NOT_IN_LIST", "/meshes/0/primitives/0/mode"},
		{"mesh without primitives", func(m *testMaker) { m.doc.Meshes = append(m.doc.Meshes, Mesh{}) }, "EMPTY_ENTITY", "/meshes/1/primitives"},
		{"matrix of 15", func(m *testMaker) { m.doc.Nodes[0].Matrix = make([]float64, 15) }, "ARRAY_LENGTH_NOT_IN_LIST", "/nodes/0/matrix"},
		{"rotation of 3", func(m *testMaker) { m.doc.Nodes[0].Rotation = []float64{0, 0, 0} }, "ARRAY_LENGTH_NOT_IN_LIST", "/nodes/0/rotation"},
		{"matrix and TRS", func(m *testMaker) {
			m.doc.Nodes[0].Matrix = Identity[:]
			m.doc.Nodes[0].Scale = []float64{1, 1, 1}
		}, "NODE_MATRIX_TRS", "/nodes/0"},
		{"node its own child", func(m *testMaker) { m.doc.Nodes[0].Children = []int{0} }, "NODE_LOOP", "/nodes/0/children/0"},
		{"scene root that is a child", func(m *testMaker) {
			m.node(Node{Children: []int{0}})
			m.doc.Scenes[0].Nodes = []int{0, 1}
		}, "SCENE_NON_ROOT_NODE", "/scenes/0/nodes/0"},
		{"image mimeType webp", func(m *testMaker) { m.doc.Images[0].MimeType = "image/webp" }, "IMAGE_UNRECOGNIZED_FORMAT", "/images/0/mimeType"},
		{"image bufferView without mimeType", func(m *testMaker) { m.doc.Images[0].MimeType = "" }, "UNSATISFIED_DEPENDENCY", "/images/0/mimeType"},
		{"image without data", func(m *testMaker) { m.doc.Images[0] = Image{} }, "ONE_OF_MISMATCH", "/images/0"},
		{"image bytes that are not an image", func(m *testMaker) { m.doc.Images[0].BufferView = intPtr(1) }, "IMAGE_UNRECOGNIZED_FORMAT", "/images/0"},
		{"positions below min", func(m *testMaker) { m.setFloat32(0, 0, 2, -0.75) }, "ACCESSOR_ELEMENT_OUT_OF_MIN_BOUND", "/accessors/0/min/2"},
		{"infinite texture coordinate", func(m *testMaker) {
			a := m.doc.Accessors[2]
			off := m.doc.BufferViews[*a.BufferView].ByteOffset + 12
			binary.LittleEndian.PutUint32(m.bin[off:], math.Float32bits(float32(math.Inf(1))))
		}, "ACCESSOR_INVALID_FLOAT", "/accessors/2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := texturedCube(t)
			tc.edit(m)
			_, err := Parse(m.glb(t), DefaultLimits())
			wantProblem(t, err, tc.code, tc.pointer)
		})
	}
}

func TestValidationWarnings(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m *testMaker)
		code    string
		pointer string
	}{
		{"loose declared max", func(m *testMaker) { m.doc.Accessors[0].Max[1] = 2 }, "ACCESSOR_MAX_MISMATCH", "/accessors/0/max/1"},
		{"non-unit rotation", func(m *testMaker) { m.doc.Nodes[0].Rotation = []float64{0, 0, 0, 2} }, "ROTATION_NON_UNIT", "/nodes/0/rotation"},
		{"unknown attribute", func(m *testMaker) { m.doc.Meshes[0].Primitives[0].Attributes["FOO"] = 2 }, "MESH_PRIMITIVE_INVALID_ATTRIBUTE", "/meshes/0/primitives/0/attributes/FOO"},
		{"primitive without POSITION", func(m *testMaker) { delete(m.doc.Meshes[0].Primitives[0].Attributes, "POSITION") }, "MESH_PRIMITIVE_NO_POSITION", "/meshes/0/primitives/0/attributes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := texturedCube(t)
			tc.edit(m)
			asset := mustParse(t, m.glb(t))
			for _, w := range asset.Warnings {
				if w.Code == tc.code && w.Pointer == tc.pointer && w.Severity == SeverityWarning {
					return
				}
			}
			t.Errorf("warnings %v lack %s at %s", asset.Warnings, tc.code, tc.pointer)
		})
	}
}

func TestJSONDecoding(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		code    string
		pointer string
	}{
		{"top level array", `[1,2]`, "INVALID_JSON", ""},
		{"truncated", `{"asset":{"version":"2.0"}`, "INVALID_JSON", ""},
		{"string for an index", `{"asset":{"version":"2.0"},"nodes":[{},{"mesh":"0"}]}`, "TYPE_MISMATCH", "/nodes/1/mesh"},
		{"object for an array", `{"asset":{"version":"2.0"},"scenes":[{"nodes":{}}]}`, "TYPE_MISMATCH", "/scenes/0/nodes"},
		{"fraction for an integer", `{"asset":{"version":"2.0"},"accessors":[{"componentType":5126,"count":1.5,"type":"SCALAR"}]}`, "TYPE_MISMATCH", "/accessors/0/count"},
		{"huge number", `{"asset":{"version":"2.0"},"bufferViews":[{"buffer":0,"byteLength":1e999}]}`, "TYPE_MISMATCH", "/bufferViews/0/byteLength"},
		{"string in a matrix", `{"asset":{"version":"2.0"},"nodes":[{"matrix":[1,0,"x"]}]}`, "TYPE_MISMATCH", "/nodes/0/matrix/2"},
		{"escaped key", `{"asset":{"version":"2.0"},"meshes":[{"primitives":[{"attributes":{"a/b":"x"}}]}]}`, "TYPE_MISMATCH", "/meshes/0/primitives/0/attributes/a~1b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseGLB(glbWithJSON([]byte(tc.json), nil), DefaultLimits())
			wantProblem(t, err, tc.code, tc.pointer)
		})
	}
}

func TestCountArrayElements(t *testing.T) {
	tests := map[string]int{
		`[]`:                     0,
		` [ ] `:                  0,
		`[1]`:                    1,
		`[1, 2 ,3]`:              3,
		`[{"a":[1,2]},"x,y",[]]`: 3,
		`["\"],["]`:              1,
		`{"a":1}`:                0,
		`null`:                   0,
	}
	for in, want := range tests {
		if got := countArrayElements([]byte(in)); got != want {
			t.Errorf("countArrayElements(%s) = %d, want %d", in, got, want)
		}
	}
}

// le packs values little-endian.
func le(t *testing.T, values ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, v := range values {
		if err := binary.Write(&buf, binary.LittleEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestAccessorReading(t *testing.T) {
	m := newTestMaker()
	m.doc.ExtensionsUsed = []string{ExtMeshQuantization}
	m.doc.ExtensionsRequired = []string{ExtMeshQuantization}
	// Interleaved POSITION (12 bytes) + TEXCOORD_0 as normalized
	// UNSIGNED_SHORT (4 bytes) with a 4-byte gap: stride 20.
	var inter []byte
	positions := [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 2, 0}}
	uvs := [][2]uint16{{0, 0}, {65535, 0}, {0, 32768}}
	for i := range positions {
		inter = append(inter, le(t, positions[i], uvs[i], uint32(0))...)
	}
	iv := m.view(inter, 20, TargetArrayBuffer)
	m.doc.Accessors = append(m.doc.Accessors,
		Accessor{BufferView: &iv, ComponentType: ComponentFloat, Count: 3, Type: TypeVec3, Min: []float64{0, 0, 0}, Max: []float64{1, 2, 0}},
		Accessor{BufferView: &iv, ByteOffset: 12, ComponentType: ComponentUnsignedShort, Normalized: true, Count: 3, Type: TypeVec2},
	)
	// Quantized positions: normalized SHORT, dequantised by the node scale.
	qv := m.view(le(t, [3]int16{-32767, 0, 0}, [3]int16{32767, 0, 0}, [3]int16{0, 32767, 0}), 0, TargetArrayBuffer)
	m.doc.Accessors = append(m.doc.Accessors, Accessor{BufferView: &qv, ComponentType: ComponentShort, Normalized: true, Count: 3, Type: TypeVec3,
		Min: []float64{-32767, 0, 0}, Max: []float64{32767, 32767, 0}})
	// A sparse POSITION accessor with no bufferView: zeros except element 1.
	sv := m.view(le(t, uint8(1), uint8(0), uint8(0), uint8(0)), 0, 0)
	vv := m.view(le(t, [3]float32{4, 5, 6}), 0, 0)
	m.doc.Accessors = append(m.doc.Accessors, Accessor{ComponentType: ComponentFloat, Count: 3, Type: TypeVec3, Min: []float64{0, 0, 0}, Max: []float64{4, 5, 6},
		Sparse: json.RawMessage(`{"count":1,"indices":{"bufferView":` + itoa(sv) + `,"componentType":5121},"values":{"bufferView":` + itoa(vv) + `}}`)})
	// UNSIGNED_BYTE indices at a byte offset.
	bv := m.view(le(t, uint8(9), uint8(0), uint8(1), uint8(2)), 0, TargetElementArrayBuffer)
	m.doc.Accessors = append(m.doc.Accessors, Accessor{BufferView: &bv, ByteOffset: 1, ComponentType: ComponentUnsignedByte, Count: 3, Type: TypeScalar})
	m.doc.Meshes = []Mesh{
		{Primitives: []Primitive{{Attributes: map[string]int{"POSITION": 0, "TEXCOORD_0": 1}, Indices: intPtr(4)}}},
		{Primitives: []Primitive{{Attributes: map[string]int{"POSITION": 2}}}},
		{Primitives: []Primitive{{Attributes: map[string]int{"POSITION": 3}}}},
	}
	m.scene(m.node(Node{Mesh: intPtr(0)}), m.node(Node{Mesh: intPtr(1), Scale: []float64{10, 10, 10}}), m.node(Node{Mesh: intPtr(2)}))
	asset := mustParse(t, m.glb(t))

	if got, err := asset.ReadVec3(0); err != nil || got[1] != [3]float32{1, 0, 0} || got[2] != [3]float32{0, 2, 0} {
		t.Errorf("interleaved ReadVec3 = %v, %v", got, err)
	}
	if got, err := asset.ReadVec2(1); err != nil || got[1] != [2]float32{1, 0} || math.Abs(float64(got[2][1])-32768.0/65535) > 1e-7 {
		t.Errorf("normalized ReadVec2 = %v, %v", got, err)
	}
	if got, err := asset.ReadVec3(2); err != nil || got[0] != [3]float32{-1, 0, 0} || got[2] != [3]float32{0, 1, 0} {
		t.Errorf("quantized ReadVec3 = %v, %v", got, err)
	}
	if got, err := asset.ReadVec3(3); err != nil || got[0] != [3]float32{} || got[1] != [3]float32{4, 5, 6} || got[2] != [3]float32{} {
		t.Errorf("sparse ReadVec3 = %v, %v", got, err)
	}
	if got, err := asset.ReadIndices(4); err != nil || len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Errorf("ReadIndices = %v, %v", got, err)
	}
	if got, err := asset.ReadScalarsFloat(4); err != nil || got[1] != 1 {
		t.Errorf("ReadScalarsFloat = %v, %v", got, err)
	}
	if _, err := asset.ReadVec4(0); err == nil {
		t.Error("ReadVec4 on a VEC3 accessor succeeded")
	}
	if _, err := asset.ReadVec3(99); err == nil {
		t.Error("ReadVec3(99) succeeded")
	}
	lo, hi, err := asset.Bounds()
	if err != nil || !closeTo(lo, [3]float64{-10, 0, 0}) || !closeTo(hi, [3]float64{10, 10, 6}) {
		t.Errorf("Bounds = %v %v %v, want quantized box scaled by 10 joined with the sparse box", lo, hi, err)
	}
	if st := asset.Stats(); st.Triangles != 3 || st.Vertices != 9 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestSparseValidation(t *testing.T) {
	m := newTestMaker()
	sv := m.view(le(t, uint16(2), uint16(1)), 0, 0) // not increasing
	vv := m.view(le(t, [3]float32{1, 1, 1}, [3]float32{1, 1, 1}), 0, 0)
	m.doc.Accessors = []Accessor{{ComponentType: ComponentFloat, Count: 3, Type: TypeVec3, Min: []float64{0, 0, 0}, Max: []float64{1, 1, 1},
		Sparse: json.RawMessage(`{"count":2,"indices":{"bufferView":` + itoa(sv) + `,"componentType":5123},"values":{"bufferView":` + itoa(vv) + `}}`)}}
	m.doc.Meshes = []Mesh{{Primitives: []Primitive{{Attributes: map[string]int{"POSITION": 0}, Mode: intPtr(ModePoints)}}}}
	m.scene(m.node(Node{Mesh: intPtr(0)}))
	_, err := Parse(m.glb(t), DefaultLimits())
	wantProblem(t, err, "ACCESSOR_SPARSE_INDICES_INVALID", "/accessors/0/sparse")
}

func itoa(i int) string {
	js, _ := json.Marshal(i)
	return string(js)
}
