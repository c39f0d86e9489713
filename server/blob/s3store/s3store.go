// Package s3store is the blob.Store on S3 (MinIO, or any S3-compatible
// service) through minio-go. It holds no state of its own, so any number of
// server replicas can share one bucket.
//
// S3 makes each PUT atomic: an object becomes visible whole or not at all.
// Put passes the exact object size to minio-go (never -1, which would plan
// a 5 TiB multipart upload and buffer huge parts) and makes a reader that is
// shorter or longer than that size fail the upload before it completes, so
// no object, partial or padded, is created.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/vitrine-shop/vitrine/server/blob"
)

// Config says where the store lives and how to reach it.
type Config struct {
	// Endpoint is the S3 server as host:port, without a scheme.
	Endpoint string
	// AccessKey and SecretKey are the static credentials to sign with.
	AccessKey string
	SecretKey string
	// Bucket holds every object.
	Bucket string
	// Region is the bucket's region; empty lets minio-go discover it.
	Region string
	// Prefix, if set, namespaces every key inside the bucket: key k is
	// stored as object Prefix+k, and List sees only objects under Prefix.
	// A missing trailing '/' is added.
	Prefix string
	// Secure selects HTTPS.
	Secure bool
	// CreateBucket makes New create Bucket when it does not exist,
	// instead of failing.
	CreateBucket bool
}

// Store is a blob.Store on one S3 bucket. It is safe for concurrent use.
type Store struct {
	client *minio.Client
	bucket string
	prefix string
}

var _ blob.Store = (*Store)(nil)

// New connects to the S3 endpoint in cfg and checks that the bucket exists,
// creating it if cfg.CreateBucket is set. An unreachable endpoint or wrong
// credentials fail New; minio-go retries failed requests with backoff, so
// bound ctx to bound how long New keeps trying.
func New(ctx context.Context, cfg Config) (*Store, error) {
	switch {
	case cfg.Endpoint == "":
		return nil, errors.New("s3store: no endpoint configured")
	case strings.Contains(cfg.Endpoint, "://"):
		return nil, fmt.Errorf("s3store: endpoint %q must be host:port without a scheme (set Secure for HTTPS)", cfg.Endpoint)
	case cfg.Bucket == "":
		return nil, errors.New("s3store: no bucket configured")
	}
	prefix := cfg.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if err := blob.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("s3store: key prefix %q: %w", cfg.Prefix, err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: configuring client for %s: %w", cfg.Endpoint, err)
	}
	s := &Store{client: client, bucket: cfg.Bucket, prefix: prefix}

	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3store: checking bucket %q at %s (is the endpoint reachable and are the credentials right?): %w",
			cfg.Bucket, cfg.Endpoint, s.classify(ctx, err))
	}
	if exists {
		return s, nil
	}
	if !cfg.CreateBucket {
		return nil, fmt.Errorf("s3store: bucket %q does not exist at %s (create it, or enable bucket creation)", cfg.Bucket, cfg.Endpoint)
	}
	err = client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
	if err != nil {
		// Another replica may have created it since we looked.
		if code := minio.ToErrorResponse(err).Code; code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return nil, fmt.Errorf("s3store: creating bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, s.classify(ctx, err))
		}
	}
	return s, nil
}

func checkKey(key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("s3store: %w", err)
	}
	return nil
}

// classify turns a minio-go error into one callers can inspect: missing
// objects and buckets wrap blob.ErrNotFound, and a done ctx wraps ctx.Err()
// (minio-go reports cancellation in several shapes). The original error is
// kept in the chain.
func (s *Store) classify(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w (%w)", ctxErr, err)
	}
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, minio.NoSuchBucket:
		return fmt.Errorf("%w: %w", blob.ErrNotFound, err)
	}
	return err
}

