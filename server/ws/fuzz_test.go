package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

// dispatchHarness is a session without a network: its send queue is
// drained by a goroutine, so streams it starts run to completion.
type dispatchHarness struct {
	sess    *session
	cancel  context.CancelFunc
	drained chan struct{}
}

func newDispatchHarness(t testing.TB) *dispatchHarness {
	t.Helper()
	blobs := newMemBlobs()
	cat := newMemCatalog(
		product(blobs, "lamp-1", "Desk Lamp", "lighting", 1, modelBytes(2, wire.ChunkSize+5)),
		product(blobs, "sofa-1", "Green Sofa", "sofas", 1, nil),
	)
	hub, err := NewHub(Config{Catalog: cat, Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	send := make(outbox, sendQueueFrames)
	h := &dispatchHarness{sess: newSession(hub, ctx, send, hub.log), cancel: cancel, drained: make(chan struct{})}
	go func() {
		defer close(h.drained)
		for {
			select {
			case <-send:
			case <-ctx.Done():
				return
			}
		}
	}()
	return h
}

// close ends the session and waits for its streams.
func (h *dispatchHarness) close() {
	h.cancel()
	h.sess.waitStreams()
	<-h.drained
}

// dispatch runs one frame through the session, checks that it produced
// exactly one well-formed reply, and starts the stream it opened.
func (h *dispatchHarness) dispatch(t *testing.T, frame []byte) wire.Envelope {
	t.Helper()
	r := h.sess.dispatch(h.sess.ctx, frame)
	var reply wire.Envelope
	dec := json.NewDecoder(bytes.NewReader(r.frame))
	if err := dec.Decode(&reply); err != nil {
		t.Fatalf("reply %q to %q is not an envelope: %v", r.frame, frame, err)
	}
	if dec.More() {
		t.Fatalf("reply %q to %q holds more than one message", r.frame, frame)
	}
	switch reply.Type {
	case wire.TypeHello, wire.TypeCatalogList, wire.TypeCatalogGet, wire.TypeModelMeta, wire.TypeModelCancel,
		wire.TypePlaceMeasure, wire.TypePlaceFit, wire.TypePlacePose, wire.TypePlaceTryOn:
	case wire.TypeError:
		var werr wire.Error
		if err := json.Unmarshal(reply.Body, &werr); err != nil || werr.Code == "" || werr.Message == "" {
			t.Fatalf("error reply %s to %q lacks a code or message (%v)", reply.Body, frame, err)
		}
	default:
		t.Fatalf("reply type %q to %q", reply.Type, frame)
	}
	if (r.stream != nil) != (reply.Type == wire.TypeModelMeta) {
		t.Fatalf("reply %s to %q: stream %v", reply.Type, frame, r.stream != nil)
	}
	if env, werr := wire.DecodeEnvelope(frame); werr == nil && reply.ID != env.ID {
		t.Fatalf("reply id %q, request id %q", reply.ID, env.ID)
	}
	if r.stream != nil {
		h.sess.startStream(r.stream)
	}
	return reply
}

func FuzzDispatch(f *testing.F) {
	seeds := []string{
		`{"type":"hello","id":"1","body":{"version":1,"consent":"analytics"}}`,
		`{"type":"hello","body":{"version":1,"session":"abc"}}`,
		`{"type":"catalog.list","id":"2","body":{"category":"lighting","query":"lamp","offset":0,"limit":5}}`,
		`{"type":"catalog.list","id":"2","body":{"limit":-1}}`,
		`{"type":"catalog.get","id":"3","body":{"sku":"sofa-1"}}`,
		`{"type":"model.open","id":"4","body":{"sku":"lamp-1","from_chunk":1,"version":1}}`,
		`{"type":"model.open","id":"4","body":{"sku":"lamp-1","version":7}}`,
		`{"type":"model.cancel","id":"5","body":{"stream":1}}`,
		`{"type":"nope"}`,
		`{"type":"catalog.get","body":null}`,
		`{"type":"catalog.get","body":[]}`,
		`[]`,
		`{`,
		"\xff",
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, frame []byte, greet bool) {
		h := newDispatchHarness(t)
		defer h.close()
		if greet {
			if reply := h.dispatch(t, []byte(`{"type":"hello","id":"g","body":{"version":1}}`)); reply.Type != wire.TypeHello {
				t.Fatalf("hello answered with %s", reply.Type)
			}
		}
		// Twice: the first call may change the session's state.
		h.dispatch(t, frame)
		h.dispatch(t, frame)
	})
}

func TestDispatchHarnessStreams(t *testing.T) {
	h := newDispatchHarness(t)
	defer h.close()
	h.dispatch(t, []byte(`{"type":"hello","body":{"version":1}}`))
	if reply := h.dispatch(t, []byte(`{"type":"model.open","id":"o","body":{"sku":"lamp-1"}}`)); reply.Type != wire.TypeModelMeta {
		t.Fatalf("model.open answered with %s", reply.Type)
	}
}
