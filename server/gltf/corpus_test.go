package gltf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/broken from the generators in corpus_test.go")

const brokenDir = "testdata/broken"

// brokenCase is one committed broken file and the first error it must yield.
type brokenCase struct {
	file    string
	code    string
	pointer string
	make    func(t testing.TB) []byte
}

// setUint32 overwrites a little-endian uint32 in a copy of b.
func setUint32(b []byte, off int, v uint32) []byte {
	out := bytes.Clone(b)
	binary.LittleEndian.PutUint32(out[off:], v)
	return out
}

// glbWithJSON wraps arbitrary JSON text and bin into GLB framing.
func glbWithJSON(js, bin []byte) []byte {
	for len(js)%4 != 0 {
		js = append(js, ' ')
	}
	var out bytes.Buffer
	total := 12 + 8 + len(js)
	if bin != nil {
		total += 8 + len(bin)
	}
	le := binary.LittleEndian
	binary.Write(&out, le, []uint32{glbMagic, 2, uint32(total), uint32(len(js)), chunkJSON})
	out.Write(js)
	if bin != nil {
		binary.Write(&out, le, []uint32{uint32(len(bin)), chunkBIN})
		out.Write(bin)
	}
	return out.Bytes()
}

// cubeWith builds the textured cube, lets edit change the document (and
// BIN) and returns the GLB.
func cubeWith(t testing.TB, edit func(m *testMaker)) []byte {
	m := texturedCube(t)
	edit(m)
	return m.glb(t)
}

// setFloat32 overwrites a float in the BIN at accessor acc, element e,
// component c (tightly packed).
func (m *testMaker) setFloat32(acc, e, c int, v float32) {
	a := m.doc.Accessors[acc]
	bv := m.doc.BufferViews[*a.BufferView]
	off := bv.ByteOffset + a.ByteOffset + e*componentCount(a.Type)*4 + c*4
	binary.LittleEndian.PutUint32(m.bin[off:], math.Float32bits(v))
}

// bombPNG is a valid PNG header (signature, IHDR with a correct CRC, IEND)
// declaring a w×h image with no pixel data.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write(pngSignature)
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IEND", nil)
	return b.Bytes()
}

// zipWithImageURI zips a cube .gltf whose single image has the given uri.
func zipWithImageURI(t testing.TB, uri string) []byte {
	js, bin := gltfFiles(t, texturedCube(t), "model.bin", uri)
	return makeZip(t, zipEntry{"model/model.gltf", js}, zipEntry{"model/model.bin", bin}, zipEntry{"model/tex.png", testPNG(t, 4, 4)})
}

