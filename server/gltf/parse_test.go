package gltf

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mustParse parses data and fails the test on any error.
func mustParse(t *testing.T, data []byte) *Asset {
	t.Helper()
	m, err := Parse(data, DefaultLimits())
	if err != nil {
		var inv *InvalidError
		if errors.As(err, &inv) {
			t.Fatalf("Parse: %v\n%s", err, strings.Join(inv.Lines(), "\n"))
		}
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// wantProblem asserts that err is an *InvalidError whose first error has
// code and pointer.
func wantProblem(t *testing.T, err error, code, pointer string) {
	t.Helper()
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("got error %v, want *InvalidError with %s", err, code)
	}
	first := inv.Problems[0]
	if first.Severity != SeverityError || first.Code != code || first.Pointer != pointer {
		t.Fatalf("first problem %q, want error %s at %q; all:\n%s", first.String(), code, pointer, strings.Join(inv.Lines(), "\n"))
	}
}

func closeTo(a, b [3]float64) bool {
	for c := range 3 {
		if math.Abs(a[c]-b[c]) > 1e-9 {
			return false
		}
	}
	return true
}

func TestParseValidCube(t *testing.T) {
	m := mustParse(t, validCubeGLB(t))
	if len(m.Warnings) != 0 {
		t.Errorf("warnings on a valid cube: %v", m.Warnings)
	}
	lo, hi, err := m.Bounds()
	if err != nil || lo != [3]float64{-0.5, -0.5, -0.5} || hi != [3]float64{0.5, 0.5, 0.5} {
		t.Errorf("Bounds = %v %v %v, want ±0.5", lo, hi, err)
	}
	want := Stats{Triangles: 12, Vertices: 8, Primitives: 1, Materials: 1, Textures: 1, Images: 1}
	if got := m.Stats(); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	pos, err := m.ReadVec3(0)
	if err != nil || len(pos) != 8 || pos[7] != [3]float32{0.5, 0.5, 0.5} || pos[0] != [3]float32{-0.5, -0.5, -0.5} {
		t.Errorf("ReadVec3(POSITION) = %v, %v", pos, err)
	}
	uv, err := m.ReadVec2(2)
	if err != nil || len(uv) != 8 || uv[3] != [2]float32{1, 1} {
		t.Errorf("ReadVec2(TEXCOORD_0) = %v, %v", uv, err)
	}
	idx, err := m.ReadIndices(3)
	if err != nil || len(idx) != 36 || idx[0] != 0 || idx[1] != 2 || idx[35] != 5 {
		t.Errorf("ReadIndices = %v, %v", idx, err)
	}
	if _, err := m.ReadIndices(0); err == nil {
		t.Error("ReadIndices on a VEC3 accessor succeeded")
	}
	img, mime, err := m.ImageBytes(0)
	if err != nil || mime != "image/png" || !bytes.HasPrefix(img, pngSignature) {
		t.Errorf("ImageBytes = %d bytes %q %v", len(img), mime, err)
	}
}

func TestBoundsAndStatsThroughHierarchy(t *testing.T) {
	s := math.Sqrt(0.5)
	tests := []struct {
		name      string
		build     func(m *testMaker, mesh int)
		lo, hi    [3]float64
		triangles int
	}{
		{
			name: "translation",
			build: func(m *testMaker, mesh int) {
				m.scene(m.node(Node{Mesh: &mesh, Translation: []float64{1, 2, 3}}))
			},
			lo: [3]float64{0.5, 1.5, 2.5}, hi: [3]float64{1.5, 2.5, 3.5}, triangles: 12,
		},
		{
			name: "parent translation, child rotation 90° about Y and scale, matrix sibling",
			build: func(m *testMaker, mesh int) {
				child := m.node(Node{Mesh: &mesh, Rotation: []float64{0, s, 0, s}, Scale: []float64{2, 1, 1}})
				parent := m.node(Node{Translation: []float64{10, 0, 0}, Children: []int{child}})
				moved := m.node(Node{Mesh: &mesh, Matrix: []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 5, 0, 1}})
				m.scene(parent, moved)
			},
			// child: x∈[-1,1] after scale, rotated into z; then +10 in x.
			lo: [3]float64{-0.5, -0.5, -1}, hi: [3]float64{10.5, 5.5, 1}, triangles: 24,
		},
		{
			name: "matrix scaling nested under a scaled parent",
			build: func(m *testMaker, mesh int) {
				child := m.node(Node{Mesh: &mesh, Matrix: []float64{3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 1, 0, 0, 1}})
				m.scene(m.node(Node{Scale: []float64{2, 2, 2}, Children: []int{child}}))
			},
			// parent·child = scale 6 about origin, translation 2 in x.
			lo: [3]float64{-1, -3, -3}, hi: [3]float64{5, 3, 3}, triangles: 12,
		},
		{
			name: "no scenes: every root node counts",
			build: func(m *testMaker, mesh int) {
				m.node(Node{Mesh: &mesh, Translation: []float64{-4, 0, 0}})
				m.node(Node{Mesh: &mesh, Translation: []float64{4, 0, 0}})
			},
			lo: [3]float64{-4.5, -0.5, -0.5}, hi: [3]float64{4.5, 0.5, 0.5}, triangles: 24,
		},
		{
			name: "default scene chosen over scene 0",
			build: func(m *testMaker, mesh int) {
				far := m.node(Node{Mesh: &mesh, Translation: []float64{100, 0, 0}})
				near := m.node(Node{Mesh: &mesh})
				m.scene(far)
				m.scene(near)
			},
			lo: [3]float64{-0.5, -0.5, -0.5}, hi: [3]float64{0.5, 0.5, 0.5}, triangles: 12,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newTestMaker()
			m.texture(testPNG(t, 2, 2), mimePNG)
			tc.build(m, m.cubeMesh())
			asset := mustParse(t, m.glb(t))
			lo, hi, err := asset.Bounds()
			if err != nil || !closeTo(lo, tc.lo) || !closeTo(hi, tc.hi) {
				t.Errorf("Bounds = %v %v %v, want %v %v", lo, hi, err, tc.lo, tc.hi)
			}
			st := asset.Stats()
			if st.Triangles != tc.triangles || st.Vertices != tc.triangles/12*8 || st.Primitives != tc.triangles/12 {
				t.Errorf("Stats = %+v, want %d triangles (instanced)", st, tc.triangles)
			}
		})
	}
}

