package ws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// memCatalog is an in-memory Catalog with the paging rules of the real
// one: ready-only filtering, exact category, case-insensitive name text,
// sorted by name then SKU.
type memCatalog struct {
	mu       sync.Mutex
	products map[string]catalog.Product
	err      error // returned by every call when set
}

func newMemCatalog(products ...catalog.Product) *memCatalog {
	c := &memCatalog{products: make(map[string]catalog.Product)}
	for _, p := range products {
		c.products[p.SKU] = p
	}
	return c
}

func (c *memCatalog) put(p catalog.Product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.products[p.SKU] = p
}

func (c *memCatalog) Get(ctx context.Context, sku string) (catalog.Product, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return catalog.Product{}, c.err
	}
	p, ok := c.products[sku]
	if !ok {
		return catalog.Product{}, fmt.Errorf("memcatalog: get %s: %w", sku, catalog.ErrNotFound)
	}
	return p, nil
}

func (c *memCatalog) List(ctx context.Context, q catalog.Query) (catalog.Page, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return catalog.Page{}, c.err
	}
	var matches []catalog.Product
	categories := map[string]bool{}
	for _, p := range c.products {
		ready := p.Status == wire.StatusReady && p.Model != nil
		if q.ReadyOnly && !ready {
			continue
		}
		categories[p.Category] = true
		if q.Category != "" && p.Category != q.Category {
			continue
		}
		if q.Text != "" && !strings.Contains(strings.ToLower(p.Name), strings.ToLower(q.Text)) {
			continue
		}
		matches = append(matches, p)
	}
	sort.Slice(matches, func(i, j int) bool {
		if matches[i].Name != matches[j].Name {
			return matches[i].Name < matches[j].Name
		}
		return matches[i].SKU < matches[j].SKU
	})
	page := catalog.Page{Total: len(matches)}
	for cat := range categories {
		page.Categories = append(page.Categories, cat)
	}
	sort.Strings(page.Categories)
	if q.Offset < len(matches) {
		end := min(len(matches), q.Offset+q.Limit)
		page.Products = matches[q.Offset:end]
		if end < len(matches) {
			page.NextOffset = end
		}
	}
	return page, nil
}

// memBlobs is an in-memory Blobs. Readers are seekable unless
// notSeekable is set; failAfter, when positive, makes reads fail after
// that many bytes; gate, when set, makes reads block until it is closed
// (or the Get context ends).
type memBlobs struct {
	mu          sync.Mutex
	objects     map[string][]byte
	notSeekable bool
	failAfter   int64
	gate        chan struct{}
}

func newMemBlobs() *memBlobs { return &memBlobs{objects: make(map[string][]byte)} }

func (b *memBlobs) put(key string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = data
}

// set changes b's behaviour under its lock.
func (b *memBlobs) set(change func(b *memBlobs)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	change(b)
}

func (b *memBlobs) delete(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.objects, key)
}

func (b *memBlobs) Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.objects[key]
	if !ok {
		return nil, blob.Info{}, fmt.Errorf("memblobs: get %s: %w", key, blob.ErrNotFound)
	}
	info := blob.Info{Key: key, SizeBytes: int64(len(data))}
	r := &memReader{ctx: ctx, Reader: bytes.NewReader(data), failAfter: b.failAfter, gate: b.gate}
	if b.notSeekable {
		return struct {
			io.Reader
			io.Closer
		}{r, r}, info, nil
	}
	return r, info, nil
}

type memReader struct {
	ctx context.Context
	*bytes.Reader
	failAfter int64
	read      int64
	gate      chan struct{}
}

var errInjected = errors.New("memblobs: injected read failure")

func (r *memReader) Read(p []byte) (int, error) {
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
	if r.failAfter > 0 {
		if r.read >= r.failAfter {
			return 0, errInjected
		}
		p = p[:min(int64(len(p)), r.failAfter-r.read)]
	}
	n, err := r.Reader.Read(p)
	r.read += int64(n)
	return n, err
}

func (r *memReader) Close() error { return nil }

