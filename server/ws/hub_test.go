package ws

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrine-shop/vitrine/wire"
)

// httpError is the JSON error body of a refused request.
type httpError struct {
	Error wire.Error `json:"error"`
}

func TestHandshake(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name         string
		subprotocols []string
		origin       string
		wantStatus   int
		wantCode     wire.Code
	}{
		{"vitrine.v1 without an origin", []string{wire.Subprotocol}, "", http.StatusSwitchingProtocols, ""},
		{"vitrine.v1 among others", []string{"chat", wire.Subprotocol}, "", http.StatusSwitchingProtocols, ""},
		{"same origin", []string{wire.Subprotocol}, "ORIGIN", http.StatusSwitchingProtocols, ""},
		{"no subprotocol", nil, "", http.StatusBadRequest, wire.CodeBadRequest},
		{"another subprotocol", []string{"vitrine.v2"}, "", http.StatusBadRequest, wire.CodeBadRequest},
		{"cross origin", []string{wire.Subprotocol}, "https://evil.example", http.StatusForbidden, wire.CodeForbidden},
		{"malformed origin", []string{wire.Subprotocol}, "http://%zz", http.StatusForbidden, wire.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			switch tt.origin {
			case "":
			case "ORIGIN":
				header.Set("Origin", f.srv.URL)
			default:
				header.Set("Origin", tt.origin)
			}
			d := websocket.Dialer{Subprotocols: tt.subprotocols, HandshakeTimeout: 5 * time.Second}
			conn, resp, err := d.Dial(f.wsURL(), header)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				defer conn.Close()
				if conn.Subprotocol() != wire.Subprotocol {
					t.Errorf("subprotocol %q", conn.Subprotocol())
				}
				return
			}
			if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
				t.Fatalf("dial err %v, want a refused handshake", err)
			}
			checkHTTPError(t, resp, tt.wantStatus, tt.wantCode)
		})
	}

	plain := []struct {
		name       string
		method     string
		wantStatus int
		wantCode   wire.Code
	}{
		{"plain GET", http.MethodGet, http.StatusBadRequest, wire.CodeBadRequest},
		{"POST", http.MethodPost, http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed},
	}
	for _, tt := range plain {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, f.srv.URL+"/ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			checkHTTPError(t, resp, tt.wantStatus, tt.wantCode)
		})
	}
}

func checkHTTPError(t *testing.T, resp *http.Response, status int, code wire.Code) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %d, want %d", resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q, want JSON", ct)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got httpError
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %q is not a JSON error: %v", body, err)
	}
	if got.Error.Code != code || got.Error.Message == "" {
		t.Errorf("error %+v, want code %q with a message", got.Error, code)
	}
}

func TestCustomCheckOrigin(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.CheckOrigin = func(r *http.Request) bool { return r.Header.Get("Origin") == "https://shop.example" }
	})
	for origin, wantOK := range map[string]bool{"https://shop.example": true, "": false} {
		header := http.Header{}
		if origin != "" {
			header.Set("Origin", origin)
		}
		d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}}
		conn, _, err := d.Dial(f.wsURL(), header)
		if (err == nil) != wantOK {
			t.Errorf("origin %q: dial error %v, want success %v", origin, err, wantOK)
		}
		if conn != nil {
			conn.Close()
		}
	}
}

func TestOversizeFrameClosesWith1009(t *testing.T) {
	tests := []struct {
		name    string
		msgType int
		size    int64
	}{
		{"binary over the read limit", websocket.BinaryMessage, wire.MaxReadBytes() + 1},
		{"text over the read limit", websocket.TextMessage, wire.MaxReadBytes() + 1},
		{"a megabyte", websocket.BinaryMessage, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.greeted(t)
			c.sendRaw(tt.msgType, make([]byte, tt.size))
			if code := c.closeCode(); code != websocket.CloseMessageTooBig {
				t.Errorf("close code %d, want %d (message too big)", code, websocket.CloseMessageTooBig)
			}
		})
	}

	t.Run("a frame at the read limit is served", func(t *testing.T) {
		f := newFixture(t)
		c := f.greeted(t)
		c.sendRaw(websocket.BinaryMessage, make([]byte, wire.MaxReadBytes()))
		c.expectError("", wire.CodeBadRequest)
		c.send(wire.TypeCatalogGet, "alive", wire.CatalogGet{SKU: "chair-1"})
		c.expect(wire.TypeCatalogGet, "alive", nil)
	})
}

