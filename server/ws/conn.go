package ws

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/vitrine-shop/vitrine/wire"
)

// frame is one message queued for the write pump.
type frame struct {
	binary bool
	data   []byte
}

// outbox is a connection's bounded send queue. Producers block in put
// until the write pump takes the frame or their context ends; nothing is
// ever buffered beyond the queue's capacity.
type outbox chan frame

// put queues f, blocking while the queue is full. It reports false, and
// drops f, when ctx ends first.
func (o outbox) put(ctx context.Context, f frame) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case o <- f:
		return true
	case <-ctx.Done():
		return false
	}
}

// conn is one WebSocket connection: the socket, its two pumps and the
// protocol session they serve.
type conn struct {
	hub  *Hub
	ws   *websocket.Conn
	sess *session
	send outbox
	// ctx ends when the connection is over or closing: every producer
	// (read pump replies, streams) stops then.
	ctx    context.Context
	cancel context.CancelFunc

	readDone  chan struct{} // closed when the read pump stops reading
	writeDone chan struct{} // closed when the write pump has closed the socket

	closeOnce sync.Once
	closeReq  chan struct{} // closed by requestClose
	closeCode int           // set before closeReq is closed
	closeText string
}

func newConn(h *Hub, wsConn *websocket.Conn, remote string) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{
		hub:       h,
		ws:        wsConn,
		send:      make(outbox, sendQueueFrames),
		ctx:       ctx,
		cancel:    cancel,
		readDone:  make(chan struct{}),
		writeDone: make(chan struct{}),
		closeReq:  make(chan struct{}),
	}
	log := h.log.With("conn", h.connSeq.Add(1), "remote", remote)
	c.sess = newSession(h, ctx, c.send, log)
	return c
}

// requestClose asks the write pump to send a close frame with code and
// reason after the frames already queued, then close the connection. Only
// the first request counts.
func (c *conn) requestClose(code int, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeText = code, reason
		close(c.closeReq)
	})
}

// readPump is the connection's only reader. It dispatches each message in
// order and queues exactly one reply for it; model streams it starts run
// in their own goroutines.
func (c *conn) readPump() {
	defer func() {
		close(c.readDone)
		c.cancel()
		c.sess.waitStreams()
		<-c.writeDone
		c.hub.unregister(c)
		c.sess.end()
		c.sess.log.Debug("ws: connection closed")
		c.hub.wg.Done()
	}()
	c.ws.SetReadLimit(wire.MaxReadBytes())
	_ = c.ws.SetReadDeadline(time.Now().Add(wire.PongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(wire.PongWait))
	})
	limiter := newTokenBucket(wire.MessagesPerSecond, wire.MessageBurst, c.hub.now())
	rejectedInRow := 0
	closing := false
	for {
		msgType, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readFailed(err)
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(wire.PongWait))
		if closing {
			continue // waiting for the peer's close frame
		}
		if !limiter.allow(c.hub.now()) {
			rejectedInRow++
			if rejectedInRow > wire.MessageBurst {
				c.sess.log.Warn("ws: closing a flooding client", "rejected_in_row", rejectedInRow)
				c.hub.metrics.errors.WithLabelValues(string(wire.CodeRateLimited)).Inc()
				c.requestClose(websocket.ClosePolicyViolation, "message rate far above the limit")
				closing = true
				continue
			}
			c.send.put(c.ctx, frame{data: c.sess.rateLimited(msgType, data)})
			continue
		}
		rejectedInRow = 0
		switch msgType {
		case websocket.TextMessage:
			r := c.sess.dispatch(c.ctx, data)
			if r.frame != nil { // nil: a search.image whose answer follows its upload
				c.send.put(c.ctx, frame{data: r.frame})
			}
			if r.stream != nil {
				// Started even when the reply could not be queued: the
				// stream sees the ended context and releases its reader.
				c.sess.startStream(r.stream)
			}
		case websocket.BinaryMessage:
			if f := c.sess.binary(c.ctx, data); f != nil { // nil: an upload chunk taken in
				c.send.put(c.ctx, frame{data: f})
			}
		}
	}
}

// readFailed logs why reading stopped. After an oversize frame gorilla has
// sent close 1009; the rest of the client's frame is drained so that
// closing the socket does not reset the connection before the client reads
// that close frame.
func (c *conn) readFailed(err error) {
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		c.sess.log.Info("ws: frame over the read limit; closing with 1009", "limit_bytes", wire.MaxReadBytes())
		c.hub.metrics.errors.WithLabelValues(string(wire.CodeTooLarge)).Inc()
		c.drain()
	case websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived):
		c.sess.log.Debug("ws: peer closed", "err", err)
	default:
		c.sess.log.Debug("ws: read failed", "err", err)
	}
}

// drain reads and discards what the client still sends, until it pauses
// for drainIdle, closeGrace has passed or maxDrainBytes were read.
func (c *conn) drain() {
	nc := c.ws.NetConn()
	buf := make([]byte, 32<<10)
	deadline := time.Now().Add(closeGrace)
	for total := 0; total < maxDrainBytes; {
		next := time.Now().Add(drainIdle)
		if next.After(deadline) {
			next = deadline
		}
		_ = nc.SetReadDeadline(next)
		n, err := nc.Read(buf)
		total += n
		if err != nil {
			return
		}
	}
}

// writePump is the connection's only writer of data frames, pings and
// server-initiated close frames.
func (c *conn) writePump() {
	ticker := time.NewTicker(wire.PingPeriod)
	defer func() {
		ticker.Stop()
		c.cancel()
		_ = c.ws.Close()
		close(c.writeDone)
		c.hub.wg.Done()
	}()
	for {
		select {
		case f := <-c.send:
			if err := c.write(f); err != nil {
				c.sess.log.Debug("ws: write failed", "err", err)
				return
			}
		case <-ticker.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(wire.WriteWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.sess.log.Debug("ws: ping failed", "err", err)
				return
			}
		case <-c.readDone:
			return
		case <-c.closeReq:
			c.closeGracefully()
			return
		}
	}
}

// closeGracefully stops every producer, writes the frames already queued,
// sends the requested close frame and waits briefly for the peer's.
func (c *conn) closeGracefully() {
	c.cancel()
	for flushing := true; flushing; {
		select {
		case f := <-c.send:
			if err := c.write(f); err != nil {
				return
			}
		default:
			flushing = false
		}
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(wire.WriteWait))
	if err := c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText)); err != nil {
		return
	}
	timer := time.NewTimer(closeGrace)
	defer timer.Stop()
	select {
	case <-c.readDone:
	case <-timer.C:
	}
}

func (c *conn) write(f frame) error {
	msgType := websocket.TextMessage
	if f.binary {
		msgType = websocket.BinaryMessage
	}
	if err := c.ws.SetWriteDeadline(time.Now().Add(wire.WriteWait)); err != nil {
		return err
	}
	return c.ws.WriteMessage(msgType, f.data)
}
