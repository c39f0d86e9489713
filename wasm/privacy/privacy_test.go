package privacy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

func TestStored(t *testing.T) {
	for _, tc := range []struct {
		value  string
		want   string
		chosen bool
	}{
		{"", wire.ConsentNone, false},
		{"none", wire.ConsentNone, true},
		{"analytics", wire.ConsentAnalytics, true},
		{"personalisation", wire.ConsentPersonalisation, true},
		{"everything", wire.ConsentNone, false},
		{"Personalisation", wire.ConsentNone, false},
	} {
		got, chosen := Stored(tc.value)
		if got != tc.want || chosen != tc.chosen {
			t.Errorf("Stored(%q) = %q, %v; want %q, %v", tc.value, got, chosen, tc.want, tc.chosen)
		}
	}
}

func TestChoicesCoverEveryLevel(t *testing.T) {
	for _, level := range []string{wire.ConsentNone, wire.ConsentAnalytics, wire.ConsentPersonalisation} {
		if c := Lookup(level); c.Consent != level || c.Label == "" || c.Description == "" {
			t.Errorf("Lookup(%q) = %+v", level, c)
		}
	}
	if Lookup("bogus").Consent != wire.ConsentNone {
		t.Error("an unknown level does not read as none")
	}
	if !strings.Contains(Lookup(wire.ConsentNone).Description, "still sent") {
		t.Error("the none choice does not say events are still sent")
	}
}

func TestRows(t *testing.T) {
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixMilli()
	ev := func(dt int64, e wire.Event) wire.ExportedEvent {
		e.T = base + dt
		return wire.ExportedEvent{Event: e, Consent: wire.ConsentPersonalisation}
	}
	events := []wire.ExportedEvent{
		ev(0, wire.Event{ID: "1", Type: wire.EventProductView, SKU: "chair"}),
		ev(1500, wire.Event{ID: "2", Type: wire.EventModelLoaded, SKU: "chair", LoadMS: 850}),
		ev(64_000, wire.Event{ID: "3", Type: wire.EventDwell, SKU: "chair", DwellMS: 63_200}),
		ev(65_000, wire.Event{ID: "4", Type: wire.EventRecsClick, SKU: "lamp", Slot: wire.RecsSlotProduct, Rank: 2}),
		ev(66_000, wire.Event{ID: "5", Type: wire.EventSearchImage}),
		ev(65_000, wire.Event{ID: "6", Type: wire.EventRecsClick, SKU: "sofa", Slot: wire.RecsSlotHome, Rank: 0}),
	}
	names := map[string]string{"chair": "Fjord Oak Dining Chair"}
	rows := Rows(events, func(sku string) string { return names[sku] }, time.UTC)
	want := []Row{
		{Time: "1 May 2024, 10:01:06", Type: wire.EventSearchImage, Event: "Searched by photo"},
		{Time: "1 May 2024, 10:01:05", Type: wire.EventRecsClick, Event: "Opened a recommendation", SKU: "lamp", Product: "lamp", Details: "position 3 in “You may also like”"},
		{Time: "1 May 2024, 10:01:05", Type: wire.EventRecsClick, Event: "Opened a recommendation", SKU: "sofa", Product: "sofa", Details: "position 1 on the front page"},
		{Time: "1 May 2024, 10:01:04", Type: wire.EventDwell, Event: "Time on product page", SKU: "chair", Product: "Fjord Oak Dining Chair", Details: "1 min 3 s on the page"},
		{Time: "1 May 2024, 10:00:01", Type: wire.EventModelLoaded, Event: "3D model loaded", SKU: "chair", Product: "Fjord Oak Dining Chair", Details: "loaded in 850 ms"},
		{Time: "1 May 2024, 10:00:00", Type: wire.EventProductView, Event: "Viewed product", SKU: "chair", Product: "Fjord Oak Dining Chair"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		rows[i].ISO = ""
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v\nwant     %+v", i, rows[i], want[i])
		}
	}
}

func TestDuration(t *testing.T) {
	for ms, want := range map[int64]string{0: "0 ms", 850: "850 ms", 4200: "4.2 s", 185_000: "3 min 5 s", 7_260_000: "2 h 1 min"} {
		if got := Duration(ms); got != want {
			t.Errorf("Duration(%d) = %q, want %q", ms, got, want)
		}
	}
}

func TestExportJSON(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	data, err := ExportJSON(wire.PrivacyExportReply{Consent: wire.ConsentAnalytics, Held: []string{"x"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, data)
	}
	if back["exported_at"] != "2024-05-01T12:00:00Z" || back["consent"] != "analytics" {
		t.Errorf("export = %s", data)
	}
	if evs, ok := back["events"].([]any); !ok || len(evs) != 0 {
		t.Errorf("events = %v, want an empty list (not null)", back["events"])
	}
	if got := ExportFileName(now); got != "vitrine-my-data-2024-05-01.json" {
		t.Errorf("file name %q", got)
	}
}

func TestSummaries(t *testing.T) {
	by := time.Date(2024, 5, 1, 13, 5, 0, 0, time.UTC).UnixMilli()
	if got := EraseSummary(wire.PrivacyEraseReply{Erased: 7, CompleteByMS: by}, time.UTC); got != "Erased 7 events from the live shop. Every stored copy will be gone by 1 May 2024 at 13:05." {
		t.Errorf("EraseSummary = %q", got)
	}
	if got := EraseSummary(wire.PrivacyEraseReply{Erased: 1, CompleteByMS: by}, time.UTC); !strings.HasPrefix(got, "Erased 1 event ") {
		t.Errorf("EraseSummary(1) = %q", got)
	}
	for _, tc := range []struct {
		n         int
		truncated bool
		want      string
	}{{0, false, "0 events stored about you"}, {1, false, "1 event stored about you"}, {5, true, "The newest 5 events stored about you"}} {
		if got := EventCount(tc.n, tc.truncated); got != tc.want {
			t.Errorf("EventCount(%d, %v) = %q, want %q", tc.n, tc.truncated, got, tc.want)
		}
	}
	if !strings.Contains(Empty(wire.ConsentNone), "anonymous") || Empty(wire.ConsentAnalytics) == Empty(wire.ConsentNone) {
		t.Error("Empty does not explain the none level")
	}
}
