package ws

import "time"

// tokenBucket admits ratePerSecond events on average with bursts of up to
// burst. It is owned by one goroutine (a connection's read pump).
type tokenBucket struct {
	ratePerSecond float64
	burst         float64
	tokens        float64
	last          time.Time
}

func newTokenBucket(ratePerSecond, burst int, now time.Time) *tokenBucket {
	return &tokenBucket{ratePerSecond: float64(ratePerSecond), burst: float64(burst), tokens: float64(burst), last: now}
}

// allow takes a token if one is available at now and reports whether it
// did. A clock that goes backwards adds no tokens.
func (b *tokenBucket) allow(now time.Time) bool {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.ratePerSecond)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
