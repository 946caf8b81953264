package main

import (
	"fmt"
	"net"
	"sync"
	"time"

	"charm.land/ssh"
)

// rateLimiter is a token bucket per remote address: perMinute new
// connections a minute, with bursts of up to perMinute.
type rateLimiter struct {
	mu        sync.Mutex
	perMinute float64
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; past it, full buckets (addresses
// quiet for a minute or more) are dropped.
const maxBuckets = 4096

func newRateLimiter(perMinute int) *rateLimiter {
	return &rateLimiter{perMinute: float64(perMinute), buckets: map[string]*bucket{}}
}

// allow takes a token for addr at now; when there is none it says how long
// until there is.
func (r *rateLimiter) allow(addr string, now time.Time) (bool, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[addr]
	if b == nil {
		if len(r.buckets) >= maxBuckets {
			r.pruneLocked(now)
		}
		b = &bucket{tokens: r.perMinute, last: now}
		r.buckets[addr] = b
	}
	r.refillLocked(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / r.perMinute * float64(time.Minute))
	return false, wait.Round(time.Second) + time.Second
}

func (r *rateLimiter) refillLocked(b *bucket, now time.Time) {
	if now.After(b.last) {
		b.tokens = min(r.perMinute, b.tokens+now.Sub(b.last).Minutes()*r.perMinute)
		b.last = now
	}
}

func (r *rateLimiter) pruneLocked(now time.Time) {
	for k, b := range r.buckets {
		r.refillLocked(b, now)
		if b.tokens >= r.perMinute {
			delete(r.buckets, k)
		}
	}
	if len(r.buckets) >= maxBuckets { // a flood from many addresses: start over
		clear(r.buckets)
	}
}

// ctxRateLimited marks a connection over its address's limit; the value is
// the time until it may retry.
type ctxRateLimitedKey struct{}

var ctxRateLimited = ctxRateLimitedKey{}

// onConn counts every new connection against its address. One over the
// limit is still greeted, so the client can be told why (the banner), and
// every way to log in then fails.
func (ds *drillServer) onConn(ctx ssh.Context, conn net.Conn) net.Conn {
	addr := hostOf(conn.RemoteAddr())
	if ok, wait := ds.limiter.allow(addr, time.Now()); !ok {
		ctx.SetValue(ctxRateLimited, wait)
		ds.log.printf("refused a connection from %s: more than %d a minute", addr, ds.cfg.ratePerMinute)
	}
	return conn
}

func rateLimited(ctx ssh.Context) bool {
	_, ok := ctx.Value(ctxRateLimited).(time.Duration)
	return ok
}

// banner is shown by the client before it logs in: only a refused
// connection gets one.
func (ds *drillServer) banner(ctx ssh.Context) string {
	if wait, ok := ctx.Value(ctxRateLimited).(time.Duration); ok {
		return fmt.Sprintf("reclaim serve: too many connections from %s (at most %d a minute); try again in %s.\r\n", hostOf(ctx.RemoteAddr()), ds.cfg.ratePerMinute, wait)
	}
	return ""
}

// hostOf is the address without its port.
func hostOf(a net.Addr) string {
	if a == nil {
		return "unknown"
	}
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}
