// Package privacy holds what the viewer shows and remembers about a
// shopper's consent and data: the consent choices of the first-visit
// banner and the "Your data" page, the stored choice's validation, the
// rows of the stored-events table, the export file and the erasure
// summary. It is pure Go and tested natively; the page glue lives in the
// viewer's js/wasm files.
package privacy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// StorageKey is the localStorage key holding the shopper's consent choice.
const StorageKey = "vitrine.consent.v1"

// Choice is one consent level as the shopper is offered it.
type Choice struct {
	Consent     string // a wire.Consent* level
	Label       string // the button or option text
	Description string // what choosing it means, in plain words
}

// Choices are the consent levels, least first.
var Choices = []Choice{
	{
		Consent: wire.ConsentNone,
		Label:   "Only necessary",
		Description: "The shop works fully. What you do is still sent to the server, " +
			"but it keeps only anonymous counts per product and hour: nothing that identifies you or this visit.",
	},
	{
		Consent: wire.ConsentAnalytics,
		Label:   "Analytics",
		Description: "What you view and do is kept under a pseudonym of this visit, " +
			"to improve the shop and everyone's recommendations. Your own recommendations do not use it.",
	},
	{
		Consent: wire.ConsentPersonalisation,
		Label:   "Personalised recommendations",
		Description: "As analytics, and the recommendations you see follow what you view, " +
			"with the reason for each one.",
	},
}

// Lookup returns the choice for a consent level; unknown levels read as
// wire.ConsentNone.
func Lookup(consent string) Choice {
	for _, c := range Choices {
		if c.Consent == consent {
			return c
		}
	}
	return Choices[0]
}

// Stored reads a stored choice: the consent level and whether the shopper
// has chosen at all. Anything unreadable counts as no choice, so the
// banner asks again rather than assuming consent.
func Stored(value string) (consent string, chosen bool) {
	if wire.ValidConsent(value) {
		return value, true
	}
	return wire.ConsentNone, false
}

// eventLabels name the event types in the table.
var eventLabels = map[string]string{
	wire.EventProductView: "Viewed product",
	wire.EventModelLoaded: "3D model loaded",
	wire.EventRotate:      "Turned the 3D model",
	wire.EventZoom:        "Zoomed the 3D model",
	wire.EventDwell:       "Time on product page",
	wire.EventARPlace:     "Placed in your room",
	wire.EventFitCheck:    "Checked the fit",
	wire.EventTryOn:       "Tried on",
	wire.EventSearchImage: "Searched by photo",
	wire.EventSearchClick: "Opened a photo-search result",
	wire.EventRecsClick:   "Opened a recommendation",
	wire.EventAddToCart:   "Added to cart",
	wire.EventPurchase:    "Bought",
}

// EventLabel names an event type for people.
func EventLabel(eventType string) string {
	if l, ok := eventLabels[eventType]; ok {
		return l
	}
	return eventType
}

// slotLabels name the recommendation slots.
var slotLabels = map[string]string{
	wire.RecsSlotProduct: "in “You may also like”",
	wire.RecsSlotHome:    "on the front page",
	wire.RecsSlotCart:    "in the cart",
}

// Row is one stored event as the table shows it.
type Row struct {
	Time    string // local time of the event
	ISO     string // the same time, machine-readable (for <time datetime>)
	Type    string // wire event type
	Event   string // what happened, in words
	SKU     string
	Product string // the product's name, or its SKU when unknown
	Details string // the event's measure: a duration, a position
}

// Rows turns exported events into table rows, newest first. name returns
// a product's name ("" when unknown); times are shown in loc.
func Rows(events []wire.ExportedEvent, name func(sku string) string, loc *time.Location) []Row {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b wire.ExportedEvent) int {
		switch {
		case a.T > b.T:
			return -1
		case a.T < b.T:
			return 1
		}
		return 0
	})
	rows := make([]Row, 0, len(sorted))
	for _, e := range sorted {
		t := time.UnixMilli(e.T).In(loc)
		product := ""
		if e.SKU != "" {
			if product = name(e.SKU); product == "" {
				product = e.SKU
			}
		}
		rows = append(rows, Row{
			Time:    t.Format("2 Jan 2006, 15:04:05"),
			ISO:     t.Format(time.RFC3339),
			Type:    e.Type,
			Event:   EventLabel(e.Type),
			SKU:     e.SKU,
			Product: product,
			Details: details(e.Event),
		})
	}
	return rows
}

func details(e wire.Event) string {
	var parts []string
	switch e.Type {
	case wire.EventModelLoaded:
		parts = append(parts, "loaded in "+Duration(e.LoadMS))
	case wire.EventDwell:
		parts = append(parts, Duration(e.DwellMS)+" on the page")
	case wire.EventRecsClick:
		where := slotLabels[e.Slot]
		if where == "" {
			where = "in " + e.Slot
		}
		parts = append(parts, fmt.Sprintf("position %d %s", e.Rank+1, where))
	case wire.EventSearchClick:
		parts = append(parts, fmt.Sprintf("result %d", e.Rank+1))
	}
	if e.Variant != "" {
		parts = append(parts, "variant "+e.Variant)
	}
	return strings.Join(parts, ", ")
}

// Duration writes milliseconds for people: "850 ms", "4.2 s", "3 min 5 s".
func Duration(ms int64) string {
	switch {
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	}
	s := ms / 1000
	if s < 3600 {
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %d min", s/3600, s%3600/60)
}

// ExportFileName names the download of the shopper's data.
func ExportFileName(now time.Time) string {
	return "vitrine-my-data-" + now.Format("2006-01-02") + ".json"
}

// Export is the downloaded file: the server's export with the time it was
// taken.
type Export struct {
	ExportedAt string `json:"exported_at"`
	wire.PrivacyExportReply
}

// ExportJSON renders the export as indented JSON.
func ExportJSON(reply wire.PrivacyExportReply, now time.Time) ([]byte, error) {
	if reply.Events == nil {
		reply.Events = []wire.ExportedEvent{}
	}
	data, err := json.MarshalIndent(Export{ExportedAt: now.UTC().Format(time.RFC3339), PrivacyExportReply: reply}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("privacy: export: %w", err)
	}
	return append(data, '\n'), nil
}

// EraseSummary says what privacy.erase did, with the promised completion
// time in loc.
func EraseSummary(reply wire.PrivacyEraseReply, loc *time.Location) string {
	noun := "events"
	if reply.Erased == 1 {
		noun = "event"
	}
	done := time.UnixMilli(reply.CompleteByMS).In(loc).Format("2 Jan 2006 at 15:04")
	return fmt.Sprintf("Erased %d %s from the live shop. Every stored copy will be gone by %s.", reply.Erased, noun, done)
}

// EventCount says how many events the table holds.
func EventCount(n int, truncated bool) string {
	switch {
	case truncated:
		return fmt.Sprintf("The newest %d events stored about you", n)
	case n == 1:
		return "1 event stored about you"
	}
	return fmt.Sprintf("%d events stored about you", n)
}

// Empty explains an empty table at a consent level.
func Empty(consent string) string {
	if consent == wire.ConsentNone {
		return "Nothing that identifies you is stored: with “Only necessary”, the server keeps only anonymous counts, so there is nothing to show or erase."
	}
	return "No events are stored about you."
}
