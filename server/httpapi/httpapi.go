// Package httpapi serves Vitrine's HTTP surface: the viewer page and its
// files, product media, the merchant API under /api/v1/, health, readiness
// and metrics. Errors are JSON {"error":{"code","message","details"}}.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// Catalog is what the HTTP API needs of the catalog.
type Catalog interface {
	Get(ctx context.Context, sku string) (catalog.Product, error)
	List(ctx context.Context, q catalog.Query) (catalog.Page, error)
	Create(ctx context.Context, p catalog.Product) (catalog.Product, error)
	Update(ctx context.Context, sku string, fn func(p *catalog.Product) error) (catalog.Product, error)
	Delete(ctx context.Context, sku string) error
}

// Pipeline ingests uploads.
type Pipeline interface {
	IngestModel(ctx context.Context, sku string, data []byte) (catalog.Product, error)
	IngestImage(ctx context.Context, sku string, data []byte) (catalog.Product, catalog.Image, error)
}

// Blobs serves media files.
type Blobs interface {
	Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error)
}

// Config configures the handler.
type Config struct {
	Catalog  Catalog
	Pipeline Pipeline
	Blobs    Blobs
	// Search answers POST /api/v1/search/image; nil answers 503.
	Search Searcher
	// WebSocket serves GET /ws.
	WebSocket http.Handler
	// WebDir holds index.html, main.wasm, wasm_exec.js and the page's files.
	WebDir string
	// Merchants maps bearer tokens to merchant ids.
	Merchants Tokens
	// MaxModelBytes and MaxImageBytes bound upload bodies; MaxJSONBytes
	// bounds metadata bodies.
	MaxModelBytes int64
	MaxImageBytes int64
	MaxJSONBytes  int64
	// Ready reports whether the server can serve traffic (GET /readyz).
	Ready func(ctx context.Context) error
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	Logger   *slog.Logger
}

type server struct {
	cfg      Config
	log      *slog.Logger
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// New returns the HTTP handler for every route.
func New(cfg Config) (http.Handler, error) {
	if cfg.Catalog == nil || cfg.Pipeline == nil || cfg.Blobs == nil || cfg.Registry == nil {
		return nil, errors.New("httpapi: Catalog, Pipeline, Blobs and Registry are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxModelBytes <= 0 {
		cfg.MaxModelBytes = 64 << 20
	}
	if cfg.MaxImageBytes <= 0 {
		cfg.MaxImageBytes = 16 << 20
	}
	if cfg.MaxJSONBytes <= 0 {
		cfg.MaxJSONBytes = 64 << 10
	}
	s := &server{cfg: cfg, log: cfg.Logger}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vitrine_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "vitrine_http_request_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
	}, []string{"route"})
	s.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vitrine_http_errors_total", Help: "HTTP error responses by error code.",
	}, []string{"code"})
	for _, c := range []prometheus.Collector{s.requests, s.latency, s.errors} {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, err
		}
	}

	mux := http.NewServeMux()
	handle := func(pattern, route string, h http.HandlerFunc) {
		mux.Handle(pattern, s.instrument(route, h))
	}
	handle("GET /healthz", "healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	handle("GET /readyz", "readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	handle("GET /{$}", "page", s.page)
	handle("GET /p/{sku}", "page", s.page)
	handle("GET /merchant", "page", func(w http.ResponseWriter, r *http.Request) {
		s.serveFile(w, r, filepath.Join(s.cfg.WebDir, "merchant.html"))
	})
	handle("GET /web/{file...}", "web", s.web)
	handle("GET /media/{key...}", "media", s.media)
	if cfg.WebSocket != nil {
		mux.Handle("GET /ws", cfg.WebSocket)
	}
	handle("POST /api/v1/place/measure", "place_measure", s.placeMeasure)
	handle("POST /api/v1/search/image", "search_image", s.searchImage)
	handle("GET /api/v1/products", "products", s.merchant(s.listProducts))
	handle("POST /api/v1/products", "products", s.merchant(s.createProduct))
	handle("GET /api/v1/products/{sku}", "product", s.merchant(s.owned(s.getProduct)))
	handle("DELETE /api/v1/products/{sku}", "product", s.merchant(s.owned(s.deleteProduct)))
	handle("PUT /api/v1/products/{sku}/model", "model", s.merchant(s.owned(s.putModel)))
	handle("POST /api/v1/products/{sku}/images", "images", s.merchant(s.owned(s.postImage)))
	handle("/api/", "api", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, wire.Errorf(wire.CodeNotFound, "no API route %s %s", r.Method, r.URL.Path))
	})
	return mux, nil
}