func TestRateLimit(t *testing.T) {
	var clock *fakeClock
	f := newFixture(t, withClock(&clock))
	c := f.greeted(t) // hello took the first token
	for range wire.MessageBurst - 1 {
		c.send(wire.TypeCatalogGet, "ok", wire.CatalogGet{SKU: "lamp-1"})
	}
	for range wire.MessageBurst - 1 {
		c.expect(wire.TypeCatalogGet, "ok", nil)
	}
	c.send(wire.TypeCatalogGet, "over", wire.CatalogGet{SKU: "lamp-1"})
	c.expectError("over", wire.CodeRateLimited)
	c.sendRaw(websocket.BinaryMessage, []byte{1})
	c.expectError("", wire.CodeRateLimited)

	clock.Advance(time.Second) // refills MessagesPerSecond tokens
	for range wire.MessagesPerSecond {
		c.send(wire.TypeCatalogGet, "refilled", wire.CatalogGet{SKU: "lamp-1"})
	}
	for range wire.MessagesPerSecond {
		c.expect(wire.TypeCatalogGet, "refilled", nil)
	}
	c.send(wire.TypeCatalogGet, "over-again", wire.CatalogGet{SKU: "lamp-1"})
	c.expectError("over-again", wire.CodeRateLimited)
}

func TestFloodingClosesWith1008(t *testing.T) {
	var clock *fakeClock
	f := newFixture(t, withClock(&clock))
	c := f.greeted(t)
	// 99 messages use up the burst, then MessageBurst+1 refused messages in
	// a row end the session.
	for range wire.MessageBurst - 1 + wire.MessageBurst + 1 {
		c.send(wire.TypeCatalogGet, "flood", wire.CatalogGet{SKU: "lamp-1"})
	}
	if code := c.closeCode(); code != websocket.ClosePolicyViolation {
		t.Errorf("close code %d, want %d (policy violation)", code, websocket.ClosePolicyViolation)
	}
}

// closeCodeAsync reads c until the connection ends, from any goroutine.
func closeCodeAsync(c *client) <-chan int {
	out := make(chan int, 1)
	go func() {
		_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, _, err := c.ws.ReadMessage()
			if err == nil {
				continue
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				out <- ce.Code
			} else {
				out <- -1
			}
			return
		}
	}()
	return out
}

func TestShutdown(t *testing.T) {
	f := newFixture(t)
	gate := make(chan struct{})
	defer close(gate)
	f.blobs.set(func(b *memBlobs) { b.gate = gate })
	idle := f.greeted(t)
	streaming := f.greeted(t)
	streaming.send(wire.TypeModelOpen, "m", wire.ModelOpen{SKU: "chair-1"})
	streaming.expect(wire.TypeModelMeta, "m", nil)
	if n := f.hub.Sessions(); n != 2 {
		t.Fatalf("Sessions() = %d, want 2", n)
	}
	codes := []<-chan int{closeCodeAsync(idle), closeCodeAsync(streaming)}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := f.hub.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if elapsed := time.Since(start); elapsed > closeGrace {
		t.Errorf("Shutdown took %v although both clients answered the close at once", elapsed)
	}
	for i, ch := range codes {
		if code := <-ch; code != websocket.CloseGoingAway {
			t.Errorf("client %d: close code %d, want %d (going away)", i, code, websocket.CloseGoingAway)
		}
	}
	if n := f.hub.Sessions(); n != 0 {
		t.Errorf("Sessions() = %d after Shutdown", n)
	}

	d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}}
	_, resp, err := d.Dial(f.wsURL(), nil)
	if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
		t.Fatalf("dial after Shutdown: %v, want a refused handshake", err)
	}
	checkHTTPError(t, resp, http.StatusServiceUnavailable, wire.CodeUnavailable)
}

