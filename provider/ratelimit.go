package provider

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rateLimiter paces every request of one HTTPClient by the provider's
// rate-limit headers (RateHeaders). Limits are often per endpoint and
// unpublished, so the client treats them as one shared budget: the most
// constrained answer governs. That never bursts into 429s; at worst it waits
// a little early.
//
// Each request reserves one unit of the window's remaining budget before it
// is sent. When the budget is spent, requests wait until the reset time plus
// a small jitter (so that concurrent clients do not stampede). A 429 empties
// the budget until its Retry-After (or reset) has passed.
type rateLimiter struct {
	mu        sync.Mutex
	hdr       RateHeaders
	now       func() time.Time
	known     bool      // headers seen in the current window
	limit     int       // last window's limit (0: nothing learned)
	remaining int       // budget left in the window, minus reservations
	reset     time.Time // end of the current window (zero: unknown)
	inflight  int
	changed   chan struct{} // closed and replaced on every update
}

func newRateLimiter(h RateHeaders, now func() time.Time) *rateLimiter {
	return &rateLimiter{hdr: h, now: now, changed: make(chan struct{})}
}

// jitter returns a random extra wait: at most a tenth of d, at most 50ms.
func jitter(d time.Duration) time.Duration {
	m := min(d/10, 50*time.Millisecond)
	if m <= 0 {
		return 0
	}
	return rand.N(m)
}

// rateWaitError says the rate limit resets later than the caller waits.
type rateWaitError struct{ wait, max time.Duration }

func (e *rateWaitError) Error() string {
	return "the rate limit resets in " + min(e.wait, MaxReportedWait).Round(time.Second).String() +
		", longer than reclaim waits by itself (" + max(e.max, 0).Round(time.Second).String() + ")"
}

// acquire reserves one request. It waits for the window's reset when the
// budget is spent, calling notify with each wait; a wait longer than maxWait
// fails with a *rateWaitError carrying it. waited is the time spent waiting.
func (l *rateLimiter) acquire(ctx context.Context, maxWait time.Duration, notify func(time.Duration)) (waited time.Duration, err error) {
	start := time.Now()
	defer func() {
		if waited = time.Since(start); waited < time.Millisecond {
			waited = 0
		}
	}()
	for {
		l.mu.Lock()
		now := l.now()
		if l.known && !l.reset.IsZero() && !now.Before(l.reset) {
			// The window rolled over: assume the last limit, minus what is
			// still in flight (it may land in the new window), until a
			// response tells the new numbers.
			l.known = false
			l.remaining = max(l.limit-l.inflight, 1)
			l.reset = time.Time{}
		}
		if !l.known && l.limit == 0 {
			// Nothing learned yet: let requests go (the pool bounds them).
			l.inflight++
			l.mu.Unlock()
			return 0, nil
		}
		if l.remaining > 0 || (!l.known && l.inflight == 0) {
			// (With the budget unknown and nothing in flight, no answer is
			// coming to tell us more: go.)
			l.remaining = max(l.remaining-1, 0)
			l.inflight++
			l.mu.Unlock()
			return 0, nil
		}
		var wait time.Duration
		var wake <-chan struct{} = l.changed
		if !l.reset.IsZero() {
			wait = l.reset.Sub(now) // saturates: a reset ages ahead is no overflow
			if wait > maxWait {
				l.mu.Unlock()
				return 0, &rateWaitError{wait: wait, max: maxWait}
			}
			wait += jitter(wait)
			wake = nil // nothing but the reset brings budget back
		}
		l.mu.Unlock()
		if wait > 0 && notify != nil {
			notify(wait)
		}
		if wait <= 0 {
			// Budget spent, reset unknown: wait for a response to tell us,
			// polling in case every request in flight fails.
			wait = 100 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		case <-wake:
			t.Stop()
		}
	}
}

