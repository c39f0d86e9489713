package gltf

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
	"time"
)

// testMaker assembles small glTF documents and their binary buffer for the
// parser's tests (independent of Builder, so the two check each other).
type testMaker struct {
	doc Document
	bin []byte
}

func newTestMaker() *testMaker {
	return &testMaker{doc: Document{Asset: AssetInfo{Version: "2.0", Generator: "gltf parse tests"}}}
}

func intPtr(i int) *int { return &i }

// view appends data as a new bufferView aligned to 4 bytes.
func (m *testMaker) view(data []byte, stride, target int) int {
	for len(m.bin)%4 != 0 {
		m.bin = append(m.bin, 0)
	}
	m.doc.BufferViews = append(m.doc.BufferViews, BufferView{Buffer: 0, ByteOffset: len(m.bin), ByteLength: len(data), ByteStride: stride, Target: target})
	m.bin = append(m.bin, data...)
	return len(m.doc.BufferViews) - 1
}

// floats appends a FLOAT accessor of typ with min/max computed from vals.
func (m *testMaker) floats(typ string, vals [][]float32) int {
	var buf bytes.Buffer
	n := componentCount(typ)
	lo := make([]float64, n)
	hi := make([]float64, n)
	for c := range n {
		lo[c], hi[c] = math.Inf(1), math.Inf(-1)
	}
	for _, v := range vals {
		for c, x := range v {
			binary.Write(&buf, binary.LittleEndian, x)
			lo[c] = math.Min(lo[c], float64(x))
			hi[c] = math.Max(hi[c], float64(x))
		}
	}
	bv := m.view(buf.Bytes(), 0, TargetArrayBuffer)
	m.doc.Accessors = append(m.doc.Accessors, Accessor{BufferView: intPtr(bv), ComponentType: ComponentFloat, Count: len(vals), Type: typ, Min: lo, Max: hi})
	return len(m.doc.Accessors) - 1
}

// indices appends an UNSIGNED_SHORT SCALAR accessor.
func (m *testMaker) indices(idx []uint16) int {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, idx)
	bv := m.view(buf.Bytes(), 0, TargetElementArrayBuffer)
	m.doc.Accessors = append(m.doc.Accessors, Accessor{BufferView: intPtr(bv), ComponentType: ComponentUnsignedShort, Count: len(idx), Type: TypeScalar})
	return len(m.doc.Accessors) - 1
}

// image embeds encoded image bytes with the given MIME type.
func (m *testMaker) image(data []byte, mime string) int {
	bv := m.view(data, 0, 0)
	m.doc.Images = append(m.doc.Images, Image{BufferView: intPtr(bv), MimeType: mime})
	return len(m.doc.Images) - 1
}

// cubeMesh adds a unit cube centred on the origin (8 vertices, 12
// triangles) with normals and texture coordinates, a material using
// texture 0 when there is one, and returns the mesh index.
func (m *testMaker) cubeMesh() int {
	var pos, nrm, uv [][]float32
	for i := range 8 {
		p := []float32{-0.5, -0.5, -0.5}
		for c := range 3 {
			if i&(1<<c) != 0 {
				p[c] = 0.5
			}
		}
		pos = append(pos, p)
		l := float32(math.Sqrt(0.75))
		nrm = append(nrm, []float32{p[0] / l, p[1] / l, p[2] / l})
		uv = append(uv, []float32{float32(i & 1), float32(i >> 1 & 1)})
	}
	faces := [][4]uint16{{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4}, {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}}
	var idx []uint16
	for _, f := range faces {
		idx = append(idx, f[0], f[1], f[2], f[0], f[2], f[3])
	}
	prim := Primitive{Attributes: map[string]int{
		"POSITION":   m.floats(TypeVec3, pos),
		"NORMAL":     m.floats(TypeVec3, nrm),
		"TEXCOORD_0": m.floats(TypeVec2, uv),
	}, Indices: intPtr(m.indices(idx))}
	if len(m.doc.Textures) > 0 {
		m.doc.Materials = append(m.doc.Materials, Material{PBRMetallicRoughness: &PBRMetallicRoughness{BaseColorTexture: &TextureInfo{Index: 0}}})
		prim.Material = intPtr(len(m.doc.Materials) - 1)
	}
	m.doc.Meshes = append(m.doc.Meshes, Mesh{Primitives: []Primitive{prim}})
	return len(m.doc.Meshes) - 1
}

