package sendgrid

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"reclaim/provider"
)

// limiter paces every request of a client by SendGrid's rate-limit headers.
// SendGrid sends X-RateLimit-Limit, -Remaining and -Reset (epoch seconds) on
// every response; limits are per endpoint and unpublished, so the client
// treats them as one shared budget: the most constrained answer governs.
// That never bursts into 429s, at worst it waits a little early.
//
// Each request reserves one unit of the window's remaining budget before it
// is sent. When the budget is spent, requests wait until the reset time plus
// a small jitter (so that concurrent clients do not stampede).
type limiter struct {
	mu        sync.Mutex
	now       func() time.Time
	known     bool      // headers seen in the current window
	limit     int       // last X-RateLimit-Limit
	remaining int       // budget left in the window, minus reservations
	reset     time.Time // end of the current window (zero: unknown)
	inflight  int
	changed   chan struct{} // closed and replaced on every update
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, changed: make(chan struct{})}
}

// jitter returns a random extra wait: at most a tenth of d, at most 50ms.
func jitter(d time.Duration) time.Duration {
	m := min(d/10, 50*time.Millisecond)
	if m <= 0 {
		return 0
	}
	return rand.N(m)
}

// acquire reserves one request. It waits for the window's reset when the
// budget is spent, calling notify with the wait; a wait longer than maxWait
// fails with a *rateWaitError carrying it.
func (l *limiter) acquire(ctx context.Context, maxWait time.Duration, notify func(time.Duration)) error {
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
			return nil
		}
		if l.remaining > 0 || (!l.known && l.inflight == 0) {
			// (With the budget unknown and nothing in flight, no answer is
			// coming to tell us more: go.)
			l.remaining = max(l.remaining-1, 0)
			l.inflight++
			l.mu.Unlock()
			return nil
		}
		var wait time.Duration
		var wake <-chan struct{} = l.changed
		if !l.reset.IsZero() {
			wait = l.reset.Sub(now) // saturates: a reset ages ahead is no overflow
			if wait > maxWait {
				l.mu.Unlock()
				return &rateWaitError{wait: wait, max: maxWait}
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
			return ctx.Err()
		case <-t.C:
		case <-wake:
			t.Stop()
		}
	}
}

// release ends a reservation; h is the response's header (nil: none) and
// limited says it was a 429.
func (l *limiter) release(h http.Header, limited bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	lim, rem, reset, ok := parseRateHeaders(h)
	if !ok {
		if !limited && !l.known {
			// This endpoint sends no rate headers: do not throttle on
			// numbers learned elsewhere until headers come back.
			l.limit = 0
			l.signal()
		}
		if limited {
			// A 429 without headers: back off for a second.
			l.known, l.remaining, l.reset = true, 0, l.now().Add(time.Second)
			l.signal()
		}
		return
	}
	if limited {
		rem = 0
	}
	switch {
	case !l.known || l.reset.IsZero() || reset.After(l.reset):
		// A new window: its budget, minus requests still in flight.
		l.known, l.limit, l.reset = true, lim, reset
		l.remaining = max(rem-l.inflight, 0)
	case reset.Equal(l.reset):
		l.limit = lim
		l.remaining = min(l.remaining, rem)
	default:
		// A late answer from an older window: nothing new.
		return
	}
	l.signal()
}

func (l *limiter) signal() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// parseRateHeaders reads X-RateLimit-Limit, -Remaining and -Reset.
func parseRateHeaders(h http.Header) (limit, remaining int, reset time.Time, ok bool) {
	if h == nil {
		return 0, 0, time.Time{}, false
	}
	l, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	r, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	s, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || l <= 0 {
		return 0, 0, time.Time{}, false
	}
	// A reset beyond any real window (or a negative one) is clamped, so it
	// cannot overflow time arithmetic.
	return l, max(r, 0), time.Unix(min(max(s, 0), 1<<40), 0), true
}

// resetAfter is how long until the X-RateLimit-Reset in h (0 if none).
func resetAfter(h http.Header, now time.Time) time.Duration {
	_, _, reset, ok := parseRateHeaders(h)
	if !ok {
		return provider.ParseRetryAfter(h.Get("Retry-After"), now)
	}
	return min(max(reset.Sub(now), 0), provider.MaxReportedWait)
}

type rateWaitError struct{ wait, max time.Duration }

func (e *rateWaitError) Error() string {
	return "the rate limit resets in " + min(e.wait, provider.MaxReportedWait).Round(time.Second).String() + ", longer than reclaim waits by itself (" + max(e.max, 0).Round(time.Second).String() + ")"
}
