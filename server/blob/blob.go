// Package blob defines Vitrine's object storage contract. Every piece of
// durable state (models, photos, catalog manifests) lives behind Store, so
// the filesystem store (the embedded default) and the S3 store (MinIO or
// any S3) are interchangeable.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) when a key does not exist.
var ErrNotFound = errors.New("blob: not found")

// ErrInvalidKey is returned (wrapped) for keys that are empty, absolute,
// contain "..", "." or empty segments, backslashes, control characters, or
// are longer than MaxKeyBytes.
var ErrInvalidKey = errors.New("blob: invalid key")

// MaxKeyBytes bounds a key's length.
const MaxKeyBytes = 512

// Info describes a stored object.
type Info struct {
	Key       string
	SizeBytes int64
	Modified  time.Time
	// ContentType is as given at Put (the S3 store) or derived from the
	// key's extension (the filesystem store); see ContentTypeFor. S3
	// listings leave it empty.
	ContentType string
	// ETag changes whenever the object's content changes: the S3 ETag, or
	// the size, modification time and inode for the filesystem store.
	ETag string
}

// PutOptions tunes a Put.
type PutOptions struct {
	ContentType string
}

// Store is an object store with atomic whole-object writes: a reader sees
// either the old object or the complete new one, never a part. Keys are
// slash-separated relative paths such as "models/sku-1/v3/original.glb".
type Store interface {
	// Put writes size bytes from r under key, replacing any object there.
	// size must be the exact length of r's content; a short or long reader
	// fails the Put and leaves no new object visible.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) error
	// Get opens key for reading. The caller closes the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat describes key without reading it.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns every object whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}
