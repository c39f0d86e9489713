package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// Catalog is the part of the product catalog the WebSocket endpoint reads.
// Get returns an error wrapping catalog.ErrNotFound for an unknown SKU.
type Catalog interface {
	List(ctx context.Context, q catalog.Query) (catalog.Page, error)
	Get(ctx context.Context, sku string) (catalog.Product, error)
}

// Blobs opens stored models for streaming. Get returns an error wrapping
// blob.ErrNotFound for a missing key. When the returned reader also
// implements io.Seeker, a resumed stream seeks to its first chunk instead
// of reading and discarding the bytes before it.
type Blobs interface {
	Get(ctx context.Context, key string) (io.ReadCloser, blob.Info, error)
}

const (
	// DefaultSessionTTL is how long a session is remembered after its last
	// use when Config.SessionTTL is zero.
	DefaultSessionTTL = 24 * time.Hour
	// DefaultMaxSessions bounds the remembered sessions when
	// Config.MaxSessions is zero.
	DefaultMaxSessions = 100_000
	// DefaultRotateAfter is how old a session id gets before a hello that
	// resumes it is answered with a new one.
	DefaultRotateAfter = 24 * time.Hour
	// MaxSessionAge is how long after issue a signed session id (see
	// Config.SessionKey) that this server does not remember is taken back.
	MaxSessionAge = 90 * 24 * time.Hour
)

// MaxListOffset bounds catalog.list's offset; a larger one is answered
// with bad_request.
const MaxListOffset = 1_000_000

// sendQueueFrames bounds the frames waiting for a connection's write pump.
// With 64 KiB chunks this caps a connection's queued bytes near 1 MiB.
const sendQueueFrames = 16

// closeGrace bounds how long a closing connection waits for the peer's
// close frame (or, after an oversize frame, for the peer to stop sending)
// before the socket is closed.
const closeGrace = 2 * time.Second

// drainIdle ends the drain after an oversize frame once the client has
// sent nothing for this long.
const drainIdle = 250 * time.Millisecond

// maxDrainBytes bounds what is read and discarded after an oversize frame
// so that the close frame reaches the client before the socket closes.
const maxDrainBytes = 4 << 20

// Config configures a Hub. Catalog and Blobs are required.
type Config struct {
	// Catalog answers catalog.list, catalog.get and model.open lookups.
	Catalog Catalog
	// Blobs holds the model files streamed by model.open.
	Blobs Blobs
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the hub's metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// CheckOrigin decides whether a browser origin may connect. nil allows
	// requests without an Origin header and requests whose Origin host
	// equals the request's Host.
	CheckOrigin func(r *http.Request) bool
	// SessionTTL is how long a session is remembered after its last use;
	// 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// MaxSessions bounds the remembered sessions; 0 means
	// DefaultMaxSessions.
	MaxSessions int
	// Now is the clock for session expiry and rate limiting; nil means
	// time.Now. Socket deadlines always use the real clock.
	Now func() time.Time
	// SessionKey signs session ids so that a session survives a restart
	// and moves between replicas sharing the key (at least 16 bytes); nil
	// keeps sessions in this process only.
	SessionKey []byte
	// RotateAfter is the age at which a resumed signed session gets a new
	// pseudonymous id (linked to the old one in the signal log, so export
	// and erase still find its events); 0 means DefaultRotateAfter.
	RotateAfter time.Duration
	// Signals is the durable event log behind signal and privacy.*; nil
	// answers those with unavailable.
	Signals Signals
	// Search answers search.image; nil answers it with unavailable.
	Search Searcher
	// Recs answers recs.get and learns from acknowledged signals; nil
	// answers recs.get with unavailable.
	Recs Recommender
}

// Hub serves vitrine.v1 WebSocket sessions. It owns the set of live
// connections and the remembered-session table; create it with NewHub and
// mount it on GET /ws.
type Hub struct {
	rotateAfter time.Duration
	signals     Signals
	search      Searcher
	recs        Recommender
	catalog     Catalog
	blobs       Blobs
	log         *slog.Logger
	now         func() time.Time
	checkOrigin func(r *http.Request) bool
	metrics     *metrics
	sessions    *registry
	upgrader    websocket.Upgrader
	connSeq     atomic.Uint64

	mu      sync.Mutex // guards conns and closing
	conns   map[*conn]struct{}
	closing bool

	// wg counts the pumps of every registered connection; each read pump
	// waits for its connection's streams before it finishes.
	wg sync.WaitGroup
}

