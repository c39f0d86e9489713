// Package blobtest is the contract every blob.Store implementation must
// meet, written once as a test suite. A store's tests call Run with a
// constructor for fresh, empty stores; the filesystem and S3 stores run the
// very same checks, which is what makes them interchangeable.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
)

// clockSlack bounds how far Info.Modified may sit outside the interval in
// which the Put ran: filesystems and S3 servers round times (S3 to whole
// seconds).
const clockSlack = 2 * time.Second

// Run runs the blob.Store contract as subtests of t. newStore must return a
// new, empty store for each call, cleaning it up through t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	t.Run("PutGetStat", func(t *testing.T) { testPutGetStat(t, newStore(t)) })
	t.Run("ContentTypeFromKey", func(t *testing.T) { testContentTypeFromKey(t, newStore(t)) })
	t.Run("EmptyObject", func(t *testing.T) { testEmptyObject(t, newStore(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, newStore(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newStore(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, newStore(t)) })
	t.Run("InvalidPrefixes", func(t *testing.T) { testInvalidPrefixes(t, newStore(t)) })
	t.Run("SizeMismatch", func(t *testing.T) { testSizeMismatch(t, newStore) })
	t.Run("ListPrefix", func(t *testing.T) { testListPrefix(t, newStore(t)) })
	t.Run("ListEmpty", func(t *testing.T) { testListEmpty(t, newStore(t)) })
	t.Run("LargeObject", func(t *testing.T) { testLargeObject(t, newStore(t)) })
	t.Run("Seek", func(t *testing.T) { testSeek(t, newStore(t)) })
	t.Run("ContextCancelled", func(t *testing.T) { testContextCancelled(t, newStore(t)) })
	t.Run("CancelDuringPut", func(t *testing.T) { testCancelDuringPut(t, newStore(t)) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, newStore(t)) })
	t.Run("ETag", func(t *testing.T) { testETag(t, newStore(t)) })
}

// testETag: the ETag is stable while an object is unchanged, agrees
// between Stat and List, and changes when the content does (the catalog
// relies on this to notice other servers' writes).
func testETag(t *testing.T, st blob.Store) {
	ctx := context.Background()
	put := func(content string) {
		t.Helper()
		if err := st.Put(ctx, "etag/a.json", strings.NewReader(content), int64(len(content)), blob.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put(`{"v":1}`)
	first, err := st.Stat(ctx, "etag/a.json")
	if err != nil {
		t.Fatal(err)
	}
	if first.ETag == "" {
		t.Fatal("Stat gave an empty ETag")
	}
	listed, err := st.List(ctx, "etag/")
	if err != nil || len(listed) != 1 || listed[0].ETag != first.ETag {
		t.Fatalf("List ETag %v (%v); want %q from Stat", listed, err, first.ETag)
	}
	if again, _ := st.Stat(ctx, "etag/a.json"); again.ETag != first.ETag {
		t.Fatalf("ETag changed without a write: %q then %q", first.ETag, again.ETag)
	}
	put(`{"v":2}`) // same size, different content
	second, err := st.Stat(ctx, "etag/a.json")
	if err != nil {
		t.Fatal(err)
	}
	if second.ETag == first.ETag {
		t.Fatalf("ETag %q unchanged after the content changed", first.ETag)
	}
}

// streamOnly hides every method but Read, so stores cannot take the
// io.Seeker / io.ReaderAt shortcuts and must stream.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(p []byte) (int, error) { return s.r.Read(p) }

// failingReader yields its data and then err instead of io.EOF.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// randomBytes returns n deterministic pseudo-random bytes for seed.
func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var word [8]byte
		binary.LittleEndian.PutUint64(word[:], rng.Uint64())
		copy(b[i:], word[:])
	}
	return b
}

func put(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	opts := blob.PutOptions{ContentType: blob.ContentTypeFor(key)}
	if err := s.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)), opts); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(data), err)
	}
}