// Put uploads exactly size bytes from r as key, replacing any object there.
// The content type is opts.ContentType, or blob.ContentTypeFor(key) if that
// is empty. A reader that implements io.ReaderAt and io.Seeker (bytes.Reader,
// os.File) has its remaining length checked before uploading and is then
// sent from a section reader, which minio-go can retry; any other reader is
// streamed and checked as it goes.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts blob.PutOptions) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("s3store: put %q: negative size %d", key, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3store: put %q: %w", key, err)
	}
	contentType := opts.ContentType
	if contentType == "" {
		contentType = blob.ContentTypeFor(key)
	}

	var body io.Reader
	var exact *exactReader
	if section, err := sectionOf(r, size); err != nil {
		return fmt.Errorf("s3store: put %q: %w", key, err)
	} else if section != nil {
		body = section
	} else {
		exact = &exactReader{r: r, remaining: size, size: size}
		body = exact
		if size == 0 {
			// An empty body may never be read, so probe for stray bytes now.
			if err := exact.finish(); err != io.EOF {
				return fmt.Errorf("s3store: put %q: %w", key, err)
			}
		}
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, body, size, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		// The reader's own failure (short, long, or its error) says more than
		// minio-go's report of the aborted request.
		if exact != nil && exact.err != nil && ctx.Err() == nil {
			return fmt.Errorf("s3store: put %q: %w", key, exact.err)
		}
		return fmt.Errorf("s3store: put %q: %w", key, s.classify(ctx, err))
	}
	return nil
}

// errShortReader and errLongReader report a reader whose length is not the
// size given to Put. Their messages avoid the word "EOF", which minio-go
// rewrites into a misleading "connection closed" error.
var (
	errShortReader = errors.New("reader ended before the declared size")
	errLongReader  = errors.New("reader has more bytes than the declared size")
)

// sectionOf returns an exactly size-long section of r starting at its
// current offset, if r can be read at offsets, or nil if r must be
// streamed. It fails if r's remaining length is not size.
func sectionOf(r io.Reader, size int64) (io.Reader, error) {
	ra, okAt := r.(io.ReaderAt)
	seeker, okSeek := r.(io.Seeker)
	if !okAt || !okSeek {
		return nil, nil
	}
	offset, err := seeker.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, nil // not really seekable (a pipe behind an *os.File): stream it
	}
	end, err := seeker.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("measuring reader: %w", err)
	}
	if _, err := seeker.Seek(offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewinding reader: %w", err)
	}
	switch remaining := end - offset; {
	case remaining < size:
		return nil, fmt.Errorf("%w: %d of %d bytes", errShortReader, remaining, size)
	case remaining > size:
		return nil, fmt.Errorf("%w: %d bytes, declared %d", errLongReader, remaining, size)
	}
	return io.NewSectionReader(ra, offset, size), nil
}

// exactReader yields exactly size bytes of r. If r ends early, or still has
// bytes when the last declared byte is due, it fails the read that would
// complete the body, so the upload is aborted rather than completed. It
// remembers the first error in err.
type exactReader struct {
	r         io.Reader
	remaining int64
	size      int64
	done      bool
	err       error
}

// maxEmptyReads bounds how many (0, nil) reads exactReader tolerates while
// probing for bytes beyond the declared size.
const maxEmptyReads = 100

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.done {
		return 0, io.EOF
	}
	if e.remaining == 0 {
		// Zero-byte object: the first read is the probe.
		return 0, e.finish()
	}
	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	switch {
	case err == io.EOF && e.remaining > 0:
		e.err = fmt.Errorf("%w: got %d of %d bytes", errShortReader, e.size-e.remaining, e.size)
		return n, e.err
	case err != nil && err != io.EOF:
		e.err = fmt.Errorf("reading content: %w", err)
		return n, e.err
	case e.remaining == 0:
		if ferr := e.finish(); ferr != io.EOF {
			return n, ferr
		}
		return n, nil
	}
	return n, nil
}

// finish checks that the underlying reader has nothing beyond the declared
// size, returning io.EOF if so and recording the failure otherwise.
func (e *exactReader) finish() error {
	var probe [1]byte
	for range maxEmptyReads {
		n, err := e.r.Read(probe[:])
		if n > 0 {
			e.err = fmt.Errorf("%w of %d", errLongReader, e.size)
			return e.err
		}
		if err == io.EOF {
			e.done = true
			return io.EOF
		}
		if err != nil {
			e.err = fmt.Errorf("reading content: %w", err)
			return e.err
		}
	}
	e.err = fmt.Errorf("reading content: %w", io.ErrNoProgress)
	return e.err
}

