package gltf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits bounds everything Parse accepts from untrusted input. Every size
// and count is checked before the memory it implies is allocated. A zero
// field means zero is allowed, so start from DefaultLimits and adjust.
type Limits struct {
	// MaxBytes bounds the uploaded file, and for ParseGLTFDir the .gltf
	// plus every resource it reads.
	MaxBytes int64
	// MaxJSONBytes bounds the JSON chunk or .gltf file.
	MaxJSONBytes int64
	// Count limits on the top-level arrays (MaxPrimitives is the total
	// over all meshes). Arrays without their own limit (samplers, skins,
	// animations, cameras, scenes, extension lists) are bounded by MaxNodes.
	MaxAccessors, MaxBufferViews, MaxNodes, MaxMeshes, MaxPrimitives, MaxMaterials, MaxTextures, MaxImages int
	// MaxVertices and MaxTriangles bound the drawn geometry, counting each
	// mesh once per node that instances it (and once more overall for the
	// sum over distinct meshes).
	MaxVertices, MaxTriangles int
	// MaxImagePixels and MaxImageSide bound each image's declared
	// dimensions, read from its header before anything is decoded.
	MaxImagePixels int64
	MaxImageSide   int
	// MaxNodeDepth bounds the node hierarchy's depth (a root is depth 1).
	MaxNodeDepth int
	// MaxZipEntries, MaxZipUncompressedBytes and MaxZipRatio defend
	// ParseZip against zip bombs: entry count, total uncompressed size
	// (declared and actually read) and per-entry compression ratio (checked
	// for entries over 1 MiB).
	MaxZipEntries           int
	MaxZipUncompressedBytes int64
	MaxZipRatio             int
	// MaxDataURIBytes bounds the decoded size of each data: URI.
	MaxDataURIBytes int64
}

// DefaultLimits returns the limits the upload path uses: 64 MiB files,
// 8 MiB of JSON, 5M triangles, 8192-pixel sides, 64M pixels per image,
// depth 64, and zips of at most 512 entries and 256 MiB uncompressed.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:                64 << 20,
		MaxJSONBytes:            8 << 20,
		MaxAccessors:            65536,
		MaxBufferViews:          65536,
		MaxNodes:                65536,
		MaxMeshes:               16384,
		MaxPrimitives:           65536,
		MaxMaterials:            4096,
		MaxTextures:             4096,
		MaxImages:               1024,
		MaxVertices:             10_000_000,
		MaxTriangles:            5_000_000,
		MaxImagePixels:          64 << 20,
		MaxImageSide:            8192,
		MaxNodeDepth:            64,
		MaxZipEntries:           512,
		MaxZipUncompressedBytes: 256 << 20,
		MaxZipRatio:             100,
		MaxDataURIBytes:         32 << 20,
	}
}

// Asset is a parsed, validated glTF asset, always normalised to GLB form:
// one binary buffer (BIN, described by Doc.Buffers[0] with no uri) holding
// every buffer and image, with JSON the encoding of Doc.
type Asset struct {
	Doc  *Document
	JSON []byte
	BIN  []byte
	// Warnings holds the non-error problems found while parsing.
	Warnings []Problem
}

// GLB re-encodes the asset as a GLB container with WriteGLB.
func (a *Asset) GLB() ([]byte, error) {
	if a == nil || a.Doc == nil {
		return nil, errors.New("gltf: encode GLB: asset has no document")
	}
	return WriteGLB(a.Doc, a.BIN)
}

var (
	glbMagicBytes = []byte("glTF")
	zipMagicBytes = []byte("PK\x03\x04")
)

// Parse reads an uploaded model: a binary glTF (by its "glTF" magic) via
// ParseGLB, or a zip of a .gltf and its resources (by "PK\x03\x04") via
// ParseZip. Anything else, including empty input, is an *InvalidError.
func Parse(data []byte, lim Limits) (*Asset, error) {
	r := &report{}
	switch {
	case len(data) == 0:
		r.errorf("EMPTY_FILE", "", "the file is empty (0 bytes); expected a binary glTF (.glb) or a zip of .gltf + resources")
	case bytes.HasPrefix(data, glbMagicBytes):
		return ParseGLB(data, lim)
	case bytes.HasPrefix(data, zipMagicBytes):
		return ParseZip(data, lim)
	default:
		r.errorf("NOT_GLTF", "", "not a glTF upload: expected a binary glTF (.glb, starting with \"glTF\") or a zip of .gltf + resources (starting with \"PK\")")
	}
	return nil, r.err()
}

