package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// searchServer answers hello and search.image: an upload is reassembled
// from its binary frames and checked against the announced size and
// digest; the first connection is dropped mid-upload when dropFirst.
func searchServer(t *testing.T, dropFirst bool, got chan<- []byte) Dialer {
	conns := 0
	return func(ctx context.Context) (Conn, error) {
		conns++
		client, server := pipe()
		connNo := conns
		go func() {
			defer server.Close()
			var pending *wire.SearchImage
			var pendingID string
			var data []byte
			send := func(typ, id string, body any) {
				frame, _ := wire.Encode(typ, id, body)
				_ = server.Send(context.Background(), Frame{Data: frame})
			}
			for {
				f, err := server.Recv(context.Background())
				if err != nil {
					return
				}
				if f.Binary {
					h, p, werr := wire.DecodeFrame(f.Data)
					if werr != nil || pending == nil || h.Kind != wire.FrameUploadChunk || h.Stream != pending.Stream || int(h.Index) != len(data)/wire.ChunkSize {
						t.Errorf("unexpected frame %+v (pending %+v, %d bytes held)", h, pending, len(data))
						return
					}
					if dropFirst && connNo == 1 {
						return // the connection drops mid-upload
					}
					data = append(data, p...)
					if int64(len(data)) == pending.SizeBytes {
						sum := sha256.Sum256(data)
						if hex.EncodeToString(sum[:]) != pending.SHA256 {
							send(wire.TypeError, pendingID, wire.Errorf(wire.CodeBadRequest, "checksum"))
						} else {
							got <- data
							send(wire.TypeSearchResults, pendingID, wire.SearchResults{Stream: pending.Stream,
								Results: []wire.SearchResult{{SKU: "glasses-tortoise", Score: 0.9, Why: wire.WhyColour}}})
						}
						pending, data = nil, nil
					}
					continue
				}
				env, werr := wire.DecodeEnvelope(f.Data)
				if werr != nil {
					t.Errorf("bad text frame: %v", werr)
					return
				}
				switch env.Type {
				case wire.TypeHello:
					send(wire.TypeHello, env.ID, wire.HelloReply{Version: 1, Session: "s"})
				case wire.TypeSearchImage:
					var req wire.SearchImage
					_ = wire.DecodeBody(env, &req)
					if req.SKU == "missing" {
						send(wire.TypeError, env.ID, wire.Errorf(wire.CodeNotFound, "no such product"))
						continue
					}
					if req.SKU != "" {
						send(wire.TypeSearchResults, env.ID, wire.SearchResults{Results: []wire.SearchResult{{SKU: "mug-sage", Score: 0.5}}})
						continue
					}
					if req.Stream == 0 || req.SizeBytes <= 0 {
						t.Errorf("upload announced without a stream: %+v", req)
					}
					pending, pendingID, data = &req, env.ID, nil
				}
			}
		}()
		return client, nil
	}
}

func runClient(t *testing.T, dial Dialer) (*Client, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	c := New(Options{
		Backoff: func(int) time.Duration { return time.Millisecond },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx, dial)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c, ctx
}

func TestSearchImageUploadsInChunks(t *testing.T) {
	for _, drop := range []bool{false, true} {
		got := make(chan []byte, 1)
		c, ctx := runClient(t, searchServer(t, drop, got))
		img := make([]byte, 2*wire.ChunkSize+77)
		for i := range img {
			img[i] = byte(i * 13)
		}
		res, err := c.SearchImage(ctx, wire.SearchImage{K: 8}, img)
		if err != nil {
			t.Fatalf("drop=%v: %v", drop, err)
		}
		if len(res.Results) != 1 || res.Results[0].SKU != "glasses-tortoise" {
			t.Errorf("drop=%v: results %+v", drop, res)
		}
		if !bytes.Equal(<-got, img) {
			t.Errorf("drop=%v: the server got other bytes", drop)
		}
	}
}

func TestSearchImageBySKU(t *testing.T) {
	c, ctx := runClient(t, searchServer(t, false, make(chan []byte, 1)))
	res, err := c.SearchImage(ctx, wire.SearchImage{SKU: "chair-oak", K: 8}, nil)
	if err != nil || len(res.Results) != 1 || res.Results[0].SKU != "mug-sage" {
		t.Fatalf("%+v %v", res, err)
	}
	_, err = c.SearchImage(ctx, wire.SearchImage{SKU: "missing", K: 8}, nil)
	var werr *wire.Error
	if !errors.As(err, &werr) || werr.Code != wire.CodeNotFound {
		t.Errorf("error %v", err)
	}
}

func TestUploadFrames(t *testing.T) {
	data := make([]byte, 2*wire.ChunkSize)
	frames := uploadFrames(9, data)
	if len(frames) != 2 {
		t.Fatalf("%d frames", len(frames))
	}
	for i, f := range frames {
		h, p, err := wire.DecodeFrame(f)
		if err != nil || h.Kind != wire.FrameUploadChunk || h.Stream != 9 || h.Index != uint32(i) || len(p) != wire.ChunkSize {
			t.Errorf("frame %d: %+v %d %v", i, h, len(p), err)
		}
	}
	if len(uploadFrames(1, nil)) != 0 {
		t.Error("frames for nothing")
	}
}
