// Package miniotest runs a real MinIO server for tests, so code that talks
// to S3 is tested against S3 rather than a mock.
//
// Start gives a test its own server, stopped when the test ends. Packages
// with many tests share one server per test binary instead:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		miniotest.StopShared()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		srv := miniotest.Shared(t)
//		bucket := srv.NewBucket(t) // fresh and empty, for this test only
//		...
//	}
//
// The server binary comes from Binary, which builds MinIO once per checkout
// (several minutes) if no binary is cached. When MinIO cannot be had, tests
// that need it are skipped with the reason, unless the environment variable
// CI or VITRINE_REQUIRE_MINIO is non-empty: then they fail, so a CI run
// cannot pass by silently skipping them.
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// EnvRequire, when non-empty (as is CI), turns "MinIO unavailable" from a
// skip into a failure.
const EnvRequire = "VITRINE_REQUIRE_MINIO"

// startTimeout bounds how long Start waits for the server to report live.
const startTimeout = 30 * time.Second

// maxServerOutput bounds the server output kept for failure reports.
const maxServerOutput = 64 << 10

// Server is a running MinIO server on the loopback interface.
type Server struct {
	// Endpoint is the S3 API address, "127.0.0.1:port" (plain HTTP).
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey string
	SecretKey string

	client  *minio.Client
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has been waited for
	output  *tailBuffer
	dataDir string
	stop    sync.Once
}

// Start runs a new MinIO server storing its data in a t.TempDir, waits up
// to 30 s for it to report live and serve requests, and kills it when t ends, logging its
// output if t failed. It skips or fails t if MinIO is unavailable (see the
// package comment) and fails t if the server does not come up.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := requireBinary(t)
	srv, err := start(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	t.Cleanup(func() {
		srv.kill()
		if t.Failed() {
			t.Logf("miniotest: MinIO output:\n%s", srv.output.String())
		}
	})
	return srv
}

// shared is the per-process server handed out by Shared.
var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Shared returns the test binary's shared MinIO server, starting it on
// first use. Tests isolate themselves with NewBucket. The package's TestMain
// must call StopShared after m.Run. If t fails, the server's output so far
// is logged.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin := requireBinary(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.err != nil {
		t.Fatalf("miniotest: the shared MinIO server failed to start: %v", shared.err)
	}
	if shared.srv == nil {
		dataDir, err := os.MkdirTemp("", "miniotest-shared-")
		if err != nil {
			t.Fatalf("miniotest: creating a data directory: %v", err)
		}
		srv, err := start(context.Background(), bin, dataDir)
		if err != nil {
			os.RemoveAll(dataDir)
			shared.err = err
			t.Fatalf("miniotest: %v", err)
		}
		shared.srv = srv
	}
	srv := shared.srv
	select {
	case <-srv.exited:
		t.Fatalf("miniotest: the shared MinIO server has exited:\n%s", srv.output.String())
	default:
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("miniotest: shared MinIO output so far:\n%s", srv.output.String())
		}
	})
	return srv
}

// StopShared kills the shared server, if one was started, and removes its
// data. Call it from TestMain after m.Run; it is safe to call when no test
// used Shared.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.kill()
		os.RemoveAll(shared.srv.dataDir)
		shared.srv = nil
	}
	shared.err = nil
}

// requireBinary returns the MinIO binary or ends t: a skip normally, a
// failure when MinIO is required.
func requireBinary(t testing.TB) string {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if required(os.Getenv) {
			t.Fatalf("miniotest: MinIO is required here (CI or %s is set) but unavailable: %v", EnvRequire, err)
		}
		t.Skipf("miniotest: skipping, MinIO is unavailable (set %s=1 to make this a failure): %v", EnvRequire, err)
	}
	return bin
}

// required reports whether tests must fail rather than skip without MinIO.
func required(getenv func(string) string) bool {
	return getenv("CI") != "" || getenv(EnvRequire) != ""
}

// startAttempts is how many times start retries when the server exits at
// once, which is what losing a race for the chosen free port looks like.
const startAttempts = 3

