package s3store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/blobtest"
	"github.com/vitrine-shop/vitrine/server/internal/miniotest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	miniotest.StopShared()
	os.Exit(code)
}

// config returns a Config for a fresh bucket on the shared MinIO server.
func config(t *testing.T) (Config, *miniotest.Server) {
	t.Helper()
	srv := miniotest.Shared(t)
	return Config{
		Endpoint:  srv.Endpoint,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Bucket:    srv.NewBucket(t),
	}, srv
}

func newStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		cfg, _ := config(t)
		return newStore(t, cfg)
	})
}

func TestContractWithPrefix(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		cfg, _ := config(t)
		cfg.Prefix = "tenant/a/"
		return newStore(t, cfg)
	})
}

func objectNames(t *testing.T, client *minio.Client, bucket string) []string {
	t.Helper()
	var names []string
	for oi := range client.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if oi.Err != nil {
			t.Fatalf("listing bucket %q: %v", bucket, oi.Err)
		}
		names = append(names, oi.Key)
	}
	return names
}

func TestPrefixNamespacesKeys(t *testing.T) {
	cfg, srv := config(t)
	client := srv.Client()
	ctx := t.Context()

	// An object outside the prefix, written by someone else.
	if _, err := client.PutObject(ctx, cfg.Bucket, "other/x", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg.Prefix = "replica-1" // the trailing '/' is added
	s := newStore(t, cfg)
	if err := s.Put(ctx, "models/m.glb", strings.NewReader("glb"), 3, blob.PutOptions{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := objectNames(t, client, cfg.Bucket); !slices.Equal(got, []string{"other/x", "replica-1/models/m.glb"}) {
		t.Fatalf("bucket holds %q, want the key under the prefix", got)
	}
	infos, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Key != "models/m.glb" {
		t.Fatalf("List = %+v, want only models/m.glb, without the prefix", infos)
	}
	if _, err := s.Stat(ctx, "other/x"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat(other/x) through the prefixed store = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "models/m.glb"); err != nil {
		t.Fatal(err)
	}
	if got := objectNames(t, client, cfg.Bucket); !slices.Equal(got, []string{"other/x"}) {
		t.Fatalf("after Delete the bucket holds %q", got)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no endpoint", Config{Bucket: "b"}},
		{"scheme in endpoint", Config{Endpoint: "http://127.0.0.1:9000", Bucket: "b"}},
		{"no bucket", Config{Endpoint: "127.0.0.1:9000"}},
		{"bad prefix", Config{Endpoint: "127.0.0.1:9000", Bucket: "b", Prefix: "../up"}},
		{"absolute prefix", Config{Endpoint: "127.0.0.1:9000", Bucket: "b", Prefix: "/root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(t.Context(), tt.cfg); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}

func TestNewUnreachableEndpoint(t *testing.T) {
	// refused: a port that was free a moment ago, so nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()

	// silent: accepts connections and never answers, so only ctx ends New.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()

	for _, endpoint := range []string{refused, silent.Addr().String()} {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		start := time.Now()
		_, err := New(ctx, Config{Endpoint: endpoint, AccessKey: "k", SecretKey: "secret-key", Bucket: "vitrine-unreachable"})
		cancel()
		if err == nil {
			t.Fatalf("New against unreachable %s succeeded", endpoint)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Fatalf("New against %s took %s, not bounded by its 2s context", endpoint, elapsed)
		}
		if !strings.Contains(err.Error(), endpoint) || !strings.Contains(err.Error(), "reachable") {
			t.Fatalf("error %q does not name the endpoint and the likely cause", err)
		}
		t.Logf("%s: %v", endpoint, err)
	}
}

func TestNewMissingBucket(t *testing.T) {
	srv := miniotest.Shared(t)
	cfg := Config{
		Endpoint:  srv.Endpoint,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Bucket:    "vitrine-missing-" + strings.ToLower(strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")),
	}
	if _, err := New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("New without CreateBucket on a missing bucket = %v, want a does-not-exist error", err)
	}
	cfg.CreateBucket = true
	s := newStore(t, cfg)
	if err := s.Put(t.Context(), "k", strings.NewReader("v"), 1, blob.PutOptions{}); err != nil {
		t.Fatalf("Put into the created bucket: %v", err)
	}
	// Creating again finds it there.
	newStore(t, cfg)
}

func TestWrongCredentials(t *testing.T) {
	cfg, _ := config(t)
	cfg.SecretKey = "not-the-secret"
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := New(ctx, cfg); err == nil {
		t.Fatal("New with a wrong secret key succeeded")
	}
}

func TestDeletedBucketIsNotFound(t *testing.T) {
	cfg, srv := config(t)
	s := newStore(t, cfg)
	if err := srv.Client().RemoveBucket(t.Context(), cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(t.Context(), "k"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat in a removed bucket = %v, want ErrNotFound", err)
	}
}

// A reader longer or shorter than declared must not leave an object even
// when the upload is large enough for minio-go to go multipart, and must
// not leave an incomplete multipart upload behind.
func TestSizeMismatchMultipart(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 34 MiB")
	}
	cfg, srv := config(t)
	s := newStore(t, cfg)
	const partBytes = 16 << 20 // minio-go's default part size
	data := bytes.Repeat([]byte("vitrine!"), (2*partBytes+4096)/8)
	tests := []struct {
		name     string
		r        io.Reader
		declared int64
	}{
		{"long", struct{ io.Reader }{bytes.NewReader(data)}, int64(len(data) - 1)},
		{"short", struct{ io.Reader }{bytes.NewReader(data[:partBytes+10])}, int64(len(data))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Put(t.Context(), "big.bin", tt.r, tt.declared, blob.PutOptions{}); err == nil {
				t.Fatal("Put succeeded")
			}
			if _, err := s.Stat(t.Context(), "big.bin"); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("Stat after a failed Put = %v, want ErrNotFound", err)
			}
			for up := range srv.Client().ListIncompleteUploads(t.Context(), cfg.Bucket, "", true) {
				t.Fatalf("incomplete upload left behind: %+v", up)
			}
		})
	}
	// And the right size goes through, in parts.
	if err := s.Put(t.Context(), "big.bin", struct{ io.Reader }{bytes.NewReader(data)}, int64(len(data)), blob.PutOptions{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	info, err := s.Stat(t.Context(), "big.bin")
	if err != nil || info.SizeBytes != int64(len(data)) {
		t.Fatalf("Stat = %+v, %v", info, err)
	}
}
