package wire

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Message types of interaction signals, recommendations, privacy and
// consent.
const (
	// TypeSignal carries a batch of interaction events (body Signal); the
	// server answers with TypeSignalAck once the batch is durable.
	TypeSignal    = "signal"
	TypeSignalAck = "signal.ack"
	// TypeRecsGet asks for recommendations (RecsGet); the answer is
	// TypeRecsResults (RecsResults).
	TypeRecsGet     = "recs.get"
	TypeRecsResults = "recs.results"
	// TypePrivacyExport returns everything stored about the session and its
	// user (PrivacyExportReply); TypePrivacyErase erases it
	// (PrivacyEraseReply). Both requests have an empty body; they act on the
	// session that sends them.
	TypePrivacyExport = "privacy.export"
	TypePrivacyErase  = "privacy.erase"
	// TypeConsentUpdate changes the session's consent (ConsentUpdate); the
	// reply echoes the level in force (ConsentUpdateReply).
	TypeConsentUpdate = "consent.update"
)

// Interaction event types carried in Event.Type.
const (
	EventProductView = "product_view" // a product page was opened
	EventModelLoaded = "model_loaded" // its 3D model finished loading (LoadMS)
	EventRotate      = "rotate"       // the shopper rotated the model
	EventZoom        = "zoom"         // the shopper zoomed
	EventDwell       = "dwell"        // time spent on the product (DwellMS)
	EventARPlace     = "ar_place"     // placed in the shopper's room
	EventFitCheck    = "fit_check"    // checked whether it fits a measured space
	EventTryOn       = "tryon"        // tried on (glasses, watches, shoes)
	EventSearchImage = "search_image" // ran a photo search (the photo is never logged)
	EventSearchClick = "search_click" // opened a photo-search result (Rank)
	EventRecsClick   = "recs_click"   // opened a recommendation (Slot, Rank)
	EventAddToCart   = "add_to_cart"
	EventPurchase    = "purchase"
)

// EventTypes lists every event type, in a stable order.
var EventTypes = []string{
	EventProductView, EventModelLoaded, EventRotate, EventZoom, EventDwell,
	EventARPlace, EventFitCheck, EventTryOn, EventSearchImage, EventSearchClick,
	EventRecsClick, EventAddToCart, EventPurchase,
}

// ValidEventType reports whether t is a known event type.
func ValidEventType(t string) bool {
	for _, k := range EventTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Limits of signals, recommendations and privacy messages.
const (
	// MaxEventsPerBatch bounds the events of one signal message.
	MaxEventsPerBatch = 100
	// MaxEventIDBytes bounds a client event id.
	MaxEventIDBytes = 64
	// MaxVariantBytes bounds a product variant name.
	MaxVariantBytes = 64
	// MaxSlotBytes bounds a recommendation slot name.
	MaxSlotBytes = 32
	// MaxUserIDBytes bounds a merchant-side user id.
	MaxUserIDBytes = 128
	// MaxClockSkew is how far in the future of the server's clock an event
	// time may be.
	MaxClockSkew = 5 * time.Minute
	// MaxEventAge is how far in the past an event time may be: a client may
	// hold events while offline for up to a day.
	MaxEventAge = 24 * time.Hour
	// MaxDurationMS bounds LoadMS and DwellMS (one day).
	MaxDurationMS = 24 * 60 * 60 * 1000
	// MaxRank bounds Rank.
	MaxRank = 1000
	// DefaultRecsCount is recs.get's count when the request names none.
	DefaultRecsCount = 10
	// MaxRecsCount bounds recs.get's count.
	MaxRecsCount = 50
)

// Event is one interaction, as the client records it. ID is chosen by the
// client and unique within its session: a batch sent again (after a lost
// acknowledgement or a reconnect) is acknowledged again but stored once.
// T is the client's clock in unix milliseconds. The typed optional fields
// belong to one event type each.
type Event struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	SKU     string `json:"sku,omitempty"`
	Variant string `json:"variant,omitempty"`
	T       int64  `json:"t"`
	// LoadMS is the model's load time (model_loaded).
	LoadMS int64 `json:"load_ms,omitempty"`
	// DwellMS is the time spent looking (dwell).
	DwellMS int64 `json:"ms,omitempty"`
	// Rank is the 0-based position of the clicked item (search_click,
	// recs_click).
	Rank int `json:"rank,omitempty"`
	// Slot is the recommendation slot clicked in (recs_click), as in RecsGet.
	Slot string `json:"slot,omitempty"`
}

// Signal is the body of a signal message.
type Signal struct {
	Events []Event `json:"events"`
}

// SignalAck is the body of signal.ack: the ids of the events that are now
// durable (including ids that were already stored by an earlier attempt).
type SignalAck struct {
	IDs []string `json:"ids"`
}