// ParseGLB parses and validates a GLB container: a 12-byte header (magic,
// version 2, total length equal to len(data)), a JSON chunk first, an
// optional BIN chunk second; chunk lengths must be 4-byte aligned and inside
// the file, and unknown chunk types are skipped with a warning. The only
// external data a GLB may use is data: URIs; content problems are reported
// as *InvalidError.
func ParseGLB(data []byte, lim Limits) (*Asset, error) {
	r := &report{}
	js, bin, hasBIN := readGLBContainer(data, lim, r)
	if r.hasErrors() {
		return nil, r.err()
	}
	doc := decodeDocument(js, lim, r)
	if doc == nil {
		return nil, r.err()
	}
	return buildAsset(doc, js, source{glb: true, bin: bin, hasBIN: hasBIN}, lim, r)
}

// readGLBContainer checks the GLB framing and returns the JSON and BIN
// chunk payloads (sub-slices of data, nothing copied).
func readGLBContainer(data []byte, lim Limits, r *report) (js, bin []byte, hasBIN bool) {
	if int64(len(data)) > lim.MaxBytes {
		r.errorf("LIMIT_EXCEEDED", "", "MaxBytes: the file is %d bytes, over the limit of %d", len(data), lim.MaxBytes)
		return nil, nil, false
	}
	if len(data) < glbHeaderSize {
		r.errorf("GLB_UNEXPECTED_END_OF_HEADER", "", "the file ends after %d bytes, inside the 12-byte GLB header", len(data))
		return nil, nil, false
	}
	le := binary.LittleEndian
	if m := le.Uint32(data[0:]); m != glbMagic {
		r.errorf("GLB_INVALID_MAGIC", "", "GLB magic is 0x%08x, want 0x%08x (\"glTF\")", m, uint32(glbMagic))
		return nil, nil, false
	}
	if v := le.Uint32(data[4:]); v != glbVersion {
		r.errorf("GLB_INVALID_VERSION", "", "GLB version is %d, only version 2 is supported", v)
		return nil, nil, false
	}
	declared := int64(le.Uint32(data[8:]))
	switch {
	case declared > int64(len(data)):
		r.errorf("GLB_TRUNCATED", "", "the GLB header declares %d bytes but the file has only %d: it was truncated", declared, len(data))
		return nil, nil, false
	case declared != int64(len(data)):
		r.errorf("GLB_LENGTH_MISMATCH", "", "the GLB header declares %d bytes but the file has %d", declared, len(data))
		return nil, nil, false
	}
	if declared%4 != 0 {
		r.warnf("GLB_LENGTH_UNALIGNED", "", "the GLB length %d is not a multiple of 4", declared)
	}
	off := int64(glbHeaderSize)
	size := int64(len(data))
	chunkIndex := 0
	seenJSON := false
	for off < size {
		if size-off < chunkHeader {
			r.errorf("GLB_UNEXPECTED_END_OF_CHUNK_HEADER", "", "chunk %d: the file ends inside its 8-byte header at byte %d", chunkIndex, off)
			return nil, nil, false
		}
		length := int64(le.Uint32(data[off:]))
		typ := le.Uint32(data[off+4:])
		start := off + chunkHeader
		if length > size-start {
			r.errorf("GLB_CHUNK_TOO_BIG", "", "chunk %d (%s) declares %d bytes but only %d remain in the file", chunkIndex, chunkName(typ), length, size-start)
			return nil, nil, false
		}
		if length%4 != 0 {
			r.errorf("GLB_CHUNK_LENGTH_UNALIGNED", "", "chunk %d (%s) length %d is not a multiple of 4", chunkIndex, chunkName(typ), length)
			return nil, nil, false
		}
		payload := data[start : start+length]
		switch {
		case chunkIndex == 0 && typ != chunkJSON:
			r.errorf("GLB_UNEXPECTED_FIRST_CHUNK", "", "the first chunk is %s, the JSON chunk must come first", chunkName(typ))
			return nil, nil, false
		case typ == chunkJSON && seenJSON:
			r.errorf("GLB_DUPLICATE_CHUNK", "", "chunk %d is a second JSON chunk", chunkIndex)
			return nil, nil, false
		case typ == chunkJSON:
			seenJSON = true
			if length == 0 {
				r.errorf("GLB_EMPTY_CHUNK", "", "the JSON chunk is empty")
				return nil, nil, false
			}
			js = payload
		case typ == chunkBIN && hasBIN:
			r.errorf("GLB_DUPLICATE_CHUNK", "", "chunk %d is a second BIN chunk", chunkIndex)
			return nil, nil, false
		case typ == chunkBIN && chunkIndex != 1:
			r.errorf("GLB_UNEXPECTED_BIN_CHUNK", "", "chunk %d is a BIN chunk; it must directly follow the JSON chunk", chunkIndex)
			return nil, nil, false
		case typ == chunkBIN:
			hasBIN = true
			bin = payload
		default:
			r.warnf("GLB_UNKNOWN_CHUNK_TYPE", "", "chunk %d has unknown type %s (%d bytes); skipped", chunkIndex, chunkName(typ), length)
		}
		off = start + length
		chunkIndex++
	}
	if !seenJSON {
		r.errorf("GLB_UNEXPECTED_END_OF_CHUNK_HEADER", "", "the GLB has no chunks; a JSON chunk is required")
	}
	return js, bin, hasBIN
}

