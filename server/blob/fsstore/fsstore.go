// Package fsstore is the filesystem blob.Store, Vitrine's embedded default:
// each object is a plain file at <root>/<key>.
//
// Writes are atomic and durable: Put streams into a temporary file under
// <root>/.tmp (the same filesystem as the objects), checks that exactly the
// declared number of bytes arrived, fsyncs it, renames it into place and
// fsyncs the directory. A reader therefore sees the old object or the whole
// new one, and a crash never leaves a partial object visible; New removes
// temporary files a crash left behind. One root belongs to one process.
//
// The filesystem keeps no metadata beside an object, so Info.ContentType is
// always derived from the key's extension with blob.ContentTypeFor (which
// falls back to mime.TypeByExtension); PutOptions.ContentType is ignored.
package fsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/vitrine-shop/vitrine/server/blob"
)

// tmpDirName is the directory under the root that holds in-flight writes.
// Keys whose first segment is tmpDirName are rejected so they cannot collide.
const tmpDirName = ".tmp"

// maxSegmentBytes is the longest file name the common Linux filesystems
// accept (NAME_MAX); longer key segments are rejected as invalid keys
// rather than failing later with ENAMETOOLONG.
const maxSegmentBytes = 255

// copyChunkBytes is how much Put copies between context checks.
const copyChunkBytes = 256 << 10

// Store is a blob.Store on a local directory. It is safe for concurrent use.
type Store struct {
	root string
	tmp  string
	// dirs serialises directory pruning (Delete, exclusive) against
	// directory creation and rename (Put, shared), so Delete never removes
	// a directory a concurrent Put is about to rename into.
	dirs sync.RWMutex
}

var _ blob.Store = (*Store)(nil)

// New opens (creating if needed) the store rooted at root and removes any
// temporary files an interrupted Put left behind.
func New(root string) (*Store, error) {
	if root == "" {
		return nil, errors.New("fsstore: empty root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("fsstore: resolving root %q: %w", root, err)
	}
	s := &Store{root: abs, tmp: filepath.Join(abs, tmpDirName)}
	if err := os.MkdirAll(s.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("fsstore: creating %s: %w", s.tmp, err)
	}
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return nil, fmt.Errorf("fsstore: reading %s: %w", s.tmp, err)
	}
	for _, e := range entries {
		p := filepath.Join(s.tmp, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return nil, fmt.Errorf("fsstore: removing leftover temporary file %s: %w", p, err)
		}
	}
	return s, nil
}

// Root returns the absolute directory the store keeps its objects in.
func (s *Store) Root() string { return s.root }

// checkKey applies blob.ValidateKey plus the filesystem's own limits.
func checkKey(key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("fsstore: %w", err)
	}
	if key == tmpDirName || strings.HasPrefix(key, tmpDirName+"/") {
		return fmt.Errorf("fsstore: %w: %q is inside the reserved %s directory", blob.ErrInvalidKey, key, tmpDirName)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if len(seg) > maxSegmentBytes {
			return fmt.Errorf("fsstore: %w: %q has a segment of %d bytes, over the filesystem limit of %d",
				blob.ErrInvalidKey, key, len(seg), maxSegmentBytes)
		}
	}
	return nil
}

func (s *Store) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// Put writes exactly size bytes from r to key, atomically replacing any
// object there. A reader that ends early or has bytes beyond size fails the
// Put with nothing written. It checks ctx between chunks of the copy.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts blob.PutOptions) (err error) {
	if err := checkKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("fsstore: put %q: negative size %d", key, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fsstore: put %q: %w", key, err)
	}
	f, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return fmt.Errorf("fsstore: put %q: creating temporary file: %w", key, err)
	}
	tmpName := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmpName)
		}
	}()
	if err := copyExactly(ctx, f, r, size); err != nil {
		return fmt.Errorf("fsstore: put %q: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsstore: put %q: syncing temporary file: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("fsstore: put %q: closing temporary file: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fsstore: put %q: %w", key, err)
	}

	s.dirs.RLock()
	defer s.dirs.RUnlock()
	dest := s.path(key)
	if err := s.mkdirs(filepath.Dir(dest)); err != nil {
		return fmt.Errorf("fsstore: put %q: %w", key, err)
	}
	if fi, err := os.Lstat(dest); err == nil && fi.IsDir() {
		return fmt.Errorf("fsstore: put %q: keys under %q/ exist, so it cannot also be an object", key, key)
	}
	if err := os.Rename(tmpName, dest); err != nil {
		return fmt.Errorf("fsstore: put %q: moving into place: %w", key, err)
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		// The object is in place; only its durability is in doubt.
		return fmt.Errorf("fsstore: put %q: %w", key, err)
	}
	return nil
}

// errShortReader and errLongReader report a reader whose length is not the
// size given to Put.
var (
	errShortReader = errors.New("reader ended before the declared size")
	errLongReader  = errors.New("reader has more bytes than the declared size")
)

