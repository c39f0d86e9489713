package gltf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CheckFile validates a model file as the upload path would and returns
// every problem found (errors and warnings; none means valid). A .glb is
// read with ParseGLB, a .gltf with ParseGLTFDir (resources only from its
// folder) and a .zip with ParseZip. The error is only for unusable
// arguments: an unreadable file or an unknown extension.
func CheckFile(path string, lim Limits) ([]Problem, error) {
	ext := strings.ToLower(filepath.Ext(path))
	var asset *Asset
	var err error
	switch ext {
	case ".gltf":
		asset, err = ParseGLTFDir(path, lim)
	case ".glb", ".zip":
		var data []byte
		data, err = readFileBounded(path, lim.MaxBytes)
		if err != nil {
			var inv *InvalidError
			if errors.As(err, &inv) {
				return inv.Problems, nil
			}
			return nil, err
		}
		if ext == ".glb" {
			asset, err = ParseGLB(data, lim)
		} else {
			asset, err = ParseZip(data, lim)
		}
	default:
		return nil, fmt.Errorf("gltf: check %s: unknown file type %q (want .glb, .gltf or .zip)", path, ext)
	}
	if err != nil {
		var inv *InvalidError
		if errors.As(err, &inv) {
			return inv.Problems, nil
		}
		return nil, err
	}
	return asset.Warnings, nil
}

// readFileBounded reads a regular file of at most maxBytes; a larger file is
// an *InvalidError (LIMIT_EXCEEDED), like an oversized upload.
func readFileBounded(path string, maxBytes int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gltf: check: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("gltf: check: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("gltf: check %s: not a regular file", path)
	}
	tooBig := func(size int64) error {
		r := &report{}
		r.errorf("LIMIT_EXCEEDED", "", "MaxBytes: the file is %d bytes, over the limit of %d", size, maxBytes)
		return r.err()
	}
	if info.Size() > maxBytes {
		return nil, tooBig(info.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("gltf: check: read %s: %w", path, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, tooBig(int64(len(data)))
	}
	return data, nil
}