func TestBoundsWithoutGeometry(t *testing.T) {
	m := newTestMaker()
	m.scene(m.node(Node{Name: "empty"}))
	asset := mustParse(t, m.glb(t))
	if _, _, err := asset.Bounds(); !errors.Is(err, ErrNoGeometry) {
		t.Errorf("Bounds of an empty scene: %v, want ErrNoGeometry", err)
	}
}

func TestRoundTrip(t *testing.T) {
	first := mustParse(t, validCubeGLB(t))
	glb, err := first.GLB()
	if err != nil {
		t.Fatalf("GLB: %v", err)
	}
	second := mustParse(t, glb)
	if a, b := first.Stats(), second.Stats(); a != b {
		t.Errorf("Stats changed: %+v → %+v", a, b)
	}
	d1, d2 := first.Doc, second.Doc
	if len(d1.Accessors) != len(d2.Accessors) || len(d1.BufferViews) != len(d2.BufferViews) || len(d1.Nodes) != len(d2.Nodes) ||
		len(d1.Meshes) != len(d2.Meshes) || len(d1.Images) != len(d2.Images) || len(d1.Materials) != len(d2.Materials) {
		t.Errorf("document counts changed")
	}
	lo1, hi1, _ := first.Bounds()
	lo2, hi2, _ := second.Bounds()
	if lo1 != lo2 || hi1 != hi2 {
		t.Errorf("bounds changed: %v %v → %v %v", lo1, hi1, lo2, hi2)
	}
	if !bytes.Equal(first.BIN, second.BIN) {
		t.Error("BIN changed")
	}
}