func get(t *testing.T, s blob.Store, key string) ([]byte, blob.Info) {
	t.Helper()
	rc, info, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): reading: %v", key, err)
	}
	return data, info
}

// wantContent fails t unless key holds exactly want.
func wantContent(t *testing.T, s blob.Store, key string, want []byte) {
	t.Helper()
	got, info := get(t, s, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes (sha256 %x), want %d bytes (sha256 %x)",
			key, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
	if info.SizeBytes != int64(len(want)) {
		t.Fatalf("Get(%q) Info.SizeBytes = %d, want %d", key, info.SizeBytes, len(want))
	}
}

// wantMissing fails t unless key is absent from Stat, Get and List.
func wantMissing(t *testing.T, s blob.Store, key string) {
	t.Helper()
	if info, err := s.Stat(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat(%q) = %+v, %v; want ErrNotFound", key, info, err)
	}
	if rc, _, err := s.Get(t.Context(), key); !errors.Is(err, blob.ErrNotFound) {
		if rc != nil {
			rc.Close()
		}
		t.Fatalf("Get(%q) error = %v; want ErrNotFound", key, err)
	}
	infos, err := s.List(t.Context(), key)
	if err != nil {
		t.Fatalf("List(%q): %v", key, err)
	}
	for _, info := range infos {
		if info.Key == key {
			t.Fatalf("List(%q) includes missing key %q", key, key)
		}
	}
}

func listKeys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	keys := make([]string, 0, len(infos))
	for _, info := range infos {
		keys = append(keys, info.Key)
	}
	return keys
}

func wantModified(t *testing.T, what string, got, start, end time.Time) {
	t.Helper()
	if got.Before(start.Add(-clockSlack)) || got.After(end.Add(clockSlack)) {
		t.Errorf("%s Modified = %v, want within %v of [%v, %v]", what, got, clockSlack, start, end)
	}
}

func testPutGetStat(t *testing.T, s blob.Store) {
	tests := []struct {
		key         string
		size        int
		contentType string
	}{
		{"models/sku-1/v1/original.glb", 3000, "model/gltf-binary"},
		{"photos/sku-1/front.jpg", 1, "image/jpeg"},
		{"catalog/manifest.json", 129, "application/json"},
		{"a", 10, blob.DefaultContentType},
		{"produits/chaise-été/poster.png", 4096, "image/png"},
		{"deep/er/and/deeper/still/x.bin", 77, blob.DefaultContentType},
	}
	for i, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			data := randomBytes(uint64(i), tt.size)
			start := time.Now()
			err := s.Put(t.Context(), tt.key, bytes.NewReader(data), int64(len(data)),
				blob.PutOptions{ContentType: tt.contentType})
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			end := time.Now()

			got, info := get(t, s, tt.key)
			if !bytes.Equal(got, data) {
				t.Fatalf("Get returned %d bytes, not the %d put", len(got), len(data))
			}
			stat, err := s.Stat(t.Context(), tt.key)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			for what, in := range map[string]blob.Info{"Get": info, "Stat": stat} {
				if in.Key != tt.key || in.SizeBytes != int64(tt.size) || in.ContentType != tt.contentType {
					t.Errorf("%s Info = {Key %q, SizeBytes %d, ContentType %q}, want {%q, %d, %q}",
						what, in.Key, in.SizeBytes, in.ContentType, tt.key, tt.size, tt.contentType)
				}
				wantModified(t, what, in.Modified, start, end)
			}
			listed, err := s.List(t.Context(), tt.key)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(listed) != 1 || listed[0].Key != tt.key || listed[0].SizeBytes != int64(tt.size) {
				t.Fatalf("List(%q) = %+v, want just the object", tt.key, listed)
			}
			wantModified(t, "List", listed[0].Modified, start, end)
		})
	}
}