func TestShutdownGivesUpWithItsContext(t *testing.T) {
	f := newFixture(t)
	// This client never reads, so it never answers the close frame.
	f.greeted(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := f.hub.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the context's deadline error", err)
	}
	waitFor(t, "the session to end", func() bool { return f.hub.Sessions() == 0 })
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("sessions", func(t *testing.T) {
		f := newFixture(t)
		finished := f.greeted(t)
		if s := finished.openModel("m", wire.ModelOpen{SKU: "chair-1"}); s.done == nil {
			t.Fatalf("stream failed: %+v", s.err)
		}
		// A client that drops the connection in the middle of a stream.
		dropped := f.greeted(t)
		dropped.send(wire.TypeModelOpen, "big", wire.ModelOpen{SKU: "big-1"})
		dropped.expect(wire.TypeModelMeta, "big", nil)
		_ = dropped.ws.Close()
		// A client closed for an oversize frame.
		oversize := f.greeted(t)
		oversize.sendRaw(websocket.BinaryMessage, make([]byte, wire.MaxReadBytes()+1))
		oversize.closeCode()
		// A client that says goodbye properly.
		polite := f.greeted(t)
		_ = polite.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		polite.closeCode()
		_ = finished.ws.Close()
		waitFor(t, "every session to end without Shutdown", func() bool { return f.hub.Sessions() == 0 })
		// Shutdown and the server close run in the fixture's cleanup.
	})
	waitFor(t, "goroutines to settle", func() bool { return runtime.NumGoroutine() <= before })
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	c.send(wire.TypeCatalogList, "l", nil)
	c.expect(wire.TypeCatalogList, "l", nil)
	c.send("teleport", "u", nil)
	c.expectError("u", wire.CodeUnknownType)
	c.openModel("m", wire.ModelOpen{SKU: "lamp-1"})

	tests := []struct {
		name, label, value string
		want               float64
	}{
		{"vitrine_ws_sessions", "", "", 1},
		{"vitrine_ws_sessions_total", "", "", 1},
		{"vitrine_ws_messages_total", "type", wire.TypeHello, 1},
		{"vitrine_ws_messages_total", "type", wire.TypeCatalogList, 1},
		{"vitrine_ws_messages_total", "type", "unknown", 1},
		{"vitrine_ws_errors_total", "code", string(wire.CodeUnknownType), 1},
		{"vitrine_ws_bytes_streamed_total", "", "", float64(len(lampModel))},
		{"vitrine_ws_stream_seconds", "", "", 1}, // sample count
	}
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		got, found := -1.0, false
		for _, fam := range families {
			if fam.GetName() != tt.name {
				continue
			}
			for _, m := range fam.GetMetric() {
				matches := tt.label == ""
				for _, l := range m.GetLabel() {
					if l.GetName() == tt.label && l.GetValue() == tt.value {
						matches = true
					}
				}
				if !matches {
					continue
				}
				found = true
				switch {
				case m.Counter != nil:
					got = m.GetCounter().GetValue()
				case m.Gauge != nil:
					got = m.GetGauge().GetValue()
				case m.Histogram != nil:
					got = float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
		if !found || got != tt.want {
			t.Errorf("%s{%s=%q} = %v (found %v), want %v", tt.name, tt.label, tt.value, got, found, tt.want)
		}
	}
}

func TestNewHubConfig(t *testing.T) {
	cat, blobs := newMemCatalog(), newMemBlobs()
	shared := prometheus.NewRegistry()
	if _, err := NewHub(Config{Catalog: cat, Blobs: blobs, Registerer: shared}); err != nil {
		t.Fatalf("first hub: %v", err)
	}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no catalog", Config{Blobs: blobs}},
		{"no blobs", Config{Catalog: cat}},
		{"negative TTL", Config{Catalog: cat, Blobs: blobs, SessionTTL: -time.Second}},
		{"negative MaxSessions", Config{Catalog: cat, Blobs: blobs, MaxSessions: -1}},
		{"metrics registered twice", Config{Catalog: cat, Blobs: blobs, Registerer: shared}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewHub(tt.cfg); err == nil {
				t.Error("NewHub accepted the config")
			}
		})
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		host, origin string
		want         bool
	}{
		{"shop.example", "", true},
		{"shop.example", "https://shop.example", true},
		{"shop.example:8080", "http://shop.example:8080", true},
		{"shop.example", "https://SHOP.example", true},
		{"shop.example:8080", "http://shop.example", false},
		{"shop.example", "https://evil.example", false},
		{"shop.example", "null", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "http://"+tt.host+"/ws", nil)
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if got := sameOrigin(r); got != tt.want {
			t.Errorf("host %q origin %q: %v, want %v", tt.host, tt.origin, got, tt.want)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
