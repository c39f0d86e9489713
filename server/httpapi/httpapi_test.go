package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/server/gltf/gltftest"
	"github.com/vitrine-shop/vitrine/server/httpapi"
	"github.com/vitrine-shop/vitrine/wire"
)

const (
	tokenA = "token-aaaaaaaa"
	tokenB = "token-bbbbbbbb"
)

type fixture struct {
	webDir string
	srv    *httptest.Server
	store  blob.Store
	cat    *catalog.Catalog
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(context.Background(), st, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	web := t.TempDir()
	for name, page := range map[string]string{"index.html": "<!doctype html><title>Vitrine</title>", "merchant.html": "<!doctype html><title>Vitrine merchant console</title>"} {
		if err := os.WriteFile(filepath.Join(web, name), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tokens, err := httpapi.ParseTokens("merchant-a=" + tokenA + ",merchant-b=" + tokenB)
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := assetpipe.NewInline(assetpipe.Config{Store: st, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Config{
		Catalog: cat, Pipeline: pipe, Blobs: st,
		WebDir: web, Merchants: tokens, MaxModelBytes: 1 << 20, MaxImageBytes: 1 << 20,
		Registry: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{webDir: web, srv: srv, store: st, cat: cat}
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) errorCode(t *testing.T) wire.Code {
	t.Helper()
	var e struct {
		Error wire.Error `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body is not JSON: %s", r.body)
	}
	if e.Error.Message == "" {
		t.Fatalf("error without message: %s", r.body)
	}
	return e.Error.Code
}

func (f *fixture) do(t *testing.T, method, path, token, contentType string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: b, header: res.Header}
}

func productJSON(sku string) []byte {
	return []byte(`{"sku":"` + sku + `","name":"Test cube","category":"tests","price":10,"currency":"EUR",
		"dimensions_m":{"w":0.5,"h":0.5,"d":0.5},"placement":"floor"}`)
}

// cubeGLB is a valid 0.5 m cube GLB standing on y=0.
func cubeGLB(t *testing.T) []byte { return gltftest.Box(t, 0.5, 0.5, 0.5) }

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mediaKeys lists what is stored under a product's media prefix.
func (f *fixture) mediaKeys(t *testing.T, sku string) []string {
	t.Helper()
	infos, err := f.store.List(context.Background(), catalog.ProductPrefix(sku))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	return keys
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	if r := f.do(t, "GET", "/api/v1/products", "", "", nil); r.status != 401 || r.errorCode(t) != wire.CodeUnauthorized {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	if r := f.do(t, "GET", "/api/v1/products", "wrong-token-123", "", nil); r.status != 401 {
		t.Fatalf("bad token: %d", r.status)
	}
	if r := f.do(t, "POST", "/api/v1/products", tokenA, "application/json", productJSON("cube-1")); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	// merchant-b may not read, change, upload to or delete merchant-a's product.
	for _, c := range []struct{ method, path, ctype string }{
		{"GET", "/api/v1/products/cube-1", ""},
		{"DELETE", "/api/v1/products/cube-1", ""},
		{"PUT", "/api/v1/products/cube-1/model", "model/gltf-binary"},
		{"POST", "/api/v1/products/cube-1/images", "image/png"},
		{"POST", "/api/v1/products", "application/json"},
	} {
		body := []byte("x")
		if c.path == "/api/v1/products" {
			body = productJSON("cube-1")
		}
		if r := f.do(t, c.method, c.path, tokenB, c.ctype, body); r.status != 403 || r.errorCode(t) != wire.CodeForbidden {
			t.Errorf("%s %s as merchant-b: %d %s; want 403", c.method, c.path, r.status, r.body)
		}
	}
	if r := f.do(t, "GET", "/api/v1/products/nope", tokenA, "", nil); r.status != 404 {
		t.Fatalf("missing product: %d", r.status)
	}
	var list struct {
		Total int `json:"total"`
	}
	r := f.do(t, "GET", "/api/v1/products", tokenB, "", nil)
	if err := json.Unmarshal(r.body, &list); err != nil || list.Total != 0 {
		t.Fatalf("merchant-b sees %s", r.body)
	}
}

func TestProductMetadata(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, "POST", "/api/v1/products", tokenA, "application/json", productJSON("cube-1"))
	if r.status != 201 || r.header.Get("Location") != "/api/v1/products/cube-1" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var p catalog.Product
	if err := json.Unmarshal(r.body, &p); err != nil || p.Status != wire.StatusPending || p.Merchant != "merchant-a" || p.Version != 1 {
		t.Fatalf("created %+v", p)
	}
	r = f.do(t, "POST", "/api/v1/products", tokenA, "application/json", bytes.Replace(productJSON("cube-1"), []byte(`"price":10`), []byte(`"price":12`), 1))
	if err := json.Unmarshal(r.body, &p); r.status != 200 || err != nil || p.Price != 12 || p.Version != 2 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	for _, tt := range []struct {
		name   string
		ctype  string
		body   string
		status int
		code   wire.Code
	}{
		{"not json", "application/json", `{"sku":`, 400, wire.CodeBadJSON},
		{"wrong type", "application/json", `{"sku":"a","price":"ten"}`, 400, wire.CodeBadJSON},
		{"two objects", "application/json", `{} {}`, 400, wire.CodeBadJSON},
		{"empty", "application/json", ``, 400, wire.CodeBadRequest},
		{"invalid fields", "application/json", `{"sku":"../x","name":"","category":"c","price":-1,"currency":"EUR","dimensions_m":{"w":1,"h":1,"d":1},"placement":"floor"}`, 422, wire.CodeBadRequest},
		{"content type", "text/plain", `{}`, 415, wire.CodeUnsupportedMedia},
		{"too large", "application/json", `{"description":"` + strings.Repeat("x", 70<<10) + `"}`, 413, wire.CodeTooLarge},
	} {
		r := f.do(t, "POST", "/api/v1/products", tokenA, tt.ctype, []byte(tt.body))
		if r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%s: %d %s; want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
	}
	r = f.do(t, "POST", "/api/v1/products", tokenA, "application/json", []byte(`{"sku":"bad sku","name":"","category":"c","price":1,"currency":"EUR","dimensions_m":{"w":1,"h":1,"d":1},"placement":"floor"}`))
	var e struct{ Error wire.Error }
	_ = json.Unmarshal(r.body, &e)
	if len(e.Error.Details) != 2 {
		t.Errorf("details %v; want one per bad field (sku, name)", e.Error.Details)
	}
}

func TestModelUpload(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/v1/products", tokenA, "application/json", productJSON("cube-1"))
	r := f.do(t, "PUT", "/api/v1/products/cube-1/model", tokenA, "model/gltf-binary", cubeGLB(t))
	if r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var p struct {
		catalog.Product
		ModelURL string `json:"model_url"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != wire.StatusReady || p.Model == nil || p.Version != 3 {
		t.Fatalf("after upload: status %s model %v version %d", p.Status, p.Model, p.Version)
	}
	if d := p.Model.DimensionsM; d.W != 0.5 || d.H != 0.5 || d.D != 0.5 {
		t.Fatalf("measured %+v; want 0.5 m cube", d)
	}
	if p.Model.BoundsMin[1] != 0 || p.Model.Triangles != 12 {
		t.Fatalf("bounds %v triangles %d", p.Model.BoundsMin, p.Model.Triangles)
	}
	if p.Report == nil || p.Report.MismatchPct != 0 || len(p.Report.Problems) != 0 {
		t.Fatalf("report %+v", p.Report)
	}
	if m := f.do(t, "GET", p.ModelURL, "", "", nil); m.status != 200 || !bytes.HasPrefix(m.body, []byte("glTF")) {
		t.Fatalf("model media: %d", m.status)
	}
	// A second upload replaces the first and removes its file.
	first := p.Model.Key
	r = f.do(t, "PUT", "/api/v1/products/cube-1/model", tokenA, "", cubeGLB(t))
	if r.status != 200 {
		t.Fatalf("re-upload: %d", r.status)
	}
	var again catalog.Product
	if err := json.Unmarshal(r.body, &again); err != nil {
		t.Fatal(err)
	}
	kept := again.Keys()
	for _, key := range f.mediaKeys(t, "cube-1") {
		if !kept[key] {
			t.Errorf("after re-upload %s is stored but no longer referenced", key)
		}
	}
	if kept[first] {
		t.Errorf("the first model %s is still referenced", first)
	}
}

func TestModelMismatchReported(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/v1/products", tokenA, "application/json", bytes.Replace(productJSON("cube-2"), []byte(`"w":0.5`), []byte(`"w":0.6`), 1))
	r := f.do(t, "PUT", "/api/v1/products/cube-2/model", tokenA, "", cubeGLB(t))
	var p catalog.Product
	if err := json.Unmarshal(r.body, &p); err != nil || p.Report == nil {
		t.Fatal(r.status, string(r.body))
	}
	if len(p.Report.Problems) == 0 || !strings.Contains(p.Report.Problems[0], "0.600 × 0.500 × 0.500 m was declared") || p.Report.MismatchPct < 16 || p.Report.MismatchPct > 17 {
		t.Fatalf("report %+v; want the declared-versus-measured mismatch of ~16.7%% named", p.Report)
	}
}

func TestBadModelUploads(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/v1/products", tokenA, "application/json", productJSON("cube-1"))
	good := cubeGLB(t)

	lyingChunk := bytes.Clone(good)
	binary.LittleEndian.PutUint32(lyingChunk[12:], uint32(len(good))) // JSON chunk claims the whole file
	lyingTotal := bytes.Clone(good)
	binary.LittleEndian.PutUint32(lyingTotal[8:], uint32(len(good)+100))

	outOfRange := func() []byte {
		a, err := gltf.Parse(good, gltf.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		a.Doc.Accessors[0].Count = 1000 // past the end of its buffer view
		glb, err := gltf.WriteGLB(a.Doc, a.BIN)
		if err != nil {
			t.Fatal(err)
		}
		return glb
	}()
	for _, tt := range []struct {
		name   string
		body   []byte
		status int
		code   wire.Code
	}{
		{"not a GLB", []byte("hello, I am a text file"), 422, wire.CodeInvalidGLTF},
		{"truncated", good[:len(good)/2], 422, wire.CodeInvalidGLTF},
		{"lying chunk length", lyingChunk, 422, wire.CodeInvalidGLTF},
		{"lying total length", lyingTotal, 422, wire.CodeInvalidGLTF},
		{"out-of-range accessor", outOfRange, 422, wire.CodeInvalidGLTF},
		{"zero bytes", nil, 400, wire.CodeBadRequest},
		{"oversize", make([]byte, 1<<20+1), 413, wire.CodeTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "PUT", "/api/v1/products/cube-1/model", tokenA, "model/gltf-binary", tt.body)
			if r.status != tt.status || r.errorCode(t) != tt.code {
				t.Fatalf("%d %s; want %d %s", r.status, r.body, tt.status, tt.code)
			}
			if keys := f.mediaKeys(t, "cube-1"); len(keys) != 0 {
				t.Fatalf("refused upload left %v", keys)
			}
			if p, _ := f.cat.Get(context.Background(), "cube-1"); p.Version != 1 || p.Status != wire.StatusPending {
				t.Fatalf("refused upload changed the product: version %d status %s", p.Version, p.Status)
			}
		})
	}
	r := f.do(t, "PUT", "/api/v1/products/cube-1/model", tokenA, "", outOfRange)
	var e struct{ Error wire.Error }
	_ = json.Unmarshal(r.body, &e)
	if len(e.Error.Details) == 0 || !strings.Contains(strings.Join(e.Error.Details, "\n"), "/accessors/0") {
		t.Fatalf("details %v; want a problem naming /accessors/0", e.Error.Details)
	}
}

func TestImages(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/v1/products", tokenA, "application/json", productJSON("cube-1"))
	r := f.do(t, "POST", "/api/v1/products/cube-1/images", tokenA, "image/png", pngBytes(t, 64, 48))
	if r.status != 201 {
		t.Fatalf("image: %d %s", r.status, r.body)
	}
	var out struct {
		URL     string `json:"url"`
		Product struct {
			PosterURL string `json:"poster_url"`
		} `json:"product"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil || out.URL == "" || out.Product.PosterURL != out.URL {
		t.Fatalf("image response %s", r.body)
	}
	if m := f.do(t, "GET", out.URL, "", "", nil); m.status != 200 || m.header.Get("Content-Type") != "image/png" {
		t.Fatalf("poster media: %d %s", m.status, m.header.Get("Content-Type"))
	}
	// A PNG header that declares a huge image is refused before decoding.
	bomb := pngBytes(t, 8, 8)
	binary.BigEndian.PutUint32(bomb[16:], 60000)
	binary.BigEndian.PutUint32(bomb[20:], 60000)
	for name, body := range map[string][]byte{"not an image": []byte("GIF89a nope"), "bomb": bomb, "truncated": pngBytes(t, 64, 64)[:60]} {
		r := f.do(t, "POST", "/api/v1/products/cube-1/images", tokenA, "image/png", body)
		if r.status != 422 || r.errorCode(t) != wire.CodeInvalidImage {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if keys := f.mediaKeys(t, "cube-1"); len(keys) != 1 {
		t.Fatalf("stored %v; want only the good image", keys)
	}
}

func TestDeleteAndMedia(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/v1/products", tokenA, "application/json", productJSON("cube-1"))
	f.do(t, "PUT", "/api/v1/products/cube-1/model", tokenA, "", cubeGLB(t))
	if r := f.do(t, "GET", "/media/"+catalog.ManifestKey("cube-1"), "", "", nil); r.status != 404 {
		t.Fatalf("manifest served as media: %d", r.status)
	}
	if r := f.do(t, "DELETE", "/api/v1/products/cube-1", tokenA, "", nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if keys := f.mediaKeys(t, "cube-1"); len(keys) != 0 {
		t.Fatalf("delete left %v", keys)
	}
	if r := f.do(t, "GET", "/api/v1/products/cube-1", tokenA, "", nil); r.status != 404 {
		t.Fatalf("after delete: %d", r.status)
	}
}

func TestOperationalRoutes(t *testing.T) {
	f := newFixture(t)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/": 200, "/p/cube-1": 200,
		"/web/index.html": 200, "/web/../go.mod": 404, "/web/missing.js": 404, "/api/v1/nothing": 404} {
		if r := f.do(t, "GET", path, "", "", nil); r.status != want {
			t.Errorf("GET %s: %d; want %d", path, r.status, want)
		}
	}
	if r := f.do(t, "GET", "/merchant", "", "", nil); !bytes.Contains(r.body, []byte("merchant console")) {
		t.Errorf("GET /merchant served %q; want the merchant console", r.body)
	}
	r := f.do(t, "GET", "/metrics", "", "", nil)
	if r.status != 200 || !bytes.Contains(r.body, []byte(`vitrine_http_requests_total{code="200",route="healthz"}`)) ||
		!bytes.Contains(r.body, []byte(`vitrine_http_errors_total{code="not_found"}`)) {
		t.Fatalf("metrics:\n%s", r.body)
	}
}

func TestParseTokens(t *testing.T) {
	tok, err := httpapi.ParseTokens("a=tokentoken1, b=tokentoken2\n# comment\nc=tokentoken3")
	if err != nil || len(tok) != 3 {
		t.Fatalf("%v %v", tok, err)
	}
	for _, bad := range []string{"a", "=tokentoken1", "a=short", "a=tokentoken1,b=tokentoken1", "a b=tokentoken1"} {
		if _, err := httpapi.ParseTokens(bad); err == nil {
			t.Errorf("ParseTokens(%q) accepted", bad)
		}
	}
}

// TestWasmServedCompressed: main.wasm goes out gzip-compressed to clients
// that accept it, when make wasm left main.wasm.gz beside it.
func TestWasmServedCompressed(t *testing.T) {
	f := newFixture(t)
	web := f.webDir
	wasm := bytes.Repeat([]byte("\x00asm wasm bytes "), 4096)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(wasm)
	zw.Close()
	for _, f := range []struct {
		name string
		data []byte
	}{{"main.wasm", wasm}, {"main.wasm.gz", gz.Bytes()}} {
		if err := os.WriteFile(filepath.Join(web, f.name), f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	get := func(acceptEncoding string) *http.Response {
		req, _ := http.NewRequest("GET", f.srv.URL+"/web/main.wasm", nil)
		req.Header.Set("Accept-Encoding", acceptEncoding)
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get("br, gzip")
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Content-Type") != "application/wasm" || !bytes.Equal(body, gz.Bytes()) {
		t.Fatalf("gzip client got %q %q, %d bytes", res.Header.Get("Content-Encoding"), res.Header.Get("Content-Type"), len(body))
	}
	for _, ae := range []string{"", "identity", "gzip;q=0"} {
		res := get(ae)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, wasm) {
			t.Errorf("Accept-Encoding %q got encoding %q, %d bytes; want the raw file", ae, res.Header.Get("Content-Encoding"), len(body))
		}
	}
	// A main.wasm rebuilt after its .gz (without make) makes the .gz stale.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(web, "main.wasm"), later, later); err != nil {
		t.Fatal(err)
	}
	res = get("gzip")
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, wasm) {
		t.Errorf("stale main.wasm.gz: got encoding %q, %d bytes; want the newer raw file", res.Header.Get("Content-Encoding"), len(body))
	}
}