// copyExactly copies exactly size bytes from r to w, failing if r ends
// early or has more, and checking ctx between chunks.
func copyExactly(ctx context.Context, w io.Writer, r io.Reader, size int64) error {
	bufBytes := int64(copyChunkBytes)
	if size < bufBytes {
		bufBytes = size + 1 // room for the probe byte even when size is 0
	}
	buf := make([]byte, bufBytes)
	var copied int64
	for copied < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(r, buf[:min(size-copied, int64(len(buf)))])
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return fmt.Errorf("writing temporary file: %w", werr)
			}
			copied += int64(n)
		}
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: got %d of %d bytes", errShortReader, copied, size)
		case err != nil:
			return fmt.Errorf("reading content: %w", err)
		}
	}
	// Probe for an extra byte; a reader may return (0, nil), so retry a few
	// times as io.ReadFull would, bounded.
	for range 100 {
		n, err := r.Read(buf[:1])
		if n > 0 {
			return fmt.Errorf("%w of %d", errLongReader, size)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading content: %w", err)
		}
	}
	return fmt.Errorf("reading content: %w", io.ErrNoProgress)
}

// mkdirs creates dir and its missing parents below the root, fsyncing each
// parent a directory was created in so the new path survives a crash.
func (s *Store) mkdirs(dir string) error {
	if dir == s.root {
		return nil
	}
	fi, err := os.Lstat(dir)
	if err == nil {
		if !fi.IsDir() {
			rel, _ := filepath.Rel(s.root, dir)
			return fmt.Errorf("object %q exists, so it cannot also hold keys", filepath.ToSlash(rel))
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checking directory: %w", err)
	}
	parent := filepath.Dir(dir)
	if err := s.mkdirs(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating directory: %w", err)
	}
	return syncDir(parent)
}

// syncDir fsyncs a directory so entries created, renamed or removed in it
// are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory to sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// Get opens key for reading. The reader is the *os.File itself, so it also
// implements io.Seeker and io.ReaderAt. It keeps reading the version it
// opened even if the key is overwritten or deleted meanwhile.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error) {
	if err := checkKey(key); err != nil {
		return nil, blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, blob.Info{}, fmt.Errorf("fsstore: get %q: %w", key, err)
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return nil, blob.Info{}, fmt.Errorf("fsstore: get %q: %w", key, classify(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, blob.Info{}, fmt.Errorf("fsstore: get %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, blob.Info{}, fmt.Errorf("fsstore: get %q: %w", key, blob.ErrNotFound)
	}
	return f, info(key, fi), nil
}

// Stat describes key without opening it.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := checkKey(key); err != nil {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("fsstore: stat %q: %w", key, err)
	}
	fi, err := os.Stat(s.path(key))
	if err != nil {
		return blob.Info{}, fmt.Errorf("fsstore: stat %q: %w", key, classify(err))
	}
	if !fi.Mode().IsRegular() {
		return blob.Info{}, fmt.Errorf("fsstore: stat %q: %w", key, blob.ErrNotFound)
	}
	return info(key, fi), nil
}

// classify maps "no such file" (including a path through a regular file,
// ENOTDIR) to blob.ErrNotFound and keeps the cause.
func classify(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %w", blob.ErrNotFound, err)
	}
	return err
}

func info(key string, fi fs.FileInfo) blob.Info {
	return blob.Info{
		Key:         key,
		SizeBytes:   fi.Size(),
		Modified:    fi.ModTime(),
		ContentType: blob.ContentTypeFor(key),
		ETag:        fmt.Sprintf("%x-%x-%x", fi.Size(), fi.ModTime().UnixNano(), inode(fi)),
	}
}

// List returns every object whose key starts with prefix, sorted by key.
// prefix is a string prefix, not a directory: "a/b" matches "a/b/c" and
// "a/bc". Temporary files are never listed. It checks ctx while walking.
func (s *Store) List(ctx context.Context, prefix string) ([]blob.Info, error) {
	if err := blob.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("fsstore: list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fsstore: list %q: %w", prefix, err)
	}
	// Walk only the deepest directory the prefix pins down.
	startKey := prefix[:strings.LastIndexByte(prefix, '/')+1]
	start := s.root
	if startKey != "" {
		start = s.path(strings.TrimSuffix(startKey, "/"))
	}
	var infos []blob.Info
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // vanished under a concurrent Delete, or never existed
			}
			if p == start && errors.Is(err, syscall.ENOTDIR) {
				return nil // the prefix's directory is an object, not a directory
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == s.tmp {
			return filepath.SkipDir
		}
		if p == start {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			// Descend only where keys can still match the prefix.
			if !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) || checkKey(key) != nil {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		infos = append(infos, info(key, fi))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fsstore: list %q: %w", prefix, err)
	}
	slices.SortFunc(infos, func(a, b blob.Info) int { return strings.Compare(a.Key, b.Key) })
	return infos, nil
}

// Delete removes key and then every directory above it that became empty,
// up to the root. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fsstore: delete %q: %w", key, err)
	}
	s.dirs.Lock()
	defer s.dirs.Unlock()
	p := s.path(key)
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return nil
	case err != nil:
		return fmt.Errorf("fsstore: delete %q: %w", key, err)
	case fi.IsDir():
		return nil // a directory of other keys, not an object
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("fsstore: delete %q: %w", key, err)
	}
	dir := filepath.Dir(p)
	for dir != s.root {
		if err := os.Remove(dir); err != nil {
			break // not empty (or already gone): stop pruning
		}
		dir = filepath.Dir(dir)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("fsstore: delete %q: %w", key, err)
	}
	return nil
}
