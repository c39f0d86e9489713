package gltf

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// resourceResolver reads a resource named by a cleaned, slash-separated path
// relative to the .gltf's folder (never absolute, never escaping it). It is
// the one interface behind both zips and directories on disk.
type resourceResolver interface {
	// readResource returns the resource's bytes, or an error wrapping
	// fs.ErrNotExist, ErrTooLarge or errResourceInvalid.
	readResource(name string) ([]byte, error)
}

// ErrTooLarge is wrapped when a resource or archive entry would take the
// reads past the upload's byte budget.
var ErrTooLarge = errors.New("resource exceeds the size budget")

var (
	errResourceInvalid = errors.New("resource is not a regular file")
	errZipBomb         = errors.New("zip entry expands beyond its limits")
)

// source says where a document's buffers and images come from.
type source struct {
	glb    bool   // the JSON came from a GLB
	bin    []byte // the GLB BIN chunk payload
	hasBIN bool
	res    resourceResolver // nil for a GLB: only data: URIs resolve
}

// buildAsset validates doc, resolves its buffers and images, packs them into
// a single BIN buffer and validates the data. It returns *InvalidError when
// any error was reported.
func buildAsset(doc *Document, js []byte, src source, lim Limits, r *report) (*Asset, error) {
	validateDocument(doc, lim, r)
	if r.hasErrors() {
		return nil, r.err()
	}
	a := pack(doc, js, src, lim, r)
	if r.hasErrors() {
		return nil, r.err()
	}
	validateData(a, lim, r)
	if r.hasErrors() {
		return nil, r.err()
	}
	a.Warnings = r.warnings()
	return a, nil
}

// uriKind classifies a glTF uri.
type uriKind int

const (
	uriData uriKind = iota
	uriRelative
	uriRejected
)

