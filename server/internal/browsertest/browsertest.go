// Package browsertest starts a headless Chromium for tests and drives it
// with chromedp. WebGL runs on SwiftShader, so the 3D viewer renders on
// machines without a GPU. Console messages and JavaScript exceptions of the
// page are forwarded to the test log, and exceptions are kept so tests can
// assert that none happened.
//
// A machine without Chromium skips browser tests, unless the environment
// variable CI or VITRINE_REQUIRE_BROWSER is set: there they must run, and a
// missing browser fails the test.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Default window size of the browser.
const (
	DefaultWidth  = 1280
	DefaultHeight = 800
)

// candidates are the executable names tried, in order, when
// VITRINE_CHROMIUM does not name the browser.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// ChromiumPath returns the browser executable: $VITRINE_CHROMIUM when set,
// else the first candidate on PATH. ok is false when none is found.
func ChromiumPath() (path string, ok bool) {
	if p := os.Getenv("VITRINE_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		return p, false
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Required reports whether browser tests must run here (CI or
// VITRINE_REQUIRE_BROWSER set).
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("VITRINE_REQUIRE_BROWSER") != ""
}

// Options tune New.
type Options struct {
	Width, Height int // window size; DefaultWidth×DefaultHeight when zero
	// Flags are extra Chromium command-line switches, named without the
	// leading "--": true for a bare switch, a string for a value. For
	// example FakeCamera's.
	Flags map[string]any
}

// FakeCamera returns the Chromium switches that grant camera access
// without asking and feed getUserMedia from videoFile, a .y4m (or .mjpeg)
// file that plays in a loop.
func FakeCamera(videoFile string) map[string]any {
	return map[string]any{
		"use-fake-ui-for-media-stream":     true,
		"use-fake-device-for-media-stream": true,
		"use-file-for-fake-video-capture":  videoFile,
	}
}

// Browser is one headless Chromium tab, closed when the test ends.
type Browser struct {
	// Ctx is the chromedp context of the tab; pass it to chromedp.Do and
	// chromedp.Run. Derive timeouts from it with context.WithTimeout.
	Ctx context.Context

	t          testing.TB
	mu         sync.Mutex
	ended      bool
	exceptions []string
}

// New starts a headless Chromium with a fresh profile and returns its
// tab. It skips the test when no browser is installed, or fails it when
// Required.
func New(t testing.TB, opts ...Options) *Browser {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = DefaultWidth, DefaultHeight
	}
	path, ok := ChromiumPath()
	if !ok {
		msg := "browsertest: no Chromium found (tried $VITRINE_CHROMIUM, " + strings.Join(candidates, ", ") + "); install chromium to run browser tests"
		if Required() {
			t.Fatal(msg + " — CI or VITRINE_REQUIRE_BROWSER is set, so browser tests must run")
		}
		t.Skip(msg)
	}

	// chromedp's defaults (Puppeteer's quiet profile), then ours, which
	// win where they overlap.
	allocOpts := append(append([]chromedp.ExecAllocatorOption(nil), chromedp.DefaultExecAllocatorOptions[:]...),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("ignore-gpu-blocklist", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(o.Width, o.Height),
	)
	for name, value := range o.Flags {
		allocOpts = append(allocOpts, chromedp.Flag(name, value))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &Browser{Ctx: ctx, t: t}

	// The first action starts the browser; it must not carry a timeout,
	// which would stop the browser with it.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			cancelTab()
			cancelAlloc()
			t.Fatalf("browsertest: starting %s: %v", path, err)
		}
	case <-time.After(60 * time.Second):
		cancelTab()
		cancelAlloc()
		t.Fatalf("browsertest: %s did not start within 60s", path)
	}

	consoleDone := make(chan struct{})
	go b.forwardConsole(consoleDone)
	t.Cleanup(func() {
		b.mu.Lock()
		b.ended = true
		b.mu.Unlock()
		cancelTab()
		cancelAlloc()
		select {
		case <-consoleDone:
		case <-time.After(10 * time.Second):
		}
	})
	return b
}

// forwardConsole logs the page's console messages and records its
// exceptions until the tab closes.
func (b *Browser) forwardConsole(done chan<- struct{}) {
	defer close(done)
	for m, err := range chromedp.Console(b.Ctx) {
		if err != nil {
			if b.Ctx.Err() == nil {
				b.logf("browsertest: console stream ended: %v", err)
			}
			return
		}
		text := m.String()
		if m.IsException() {
			b.mu.Lock()
			b.exceptions = append(b.exceptions, text)
			b.mu.Unlock()
			b.logf("browser exception: %s", text)
			continue
		}
		b.logf("browser console.%s: %s", m.Type, m.Text)
	}
}

// logf logs to the test unless it has ended (logging after the end
// panics).
func (b *Browser) logf(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.ended {
		b.t.Logf(format, args...)
	}
}

// Exceptions returns the uncaught JavaScript exceptions seen so far.
func (b *Browser) Exceptions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.exceptions...)
}

// ScreenshotDir is where screenshots go: $VITRINE_SCREENSHOTS when set
// (created if needed), else a directory removed after the test.
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("VITRINE_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("browsertest: screenshot dir: %v", err)
		}
		return dir
	}
	return t.TempDir()
}

// Screenshot captures the viewport as PNG into dir/name.png and returns
// the file's path and the bytes.
func (b *Browser) Screenshot(ctx context.Context, dir, name string) (string, []byte, error) {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", nil, fmt.Errorf("browsertest: screenshot %s: %w", name, err)
	}
	return save(dir, name, png)
}

// ElementScreenshot captures the element matched by the CSS selector sel
// as PNG into dir/name.png and returns the file's path and the bytes.
func (b *Browser) ElementScreenshot(ctx context.Context, dir, name, sel string) (string, []byte, error) {
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		return "", nil, fmt.Errorf("browsertest: screenshot %s of %s: %w", name, sel, err)
	}
	return save(dir, name, png)
}

func save(dir, name string, png []byte) (string, []byte, error) {
	if len(png) == 0 {
		return "", nil, errors.New("browsertest: empty screenshot")
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", nil, fmt.Errorf("browsertest: save screenshot: %w", err)
	}
	return path, png, nil
}

// WaitFor evaluates the JavaScript expression every 100 ms until it is
// truthy or timeout elapses. Evaluation errors (say, mid-navigation) count
// as "not yet". On failure it reports the expression, the page's state and
// the last evaluation error.
func (b *Browser) WaitFor(expression string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	check := "Boolean(" + expression + ")"
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](check))
		cancel()
		if err == nil && ok {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		if b.Ctx.Err() != nil {
			return fmt.Errorf("browsertest: waiting for %s: %w", expression, b.Ctx.Err())
		}
		if time.Now().After(deadline) {
			state, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.body ? (document.body.dataset.state || "") : "no body"`))
			return fmt.Errorf("browsertest: %s still false after %v (page state %q, last error %v)", expression, timeout, state, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