func TestParseSniffing(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		code string
	}{
		{"empty", nil, "EMPTY_FILE"},
		{"text", []byte("hello"), "NOT_GLTF"},
		{"gltf JSON is not an upload format", []byte(`{"asset":{"version":"2.0"}}`), "NOT_GLTF"},
		{"short GLB", []byte("glTF\x02\x00"), "GLB_UNEXPECTED_END_OF_HEADER"},
		{"GLB version 1", []byte("glTF\x01\x00\x00\x00\x0c\x00\x00\x00"), "GLB_INVALID_VERSION"},
		{"GLB without chunks", []byte("glTF\x02\x00\x00\x00\x0c\x00\x00\x00"), "GLB_UNEXPECTED_END_OF_CHUNK_HEADER"},
		{"not a zip after the magic", []byte("PK\x03\x04garbage"), "ZIP_INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data, DefaultLimits())
			wantProblem(t, err, tc.code, "")
		})
	}
}

func TestGLBChunks(t *testing.T) {
	doc, bin := texturedCube(t).finish()
	glb, _ := WriteGLB(doc, bin)
	t.Run("unknown chunk is skipped with a warning", func(t *testing.T) {
		extra := append(bytes.Clone(glb), 4, 0, 0, 0, 'X', 'T', 'R', 'A', 1, 2, 3, 4)
		extra = setUint32(extra, 8, uint32(len(extra)))
		m := mustParse(t, extra)
		if len(m.Warnings) != 1 || m.Warnings[0].Code != "GLB_UNKNOWN_CHUNK_TYPE" {
			t.Errorf("warnings = %v, want one GLB_UNKNOWN_CHUNK_TYPE", m.Warnings)
		}
	})
	t.Run("unaligned chunk length", func(t *testing.T) {
		g := setUint32(glb, 12, binaryLE32(glb[12:])-1)
		_, err := Parse(g, DefaultLimits())
		wantProblem(t, err, "GLB_CHUNK_LENGTH_UNALIGNED", "")
	})
	t.Run("buffer longer than the BIN chunk", func(t *testing.T) {
		m := texturedCube(t)
		d, b := m.finish()
		d.Buffers[0].ByteLength += 100
		g := glbWithJSON(mustJSON(t, d), b)
		_, err := Parse(g, DefaultLimits())
		wantProblem(t, err, "BUFFER_BYTE_LENGTH_MISMATCH", "/buffers/0/byteLength")
	})
	t.Run("relative uri in a GLB", func(t *testing.T) {
		m := texturedCube(t)
		d, b := m.finish()
		d.Images[0] = Image{URI: "tex.png"}
		_, err := Parse(glbWithJSON(mustJSON(t, d), b), DefaultLimits())
		wantProblem(t, err, "URI_NOT_ALLOWED_IN_GLB", "/images/0/uri")
	})
}

