package ws

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// sessionIDBytes is the entropy of a session id.
const sessionIDBytes = 32

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

	mu   sync.Mutex
	lru  *list.List // of *rememberedSession, most recently used first
	byID map[string]*list.Element
}

func newRegistry(ttl time.Duration, maxSessions int, now func() time.Time) *registry {
	return &registry{ttl: ttl, max: maxSessions, now: now, lru: list.New(), byID: make(map[string]*list.Element)}
}

// resume looks up an unexpired session and marks it used. A non-empty
// consent replaces the remembered one. An expired session is forgotten.
func (r *registry) resume(id, consent string) (rememberedSession, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	el, ok := r.byID[id]
	if !ok {
		return rememberedSession{}, false
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
	raw := make([]byte, sessionIDBytes)
	if _, err := rand.Read(raw); err != nil {
		return rememberedSession{}, fmt.Errorf("ws: session id: %w", err)
	}
	rs := &rememberedSession{id: base64.RawURLEncoding.EncodeToString(raw), consent: consent}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	rs.lastUsed = now
	r.evictExpired(now)
	for r.lru.Len() >= r.max {
		r.remove(r.lru.Back())
	}
	r.byID[rs.id] = r.lru.PushFront(rs)
	return *rs, nil
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
