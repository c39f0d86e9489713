package ws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/recs"
	"github.com/vitrine-shop/vitrine/server/signals"
	"github.com/vitrine-shop/vitrine/wire"
)

// withSignals gives the hub a real durable log and recommender.
func withSignals(t testing.TB) func(*Config) {
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log, err := signals.Open(context.Background(), signals.Options{Dir: t.TempDir(), Store: store, EraseDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	engine := recs.New(recs.Options{})
	engine.SetCatalog([]recs.Item{
		{SKU: "chair-1", Name: "Oak Chair", Category: "chairs", Merchant: "m1"},
		{SKU: "lamp-1", Name: "Desk Lamp", Category: "lighting", Merchant: "m1"},
		{SKU: "big-1", Name: "Big Wardrobe", Category: "storage", Merchant: "m1"},
	})
	return func(c *Config) { c.Signals, c.Recs = log, engine }
}

func TestSignalsRecsAndPrivacy(t *testing.T) {
	f := newFixture(t, withSignals(t))
	c := f.dial(t)
	c.hello(wire.Hello{Version: wire.Version, Consent: wire.ConsentPersonalisation})
	now := time.Now().UnixMilli()
	batch := wire.Signal{Events: []wire.Event{
		{ID: "e1", Type: wire.EventProductView, SKU: "chair-1", T: now},
		{ID: "e2", Type: wire.EventProductView, SKU: "lamp-1", T: now + 1},
		{ID: "e3", Type: wire.EventDwell, SKU: "lamp-1", T: now + 2, DwellMS: 4000},
	}}
	var ack wire.SignalAck
	c.send(wire.TypeSignal, "s1", batch)
	c.expect(wire.TypeSignalAck, "s1", &ack)
	if strings.Join(ack.IDs, ",") != "e1,e2,e3" {
		t.Fatalf("ack %v", ack.IDs)
	}
	// A retry is acknowledged again and stored once.
	c.send(wire.TypeSignal, "s2", batch)
	c.expect(wire.TypeSignalAck, "s2", &ack)

	var export wire.PrivacyExportReply
	c.send(wire.TypePrivacyExport, "x1", nil)
	c.expect(wire.TypePrivacyExport, "x1", &export)
	if len(export.Events) != 3 || len(export.Held) == 0 {
		t.Fatalf("export after a retried batch: %d events, held %v", len(export.Events), export.Held)
	}

	// Viewing the chair then the lamp: the chair's recommendations now
	// carry the lamp, with a reason.
	var res wire.RecsResults
	c.send(wire.TypeRecsGet, "r1", wire.RecsGet{SKU: "chair-1", Slot: wire.RecsSlotProduct, Count: 5})
	c.expect(wire.TypeRecsResults, "r1", &res)
	found := false
	for _, it := range res.Items {
		if it.Reason == "" || it.Kind == "" {
			t.Errorf("item without reason: %+v", it)
		}
		found = found || it.SKU == "lamp-1"
	}
	if !found {
		t.Fatalf("recs for chair-1 after viewing chair then lamp: %+v", res.Items)
	}

	for _, tt := range []struct{ frame, id string }{
		{`{"type":"signal","id":"bad1","body":{"events":[{"id":"x","type":"teleport","t":1}]}}`, "bad1"},
		{`{"type":"recs.get","id":"bad2","body":{"slot":"nowhere"}}`, "bad2"},
		{`{"type":"consent.update","id":"bad3","body":{"consent":"analytics","user_id":"u1"}}`, "bad3"},
	} {
		c.sendRaw(1, []byte(tt.frame))
		c.expectError(tt.id, wire.CodeBadRequest)
	}

	var erased wire.PrivacyEraseReply
	c.send(wire.TypePrivacyErase, "e", nil)
	c.expect(wire.TypePrivacyErase, "e", &erased)
	if erased.Erased != 3 || erased.CompleteByMS < now {
		t.Fatalf("erase %+v", erased)
	}
	c.send(wire.TypePrivacyExport, "x2", nil)
	c.expect(wire.TypePrivacyExport, "x2", &export)
	if len(export.Events) != 0 {
		t.Fatalf("export after erase holds %d events", len(export.Events))
	}

	// At consent none nothing identifying is stored.
	var cu wire.ConsentUpdateReply
	c.send(wire.TypeConsentUpdate, "c", wire.ConsentUpdate{Consent: wire.ConsentNone})
	c.expect(wire.TypeConsentUpdate, "c", &cu)
	c.send(wire.TypeSignal, "s3", wire.Signal{Events: []wire.Event{{ID: "e9", Type: wire.EventProductView, SKU: "big-1", T: now + 5}}})
	c.expect(wire.TypeSignalAck, "s3", &ack)
	c.send(wire.TypePrivacyExport, "x3", nil)
	c.expect(wire.TypePrivacyExport, "x3", &export)
	if cu.Consent != wire.ConsentNone || len(export.Events) != 0 || export.Consent != wire.ConsentNone {
		t.Fatalf("consent none: reply %+v, export %d events", cu, len(export.Events))
	}
}

func TestSignalsUnavailableWithoutLog(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	c.send(wire.TypeSignal, "s", wire.Signal{Events: []wire.Event{{ID: "e1", Type: wire.EventProductView, SKU: "chair-1", T: time.Now().UnixMilli()}}})
	c.expectError("s", wire.CodeUnavailable)
	c.send(wire.TypeRecsGet, "r", wire.RecsGet{Slot: wire.RecsSlotHome})
	c.expectError("r", wire.CodeUnavailable)
}

// TestSessionRotation: a resumed session older than RotateAfter gets a new
// id, and its earlier events stay reachable through export and erase.
func TestSessionRotation(t *testing.T) {
	var clock *fakeClock
	f := newFixture(t, withSignals(t), withClock(&clock), func(c *Config) {
		c.SessionKey = []byte("rotation test key, 32 bytes long")
		c.RotateAfter = time.Hour
	})
	c := f.dial(t)
	first := c.hello(wire.Hello{Version: wire.Version, Consent: wire.ConsentAnalytics})
	var ack wire.SignalAck
	c.send(wire.TypeSignal, "s1", wire.Signal{Events: []wire.Event{{ID: "old-1", Type: wire.EventProductView, SKU: "chair-1", T: clock.Now().UnixMilli()}}})
	c.expect(wire.TypeSignalAck, "s1", &ack)

	clock.Advance(30 * time.Minute)
	if again := f.dial(t).hello(wire.Hello{Version: wire.Version, Session: first.Session}); again.Session != first.Session || !again.Resumed {
		t.Fatalf("a young session was rotated: %+v", again)
	}
	clock.Advance(2 * time.Hour)
	c2 := f.dial(t)
	rotated := c2.hello(wire.Hello{Version: wire.Version, Session: first.Session})
	if rotated.Session == first.Session || !rotated.Resumed || rotated.Consent != wire.ConsentAnalytics {
		t.Fatalf("old session not rotated: %+v", rotated)
	}
	var export wire.PrivacyExportReply
	c2.send(wire.TypePrivacyExport, "x", nil)
	c2.expect(wire.TypePrivacyExport, "x", &export)
	if len(export.Events) != 1 || export.Events[0].ID != "old-1" {
		t.Fatalf("export under the rotated id: %+v", export.Events)
	}
	var erased wire.PrivacyEraseReply
	c2.send(wire.TypePrivacyErase, "e", nil)
	c2.expect(wire.TypePrivacyErase, "e", &erased)
	if erased.Erased != 1 {
		t.Fatalf("erase under the rotated id removed %d events", erased.Erased)
	}
}
