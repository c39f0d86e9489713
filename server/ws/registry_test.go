package ws

import (
	"testing"
	"time"
)

func TestRegistry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	const ttl = time.Hour

	t.Run("ids are distinct 43-character secrets", func(t *testing.T) {
		r := newRegistry(ttl, 10, clock.Now)
		seen := map[string]bool{}
		for range 10 {
			s, err := r.create("none")
			if err != nil {
				t.Fatal(err)
			}
			if len(s.id) != 43 || seen[s.id] {
				t.Fatalf("id %q: length %d, seen before %v", s.id, len(s.id), seen[s.id])
			}
			seen[s.id] = true
		}
	})

	t.Run("use slides the expiry", func(t *testing.T) {
		r := newRegistry(ttl, 10, clock.Now)
		s, _ := r.create("analytics")
		for range 3 {
			clock.Advance(50 * time.Minute)
			got, ok := r.resume(s.id, "")
			if !ok || got.consent != "analytics" {
				t.Fatalf("resume after 50 minutes: %+v %v", got, ok)
			}
		}
		clock.Advance(ttl)
		if _, ok := r.resume(s.id, ""); ok {
			t.Fatal("resumed an expired session")
		}
		if r.len() != 0 {
			t.Errorf("expired session still remembered: len %d", r.len())
		}
	})

	t.Run("touch keeps a session alive", func(t *testing.T) {
		r := newRegistry(ttl, 10, clock.Now)
		s, _ := r.create("none")
		clock.Advance(59 * time.Minute)
		r.touch(s.id)
		clock.Advance(59 * time.Minute)
		if _, ok := r.resume(s.id, ""); !ok {
			t.Fatal("touched session expired")
		}
	})

	t.Run("consent changes on resume", func(t *testing.T) {
		r := newRegistry(ttl, 10, clock.Now)
		s, _ := r.create("none")
		r.resume(s.id, "personalisation")
		if got, _ := r.resume(s.id, ""); got.consent != "personalisation" {
			t.Errorf("consent %q, want personalisation", got.consent)
		}
	})

	t.Run("bounded, least recently used evicted first", func(t *testing.T) {
		r := newRegistry(ttl, 3, clock.Now)
		a, _ := r.create("none")
		b, _ := r.create("none")
		c, _ := r.create("none")
		r.resume(a.id, "") // b is now the least recently used
		d, _ := r.create("none")
		if r.len() != 3 {
			t.Fatalf("len %d, want 3", r.len())
		}
		for id, want := range map[string]bool{a.id: true, b.id: false, c.id: true, d.id: true} {
			if _, ok := r.resume(id, ""); ok != want {
				t.Errorf("session remembered = %v, want %v", ok, want)
			}
		}
	})

	t.Run("expired sessions are evicted before live ones", func(t *testing.T) {
		r := newRegistry(ttl, 3, clock.Now)
		old, _ := r.create("none")
		clock.Advance(2 * ttl)
		b, _ := r.create("none")
		c, _ := r.create("none")
		if r.len() != 2 {
			t.Errorf("len %d, want 2 once the expired session is gone", r.len())
		}
		if _, ok := r.resume(old.id, ""); ok {
			t.Error("expired session resumed")
		}
		for _, s := range []rememberedSession{b, c} {
			if _, ok := r.resume(s.id, ""); !ok {
				t.Error("live session lost")
			}
		}
	})
}

func TestTokenBucket(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newTokenBucket(2, 3, t0)
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {0, true}, {0, true}, // the burst
		{0, false},                      // empty
		{400 * time.Millisecond, false}, // 0.8 tokens
		{500 * time.Millisecond, true},  // 1 token
		{500 * time.Millisecond, false}, // used
		{-time.Hour, false},             // a clock going back adds nothing
		{10 * time.Second, true},        // refilled, but only to the burst
		{10 * time.Second, true},
		{10 * time.Second, true},
		{10 * time.Second, false},
	}
	for i, s := range steps {
		if got := b.allow(t0.Add(s.at)); got != s.want {
			t.Errorf("step %d at %v: allow = %v, want %v", i, s.at, got, s.want)
		}
	}
}