// eventNeedsSKU reports whether events of type t must name a product.
func eventNeedsSKU(t string) bool {
	return t != EventSearchImage
}

// ValidateEvent checks one event against the schema and the limits, with
// now the server's clock.
func ValidateEvent(e Event, now time.Time) *Error {
	switch {
	case e.ID == "":
		return Errorf(CodeBadRequest, "event has no id")
	case len(e.ID) > MaxEventIDBytes:
		return Errorf(CodeTooLarge, "event id is %d bytes; the limit is %d", len(e.ID), MaxEventIDBytes)
	case !signalTextOK(e.ID):
		return Errorf(CodeBadRequest, "event id %q has control characters or invalid UTF-8", e.ID)
	case !ValidEventType(e.Type):
		return Errorf(CodeBadRequest, "event %q: unknown type %q", e.ID, e.Type)
	case len(e.SKU) > MaxSKUBytes:
		return Errorf(CodeTooLarge, "event %q: sku is %d bytes; the limit is %d", e.ID, len(e.SKU), MaxSKUBytes)
	case !signalTextOK(e.SKU):
		return Errorf(CodeBadRequest, "event %q: sku has control characters or invalid UTF-8", e.ID)
	case eventNeedsSKU(e.Type) && e.SKU == "":
		return Errorf(CodeBadRequest, "event %q: %s needs a sku", e.ID, e.Type)
	case len(e.Variant) > MaxVariantBytes:
		return Errorf(CodeTooLarge, "event %q: variant is %d bytes; the limit is %d", e.ID, len(e.Variant), MaxVariantBytes)
	case !signalTextOK(e.Variant):
		return Errorf(CodeBadRequest, "event %q: variant has control characters or invalid UTF-8", e.ID)
	case len(e.Slot) > MaxSlotBytes:
		return Errorf(CodeTooLarge, "event %q: slot is %d bytes; the limit is %d", e.ID, len(e.Slot), MaxSlotBytes)
	case !signalTextOK(e.Slot):
		return Errorf(CodeBadRequest, "event %q: slot has control characters or invalid UTF-8", e.ID)
	case e.LoadMS < 0 || e.LoadMS > MaxDurationMS:
		return Errorf(CodeBadRequest, "event %q: load_ms %d is outside 0…%d", e.ID, e.LoadMS, MaxDurationMS)
	case e.DwellMS < 0 || e.DwellMS > MaxDurationMS:
		return Errorf(CodeBadRequest, "event %q: ms %d is outside 0…%d", e.ID, e.DwellMS, MaxDurationMS)
	case e.Rank < 0 || e.Rank > MaxRank:
		return Errorf(CodeBadRequest, "event %q: rank %d is outside 0…%d", e.ID, e.Rank, MaxRank)
	}
	nowMS := now.UnixMilli()
	if e.T > nowMS+MaxClockSkew.Milliseconds() {
		return Errorf(CodeBadRequest, "event %q: time %d is %s ahead of the server's clock; the limit is %s",
			e.ID, e.T, time.Duration(e.T-nowMS)*time.Millisecond, MaxClockSkew)
	}
	if e.T < nowMS-MaxEventAge.Milliseconds() {
		return Errorf(CodeBadRequest, "event %q: time %d is older than %s", e.ID, e.T, MaxEventAge)
	}
	return nil
}

// ValidateSignal checks a whole batch. A batch with any invalid event is
// rejected whole, with one detail per invalid event (at most ten), so a
// client never has to guess which part was stored.
func ValidateSignal(s Signal, now time.Time) *Error {
	if len(s.Events) == 0 {
		return Errorf(CodeBadRequest, "signal has no events")
	}
	if len(s.Events) > MaxEventsPerBatch {
		return Errorf(CodeTooLarge, "signal has %d events; the limit is %d", len(s.Events), MaxEventsPerBatch)
	}
	var bad *Error
	for i, e := range s.Events {
		if err := ValidateEvent(e, now); err != nil {
			if bad == nil {
				bad = Errorf(err.Code, "event %d: %s", i, err.Message)
			}
			if len(bad.Details) < 10 {
				bad.Details = append(bad.Details, fmt.Sprintf("event %d: %s", i, err.Message))
			}
		}
	}
	return bad
}

// Recommendation slots: where the list is shown.
const (
	RecsSlotProduct = "product" // the product page; RecsGet.SKU is the product
	RecsSlotHome    = "home"    // the shop's front page
	RecsSlotCart    = "cart"    // the cart
)

// Recommendation kinds: which recommender put an item in the list.
const (
	RecsKindSession = "session"         // next item after this session's views
	RecsKindCoView  = "co_view"         // viewed together with the context product
	RecsKindBought  = "bought_together" // bought or carted together
	RecsKindSimilar = "similar"         // looks like the context product
	RecsKindPopular = "popular"         // popular in a category (cold start)
)

