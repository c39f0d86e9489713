package miniotest

import (
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

func TestStartServesS3AndStopsAtCleanup(t *testing.T) {
	var srv *Server
	t.Run("running", func(t *testing.T) {
		srv = Start(t)
		if !strings.HasPrefix(srv.Endpoint, "127.0.0.1:") || srv.AccessKey == "" || len(srv.SecretKey) < 8 {
			t.Fatalf("Server = {%q, %q, %d-char secret}", srv.Endpoint, srv.AccessKey, len(srv.SecretKey))
		}
		a, b := srv.NewBucket(t), srv.NewBucket(t)
		if a == b {
			t.Fatalf("NewBucket returned %q twice", a)
		}
		client := srv.Client()
		for _, bucket := range []string{a, b} {
			ok, err := client.BucketExists(t.Context(), bucket)
			if err != nil || !ok {
				t.Fatalf("BucketExists(%q) = %t, %v", bucket, ok, err)
			}
		}
		_, err := client.PutObject(t.Context(), a, "hello.txt", strings.NewReader("hello"), 5, minio.PutObjectOptions{})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		obj, err := client.GetObject(t.Context(), a, "hello.txt", minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		if data, err := io.ReadAll(obj); err != nil || string(data) != "hello" {
			t.Fatalf("GetObject = %q, %v", data, err)
		}
		// Buckets are isolated: b is empty.
		for oi := range client.ListObjects(t.Context(), b, minio.ListObjectsOptions{Recursive: true}) {
			t.Fatalf("new bucket %q lists %q (err %v)", b, oi.Key, oi.Err)
		}
	})
	if srv == nil {
		t.Skip("no server was started")
	}
	select {
	case <-srv.exited:
	default:
		t.Fatal("the server is still running after its test's cleanup")
	}
	if conn, err := net.DialTimeout("tcp", srv.Endpoint, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after cleanup", srv.Endpoint)
	}
}

func TestSharedIsOneServer(t *testing.T) {
	first := Shared(t)
	second := Shared(t)
	if first != second {
		t.Fatal("Shared started a second server")
	}
	if _, err := first.Client().ListBuckets(t.Context()); err != nil {
		t.Fatalf("ListBuckets on the shared server: %v", err)
	}
}

var validBucket = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

func TestBucketName(t *testing.T) {
	for _, name := range []string{
		"TestX",
		"TestContract/PutGetStat/models/sku-1/v1/original.glb",
		"Test_" + strings.Repeat("Long", 40),
		"///",
		"",
		"Ünïcödé/テスト",
	} {
		got := bucketName(name, 18446744073709551615)
		if !validBucket.MatchString(got) {
			t.Errorf("bucketName(%q) = %q, not a valid bucket name", name, got)
		}
		if again := bucketName(name, 1); again == got {
			t.Errorf("bucketName(%q) repeated %q", name, got)
		}
	}
}