func testContentTypeFromKey(t *testing.T, s blob.Store) {
	// With no ContentType given, every store derives it from the key.
	for _, key := range []string{"m/x.glb", "m/x.gltf", "p/y.PNG", "m/noext", "m/x.unknownext"} {
		if err := s.Put(t.Context(), key, strings.NewReader("x"), 1, blob.PutOptions{}); err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
		info, err := s.Stat(t.Context(), key)
		if err != nil {
			t.Fatalf("Stat(%q): %v", key, err)
		}
		if want := blob.ContentTypeFor(key); info.ContentType != want {
			t.Errorf("Stat(%q).ContentType = %q, want %q", key, info.ContentType, want)
		}
	}
}

func testEmptyObject(t *testing.T, s blob.Store) {
	put(t, s, "empty/object.bin", nil)
	wantContent(t, s, "empty/object.bin", nil)
	if got := listKeys(t, s, "empty/"); !slices.Equal(got, []string{"empty/object.bin"}) {
		t.Fatalf("List(empty/) = %q", got)
	}
}

func testOverwrite(t *testing.T, s blob.Store) {
	const key = "models/sku-1/current.glb"
	versions := [][]byte{randomBytes(1, 5000), randomBytes(2, 100), randomBytes(3, 70000), nil, randomBytes(4, 3)}
	for i, v := range versions {
		put(t, s, key, v)
		wantContent(t, s, key, v)
		if got := listKeys(t, s, "models/"); !slices.Equal(got, []string{key}) {
			t.Fatalf("after overwrite %d, List(models/) = %q, want one key", i, got)
		}
	}
}

func testNotFound(t *testing.T, s blob.Store) {
	put(t, s, "dir/sub/object", []byte("here"))
	for _, key := range []string{
		"missing",
		"dir/missing",
		"dir",                  // only a prefix of an existing key
		"dir/sub",              // likewise
		"dir/sub/object/below", // below an object
		"dir/sub/objec",        // a string prefix of an object
	} {
		t.Run(key, func(t *testing.T) { wantMissing(t, s, key) })
	}
}

func testDelete(t *testing.T, s blob.Store) {
	put(t, s, "a/b/c", []byte("c"))
	put(t, s, "a/b/d", []byte("d"))
	put(t, s, "a/e", []byte("e"))

	if err := s.Delete(t.Context(), "a/b/c"); err != nil {
		t.Fatalf("Delete(a/b/c): %v", err)
	}
	wantMissing(t, s, "a/b/c")
	if got := listKeys(t, s, ""); !slices.Equal(got, []string{"a/b/d", "a/e"}) {
		t.Fatalf("after Delete, List = %q", got)
	}
	for _, key := range []string{"a/b/c", "never/existed", "a/b", "a"} {
		if err := s.Delete(t.Context(), key); err != nil {
			t.Fatalf("Delete(%q) of a missing key = %v, want nil", key, err)
		}
	}
	wantContent(t, s, "a/b/d", []byte("d"))
	wantContent(t, s, "a/e", []byte("e"))

	for _, key := range []string{"a/b/d", "a/e"} {
		if err := s.Delete(t.Context(), key); err != nil {
			t.Fatalf("Delete(%q): %v", key, err)
		}
	}
	if got := listKeys(t, s, ""); len(got) != 0 {
		t.Fatalf("after deleting everything, List = %q", got)
	}
	// A deleted key can be written again.
	put(t, s, "a/b/c", []byte("again"))
	wantContent(t, s, "a/b/c", []byte("again"))
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	for _, key := range []string{
		"",
		"/abs",
		"trailing/",
		"double//slash",
		"a/../escape",
		"../escape",
		"./here",
		"a/./b",
		`back\slash`,
		"nul\x00byte",
		"new\nline",
		"bad\xffutf8",
		strings.Repeat("k", blob.MaxKeyBytes+1),
	} {
		t.Run(fmt.Sprintf("%.40q", key), func(t *testing.T) {
			ctx := t.Context()
			err := s.Put(ctx, key, strings.NewReader("x"), 1, blob.PutOptions{})
			if !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Put = %v, want ErrInvalidKey", err)
			}
			rc, _, err := s.Get(ctx, key)
			if rc != nil {
				rc.Close()
			}
			if !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Get = %v, want ErrInvalidKey", err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Stat = %v, want ErrInvalidKey", err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Delete = %v, want ErrInvalidKey", err)
			}
		})
	}
	if got := listKeys(t, s, ""); len(got) != 0 {
		t.Fatalf("rejected Puts left objects: %q", got)
	}
}

