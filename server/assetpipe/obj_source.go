package assetpipe

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// ParseModel reads a model upload in any accepted form: a GLB, a zip of a
// .gltf and its resources, a zip of one .obj with its .mtl files and
// textures, or a bare .obj that needs no other file. It returns the
// validated asset and the GLB to store (the upload itself when it is a
// GLB). Content problems come back as *gltf.InvalidError; an OBJ's
// problems name "file.obj:line" where a glTF's name a JSON pointer.
func ParseModel(data []byte, lim gltf.Limits) (*gltf.Asset, []byte, error) {
	var src objSource
	var objName string
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		z, name, r := openOBJZip(data, lim)
		if r != nil && r.errors > 0 {
			return nil, nil, &gltf.InvalidError{Problems: r.sorted()}
		}
		if z != nil {
			src, objName = z, name
		}
	case looksLikeOBJ(data):
		if int64(len(data)) > lim.MaxBytes {
			return nil, nil, &gltf.InvalidError{Problems: []gltf.Problem{{Severity: gltf.SeverityError, Code: "LIMIT_EXCEEDED",
				Message: fmt.Sprintf("MaxBytes: the file is %d bytes, over the limit of %d", len(data), lim.MaxBytes)}}}
		}
		src, objName = &bareOBJ{data: data}, bareOBJName
	}
	if src != nil {
		return convertOBJ(src, objName, lim)
	}
	a, err := gltf.Parse(data, lim)
	if err != nil {
		return nil, nil, err
	}
	if bytes.HasPrefix(data, []byte("glTF")) {
		return a, data, nil
	}
	glb, err := a.GLB()
	if err != nil {
		return nil, nil, fmt.Errorf("assetpipe: pack GLB: %w", err)
	}
	return a, glb, nil
}

// ReadModelFile reads a model file from disk as an upload of it would be
// read: a .glb or .zip whole, a .gltf with its resources and an .obj with
// its .mtl files and textures from its folder (never from outside it).
// Content problems come back as *gltf.InvalidError; other errors are for
// unusable arguments (unreadable file, unknown extension).
func ReadModelFile(file string, lim gltf.Limits) (*gltf.Asset, []byte, error) {
	switch ext := strings.ToLower(filepath.Ext(file)); ext {
	case ".gltf":
		a, err := gltf.ParseGLTFDir(file, lim)
		if err != nil {
			return nil, nil, err
		}
		glb, err := a.GLB()
		if err != nil {
			return nil, nil, fmt.Errorf("assetpipe: pack GLB: %w", err)
		}
		return a, glb, nil
	case ".obj":
		root, err := os.OpenRoot(filepath.Dir(file))
		if err != nil {
			return nil, nil, fmt.Errorf("assetpipe: read %s: %w", file, err)
		}
		defer root.Close()
		name := filepath.Base(file)
		if _, err := root.Stat(name); err != nil {
			return nil, nil, fmt.Errorf("assetpipe: read %s: %w", file, err)
		}
		return convertOBJ(&dirOBJ{root: root, budget: lim.MaxBytes}, name, lim)
	case ".glb":
		data, err := readFileBounded(file, lim.MaxBytes)
		if err != nil {
			return nil, nil, err
		}
		a, err := gltf.ParseGLB(data, lim)
		if err != nil {
			return nil, nil, err
		}
		return a, data, nil
	case ".zip":
		data, err := readFileBounded(file, lim.MaxBytes)
		if err != nil {
			return nil, nil, err
		}
		return ParseModel(data, lim)
	default:
		return nil, nil, fmt.Errorf("assetpipe: read %s: unknown file type %q (want .glb, .gltf, .obj or .zip)", file, ext)
	}
}

func readFileBounded(file string, maxBytes int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("assetpipe: read model: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("assetpipe: read %s: %w", file, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, &gltf.InvalidError{Problems: []gltf.Problem{{Severity: gltf.SeverityError, Code: "LIMIT_EXCEEDED",
			Message: fmt.Sprintf("MaxBytes: the file is over the limit of %d bytes", maxBytes)}}}
	}
	return data, nil
}

// bareOBJName names a bare .obj upload in problem locations (an upload
// body has no file name).
const bareOBJName = "model.obj"

// objKeywords are the statements an OBJ file starts with (after comments
// and blank lines); looksLikeOBJ needs one of them.
var objKeywords = map[string]bool{"v": true, "vt": true, "vn": true, "vp": true, "f": true, "o": true, "g": true, "s": true,
	"mtllib": true, "usemtl": true, "l": true, "p": true}

// looksLikeOBJ reports whether data reads as OBJ text: no NUL byte in its
// first 4 KiB and a first statement that is an OBJ keyword.
func looksLikeOBJ(data []byte) bool {
	head := data[:min(len(data), 4096)]
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	for _, line := range bytes.Split(head, []byte{'\n'}) {
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := bytes.Fields(line)
		if len(fields) == 0 {
			continue
		}
		return objKeywords[string(fields[0])]
	}
	return false
}