// RecsGet asks for recommendations for a slot, optionally around a context
// product. Count defaults to DefaultRecsCount.
type RecsGet struct {
	SKU   string `json:"sku,omitempty"`
	Slot  string `json:"slot"`
	Count int    `json:"count,omitempty"`
}

// RecItem is one recommended product with the reason it is shown.
type RecItem struct {
	SKU    string  `json:"sku"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
	Kind   string  `json:"kind"`
}

// RecsResults answers recs.get, best first.
type RecsResults struct {
	Slot  string    `json:"slot"`
	SKU   string    `json:"sku,omitempty"`
	Items []RecItem `json:"items"`
}

// ValidateRecsGet checks a recs.get body and fills in the default count.
func ValidateRecsGet(r *RecsGet) *Error {
	switch r.Slot {
	case RecsSlotProduct, RecsSlotHome, RecsSlotCart:
	default:
		return Errorf(CodeBadRequest, "recs.get: unknown slot %q (want %s, %s or %s)", r.Slot, RecsSlotProduct, RecsSlotHome, RecsSlotCart)
	}
	if len(r.SKU) > MaxSKUBytes || !signalTextOK(r.SKU) {
		return Errorf(CodeBadRequest, "recs.get: sku must be printable and at most %d bytes", MaxSKUBytes)
	}
	if r.Slot == RecsSlotProduct && r.SKU == "" {
		return Errorf(CodeBadRequest, "recs.get: slot %q needs a sku", RecsSlotProduct)
	}
	if r.Count < 0 || r.Count > MaxRecsCount {
		return Errorf(CodeBadRequest, "recs.get: count %d is outside 0…%d", r.Count, MaxRecsCount)
	}
	if r.Count == 0 {
		r.Count = DefaultRecsCount
	}
	return nil
}

// ExportedEvent is one stored event as privacy.export returns it: the
// event as the client sent it, the consent it was stored under and when
// the server received it (unix ms).
type ExportedEvent struct {
	Event
	Consent    string `json:"consent"`
	ReceivedMS int64  `json:"received_ms"`
}

// PrivacyExportReply is everything stored about the session (and the
// sessions it was rotated from) and its merchant user id. Held explains in
// plain words what is kept and why.
type PrivacyExportReply struct {
	Consent string          `json:"consent"`
	UserID  string          `json:"user_id,omitempty"`
	Events  []ExportedEvent `json:"events"`
	Held    []string        `json:"held"`
	// Truncated is true when there were more than MaxExportEvents events;
	// the newest are returned.
	Truncated bool `json:"truncated,omitempty"`
}

// MaxExportEvents bounds the events one privacy.export returns.
const MaxExportEvents = 100000

// PrivacyEraseReply answers privacy.erase. Erased counts the events removed
// from the live state at once; by CompleteByMS (unix ms) no stored object
// holds any of them.
type PrivacyEraseReply struct {
	Erased       int   `json:"erased"`
	CompleteByMS int64 `json:"complete_by_ms"`
}

// ConsentUpdate changes the session's consent level. UserID, the merchant's
// id for a signed-in shopper, is kept only at ConsentPersonalisation.
type ConsentUpdate struct {
	Consent string `json:"consent"`
	UserID  string `json:"user_id,omitempty"`
}

// ConsentUpdateReply echoes the consent now in force.
type ConsentUpdateReply struct {
	Consent string `json:"consent"`
}

// ValidConsent reports whether c is a known consent level.
func ValidConsent(c string) bool {
	return c == ConsentNone || c == ConsentAnalytics || c == ConsentPersonalisation
}

// ValidateConsentUpdate checks a consent.update body. A user id sent with a
// lower level than personalisation is an error rather than silently kept.
func ValidateConsentUpdate(c ConsentUpdate) *Error {
	if !ValidConsent(c.Consent) {
		return Errorf(CodeBadRequest, "consent.update: unknown consent %q (want %s, %s or %s)", c.Consent, ConsentNone, ConsentAnalytics, ConsentPersonalisation)
	}
	if len(c.UserID) > MaxUserIDBytes || !signalTextOK(c.UserID) {
		return Errorf(CodeBadRequest, "consent.update: user_id must be printable and at most %d bytes", MaxUserIDBytes)
	}
	if c.UserID != "" && c.Consent != ConsentPersonalisation {
		return Errorf(CodeBadRequest, "consent.update: user_id is kept only with consent %q", ConsentPersonalisation)
	}
	return nil
}

// signalTextOK reports whether s is valid UTF-8 without control characters.
func signalTextOK(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}