func testInvalidPrefixes(t *testing.T, s blob.Store) {
	for _, prefix := range []string{"/", "/a", "a//", "../", "a/./b", `a\`, "a\x00", "\xff"} {
		if _, err := s.List(t.Context(), prefix); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("List(%q) = %v, want ErrInvalidKey", prefix, err)
		}
	}
}

func testSizeMismatch(t *testing.T, newStore func(t *testing.T) blob.Store) {
	content := randomBytes(7, 100000)
	old := []byte("the previous, complete version")
	readerErr := errors.New("network dropped")
	tests := []struct {
		name     string
		reader   func() io.Reader
		declared int64
		wantErr  error // if non-nil, errors.Is must match
	}{
		{"short stream", func() io.Reader { return streamOnly{bytes.NewReader(content[:60000])} }, 100000, nil},
		{"long stream", func() io.Reader { return streamOnly{bytes.NewReader(content)} }, 60000, nil},
		{"one byte long stream", func() io.Reader { return streamOnly{bytes.NewReader(content[:60001])} }, 60000, nil},
		{"short seekable", func() io.Reader { return bytes.NewReader(content[:60000]) }, 100000, nil},
		{"long seekable", func() io.Reader { return bytes.NewReader(content) }, 60000, nil},
		{"empty but declared", func() io.Reader { return strings.NewReader("") }, 10, nil},
		{"bytes but declared empty", func() io.Reader { return strings.NewReader("x") }, 0, nil},
		{"stream but declared empty", func() io.Reader { return streamOnly{strings.NewReader("x")} }, 0, nil},
		{"reader error", func() io.Reader {
			return &failingReader{data: slices.Clone(content[:50000]), err: readerErr}
		}, 100000, readerErr},
		{"negative size", func() io.Reader { return bytes.NewReader(content) }, -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			for _, existing := range []bool{false, true} {
				key := fmt.Sprintf("mismatch/existing-%t.bin", existing)
				if existing {
					put(t, s, key, old)
				}
				err := s.Put(t.Context(), key, tt.reader(), tt.declared, blob.PutOptions{})
				if err == nil {
					t.Fatalf("Put(existing=%t) with a %s succeeded, want an error", existing, tt.name)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("Put(existing=%t) = %v, want it to wrap %v", existing, err, tt.wantErr)
				}
				if existing {
					wantContent(t, s, key, old)
				} else {
					wantMissing(t, s, key)
				}
			}
			if got := listKeys(t, s, ""); !slices.Equal(got, []string{"mismatch/existing-true.bin"}) {
				t.Fatalf("after failed Puts, List = %q, want only the pre-existing object", got)
			}
		})
	}
}

func testListPrefix(t *testing.T, s blob.Store) {
	keys := []string{
		"a/b/c.txt",
		"a/bc/x",
		"a/b-1",
		"a/b/d/e",
		"a.txt",
		"b/z",
		"a/b/.hidden",
		"ab",
	}
	for i, key := range keys {
		put(t, s, key, randomBytes(uint64(i), 10+i))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a.txt", "a/b-1", "a/b/.hidden", "a/b/c.txt", "a/b/d/e", "a/bc/x", "ab", "b/z"}},
		{"a", []string{"a.txt", "a/b-1", "a/b/.hidden", "a/b/c.txt", "a/b/d/e", "a/bc/x", "ab"}},
		{"a/", []string{"a/b-1", "a/b/.hidden", "a/b/c.txt", "a/b/d/e", "a/bc/x"}},
		{"a/b", []string{"a/b-1", "a/b/.hidden", "a/b/c.txt", "a/b/d/e", "a/bc/x"}},
		{"a/b/", []string{"a/b/.hidden", "a/b/c.txt", "a/b/d/e"}},
		{"a/b/.", []string{"a/b/.hidden"}},
		{"a/b/d/e", []string{"a/b/d/e"}},
		{"a/b/d/e/", nil},
		{"a/b/c.txt/", nil},
		{"a/bc", []string{"a/bc/x"}},
		{"b", []string{"b/z"}},
		{"zzz", nil},
		{"zzz/yyy/", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.prefix), func(t *testing.T) {
			infos, err := s.List(t.Context(), tt.prefix)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var got []string
			for _, info := range infos {
				got = append(got, info.Key)
				i := slices.Index(keys, info.Key)
				if i < 0 {
					t.Fatalf("List returned unknown key %q", info.Key)
				}
				if info.SizeBytes != int64(10+i) {
					t.Errorf("List Info for %q has SizeBytes %d, want %d", info.Key, info.SizeBytes, 10+i)
				}
				if info.Modified.IsZero() {
					t.Errorf("List Info for %q has a zero Modified", info.Key)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
			}
		})
	}
}

func testListEmpty(t *testing.T, s blob.Store) {
	for _, prefix := range []string{"", "a/", "a"} {
		if got := listKeys(t, s, prefix); len(got) != 0 {
			t.Fatalf("List(%q) on an empty store = %q", prefix, got)
		}
	}
}

func testLargeObject(t *testing.T, s blob.Store) {
	const key = "models/big/original.glb"
	data := randomBytes(42, 6<<20+12345)
	want := sha256.Sum256(data)
	err := s.Put(t.Context(), key, streamOnly{bytes.NewReader(data)}, int64(len(data)), blob.PutOptions{})
	if err != nil {
		t.Fatalf("Put of %d bytes: %v", len(data), err)
	}
	rc, info, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	if n != int64(len(data)) || info.SizeBytes != int64(len(data)) {
		t.Fatalf("read %d bytes, Info.SizeBytes %d; want %d", n, info.SizeBytes, len(data))
	}
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("sha256 = %x, want %x", got, want)
	}
}

func testSeek(t *testing.T, s blob.Store) {
	const key = "seek/object.bin"
	data := randomBytes(9, 300000)
	put(t, s, key, data)
	rc, _, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	seeker, ok := rc.(io.Seeker)
	if !ok {
		t.Fatalf("Get returned %T, which does not implement io.Seeker", rc)
	}
	steps := []struct {
		offset int64
		whence int
		wantAt int64
		read   int
	}{
		{0, io.SeekStart, 0, 10},
		{123456, io.SeekStart, 123456, 1000},
		{-10, io.SeekEnd, int64(len(data)) - 10, 10},
		{-200000, io.SeekCurrent, int64(len(data)) - 200000, 5000},
		{int64(len(data)), io.SeekStart, int64(len(data)), 0},
	}
	for _, st := range steps {
		at, err := seeker.Seek(st.offset, st.whence)
		if err != nil {
			t.Fatalf("Seek(%d, %d): %v", st.offset, st.whence, err)
		}
		if at != st.wantAt {
			t.Fatalf("Seek(%d, %d) = %d, want %d", st.offset, st.whence, at, st.wantAt)
		}
		buf := make([]byte, st.read)
		if _, err := io.ReadFull(rc, buf); err != nil {
			t.Fatalf("reading %d bytes at %d: %v", st.read, at, err)
		}
		if !bytes.Equal(buf, data[at:at+int64(st.read)]) {
			t.Fatalf("bytes at %d after Seek differ from the object", at)
		}
	}
	// Resuming a stream: read the rest from an offset.
	if _, err := seeker.Seek(250000, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the rest: %v", err)
	}
	if !bytes.Equal(rest, data[250000:]) {
		t.Fatalf("rest after Seek(250000) = %d bytes, want %d matching", len(rest), len(data)-250000)
	}
}

func testContextCancelled(t *testing.T, s blob.Store) {
	put(t, s, "present", []byte("here"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	ops := map[string]func() error{
		"Put": func() error {
			return s.Put(ctx, "new", strings.NewReader("x"), 1, blob.PutOptions{})
		},
		"Get": func() error {
			rc, _, err := s.Get(ctx, "present")
			if rc != nil {
				rc.Close()
			}
			return err
		},
		"Stat":   func() error { _, err := s.Stat(ctx, "present"); return err },
		"List":   func() error { _, err := s.List(ctx, ""); return err },
		"Delete": func() error { return s.Delete(ctx, "present") },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", name, err)
		}
	}
	wantMissing(t, s, "new")
	wantContent(t, s, "present", []byte("here"))
}

// cancellingReader cancels its context after after bytes, then keeps
// yielding data, slowly, so the store has time to notice.
type cancellingReader struct {
	r      io.Reader
	after  int
	read   int
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.read >= c.after {
		c.cancel()
		time.Sleep(5 * time.Millisecond)
	}
	p = p[:min(len(p), 32<<10)]
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func testCancelDuringPut(t *testing.T, s blob.Store) {
	const key = "cancel/during.bin"
	old := []byte("old version")
	put(t, s, key, old)
	data := randomBytes(11, 2<<20)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := &cancellingReader{r: bytes.NewReader(data), after: 64 << 10, cancel: cancel}
	err := s.Put(ctx, key, r, int64(len(data)), blob.PutOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled midway = %v, want context.Canceled", err)
	}
	wantContent(t, s, key, old)
}

// version returns the content of version v for the concurrency test: its
// own length and bytes, with v in the first 8 bytes so a reader can tell
// which version it got and check it is whole.
func version(v uint64) []byte {
	b := randomBytes(1000+v, 50000+int(v)*4099)
	binary.LittleEndian.PutUint64(b, v)
	return b
}

func testConcurrentPuts(t *testing.T, s blob.Store) {
	const (
		key      = "race/object.bin"
		writers  = 6
		rounds   = 3
		readers  = 3
		versions = writers * rounds
	)
	put(t, s, key, version(0))

	checkWhole := func(data []byte) error {
		if len(data) < 8 {
			return fmt.Errorf("read %d bytes, shorter than any version", len(data))
		}
		v := binary.LittleEndian.Uint64(data)
		if v > versions || !bytes.Equal(data, version(v)) {
			return fmt.Errorf("read %d bytes that are not a complete version (header says %d)", len(data), v)
		}
		return nil
	}

	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				v := uint64(1 + w*rounds + r)
				data := version(v)
				if err := s.Put(t.Context(), key, streamOnly{bytes.NewReader(data)}, int64(len(data)), blob.PutOptions{}); err != nil {
					t.Errorf("writer %d: Put version %d: %v", w, v, err)
				}
			}
		})
	}
	var readWG sync.WaitGroup
	for range readers {
		readWG.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				rc, info, err := s.Get(t.Context(), key)
				if err != nil {
					t.Errorf("reader: Get during writes: %v", err)
					return
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Errorf("reader: reading during writes: %v", err)
					return
				}
				if err := checkWhole(data); err != nil {
					t.Errorf("reader: %v", err)
					return
				}
				if info.SizeBytes != int64(len(data)) {
					t.Errorf("reader: Info.SizeBytes %d but read %d bytes", info.SizeBytes, len(data))
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readWG.Wait()

	data, _ := get(t, s, key)
	if err := checkWhole(data); err != nil {
		t.Fatalf("after concurrent Puts: %v", err)
	}
	if v := binary.LittleEndian.Uint64(data); v == 0 {
		t.Fatalf("after concurrent Puts the object is still the initial version")
	}
	if got := listKeys(t, s, ""); !slices.Equal(got, []string{key}) {
		t.Fatalf("after concurrent Puts, List = %q, want one key", got)
	}
}
