package ws

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

func TestModelOpenStreamsTheWholeModel(t *testing.T) {
	for _, seekable := range []bool{true, false} {
		f := newFixture(t)
		f.blobs.set(func(b *memBlobs) { b.notSeekable = !seekable })
		c := f.greeted(t)
		s := c.openModel("m1", wire.ModelOpen{SKU: "chair-1"})

		want := wire.ModelMeta{
			Stream: s.meta.Stream, SKU: "chair-1", Version: 3, Format: wire.FormatGLB,
			SizeBytes: int64(len(chairModel)), ChunkSize: wire.ChunkSize, Chunks: 4, FromChunk: 0,
			SHA256: hexSHA256(chairModel), DimensionsM: wire.Dimensions{W: 0.5, H: 0.9, D: 0.5},
			BoundsMin: [3]float64{-0.25, 0, -0.25}, BoundsMax: [3]float64{0.25, 0.9, 0.25},
			LODs: []wire.LODInfo{{Level: 0, SizeBytes: int64(len(chairModel))}},
		}
		if !reflect.DeepEqual(s.meta, want) {
			t.Errorf("meta %+v\nwant %+v", s.meta, want)
		}
		if s.meta.Stream == 0 {
			t.Error("stream id 0")
		}
		if s.err != nil {
			t.Fatalf("stream failed: %v", s.err)
		}
		if !slices.Equal(s.order, []uint32{0, 1, 2, 3}) {
			t.Errorf("chunk order %v, want 0..3", s.order)
		}
		for i, chunk := range s.chunks {
			if wantLen := min(wire.ChunkSize, len(chairModel)-int(i)*wire.ChunkSize); len(chunk) != wantLen {
				t.Errorf("chunk %d is %d bytes, want %d", i, len(chunk), wantLen)
			}
		}
		got := s.bytesFrom()
		sum := sha256.Sum256(got)
		if hex.EncodeToString(sum[:]) != s.meta.SHA256 {
			t.Errorf("reassembled model (%d bytes) does not match the announced sha256", len(got))
		}
		if *s.done != (wire.ModelDone{Stream: s.meta.Stream, SKU: "chair-1", Version: 3, Sent: 4, SizeBytes: int64(len(chairModel))}) {
			t.Errorf("done %+v", *s.done)
		}

		// Stream ids grow per session.
		again := c.openModel("m2", wire.ModelOpen{SKU: "lamp-1"})
		if again.meta.Stream == s.meta.Stream || again.meta.Stream == 0 {
			t.Errorf("second stream id %d after %d", again.meta.Stream, s.meta.Stream)
		}
		if !bytes.Equal(again.bytesFrom(), lampModel) || again.done.Sent != 2 {
			t.Errorf("lamp model: %d bytes in %d chunks", len(again.bytesFrom()), again.done.Sent)
		}
	}
}

func TestModelOpenResumes(t *testing.T) {
	tests := []struct {
		name      string
		open      wire.ModelOpen
		seekable  bool
		wantFrom  int
		wantOrder []uint32
	}{
		{"from chunk 2, seekable blob", wire.ModelOpen{SKU: "chair-1", FromChunk: 2}, true, 2, []uint32{2, 3}},
		{"from chunk 2, sequential blob", wire.ModelOpen{SKU: "chair-1", FromChunk: 2}, false, 2, []uint32{2, 3}},
		{"last chunk only", wire.ModelOpen{SKU: "chair-1", FromChunk: 3, Version: 3}, true, 3, []uint32{3}},
		{"pinned current version resumes", wire.ModelOpen{SKU: "chair-1", FromChunk: 1, Version: 3}, false, 1, []uint32{1, 2, 3}},
		{"older version restarts from 0", wire.ModelOpen{SKU: "chair-1", FromChunk: 2, Version: 2}, true, 0, []uint32{0, 1, 2, 3}},
		{"older version ignores an out-of-range chunk", wire.ModelOpen{SKU: "chair-1", FromChunk: 99, Version: 1}, true, 0, []uint32{0, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.blobs.set(func(b *memBlobs) { b.notSeekable = !tt.seekable })
			c := f.greeted(t)
			s := c.openModel("r", tt.open)
			if s.meta.FromChunk != tt.wantFrom || s.meta.Version != 3 {
				t.Errorf("meta from %d version %d, want %d 3", s.meta.FromChunk, s.meta.Version, tt.wantFrom)
			}
			if !slices.Equal(s.order, tt.wantOrder) {
				t.Errorf("chunks %v, want %v", s.order, tt.wantOrder)
			}
			if tail := chairModel[tt.wantFrom*wire.ChunkSize:]; !bytes.Equal(s.bytesFrom(), tail) {
				t.Errorf("received %d bytes that are not the model's tail of %d bytes", len(s.bytesFrom()), len(tail))
			}
			if s.done == nil || s.done.Sent != len(tt.wantOrder) {
				t.Errorf("done %+v, want sent %d", s.done, len(tt.wantOrder))
			}
		})
	}
}