func binaryLE32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func TestDataURIsArePacked(t *testing.T) {
	m := texturedCube(t)
	d, bin := m.finish()
	d.Buffers[0].URI = "data:application/octet-stream;base64," + base64.StdEncoding.EncodeToString(bin)
	d.Images[0] = Image{URI: "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG(t, 2, 2))}
	asset := mustParse(t, glbWithJSON(mustJSON(t, d), nil))
	if len(asset.Doc.Buffers) != 1 || asset.Doc.Buffers[0].URI != "" || asset.Doc.Buffers[0].ByteLength != len(asset.BIN) {
		t.Fatalf("buffers not packed: %+v", asset.Doc.Buffers)
	}
	img := asset.Doc.Images[0]
	if img.URI != "" || img.BufferView == nil || img.MimeType != mimePNG {
		t.Fatalf("image not embedded: %+v", img)
	}
	if data, _, err := asset.ImageBytes(0); err != nil || !bytes.Equal(data, testPNG(t, 2, 2)) {
		t.Errorf("embedded image bytes differ: %v", err)
	}
	if lo, hi, err := asset.Bounds(); err != nil || lo[0] != -0.5 || hi[2] != 0.5 {
		t.Errorf("Bounds after packing = %v %v %v", lo, hi, err)
	}

	lim := DefaultLimits()
	lim.MaxDataURIBytes = 100
	_, err := Parse(glbWithJSON(mustJSON(t, d), nil), lim)
	wantProblem(t, err, "DATA_URI_TOO_LARGE", "/buffers/0/uri")
}

func TestParseZip(t *testing.T) {
	png := testPNG(t, 4, 4)
	js, bin := gltfFiles(t, texturedCube(t), "mesh%20data.bin", "textures/wood.png")
	valid := makeZip(t,
		zipEntry{"__MACOSX/chair/._chair.gltf", []byte("resource fork")},
		zipEntry{"chair/chair.gltf", js},
		zipEntry{"chair/mesh data.bin", bin},
		zipEntry{"chair/textures/wood.png", png},
	)
	asset, err := ParseZip(valid, DefaultLimits())
	if err != nil {
		t.Fatalf("ParseZip: %v", err)
	}
	if len(asset.Doc.Buffers) != 1 || asset.Doc.Buffers[0].URI != "" {
		t.Errorf("not packed to one BIN buffer: %+v", asset.Doc.Buffers)
	}
	for i, bv := range asset.Doc.BufferViews {
		if bv.Buffer != 0 {
			t.Errorf("bufferView %d still uses buffer %d", i, bv.Buffer)
		}
	}
	if data, mime, err := asset.ImageBytes(0); err != nil || mime != mimePNG || !bytes.Equal(data, png) {
		t.Errorf("ImageBytes = %d bytes, %q, %v", len(data), mime, err)
	}
	if lo, hi, err := asset.Bounds(); err != nil || lo != [3]float64{-0.5, -0.5, -0.5} || hi != [3]float64{0.5, 0.5, 0.5} {
		t.Errorf("Bounds = %v %v %v", lo, hi, err)
	}
	if _, err := asset.GLB(); err != nil {
		t.Errorf("GLB: %v", err)
	}

	glbZip := makeZip(t, zipEntry{"model.glb", validCubeGLB(t)})
	if _, err := ParseZip(glbZip, DefaultLimits()); err != nil {
		t.Errorf("zip of a single .glb: %v", err)
	}

	small := DefaultLimits()
	small.MaxZipEntries = 2
	declared := DefaultLimits()
	declared.MaxZipUncompressedBytes = int64(len(js)) + 10

	tests := []struct {
		name string
		data []byte
		lim  Limits
		code string
		ptr  string
	}{
		{"missing resource", makeZip(t, zipEntry{"chair/chair.gltf", js}, zipEntry{"chair/textures/wood.png", png}), DefaultLimits(), "RESOURCE_NOT_FOUND", "/buffers/0/uri"},
		{"resource outside the gltf folder is not found", makeZip(t, zipEntry{"chair/chair.gltf", js}, zipEntry{"mesh data.bin", bin}, zipEntry{"chair/textures/wood.png", png}), DefaultLimits(), "RESOURCE_NOT_FOUND", "/buffers/0/uri"},
		{"two gltf files", makeZip(t, zipEntry{"a.gltf", js}, zipEntry{"b.gltf", js}), DefaultLimits(), "ZIP_MULTIPLE_MODELS", ""},
		{"no model", makeZip(t, zipEntry{"readme.txt", []byte("hi")}), DefaultLimits(), "ZIP_NO_MODEL", ""},
		{"too many entries", valid, small, "ZIP_TOO_MANY_ENTRIES", ""},
		{"declared uncompressed total", valid, declared, "ZIP_BOMB", ""},
		{"zip-slip entry name", makeZip(t, zipEntry{"../evil.gltf", js}), DefaultLimits(), "ZIP_ENTRY_NAME_INVALID", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseZip(tc.data, tc.lim)
			wantProblem(t, err, tc.code, tc.ptr)
		})
	}
}

