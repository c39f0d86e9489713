package gltf

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// zipRatioFloor is the uncompressed size above which MaxZipRatio applies;
// small, highly repetitive files (JSON, zero padding) legitimately compress
// very well.
const zipRatioFloor = 1 << 20

// ParseZip parses a zip holding exactly one .gltf (with its resources,
// resolved relative to the .gltf's folder inside the zip) or a single .glb.
// It defends against zip bombs before reading anything: the entry count,
// the declared uncompressed total and each entry's compression ratio are
// checked against the limits, and entries are read through io.LimitReader
// so an entry lying about its size cannot expand past them either. The
// result is packed into GLB form. Content problems are *InvalidError.
func ParseZip(data []byte, lim Limits) (*Asset, error) {
	r := &report{}
	res, gltfName, glbName := openZip(data, lim, r)
	if r.hasErrors() {
		return nil, r.err()
	}
	if glbName != "" {
		glb, err := res.readEntry(glbName, lim.MaxBytes)
		if err != nil {
			reportZipReadError(r, glbName, err)
			return nil, r.err()
		}
		return ParseGLB(glb, lim)
	}
	js, err := res.readEntry(gltfName, lim.MaxJSONBytes)
	if err != nil {
		reportZipReadError(r, gltfName, err)
		return nil, r.err()
	}
	res.dir = path.Dir(gltfName)
	return parseGLTFJSON(js, res, lim)
}

func reportZipReadError(r *report, name string, err error) {
	switch {
	case errors.Is(err, errZipBomb):
		r.errorf("ZIP_BOMB", "", "zip entry %q: %v", name, err)
	case errors.Is(err, ErrTooLarge):
		r.errorf("LIMIT_EXCEEDED", "", "zip entry %q: %v", name, err)
	default:
		r.errorf("ZIP_INVALID", "", "zip entry %q cannot be read: %v", name, err)
	}
}

// openZip opens the archive (openArchive) and finds the model entry: the
// single .gltf, or else the single .glb.
func openZip(data []byte, lim Limits, r *report) (res *zipResolver, gltfName, glbName string) {
	res = openArchive(data, lim, r)
	if res == nil {
		return nil, "", ""
	}
	var gltfs, glbs []string
	for _, name := range res.names {
		switch strings.ToLower(path.Ext(name)) {
		case ".gltf":
			gltfs = append(gltfs, name)
		case ".glb":
			glbs = append(glbs, name)
		}
	}
	switch {
	case len(gltfs) == 1:
		return res, gltfs[0], ""
	case len(gltfs) > 1:
		r.errorf("ZIP_MULTIPLE_MODELS", "", "the zip holds %d .gltf files (%s); it must hold exactly one", len(gltfs), strings.Join(gltfs, ", "))
	case len(glbs) == 1:
		return res, "", glbs[0]
	case len(glbs) > 1:
		r.errorf("ZIP_MULTIPLE_MODELS", "", "the zip holds %d .glb files and no .gltf; it must hold exactly one model", len(glbs))
	default:
		r.errorf("ZIP_NO_MODEL", "", "the zip holds no .gltf (or .glb) file")
	}
	return nil, "", ""
}

// openArchive reads the zip's central directory and applies the zip-bomb
// and name checks: the entry count, the declared uncompressed total, each
// entry's compression ratio, entry names (no absolute paths, "..",
// backslashes or control characters) and duplicates. Archiver metadata
// (ignoredZipEntry) is skipped. It returns nil when the archive as a whole
// is refused; refused entries are reported and left out.
func openArchive(data []byte, lim Limits, r *report) *zipResolver {
	if int64(len(data)) > lim.MaxBytes {
		r.errorf("LIMIT_EXCEEDED", "", "MaxBytes: the zip is %d bytes, over the limit of %d", len(data), lim.MaxBytes)
		return nil
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if errors.Is(err, zip.ErrInsecurePath) && zr != nil {
		err = nil // entry names are checked below
	}
	if err != nil {
		r.errorf("ZIP_INVALID", "", "not a readable zip archive: %v", err)
		return nil
	}
	if len(zr.File) > lim.MaxZipEntries {
		r.errorf("ZIP_TOO_MANY_ENTRIES", "", "MaxZipEntries: the zip has %d entries, over the limit of %d", len(zr.File), lim.MaxZipEntries)
		return nil
	}
	res := &zipResolver{files: make(map[string]*zip.File, len(zr.File)), budget: lim.MaxZipUncompressedBytes, ratio: lim.MaxZipRatio}
	var declared uint64
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || ignoredZipEntry(f.Name) {
			continue
		}
		declared += f.UncompressedSize64
		if declared > uint64(lim.MaxZipUncompressedBytes) {
			r.errorf("ZIP_BOMB", "", "MaxZipUncompressedBytes: the zip's entries declare more than %d uncompressed bytes", lim.MaxZipUncompressedBytes)
			return nil
		}
		if err := checkZipRatio(f, lim.MaxZipRatio); err != nil {
			r.errorf("ZIP_BOMB", "", "zip entry %q: %v", truncateURI(f.Name), err)
			return nil
		}
		if !SafeRelPath(f.Name) {
			r.errorf("ZIP_ENTRY_NAME_INVALID", "", "zip entry name %q is absolute, has a drive letter, contains '..', a backslash or a control character", truncateURI(f.Name))
			continue
		}
		if _, dup := res.files[f.Name]; dup {
			r.errorf("ZIP_DUPLICATE_ENTRY", "", "zip entry %q appears twice", truncateURI(f.Name))
			continue
		}
		res.files[f.Name] = f
		res.names = append(res.names, f.Name)
	}
	return res
}