// fakeClock is a settable clock for session expiry and rate limiting.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// modelBytes is deterministic pseudo-random model content.
func modelBytes(seed uint64, size int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]byte, size)
	for i := range out {
		out[i] = byte(rng.UintN(256))
	}
	return out
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// product builds a catalog product; with model bytes it is ready and its
// model is stored in blobs.
func product(blobs *memBlobs, sku, name, category string, version int64, model []byte) catalog.Product {
	p := catalog.Product{
		SKU: sku, Name: name, Category: category, Price: 10, Currency: "EUR", Merchant: "m1",
		DimensionsM: wire.Dimensions{W: 0.5, H: 0.9, D: 0.5}, Placement: wire.PlacementFloor,
		Status: wire.StatusPending, Version: version, PosterKey: "posters/" + sku + ".png",
	}
	if model != nil {
		key := fmt.Sprintf("models/%s/v%d/original.glb", sku, version)
		blobs.put(key, model)
		p.Status = wire.StatusReady
		p.Model = &catalog.Model{
			Key: key, Format: wire.FormatGLB, SizeBytes: int64(len(model)), SHA256: hexSHA256(model),
			BoundsMin: [3]float64{-0.25, 0, -0.25}, BoundsMax: [3]float64{0.25, 0.9, 0.25},
			DimensionsM: wire.Dimensions{W: 0.5, H: 0.9, D: 0.5},
		}
	}
	return p
}

// Models of the standard fixture.
var (
	chairModel = modelBytes(1, 3*wire.ChunkSize+wire.ChunkSize/2) // 4 chunks, the last one half full
	lampModel  = modelBytes(2, 2*wire.ChunkSize)                  // exactly 2 chunks
	bigModel   = modelBytes(3, 40*wire.ChunkSize)                 // long enough to fill the send queue
)

// fixture is a hub behind a real HTTP server with the standard catalog:
// chair-1, lamp-1, big-1 and 30 mugs are ready; sofa-1 is pending;
// table-1 is ready but its model blob is missing.
type fixture struct {
	hub     *Hub
	srv     *httptest.Server
	catalog *memCatalog
	blobs   *memBlobs
	reg     *prometheus.Registry
}

func newFixture(t testing.TB, configure ...func(*Config)) *fixture {
	t.Helper()
	f := &fixture{blobs: newMemBlobs(), reg: prometheus.NewRegistry()}
	products := []catalog.Product{
		product(f.blobs, "chair-1", "Oak Chair", "chairs", 3, chairModel),
		product(f.blobs, "lamp-1", "Desk Lamp", "lighting", 1, lampModel),
		product(f.blobs, "big-1", "Big Wardrobe", "storage", 1, bigModel),
		product(f.blobs, "sofa-1", "Green Sofa", "sofas", 1, nil),
	}
	table := product(f.blobs, "table-1", "Oak Table", "tables", 1, []byte("gone"))
	f.blobs.delete(table.Model.Key)
	products = append(products, table)
	for i := range 30 {
		products = append(products, product(f.blobs, fmt.Sprintf("mug-%02d", i), fmt.Sprintf("Mug %02d", i), "kitchen", 1, modelBytes(uint64(100+i), 100)))
	}
	f.catalog = newMemCatalog(products...)
	cfg := Config{Catalog: f.catalog, Blobs: f.blobs, Registerer: f.reg}
	for _, c := range configure {
		c(&cfg)
	}
	hub, err := NewHub(cfg)
	if err != nil {
		t.Fatalf("NewHub: %v", err)
	}
	f.hub = hub
	f.srv = httptest.NewServer(hub)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		f.srv.Close()
	})
	return f
}

// withClock makes the fixture's hub use a frozen, settable clock.
func withClock(f **fakeClock) func(*Config) {
	clock := &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	*f = clock
	return func(c *Config) { c.Now = clock.Now }
}

func (f *fixture) wsURL() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") }

// client is a test WebSocket client speaking vitrine.v1.
type client struct {
	t  testing.TB
	ws *websocket.Conn
}

func (f *fixture) dial(t testing.TB) *client {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(f.wsURL(), nil)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	if got := conn.Subprotocol(); got != wire.Subprotocol {
		t.Fatalf("negotiated subprotocol %q, want %q", got, wire.Subprotocol)
	}
	c := &client{t: t, ws: conn}
	t.Cleanup(func() { _ = conn.Close() })
	return c
}

// greeted dials and says hello.
func (f *fixture) greeted(t testing.TB) *client {
	c := f.dial(t)
	c.hello(wire.Hello{Version: wire.Version})
	return c
}

func (c *client) send(typ, id string, body any) {
	c.t.Helper()
	frame, err := wire.Encode(typ, id, body)
	if err != nil {
		c.t.Fatalf("encode %s: %v", typ, err)
	}
	c.sendRaw(websocket.TextMessage, frame)
}

