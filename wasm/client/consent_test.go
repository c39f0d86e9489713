package client

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// A resumed session id goes out in the first hello, and a consent change
// reaches every later hello, so a reconnect keeps the shopper's choice.
func TestResumeAndConsentReachHello(t *testing.T) {
	srv := &fakeServer{t: t}
	var mu sync.Mutex
	var conns []Conn
	dial := func(ctx context.Context) (Conn, error) {
		c, err := srv.dial(ctx)
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return c, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := New(Options{
		Consent: wire.ConsentNone,
		Backoff: func(int) time.Duration { return time.Millisecond },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	c.Resume("saved-session")
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, dial) }()
	defer func() { cancel(); <-done }()

	waitHellos(t, srv, 1)
	for c.Session() != "sess-1" {
		time.Sleep(time.Millisecond)
	}
	c.Resume("ignored") // a session is known now
	c.SetConsent(wire.ConsentPersonalisation)
	if got := c.Consent(); got != wire.ConsentPersonalisation {
		t.Errorf("Consent() = %q", got)
	}
	mu.Lock()
	conns[0].Close() // drop the connection: the client redials
	mu.Unlock()
	waitHellos(t, srv, 2)

	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.hellos) < 2 {
		t.Fatalf("%d hellos, want 2", len(srv.hellos))
	}
	first, second := srv.hellos[0], srv.hellos[len(srv.hellos)-1]
	if first.Session != "saved-session" || first.Consent != wire.ConsentNone {
		t.Errorf("first hello %+v, want the saved session and consent none", first)
	}
	if second.Session != "sess-1" || second.Consent != wire.ConsentPersonalisation {
		t.Errorf("hello after the reconnect %+v, want the server's session and the new consent", second)
	}
}

func waitHellos(t *testing.T, srv *fakeServer, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		srv.mu.Lock()
		got := len(srv.hellos)
		srv.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d hellos after 5s, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