// release ends a reservation; h is the response's header (nil: none).
// limited says the answer was a 429, and backoff is then how long to hold
// every request (the Retry-After, or a guess when the provider named none).
func (l *rateLimiter) release(h http.Header, limited bool, backoff time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	now := l.now()
	lim, rem, reset, ok := l.hdr.parse(h, now)
	if !ok {
		if !limited && !l.known {
			// This endpoint sends no rate headers: do not throttle on
			// numbers learned elsewhere until headers come back.
			l.limit = 0
			l.signal()
		}
		if limited {
			// A 429 without rate headers: hold everything for the backoff.
			l.known, l.remaining = true, 0
			l.limit = max(l.limit, 1)
			l.reset = now.Add(max(backoff, 100*time.Millisecond))
			l.signal()
		}
		return
	}
	if limited {
		rem = 0
		if until := now.Add(backoff); until.After(reset) {
			reset = until
		}
	}
	// Providers that send the reset as seconds from now give every answer
	// of one window a slightly different reset time: a reset within the
	// tolerance of the known one is the same window.
	tol := time.Duration(0)
	if !l.hdr.ResetEpoch {
		tol = 1500 * time.Millisecond
	}
	switch {
	case !l.known || l.reset.IsZero() || reset.Sub(l.reset) > tol:
		// A new window: its budget, minus requests still in flight.
		l.known, l.limit, l.reset = true, lim, reset
		l.remaining = max(rem-l.inflight, 0)
	case l.reset.Sub(reset) <= tol:
		l.limit = lim
		l.remaining = min(l.remaining, rem)
		if limited && reset.After(l.reset) {
			l.reset = reset
		}
	default:
		// A late answer from an older window: nothing new.
		return
	}
	l.signal()
}

func (l *rateLimiter) signal() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// parse reads the rate headers of one answer: ok needs at least the
// Remaining header. A missing limit counts as the remaining budget plus
// one; a missing or unreadable reset as one second from now. A reset beyond
// any real window (or a negative one) is clamped, so it cannot overflow
// time arithmetic.
func (rh RateHeaders) parse(h http.Header, now time.Time) (limit, remaining int, reset time.Time, ok bool) {
	if h == nil || rh.Remaining == "" {
		return 0, 0, time.Time{}, false
	}
	r, err := strconv.Atoi(strings.TrimSpace(h.Get(rh.Remaining)))
	if err != nil {
		return 0, 0, time.Time{}, false
	}
	r = max(r, 0)
	limit = r + 1
	if rh.Limit != "" {
		l, err := strconv.Atoi(strings.TrimSpace(h.Get(rh.Limit)))
		if err != nil || l <= 0 {
			return 0, 0, time.Time{}, false
		}
		limit = l
	}
	reset, ok = rh.resetTime(h, now)
	if !ok {
		reset = now.Add(time.Second)
	}
	return limit, r, reset, true
}

// resetTime reads the Reset header alone.
func (rh RateHeaders) resetTime(h http.Header, now time.Time) (time.Time, bool) {
	if h == nil || rh.Reset == "" {
		return time.Time{}, false
	}
	v := strings.TrimSpace(h.Get(rh.Reset))
	if rh.ResetEpoch {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(min(max(s, 0), 1<<40), 0), true
	}
	// Seconds from now, possibly with a fraction ("1.5").
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f {
		return time.Time{}, false
	}
	f = min(max(f, 0), MaxReportedWait.Seconds())
	return now.Add(time.Duration(f * float64(time.Second))), true
}

// RetryAfter is how long a 429 (or 503) answer asks to wait: the longer of
// its Retry-After and the time to its Reset header, capped at
// MaxReportedWait; 0 when it says neither.
func (rh RateHeaders) RetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	d := ParseRetryAfter(h.Get("Retry-After"), now)
	if reset, ok := rh.resetTime(h, now); ok {
		d = max(d, reset.Sub(now))
	}
	return min(max(d, 0), MaxReportedWait)
}