func TestParseGLTFDir(t *testing.T) {
	dir := t.TempDir()
	modelDir := filepath.Join(dir, "model")
	write := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(modelDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js, bin := gltfFiles(t, texturedCube(t), "cube.bin", "tex/cube.png")
	write("cube.gltf", js)
	write("cube.bin", bin)
	write("tex/cube.png", testPNG(t, 4, 4))
	asset, err := ParseGLTFDir(filepath.Join(modelDir, "cube.gltf"), DefaultLimits())
	if err != nil {
		t.Fatalf("ParseGLTFDir: %v", err)
	}
	if st := asset.Stats(); st.Triangles != 12 || st.Images != 1 {
		t.Errorf("Stats = %+v", st)
	}

	// A symlink inside the folder pointing outside it must not be followed.
	secret := filepath.Join(dir, "secret.bin")
	if err := os.WriteFile(secret, bin, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(modelDir, "link.bin")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	js2, _ := gltfFiles(t, texturedCube(t), "link.bin", "tex/cube.png")
	write("escape.gltf", js2)
	_, err = ParseGLTFDir(filepath.Join(modelDir, "escape.gltf"), DefaultLimits())
	wantProblem(t, err, "RESOURCE_UNREADABLE", "/buffers/0/uri")

	js3, _ := gltfFiles(t, texturedCube(t), "../secret.bin", "tex/cube.png")
	write("traverse.gltf", js3)
	_, err = ParseGLTFDir(filepath.Join(modelDir, "traverse.gltf"), DefaultLimits())
	wantProblem(t, err, "URI_PATH_TRAVERSAL", "/buffers/0/uri")

	if _, err := ParseGLTFDir(filepath.Join(modelDir, "absent.gltf"), DefaultLimits()); err == nil || errors.As(err, new(*InvalidError)) {
		t.Errorf("missing .gltf: %v, want a plain error", err)
	}
}

func TestURIRules(t *testing.T) {
	tests := []struct {
		uri  string
		code string // "" means accepted
		path string
	}{
		{"model.bin", "", "model.bin"},
		{"textures/wood%20grain.png", "", "textures/wood grain.png"},
		{"./a/../b.bin", "", "b.bin"},
		{"data:application/octet-stream;base64,AAAA", "", ""},
		{"http://example.com/a.bin", "URI_EXTERNAL", ""},
		{"HTTPS://example.com/a.bin", "URI_EXTERNAL", ""},
		{"file:///etc/passwd", "URI_EXTERNAL", ""},
		{"C:/models/a.bin", "URI_EXTERNAL", ""},
		{"/etc/passwd", "URI_ABSOLUTE_PATH", ""},
		{"//host/share/a.bin", "URI_ABSOLUTE_PATH", ""},
		{"%2Fetc%2Fpasswd", "URI_ABSOLUTE_PATH", ""},
		{`textures\wood.png`, "URI_INVALID", ""},
		{"textures%5Cwood.png", "URI_INVALID", ""},
		{"../secret.bin", "URI_PATH_TRAVERSAL", ""},
		{"a/../../secret.bin", "URI_PATH_TRAVERSAL", ""},
		{"%2e%2e/secret.bin", "URI_PATH_TRAVERSAL", ""},
		{"bad%zzescape", "URI_INVALID", ""},
		{"nul%00.bin", "URI_INVALID", ""},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			r := &report{}
			kind, p := classifyURI(tc.uri, "/buffers/0/uri", r)
			if tc.code == "" {
				if r.hasErrors() || kind == uriRejected || p != tc.path {
					t.Errorf("classifyURI = %v %q %v, want accepted as %q", kind, p, r.problems, tc.path)
				}
				return
			}
			if kind != uriRejected || len(r.problems) != 1 || r.problems[0].Code != tc.code || r.problems[0].Pointer != "/buffers/0/uri" {
				t.Errorf("classifyURI = %v %v, want %s", kind, r.problems, tc.code)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	glb := validCubeGLB(t)
	tests := []struct {
		name  string
		tweak func(*Limits)
		code  string
		ptr   string
		text  string
	}{
		{"file size", func(l *Limits) { l.MaxBytes = 100 }, "LIMIT_EXCEEDED", "", "MaxBytes"},
		{"JSON size", func(l *Limits) { l.MaxJSONBytes = 100 }, "LIMIT_EXCEEDED", "", "MaxJSONBytes"},
		{"accessor count", func(l *Limits) { l.MaxAccessors = 3 }, "LIMIT_EXCEEDED", "/accessors", "MaxAccessors"},
		{"primitive count", func(l *Limits) { l.MaxPrimitives = 0 }, "LIMIT_EXCEEDED", "/meshes", "MaxPrimitives"},
		{"images", func(l *Limits) { l.MaxImages = 0 }, "LIMIT_EXCEEDED", "/images", "MaxImages"},
		{"triangles", func(l *Limits) { l.MaxTriangles = 11 }, "LIMIT_EXCEEDED", "/meshes", "MaxTriangles"},
		{"vertices", func(l *Limits) { l.MaxVertices = 7 }, "LIMIT_EXCEEDED", "/meshes", "MaxVertices"},
		{"image side", func(l *Limits) { l.MaxImageSide = 3 }, "IMAGE_TOO_LARGE", "/images/0", "MaxImageSide"},
		{"image pixels", func(l *Limits) { l.MaxImagePixels = 15 }, "IMAGE_TOO_LARGE", "/images/0", "MaxImagePixels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := DefaultLimits()
			tc.tweak(&lim)
			_, err := Parse(glb, lim)
			wantProblem(t, err, tc.code, tc.ptr)
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not name %s", err, tc.text)
			}
		})
	}
	t.Run("node depth", func(t *testing.T) {
		m := newTestMaker()
		mesh := m.cubeMesh()
		child := m.node(Node{Mesh: &mesh})
		for range 5 {
			child = m.node(Node{Children: []int{child}})
		}
		m.scene(child)
		lim := DefaultLimits()
		lim.MaxNodeDepth = 5
		_, err := Parse(m.glb(t), lim)
		wantProblem(t, err, "LIMIT_EXCEEDED", "/nodes/0")
	})
}

func TestProblemFormatting(t *testing.T) {
	p := Problem{Severity: SeverityError, Code: "INVALID_ACCESSOR_RANGE", Pointer: "/accessors/3", Message: "accessor reaches byte 4096 of a 2048-byte bufferView"}
	if got, want := p.String(), "error INVALID_ACCESSOR_RANGE /accessors/3: accessor reaches byte 4096 of a 2048-byte bufferView"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := (Problem{Severity: SeverityWarning, Code: "X", Message: "m"}).String(); got != "warning X: m" {
		t.Errorf("String without pointer = %q", got)
	}
	e := &InvalidError{Problems: []Problem{{Severity: SeverityWarning, Code: "W", Message: "w"}, p, p}}
	if got := e.Error(); !strings.Contains(got, "INVALID_ACCESSOR_RANGE /accessors/3") || !strings.Contains(got, "and 1 more") {
		t.Errorf("Error = %q", got)
	}
	for s, want := range map[Severity]string{SeverityError: "error", SeverityWarning: "warning", SeverityInfo: "info"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
	}
}

func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid := write("cube.glb", validCubeGLB(t))
	broken := write("broken.glb", setUint32(validCubeGLB(t), 8, 10))
	js, bin := gltfFiles(t, texturedCube(t), "cube.bin", "cube.png")
	gltf := write("cube.gltf", js)
	write("cube.bin", bin)
	write("cube.png", testPNG(t, 4, 4))
	zipped := write("cube.zip", makeZip(t, zipEntry{"cube.gltf", js}, zipEntry{"cube.bin", bin}, zipEntry{"cube.png", testPNG(t, 4, 4)}))
	unknown := write("cube.obj", []byte("v 0 0 0"))

	for _, p := range []string{valid, gltf, zipped} {
		problems, err := CheckFile(p, DefaultLimits())
		if err != nil || len(problems) != 0 {
			t.Errorf("CheckFile(%s) = %v, %v; want no problems", filepath.Base(p), problems, err)
		}
	}
	problems, err := CheckFile(broken, DefaultLimits())
	if err != nil || len(problems) == 0 || problems[0].Code != "GLB_LENGTH_MISMATCH" {
		t.Errorf("CheckFile(broken) = %v, %v", problems, err)
	}
	if _, err := CheckFile(unknown, DefaultLimits()); err == nil {
		t.Error("CheckFile(.obj) succeeded, want an argument error")
	}
	if _, err := CheckFile(filepath.Join(dir, "missing.glb"), DefaultLimits()); err == nil {
		t.Error("CheckFile(missing) succeeded, want an argument error")
	}
}