// classifyURI applies the URI rules: data: URIs are allowed, relative paths
// are allowed (percent-decoded, cleaned, never escaping the folder), and
// everything else is reported at pointer. For relative URIs it returns the
// cleaned slash-separated path.
func classifyURI(uri, pointer string, r *report) (uriKind, string) {
	if len(uri) >= 5 && strings.EqualFold(uri[:5], "data:") {
		return uriData, ""
	}
	if scheme, ok := uriScheme(uri); ok {
		r.errorf("URI_EXTERNAL", pointer, "uri %q uses the %s: scheme; only data: URIs and relative paths inside the upload are allowed", truncateURI(uri), scheme)
		return uriRejected, ""
	}
	if strings.Contains(uri, `\`) {
		r.errorf("URI_INVALID", pointer, "uri %q contains a backslash; use forward slashes", truncateURI(uri))
		return uriRejected, ""
	}
	if strings.HasPrefix(uri, "/") {
		r.errorf("URI_ABSOLUTE_PATH", pointer, "uri %q is an absolute path; resources must be relative to the .gltf", truncateURI(uri))
		return uriRejected, ""
	}
	decoded, err := url.PathUnescape(uri)
	if err != nil {
		r.errorf("URI_INVALID", pointer, "uri %q has invalid percent-encoding: %v", truncateURI(uri), err)
		return uriRejected, ""
	}
	for _, c := range decoded {
		if c < 0x20 || c == 0x7f {
			r.errorf("URI_INVALID", pointer, "uri %q contains a control character", truncateURI(uri))
			return uriRejected, ""
		}
	}
	switch {
	case strings.Contains(decoded, `\`):
		r.errorf("URI_INVALID", pointer, "uri %q decodes to a path with a backslash", truncateURI(uri))
		return uriRejected, ""
	case strings.HasPrefix(decoded, "/"):
		r.errorf("URI_ABSOLUTE_PATH", pointer, "uri %q decodes to an absolute path", truncateURI(uri))
		return uriRejected, ""
	}
	cleaned := path.Clean(decoded)
	if cleaned == ".." || strings.HasPrefix(cleaned, "../") {
		r.errorf("URI_PATH_TRAVERSAL", pointer, "uri %q leads outside the .gltf's folder", truncateURI(uri))
		return uriRejected, ""
	}
	if cleaned == "." || decoded == "" {
		r.errorf("URI_INVALID", pointer, "uri %q names no file", truncateURI(uri))
		return uriRejected, ""
	}
	return uriRelative, cleaned
}

// uriScheme reports whether uri starts with an RFC 3986 scheme ("http:").
func uriScheme(uri string) (string, bool) {
	for i := 0; i < len(uri); i++ {
		c := uri[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 0:
			return strings.ToLower(uri[:i]), true
		default:
			return "", false
		}
	}
	return "", false
}

func truncateURI(uri string) string {
	if len(uri) > 80 {
		return uri[:80] + "…"
	}
	return uri
}

// decodeDataURI decodes a base64 data: URI, returning its bytes and media
// type, after checking the decoded size against MaxDataURIBytes.
func decodeDataURI(uri, pointer string, lim Limits, r *report) ([]byte, string, bool) {
	comma := strings.IndexByte(uri, ',')
	if comma < 0 {
		r.errorf("DATA_URI_INVALID", pointer, "data: URI has no ',' before its payload")
		return nil, "", false
	}
	header := uri[len("data:"):comma]
	if !strings.HasSuffix(strings.ToLower(header), ";base64") {
		r.errorf("DATA_URI_INVALID", pointer, "data: URI is not base64-encoded (%q); only ;base64 data URIs are supported", header)
		return nil, "", false
	}
	mediaType := strings.ToLower(header[:len(header)-len(";base64")])
	payload := uri[comma+1:]
	if n := int64(base64.StdEncoding.DecodedLen(len(payload))); n > lim.MaxDataURIBytes {
		r.errorf("DATA_URI_TOO_LARGE", pointer, "MaxDataURIBytes: data: URI decodes to about %d bytes, over the limit of %d", n, lim.MaxDataURIBytes)
		return nil, "", false
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		r.errorf("DATA_URI_INVALID", pointer, "data: URI payload is not valid base64: %v", err)
		return nil, "", false
	}
	return data, mediaType, true
}

// resolveURI returns the bytes a uri refers to, reporting any violation of
// the URI rules or a missing resource at pointer.
func resolveURI(uri, pointer string, src source, lim Limits, r *report) ([]byte, string, bool) {
	kind, name := classifyURI(uri, pointer, r)
	switch kind {
	case uriData:
		return decodeDataURI(uri, pointer, lim, r)
	case uriRejected:
		return nil, "", false
	}
	if src.res == nil {
		r.errorf("URI_NOT_ALLOWED_IN_GLB", pointer, "uri %q refers to a file beside the model, but a .glb upload is self-contained: embed it in the BIN chunk or as a data: URI", truncateURI(uri))
		return nil, "", false
	}
	data, err := src.res.readResource(name)
	switch {
	case err == nil:
		return data, "", true
	case errors.Is(err, fs.ErrNotExist):
		r.errorf("RESOURCE_NOT_FOUND", pointer, "uri %q: no file %q beside the .gltf", truncateURI(uri), name)
	case errors.Is(err, errZipBomb):
		r.errorf("ZIP_BOMB", pointer, "uri %q: %v", truncateURI(uri), err)
	case errors.Is(err, ErrTooLarge):
		r.errorf("LIMIT_EXCEEDED", pointer, "uri %q: %v", truncateURI(uri), err)
	default:
		r.errorf("RESOURCE_UNREADABLE", pointer, "uri %q: %v", truncateURI(uri), err)
	}
	return nil, "", false
}

// binAlign is the alignment of each buffer and image packed into BIN; 8
// covers every accessor component size and double-precision extensions.
const binAlign = 8

// pack resolves every buffer and uri image and, when the document is not
// already in GLB form, rewrites it to a single BIN buffer: buffers are
// concatenated (each start aligned to 8 bytes) with bufferView offsets
// rewritten, and uri images become new bufferViews with their mimeType set.
func pack(doc *Document, js []byte, src source, lim Limits, r *report) *Asset {
	buffers := make([][]byte, len(doc.Buffers))
	needPack := false
	for i, b := range doc.Buffers {
		p := ptr("buffers", i)
		var data []byte
		switch {
		case b.URI == "" && src.glb && i == 0:
			if !src.hasBIN {
				r.errorf("BUFFER_MISSING_GLB_DATA", p, "buffer 0 has no uri, so it is the GLB BIN chunk, but the file has no BIN chunk")
				continue
			}
			data = src.bin
			if len(data) > pad4(b.ByteLength) {
				r.warnf("BUFFER_GLB_CHUNK_TOO_BIG", p, "the BIN chunk is %d bytes, more than buffer 0's byteLength %d needs", len(data), b.ByteLength)
			}
		case b.URI == "":
			r.errorf("BUFFER_MISSING_DATA", p, "buffer %d has no uri and no data to refer to", i)
			continue
		default:
			needPack = true
			var ok bool
			if data, _, ok = resolveURI(b.URI, p+"/uri", src, lim, r); !ok {
				continue
			}
		}
		if len(data) < b.ByteLength {
			r.errorf("BUFFER_BYTE_LENGTH_MISMATCH", p+"/byteLength", "buffer %d declares %d bytes but its data has only %d", i, b.ByteLength, len(data))
			continue
		}
		buffers[i] = data[:b.ByteLength]
	}
	if src.glb && src.hasBIN && (len(doc.Buffers) == 0 || doc.Buffers[0].URI != "") {
		r.warnf("GLB_UNUSED_BIN", "", "the GLB has a BIN chunk but buffer 0 does not refer to it; it is dropped")
	}
	if len(doc.Buffers) > 1 {
		needPack = true
	}
	type resolvedImage struct {
		data      []byte
		mediaType string
	}
	images := make(map[int]resolvedImage)
	for i, img := range doc.Images {
		if img.URI == "" {
			continue
		}
		needPack = true
		p := ptr("images", i, "uri")
		if img.BufferView != nil {
			r.errorf("IMAGE_URI_AND_BUFFER_VIEW", ptr("images", i), "image %d has both a uri and a bufferView", i)
			continue
		}
		data, mediaType, ok := resolveURI(img.URI, p, src, lim, r)
		if !ok {
			continue
		}
		images[i] = resolvedImage{data, mediaType}
	}
	if r.hasErrors() {
		return nil
	}
	if !needPack {
		var bin []byte
		if len(buffers) == 1 {
			bin = buffers[0]
		}
		// A BIN chunk's trailing padding is dropped by the slice above, so
		// BIN always has exactly buffer 0's byteLength.
		return &Asset{Doc: doc, JSON: js, BIN: bin}
	}

	total := 0
	for _, b := range buffers {
		total = alignUp(total, binAlign) + len(b)
	}
	for i := range doc.Images {
		if img, ok := images[i]; ok {
			total = alignUp(total, binAlign) + len(img.data)
		}
	}
	bin := make([]byte, 0, total)
	offsets := make([]int, len(buffers))
	for i, b := range buffers {
		bin = appendAligned(bin, binAlign)
		offsets[i] = len(bin)
		bin = append(bin, b...)
	}
	packed := *doc
	packed.BufferViews = make([]BufferView, len(doc.BufferViews), len(doc.BufferViews)+len(images))
	for i, bv := range doc.BufferViews {
		bv.ByteOffset += offsets[bv.Buffer]
		bv.Buffer = 0
		packed.BufferViews[i] = bv
	}
	packed.Images = append([]Image(nil), doc.Images...)
	for i := range packed.Images {
		img, ok := images[i]
		if !ok {
			continue
		}
		bin = appendAligned(bin, binAlign)
		view := len(packed.BufferViews)
		packed.BufferViews = append(packed.BufferViews, BufferView{Buffer: 0, ByteOffset: len(bin), ByteLength: len(img.data)})
		bin = append(bin, img.data...)
		im := &packed.Images[i]
		im.URI = ""
		im.BufferView = &view
		if im.MimeType == "" {
			im.MimeType = img.mediaType
			if sniffed := sniffImage(img.data); sniffed != "" {
				im.MimeType = sniffed
			}
		}
	}
	packed.Buffers = nil
	if len(bin) > 0 {
		packed.Buffers = []Buffer{{ByteLength: len(bin)}}
	}
	newJSON, err := json.Marshal(&packed)
	if err != nil {
		r.errorf("INTERNAL", "", "re-encoding the packed JSON failed: %v", err)
		return nil
	}
	return &Asset{Doc: &packed, JSON: newJSON, BIN: bin}
}

func alignUp(n, align int) int { return (n + align - 1) / align * align }

func appendAligned(b []byte, align int) []byte {
	for len(b)%align != 0 {
		b = append(b, 0)
	}
	return b
}

// ParseGLTFDir parses a .gltf file on disk whose buffers and images are read
// from beside it through os.OpenRoot on its folder, so nothing outside that
// folder (symlinks included) can be read. The result is packed into GLB
// form like ParseZip's. The .gltf plus its resources may total at most
// lim.MaxBytes. An unreadable path is a plain error; content problems are
// *InvalidError.
func ParseGLTFDir(gltfPath string, lim Limits) (*Asset, error) {
	root, err := os.OpenRoot(filepath.Dir(gltfPath))
	if err != nil {
		return nil, fmt.Errorf("gltf: open the folder of %s: %w", gltfPath, err)
	}
	defer root.Close()
	res := &dirResolver{root: root, budget: lim.MaxBytes}
	js, err := res.read(filepath.Base(gltfPath), lim.MaxJSONBytes)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			r := &report{}
			r.errorf("LIMIT_EXCEEDED", "", "MaxJSONBytes: %s: %v", filepath.Base(gltfPath), err)
			return nil, r.err()
		}
		return nil, fmt.Errorf("gltf: read %s: %w", gltfPath, err)
	}
	return parseGLTFJSON(js, res, lim)
}

// parseGLTFJSON parses .gltf JSON whose resources come from res.
func parseGLTFJSON(js []byte, res resourceResolver, lim Limits) (*Asset, error) {
	r := &report{}
	doc := decodeDocument(js, lim, r)
	if doc == nil {
		return nil, r.err()
	}
	return buildAsset(doc, js, source{res: res}, lim, r)
}

// dirResolver reads resources from a folder through an os.Root, within a
// total byte budget.
type dirResolver struct {
	root   *os.Root
	budget int64
}

func (d *dirResolver) readResource(name string) ([]byte, error) {
	return d.read(filepath.FromSlash(name), d.budget)
}

// read reads a regular file of at most max bytes (and at most the remaining
// budget), checking the size before allocating and again while reading.
func (d *dirResolver) read(name string, max int64) ([]byte, error) {
	f, err := d.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", name, errResourceInvalid)
	}
	limit := min(max, d.budget)
	if info.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the remaining budget of %d (MaxBytes): %w", name, info.Size(), limit, ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s grew past the remaining budget of %d bytes while being read: %w", name, limit, ErrTooLarge)
	}
	d.budget -= int64(len(data))
	return data, nil
}
