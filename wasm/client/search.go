package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/vitrine-shop/vitrine/wire"
)

// SearchImage runs a visual search. With image set it announces an
// upload stream in search.image and sends the bytes as FrameUploadChunk
// frames on the same connection, then waits for search.results; with
// image nil, req.SKU asks for products similar to a catalog product. A
// connection dropped before the answer sends the whole request again on
// the next connection, under a new stream id.
func (c *Client) SearchImage(ctx context.Context, req wire.SearchImage, image []byte) (wire.SearchResults, error) {
	if image != nil {
		sum := sha256.Sum256(image)
		req.SizeBytes = int64(len(image))
		req.SHA256 = hex.EncodeToString(sum[:])
	}
	for {
		conn, err := c.waitReady(ctx)
		if err != nil {
			return wire.SearchResults{}, fmt.Errorf("client: %s: %w", wire.TypeSearchImage, err)
		}
		var frames [][]byte
		if image != nil {
			req.Stream = c.uploadStream()
			frames = uploadFrames(req.Stream, image)
		}
		var out wire.SearchResults
		err = c.roundTripFrames(ctx, conn, wire.TypeSearchImage, req, frames, &out)
		if errors.Is(err, ErrDisconnected) {
			continue
		}
		return out, err
	}
}

// uploadStreams numbers upload streams; ids only need to differ among
// one session's open uploads.
var uploadStreams atomic.Uint32

// uploadStream returns a fresh, non-zero upload stream id.
func (c *Client) uploadStream() uint32 {
	for {
		if id := uploadStreams.Add(1); id != 0 {
			return id
		}
	}
}

// roundTripFrames sends a request, then frames (binary upload chunks, if
// any) right after it, and awaits the reply, decoded into out unless out
// is nil.
func (c *Client) roundTripFrames(ctx context.Context, conn Conn, typ string, body any, frames [][]byte, out any) error {
	id := c.newID()
	frame, err := wire.Encode(typ, id, body)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	ch := make(chan result, 1)
	c.mu.Lock()
	c.calls[id] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.calls, id)
		c.mu.Unlock()
	}
	if err := conn.Send(ctx, Frame{Data: frame}); err != nil {
		forget()
		return fmt.Errorf("client: send %s: %w", typ, errors.Join(ErrDisconnected, err))
	}
	for _, f := range frames {
		if err := conn.Send(ctx, Frame{Binary: true, Data: f}); err != nil {
			forget()
			return fmt.Errorf("client: send %s upload: %w", typ, errors.Join(ErrDisconnected, err))
		}
	}
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		forget()
		return fmt.Errorf("client: %s: %w", typ, ctx.Err())
	}
	if r.err != nil {
		return fmt.Errorf("client: %s: %w", typ, r.err)
	}
	if r.env.Type == wire.TypeError {
		return replyError(r.env)
	}
	if r.env.Type != replyType(typ) {
		return fmt.Errorf("client: %s answered with %q", typ, r.env.Type)
	}
	if out == nil {
		return nil
	}
	if werr := wire.DecodeBody(r.env, out); werr != nil {
		return fmt.Errorf("client: %s reply: %w", typ, werr)
	}
	return nil
}

// uploadFrames cuts data into FrameUploadChunk frames of stream id.
func uploadFrames(stream uint32, data []byte) [][]byte {
	var frames [][]byte
	for i := 0; len(data) > 0; i++ {
		n := min(len(data), wire.ChunkSize)
		h := wire.FrameHeader{Kind: wire.FrameUploadChunk, Stream: stream, Index: uint32(i)}
		frames = append(frames, wire.AppendFrame(make([]byte, 0, wire.FrameHeaderSize+n), h, data[:n]))
		data = data[n:]
	}
	return frames
}
