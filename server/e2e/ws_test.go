package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/vitrine-shop/vitrine/wire"
)

// WSClient is a minimal vitrine.v1 client for tests: one request at a
// time, replies read in order, binary frames skipped.
type WSClient struct {
	t    testing.TB
	conn *websocket.Conn
	seq  int
}

// DialWS connects to the server's /ws and says hello.
func (e *Env) DialWS(t testing.TB) *WSClient {
	t.Helper()
	url := "ws" + strings.TrimPrefix(e.BaseURL, "http") + "/ws"
	d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}, HandshakeTimeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := d.DialContext(ctx, url, http.Header{})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	resp.Body.Close()
	if conn.Subprotocol() != wire.Subprotocol {
		t.Fatalf("dial %s: subprotocol %q, want %q", url, conn.Subprotocol(), wire.Subprotocol)
	}
	c := &WSClient{t: t, conn: conn}
	t.Cleanup(func() { conn.Close() })
	var hello wire.HelloReply
	if err := c.Call(wire.TypeHello, wire.Hello{Version: wire.Version, Consent: wire.ConsentNone}, &hello); err != nil {
		t.Fatalf("hello: %v", err)
	}
	if hello.Session == "" {
		t.Fatal("hello reply has no session")
	}
	return c
}

// Call sends one request and decodes its reply into out. An error reply
// is returned as *wire.Error.
func (c *WSClient) Call(typ string, body, out any) error {
	c.seq++
	id := fmt.Sprintf("e2e-%d", c.seq)
	frame, err := wire.Encode(typ, id, body)
	if err != nil {
		return err
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		return fmt.Errorf("send %s: %w", typ, err)
	}
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("read reply to %s: %w", typ, err)
		}
		if kind != websocket.TextMessage {
			continue
		}
		env, werr := wire.DecodeEnvelope(data)
		if werr != nil {
			return fmt.Errorf("reply to %s: %w", typ, werr)
		}
		if env.ID != id {
			continue
		}
		if env.Type == wire.TypeError {
			var e wire.Error
			if werr := wire.DecodeBody(env, &e); werr != nil {
				return werr
			}
			return &e
		}
		if out != nil {
			if werr := wire.DecodeBody(env, out); werr != nil {
				return fmt.Errorf("reply to %s: %w", typ, werr)
			}
		}
		return nil
	}
}

// Catalog lists every ready product (all pages).
func (c *WSClient) Catalog() []wire.Product {
	c.t.Helper()
	var all []wire.Product
	req := wire.CatalogList{Limit: wire.MaxPageSize}
	for page := 0; page < 100; page++ {
		var reply wire.CatalogListReply
		if err := c.Call(wire.TypeCatalogList, req, &reply); err != nil {
			c.t.Fatalf("catalog.list: %v", err)
		}
		all = append(all, reply.Products...)
		if reply.NextOffset == 0 {
			return all
		}
		req.Offset = reply.NextOffset
	}
	c.t.Fatal("catalog.list: more than 100 pages")
	return nil
}
