// Package client speaks the vitrine.v1 protocol for the viewer over any
// message transport: it says hello on every connection (resuming the
// session), correlates requests with replies by id, reassembles model
// streams with package stream, resumes a stream interrupted by a dropped
// connection, and redials with back-off. The browser transport lives in the
// viewer's js/wasm files; this package is pure Go and tested natively.
package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/vitrine-shop/vitrine/wasm/stream"
	"github.com/vitrine-shop/vitrine/wire"
)

// ErrDisconnected is returned for a request whose connection dropped
// before its reply arrived.
var ErrDisconnected = errors.New("client: connection lost")

// ErrStopped is returned by Open when ModelRequest.StopAfterMeta asked to
// stop; the Model then carries the meta and a Partial to resume from.
var ErrStopped = errors.New("client: model stream stopped after model.meta")

// Frame is one WebSocket message: a JSON text frame or a binary frame.
type Frame struct {
	Binary bool
	Data   []byte
}

// Conn is one open connection. Send must be safe to call from several
// goroutines; Recv is called from one goroutine only.
type Conn interface {
	Send(ctx context.Context, f Frame) error
	Recv(ctx context.Context) (Frame, error)
	Close() error
}

// Dialer opens a new connection.
type Dialer func(ctx context.Context) (Conn, error)

// State is the client's connection state, reported to Options.OnState.
type State int

// Connection states.
const (
	Connecting   State = iota // dialling or saying hello
	Connected                 // hello answered; requests flow
	Reconnecting              // the connection dropped; waiting to redial
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Reconnecting:
		return "reconnecting"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Options configure a Client.
type Options struct {
	// Consent is sent in hello (wire.ConsentNone when empty).
	Consent string
	// ClientName is sent in hello to identify the viewer build.
	ClientName string
	// MaxModelBytes bounds a streamed model (stream.DefaultMaxBytes when 0).
	MaxModelBytes int64
	// Backoff gives the wait before redial attempt n (0-based);
	// DefaultBackoff when nil.
	Backoff func(attempt int) time.Duration
	// OnState, when set, is called on every state change from the
	// goroutine running Run. It must not block.
	OnState func(State)
	// Logger receives diagnostics; slog.Default() when nil.
	Logger *slog.Logger
}

// Client is a vitrine.v1 client. Its methods are safe for concurrent use.
type Client struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	conn    Conn          // the connection whose hello succeeded; nil otherwise
	ready   chan struct{} // closed while conn is usable
	nextID  uint64
	calls   map[string]chan result
	models  map[string]*modelCall // by request id
	streams map[uint32]*modelCall // by stream id, once model.meta arrived
	cancels map[string]*modelCall // stopped streams, by the model.cancel's request id
	session string
}

type result struct {
	env wire.Envelope
	err error
}

type modelCall struct {
	id       string
	asm      *stream.Assembler
	stream   uint32
	meta     wire.ModelMeta // as announced, kept after the assembler resets
	progress func(held, total int64)
	stop     func(wire.ModelMeta) bool
	done     chan modelResult
	// finished is set once done has its result; a stopped call then keeps
	// draining its stream into partial until the server confirms the
	// cancel.
	finished bool
	partial  *Partial
}

// Partial is what a stopped model stream left: the chunks that arrived
// before the server confirmed the cancel (or the whole model, when it
// finished first). Pass it as ModelRequest.Resume to continue.
type Partial struct {
	asm      *stream.Assembler
	sku      string
	lod      int
	drained  chan struct{} // closed once no chunk of the stream can arrive
	isClosed bool
	data     []byte // the verified model, when its stream finished while draining
	meta     wire.ModelMeta
}

// markDrained closes drained once. The client's mu must be held.
func (p *Partial) markDrained() {
	if !p.isClosed {
		p.isClosed = true
		p.asm.Interrupt()
		close(p.drained)
	}
}

type modelResult struct {
	data []byte
	err  error
}

