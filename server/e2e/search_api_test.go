package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/vitrine-shop/vitrine/wire"
)

// searchQueries are photos of the seeded products that differ from their
// catalog photos and views (viewpoint, background, light, crop, JPEG
// quality), from the committed evaluation set; each must find its product
// first.
var searchQueries = map[string][]string{
	"chair-oak":        {"q00", "q01", "q02"},
	"mug-sage":         {"q00", "q01", "q02", "q03"},
	"glasses-tortoise": {"q00", "q01", "q02", "q03"},
	"sofa-harbour":     {"q00", "q01"},
	"lamp-arc-brass":   {"q00"},
}

func queryImage(t *testing.T, sku, q string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "vsearch", "testdata", "eval", "queries", sku, q+".jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSearchImageHTTP: POST /api/v1/search/image as ARCHITECTURE.md defines it.
func TestSearchImageHTTP(t *testing.T) {
	env := Server(t)
	for sku, qs := range searchQueries {
		for _, q := range qs {
			res, err := http.Post(env.URL("/api/v1/search/image?k=5"), "image/jpeg", bytes.NewReader(queryImage(t, sku, q)))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var out wire.SearchResults
			if err := json.Unmarshal(body, &out); res.StatusCode != 200 || err != nil {
				t.Fatalf("%s/%s: %d %s", sku, q, res.StatusCode, body)
			}
			if len(out.Results) == 0 || out.Results[0].SKU != sku {
				t.Errorf("%s/%s: first result %+v; want %s", sku, q, out.Results, sku)
				continue
			}
			if r := out.Results[0]; r.Name == "" || r.PosterURL == "" || r.Price <= 0 || r.Currency == "" {
				t.Errorf("%s/%s: result lacks catalog details: %+v", sku, q, r)
			}
			if out.Hint != "" {
				t.Errorf("%s/%s: hint %q for a photo of a product", sku, q, out.Hint)
			}
		}
	}
	// A photo with no product in it still answers, and says so.
	blank, err := os.ReadFile(blankPhoto(t))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(env.URL("/api/v1/search/image?k=5"), "image/jpeg", bytes.NewReader(blank))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var out wire.SearchResults
	if err := json.Unmarshal(body, &out); res.StatusCode != 200 || err != nil || len(out.Results) == 0 || out.Hint != wire.HintNoProduct {
		t.Errorf("blank photo: %d %s; want results with hint %q", res.StatusCode, body, wire.HintNoProduct)
	}
	// Bad input: a clear error, nothing else.
	for name, tt := range map[string]struct {
		body   []byte
		ctype  string
		status int
	}{
		"not an image":   {[]byte("hello"), "image/jpeg", 422},
		"lying type":     {[]byte("GIF89a......"), "image/png", 422},
		"truncated jpeg": {queryImage(t, "mug-sage", "q00")[:200], "image/jpeg", 422},
		"empty":          {nil, "image/jpeg", 400},
		"oversize":       {make([]byte, wire.MaxSearchImageBytes+1), "image/jpeg", 413},
	} {
		res, err := http.Post(env.URL("/api/v1/search/image"), tt.ctype, bytes.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var e struct{ Error wire.Error }
		if res.StatusCode != tt.status || json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
			t.Errorf("%s: %d %s; want %d with a JSON error", name, res.StatusCode, body, tt.status)
		}
	}
}

// TestSearchImageWebSocket: search.image with the photo in upload frames,
// and "find similar" by SKU, over a real WebSocket.
func TestSearchImageWebSocket(t *testing.T) {
	env := Server(t)
	c := env.DialWS(t)
	img := queryImage(t, "glasses-tortoise", "q01")
	c.seq++
	id := fmt.Sprintf("search-%d", c.seq)
	frame, _ := wire.Encode(wire.TypeSearchImage, id, wire.SearchImage{Stream: 3, SizeBytes: int64(len(img)), K: 5})
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatal(err)
	}
	for i := 0; i*wire.ChunkSize < len(img); i++ {
		chunk := img[i*wire.ChunkSize : min(len(img), (i+1)*wire.ChunkSize)]
		if err := c.conn.WriteMessage(websocket.BinaryMessage, wire.AppendFrame(nil, wire.FrameHeader{Kind: wire.FrameUploadChunk, Stream: 3, Index: uint32(i)}, chunk)); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	reply, werr := wire.DecodeEnvelope(data)
	var res wire.SearchResults
	if werr != nil || reply.Type != wire.TypeSearchResults || reply.ID != id || json.Unmarshal(reply.Body, &res) != nil {
		t.Fatalf("reply %s %s", reply.Type, reply.Body)
	}
	if len(res.Results) == 0 || res.Results[0].SKU != "glasses-tortoise" || res.Results[0].Why == "" {
		t.Fatalf("results %+v; want the glasses first, with why", res.Results)
	}
	var similar wire.SearchResults
	if err := c.Call(wire.TypeSearchImage, wire.SearchImage{SKU: "chair-oak", K: 4}, &similar); err != nil {
		t.Fatal(err)
	}
	if len(similar.Results) != 4 {
		t.Fatalf("find similar gave %d results; want 4", len(similar.Results))
	}
	for _, r := range similar.Results {
		if r.SKU == "chair-oak" {
			t.Fatal("find similar returned the product itself")
		}
	}
	// A bad image: an error echoing the search, and the session lives on.
	frame, _ = wire.Encode(wire.TypeSearchImage, "bad-image", wire.SearchImage{Stream: 4, SizeBytes: 5})
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatal(err)
	}
	if err := c.conn.WriteMessage(websocket.BinaryMessage, wire.AppendFrame(nil, wire.FrameHeader{Kind: wire.FrameUploadChunk, Stream: 4}, []byte("hello"))); err != nil {
		t.Fatal(err)
	}
	_, data, err = c.conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	reply, _ = wire.DecodeEnvelope(data)
	var bad wire.Error
	if reply.Type != wire.TypeError || reply.ID != "bad-image" || json.Unmarshal(reply.Body, &bad) != nil || bad.Code != wire.CodeInvalidImage {
		t.Fatalf("bad image answered %s %s", reply.Type, reply.Body)
	}
	if len(c.Catalog()) == 0 {
		t.Fatal("the session did not survive")
	}
}
