package miniotest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBuild is a buildFunc that writes a small executable instead of
// compiling MinIO, counting its calls.
type fakeBuild struct {
	calls atomic.Int32
	delay time.Duration
	fail  error
}

func (f *fakeBuild) build(ctx context.Context, gobin string) error {
	f.calls.Add(1)
	// Write part of the binary first, as a real build would, so a failure
	// or a racing reader would see a partial file if it were not staged.
	p := filepath.Join(gobin, binaryName)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		return err
	}
	time.Sleep(f.delay)
	if f.fail != nil {
		return f.fail
	}
	return os.WriteFile(p, []byte("#!/bin/sh\necho fake minio\n"), 0o755)
}

func discard(string, ...any) {}

// leftovers lists what ensureBinary left in dir besides the binary and
// the lock file.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != binaryName && e.Name() != ".lock" {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestEnsureBinaryBuildsOnceForConcurrentCallers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", Version)
	fb := &fakeBuild{delay: 100 * time.Millisecond}
	const callers = 8
	var wg sync.WaitGroup
	paths := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			paths[i], errs[i] = ensureBinary(t.Context(), dir, fb.build, discard)
		})
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if want := filepath.Join(dir, binaryName); paths[i] != want {
			t.Fatalf("caller %d got %q, want %q", i, paths[i], want)
		}
	}
	if n := fb.calls.Load(); n != 1 {
		t.Fatalf("build ran %d times for %d concurrent callers, want 1", n, callers)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil || !strings.Contains(string(data), "fake minio") {
		t.Fatalf("binary = %q, %v; want the complete build output", data, err)
	}
	if got := leftovers(t, dir); len(got) != 0 {
		t.Fatalf("staging left behind: %q", got)
	}
}

func TestEnsureBinaryUsesExistingBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, binaryName)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	fb := &fakeBuild{}
	got, err := ensureBinary(t.Context(), dir, fb.build, discard)
	if err != nil || got != bin {
		t.Fatalf("ensureBinary = %q, %v; want %q", got, err, bin)
	}
	if fb.calls.Load() != 0 {
		t.Fatal("built although the binary existed")
	}
}

func TestEnsureBinaryFailedBuildLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	buildErr := errors.New("no network")
	fb := &fakeBuild{fail: buildErr}
	if _, err := ensureBinary(t.Context(), dir, fb.build, discard); !errors.Is(err, buildErr) {
		t.Fatalf("ensureBinary = %v, want it to wrap the build error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, binaryName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed build left a binary in place (stat: %v)", err)
	}
	if got := leftovers(t, dir); len(got) != 0 {
		t.Fatalf("a failed build left %q", got)
	}
	// The lock was released: the next attempt builds.
	fb.fail = nil
	if _, err := ensureBinary(t.Context(), dir, fb.build, discard); err != nil {
		t.Fatalf("retry after a failed build: %v", err)
	}
	if n := fb.calls.Load(); n != 2 {
		t.Fatalf("build ran %d times, want 2", n)
	}
}

func TestEnsureBinaryBuildWithoutOutput(t *testing.T) {
	dir := t.TempDir()
	noop := func(context.Context, string) error { return nil }
	if _, err := ensureBinary(t.Context(), dir, noop, discard); err == nil {
		t.Fatal("ensureBinary succeeded although the build produced no binary")
	}
}

// envLockHelper makes the test binary act as another process holding the
// build lock; see TestEnsureBinaryWaitsForAnotherProcess.
const envLockHelper = "MINIOTEST_LOCK_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(envLockHelper); dir != "" {
		os.Exit(lockHelper(dir))
	}
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// lockHelper takes the build lock in dir, says "locked", waits for its
// stdin to close, installs a binary as a finished build would, and exits
// (releasing the lock).
func lockHelper(dir string) int {
	unlock, err := lockExclusive(context.Background(), filepath.Join(dir, ".lock"), func() {})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer unlock()
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n')
	if err := os.WriteFile(filepath.Join(dir, binaryName), []byte("#!/bin/sh\necho other\n"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestEnsureBinaryWaitsForAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), envLockHelper+"="+dir)
	helper.Stderr = os.Stderr
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { helper.Process.Kill(); helper.Wait() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	fb := &fakeBuild{}
	waited := make(chan struct{}, 1)
	type result struct {
		path string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		p, err := ensureBinary(t.Context(), dir, fb.build, func(string, ...any) { waited <- struct{}{} })
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("ensureBinary returned (%q, %v) while another process held the lock", r.path, r.err)
	case <-time.After(500 * time.Millisecond):
	}
	select {
	case <-waited:
	default:
		t.Error("ensureBinary did not report that it was waiting")
	}

	stdin.Close() // the other process finishes its build and exits
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("ensureBinary still waiting after the other process released the lock")
	}
	if r.err != nil {
		t.Fatalf("ensureBinary: %v", r.err)
	}
	if err := helper.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if fb.calls.Load() != 0 {
		t.Fatal("built again although the other process had just built the binary")
	}
	if data, _ := os.ReadFile(r.path); !strings.Contains(string(data), "other") {
		t.Fatalf("binary = %q, want the other process's", data)
	}
}

func TestEnsureBinaryLockWaitHonoursContext(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockExclusive(t.Context(), filepath.Join(dir, ".lock"), func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	fb := &fakeBuild{}
	if _, err := ensureBinary(ctx, dir, fb.build, discard); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ensureBinary with the lock held elsewhere = %v, want DeadlineExceeded", err)
	}
}

func TestBinaryFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "my-minio")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env     string
		want    string
		wantErr bool
	}{
		{exe, exe, false},
		{filepath.Join(dir, "missing"), "", true},
		{plain, "", true},
		{dir, "", true},
	}
	for _, tt := range tests {
		t.Setenv(EnvBinary, tt.env)
		got, err := Binary()
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s=%s: Binary() = %q, want an error", EnvBinary, tt.env, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s=%s: Binary() = %q, %v; want %q", EnvBinary, tt.env, got, err, tt.want)
		}
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(data), "module github.com/vitrine-shop/vitrine") {
		t.Fatalf("repoRoot() = %s, whose go.mod is not the vitrine module (%v)", root, err)
	}
}

func TestRequired(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"CI": "true"}, true},
		{map[string]string{EnvRequire: "1"}, true},
		{map[string]string{"CI": "", EnvRequire: ""}, false},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		if got := required(getenv); got != tt.want {
			t.Errorf("required(%v) = %t, want %t", tt.env, got, tt.want)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 10}
	fmt.Fprint(b, "0123456789")
	if got := b.String(); got != "0123456789" {
		t.Fatalf("within the limit: %q", got)
	}
	fmt.Fprint(b, "abc")
	if got := b.String(); got != "[earlier output dropped]\n3456789abc" {
		t.Fatalf("over the limit: %q", got)
	}
	fmt.Fprint(b, strings.Repeat("x", 25)+"END")
	if got := b.String(); !strings.HasSuffix(got, "xxxxxxxEND") || strings.Count(got, "x") != 7 {
		t.Fatalf("one large write: %q", got)
	}
}

func TestGoInstallHonoursContext(t *testing.T) {
	// A cancelled context stops the go command before it builds anything;
	// this checks the wiring without a multi-minute build.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := goInstall(ctx, t.TempDir())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("goInstall with a cancelled context = %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), modulePath+"@"+Version) {
		t.Fatalf("error %q does not name what was being installed", err)
	}
}