// objSource reads the files an OBJ names, by slash-separated paths
// relative to the upload's root, within a shared byte budget.
type objSource interface {
	read(name string, maxBytes int64) ([]byte, error)
}

// errOverBudget is wrapped when a file would take the reads past the
// upload's byte budget.
var errOverBudget = errors.New("over the upload's byte limit")

// bareOBJ is a bare .obj upload: it holds the OBJ and nothing else.
type bareOBJ struct{ data []byte }

func (b *bareOBJ) read(name string, maxBytes int64) ([]byte, error) {
	if name != bareOBJName {
		return nil, fmt.Errorf("%q: %w (a bare .obj upload holds no other file; upload a zip)", name, fs.ErrNotExist)
	}
	return b.data, nil
}

// dirOBJ reads files from one folder on disk, never outside it.
type dirOBJ struct {
	root   *os.Root
	budget int64
}

func (d *dirOBJ) read(name string, maxBytes int64) ([]byte, error) {
	f, err := d.root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	limit := min(maxBytes, d.budget)
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%q is over %d bytes: %w", name, limit, errOverBudget)
	}
	d.budget -= int64(len(data))
	return data, nil
}

// zipOBJ reads the entries of an OBJ zip through gltf.Archive (the zip-bomb
// and name checks, one budget of decompressed bytes), with names matched
// case-insensitively when no entry has the exact name.
type zipOBJ struct {
	arc    *gltf.Archive
	folded map[string]string // lower-cased name → name
}

func (z *zipOBJ) read(name string, maxBytes int64) ([]byte, error) {
	if _, ok := z.folded[strings.ToLower(name)]; ok && !slices.Contains(z.arc.Names(), name) {
		name = z.folded[strings.ToLower(name)]
	}
	data, err := z.arc.Read(name, maxBytes)
	if errors.Is(err, gltf.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w", err, errOverBudget)
	}
	return data, err
}

// openOBJZip claims a zip for the OBJ path when it holds one or more .obj
// files and no .gltf or .glb; anything else (including an unreadable zip)
// is left to gltf.Parse, which reports on it. A claimed zip is opened with
// gltf.OpenArchive, whose problems are returned, and must hold a single
// .obj.
func openOBJZip(data []byte, lim gltf.Limits) (*zipOBJ, string, *objProblems) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if errors.Is(err, zip.ErrInsecurePath) && zr != nil {
		err = nil // names are checked by gltf.OpenArchive
	}
	if err != nil || int64(len(data)) > lim.MaxBytes || len(zr.File) > lim.MaxZipEntries {
		return nil, "", nil
	}
	claimed := false
	for _, f := range zr.File {
		switch strings.ToLower(path.Ext(f.Name)) {
		case ".gltf", ".glb":
			if !ignoredEntry(f.Name) {
				return nil, "", nil
			}
		case ".obj":
			claimed = claimed || !ignoredEntry(f.Name) && !f.FileInfo().IsDir()
		}
	}
	if !claimed {
		return nil, "", nil
	}
	r := &objProblems{}
	arc, err := gltf.OpenArchive(data, lim)
	if err != nil {
		var inv *gltf.InvalidError
		if !errors.As(err, &inv) {
			r.errorf("ZIP_INVALID", "", "the zip cannot be opened: %v", err)
			return nil, "", r
		}
		for _, p := range inv.Problems {
			r.add(p.Severity, p.Code, p.Pointer, "%s", p.Message)
		}
		return nil, "", r
	}
	z := &zipOBJ{arc: arc, folded: map[string]string{}}
	var objs []string
	for _, name := range arc.Names() {
		z.folded[strings.ToLower(name)] = name
		if strings.EqualFold(path.Ext(name), ".obj") {
			objs = append(objs, name)
		}
	}
	if len(objs) > 1 {
		r.errorf("ZIP_MULTIPLE_MODELS", "", "the zip holds %d .obj files (%s); it must hold exactly one", len(objs), truncate(strings.Join(objs, ", "), 200))
		return nil, "", r
	}
	return z, objs[0], r
}

// ignoredEntry reports entries archivers add that are not content (the
// same entries gltf.OpenArchive skips).
func ignoredEntry(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(base, "._") || base == ".DS_Store"
}

// resolveRef turns a path written in an OBJ or MTL file into a path inside
// the upload, relative to dir (the folder of the file that names it).
// Backslashes (written by Windows exporters) are read as separators. It
// fails for absolute paths, drive letters, URLs and paths that climb out
// with "..".
func resolveRef(dir, ref string) (string, bool) {
	p := strings.ReplaceAll(strings.TrimSpace(ref), `\`, "/")
	if p == "" || strings.HasPrefix(p, "/") || len(p) >= 2 && p[1] == ':' || strings.Contains(p, "://") {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", false
		}
	}
	full := path.Clean(path.Join(dir, p))
	if !gltf.SafeRelPath(full) {
		return "", false
	}
	return full, true
}
