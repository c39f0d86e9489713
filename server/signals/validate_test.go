package signals

import (
	"strings"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// The wire package takes one new file only, so the signal schema's
// validation is specified here, next to its main user.
func TestValidateSignalSchema(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := wire.Event{ID: "e1", Type: wire.EventProductView, SKU: "sku", T: now.UnixMilli()}
	with := func(f func(*wire.Event)) []wire.Event { e := ok; f(&e); return []wire.Event{e} }
	many := make([]wire.Event, wire.MaxEventsPerBatch+1)
	for i := range many {
		many[i] = ok
	}
	tests := []struct {
		name   string
		events []wire.Event
		code   wire.Code // "" = valid
	}{
		{"valid", []wire.Event{ok}, ""},
		{"search_image needs no sku", with(func(e *wire.Event) { e.Type, e.SKU = wire.EventSearchImage, "" }), ""},
		{"rank 0 click", with(func(e *wire.Event) { e.Type, e.Rank = wire.EventSearchClick, 0 }), ""},
		{"empty batch", nil, wire.CodeBadRequest},
		{"too many", many, wire.CodeTooLarge},
		{"no id", with(func(e *wire.Event) { e.ID = "" }), wire.CodeBadRequest},
		{"long id", with(func(e *wire.Event) { e.ID = strings.Repeat("x", wire.MaxEventIDBytes+1) }), wire.CodeTooLarge},
		{"control char id", with(func(e *wire.Event) { e.ID = "a\nb" }), wire.CodeBadRequest},
		{"unknown type", with(func(e *wire.Event) { e.Type = "hover" }), wire.CodeBadRequest},
		{"view without sku", with(func(e *wire.Event) { e.SKU = "" }), wire.CodeBadRequest},
		{"future beyond skew", with(func(e *wire.Event) { e.T = now.Add(wire.MaxClockSkew + time.Second).UnixMilli() }), wire.CodeBadRequest},
		{"future within skew", with(func(e *wire.Event) { e.T = now.Add(wire.MaxClockSkew - time.Second).UnixMilli() }), ""},
		{"too old", with(func(e *wire.Event) { e.T = now.Add(-wire.MaxEventAge - time.Second).UnixMilli() }), wire.CodeBadRequest},
		{"negative dwell", with(func(e *wire.Event) { e.DwellMS = -1 }), wire.CodeBadRequest},
		{"huge load", with(func(e *wire.Event) { e.LoadMS = wire.MaxDurationMS + 1 }), wire.CodeBadRequest},
		{"rank over limit", with(func(e *wire.Event) { e.Rank = wire.MaxRank + 1 }), wire.CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := wire.ValidateSignal(wire.Signal{Events: tc.events}, now)
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.code != "" && (err == nil || err.Code != tc.code):
				t.Fatalf("got %v; want code %s", err, tc.code)
			}
		})
	}
}

func TestValidateRecsAndConsent(t *testing.T) {
	r := wire.RecsGet{Slot: wire.RecsSlotHome}
	if err := wire.ValidateRecsGet(&r); err != nil || r.Count != wire.DefaultRecsCount {
		t.Fatalf("home without count: %v, count %d", err, r.Count)
	}
	for _, bad := range []wire.RecsGet{{Slot: "sidebar"}, {Slot: wire.RecsSlotProduct}, {Slot: wire.RecsSlotHome, Count: wire.MaxRecsCount + 1}} {
		if err := wire.ValidateRecsGet(&bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	for _, tc := range []struct {
		c  wire.ConsentUpdate
		ok bool
	}{
		{wire.ConsentUpdate{Consent: wire.ConsentNone}, true},
		{wire.ConsentUpdate{Consent: wire.ConsentPersonalisation, UserID: "u1"}, true},
		{wire.ConsentUpdate{Consent: wire.ConsentAnalytics, UserID: "u1"}, false},
		{wire.ConsentUpdate{Consent: "all"}, false},
	} {
		if err := wire.ValidateConsentUpdate(tc.c); (err == nil) != tc.ok {
			t.Errorf("%+v: error %v", tc.c, err)
		}
	}
}