func (c *client) sendRaw(msgType int, data []byte) {
	c.t.Helper()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.ws.WriteMessage(msgType, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next reads the next frame of any kind.
func (c *client) next() (int, []byte) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	msgType, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return msgType, data
}

// recv reads the next frame, which must be a text envelope.
func (c *client) recv() wire.Envelope {
	c.t.Helper()
	msgType, data := c.next()
	if msgType != websocket.TextMessage {
		c.t.Fatalf("got a binary frame of %d bytes, want a text message", len(data))
	}
	var env wire.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		c.t.Fatalf("reply %q is not an envelope: %v", data, err)
	}
	return env
}

// expect reads the next envelope and checks its type and id.
func (c *client) expect(typ, id string, body any) wire.Envelope {
	c.t.Helper()
	env := c.recv()
	if env.Type != typ || env.ID != id {
		c.t.Fatalf("got %s id %q body %s; want %s id %q", env.Type, env.ID, env.Body, typ, id)
	}
	if body != nil {
		if err := json.Unmarshal(env.Body, body); err != nil {
			c.t.Fatalf("%s body %s: %v", typ, env.Body, err)
		}
	}
	return env
}

// expectError reads the next envelope, which must be an error with code
// and id.
func (c *client) expectError(id string, code wire.Code) wire.Error {
	c.t.Helper()
	var werr wire.Error
	c.expect(wire.TypeError, id, &werr)
	if werr.Code != code {
		c.t.Fatalf("error code %q (%s), want %q", werr.Code, werr.Message, code)
	}
	if werr.Message == "" {
		c.t.Fatalf("error %q has no message", code)
	}
	return werr
}

func (c *client) hello(h wire.Hello) wire.HelloReply {
	c.t.Helper()
	c.send(wire.TypeHello, "h", h)
	var reply wire.HelloReply
	c.expect(wire.TypeHello, "h", &reply)
	return reply
}

// closeCode reads until the connection ends and returns the close code
// the server sent.
func (c *client) closeCode() int {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		c.t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// stream is a model stream as a client sees it.
type stream struct {
	meta   wire.ModelMeta
	chunks map[uint32][]byte
	order  []uint32
	done   *wire.ModelDone
	err    *wire.Error
}

// bytesFrom concatenates the received chunks in index order.
func (s *stream) bytesFrom() []byte {
	idx := slices.Sorted(func(yield func(uint32) bool) {
		for i := range s.chunks {
			if !yield(i) {
				return
			}
		}
	})
	var out []byte
	for _, i := range idx {
		out = append(out, s.chunks[i]...)
	}
	return out
}

// openModel sends model.open and reads the whole stream: model.meta, its
// chunk frames and model.done (or an error).
func (c *client) openModel(id string, open wire.ModelOpen) *stream {
	c.t.Helper()
	c.send(wire.TypeModelOpen, id, open)
	s := &stream{chunks: map[uint32][]byte{}}
	c.expect(wire.TypeModelMeta, id, &s.meta)
	c.readStream(id, s)
	return s
}

// readStream reads s's chunk frames until its model.done or error.
func (c *client) readStream(id string, s *stream) {
	c.t.Helper()
	for {
		msgType, data := c.next()
		if msgType == websocket.BinaryMessage {
			h, payload, werr := wire.DecodeFrame(data)
			if werr != nil {
				c.t.Fatalf("bad chunk frame: %v", werr)
			}
			if h.Kind != wire.FrameModelChunk || h.Stream != s.meta.Stream {
				c.t.Fatalf("frame %+v does not belong to stream %d", h, s.meta.Stream)
			}
			if _, dup := s.chunks[h.Index]; dup {
				c.t.Fatalf("chunk %d sent twice", h.Index)
			}
			s.chunks[h.Index] = slices.Clone(payload)
			s.order = append(s.order, h.Index)
			continue
		}
		var env wire.Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			c.t.Fatalf("bad envelope %q: %v", data, err)
		}
		if env.ID != id {
			c.t.Fatalf("got %s for id %q in the middle of stream %q", env.Type, env.ID, id)
		}
		switch env.Type {
		case wire.TypeModelDone:
			s.done = &wire.ModelDone{}
			if err := json.Unmarshal(env.Body, s.done); err != nil {
				c.t.Fatal(err)
			}
			return
		case wire.TypeError:
			s.err = &wire.Error{}
			if err := json.Unmarshal(env.Body, s.err); err != nil {
				c.t.Fatal(err)
			}
			return
		default:
			c.t.Fatalf("unexpected %s during a stream", env.Type)
		}
	}
}
