package miniotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// Version is the github.com/minio/minio module version the harness runs.
const Version = "v0.0.0-20260212201848-7aac2a2c5b7c"

// modulePath is the module the MinIO server binary is installed from.
const modulePath = "github.com/minio/minio"

// EnvBinary names an existing MinIO binary to use instead of the cache.
const EnvBinary = "VITRINE_MINIO_BIN"

// buildTimeout bounds one build of MinIO (about four minutes on a small
// machine, more with a cold module cache).
const buildTimeout = 30 * time.Minute

// binaryName is the file go install writes for the minio module.
const binaryName = "minio"

// Binary returns the path of a MinIO server binary: $VITRINE_MINIO_BIN if
// set, else <repo root>/.cache/minio/<Version>/minio, building it there with
// `go install github.com/minio/minio@<Version>` if absent. Concurrent
// callers, in this process or other test binaries, build it once: the build
// holds an exclusive lock on a file in that directory, and the binary is
// renamed into place only when complete. A build's outcome is remembered
// for the rest of the process, so a failing build is not retried per test.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("miniotest: %s=%s: %w", EnvBinary, p, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("miniotest: %s=%s is not an executable file", EnvBinary, p)
		}
		return p, nil
	}
	return cachedBinary()
}

var cachedBinary = sync.OnceValues(func() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, ".cache", "minio", Version)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	return ensureBinary(ctx, dir, goInstall, logStderr)
})

// logStderr reports build progress; test output may be buffered per test,
// and a build of several minutes should not look like a hang.
func logStderr(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "miniotest: "+format+"\n", args...)
}

// repoRoot walks up from the working directory to the directory holding
// go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("miniotest: finding the repository root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("miniotest: no go.mod in %s or any parent", wd)
		}
	}
}

// buildFunc installs the MinIO binary into gobin.
type buildFunc func(ctx context.Context, gobin string) error

// ensureBinary returns dir/minio, calling build to create it if missing.
// The build runs under an exclusive lock on dir/.lock into a fresh staging
// directory; the result is renamed into place, so dir/minio is either
// absent or complete. A caller that waited for the lock finds the binary
// another process built and does not build again.
func ensureBinary(ctx context.Context, dir string, build buildFunc, logf func(string, ...any)) (string, error) {
	bin := filepath.Join(dir, binaryName)
	if isExecutable(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("miniotest: creating %s: %w", dir, err)
	}
	unlock, err := lockExclusive(ctx, filepath.Join(dir, ".lock"), func() {
		logf("waiting for another process building MinIO in %s", dir)
	})
	if err != nil {
		return "", err
	}
	defer unlock()
	if isExecutable(bin) {
		return bin, nil // built by whoever held the lock
	}

	staging, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", fmt.Errorf("miniotest: creating staging directory: %w", err)
	}
	defer os.RemoveAll(staging)

	logf("building MinIO %s into %s; this takes several minutes, once", Version, dir)
	start := time.Now()
	stopTicker := tick(30*time.Second, func() {
		logf("still building MinIO (%s elapsed)", time.Since(start).Round(time.Second))
	})
	err = build(ctx, staging)
	stopTicker()
	if err != nil {
		return "", fmt.Errorf("miniotest: building MinIO %s: %w", Version, err)
	}
	built := filepath.Join(staging, binaryName)
	if !isExecutable(built) {
		return "", fmt.Errorf("miniotest: building MinIO %s: no executable %s after the build", Version, built)
	}
	if err := os.Rename(built, bin); err != nil {
		return "", fmt.Errorf("miniotest: moving the MinIO binary into place: %w", err)
	}
	logf("built MinIO in %s", time.Since(start).Round(time.Second))
	return bin, nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// tick calls f every interval until the returned stop function is called.
func tick(interval time.Duration, f func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// maxBuildOutput bounds how much of the go command's output a failed build
// reports.
const maxBuildOutput = 16 << 10

// goInstall runs `go install github.com/minio/minio@Version` with GOBIN set
// to gobin. The module version pins the build, so the repository's go.mod
// plays no part.
func goInstall(ctx context.Context, gobin string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("finding the go command: %w", err)
	}
	cmd := exec.CommandContext(ctx, goCmd, "install", modulePath+"@"+Version)
	cmd.Dir = gobin
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	out := &tailBuffer{max: maxBuildOutput}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return fmt.Errorf("go install %s@%s: %w\n%s", modulePath, Version, err, out.String())
	}
	return nil
}

// tailBuffer is a concurrency-safe writer keeping the last max bytes.
type tailBuffer struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	max       int
	truncated bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) > b.max {
		p = p[len(p)-b.max:]
	}
	if over := b.buf.Len() + len(p) - b.max; over > 0 {
		b.buf.Next(over)
		b.truncated = true
	}
	b.buf.Write(p)
	return n, nil
}

// String returns the kept output, marked if earlier output was dropped.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.truncated {
		return "[earlier output dropped]\n" + b.buf.String()
	}
	return b.buf.String()
}

var _ io.Writer = (*tailBuffer)(nil)

// errLockUnsupported is returned where the platform has no flock.
var errLockUnsupported = errors.New("miniotest: file locking is not supported on this platform")
