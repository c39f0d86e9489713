package client

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// TestOpenStopAfterMetaThenResume stops a stream once its meta is read
// (as the viewer does to learn the levels of detail) and resumes it later:
// the model arrives whole and verified, and no chunk is fetched twice.
func TestOpenStopAfterMetaThenResume(t *testing.T) {
	model := bytes.Repeat([]byte("0123456789abcdef"), 200) // 3200 bytes, 32 chunks of 100
	srv := &fakeServer{t: t, model: model, version: 4, chunk: 100}
	c, ctx := start(t, srv)

	var seen wire.ModelMeta
	m, err := c.Open(ctx, ModelRequest{SKU: "chair", StopAfterMeta: func(meta wire.ModelMeta) bool {
		seen = meta
		return true
	}})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("Open with StopAfterMeta: %v, want ErrStopped", err)
	}
	if m.Partial == nil || m.Meta.SKU != "chair" || m.Meta.Version != 4 || seen.SizeBytes != int64(len(model)) {
		t.Fatalf("stopped Open returned %+v (partial %v)", m.Meta, m.Partial)
	}
	deadline := time.After(10 * time.Second)
	select {
	case <-m.Partial.drained:
	case <-deadline:
		t.Fatal("the stopped stream never drained (no model.cancel answer handled)")
	}

	full, err := c.Open(ctx, ModelRequest{SKU: "chair", Resume: m.Partial})
	if err != nil {
		t.Fatalf("resumed Open: %v", err)
	}
	if !bytes.Equal(full.Data, model) {
		t.Fatalf("resumed model differs: %d bytes", len(full.Data))
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.cancels) != 1 {
		t.Errorf("server saw %d model.cancel, want 1", len(srv.cancels))
	}
	// The second open (if the first stream had not finished while
	// draining) continues where the held chunks end.
	if len(srv.opens) == 2 && srv.opens[1].FromChunk == 0 && srv.opens[1].Version != 0 {
		t.Errorf("resume open %+v restarts from chunk 0 while pinning a version", srv.opens[1])
	}
	t.Logf("opens: %+v", srv.opens)
}