// start runs bin as a MinIO server over dataDir and waits for it to be live.
func start(ctx context.Context, bin, dataDir string) (*Server, error) {
	var errs []error
	for range startAttempts {
		srv, err := startOnce(ctx, bin, dataDir)
		if err == nil {
			return srv, nil
		}
		errs = append(errs, err)
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	return nil, errors.Join(errs...)
}

var errExitedEarly = errors.New("MinIO exited before becoming live")

func startOnce(ctx context.Context, bin, dataDir string) (*Server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	srv := &Server{
		Endpoint:  fmt.Sprintf("127.0.0.1:%d", ports[0]),
		AccessKey: "vitrine-" + randomHex(4),
		SecretKey: randomHex(16),
		exited:    make(chan struct{}),
		output:    &tailBuffer{max: maxServerOutput},
		dataDir:   dataDir,
	}
	cmd := exec.Command(bin, "server",
		"--address", srv.Endpoint,
		"--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		dataDir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+srv.AccessKey,
		"MINIO_ROOT_PASSWORD="+srv.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=on", // no root-disk and similar production checks
	)
	cmd.Stdout, cmd.Stderr = srv.output, srv.output
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	srv.cmd = cmd
	go func() {
		cmd.Wait()
		close(srv.exited)
	}()

	srv.client, err = minio.New(srv.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
	})
	if err != nil {
		srv.kill()
		return nil, fmt.Errorf("creating a client for %s: %w", srv.Endpoint, err)
	}
	if err := srv.waitReady(ctx); err != nil {
		srv.kill()
		return nil, fmt.Errorf("%w\nMinIO output:\n%s", err, srv.output.String())
	}
	return srv, nil
}

// waitReady polls until the server is live (GET /minio/health/live answers
// 200) and then serves S3 requests (ListBuckets succeeds: MinIO reports
// live before its object layer is up, answering "Server not initialized"
// meanwhile), giving up if the process exits or startTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	url := "http://" + s.Endpoint + "/minio/health/live"
	httpClient := &http.Client{Timeout: time.Second}
	live := false
	for {
		if !live {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return fmt.Errorf("health check request: %w", err)
			}
			if resp, err := httpClient.Do(req); err == nil {
				resp.Body.Close()
				live = resp.StatusCode == http.StatusOK
			}
		}
		if live {
			attemptCtx, cancelAttempt := context.WithTimeout(ctx, time.Second)
			_, err := s.client.ListBuckets(attemptCtx)
			cancelAttempt()
			if err == nil {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%w (%s)", errExitedEarly, s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("MinIO at %s not ready after %s (live: %t): %w", s.Endpoint, startTimeout, live, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// kill stops the server process and waits for it to exit.
func (s *Server) kill() {
	s.stop.Do(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
}

// Client returns a minio-go client logged in as root.
func (s *Server) Client() *minio.Client { return s.client }

var bucketSeq atomic.Uint64

// NewBucket creates a new, empty bucket with a unique name derived from
// t's name and returns the name. It fails t if the bucket cannot be made.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := bucketName(t.Name(), bucketSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.client.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("miniotest: creating bucket %q: %v", name, err)
	}
	return name
}

// bucketName builds a valid S3 bucket name (3–63 characters of lower-case
// letters, digits and hyphens, starting and ending with a letter or digit)
// from a test name, a sequence number and randomness.
func bucketName(testName string, seq uint64) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
	}
	label := strings.Trim(b.String(), "-")
	const maxLabel = 63 - len("t--") - 20 - 1 - 8 // room for seq (≤20 digits) and random suffix
	if len(label) > maxLabel {
		label = strings.TrimRight(label[:maxLabel], "-")
	}
	if label == "" {
		return fmt.Sprintf("t-%d-%s", seq, randomHex(4))
	}
	return fmt.Sprintf("t-%s-%d-%s", label, seq, randomHex(4))
}

func randomHex(nBytes int) string {
	b := make([]byte, nBytes)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago. Another process may take one before MinIO binds it; start retries.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