func chunkName(typ uint32) string {
	switch typ {
	case chunkJSON:
		return "JSON"
	case chunkBIN:
		return "BIN"
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], typ)
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("0x%08x", typ)
		}
	}
	return fmt.Sprintf("%q", b[:])
}

// arrayLimit pairs a top-level glTF array with its count limit.
type arrayLimit struct {
	member string
	field  string
	max    int
}

func arrayLimits(lim Limits) []arrayLimit {
	return []arrayLimit{
		{"accessors", "MaxAccessors", lim.MaxAccessors},
		{"bufferViews", "MaxBufferViews", lim.MaxBufferViews},
		{"buffers", "MaxBufferViews", lim.MaxBufferViews},
		{"nodes", "MaxNodes", lim.MaxNodes},
		{"meshes", "MaxMeshes", lim.MaxMeshes},
		{"materials", "MaxMaterials", lim.MaxMaterials},
		{"textures", "MaxTextures", lim.MaxTextures},
		{"images", "MaxImages", lim.MaxImages},
		{"samplers", "MaxNodes", lim.MaxNodes},
		{"scenes", "MaxNodes", lim.MaxNodes},
		{"skins", "MaxNodes", lim.MaxNodes},
		{"animations", "MaxNodes", lim.MaxNodes},
		{"cameras", "MaxNodes", lim.MaxNodes},
		{"extensionsUsed", "MaxNodes", lim.MaxNodes},
		{"extensionsRequired", "MaxNodes", lim.MaxNodes},
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeDocument decodes glTF JSON after checking its size and the length of
// every top-level array (and the total primitive count), so the Document it
// allocates is bounded by the limits. It returns nil after reporting an
// error when the JSON is unusable.
func decodeDocument(js []byte, lim Limits, r *report) *Document {
	if int64(len(js)) > lim.MaxJSONBytes {
		r.errorf("LIMIT_EXCEEDED", "", "MaxJSONBytes: the JSON is %d bytes, over the limit of %d", len(js), lim.MaxJSONBytes)
		return nil
	}
	if bytes.HasPrefix(js, utf8BOM) {
		r.warnf("BOM_FOUND", "", "the JSON starts with a UTF-8 byte order mark; ignored")
		js = js[len(utf8BOM):]
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			r.errorf("INVALID_JSON", "", "the JSON is malformed at byte %d: %v", syn.Offset, syn)
		case errors.As(err, &typ):
			r.errorf("INVALID_JSON", "", "the JSON's top level is %s, it must be an object", typ.Value)
		default:
			r.errorf("INVALID_JSON", "", "the JSON cannot be decoded: %v", err)
		}
		return nil
	}
	ok := true
	for _, al := range arrayLimits(lim) {
		raw, present := top[al.member]
		if !present {
			continue
		}
		if n := countArrayElements(raw); n > al.max {
			r.errorf("LIMIT_EXCEEDED", ptr(al.member), "%s: %d %s, over the limit of %d", al.field, n, al.member, al.max)
			ok = false
		}
	}
	if raw, present := top["meshes"]; present && ok {
		var meshes []struct {
			Primitives json.RawMessage `json:"primitives"`
		}
		if json.Unmarshal(raw, &meshes) == nil {
			total := 0
			for _, m := range meshes {
				total += countArrayElements(m.Primitives)
			}
			if total > lim.MaxPrimitives {
				r.errorf("LIMIT_EXCEEDED", "/meshes", "MaxPrimitives: %d primitives in all meshes, over the limit of %d", total, lim.MaxPrimitives)
				ok = false
			}
		}
	}
	if !ok {
		return nil
	}
	doc := new(Document)
	if err := json.Unmarshal(js, doc); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			p := pointerAt(js, typ.Offset)
			r.errorf("TYPE_MISMATCH", p, "the value is a JSON %s, expected %s", typ.Value, jsonTypeName(typ.Type.Kind().String()))
		} else {
			r.errorf("INVALID_JSON", "", "the JSON cannot be decoded: %v", err)
		}
		return nil
	}
	return doc
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint32", "uint64":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value of another type"
	}
	return kind
}