func TestModelOpenErrors(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	tests := []struct {
		name string
		body string
		want wire.Code
	}{
		{"unknown product", `{"sku":"ghost-1"}`, wire.CodeNotFound},
		{"product without a model", `{"sku":"sofa-1"}`, wire.CodeNotReady},
		{"model missing from storage", `{"sku":"table-1"}`, wire.CodeNotFound},
		{"from_chunk equal to the chunk count", `{"sku":"chair-1","from_chunk":4}`, wire.CodeBadRequest},
		{"from_chunk past the end", `{"sku":"chair-1","from_chunk":400,"version":3}`, wire.CodeBadRequest},
		{"negative from_chunk", `{"sku":"chair-1","from_chunk":-1}`, wire.CodeBadRequest},
		{"malformed sku", `{"sku":"a b"}`, wire.CodeBadRequest},
		{"no sku", `{}`, wire.CodeBadRequest},
		{"from_chunk of the wrong type", `{"sku":"chair-1","from_chunk":"2"}`, wire.CodeBadJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(websocket.TextMessage, []byte(`{"type":"model.open","id":"o","body":`+tt.body+`}`))
			c.expectError("o", tt.want)
		})
	}
	// The failures did not hold stream slots.
	c.t = t
	for i := range wire.MaxOpenStreams + 1 {
		s := c.openModel("ok", wire.ModelOpen{SKU: "lamp-1"})
		if s.done == nil {
			t.Fatalf("stream %d did not finish: %+v", i, s.err)
		}
	}
}

func TestModelStreamFailsMidway(t *testing.T) {
	f := newFixture(t)
	f.blobs.set(func(b *memBlobs) { b.failAfter = wire.ChunkSize + wire.ChunkSize/2 })
	c := f.greeted(t)
	s := c.openModel("mid", wire.ModelOpen{SKU: "chair-1"})
	if s.done != nil {
		t.Fatalf("got model.done %+v after a read failure", s.done)
	}
	if s.err == nil || s.err.Code != wire.CodeInternal {
		t.Fatalf("stream ended with %+v, want an internal error", s.err)
	}
	if !slices.Equal(s.order, []uint32{0}) {
		t.Errorf("chunks before the failure %v, want [0]", s.order)
	}
	c.send(wire.TypeCatalogGet, "still", wire.CatalogGet{SKU: "chair-1"})
	c.expect(wire.TypeCatalogGet, "still", nil)
}

func TestTooManyStreamsAndCancel(t *testing.T) {
	f := newFixture(t)
	gate := make(chan struct{}) // reads block: streams stay open
	f.blobs.set(func(b *memBlobs) { b.gate = gate })
	c := f.greeted(t)
	var streams []uint32
	for range wire.MaxOpenStreams {
		c.send(wire.TypeModelOpen, "open", wire.ModelOpen{SKU: "lamp-1"})
		var meta wire.ModelMeta
		c.expect(wire.TypeModelMeta, "open", &meta)
		streams = append(streams, meta.Stream)
	}
	c.send(wire.TypeModelOpen, "one-more", wire.ModelOpen{SKU: "lamp-1"})
	c.expectError("one-more", wire.CodeTooManyStreams)

	tests := []struct {
		name     string
		body     string
		wantCode wire.Code
	}{
		{"cancel a running stream", `{"stream":` + itoa(streams[1]) + `}`, ""},
		{"cancel it again", `{"stream":` + itoa(streams[1]) + `}`, wire.CodeNotFound},
		{"cancel an unknown stream", `{"stream":999}`, wire.CodeNotFound},
		{"cancel stream 0", `{"stream":0}`, wire.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(websocket.TextMessage, []byte(`{"type":"model.cancel","id":"x","body":`+tt.body+`}`))
			if tt.wantCode != "" {
				c.expectError("x", tt.wantCode)
				return
			}
			var ack wire.ModelCancel
			c.expect(wire.TypeModelCancel, "x", &ack)
			if ack.Stream != streams[1] {
				t.Errorf("cancel acknowledged stream %d, want %d", ack.Stream, streams[1])
			}
		})
	}
	c.t = t

	// The cancelled stream's slot is free again.
	c.send(wire.TypeModelOpen, "fifth", wire.ModelOpen{SKU: "lamp-1"})
	var meta wire.ModelMeta
	c.expect(wire.TypeModelMeta, "fifth", &meta)
	if slices.Contains(streams, meta.Stream) {
		t.Errorf("stream id %d reused while %v ran", meta.Stream, streams)
	}
	streams = append(streams, meta.Stream)

	// Release the reads: every stream but the cancelled one completes.
	close(gate)
	done := map[uint32]int{}
	for len(done) < wire.MaxOpenStreams {
		msgType, data := c.next()
		if msgType == websocket.BinaryMessage {
			h, _, _ := wire.DecodeFrame(data)
			if h.Stream == streams[1] {
				t.Fatalf("chunk %d of cancelled stream %d", h.Index, h.Stream)
			}
			continue
		}
		var env wire.Envelope
		var body wire.ModelDone
		if err := json.Unmarshal(data, &env); err != nil || env.Type != wire.TypeModelDone || json.Unmarshal(env.Body, &body) != nil {
			t.Fatalf("unexpected message %s", data)
		}
		done[body.Stream] = body.Sent
	}
	for _, id := range slices.Delete(slices.Clone(streams), 1, 2) {
		if done[id] != 2 {
			t.Errorf("stream %d sent %d chunks, want 2", id, done[id])
		}
	}
}