func brokenCases() []brokenCase {
	return []brokenCase{
		{"empty.glb", "EMPTY_FILE", "", func(testing.TB) []byte { return nil }},
		{"not-gltf.obj", "NOT_GLTF", "", func(testing.TB) []byte { return []byte("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n") }},
		{"truncated.glb", "GLB_TRUNCATED", "", func(t testing.TB) []byte {
			g := validCubeGLB(t)
			return g[:len(g)/2]
		}},
		{"lying-total-length.glb", "GLB_LENGTH_MISMATCH", "", func(t testing.TB) []byte {
			g := validCubeGLB(t)
			return setUint32(g, 8, uint32(len(g)-8))
		}},
		{"lying-chunk-length.glb", "GLB_CHUNK_TOO_BIG", "", func(t testing.TB) []byte {
			return setUint32(validCubeGLB(t), 12, 1<<30)
		}},
		{"json-not-first.glb", "GLB_UNEXPECTED_FIRST_CHUNK", "", func(t testing.TB) []byte {
			m := texturedCube(t)
			doc, bin := m.finish()
			js, _ := json.Marshal(doc)
			for len(js)%4 != 0 {
				js = append(js, ' ')
			}
			var out bytes.Buffer
			le := binary.LittleEndian
			binary.Write(&out, le, []uint32{glbMagic, 2, uint32(12 + 16 + len(js) + len(bin)), uint32(len(bin)), chunkBIN})
			out.Write(bin)
			binary.Write(&out, le, []uint32{uint32(len(js)), chunkJSON})
			out.Write(js)
			return out.Bytes()
		}},
		{"bad-json.glb", "INVALID_JSON", "", func(testing.TB) []byte {
			return glbWithJSON([]byte(`{"asset":{"version":"2.0"},"nodes":[{"mesh":0,}]`), nil)
		}},
		{"wrong-json-types.glb", "TYPE_MISMATCH", "/accessors/1/count", func(t testing.TB) []byte {
			m := texturedCube(t)
			doc, bin := m.finish()
			js, _ := json.Marshal(doc)
			js = bytes.Replace(js, []byte(`"count":8`), []byte(`"count":"8"`), 2)
			var v map[string]any
			json.Unmarshal(js, &v)
			// Only the second accessor keeps the string, so the pointer is exact.
			v["accessors"].([]any)[0].(map[string]any)["count"] = 8
			js, _ = json.Marshal(v)
			return glbWithJSON(js, bin)
		}},
		{"accessor-out-of-range.glb", "INVALID_ACCESSOR_RANGE", "/accessors/2", func(t testing.TB) []byte {
			return cubeWith(t, func(m *testMaker) {
				a := &m.doc.Accessors[2] // TEXCOORD_0: 8 VEC2 floats = 64 bytes
				a.ByteOffset = 8
			})
		}},
		{"index-out-of-range.glb", "ACCESSOR_INDEX_OOB", "/accessors/3", func(t testing.TB) []byte {
			return cubeWith(t, func(m *testMaker) {
				bv := m.doc.BufferViews[*m.doc.Accessors[3].BufferView]
				binary.LittleEndian.PutUint16(m.bin[bv.ByteOffset+10:], 8) // vertex 8 of 8
			})
		}},
		{"node-cycle.glb", "NODE_LOOP", "/nodes/1", func(t testing.TB) []byte {
			return cubeWith(t, func(m *testMaker) {
				a := m.node(Node{Name: "a"})
				b := m.node(Node{Name: "b", Children: []int{a}})
				m.doc.Nodes[a].Children = []int{b}
			})
		}},
		{"node-two-parents.glb", "NODE_PARENT_OVERRIDE", "/nodes/2/children/0", func(t testing.TB) []byte {
			return cubeWith(t, func(m *testMaker) {
				m.node(Node{Name: "p1", Children: []int{0}})
				m.node(Node{Name: "p2", Children: []int{0}})
				m.doc.Scenes[0].Nodes = []int{1, 2}
			})
		}},
		{"nan-positions.glb", "ACCESSOR_INVALID_FLOAT", "/accessors/0", func(t testing.TB) []byte {
			return cubeWith(t, func(m *testMaker) { m.setFloat32(0, 5, 1, float32(math.NaN())) })
		}},
		{"positions-outside-minmax.glb", "ACCESSOR_ELEMENT_OUT_OF_MAX_BOUND", "/accessors/0/max/0", func(t testing.TB) []byte {
			return cubeWith(t, func(m *testMaker) { m.setFloat32(0, 7, 0, 3) })
		}},
		{"missing-bin.glb", "BUFFER_MISSING_GLB_DATA", "/buffers/0", func(t testing.TB) []byte {
			doc, _ := texturedCube(t).finish()
			js, _ := json.Marshal(doc)
			return glbWithJSON(js, nil)
		}},
		{"external-uri.zip", "URI_EXTERNAL", "/images/0/uri", func(t testing.TB) []byte {
			return zipWithImageURI(t, "https://cdn.example.com/tex.png")
		}},
		{"path-traversal.zip", "URI_PATH_TRAVERSAL", "/images/0/uri", func(t testing.TB) []byte {
			return zipWithImageURI(t, "textures/../../tex.png")
		}},
		{"absolute-path.zip", "URI_ABSOLUTE_PATH", "/images/0/uri", func(t testing.TB) []byte {
			return zipWithImageURI(t, "/etc/passwd")
		}},
		{"zip-bomb.zip", "ZIP_BOMB", "", func(t testing.TB) []byte {
			js, bin := gltfFiles(t, texturedCube(t), "model.bin", "tex.png")
			return makeZip(t, zipEntry{"model.gltf", js}, zipEntry{"model.bin", bin}, zipEntry{"tex.png", testPNG(t, 4, 4)},
				zipEntry{"padding.bin", make([]byte, 8<<20)})
		}},
		{"image-bomb.glb", "IMAGE_TOO_LARGE", "/images/0", func(t testing.TB) []byte {
			m := newTestMaker()
			m.texture(bombPNG(60000, 60000), mimePNG)
			mesh := m.cubeMesh()
			m.scene(m.node(Node{Mesh: &mesh}))
			return m.glb(t)
		}},
		{"jpeg-as-png.glb", "IMAGE_MIME_TYPE_INVALID", "/images/0/mimeType", func(t testing.TB) []byte {
			m := newTestMaker()
			m.texture(testJPEG(t), mimePNG)
			mesh := m.cubeMesh()
			m.scene(m.node(Node{Mesh: &mesh}))
			return m.glb(t)
		}},
		{"indices-float.glb", "MESH_PRIMITIVE_INDICES_ACCESSOR_INVALID_FORMAT", "/meshes/0/primitives/0/indices", func(t testing.TB) []byte {
			return cubeWith(t, func(m *testMaker) {
				// Point the indices at the NORMAL data: FLOAT VEC3.
				m.doc.Meshes[0].Primitives[0].Indices = intPtr(1)
			})
		}},
		{"unsupported-extension.glb", "UNSUPPORTED_EXTENSION", "/extensionsRequired/0", func(t testing.TB) []byte {
			return cubeWith(t, func(m *testMaker) {
				m.doc.ExtensionsUsed = []string{"KHR_draco_mesh_compression"}
				m.doc.ExtensionsRequired = []string{"KHR_draco_mesh_compression"}
			})
		}},
	}
}

// TestBrokenCorpus parses each committed broken file and checks that its
// first error has the expected code and pointer. Run with -update to
// regenerate the files from the generators above.
func TestBrokenCorpus(t *testing.T) {
	for _, tc := range brokenCases() {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(brokenDir, tc.file)
			if *update {
				if err := os.MkdirAll(brokenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, tc.make(t), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read %s (run with -update to generate): %v", path, err)
			}
			if len(data) > 64<<10 {
				t.Errorf("%s is %d bytes; corpus files should stay small", path, len(data))
			}
			_, err = Parse(data, DefaultLimits())
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("Parse: got %v, want *InvalidError with %s", err, tc.code)
			}
			first := inv.Problems[0]
			if first.Severity != SeverityError || first.Code != tc.code || first.Pointer != tc.pointer {
				t.Fatalf("first problem = %q, want error %s at %q; all: %q", first.String(), tc.code, tc.pointer, inv.Lines())
			}
		})
	}
}
