package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bounds on single answers, shared by the HTTP adapters.
const (
	// DefaultMaxBody caps one response body (success or error).
	DefaultMaxBody = 8 << 20
	// FreeBody is how much of a body is read without a large-body slot:
	// every ordinary answer fits.
	FreeBody = 512 << 10
	// LargeBodies is how many bodies larger than FreeBody one client reads
	// (and decodes) at once; the others wait their turn. With 24 requests in
	// flight that bounds bodies to 24 × 512 KiB + 8 MiB. Real answers are
	// far smaller than FreeBody (a page of 1,000 messages is about 250 KiB).
	LargeBodies = 1
	// MaxHeaderBytes caps a response's headers.
	MaxHeaderBytes = 64 << 10
	// MaxRetryWait is the longest reclaim waits by itself for a rate limit
	// (Retry-After or a reset time); a longer one fails the call with
	// ErrRateLimited, its RetryAfter saying how long the provider asked for.
	MaxRetryWait = 60 * time.Second
	// MaxReportedWait caps the RetryAfter reclaim reports: a provider
	// asking for more than a day is reported as a day.
	MaxReportedWait = 24 * time.Hour
)

// ErrBodyTooLarge is returned by BodyGate.Read for a body over its cap.
var ErrBodyTooLarge = errors.New("the answer is too large")

// BodyGate bounds the memory a client's response bodies take at once: any
// body may grow to FreeBody; one that grows past it waits for one of a few
// large-body slots, held until the caller has decoded it (release). A
// waiting reader holds no slot, so readers never deadlock.
type BodyGate struct{ large chan struct{} }

// NewBodyGate returns a gate with n large-body slots (LargeBodies if n <= 0).
func NewBodyGate(n int) *BodyGate {
	if n <= 0 {
		n = LargeBodies
	}
	return &BodyGate{large: make(chan struct{}, n)}
}

// Read reads r to its end, at most limit bytes: a longer body fails with an
// error matching ErrBodyTooLarge after reading limit+1 bytes, or at once
// when size (the Content-Length, which net/http enforces; -1 unknown) says
// so. ctx bounds the wait for a slot; the reads themselves are bounded by
// the request's own context. release must be called once the data is no
// longer needed (it is never nil).
func (g *BodyGate) Read(ctx context.Context, r io.Reader, size, limit int64) (data []byte, release func(), err error) {
	release = func() {}
	tooLarge := fmt.Errorf("%w: larger than %s", ErrBodyTooLarge, sizeName(limit))
	if size > limit {
		return nil, release, tooLarge
	}
	free := min(int64(FreeBody), limit)
	first := min(free, 32<<10)
	if size >= 0 {
		first = min(free, size+1)
	}
	buf, eof, err := fill(r, make([]byte, 0, max(first, 512)), free)
	if err != nil || eof {
		return buf, release, err
	}
	if free < limit {
		select {
		case g.large <- struct{}{}:
		case <-ctx.Done():
			return nil, release, ctx.Err()
		}
		release = func() { <-g.large }
		if size >= 0 && int64(cap(buf)) < size {
			nb := make([]byte, len(buf), size)
			copy(nb, buf)
			buf = nb
		}
		buf, eof, err = fill(r, buf, limit)
		if err != nil {
			release()
			return nil, func() {}, err
		}
		if eof {
			return buf, release, nil
		}
	}
	// limit bytes read: one more means too large.
	var one [1]byte
	for {
		m, err := r.Read(one[:])
		switch {
		case m > 0:
			release()
			return nil, func() {}, tooLarge
		case err == io.EOF:
			return buf, release, nil
		case err != nil:
			release()
			return nil, func() {}, err
		}
	}
}

// fill appends from r to buf until EOF (eof true) or len(buf) reaches n,
// growing the buffer by doubling, never past n.
func fill(r io.Reader, buf []byte, n int64) (_ []byte, eof bool, err error) {
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grow := min(max(int64(cap(buf)), 32<<10), n-int64(len(buf)))
			nb := make([]byte, len(buf), int64(len(buf))+grow)
			copy(nb, buf)
			buf = nb
		}
		m, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, false, nil
}

func sizeName(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ParseRetryAfter reads a Retry-After header (seconds or an HTTP date),
// capped at MaxReportedWait so that a huge value cannot overflow; 0 when
// absent or unreadable.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n >= int64(MaxReportedWait/time.Second) {
			return MaxReportedWait
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), MaxReportedWait)
	}
	return 0
}

// RedirectMessage describes a redirect reclaim refused to follow: the key
// would travel with it. Location is the provider's; only its host is named,
// sanitized.
func RedirectMessage(providerName string, status int, location string, base *url.URL) string {
	host := ""
	if u, err := url.Parse(strings.TrimSpace(location)); err == nil {
		if base != nil {
			u = base.ResolveReference(u)
		}
		host = u.Host
	}
	switch {
	case host == "":
		return fmt.Sprintf("%s answered with a redirect (%d) and no usable location; reclaim does not follow redirects", providerName, status)
	case base != nil && strings.EqualFold(host, base.Host):
		return fmt.Sprintf("%s answered with a redirect (%d) within %s; reclaim does not follow redirects", providerName, status, SanitizeN(host, 80))
	}
	return fmt.Sprintf("%s answered with a redirect (%d) to another host (%s); reclaim does not follow redirects, so the credential was not sent there", providerName, status, SanitizeN(host, 80))
}

// NewTransport is an HTTP transport for provider APIs: the default one, with
// capped response headers and conns connections per host (0: no cap).
func NewTransport(conns int) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxResponseHeaderBytes = MaxHeaderBytes
	if conns > 0 {
		tr.MaxIdleConnsPerHost = conns
		tr.MaxConnsPerHost = conns
	}
	tr.Proxy = http.ProxyFromEnvironment
	return tr
}

// NoRedirect is an http.Client CheckRedirect that follows no redirect: the
// 3xx answer comes back as it is, and the credential never travels to the
// host it names.
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
