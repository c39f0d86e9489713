// Package e2e holds end-to-end tests of Vitrine: they build the real
// server binary and the WebAssembly viewer, start the server on a free
// loopback port with a fresh data directory (so it seeds the sample
// catalog), and drive it over HTTP, the vitrine.v1 WebSocket and a headless
// Chromium.
//
// Tests get the running server from Server(t), which builds and starts it
// once for the whole package; TestMain stops it (SIGTERM, then kill). The
// first call takes a minute or two (two builds and seeding); -short skips
// these tests.
//
// Environment:
//   - VITRINE_SCREENSHOTS: directory to keep browser screenshots in.
//   - CI or VITRINE_REQUIRE_BROWSER: a missing Chromium fails browser tests
//     instead of skipping them.
//   - VITRINE_E2E_BASE_URL: test an already running server at this URL
//     instead of building and starting one (its viewer must be built).
//   - VITRINE_E2E_MERCHANT_TOKEN: a merchant token of that server, for the
//     merchant console tests.
package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds on the slow steps of bringing the server up.
const (
	buildTimeout = 10 * time.Minute
	readyTimeout = 3 * time.Minute
	stopTimeout  = 15 * time.Second
)

// Env is a running server under test.
type Env struct {
	// BaseURL is the server's root, "http://127.0.0.1:PORT", no slash.
	BaseURL string
	// WebDir holds the built viewer (index.html, main.wasm, …).
	WebDir string
	// DataDir is the server's -data directory.
	DataDir string
	// Log is the path of the file collecting the server's output.
	Log string
	// MerchantToken is a bearer token of merchant e2eMerchant; for a
	// server started outside the test, $VITRINE_E2E_MERCHANT_TOKEN.
	MerchantToken string
}

// The merchant the test server knows, and its token.
const (
	e2eMerchant      = "e2e"
	e2eMerchantToken = "e2e-merchant-token"
)