// Archive is a zip upload whose entries passed the zip-bomb and name
// checks ParseZip applies, for formats other than glTF that arrive zipped
// (an OBJ with its .mtl files and textures). Reads share one budget of
// decompressed bytes (Limits.MaxZipUncompressedBytes).
type Archive struct{ res *zipResolver }

// OpenArchive opens a zip upload. Problems with the archive or its entries
// come back as *InvalidError; an entry refused for its name is an error
// too, so a returned Archive holds every content entry.
func OpenArchive(data []byte, lim Limits) (*Archive, error) {
	r := &report{}
	res := openArchive(data, lim, r)
	if r.hasErrors() {
		return nil, r.err()
	}
	return &Archive{res: res}, nil
}

// Names lists the archive's content entries in archive order.
func (a *Archive) Names() []string { return a.res.names }

// Read decompresses one entry, at most max bytes and the remaining budget.
// A missing entry wraps fs.ErrNotExist; one over the budget wraps
// ErrTooLarge; one that expands past its declared size is refused too.
func (a *Archive) Read(name string, max int64) ([]byte, error) {
	b, err := a.res.readEntry(name, max)
	if err != nil {
		return nil, fmt.Errorf("zip entry %q: %w", name, err)
	}
	return b, nil
}

// ignoredZipEntry reports entries archivers add that are not content:
// macOS resource forks and Finder metadata.
func ignoredZipEntry(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(base, "._") || base == ".DS_Store"
}

// SafeRelPath reports whether name is a relative slash path that stays
// inside its root: not empty or absolute, no drive letter, no ".." segment,
// no backslash or control character. Zip entry names must be such paths,
// and so must the files an OBJ upload names.
func SafeRelPath(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || len(name) >= 2 && name[1] == ':' {
		return false
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return false
		}
	}
	return true
}

func checkZipRatio(f *zip.File, maxRatio int) error {
	if f.UncompressedSize64 <= zipRatioFloor {
		return nil
	}
	compressed := max(f.CompressedSize64, 1)
	if f.UncompressedSize64/compressed > uint64(maxRatio) {
		return fmt.Errorf("MaxZipRatio: %d compressed bytes expand to %d, a ratio over %d: %w", f.CompressedSize64, f.UncompressedSize64, maxRatio, errZipBomb)
	}
	return nil
}

// zipResolver reads zip entries relative to dir, within a shared budget of
// actually decompressed bytes.
type zipResolver struct {
	files  map[string]*zip.File
	names  []string // content entries in archive order
	dir    string
	budget int64
	ratio  int
}

func (z *zipResolver) readResource(name string) ([]byte, error) {
	full := path.Join(z.dir, name)
	if _, ok := z.files[full]; !ok {
		return nil, fmt.Errorf("zip entry %q: %w", full, fs.ErrNotExist)
	}
	return z.readEntry(full, z.budget)
}

// readEntry decompresses one entry, reading at most its declared size, max
// and the remaining budget (plus one byte, to detect an entry that lies).
func (z *zipResolver) readEntry(name string, max int64) ([]byte, error) {
	f := z.files[name]
	if f == nil {
		return nil, fmt.Errorf("zip entry %q: %w", name, fs.ErrNotExist)
	}
	limit := min(max, z.budget)
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("declares %d uncompressed bytes, over the remaining limit of %d: %w", f.UncompressedSize64, limit, ErrTooLarge)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	want := int64(f.UncompressedSize64)
	buf := bytes.NewBuffer(make([]byte, 0, want))
	n, err := io.Copy(buf, io.LimitReader(rc, want+1))
	if n > want {
		return nil, fmt.Errorf("expands past its declared %d bytes: %w", want, errZipBomb)
	}
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
			return nil, fmt.Errorf("corrupt entry: %w", err)
		}
		return nil, err
	}
	if n < want {
		return nil, fmt.Errorf("holds %d bytes, fewer than its declared %d: %w", n, want, zip.ErrFormat)
	}
	z.budget -= n
	return buf.Bytes(), nil
}