// texture adds a sampler, a texture and the given image.
func (m *testMaker) texture(data []byte, mime string) {
	img := m.image(data, mime)
	m.doc.Samplers = append(m.doc.Samplers, Sampler{MagFilter: 9729, MinFilter: 9987})
	m.doc.Textures = append(m.doc.Textures, Texture{Sampler: intPtr(len(m.doc.Samplers) - 1), Source: intPtr(img)})
}

// node appends a node and returns its index.
func (m *testMaker) node(n Node) int {
	m.doc.Nodes = append(m.doc.Nodes, n)
	return len(m.doc.Nodes) - 1
}

// scene makes a default scene of the given roots.
func (m *testMaker) scene(roots ...int) {
	m.doc.Scenes = append(m.doc.Scenes, Scene{Nodes: roots})
	m.doc.Scene = intPtr(len(m.doc.Scenes) - 1)
}

// finish sets buffer 0 to the BIN and returns the document and BIN.
func (m *testMaker) finish() (*Document, []byte) {
	for len(m.bin)%4 != 0 {
		m.bin = append(m.bin, 0)
	}
	if len(m.bin) > 0 {
		m.doc.Buffers = []Buffer{{ByteLength: len(m.bin)}}
	}
	return &m.doc, m.bin
}

func (m *testMaker) glb(t testing.TB) []byte {
	t.Helper()
	doc, bin := m.finish()
	out, err := WriteGLB(doc, bin)
	if err != nil {
		t.Fatalf("WriteGLB: %v", err)
	}
	return out
}

// testPNG encodes a w×h PNG.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 60), uint8(y * 60), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("png: %v", err)
	}
	return buf.Bytes()
}

func testJPEG(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatalf("jpeg: %v", err)
	}
	return buf.Bytes()
}

// texturedCube is a maker holding one textured unit cube at the origin.
func texturedCube(t testing.TB) *testMaker {
	m := newTestMaker()
	m.texture(testPNG(t, 4, 4), mimePNG)
	mesh := m.cubeMesh()
	m.scene(m.node(Node{Mesh: &mesh}))
	return m
}

// validCubeGLB is a valid GLB of a textured unit cube.
func validCubeGLB(t testing.TB) []byte { return texturedCube(t).glb(t) }

// gltfFiles returns a .gltf (JSON) whose buffer 0 is "model.bin" and whose
// images refer to imageURIs in order, plus the bin, from a maker's document.
// Images in the maker are moved out of the BIN only by reference: their
// bufferViews are replaced by the uris.
func gltfFiles(t testing.TB, m *testMaker, bufferURI string, imageURIs ...string) ([]byte, []byte) {
	t.Helper()
	doc, bin := m.finish()
	d := *doc
	d.Buffers = []Buffer{{URI: bufferURI, ByteLength: len(bin)}}
	d.Images = nil
	for _, u := range imageURIs {
		d.Images = append(d.Images, Image{URI: u})
	}
	js, err := json.MarshalIndent(&d, "", " ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return js, bin
}

// zipEntry is one file of a test zip.
type zipEntry struct {
	name string
	data []byte
}

// makeZip writes entries deflated, with a fixed timestamp so the output is
// reproducible.
func makeZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatalf("zip: %v", err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatalf("zip: %v", err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("zip: %v", err)
	}
	return buf.Bytes()
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return js
}