var (
	setupOnce sync.Once
	env       *Env
	setupErr  error
	proc      *exec.Cmd
	procDone  chan struct{} // closed when proc exits
	workDir   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	stop()
	if workDir != "" {
		_ = os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// Server returns the running server, building and starting it on first
// use. It skips the test in -short mode and fails it when the server cannot
// be built or does not become ready.
func Server(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: builds and starts the real server; skipped in -short mode")
	}
	setupOnce.Do(func() {
		if base := os.Getenv("VITRINE_E2E_BASE_URL"); base != "" {
			env = &Env{BaseURL: strings.TrimRight(base, "/"), MerchantToken: os.Getenv("VITRINE_E2E_MERCHANT_TOKEN")}
			setupErr = waitReady(env.URL("/readyz"))
			return
		}
		env, setupErr = start()
	})
	if setupErr != nil {
		t.Fatalf("e2e: %v", setupErr)
	}
	return env
}

// URL joins path to the server's base URL.
func (e *Env) URL(path string) string { return e.BaseURL + path }

// ServerLog returns the tail of the server's output, for failure reports.
func (e *Env) ServerLog() string {
	if e.Log == "" {
		return "(the server was started outside the test)"
	}
	data, err := os.ReadFile(e.Log)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	const tail = 8 << 10
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	return string(data)
}

func start() (*Env, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	workDir, err = os.MkdirTemp("", "vitrine-e2e-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	e := &Env{
		WebDir:  filepath.Join(workDir, "web"),
		DataDir: filepath.Join(workDir, "data"),
		Log:     filepath.Join(workDir, "server.log"),
	}
	bin := filepath.Join(workDir, "vitrine")
	if err := buildViewer(root, e.WebDir); err != nil {
		return nil, err
	}
	if err := goBuild(root, nil, "-o", bin, "./server"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	e.BaseURL = "http://" + addr
	logFile, err := os.Create(e.Log)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	proc = exec.Command(bin, "serve", "-addr", addr, "-data", e.DataDir, "-wal-dir", e.DataDir+"-wal", "-web", e.WebDir,
		"-merchant-tokens", e2eMerchant+"="+e2eMerchantToken)
	e.MerchantToken = e2eMerchantToken
	proc.Stdout, proc.Stderr = logFile, logFile
	proc.Dir = workDir
	if err := proc.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	procDone = make(chan struct{})
	go func() {
		_ = proc.Wait()
		logFile.Close()
		close(procDone)
	}()
	if err := waitReady(e.URL("/readyz")); err != nil {
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, e.ServerLog())
	}
	return e, nil
}

// buildViewer compiles the viewer to WebAssembly and assembles the web
// directory the server serves: the page's files, main.wasm and Go's
// wasm_exec.js.
func buildViewer(root, webDir string) error {
	if err := os.MkdirAll(webDir, 0o755); err != nil {
		return fmt.Errorf("web dir: %w", err)
	}
	src := filepath.Join(root, "wasm", "web")
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	for _, ent := range entries {
		// The build below makes main.wasm and its gzip copy afresh: a
		// developer's older main.wasm.gz would otherwise be served instead.
		if ent.IsDir() || ent.Name() == "main.wasm" || ent.Name() == "main.wasm.gz" || ent.Name() == "wasm_exec.js" {
			continue
		}
		if err := copyFile(filepath.Join(src, ent.Name()), filepath.Join(webDir, ent.Name())); err != nil {
			return err
		}
	}
	goroot, err := goEnv(root, "GOROOT")
	if err != nil {
		return err
	}
	if err := copyFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"), filepath.Join(webDir, "wasm_exec.js")); err != nil {
		return err
	}
	wasm := filepath.Join(webDir, "main.wasm")
	if err := goBuild(root, []string{"GOOS=js", "GOARCH=wasm"}, "-trimpath", "-ldflags=-s -w", "-o", wasm, "./wasm"); err != nil {
		return err
	}
	// As make wasm does, so the server sends what it sends in production.
	return gzipFile(wasm, wasm+".gz")
}

// gzipFile writes src's gzip (best compression) to dst.
func gzipFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	if _, err := zw.Write(data); err != nil {
		return fmt.Errorf("gzip %s: %w", src, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip %s: %w", src, err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	return nil
}

func goBuild(root string, extraEnv []string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"build"}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s (%s): %w\n%s", strings.Join(args, " "), strings.Join(extraEnv, " "), err, out.String())
	}
	return nil
}

func goEnv(root, name string) (string, error) {
	cmd := exec.Command("go", "env", name)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", fmt.Errorf("go env %s is empty", name)
	}
	return v, nil
}

// moduleRoot is the directory of the go.mod this test belongs to.
func moduleRoot() (string, error) {
	gomod, err := goEnv(".", "GOMOD")
	if err != nil {
		return "", err
	}
	if gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// freeAddr picks a free loopback port. The port is released before the
// server binds it; a collision in between is unlikely and fails loudly.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	return addr, nil
}

// waitReady polls url until it answers 200, the server exits, or
// readyTimeout passes.
func waitReady(url string) error {
	deadline := time.Now().Add(readyTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for time.Now().Before(deadline) {
		if procDone != nil {
			select {
			case <-procDone:
				return fmt.Errorf("server exited before becoming ready (%v)", proc.ProcessState)
			default:
			}
		}
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("server not ready after %v: GET %s: %s", readyTimeout, url, last)
}

// stop ends the server: SIGTERM, then kill after stopTimeout.
func stop() {
	if proc == nil || proc.Process == nil {
		return
	}
	select {
	case <-procDone:
		return
	default:
	}
	_ = proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-procDone:
	case <-time.After(stopTimeout):
		fmt.Fprintf(os.Stderr, "e2e: server ignored SIGTERM for %v; killing it\n", stopTimeout)
		_ = proc.Process.Kill()
		<-procDone
	}
}
