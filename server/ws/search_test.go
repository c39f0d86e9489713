package ws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/vitrine-shop/vitrine/wire"
)

// echoSearcher answers with the uploaded bytes' length and digest, so the
// test sees exactly what the session reassembled.
type echoSearcher struct{}

func (echoSearcher) SearchImage(_ context.Context, data []byte, req wire.SearchImage) (wire.SearchResults, error) {
	if bytes.HasPrefix(data, []byte("bad")) {
		return wire.SearchResults{}, wire.Errorf(wire.CodeInvalidImage, "not an image")
	}
	sum := sha256.Sum256(data)
	return wire.SearchResults{Stream: req.Stream, Results: []wire.SearchResult{{SKU: hex.EncodeToString(sum[:]), Score: float64(len(data))}}}, nil
}

func (echoSearcher) Similar(_ context.Context, req wire.SearchImage) (wire.SearchResults, error) {
	return wire.SearchResults{Results: []wire.SearchResult{{SKU: "like-" + req.SKU}}}, nil
}

func (c *client) sendChunk(stream, index uint32, payload []byte) {
	c.t.Helper()
	c.sendRaw(websocket.BinaryMessage, wire.AppendFrame(nil, wire.FrameHeader{Kind: wire.FrameUploadChunk, Stream: stream, Index: index}, payload))
}

func TestSearchImageUpload(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Search = echoSearcher{} })
	c := f.greeted(t)
	img := modelBytes(42, 2*wire.ChunkSize+100)
	sum := sha256.Sum256(img)
	c.send(wire.TypeSearchImage, "q1", wire.SearchImage{Stream: 7, SizeBytes: int64(len(img)), K: 3})
	for i := 0; i*wire.ChunkSize < len(img); i++ {
		c.sendChunk(7, uint32(i), img[i*wire.ChunkSize:min(len(img), (i+1)*wire.ChunkSize)])
	}
	var res wire.SearchResults
	c.expect(wire.TypeSearchResults, "q1", &res)
	if len(res.Results) != 1 || res.Results[0].SKU != hex.EncodeToString(sum[:]) || res.Stream != 7 {
		t.Fatalf("results %+v; want the reassembled image's digest", res)
	}

	c.send(wire.TypeSearchImage, "s1", wire.SearchImage{SKU: "chair-1"})
	c.expect(wire.TypeSearchResults, "s1", &res)
	if res.Results[0].SKU != "like-chair-1" {
		t.Fatalf("find similar: %+v", res)
	}

	// Broken uploads get an error echoing the search's id; the session lives on.
	c.send(wire.TypeSearchImage, "q2", wire.SearchImage{Stream: 8, SizeBytes: 10})
	c.sendChunk(8, 1, []byte("0123456789"))
	c.expectError("q2", wire.CodeBadRequest)
	c.send(wire.TypeSearchImage, "q3", wire.SearchImage{Stream: 9, SizeBytes: 4})
	c.sendChunk(9, 0, []byte("toolong"))
	c.expectError("q3", wire.CodeTooLarge)
	c.send(wire.TypeSearchImage, "q4", wire.SearchImage{Stream: 10, SizeBytes: 3})
	c.sendChunk(10, 0, []byte("bad"))
	c.expectError("q4", wire.CodeInvalidImage)
	c.sendChunk(11, 0, []byte("x"))
	c.expectError("", wire.CodeBadRequest)
	for _, tt := range []struct {
		id   string
		req  wire.SearchImage
		code wire.Code
	}{
		{"none", wire.SearchImage{}, wire.CodeBadRequest},
		{"both", wire.SearchImage{SKU: "chair-1", SizeBytes: 3, Stream: 1}, wire.CodeBadRequest},
		{"big", wire.SearchImage{Stream: 1, SizeBytes: wire.MaxSearchImageBytes + 1}, wire.CodeTooLarge},
		{"nostream", wire.SearchImage{SizeBytes: 10}, wire.CodeBadRequest},
	} {
		c.send(wire.TypeSearchImage, tt.id, tt.req)
		c.expectError(tt.id, tt.code)
	}
	c.send(wire.TypeSearchImage, "o1", wire.SearchImage{Stream: 20, SizeBytes: 5})
	c.send(wire.TypeSearchImage, "o2", wire.SearchImage{Stream: 20, SizeBytes: 5})
	c.expectError("o2", wire.CodeBadRequest)
	var page wire.CatalogListReply
	c.send(wire.TypeCatalogList, "alive", wire.CatalogList{})
	c.expect(wire.TypeCatalogList, "alive", &page)
}

func TestSearchUnavailable(t *testing.T) {
	c := newFixture(t).greeted(t)
	c.send(wire.TypeSearchImage, "q", wire.SearchImage{Stream: 1, SizeBytes: 3})
	c.expectError("q", wire.CodeUnavailable)
}
