package ws

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// sessionIDBytes is the entropy of a session id.
const sessionIDBytes = 32

// A signed session id is base64url(issued ‖ random ‖ mac): the issue time
// (unix seconds, 8 bytes), sessionRandomBytes of entropy and the first
// sessionMACBytes of HMAC-SHA256(key, issued ‖ random). Any server holding
// the key recognises it, so a session outlives a restart and moves between
// replicas.
const (
	sessionRandomBytes = 24
	sessionMACBytes    = 16
)

// rememberedSession is what the hub keeps of a session between
// connections.
type rememberedSession struct {
	id       string
	consent  string
	userID   string
	lastUsed time.Time
}

// registry remembers sessions so a later hello can resume them. It holds
// at most max sessions, each for ttl after its last use, in least recently
// used order. Its methods are safe for concurrent use.
type registry struct {
	ttl time.Duration
	max int
	now func() time.Time
	// key signs session ids; nil keeps sessions in this process only.
	key []byte
	// maxAge bounds how long after issue a signed id this registry does
	// not remember is still taken back.
	maxAge time.Duration

	mu   sync.Mutex
	lru  *list.List // of *rememberedSession, most recently used first
	byID map[string]*list.Element
}

func newRegistry(ttl time.Duration, maxSessions int, now func() time.Time, key []byte, maxAge time.Duration) *registry {
	return &registry{ttl: ttl, max: maxSessions, now: now, key: key, maxAge: maxAge, lru: list.New(), byID: make(map[string]*list.Element)}
}

// sign returns the MAC of a signed id's issue time and randomness.
func (r *registry) sign(body []byte) []byte {
	m := hmac.New(sha256.New, r.key)
	m.Write(body)
	return m.Sum(nil)[:sessionMACBytes]
}

// verified reports whether id is a signed id issued by a holder of the
// key no longer ago than maxAge.
func (r *registry) verified(id string) bool {
	if r.key == nil {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) != 8+sessionRandomBytes+sessionMACBytes {
		return false
	}
	body, mac := raw[:8+sessionRandomBytes], raw[8+sessionRandomBytes:]
	if !hmac.Equal(mac, r.sign(body)) {
		return false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(body[:8])), 0)
	age := r.now().Sub(issued)
	return age >= -time.Minute && age <= r.maxAge
}

// issued returns when a signed id was issued; ok is false for ids this
// registry cannot verify.
func (r *registry) issued(id string) (time.Time, bool) {
	if !r.verified(id) {
		return time.Time{}, false
	}
	raw, _ := base64.RawURLEncoding.DecodeString(id)
	return time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0), true
}

// rotate replaces a remembered session's id with a fresh one, keeping its
// consent and user, and forgets the old id.
func (r *registry) rotate(old rememberedSession) (rememberedSession, error) {
	id, err := r.newID()
	if err != nil {
		return rememberedSession{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.byID[old.id]; ok {
		r.remove(el)
	}
	return r.admit(&rememberedSession{id: id, consent: old.consent, userID: old.userID}), nil
}

// newID returns a fresh session id, signed when the registry has a key.
func (r *registry) newID() (string, error) {
	if r.key == nil {
		raw := make([]byte, sessionIDBytes)
		if _, err := rand.Read(raw); err != nil {
			return "", fmt.Errorf("ws: session id: %w", err)
		}
		return base64.RawURLEncoding.EncodeToString(raw), nil
	}
	body := make([]byte, 8+sessionRandomBytes)
	binary.BigEndian.PutUint64(body, uint64(r.now().Unix()))
	if _, err := rand.Read(body[8:]); err != nil {
		return "", fmt.Errorf("ws: session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(append(body, r.sign(body)...)), nil
}

// resume looks up an unexpired session and marks it used. A non-empty
// consent replaces the remembered one. An expired session is forgotten.
func (r *registry) resume(id, consent string) (rememberedSession, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	el, ok := r.byID[id]
	if !ok {
		if !r.verified(id) {
			return rememberedSession{}, false
		}
		// Issued by this server before a restart, or by a replica: take it
		// back. Consent is as the hello says (none when it says nothing).
		if consent == "" {
			consent = "none"
		}
		return r.admit(&rememberedSession{id: id, consent: consent}), true
	}
	rs := el.Value.(*rememberedSession)
	now := r.now()
	if r.expired(rs, now) {
		r.remove(el)
		return rememberedSession{}, false
	}
	if consent != "" {
		rs.consent = consent
	}
	rs.lastUsed = now
	r.lru.MoveToFront(el)
	return *rs, true
}

// create starts a session with a fresh random id, making room by dropping
// expired sessions and then the least recently used ones.
func (r *registry) create(consent string) (rememberedSession, error) {
	id, err := r.newID()
	if err != nil {
		return rememberedSession{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.admit(&rememberedSession{id: id, consent: consent}), nil
}

// admit adds rs as used now, making room first. r.mu is held.
func (r *registry) admit(rs *rememberedSession) rememberedSession {
	now := r.now()
	rs.lastUsed = now
	r.evictExpired(now)
	for r.lru.Len() >= r.max {
		r.remove(r.lru.Back())
	}
	r.byID[rs.id] = r.lru.PushFront(rs)
	return *rs
}

// update records a session's new consent and merchant user id, so a
// resumed session keeps them.
func (r *registry) update(id, consent, userID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.byID[id]; ok {
		rs := el.Value.(*rememberedSession)
		rs.consent, rs.userID = consent, userID
	}
}

// touch marks a session used now, if it is still remembered.
func (r *registry) touch(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.byID[id]; ok {
		el.Value.(*rememberedSession).lastUsed = r.now()
		r.lru.MoveToFront(el)
	}
}

// len reports how many sessions are remembered, expired ones included
// until they are evicted.
func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lru.Len()
}

// evictExpired drops expired sessions from the least recently used end;
// it stops at the first live one, since every session before it was used
// more recently.
func (r *registry) evictExpired(now time.Time) {
	for el := r.lru.Back(); el != nil; el = r.lru.Back() {
		if !r.expired(el.Value.(*rememberedSession), now) {
			return
		}
		r.remove(el)
	}
}

func (r *registry) expired(rs *rememberedSession, now time.Time) bool {
	return now.Sub(rs.lastUsed) >= r.ttl
}

func (r *registry) remove(el *list.Element) {
	delete(r.byID, el.Value.(*rememberedSession).id)
	r.lru.Remove(el)
}