// New returns a Client; call Run to connect it.
func New(opts Options) *Client {
	if opts.Consent == "" {
		opts.Consent = wire.ConsentNone
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Client{
		opts:    opts,
		log:     log,
		ready:   make(chan struct{}),
		calls:   make(map[string]chan result),
		models:  make(map[string]*modelCall),
		streams: make(map[uint32]*modelCall),
		cancels: make(map[string]*modelCall),
	}
}

// DefaultBackoff doubles from 250 ms up to 10 s, with ±20% jitter so that
// many viewers dropped together do not redial together.
func DefaultBackoff(attempt int) time.Duration {
	d := BackoffBase(attempt)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

// BackoffBase is DefaultBackoff without jitter: 250 ms × 2^attempt, at
// most 10 s.
func BackoffBase(attempt int) time.Duration {
	const base, ceiling = 250 * time.Millisecond, 10 * time.Second
	if attempt < 0 {
		attempt = 0
	}
	if attempt >= 6 {
		return ceiling
	}
	return min(base<<attempt, ceiling)
}

// Session returns the session id the server last gave, or "".
func (c *Client) Session() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// Run dials, says hello and serves the connection until it drops, then
// redials with back-off, until ctx is done. It returns ctx's error.
func (c *Client) Run(ctx context.Context, dial Dialer) error {
	attempt := 0
	for {
		c.setState(Connecting)
		conn, err := dial(ctx)
		if err == nil {
			var helloed bool
			helloed, err = c.serve(ctx, conn)
			if helloed {
				attempt = 0
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := c.opts.Backoff(attempt)
		attempt++
		c.log.Warn("vitrine connection lost; redialling", "err", err, "wait", wait, "attempt", attempt)
		c.setState(Reconnecting)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Client) setState(s State) {
	if c.opts.OnState != nil {
		c.opts.OnState(s)
	}
}

// serve runs one connection: the read loop, hello, and then waits for
// the connection to fail. helloed reports whether hello succeeded.
func (c *Client) serve(ctx context.Context, conn Conn) (helloed bool, err error) {
	readErr := make(chan error, 1)
	go func() { readErr <- c.readLoop(ctx, conn) }()
	defer func() {
		_ = conn.Close()
		c.lost(conn)
	}()

	helloCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	var reply wire.HelloReply
	err = c.roundTrip(helloCtx, conn, wire.TypeHello, wire.Hello{
		Version: wire.Version, Consent: c.Consent(), Session: c.Session(), Client: c.opts.ClientName,
	}, &reply)
	cancel()
	if err != nil {
		return false, fmt.Errorf("client: hello: %w", err)
	}
	c.mu.Lock()
	c.session = reply.Session
	c.conn = conn
	close(c.ready)
	c.mu.Unlock()
	c.setState(Connected)
	select {
	case err = <-readErr:
		return true, err
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

// lost forgets conn: it fails every pending call and interrupts every
// model stream so its caller can resume on the next connection.
func (c *Client) lost(conn Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == conn {
		c.conn = nil
		c.ready = make(chan struct{})
	}
	for id, ch := range c.calls {
		ch <- result{err: ErrDisconnected}
		delete(c.calls, id)
	}
	for id, mc := range c.models {
		mc.asm.Interrupt()
		if !mc.finished {
			mc.finished = true
			mc.done <- modelResult{err: ErrDisconnected}
		}
		delete(c.models, id)
	}
	for id, mc := range c.cancels {
		mc.partial.markDrained()
		delete(c.cancels, id)
	}
	clear(c.streams)
}

func (c *Client) readLoop(ctx context.Context, conn Conn) error {
	for {
		f, err := conn.Recv(ctx)
		if err != nil {
			return err
		}
		if f.Binary {
			c.handleBinary(ctx, conn, f.Data)
		} else {
			c.handleText(ctx, conn, f.Data)
		}
	}
}

func (c *Client) handleText(ctx context.Context, conn Conn, data []byte) {
	env, werr := wire.DecodeEnvelope(data)
	if werr != nil {
		c.log.Warn("vitrine: unreadable text frame", "err", werr)
		return
	}
	c.mu.Lock()
	if mc, ok := c.cancels[env.ID]; ok && env.ID != "" {
		// The answer to a stopped stream's model.cancel (or an error when
		// the stream had already ended): nothing of it follows.
		delete(c.cancels, env.ID)
		if c.streams[mc.stream] == mc {
			delete(c.streams, mc.stream)
		}
		delete(c.models, mc.id)
		mc.partial.markDrained()
		c.mu.Unlock()
		return
	}
	if ch, ok := c.calls[env.ID]; ok && env.ID != "" {
		delete(c.calls, env.ID)
		c.mu.Unlock()
		ch <- result{env: env}
		return
	}
	mc, ok := c.models[env.ID]
	if !ok || env.ID == "" {
		c.mu.Unlock()
		c.log.Debug("vitrine: unsolicited message", "type", env.Type, "id", env.ID)
		return
	}
	var progress, stop func()
	switch env.Type {
	case wire.TypeModelMeta:
		var meta wire.ModelMeta
		if werr := wire.DecodeBody(env, &meta); werr != nil {
			c.finishLocked(mc, nil, fmt.Errorf("client: model.meta: %w", werr))
			break
		}
		if err := mc.asm.Begin(meta); err != nil {
			c.finishLocked(mc, nil, err)
			break
		}
		mc.stream = meta.Stream
		mc.meta = meta
		c.streams[meta.Stream] = mc
		held, total := mc.asm.Received()
		progress = func() { mc.report(held, total) }
		if mc.stop != nil && mc.stop(meta) {
			// Stop: answer the caller now, keep taking the chunks already
			// on their way until the server confirms the cancel.
			mc.partial = &Partial{asm: mc.asm, sku: meta.SKU, lod: meta.LOD, drained: make(chan struct{})}
			mc.finished = true
			mc.done <- modelResult{err: ErrStopped}
			c.nextID++
			cancelID := strconv.FormatUint(c.nextID, 10)
			c.cancels[cancelID] = mc
			streamID := meta.Stream
			progress = nil
			stop = func() { c.sendCancel(ctx, conn, cancelID, streamID) }
		}
	case wire.TypeModelDone:
		var done wire.ModelDone
		if werr := wire.DecodeBody(env, &done); werr != nil {
			c.finishLocked(mc, nil, fmt.Errorf("client: model.done: %w", werr))
			break
		}
		data, err := mc.asm.Done(done)
		if mc.partial != nil && err == nil {
			mc.partial.data, mc.partial.meta = data, mc.meta
		}
		c.finishLocked(mc, data, err)
	case wire.TypeError:
		c.finishLocked(mc, nil, replyError(env))
	default:
		c.log.Debug("vitrine: unexpected reply to model.open", "type", env.Type)
	}
	c.mu.Unlock()
	if progress != nil {
		progress()
	}
	if stop != nil {
		stop()
	}
}

func (c *Client) handleBinary(ctx context.Context, conn Conn, data []byte) {
	h, payload, werr := wire.DecodeFrame(data)
	if werr != nil {
		c.log.Warn("vitrine: unreadable binary frame", "err", werr)
		return
	}
	c.mu.Lock()
	mc, ok := c.streams[h.Stream]
	if !ok {
		// A chunk of a stream already finished or cancelled.
		c.mu.Unlock()
		return
	}
	err := mc.asm.Add(h, payload)
	held, total := mc.asm.Received()
	if err != nil {
		if mc.partial != nil {
			// A draining stream went wrong: resume from scratch.
			mc.asm.Discard()
		}
		c.finishLocked(mc, nil, err)
	}
	c.mu.Unlock()
	if mc.partial != nil {
		return // the cancel is already on its way; no progress for a stopped call
	}
	if err != nil {
		c.cancelStream(ctx, conn, h.Stream)
		return
	}
	mc.report(held, total)
}

func (mc *modelCall) report(held, total int64) {
	if mc.progress != nil {
		mc.progress(held, total)
	}
}

// finishLocked ends a model call with its result (a stopped call has
// had its result already). c.mu must be held.
func (c *Client) finishLocked(mc *modelCall, data []byte, err error) {
	delete(c.models, mc.id)
	if mc.stream != 0 && c.streams[mc.stream] == mc {
		delete(c.streams, mc.stream)
	}
	if !mc.finished {
		mc.finished = true
		mc.done <- modelResult{data: data, err: err}
	}
}

// sendCancel sends model.cancel for streamID with request id id.
func (c *Client) sendCancel(ctx context.Context, conn Conn, id string, streamID uint32) {
	frame, err := wire.Encode(wire.TypeModelCancel, id, wire.ModelCancel{Stream: streamID})
	if err == nil {
		err = conn.Send(ctx, Frame{Data: frame})
	}
	if err != nil {
		// The connection is going: lost() will mark the partial drained.
		c.log.Debug("vitrine: model.cancel not sent", "stream", streamID, "err", err)
	}
}

// cancelStream asks the server to stop a stream, without waiting.
func (c *Client) cancelStream(ctx context.Context, conn Conn, streamID uint32) {
	frame, err := wire.Encode(wire.TypeModelCancel, c.newID(), wire.ModelCancel{Stream: streamID})
	if err != nil {
		return
	}
	if err := conn.Send(ctx, Frame{Data: frame}); err != nil {
		c.log.Debug("vitrine: model.cancel not sent", "stream", streamID, "err", err)
	}
}

func (c *Client) newID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return strconv.FormatUint(c.nextID, 10)
}

// waitReady returns the live connection, waiting for one until ctx ends.
func (c *Client) waitReady(ctx context.Context) (Conn, error) {
	for {
		c.mu.Lock()
		conn, ready := c.conn, c.ready
		c.mu.Unlock()
		if conn != nil {
			return conn, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Call sends a request of type typ and decodes the reply's body into out
// (which may be nil). An error reply is returned as a *wire.Error. A
// request whose connection drops is sent again on the next connection:
// every vitrine.v1 request a viewer makes is safe to repeat.
func (c *Client) Call(ctx context.Context, typ string, body, out any) error {
	for {
		conn, err := c.waitReady(ctx)
		if err != nil {
			return fmt.Errorf("client: %s: %w", typ, err)
		}
		err = c.roundTrip(ctx, conn, typ, body, out)
		if errors.Is(err, ErrDisconnected) {
			continue
		}
		return err
	}
}

func (c *Client) roundTrip(ctx context.Context, conn Conn, typ string, body, out any) error {
	return c.roundTripFrames(ctx, conn, typ, body, nil, out)
}

// replyError turns an "error" envelope into a *wire.Error.
func replyError(env wire.Envelope) error {
	var e wire.Error
	if werr := wire.DecodeBody(env, &e); werr != nil {
		return fmt.Errorf("client: unreadable error reply: %w", werr)
	}
	if e.Code == "" {
		e.Code = wire.CodeInternal
	}
	return &e
}

// CatalogList fetches a page of products.
func (c *Client) CatalogList(ctx context.Context, req wire.CatalogList) (wire.CatalogListReply, error) {
	var reply wire.CatalogListReply
	err := c.Call(ctx, wire.TypeCatalogList, req, &reply)
	return reply, err
}

// CatalogGet fetches one product.
func (c *Client) CatalogGet(ctx context.Context, sku string) (wire.Product, error) {
	var reply wire.CatalogGetReply
	err := c.Call(ctx, wire.TypeCatalogGet, wire.CatalogGet{SKU: sku}, &reply)
	return reply.Product, err
}

// Model is a streamed, verified model.
type Model struct {
	Meta wire.ModelMeta
	Data []byte
	// Partial is set when Open returned ErrStopped.
	Partial *Partial
}

// ModelRequest asks Open for one level of detail of a product's model.
type ModelRequest struct {
	SKU string
	LOD int // 0 is the full model; higher levels are coarser
	// Resume continues a stream stopped earlier for the same SKU and
	// level, keeping the chunks it received.
	Resume *Partial
	// StopAfterMeta, when set, is called with the model.meta (on the
	// client's read goroutine; it must not block). Returning true stops
	// the stream: Open returns ErrStopped with the meta and a Partial, and
	// the chunks already sent are kept for a later Resume.
	StopAfterMeta func(wire.ModelMeta) bool
	// Progress, when set, is called with the bytes held and the level's
	// total after model.meta and after every chunk, from the client's read
	// goroutine (it must not block).
	Progress func(held, total int64)
}

// OpenModel streams the full-detail model of sku; see Open.
func (c *Client) OpenModel(ctx context.Context, sku string, progress func(held, total int64)) (Model, error) {
	return c.Open(ctx, ModelRequest{SKU: sku, Progress: progress})
}

// Open streams one level of a model and returns it once its size and
// SHA-256 are verified. If the connection drops mid-stream, Open resumes on
// the next connection from the first missing chunk. Cancelling ctx cancels
// the stream on the server.
func (c *Client) Open(ctx context.Context, req ModelRequest) (Model, error) {
	sku := req.SKU
	asm := stream.New(c.opts.MaxModelBytes)
	if p := req.Resume; p != nil && p.sku == sku && p.lod == req.LOD {
		select {
		case <-p.drained:
		case <-ctx.Done():
			return Model{}, fmt.Errorf("client: model %s: %w", sku, ctx.Err())
		}
		c.mu.Lock()
		data, meta := p.data, p.meta
		c.mu.Unlock()
		if data != nil {
			return Model{Meta: meta, Data: data}, nil
		}
		asm = p.asm
	}
	for {
		conn, err := c.waitReady(ctx)
		if err != nil {
			return Model{}, fmt.Errorf("client: model %s: %w", sku, err)
		}
		open := wire.ModelOpen{SKU: sku, LOD: req.LOD}
		if next := asm.NextChunk(); next > 0 {
			open.Version = asm.Meta().Version
			open.FromChunk = next
		}
		id := c.newID()
		frame, err := wire.Encode(wire.TypeModelOpen, id, open)
		if err != nil {
			return Model{}, fmt.Errorf("client: %w", err)
		}
		mc := &modelCall{id: id, asm: asm, progress: req.Progress, stop: req.StopAfterMeta, done: make(chan modelResult, 1)}
		c.mu.Lock()
		c.models[id] = mc
		c.mu.Unlock()
		if err := conn.Send(ctx, Frame{Data: frame}); err != nil {
			c.mu.Lock()
			delete(c.models, id)
			c.mu.Unlock()
			if ctx.Err() != nil {
				return Model{}, fmt.Errorf("client: model %s: %w", sku, ctx.Err())
			}
			continue // the read loop notices the broken connection
		}
		var res modelResult
		select {
		case res = <-mc.done:
		case <-ctx.Done():
			c.mu.Lock()
			_, running := c.models[id]
			if running {
				delete(c.models, id)
				if mc.stream != 0 && c.streams[mc.stream] == mc {
					delete(c.streams, mc.stream)
				}
			}
			c.mu.Unlock()
			if running && mc.stream != 0 {
				c.cancelStream(context.Background(), conn, mc.stream)
			}
			return Model{}, fmt.Errorf("client: model %s: %w", sku, ctx.Err())
		}
		if errors.Is(res.err, ErrStopped) {
			c.mu.Lock()
			m := Model{Meta: mc.meta, Partial: mc.partial}
			c.mu.Unlock()
			return m, ErrStopped
		}
		if errors.Is(res.err, ErrDisconnected) {
			continue
		}
		if res.err != nil {
			return Model{}, fmt.Errorf("client: model %s: %w", sku, res.err)
		}
		return Model{Meta: mc.meta, Data: res.data}, nil
	}
}