// NewHub checks cfg, fills its defaults and registers the hub's metrics
// with cfg.Registerer.
func NewHub(cfg Config) (*Hub, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("ws: new hub: Config.Catalog is required")
	}
	if cfg.Blobs == nil {
		return nil, errors.New("ws: new hub: Config.Blobs is required")
	}
	if cfg.SessionTTL < 0 || cfg.MaxSessions < 0 {
		return nil, fmt.Errorf("ws: new hub: SessionTTL (%v) and MaxSessions (%d) must not be negative", cfg.SessionTTL, cfg.MaxSessions)
	}
	if cfg.SessionKey != nil && len(cfg.SessionKey) < 16 {
		return nil, errors.New("ws: new hub: Config.SessionKey must be at least 16 bytes")
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.RotateAfter <= 0 {
		cfg.RotateAfter = DefaultRotateAfter
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CheckOrigin == nil {
		cfg.CheckOrigin = sameOrigin
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("ws: new hub: %w", err)
	}
	h := &Hub{
		signals:     cfg.Signals,
		search:      cfg.Search,
		rotateAfter: cfg.RotateAfter,
		recs:        cfg.Recs,
		catalog:     cfg.Catalog,
		blobs:       cfg.Blobs,
		log:         cfg.Logger,
		now:         cfg.Now,
		checkOrigin: cfg.CheckOrigin,
		metrics:     m,
		sessions:    newRegistry(cfg.SessionTTL, cfg.MaxSessions, cfg.Now, cfg.SessionKey, MaxSessionAge),
		conns:       make(map[*conn]struct{}),
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: wire.WriteWait,
		ReadBufferSize:   4 << 10,
		WriteBufferSize:  16 << 10,
		WriteBufferPool:  &sync.Pool{},
		Subprotocols:     []string{wire.Subprotocol},
		// ServeHTTP has checked the origin already, answering in JSON.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			writeHTTPError(w, status, wire.CodeBadRequest, "websocket handshake: "+reason.Error())
		},
	}
	return h, nil
}

// ServeHTTP upgrades a GET /ws request to a vitrine.v1 session. A request
// that is not a WebSocket upgrade, does not offer the vitrine.v1
// subprotocol or comes from a refused origin gets a JSON error; after
// Shutdown has begun every request gets HTTP 503.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		writeHTTPError(w, http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed, "the WebSocket endpoint accepts only GET")
		return
	case !websocket.IsWebSocketUpgrade(r):
		writeHTTPError(w, http.StatusBadRequest, wire.CodeBadRequest, "expected a WebSocket upgrade request")
		return
	case !offersSubprotocol(r):
		writeHTTPError(w, http.StatusBadRequest, wire.CodeBadRequest, "the client must offer the WebSocket subprotocol "+wire.Subprotocol)
		return
	case !h.checkOrigin(r):
		writeHTTPError(w, http.StatusForbidden, wire.CodeForbidden, "this origin may not open WebSocket sessions")
		return
	case h.isClosing():
		writeHTTPError(w, http.StatusServiceUnavailable, wire.CodeUnavailable, "the server is shutting down")
		return
	}
	wsConn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered the request already.
		h.log.Debug("ws: upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := newConn(h, wsConn, r.RemoteAddr)
	if !h.register(c) {
		// Shutdown began during the handshake; nothing else writes yet.
		_ = wsConn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"),
			time.Now().Add(wire.WriteWait))
		_ = wsConn.Close()
		return
	}
	c.sess.log.Debug("ws: connection opened")
	go c.writePump()
	go c.readPump()
}

// Shutdown stops accepting connections, asks every session to close with
// close code 1001 "going away" after the frames already queued for it, and
// waits until every session goroutine has finished or ctx ends. When ctx
// ends first the remaining sockets are closed at once and ctx's error is
// returned.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.requestClose(websocket.CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		h.log.Info("ws: shut down", "sessions_closed", len(conns))
		return nil
	case <-ctx.Done():
		h.mu.Lock()
		for c := range h.conns {
			_ = c.ws.Close()
		}
		h.mu.Unlock()
		return fmt.Errorf("ws: shutdown: waiting for %d sessions: %w", h.Sessions(), ctx.Err())
	}
}

// Sessions reports the number of open WebSocket connections.
func (h *Hub) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

func (h *Hub) isClosing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// register adds c to the live set, or reports false once Shutdown began.
// It counts c's two pumps in h.wg under the same lock, so Shutdown never
// waits on a group that is still growing.
func (h *Hub) register(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(2)
	h.metrics.sessions.Inc()
	h.metrics.sessionsTotal.Inc()
	return true
}

func (h *Hub) unregister(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; ok {
		delete(h.conns, c)
		h.metrics.sessions.Dec()
	}
}

// offersSubprotocol reports whether the client offered vitrine.v1.
func offersSubprotocol(r *http.Request) bool {
	for _, p := range websocket.Subprotocols(r) {
		if p == wire.Subprotocol {
			return true
		}
	}
	return false
}

// sameOrigin allows a request without an Origin header and one whose
// Origin names the request's own host (and port).
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// writeHTTPError writes the JSON error shape shared with the HTTP API.
func writeHTTPError(w http.ResponseWriter, status int, code wire.Code, message string) {
	body, err := json.Marshal(struct {
		Error *wire.Error `json:"error"`
	}{wire.Errorf(code, "%s", message)})
	if err != nil {
		body = []byte(`{"error":{"code":"internal","message":"encoding the error failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
