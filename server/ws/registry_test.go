package ws

import (
	"testing"
	"time"
)

func TestRegistry(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	const ttl = time.Hour

	t.Run("ids are distinct 43-character secrets", func(t *testing.T) {
		r := newRegistry(ttl, 10, clock.Now, nil, 0)
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
		r := newRegistry(ttl, 10, clock.Now, nil, 0)
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
		r := newRegistry(ttl, 10, clock.Now, nil, 0)
		s, _ := r.create("none")
		clock.Advance(59 * time.Minute)
		r.touch(s.id)
		clock.Advance(59 * time.Minute)
		if _, ok := r.resume(s.id, ""); !ok {
			t.Fatal("touched session expired")
		}
	})

	t.Run("consent changes on resume", func(t *testing.T) {
		r := newRegistry(ttl, 10, clock.Now, nil, 0)
		s, _ := r.create("none")
		r.resume(s.id, "personalisation")
		if got, _ := r.resume(s.id, ""); got.consent != "personalisation" {
			t.Errorf("consent %q, want personalisation", got.consent)
		}
	})

	t.Run("bounded, least recently used evicted first", func(t *testing.T) {
		r := newRegistry(ttl, 3, clock.Now, nil, 0)
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
		r := newRegistry(ttl, 3, clock.Now, nil, 0)
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

// TestSignedSessionsSurviveARestart: a registry with the same key (a
// restarted server, or a replica) takes back a signed id it never saw; a
// forged, altered, foreign-key or too-old id is not taken back.
func TestSignedSessionsSurviveARestart(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	key := []byte("0123456789abcdef0123456789abcdef")
	first := newRegistry(time.Hour, 10, clock.Now, key, 30*24*time.Hour)
	rs, err := first.create("personalisation")
	if err != nil {
		t.Fatal(err)
	}
	restarted := newRegistry(time.Hour, 10, clock.Now, key, 30*24*time.Hour)
	got, ok := restarted.resume(rs.id, "")
	if !ok || got.id != rs.id || got.consent != "none" {
		t.Fatalf("restarted registry: %+v %v; want the same id back at consent none", got, ok)
	}
	if got, ok := restarted.resume(rs.id, ""); !ok || got.id != rs.id {
		t.Fatal("a taken-back session is not remembered")
	}
	flipped := []byte(rs.id)
	flipped[5] ^= 1
	other := newRegistry(time.Hour, 10, clock.Now, []byte("another key, also 32 bytes long!"), 30*24*time.Hour)
	unsigned := newRegistry(time.Hour, 10, clock.Now, nil, 0)
	plain, _ := unsigned.create("none")
	for name, tt := range map[string]struct {
		r  *registry
		id string
	}{
		"altered":     {newRegistry(time.Hour, 10, clock.Now, key, 30*24*time.Hour), string(flipped)},
		"foreign key": {other, rs.id},
		"unsigned":    {newRegistry(time.Hour, 10, clock.Now, key, 30*24*time.Hour), plain.id},
		"garbage":     {newRegistry(time.Hour, 10, clock.Now, key, 30*24*time.Hour), "not-base64!"},
	} {
		if _, ok := tt.r.resume(tt.id, ""); ok {
			t.Errorf("%s id taken back", name)
		}
	}
	clock.Advance(31 * 24 * time.Hour)
	if _, ok := newRegistry(time.Hour, 10, clock.Now, key, 30*24*time.Hour).resume(rs.id, ""); ok {
		t.Error("an id older than the maximum age was taken back")
	}
}
