package e2e

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/vitrine-shop/vitrine/assets"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
)

// The viewer benchmark (make bench-viewer) compares Vitrine's viewer with
// Google's <model-viewer> serving the original GLB, in one headless
// Chromium: time to the first rendered frame of the model and the bytes
// received before it, for a small sample model and a generated model over
// 5 MB, unthrottled and on a throttled mobile link, with a cold and a warm
// cache; the WebAssembly's size raw and gzip-compressed; and the frame
// time while orbiting. It is skipped unless VITRINE_BENCH_VIEWER is set:
//
//	VITRINE_BENCH_VIEWER=1 go test ./server/e2e -run TestBenchViewer -count=1 -v -timeout 60m
//
// VITRINE_BENCH_RUNS=N repeats every page load N times and reports the
// median (default 1); VITRINE_BENCH_OUT=file also writes the table there.
// It needs <model-viewer> installed with npm (see modelViewerJS).
const benchEnv = "VITRINE_BENCH_VIEWER"

// modelViewerVersion is the <model-viewer> measured, installed with
//
//	npm install --prefix .cache/model-viewer @google/model-viewer@4.4.0
//
// Its dist/model-viewer.min.js bundles three.js: the page loads that one
// file.
const modelViewerVersion = "4.4.0"

// Network profiles.
type netProfile struct {
	name                 string
	latencyMs            float64
	downBytesPerSecond   float64 // -1: not throttled
	upBytesPerSecond     float64
	throttled            bool
	firstFrameTimeoutSec int
}

var benchProfiles = []netProfile{
	{name: "unthrottled", downBytesPerSecond: -1, upBytesPerSecond: -1, firstFrameTimeoutSec: 180},
	// A typical mobile link: 10 Mbit/s down, 40 ms round trip.
	{name: "10 Mbit/s, 40 ms", latencyMs: 40, downBytesPerSecond: 10e6 / 8, upBytesPerSecond: 5e6 / 8, throttled: true, firstFrameTimeoutSec: 300},
}

const (
	benchSmallSKU = "chair-oak" // a sample model, 0.25 MB
	benchLargeSKU = "bench-amphora"
	benchToken    = "bench-token"
	// benchCanvasW×H is the <model-viewer> element's size: the size of
	// Vitrine's canvas in the default 1280×800 window.
	benchCanvasW, benchCanvasH = 710, 533
)

// benchResult is one measured page load.
type benchResult struct {
	firstFrameMs float64
	bytes        int64 // received from the network before the first frame
}