// Get opens key. GetObject is lazy, so Get starts the download at once to
// report a missing key as blob.ErrNotFound here rather than at the first
// Read. The reader is the *minio.Object, which implements io.Seeker and
// io.ReaderAt. A sequential read streams the version Get opened; a Seek or
// ReadAt after key was overwritten fails rather than mix versions
// (minio-go pins the ETag). Reads use ctx, so keep it alive while reading.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error) {
	if err := checkKey(key); err != nil {
		return nil, blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, blob.Info{}, fmt.Errorf("s3store: get %q: %w", key, err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, blob.Info{}, fmt.Errorf("s3store: get %q: %w", key, s.classify(ctx, err))
	}
	// A zero-length Read sends the GET now and keeps its body for the
	// following Reads; Stat then reports that response's metadata. Calling
	// Stat first would send a HEAD, and an overwrite between the HEAD and the
	// GET would fail the first Read on minio-go's ETag check.
	if _, err := obj.Read(nil); err != nil && err != io.EOF {
		obj.Close()
		return nil, blob.Info{}, fmt.Errorf("s3store: get %q: %w", key, s.classify(ctx, err))
	}
	oi, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, blob.Info{}, fmt.Errorf("s3store: get %q: %w", key, s.classify(ctx, err))
	}
	return obj, s.info(key, oi), nil
}

// Stat describes key with a HEAD request.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := checkKey(key); err != nil {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, fmt.Errorf("s3store: stat %q: %w", key, err)
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, fmt.Errorf("s3store: stat %q: %w", key, s.classify(ctx, err))
	}
	return s.info(key, oi), nil
}

func (s *Store) info(key string, oi minio.ObjectInfo) blob.Info {
	return blob.Info{
		Key:         key,
		SizeBytes:   oi.Size,
		Modified:    oi.LastModified,
		ContentType: oi.ContentType,
		ETag:        oi.ETag,
	}
}

// List returns every object whose key starts with prefix, sorted by key.
// S3 listings do not carry content types, so Info.ContentType is empty;
// Stat an object for its type. Objects under the store's prefix whose names
// are not valid keys (written by other tools) are skipped.
func (s *Store) List(ctx context.Context, prefix string) ([]blob.Info, error) {
	if err := blob.ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("s3store: list: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3store: list %q: %w", prefix, err)
	}
	// Cancelling stops minio-go's listing goroutine if we return early.
	listCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// S3 servers such as MinIO reject a listing prefix ending in a "." or
	// ".." segment, which is a valid prefix here ("a/." matches "a/.x"):
	// list from the enclosing "directory" and filter.
	serverPrefix := prefix
	if last := prefix[strings.LastIndexByte(prefix, '/')+1:]; last == "." || last == ".." {
		serverPrefix = prefix[:len(prefix)-len(last)]
	}
	var infos []blob.Info
	for oi := range s.client.ListObjects(listCtx, s.bucket, minio.ListObjectsOptions{
		Prefix:    s.prefix + serverPrefix,
		Recursive: true,
	}) {
		if oi.Err != nil {
			return nil, fmt.Errorf("s3store: list %q: %w", prefix, s.classify(ctx, oi.Err))
		}
		key, ok := strings.CutPrefix(oi.Key, s.prefix)
		if !ok || !strings.HasPrefix(key, prefix) || blob.ValidateKey(key) != nil {
			continue
		}
		infos = append(infos, blob.Info{Key: key, SizeBytes: oi.Size, Modified: oi.LastModified, ETag: oi.ETag})
	}
	// A cancellation can end the channel without an error item.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3store: list %q: %w", prefix, err)
	}
	slices.SortFunc(infos, func(a, b blob.Info) int { return strings.Compare(a.Key, b.Key) })
	return infos, nil
}

// Delete removes key. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3store: delete %q: %w", key, err)
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey && ctx.Err() == nil {
			return nil
		}
		return fmt.Errorf("s3store: delete %q: %w", key, s.classify(ctx, err))
	}
	return nil
}