// statusWriter records the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *server) instrument(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		s.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.fail(w, http.StatusServiceUnavailable, wire.Errorf(wire.CodeUnavailable, "not ready: %v", err))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// page serves the viewer's single page for / and its deep links.
func (s *server) page(w http.ResponseWriter, r *http.Request) {
	s.serveFile(w, r, filepath.Join(s.cfg.WebDir, "index.html"))
}

// serveFile serves one file with conditional and range requests, without
// http.ServeFile's redirects of ".../index.html".
func (s *server) serveFile(w http.ResponseWriter, r *http.Request, path string) {
	f, err := os.Open(path)
	if err != nil {
		s.fail(w, http.StatusNotFound, wire.Errorf(wire.CodeNotFound, "no file %q", filepath.Base(path)))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		s.fail(w, http.StatusNotFound, wire.Errorf(wire.CodeNotFound, "no file %q", filepath.Base(path)))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, st.Name(), st.ModTime(), f)
}

// web serves the viewer's files, never directory listings.
func (s *server) web(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if name == "" || strings.Contains(name, "..") || strings.HasSuffix(name, "/") {
		s.fail(w, http.StatusNotFound, wire.Errorf(wire.CodeNotFound, "no file %q", name))
		return
	}
	path := filepath.Join(s.cfg.WebDir, filepath.FromSlash(name))
	// make wasm writes main.wasm.gz beside main.wasm: a third of the bytes.
	// A .gz older than the file it compresses is stale (the viewer was
	// rebuilt without make) and is never sent.
	if strings.HasSuffix(name, ".wasm") && acceptsGzip(r) {
		if st, err := os.Stat(path + ".gz"); err == nil && !st.IsDir() && !olderThan(st, path) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/wasm")
			w.Header().Add("Vary", "Accept-Encoding")
			path += ".gz"
		}
	}
	s.serveFile(w, r, path)
}

// olderThan reports whether st was modified before the file at path (a
// missing file counts as newer: nothing to compare, nothing to serve it for).
func olderThan(st os.FileInfo, path string) bool {
	raw, err := os.Stat(path)
	return err != nil || st.ModTime().Before(raw.ModTime())
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// media serves public product files (models, photos, posters) from the
// blob store. Only keys under catalog.MediaPrefix are public.
func (s *server) media(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if !strings.HasPrefix(key, catalog.MediaPrefix) || blob.ValidateKey(key) != nil {
		s.fail(w, http.StatusNotFound, wire.Errorf(wire.CodeNotFound, "no media %q", key))
		return
	}
	rc, info, err := s.cfg.Blobs.Get(r.Context(), key)
	if errors.Is(err, blob.ErrNotFound) {
		s.fail(w, http.StatusNotFound, wire.Errorf(wire.CodeNotFound, "no media %q", key))
		return
	}
	if err != nil {
		s.internal(w, r, "get media", err)
		return
	}
	defer rc.Close()
	if info.ContentType != "" {
		w.Header().Set("Content-Type", info.ContentType)
	}
	// Media keys embed a random id per upload, so their content never changes.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", info.Modified, rs)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(info.SizeBytes, 10))
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Warn("httpapi: media copy failed", "key", key, "err", err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

type errorBody struct {
	Error *wire.Error `json:"error"`
}

func (s *server) fail(w http.ResponseWriter, status int, e *wire.Error) {
	s.errors.WithLabelValues(string(e.Code)).Inc()
	writeJSON(w, status, errorBody{Error: e})
}

func (s *server) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error("httpapi: "+what, "method", r.Method, "path", r.URL.Path, "err", err)
	status, code := http.StatusInternalServerError, wire.CodeInternal
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		status, code = http.StatusServiceUnavailable, wire.CodeUnavailable
	}
	s.fail(w, status, wire.Errorf(code, "%s failed; try again", what))
}