// countArrayElements counts the top-level elements of a JSON array without
// allocating; it returns 0 for anything that is not an array. The input
// must be syntactically valid JSON.
func countArrayElements(raw []byte) int {
	i := 0
	for i < len(raw) && isJSONSpace(raw[i]) {
		i++
	}
	if i >= len(raw) || raw[i] != '[' {
		return 0
	}
	depth := 0
	count := 0
	sawValue := false
	inString := false
	for ; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			if depth == 1 {
				sawValue = true
			}
		case '[', '{':
			if depth == 1 {
				sawValue = true
			}
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				if sawValue {
					count++
				}
				return count
			}
		case ',':
			if depth == 1 {
				count++
			}
		default:
			if depth == 1 && !isJSONSpace(c) {
				sawValue = true
			}
		}
	}
	return count
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// pointerFrame is one open container while pointerAt walks the JSON.
type pointerFrame struct {
	array     bool
	index     int
	key       string
	expectKey bool
}

// valueDone moves the innermost frame past one complete value: an array to
// its next index, an object back to expecting a key.
func valueDone(stack []pointerFrame) {
	if len(stack) == 0 {
		return
	}
	f := &stack[len(stack)-1]
	if f.array {
		f.index++
	} else {
		f.expectKey = true
	}
}

func framesPointer(stack []pointerFrame) string {
	if len(stack) == 0 {
		return ""
	}
	segs := make([]any, 0, len(stack))
	for _, f := range stack {
		if f.array {
			segs = append(segs, f.index)
		} else {
			segs = append(segs, f.key)
		}
	}
	return ptr(segs...)
}

// pointerAt returns the JSON pointer of the value being decoded at byte
// offset in js (as reported by json.UnmarshalTypeError.Offset, which lies
// just past the offending value or its opening delimiter).
func pointerAt(js []byte, offset int64) string {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var stack []pointerFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return ""
			}
			return framesPointer(stack)
		}
		d, isDelim := tok.(json.Delim)
		if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].expectKey {
			if isDelim && d == '}' {
				stack = stack[:n-1]
				valueDone(stack)
				continue
			}
			stack[n-1].key, _ = tok.(string)
			stack[n-1].expectKey = false
			continue
		}
		if isDelim {
			switch d {
			case '[', '{':
				if dec.InputOffset() >= offset {
					return framesPointer(stack)
				}
				stack = append(stack, pointerFrame{array: d == '[', expectKey: d == '{'})
			case ']':
				stack = stack[:len(stack)-1]
				valueDone(stack)
			}
			continue
		}
		if dec.InputOffset() >= offset {
			return framesPointer(stack)
		}
		valueDone(stack)
	}
}