func TestCancelStopsABlockedStream(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	// Not reading: the big model fills the send queue and the socket, so
	// the stream goroutine blocks on the queue when the cancel arrives.
	c.send(wire.TypeModelOpen, "big", wire.ModelOpen{SKU: "big-1"})
	c.send(wire.TypeModelCancel, "stop", wire.ModelCancel{Stream: 1})
	c.send(wire.TypeCatalogGet, "fence", wire.CatalogGet{SKU: "big-1"})

	c.expect(wire.TypeModelMeta, "big", nil)
	chunks := 0
	for {
		msgType, data := c.next()
		if msgType == websocket.BinaryMessage {
			chunks++
			continue
		}
		var env wire.Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatal(err)
		}
		if env.Type == wire.TypeModelDone {
			t.Skip("the stream finished before the cancel arrived; nothing to check")
		}
		if env.Type != wire.TypeModelCancel || env.ID != "stop" {
			t.Fatalf("got %s %q, want the model.cancel acknowledgement", env.Type, env.ID)
		}
		break
	}
	if chunks >= 40 {
		t.Fatalf("all %d chunks arrived before the cancel acknowledgement", chunks)
	}
	// Nothing of the stream follows the acknowledgement.
	c.expect(wire.TypeCatalogGet, "fence", nil)
}

func TestModelStreamVersionChange(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	first := c.openModel("v3", wire.ModelOpen{SKU: "chair-1"})
	// The merchant uploads a new model: version 4.
	newModel := modelBytes(44, wire.ChunkSize+10)
	f.catalog.put(product(f.blobs, "chair-1", "Oak Chair", "chairs", 4, newModel))
	// The client resumes version 3 from chunk 2 and gets version 4 whole.
	s := c.openModel("v4", wire.ModelOpen{SKU: "chair-1", Version: first.meta.Version, FromChunk: 2})
	if s.meta.Version != 4 || s.meta.FromChunk != 0 || s.meta.Chunks != 2 || s.meta.SHA256 != hexSHA256(newModel) {
		t.Errorf("meta %+v, want version 4 from chunk 0 of 2", s.meta)
	}
	if !bytes.Equal(s.bytesFrom(), newModel) {
		t.Error("the new version's bytes differ")
	}
}

func itoa(v uint32) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestModelOpenLevelsOfDetail: model.meta lists every level, finest first,
// and "lod" picks which one streams.
func TestModelOpenLevelsOfDetail(t *testing.T) {
	f := newFixture(t)
	coarse := modelBytes(9, wire.ChunkSize/3)
	f.blobs.put("models/chair-1/lod1.glb", coarse)
	p, err := f.catalog.Get(t.Context(), "chair-1")
	if err != nil {
		t.Fatal(err)
	}
	p.Model.Triangles = 5000
	p.Model.LODs = []catalog.LOD{{Level: 1, Key: "models/chair-1/lod1.glb", SizeBytes: int64(len(coarse)), SHA256: hexSHA256(coarse), Triangles: 300}}
	f.catalog.put(p)

	c := f.greeted(t)
	s := c.openModel("c1", wire.ModelOpen{SKU: "chair-1", LOD: 1})
	wantLODs := []wire.LODInfo{{Level: 0, Triangles: 5000, SizeBytes: int64(len(chairModel))}, {Level: 1, Triangles: 300, SizeBytes: int64(len(coarse))}}
	if s.meta.LOD != 1 || !reflect.DeepEqual(s.meta.LODs, wantLODs) || s.meta.Chunks != 1 || s.meta.SHA256 != hexSHA256(coarse) {
		t.Fatalf("meta %+v", s.meta)
	}
	if !bytes.Equal(s.bytesFrom(), coarse) || s.done.LOD != 1 {
		t.Fatalf("coarse level: %d bytes, done %+v", len(s.bytesFrom()), s.done)
	}
	if fine := c.openModel("c2", wire.ModelOpen{SKU: "chair-1"}); !bytes.Equal(fine.bytesFrom(), chairModel) || fine.meta.LOD != 0 {
		t.Fatalf("level 0: %d bytes, lod %d", len(fine.bytesFrom()), fine.meta.LOD)
	}
	for _, lod := range []int{-1, 2} {
		c.send(wire.TypeModelOpen, "bad", wire.ModelOpen{SKU: "chair-1", LOD: lod})
		c.expectError("bad", wire.CodeBadRequest)
	}
}
