package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
)

// page drives a test's browser tab; every step that fails fails the test
// with the server's log.
type page struct {
	t     *testing.T
	b     *browsertest.Browser
	env   *Env
	shots string // screenshot folder
}

func newPage(t *testing.T, b *browsertest.Browser, env *Env, shots string) *page {
	return &page{t: t, b: b, env: env, shots: shots}
}

// run performs chromedp steps, bounded by pageTimeout.
func (p *page) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.b.Ctx, pageTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v\nserver log:\n%s", what, err, p.env.ServerLog())
	}
}

// wait polls a JavaScript condition until it holds or timeout passes.
func (p *page) wait(expr string, timeout time.Duration) {
	p.t.Helper()
	if err := p.b.WaitFor(expr, timeout); err != nil {
		p.t.Fatalf("%v\nserver log:\n%s", err, p.env.ServerLog())
	}
}

// eval returns a JavaScript expression's string value.
func (p *page) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.b.Ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// shot saves a screenshot once loaded images are decoded and two frames
// have been drawn, and returns its PNG bytes.
func (p *page) shot(name string) []byte {
	p.t.Helper()
	settle, cancel := context.WithTimeout(p.b.Ctx, pageTimeout)
	_, err := chromedp.Run(settle, chromedp.Evaluate[bool](`(async () => {
			await Promise.all([...document.images].filter(i => i.complete).map(i => i.decode().catch(() => {})));
			await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
			return true;
		})()`, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil {
		p.t.Fatalf("settle before screenshot %s: %v", name, err)
	}
	path, data, err := p.b.Screenshot(p.b.Ctx, p.shots, name)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", path)
	return data
}