func TestBenchViewer(t *testing.T) {
	if os.Getenv(benchEnv) == "" {
		t.Skipf("the viewer benchmark runs only with %s=1 (make bench-viewer)", benchEnv)
	}
	e := Server(t)
	if workDir == "" {
		t.Skip("the benchmark starts its own server from the harness's build; unset VITRINE_E2E_BASE_URL")
	}
	mvJS := modelViewerJS(t)
	small, err := assets.ReadFile("models/" + benchSmallSKU + ".glb")
	if err != nil {
		t.Fatal(err)
	}
	large := amphoraGLB(t)
	t.Logf("models: small %s %d bytes, large %s %d bytes", benchSmallSKU, len(small), benchLargeSKU, len(large))

	srv := startBenchServer(t, e)
	srv.upload(t, benchLargeSKU, large)

	mv := httptest.NewServer(modelViewerSite(mvJS, map[string][]byte{benchSmallSKU: small, benchLargeSKU: large}))
	t.Cleanup(mv.Close)

	b := browsertest.New(t)
	rec := newNetRecorder(t, b)

	runs := 1
	if n, err := strconv.Atoi(os.Getenv("VITRINE_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	type key struct{ model, profile, cache, viewer string }
	samples := map[key][]benchResult{}
	models := []struct {
		sku  string
		size int
	}{{benchSmallSKU, len(small)}, {benchLargeSKU, len(large)}}
	for _, prof := range benchProfiles {
		for _, m := range models {
			for _, viewer := range []string{"vitrine", "model-viewer"} {
				url, hook := srv.base+"/p/"+m.sku, "window.vitrineFirstFrameMs"
				if viewer == "model-viewer" {
					url, hook = mv.URL+"/?model="+m.sku, "window.mvFirstFrameMs"
				}
				for run := range runs {
					for _, cache := range []string{"cold", "warm"} {
						if cache == "cold" {
							rec.clearCaches(t, srv.base, mv.URL)
						}
						r := rec.measure(t, prof, url, hook)
						k := key{m.sku, prof.name, cache, viewer}
						samples[k] = append(samples[k], r)
						t.Logf("run %d: %-13s %-13s %-17s %-4s first frame %7.0f ms, %9d bytes", run+1, viewer, m.sku, prof.name, cache, r.firstFrameMs, r.bytes)
					}
				}
			}
		}
	}

	// Each figure is the median of the runs (by first frame time).
	results := map[key]benchResult{}
	for k, rs := range samples {
		slices.SortFunc(rs, func(a, b benchResult) int { return cmp.Compare(a.firstFrameMs, b.firstFrameMs) })
		results[k] = rs[(len(rs)-1)/2]
	}

	// Frame time while orbiting the large model (unthrottled, warm).
	rec.throttle(t, benchProfiles[0])
	vitrineFrames := orbitFrameTimes(t, b, srv.base+"/p/"+benchLargeSKU, `document.body.dataset.state === "model-loaded"`, "#g3n-canvas")
	mvFrames := orbitFrameTimes(t, b, mv.URL+"/?model="+benchLargeSKU, `window.mvFirstFrameMs > 0`, "#viewer")

	wasm, err := os.ReadFile(filepath.Join(e.WebDir, "main.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(wasm)
	zw.Close()

	// The report.
	var out strings.Builder
	fmt.Fprintf(&out, "Viewer benchmark, headless Chromium (SwiftShader WebGL), <model-viewer> %s, median of %d run(s)\n\n", modelViewerVersion, runs)
	tw := tabwriter.NewWriter(&out, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "model\tnetwork\tcache\tVitrine first frame\tVitrine bytes before\t<model-viewer> first frame\t<model-viewer> bytes before\tVitrine ÷ <model-viewer>\t")
	for _, prof := range benchProfiles {
		for _, m := range models {
			for _, cache := range []string{"cold", "warm"} {
				v := results[key{m.sku, prof.name, cache, "vitrine"}]
				g := results[key{m.sku, prof.name, cache, "model-viewer"}]
				fmt.Fprintf(tw, "%s (%.2f MB)\t%s\t%s\t%.0f ms\t%s\t%.0f ms\t%s\t%.2f×\t\n", m.sku, float64(m.size)/1e6, prof.name, cache,
					v.firstFrameMs, mb(v.bytes), g.firstFrameMs, mb(g.bytes), v.firstFrameMs/g.firstFrameMs)
			}
		}
	}
	tw.Flush()
	fmt.Fprintf(&out, "\nVitrine main.wasm: %s raw, %s gzip -9 (what `vitrine serve` sends to browsers that accept gzip)\n", mb(int64(len(wasm))), mb(int64(gz.Len())))
	fmt.Fprintf(&out, "<model-viewer> dist/model-viewer.min.js (three.js bundled): %s raw\n", mb(int64(len(mvJS))))
	fmt.Fprintf(&out, "Frame time while orbiting %s (requestAnimationFrame deltas): Vitrine median %.1f ms, p95 %.1f ms (%d frames); <model-viewer> median %.1f ms, p95 %.1f ms (%d frames)\n",
		benchLargeSKU, percentile(vitrineFrames, 50), percentile(vitrineFrames, 95), len(vitrineFrames),
		percentile(mvFrames, 50), percentile(mvFrames, 95), len(mvFrames))
	t.Logf("\n%s", out.String())
	if path := os.Getenv("VITRINE_BENCH_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Errorf("write %s: %v", path, err)
		}
	}
	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("the pages threw %d exceptions: %q", len(ex), ex)
	}
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

// modelViewerJS reads <model-viewer>'s self-contained bundle from the npm
// install under .cache/model-viewer, checking its version.
func modelViewerJS(t *testing.T) []byte {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".cache", "model-viewer", "node_modules", "@google", "model-viewer")
	install := "npm install --prefix .cache/model-viewer @google/model-viewer@" + modelViewerVersion
	pkg, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatalf("<model-viewer> is not installed (%v); run: %s", err, install)
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(pkg, &meta); err != nil || meta.Version != modelViewerVersion {
		t.Fatalf("<model-viewer> %q installed, want %s; run: %s", meta.Version, modelViewerVersion, install)
	}
	js, err := os.ReadFile(filepath.Join(dir, "dist", "model-viewer.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// modelViewerSite serves <model-viewer> and the original GLBs: /?model=SKU
// is a page with one <model-viewer> of the model's size on Vitrine's
// canvas. Files are revalidated on every visit (Cache-Control: no-cache),
// as `vitrine serve` does with its own files, and neither site compresses.
func modelViewerSite(js []byte, models map[string][]byte) http.Handler {
	modTime := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /model-viewer.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "model-viewer.min.js", modTime, bytes.NewReader(js))
	})
	mux.HandleFunc("GET /models/{file}", func(w http.ResponseWriter, r *http.Request) {
		data, ok := models[strings.TrimSuffix(r.PathValue("file"), ".glb")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "model/gltf-binary")
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, r.PathValue("file"), modTime, bytes.NewReader(data))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		sku := r.URL.Query().Get("model")
		if _, ok := models[sku]; !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%[1]s in model-viewer</title>
<script type="module" src="/model-viewer.min.js"></script>
<style>body { margin: 0; background: #f1f0ed; } model-viewer { width: %[2]dpx; height: %[3]dpx; margin: 60px; }</style>
</head><body>
<model-viewer id="viewer" src="/models/%[1]s.glb" alt="%[1]s" camera-controls interaction-prompt="none" loading="eager" reveal="auto"></model-viewer>
<script>
document.getElementById("viewer").addEventListener("load", () => {
  requestAnimationFrame(() => { window.mvFirstFrameMs = performance.now(); });
});
</script>
</body></html>`, sku, benchCanvasW, benchCanvasH)
	})
	return mux
}

// benchServer is a second `vitrine serve` from the harness's build, with
// a merchant token so the large model can be uploaded and processed.
type benchServer struct {
	base string
	cmd  *exec.Cmd
}

func startBenchServer(t *testing.T, e *Env) *benchServer {
	t.Helper()
	dir := t.TempDir()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(workDir, "vitrine"), "serve", "-addr", addr, "-data", filepath.Join(dir, "data"),
		"-wal-dir", filepath.Join(dir, "wal"), "-web", e.WebDir, "-merchant-tokens", "bench="+benchToken)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	s := &benchServer{base: "http://" + addr, cmd: cmd}
	if err := waitReady(s.base + "/readyz"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		t.Fatalf("bench server: %v\n%s", err, log)
	}
	return s
}

func (s *benchServer) api(t *testing.T, method, path string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, data
}

// upload creates the product, uploads its model through the merchant API
// and waits until the pipeline has made its levels of detail.
func (s *benchServer) upload(t *testing.T, sku string, glb []byte) {
	t.Helper()
	product := `{"sku":"` + sku + `","name":"Glazed Amphora (benchmark)","category":"decor","price":120,"currency":"EUR",` +
		`"description":"A finely modelled glazed vase, generated for the viewer benchmark.",` +
		`"dimensions_m":{"w":0.32,"h":0.5,"d":0.32},"placement":"floor"}`
	if code, body := s.api(t, "POST", "/api/v1/products", strings.NewReader(product)); code != http.StatusCreated {
		t.Fatalf("create %s: %d %s", sku, code, body)
	}
	if code, body := s.api(t, "PUT", "/api/v1/products/"+sku+"/model", bytes.NewReader(glb)); code != http.StatusAccepted {
		t.Fatalf("upload %s: %d %s", sku, code, body)
	}
	// The sample catalog (with benchSmallSKU) was seeded before the
	// server reported ready; wait for the pipeline to finish sku.
	deadline := time.Now().Add(10 * time.Minute)
	for {
		code, body := s.api(t, "GET", "/api/v1/products/"+sku, nil)
		var p struct{ Status string }
		_ = json.Unmarshal(body, &p)
		if code == http.StatusOK && p.Status == "ready" {
			return
		}
		if code != http.StatusOK || p.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("%s never became ready: %d %s", sku, code, body)
		}
		time.Sleep(250 * time.Millisecond) // polling the merchant API
	}
}

// amphoraGLB builds a model over 5 MB: a finely subdivided vase (a
// surface of revolution, 512 × 256 quads) in metres, with a 2048² glazed
// and striped base colour texture.
func amphoraGLB(t *testing.T) []byte {
	t.Helper()
	const rings, segments = 256, 512
	const height = 0.5
	radius := func(v float64) float64 { // v from 0 (foot) to 1 (lip)
		return 0.06 + 0.1*math.Sin(math.Pi*v*0.95) + 0.02*math.Sin(3*math.Pi*v) - 0.03*math.Max(0, v-0.8)/0.2
	}
	n := (rings + 1) * (segments + 1)
	pos := make([][3]float32, 0, n)
	nor := make([][3]float32, 0, n)
	uvs := make([][2]float32, 0, n)
	for i := 0; i <= rings; i++ {
		v := float64(i) / rings
		r := radius(v)
		dr := (radius(math.Min(1, v+1e-3)) - radius(math.Max(0, v-1e-3))) / (2e-3 * height)
		for j := 0; j <= segments; j++ {
			u := float64(j) / segments
			a := 2 * math.Pi * u
			ca, sa := math.Cos(a), math.Sin(a)
			// Fine relief so the detail needs the triangles.
			rr := r * (1 + 0.01*math.Sin(64*a)*math.Sin(40*math.Pi*v))
			pos = append(pos, [3]float32{float32(rr * ca), float32(v * height), float32(rr * sa)})
			nl := math.Hypot(1, dr)
			nor = append(nor, [3]float32{float32(ca / nl), float32(-dr / nl), float32(sa / nl)})
			uvs = append(uvs, [2]float32{float32(u), float32(1 - v)})
		}
	}
	idx := make([]uint32, 0, rings*segments*6)
	for i := 0; i < rings; i++ {
		for j := 0; j < segments; j++ {
			a := uint32(i*(segments+1) + j)
			b := a + segments + 1
			idx = append(idx, a, b, a+1, a+1, b, b+1)
		}
	}
	tex := image.NewRGBA(image.Rect(0, 0, 2048, 2048))
	for y := 0; y < 2048; y++ {
		for x := 0; x < 2048; x++ {
			band := 0.5 + 0.5*math.Sin(float64(y)/2048*math.Pi*18)
			speck := float64((x*7919+y*104729)%97) / 97
			c := color.RGBA{
				R: uint8(40 + 60*band + 20*speck),
				G: uint8(90 + 70*band + 20*speck),
				B: uint8(110 + 60*(1-band) + 20*speck),
				A: 255,
			}
			tex.SetRGBA(x, y, c)
		}
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, tex, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	bld := gltf.NewBuilder("vitrine viewer benchmark")
	img, err := bld.AddImage("glaze", jpg.Bytes())
	check(t, err)
	texture, err := bld.AddTexture(img)
	check(t, err)
	mat, err := bld.AddMaterial(gltf.MaterialSpec{Name: "glaze", BaseColor: [4]float64{1, 1, 1, 1}, Roughness: 0.35,
		BaseColorTexture: texture, MetallicRoughnessTexture: gltf.NoTexture, NormalTexture: gltf.NoTexture, DoubleSided: true})
	check(t, err)
	mesh, err := bld.AddMesh("amphora", []gltf.PrimitiveData{{Positions: pos, Normals: nor, UVs: uvs, Indices: idx, Material: mat}})
	check(t, err)
	node, err := bld.AddNode(gltf.NodeSpec{Name: "amphora", Mesh: mesh})
	check(t, err)
	check(t, bld.AddToScene(node))
	glb, err := bld.GLB()
	check(t, err)
	if len(glb) <= 5<<20 {
		t.Fatalf("the large model is %d bytes; want over 5 MB", len(glb))
	}
	return glb
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// netRecorder records the bytes the tab receives from the network, HTTP
// bodies and WebSocket frames, with their times.
type netRecorder struct {
	b  *browsertest.Browser
	mu sync.Mutex
	// wallMinusMono converts the protocol's monotonic timestamps to wall
	// time (seconds), learnt from the navigation's request.
	wallMinusMono float64
	arrivals      []arrival
}

type arrival struct {
	at    float64 // monotonic seconds
	bytes int64
}

func newNetRecorder(t *testing.T, b *browsertest.Browser) *netRecorder {
	t.Helper()
	r := &netRecorder{b: b}
	if err := chromedp.Listen(b.Ctx, func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Type == network.ResourceTypeDocument && ev.WallTime > 0 {
				r.wallMinusMono = ev.WallTime.Float64() - ev.Timestamp.Float64()
			}
		case *network.EventDataReceived:
			r.arrivals = append(r.arrivals, arrival{at: ev.Timestamp.Float64(), bytes: ev.EncodedDataLength})
		case *network.EventWebSocketFrameReceived:
			if ev.Response != nil {
				r.arrivals = append(r.arrivals, arrival{at: ev.Timestamp.Float64(), bytes: int64(len(ev.Response.PayloadData))})
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(b.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// clearCaches empties the HTTP cache and the sites' storage (Vitrine's
// Cache Storage): the next visit is a first visit.
func (r *netRecorder) clearCaches(t *testing.T, origins ...string) {
	t.Helper()
	err := chromedp.Do(r.b.Ctx, chromedp.Navigate("about:blank"), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.ClearBrowserCache, cdp.Empty{}); err != nil {
			return err
		}
		for _, o := range origins {
			if _, err := cdp.Call(ctx, tg, storage.ClearDataForOrigin, storage.ClearDataForOriginParams{Origin: o, StorageTypes: "all"}); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
}

// throttle applies a network profile to every request of the tab,
// WebSockets included.
func (r *netRecorder) throttle(t *testing.T, p netProfile) {
	t.Helper()
	err := chromedp.Do(r.b.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		var rules []*network.Conditions
		if p.throttled {
			rules = []*network.Conditions{{Latency: p.latencyMs, DownloadThroughput: p.downBytesPerSecond, UploadThroughput: p.upBytesPerSecond}}
		}
		_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
}

// measure loads url under profile p and waits until hook (a
// performance.now() reading) is set: the first frame of the model.
func (r *netRecorder) measure(t *testing.T, p netProfile, url, hook string) benchResult {
	t.Helper()
	if err := chromedp.Do(r.b.Ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	r.throttle(t, p)
	r.mu.Lock()
	r.arrivals, r.wallMinusMono = nil, 0
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.b.Ctx, time.Duration(p.firstFrameTimeoutSec)*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if err := r.b.WaitFor(hook+" > 0", time.Duration(p.firstFrameTimeoutSec)*time.Second); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	var at struct{ Frame, Origin float64 }
	js, err := chromedp.Run(r.b.Ctx, chromedp.Evaluate[string](`JSON.stringify({Frame: `+hook+`, Origin: performance.timeOrigin})`))
	if err != nil || json.Unmarshal([]byte(js), &at) != nil {
		t.Fatalf("read the first frame time: %v %s", err, js)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// The first frame on the protocol's monotonic clock.
	frameMono := (at.Origin+at.Frame)/1000 - r.wallMinusMono
	var before int64
	for _, a := range r.arrivals {
		if a.at <= frameMono {
			before += a.bytes
		}
	}
	return benchResult{firstFrameMs: at.Frame, bytes: before}
}

// orbitFrameTimes opens url, waits for ready, then drags across the
// element sel with the mouse for about two seconds, as a shopper turning
// the model, and returns the requestAnimationFrame intervals meanwhile.
func orbitFrameTimes(t *testing.T, b *browsertest.Browser, url, ready, sel string) []float64 {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(ready, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	var box struct{ X, Y float64 }
	js, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const e = document.querySelector(%q);
		e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect();
		return JSON.stringify({X: r.left + r.width / 2, Y: r.top + r.height / 2}); })()`, sel)))
	if err != nil || json.Unmarshal([]byte(js), &box) != nil {
		t.Fatalf("locate %s: %v", sel, err)
	}
	_, err = chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`(() => { window.benchFrames = []; window.benchRecording = true;
		const tick = t => { if (!window.benchRecording) return; window.benchFrames.push(t); requestAnimationFrame(tick); };
		requestAnimationFrame(tick); return true; })()`))
	if err != nil {
		t.Fatal(err)
	}
	mouse := func(typ input.DispatchMouseEventType, x float64, buttons int64) {
		err := chromedp.Do(b.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, input.DispatchMouseEvent, input.DispatchMouseEventParams{
				Type: typ, X: x, Y: box.Y, Button: input.MouseButtonLeft, Buttons: buttons, ClickCount: 1})
			return err
		}))
		if err != nil {
			t.Fatal(err)
		}
	}
	x := box.X - 150
	mouse(input.DispatchMouseEventTypeMouseMoved, x, 0)
	mouse(input.DispatchMouseEventTypeMousePressed, x, 1)
	// Pace the drag at about 60 moves a second, 2.5 px each.
	tick := time.NewTicker(16 * time.Millisecond)
	for range 120 {
		<-tick.C
		x += 2.5
		mouse(input.DispatchMouseEventTypeMouseMoved, x, 1)
	}
	tick.Stop()
	mouse(input.DispatchMouseEventTypeMouseReleased, x, 0)
	js, err = chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(() => { window.benchRecording = false; return JSON.stringify(window.benchFrames); })()`))
	if err != nil {
		t.Fatal(err)
	}
	var stamps []float64
	if err := json.Unmarshal([]byte(js), &stamps); err != nil || len(stamps) < 10 {
		t.Fatalf("frame times %s: %v", js, err)
	}
	deltas := make([]float64, 0, len(stamps)-1)
	for i := 1; i < len(stamps); i++ {
		deltas = append(deltas, stamps[i]-stamps[i-1])
	}
	return deltas
}

// percentile is the p-th percentile (nearest rank) of values.
func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	s := slices.Clone(values)
	slices.Sort(s)
	rank := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(rank, len(s)-1))]
}
