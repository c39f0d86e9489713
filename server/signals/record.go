package signals

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// Record is one stored event: a line of a shipped JSON Lines segment and an
// element of a WAL frame. Session and User are keyed one-way pseudonyms
// (see Pseudonymiser), never the secret session id or the merchant's user
// id themselves; they are empty for events stored at consent none, which
// also carry no event id and a time rounded down to the hour.
type Record struct {
	EventID string `json:"event_id,omitempty"`
	Type    string `json:"type"`
	SKU     string `json:"sku,omitempty"`
	Variant string `json:"variant,omitempty"`
	// T is the client's event time, unix milliseconds.
	T       int64  `json:"t"`
	LoadMS  int64  `json:"load_ms,omitempty"`
	DwellMS int64  `json:"dwell_ms,omitempty"`
	Rank    *int   `json:"rank,omitempty"`
	Slot    string `json:"slot,omitempty"`
	Session string `json:"session,omitempty"`
	User    string `json:"user,omitempty"`
	Consent string `json:"consent"`
	// ReceivedMS is the server's receipt time, unix milliseconds; the
	// segment's dt/hour partition is the hour it falls in.
	ReceivedMS int64 `json:"received_ms"`
}

// Event returns the record as a wire event.
func (r Record) Event() wire.Event {
	e := wire.Event{
		ID: r.EventID, Type: r.Type, SKU: r.SKU, Variant: r.Variant, T: r.T,
		LoadMS: r.LoadMS, DwellMS: r.DwellMS, Slot: r.Slot,
	}
	if r.Rank != nil {
		e.Rank = *r.Rank
	}
	return e
}

// Pseudonymiser turns secret session ids and merchant user ids into the
// stable one-way pseudonyms stored with events. It is a keyed hash
// (HMAC-SHA-256): without the key a stored pseudonym cannot be linked back
// to a session, nor a guessable user id like "user-42" found by trying
// candidates. Every server writing to the same store must use the same key.
type Pseudonymiser struct {
	key []byte
}

// NewPseudonymiser returns a Pseudonymiser with the given secret key.
func NewPseudonymiser(key []byte) *Pseudonymiser {
	return &Pseudonymiser{key: append([]byte(nil), key...)}
}

func (p *Pseudonymiser) hash(domain, id string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Session returns the pseudonym stored for a session id: 32 hex digits.
func (p *Pseudonymiser) Session(session string) string { return "s" + p.hash("session", session) }

// User returns the pseudonym stored for a merchant user id.
func (p *Pseudonymiser) User(userID string) string { return "u" + p.hash("user", userID) }

// token is the deduplication key of a client event id within a session: 64
// bits of a hash of the session's pseudonym and the id. It identifies an
// event, not a person: without the session it cannot be linked to any
// other event, so it is kept even at consent none.
func token(sessionPseudonym, eventID string) uint64 {
	h := sha256.New()
	h.Write([]byte(sessionPseudonym))
	h.Write([]byte{0})
	h.Write([]byte(eventID))
	var sum [sha256.Size]byte
	return binary.LittleEndian.Uint64(h.Sum(sum[:0]))
}

// newRecord builds the record stored for event e of a session at the given
// consent, received at now. sessionP and userP are pseudonyms; userP is
// kept only at personalisation.
func newRecord(e wire.Event, consent, sessionP, userP string, now time.Time) Record {
	r := Record{Type: e.Type, SKU: e.SKU, Variant: e.Variant, Consent: consent, ReceivedMS: now.UnixMilli()}
	if consent == wire.ConsentNone {
		// No identifiers: no event id, no session, the time to the hour.
		r.T = e.T - e.T%time.Hour.Milliseconds()
		r.ReceivedMS = now.Truncate(time.Hour).UnixMilli()
		return r
	}
	r.EventID = e.ID
	r.T = e.T
	r.LoadMS = e.LoadMS
	r.DwellMS = e.DwellMS
	r.Slot = e.Slot
	if e.Type == wire.EventSearchClick || e.Type == wire.EventRecsClick {
		rank := e.Rank
		r.Rank = &rank
	}
	r.Session = sessionP
	if consent == wire.ConsentPersonalisation {
		r.User = userP
	}
	return r
}
