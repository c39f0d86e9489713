package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/stream"
	"github.com/vitrine-shop/vitrine/wire"
)

// pipeConn is one end of an in-memory connection.
type pipeConn struct {
	in     chan Frame
	out    chan Frame
	closed chan struct{}
	once   *sync.Once
}

func pipe() (client, server *pipeConn) {
	a, b := make(chan Frame, 256), make(chan Frame, 256)
	closed, once := make(chan struct{}), &sync.Once{}
	return &pipeConn{in: a, out: b, closed: closed, once: once}, &pipeConn{in: b, out: a, closed: closed, once: once}
}

func (p *pipeConn) Send(ctx context.Context, f Frame) error {
	select {
	case <-p.closed:
		return io.ErrClosedPipe
	default:
	}
	select {
	case p.out <- f:
		return nil
	case <-p.closed:
		return io.ErrClosedPipe
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pipeConn) Recv(ctx context.Context) (Frame, error) {
	select { // frames sent before the close are delivered first, as on TCP
	case f := <-p.in:
		return f, nil
	default:
	}
	select {
	case f := <-p.in:
		return f, nil
	case <-p.closed:
		return Frame{}, io.EOF
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	}
}

func (p *pipeConn) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

// fakeServer answers vitrine.v1 on each connection it is handed.
type fakeServer struct {
	t        *testing.T
	model    []byte
	version  int64
	corrupt  bool // flip a byte of chunk 1
	chunk    int  // chunk size
	dropAt   int  // drop the first connection after sending this chunk (0: never)
	slowFrom int  // stall before this chunk until the client cancels (0: never)

	mu       sync.Mutex
	hellos   []wire.Hello
	opens    []wire.ModelOpen
	cancels  []wire.ModelCancel
	conns    int
	nextStrm uint32
}

func (s *fakeServer) dial(ctx context.Context) (Conn, error) {
	c, srv := pipe()
	s.mu.Lock()
	s.conns++
	n := s.conns
	s.mu.Unlock()
	go s.serve(srv, n)
	return c, nil
}

func (s *fakeServer) send(conn *pipeConn, typ, id string, body any) {
	frame, err := wire.Encode(typ, id, body)
	if err != nil {
		s.t.Error(err)
		return
	}
	_ = conn.Send(context.Background(), Frame{Data: frame})
}

func (s *fakeServer) serve(conn *pipeConn, connNo int) {
	defer conn.Close()
	var pendingLists []wire.Envelope
	for {
		f, err := conn.Recv(context.Background())
		if err != nil {
			return
		}
		env, werr := wire.DecodeEnvelope(f.Data)
		if werr != nil {
			s.t.Errorf("server got a bad frame: %v", werr)
			return
		}
		switch env.Type {
		case wire.TypeHello:
			var h wire.Hello
			_ = wire.DecodeBody(env, &h)
			s.mu.Lock()
			s.hellos = append(s.hellos, h)
			s.mu.Unlock()
			s.send(conn, wire.TypeHello, env.ID, wire.HelloReply{Version: 1, Session: "sess-1", Resumed: h.Session != ""})
		case wire.TypeCatalogList:
			var req wire.CatalogList
			_ = wire.DecodeBody(env, &req)
			if req.Query == "fail" {
				s.send(conn, wire.TypeError, env.ID, wire.Errorf(wire.CodeBadRequest, "no"))
				continue
			}
			// Hold replies until two requests arrived, then answer in
			// reverse order to prove correlation by id.
			pendingLists = append(pendingLists, env)
			if len(pendingLists) == 2 {
				for i := len(pendingLists) - 1; i >= 0; i-- {
					var r wire.CatalogList
					_ = wire.DecodeBody(pendingLists[i], &r)
					s.send(conn, wire.TypeCatalogList, pendingLists[i].ID, wire.CatalogListReply{
						Products: []wire.Product{{SKU: r.Category + "-1", Name: r.Category}}, Total: 1,
					})
				}
				pendingLists = nil
			}
		case wire.TypeModelOpen:
			var req wire.ModelOpen
			_ = wire.DecodeBody(env, &req)
			s.mu.Lock()
			s.opens = append(s.opens, req)
			s.nextStrm++
			id := s.nextStrm
			s.mu.Unlock()
			go s.stream(conn, connNo, env.ID, id, req)
		case wire.TypeModelCancel:
			var req wire.ModelCancel
			_ = wire.DecodeBody(env, &req)
			s.mu.Lock()
			s.cancels = append(s.cancels, req)
			s.mu.Unlock()
			s.send(conn, wire.TypeModelCancel, env.ID, req)
		}
	}
}

func (s *fakeServer) stream(conn *pipeConn, connNo int, reqID string, id uint32, req wire.ModelOpen) {
	if req.SKU != "chair" {
		s.send(conn, wire.TypeError, reqID, wire.Errorf(wire.CodeNotFound, "no product %s", req.SKU))
		return
	}
	sum := sha256.Sum256(s.model)
	chunks := (len(s.model) + s.chunk - 1) / s.chunk
	from := req.FromChunk
	if req.Version != 0 && req.Version != s.version {
		from = 0
	}
	s.send(conn, wire.TypeModelMeta, reqID, wire.ModelMeta{
		Stream: id, SKU: req.SKU, Version: s.version, Format: wire.FormatGLB, SizeBytes: int64(len(s.model)),
		ChunkSize: s.chunk, Chunks: chunks, FromChunk: from, SHA256: hex.EncodeToString(sum[:]),
	})
	for i := from; i < chunks; i++ {
		if s.slowFrom > 0 && i == s.slowFrom {
			<-conn.closed // stall; the test ends by closing
			return
		}
		payload := bytes.Clone(s.model[i*s.chunk : min((i+1)*s.chunk, len(s.model))])
		if s.corrupt && i == 1 {
			payload[0] ^= 1
		}
		frame := wire.AppendFrame(nil, wire.FrameHeader{Kind: wire.FrameModelChunk, Stream: id, Index: uint32(i)}, payload)
		if conn.Send(context.Background(), Frame{Binary: true, Data: frame}) != nil {
			return
		}
		if connNo == 1 && s.dropAt > 0 && i == s.dropAt {
			conn.Close()
			return
		}
	}
	s.send(conn, wire.TypeModelDone, reqID, wire.ModelDone{Stream: id, SKU: req.SKU, Version: s.version, Sent: chunks - from, SizeBytes: int64(len(s.model))})
}

func newModel(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// start runs a client against srv until the test ends.
func start(t *testing.T, srv *fakeServer) (*Client, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	c := New(Options{
		ClientName: "test",
		Backoff:    func(int) time.Duration { return time.Millisecond },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx, srv.dial)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c, ctx
}

func TestCallsAreCorrelatedByID(t *testing.T) {
	srv := &fakeServer{t: t}
	c, ctx := start(t, srv)
	var wg sync.WaitGroup
	got := make([]string, 2)
	for i, cat := range []string{"chairs", "lamps"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reply, err := c.CatalogList(ctx, wire.CatalogList{Category: cat})
			if err != nil {
				t.Errorf("CatalogList(%s): %v", cat, err)
				return
			}
			got[i] = reply.Products[0].Name
		}()
	}
	wg.Wait()
	if got[0] != "chairs" || got[1] != "lamps" {
		t.Errorf("replies = %v, want [chairs lamps]", got)
	}
	if c.Session() != "sess-1" {
		t.Errorf("Session = %q, want sess-1", c.Session())
	}
}

func TestErrorReplyIsWireError(t *testing.T) {
	srv := &fakeServer{t: t}
	c, ctx := start(t, srv)
	_, err := c.CatalogList(ctx, wire.CatalogList{Query: "fail"})
	var werr *wire.Error
	if !errors.As(err, &werr) || werr.Code != wire.CodeBadRequest {
		t.Fatalf("err = %v, want a *wire.Error with code bad_request", err)
	}
}

func TestOpenModel(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int
		dropAt    int
		wantOpens []wire.ModelOpen
	}{
		{"one connection", 1000, 0, []wire.ModelOpen{{SKU: "chair"}}},
		{"resumes after a dropped connection", 1000, 4, []wire.ModelOpen{{SKU: "chair"}, {SKU: "chair", Version: 5, FromChunk: 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := newModel(tc.size)
			srv := &fakeServer{t: t, model: model, version: 5, chunk: 100, dropAt: tc.dropAt}
			c, ctx := start(t, srv)
			var mu sync.Mutex
			var last [2]int64
			m, err := c.OpenModel(ctx, "chair", func(held, total int64) {
				mu.Lock()
				last = [2]int64{held, total}
				mu.Unlock()
			})
			if err != nil {
				t.Fatalf("OpenModel: %v", err)
			}
			if !bytes.Equal(m.Data, model) {
				t.Fatal("model bytes differ")
			}
			if m.Meta.SKU != "chair" || m.Meta.Version != 5 {
				t.Errorf("meta = %s v%d, want chair v5", m.Meta.SKU, m.Meta.Version)
			}
			mu.Lock()
			if last != [2]int64{int64(tc.size), int64(tc.size)} {
				t.Errorf("last progress %v, want %d/%d", last, tc.size, tc.size)
			}
			mu.Unlock()
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if len(srv.opens) != len(tc.wantOpens) {
				t.Fatalf("server saw opens %+v, want %+v", srv.opens, tc.wantOpens)
			}
			for i := range tc.wantOpens {
				if srv.opens[i] != tc.wantOpens[i] {
					t.Errorf("open %d = %+v, want %+v", i, srv.opens[i], tc.wantOpens[i])
				}
			}
			if tc.dropAt > 0 && (len(srv.hellos) < 2 || srv.hellos[1].Session != "sess-1") {
				t.Errorf("hellos %+v: the second should resume session sess-1", srv.hellos)
			}
		})
	}
}

func TestOpenModelFailures(t *testing.T) {
	t.Run("checksum", func(t *testing.T) {
		srv := &fakeServer{t: t, model: newModel(500), version: 1, chunk: 100, corrupt: true}
		c, ctx := start(t, srv)
		if _, err := c.OpenModel(ctx, "chair", nil); !errors.Is(err, stream.ErrChecksum) {
			t.Fatalf("OpenModel = %v, want ErrChecksum", err)
		}
	})
	t.Run("unknown product", func(t *testing.T) {
		srv := &fakeServer{t: t, model: newModel(500), version: 1, chunk: 100}
		c, ctx := start(t, srv)
		var werr *wire.Error
		if _, err := c.OpenModel(ctx, "sofa", nil); !errors.As(err, &werr) || werr.Code != wire.CodeNotFound {
			t.Fatalf("OpenModel = %v, want not_found", err)
		}
	})
}

func TestCancelledOpenCancelsTheStream(t *testing.T) {
	srv := &fakeServer{t: t, model: newModel(1000), version: 1, chunk: 100, slowFrom: 3}
	c, ctx := start(t, srv)
	openCtx, cancel := context.WithCancel(ctx)
	started := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		_, err := c.OpenModel(openCtx, "chair", func(held, _ int64) {
			if held >= 300 {
				once.Do(func() { close(started) })
			}
		})
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("OpenModel = %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		srv.mu.Lock()
		n := len(srv.cancels)
		srv.mu.Unlock()
		if n == 1 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("server never received model.cancel")
}

func TestBackoffBase(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{
		{-1, 250 * time.Millisecond},
		{0, 250 * time.Millisecond},
		{1, 500 * time.Millisecond},
		{3, 2 * time.Second},
		{5, 8 * time.Second},
		{6, 10 * time.Second},
		{60, 10 * time.Second},
	} {
		if got := BackoffBase(tc.attempt); got != tc.want {
			t.Errorf("BackoffBase(%d) = %v, want %v", tc.attempt, got, tc.want)
		}
		if got := DefaultBackoff(tc.attempt); got < tc.want*8/10 || got > tc.want*12/10 {
			t.Errorf("DefaultBackoff(%d) = %v, want within 20%% of %v", tc.attempt, got, tc.want)
		}
	}
}
