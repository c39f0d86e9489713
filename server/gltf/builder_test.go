package gltf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"testing"
)

// builderSplitGLB decodes a GLB container by hand so the Builder is tested
// independently of the package's parser.
func builderSplitGLB(t *testing.T, glb []byte) (Document, []byte) {
	t.Helper()
	le := binary.LittleEndian
	if len(glb) < 20 || le.Uint32(glb[0:]) != 0x46546C67 || le.Uint32(glb[4:]) != 2 {
		t.Fatalf("not a GLB v2 header: % x", glb[:min(len(glb), 12)])
	}
	if int(le.Uint32(glb[8:])) != len(glb) {
		t.Fatalf("header length %d, file length %d", le.Uint32(glb[8:]), len(glb))
	}
	jsonLen := int(le.Uint32(glb[12:]))
	if le.Uint32(glb[16:]) != 0x4E4F534A || jsonLen%4 != 0 {
		t.Fatalf("first chunk is not a 4-aligned JSON chunk")
	}
	var doc Document
	if err := json.Unmarshal(glb[20:20+jsonLen], &doc); err != nil {
		t.Fatalf("JSON chunk: %v", err)
	}
	rest := glb[20+jsonLen:]
	if len(rest) == 0 {
		return doc, nil
	}
	binLen := int(le.Uint32(rest[0:]))
	if le.Uint32(rest[4:]) != 0x004E4942 || binLen != len(rest)-8 {
		t.Fatalf("second chunk is not a BIN chunk filling the file")
	}
	return doc, rest[8:]
}

func builderPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(1, 1, color.NRGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// builderQuad builds a one-quad asset with a textured material and a node
// with a translation; it returns the builder.
func builderQuad(t *testing.T) *Builder {
	t.Helper()
	b := NewBuilder("test")
	img, err := b.AddImage("checker", builderPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	tex, err := b.AddTexture(img)
	if err != nil {
		t.Fatal(err)
	}
	mat, err := b.AddMaterial(MaterialSpec{
		Name: "paint", BaseColor: [4]float64{1, 0.5, 0.25, 1}, Metallic: 0, Roughness: 0.6,
		BaseColorTexture: tex, MetallicRoughnessTexture: NoTexture, NormalTexture: NoTexture,
	})
	if err != nil {
		t.Fatal(err)
	}
	mesh, err := b.AddMesh("quad", []PrimitiveData{{
		Positions: [][3]float32{{-0.5, 0, 0}, {0.5, 0, 0}, {0.5, 1, 0}, {-0.5, 1, 0.25}},
		Normals:   [][3]float32{{0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}},
		UVs:       [][2]float32{{0, 1}, {1, 1}, {1, 0}, {0, 0}},
		Indices:   []uint32{0, 1, 2, 0, 2, 3},
		Material:  mat,
	}})
	if err != nil {
		t.Fatal(err)
	}
	node, err := b.AddNode(NodeSpec{Name: "root", Mesh: mesh, Translation: []float64{0, 0.5, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AddToScene(node); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuilderGLBStructure(t *testing.T) {
	glb, err := builderQuad(t).GLB()
	if err != nil {
		t.Fatal(err)
	}
	doc, bin := builderSplitGLB(t, glb)

	if doc.Asset.Version != "2.0" || doc.Scene == nil || *doc.Scene != 0 || len(doc.Scenes) != 1 || len(doc.Scenes[0].Nodes) != 1 {
		t.Fatalf("asset/scene header wrong: %+v %+v", doc.Asset, doc.Scenes)
	}
	if len(doc.Buffers) != 1 || doc.Buffers[0].URI != "" || doc.Buffers[0].ByteLength > len(bin) || len(bin)-doc.Buffers[0].ByteLength > 3 {
		t.Fatalf("buffer %+v does not describe the %d-byte BIN chunk", doc.Buffers, len(bin))
	}
	for i, v := range doc.BufferViews {
		if v.ByteOffset%4 != 0 {
			t.Errorf("bufferView %d starts at %d, not 4-aligned", i, v.ByteOffset)
		}
		if v.ByteOffset+v.ByteLength > doc.Buffers[0].ByteLength {
			t.Errorf("bufferView %d overruns the buffer", i)
		}
	}
	prim := doc.Meshes[0].Primitives[0]
	pos := doc.Accessors[prim.Attributes["POSITION"]]
	if got, want := pos.Min, []float64{-0.5, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("POSITION min = %v, want %v", got, want)
	}
	if got, want := pos.Max, []float64{0.5, 1, 0.25}; !slices.Equal(got, want) {
		t.Errorf("POSITION max = %v, want %v", got, want)
	}
	if doc.BufferViews[*pos.BufferView].Target != TargetArrayBuffer {
		t.Errorf("POSITION view target = %d", doc.BufferViews[*pos.BufferView].Target)
	}
	idx := doc.Accessors[*prim.Indices]
	if idx.ComponentType != ComponentUnsignedShort || idx.Count != 6 || doc.BufferViews[*idx.BufferView].Target != TargetElementArrayBuffer {
		t.Errorf("indices accessor = %+v, want 6 unsigned shorts in an element array view", idx)
	}
	iv := doc.BufferViews[*idx.BufferView]
	gotIdx := make([]uint16, 6)
	for i := range gotIdx {
		gotIdx[i] = binary.LittleEndian.Uint16(bin[iv.ByteOffset+2*i:])
	}
	if want := []uint16{0, 1, 2, 0, 2, 3}; !slices.Equal(gotIdx, want) {
		t.Errorf("stored indices = %v, want %v", gotIdx, want)
	}
	pv := doc.BufferViews[*pos.BufferView]
	if z := math.Float32frombits(binary.LittleEndian.Uint32(bin[pv.ByteOffset+3*4*3+8:])); z != 0.25 {
		t.Errorf("stored z of vertex 3 = %v, want 0.25", z)
	}

	im := doc.Images[0]
	if im.MimeType != "image/png" || im.BufferView == nil {
		t.Fatalf("image = %+v, want an embedded image/png", im)
	}
	v := doc.BufferViews[*im.BufferView]
	if v.Target != 0 || !bytes.Equal(bin[v.ByteOffset:v.ByteOffset+v.ByteLength], builderPNG(t)) {
		t.Errorf("image bytes or view target (%d) wrong", v.Target)
	}
	mat := doc.Materials[*prim.Material]
	if mat.PBRMetallicRoughness.BaseColorTexture == nil || mat.PBRMetallicRoughness.MetallicRoughnessTexture != nil || mat.NormalTexture != nil {
		t.Errorf("material textures = %+v / normal %+v", mat.PBRMetallicRoughness, mat.NormalTexture)
	}
	if *mat.PBRMetallicRoughness.RoughnessFactor != 0.6 || *mat.PBRMetallicRoughness.MetallicFactor != 0 {
		t.Errorf("material factors = %+v", mat.PBRMetallicRoughness)
	}
	if len(doc.Samplers) != 1 || *doc.Textures[0].Sampler != 0 || *doc.Textures[0].Source != 0 {
		t.Errorf("textures %+v samplers %+v", doc.Textures, doc.Samplers)
	}
	if n := doc.Nodes[0]; n.Mesh == nil || !slices.Equal(n.Translation, []float64{0, 0.5, 0}) {
		t.Errorf("node = %+v", n)
	}
}

func TestBuilderIndexWidth(t *testing.T) {
	tests := []struct {
		name        string
		vertexCount int
		want        int
	}{
		{"small mesh uses unsigned short", 3, ComponentUnsignedShort},
		{"65534 vertices still fit unsigned short", 65534, ComponentUnsignedShort},
		{"65535 vertices need unsigned int (65535 is primitive restart)", 65535, ComponentUnsignedInt},
		{"large mesh uses unsigned int", 100000, ComponentUnsignedInt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder("")
			a, err := b.AddIndices([]uint32{0, 1, uint32(tt.vertexCount - 1)}, tt.vertexCount)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.doc.Accessors[a].ComponentType; got != tt.want {
				t.Errorf("component type = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestBuilderRejects(t *testing.T) {
	tri := [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}
	tests := []struct {
		name string
		do   func(b *Builder) error
	}{
		{"index beyond vertex count", func(b *Builder) error {
			_, err := b.AddIndices([]uint32{0, 1, 3}, 3)
			return err
		}},
		{"image that is not PNG or JPEG", func(b *Builder) error {
			_, err := b.AddImage("gif", []byte("GIF89a...."))
			return err
		}},
		{"texture of a missing image", func(b *Builder) error {
			_, err := b.AddTexture(0)
			return err
		}},
		{"roughness above one", func(b *Builder) error {
			_, err := b.AddMaterial(MaterialSpec{Roughness: 1.5, BaseColorTexture: -1, MetallicRoughnessTexture: -1, NormalTexture: -1})
			return err
		}},
		{"material with a missing texture", func(b *Builder) error {
			_, err := b.AddMaterial(MaterialSpec{BaseColorTexture: 2, MetallicRoughnessTexture: -1, NormalTexture: -1})
			return err
		}},
		{"normals shorter than positions", func(b *Builder) error {
			_, err := b.AddMesh("m", []PrimitiveData{{Positions: tri, Normals: tri[:2], Indices: []uint32{0, 1, 2}, Material: -1}})
			return err
		}},
		{"index count not a multiple of three", func(b *Builder) error {
			_, err := b.AddMesh("m", []PrimitiveData{{Positions: tri, Indices: []uint32{0, 1}, Material: -1}})
			return err
		}},
		{"non-finite position", func(b *Builder) error {
			_, err := b.AddPositions([][3]float32{{float32(math.NaN()), 0, 0}})
			return err
		}},
		{"non-unit rotation", func(b *Builder) error {
			_, err := b.AddNode(NodeSpec{Mesh: -1, Rotation: []float64{0, 0, 0, 2}})
			return err
		}},
		{"GLB of an empty scene", func(b *Builder) error {
			_, err := b.GLB()
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do(NewBuilder(""))
			if !errors.Is(err, ErrBuilder) {
				t.Errorf("error = %v, want one wrapping ErrBuilder", err)
			}
		})
	}
}

func TestBuilderDeterministic(t *testing.T) {
	a, err := builderQuad(t).GLB()
	if err != nil {
		t.Fatal(err)
	}
	b, err := builderQuad(t).GLB()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two identical builds produced different bytes")
	}
}

// TestBuilderOutputParses feeds the Builder's GLB to the package's own
// upload parser: it must accept it without warnings, and the bounds must
// include the node's translation.
func TestBuilderOutputParses(t *testing.T) {
	glb, err := builderQuad(t).GLB()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(glb, DefaultLimits())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, w := range m.Warnings {
		t.Errorf("parser warning: %v", w)
	}
	lo, hi, err := m.Bounds()
	if err != nil {
		t.Fatal(err)
	}
	if wantLo, wantHi := [3]float64{-0.5, 0.5, 0}, [3]float64{0.5, 1.5, 0.25}; lo != wantLo || hi != wantHi {
		t.Errorf("bounds = %v..%v, want %v..%v", lo, hi, wantLo, wantHi)
	}
}
