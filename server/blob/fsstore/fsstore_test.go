package fsstore

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/blobtest"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t) })
}

// tmpEntries lists what is in the store's temporary directory.
func tmpEntries(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Root(), tmpDirName))
	if err != nil {
		t.Fatalf("reading temporary directory: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func keys(t *testing.T, s *Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	var got []string
	for _, info := range infos {
		got = append(got, info.Key)
	}
	return got
}

func TestNewRemovesLeftoverTempFiles(t *testing.T) {
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Put(t.Context(), "kept/object", strings.NewReader("kept"), 4, blob.PutOptions{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// Simulate a crash mid-Put: a partial temporary file and a stray
	// directory left in .tmp.
	tmp := filepath.Join(root, tmpDirName)
	if err := os.WriteFile(filepath.Join(tmp, "put-123"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "stray", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s, ""); !slices.Equal(got, []string{"kept/object"}) {
		t.Fatalf("List sees temporary files: %q", got)
	}
	if _, err := s.Stat(t.Context(), ".tmp/put-123"); !errors.Is(err, blob.ErrInvalidKey) {
		t.Fatalf("Stat(.tmp/put-123) = %v, want ErrInvalidKey (reserved)", err)
	}
	for _, prefix := range []string{".tmp", ".tmp/", ".tmp/put"} {
		if got := keys(t, s, prefix); len(got) != 0 {
			t.Fatalf("List(%q) = %q, want nothing from the temporary directory", prefix, got)
		}
	}

	s2, err := New(root)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	if got := tmpEntries(t, s2); len(got) != 0 {
		t.Fatalf("New left temporary files: %q", got)
	}
	data, err := os.ReadFile(filepath.Join(root, "kept", "object"))
	if err != nil || string(data) != "kept" {
		t.Fatalf("New disturbed a stored object: %q, %v", data, err)
	}
}

func TestFailedPutLeavesNoTempFile(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name     string
		r        io.Reader
		declared int64
	}{
		{"short", strings.NewReader("abc"), 10},
		{"long", strings.NewReader("abcdef"), 3},
		{"reader error", io.MultiReader(strings.NewReader("abc"), errorReader{}), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Put(t.Context(), "x/y", tt.r, tt.declared, blob.PutOptions{}); err == nil {
				t.Fatal("Put succeeded, want an error")
			}
			if got := tmpEntries(t, s); len(got) != 0 {
				t.Fatalf("failed Put left %q in the temporary directory", got)
			}
			if _, err := os.Stat(filepath.Join(s.Root(), "x", "y")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("failed Put left an object file: %v", err)
			}
		})
	}
	// And a successful one leaves nothing behind either.
	if err := s.Put(t.Context(), "x/y", strings.NewReader("abc"), 3, blob.PutOptions{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := tmpEntries(t, s); len(got) != 0 {
		t.Fatalf("successful Put left %q in the temporary directory", got)
	}
}

type errorReader struct{}

func (errorReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestDeletePrunesEmptyDirectories(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, key := range []string{"a/b/c/d", "a/b/e", "f/g"} {
		if err := s.Put(ctx, key, bytes.NewReader([]byte(key)), int64(len(key)), blob.PutOptions{}); err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
	}
	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(s.Root(), filepath.FromSlash(rel)))
		return err == nil
	}
	steps := []struct {
		del     string
		gone    []string
		present []string
	}{
		// a/b still holds e, so only a/b/c goes.
		{"a/b/c/d", []string{"a/b/c"}, []string{"a/b", "a/b/e"}},
		// now a/b and a are empty.
		{"a/b/e", []string{"a/b", "a"}, []string{"f/g", tmpDirName}},
		{"f/g", []string{"f"}, []string{tmpDirName}},
	}
	for _, st := range steps {
		if err := s.Delete(ctx, st.del); err != nil {
			t.Fatalf("Delete(%q): %v", st.del, err)
		}
		for _, p := range st.gone {
			if exists(p) {
				t.Errorf("after Delete(%q), %s still exists", st.del, p)
			}
		}
		for _, p := range st.present {
			if !exists(p) {
				t.Errorf("after Delete(%q), %s is gone", st.del, p)
			}
		}
	}
	if !exists("") {
		t.Fatal("Delete removed the root")
	}
	entries, err := os.ReadDir(s.Root())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != tmpDirName {
		t.Fatalf("root holds %v after deleting everything, want only %s", entries, tmpDirName)
	}
}

func TestKeyConflictsBetweenObjectAndDirectory(t *testing.T) {
	// S3 allows both "a" and "a/b"; a filesystem cannot. Such Puts fail
	// cleanly and change nothing.
	s := newStore(t)
	ctx := t.Context()
	put := func(key string) error {
		return s.Put(ctx, key, strings.NewReader("v"), 1, blob.PutOptions{})
	}
	if err := put("obj"); err != nil {
		t.Fatal(err)
	}
	if err := put("obj/child"); err == nil {
		t.Fatal("Put(obj/child) under an object succeeded")
	}
	if err := put("dir/child"); err != nil {
		t.Fatal(err)
	}
	if err := put("dir"); err == nil {
		t.Fatal("Put(dir) over a directory of keys succeeded")
	}
	if got := keys(t, s, ""); !slices.Equal(got, []string{"dir/child", "obj"}) {
		t.Fatalf("List = %q", got)
	}
	if got := tmpEntries(t, s); len(got) != 0 {
		t.Fatalf("conflicting Puts left %q in the temporary directory", got)
	}
}

func TestRejectsOverlongSegment(t *testing.T) {
	s := newStore(t)
	key := "a/" + strings.Repeat("n", maxSegmentBytes+1)
	err := s.Put(t.Context(), key, strings.NewReader("x"), 1, blob.PutOptions{})
	if !errors.Is(err, blob.ErrInvalidKey) {
		t.Fatalf("Put with a %d-byte segment = %v, want ErrInvalidKey", maxSegmentBytes+1, err)
	}
}

func TestGetReturnsFile(t *testing.T) {
	s := newStore(t)
	if err := s.Put(t.Context(), "m.glb", strings.NewReader("glTF"), 4, blob.PutOptions{ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	rc, info, err := s.Get(t.Context(), "m.glb")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, ok := rc.(*os.File); !ok {
		t.Fatalf("Get returned %T, want *os.File", rc)
	}
	// The filesystem keeps no metadata: the type comes from the extension.
	if info.ContentType != "model/gltf-binary" {
		t.Fatalf("ContentType = %q, want the extension's model/gltf-binary", info.ContentType)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(""); err == nil {
		t.Fatal("New(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(file); err == nil {
		t.Fatal("New on a regular file succeeded")
	}
}
