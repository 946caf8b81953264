package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RateHeaders names a provider's rate-limit response headers ("" = not sent).
type RateHeaders struct {
	Limit, Remaining, Reset string
	// ResetEpoch: Reset holds a Unix time in seconds (SendGrid); otherwise
	// seconds from now (most others).
	ResetEpoch bool
}

// HTTPOptions configures an HTTPClient. Zero values get safe defaults.
type HTTPOptions struct {
	Name    string // display name for messages: "Mailgun"
	BaseURL string // checked with CheckBaseURL (https, or http to loopback only)
	// Auth sets the credential on every request (Basic auth, Bearer,
	// X-Postmark-Server-Token, api-key header, ...).
	Auth func(*http.Request)
	// ErrorMessage extracts the provider's own error text from an error body
	// ("" if none); the client sanitizes and clips it (SanitizeN(…, 300)).
	ErrorMessage func(body []byte) string
	Rate         RateHeaders // feeds the shared limiter (never bursts into 429s)
	// Retries is how many extra attempts an idempotent call gets after a
	// 5xx or a failed connection (default 2; negative: none).
	Retries int
	// RateRetries is how many 429s one call waits out, when the wait is
	// short (default 3; negative: none).
	RateRetries int
	// Backoff is the first retry wait (default 500ms), doubled each time,
	// with jitter.
	Backoff time.Duration
	// AttemptTimeout bounds one attempt including reading the body (default
	// 30s); a timed-out attempt is not retried.
	AttemptTimeout time.Duration
	// MaxRateWait is the longest total wait for rate limits in one call
	// (default MaxRetryWait, 60s); a longer one fails the call at once with
	// ErrRateLimited and its RetryAfter.
	MaxRateWait time.Duration
	// MaxBody caps one response body (default DefaultMaxBody, 8 MiB), read
	// through a BodyGate.
	MaxBody int64
	// Conns is the most connections per host, and the most requests in
	// flight (default 4).
	Conns     int
	UserAgent string // default "reclaim (account recovery)"
	Now       func() time.Time
	// HTTPClient is for tests only; default: NewTransport(Conns) and
	// NoRedirect. Redirects are refused whatever its CheckRedirect says.
	HTTPClient *http.Client
	// Refine may adjust the typed error of a non-2xx answer (e.g. SendGrid
	// fills Scope for a 403 from its route table). Optional.
	Refine func(r *Request, status int, hdr http.Header, body []byte, e *Error)
}

// DefaultUserAgent is the User-Agent of every provider request.
const DefaultUserAgent = "reclaim (account recovery)"

// Request is one API call.
type Request struct {
	Op     string // what reclaim was doing, for errors: "list API keys"
	Method string // GET, POST, ...
	Path   string // joined to the base URL's path: "/v3/api_keys" (already escaped)
	Route  string // optional path template ("/v3/api_keys/{id}") for Refine/messages
	Query  url.Values
	JSON   any        // JSON body (Content-Type: application/json), or
	Form   url.Values // form body (application/x-www-form-urlencoded; Twilio, Mailgun)
	// Multipart is a form body sent as multipart/form-data (fields only, no
	// files), for endpoints whose spec accepts only that (Mailgun's writes).
	Multipart url.Values
	Header    http.Header // extra headers (e.g. SendGrid "on-behalf-of")
	// Idempotent: retried after 5xx/connection failures. Zero value: true for
	// GET, HEAD, PUT, DELETE, OPTIONS; false for POST, PATCH. Set NotIdempotent
	// to force false for e.g. a DELETE that must never repeat.
	NotIdempotent   bool
	ForceIdempotent bool // a POST that is a pure read (SendGrid POST /v3/logs)
	// Auth overrides the client's Auth for this call (VerifyKey with another secret).
	Auth func(*http.Request)
}

// Idempotent reports whether r may be sent again after a 5xx or a failed
// connection. NotIdempotent wins over ForceIdempotent.
func (r *Request) Idempotent() bool {
	switch {
	case r.NotIdempotent:
		return false
	case r.ForceIdempotent:
		return true
	}
	switch strings.ToUpper(r.method()) {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func (r *Request) method() string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// what names the call in messages: method and route (or path, without
// its query).
func (r *Request) what() string {
	p := r.Route
	if p == "" {
		p, _, _ = strings.Cut(r.Path, "?")
	}
	return r.method() + " " + SanitizeN(p, 100)
}

// HTTPClient is the transport every HTTP provider adapter shares: base URL
// (https, or http to loopback only), auth, a bounded pool, the rate limiter,
// retries only where safe, body caps, no redirects, and typed, sanitized
// errors. It is safe for concurrent use.
type HTTPClient struct {
	o    HTTPOptions
	base *url.URL
	pre  string // base URL without a trailing slash, the prefix of every target
	hc   *http.Client
	gate *BodyGate
	lim  *rateLimiter
	sem  chan struct{}

	waited atomic.Int64 // nanoseconds spent waiting for rate limits

	hookMu sync.RWMutex
	hook   func(time.Duration)
}

// NewHTTPClient checks o.BaseURL and fills the defaults.
func NewHTTPClient(o HTTPOptions) (*HTTPClient, error) {
	base, err := CheckBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if base.User != nil {
		return nil, fmt.Errorf("base URL must not carry a user name or password")
	}
	base.RawQuery, base.Fragment = "", ""
	if o.Name == "" {
		o.Name = "The provider"
	}
	if o.Retries == 0 {
		o.Retries = 2
	}
	o.Retries = max(o.Retries, 0)
	if o.RateRetries == 0 {
		o.RateRetries = 3
	}
	o.RateRetries = max(o.RateRetries, 0)
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 30 * time.Second
	}
	if o.MaxRateWait <= 0 {
		o.MaxRateWait = MaxRetryWait
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Conns <= 0 {
		o.Conns = 4
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var hc *http.Client
	if o.HTTPClient != nil {
		cp := *o.HTTPClient
		hc = &cp
	} else {
		hc = &http.Client{Transport: NewTransport(o.Conns)}
	}
	// Never follow a redirect: the credential would go with it, possibly to
	// another host. The 3xx comes back as an error naming the host.
	hc.CheckRedirect = NoRedirect
	return &HTTPClient{
		o:    o,
		base: base,
		pre:  strings.TrimRight(base.String(), "/"),
		hc:   hc,
		gate: NewBodyGate(0),
		lim:  newRateLimiter(o.Rate, o.Now),
		sem:  make(chan struct{}, o.Conns),
	}, nil
}

// Base is the checked base URL (a copy).
func (c *HTTPClient) Base() *url.URL {
	u := *c.base
	return &u
}

// Options are the options in use, defaults filled in (HTTPClient and the
// funcs as given).
func (c *HTTPClient) Options() HTTPOptions { return c.o }

// RateWaited reports how long rate limits made calls wait in total (for
// audits' summaries).
func (c *HTTPClient) RateWaited() time.Duration { return time.Duration(c.waited.Load()) }

// OnRateLimit sets a function told of every wait for a rate limit before it
// starts (provider.RateLimitNotifier); nil removes it.
func (c *HTTPClient) OnRateLimit(fn func(wait time.Duration)) {
	c.hookMu.Lock()
	c.hook = fn
	c.hookMu.Unlock()
}

func (c *HTTPClient) notify(d time.Duration) {
	c.hookMu.RLock()
	fn := c.hook
	c.hookMu.RUnlock()
	if fn != nil {
		fn(d)
	}
}

// target builds the request URL: the base URL, r.Path and r.Query.
func (c *HTTPClient) target(r *Request) (string, error) {
	p := r.Path
	if p != "" && !strings.HasPrefix(p, "/") {
		// Without the slash, "@evil.example" would become the host.
		p = "/" + p
	}
	if strings.ContainsAny(p, "#\\") || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", fmt.Errorf("the path %q is not a clean URL path", SanitizeN(p, 100))
	}
	t := c.pre + p
	if len(r.Query) > 0 {
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		t += sep + r.Query.Encode()
	}
	u, err := url.Parse(t)
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host || u.User != nil {
		return "", fmt.Errorf("the path %q leaves the API", SanitizeN(p, 100))
	}
	return t, nil
}

// encodeBody returns the request body and its content type.
func encodeBody(r *Request) ([]byte, string, error) {
	n := 0
	for _, set := range []bool{r.JSON != nil, r.Form != nil, r.Multipart != nil} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return nil, "", errors.New("a request has one body: JSON, a form or a multipart form")
	case r.Multipart != nil:
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		keys := make([]string, 0, len(r.Multipart))
		for k := range r.Multipart {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range r.Multipart[k] {
				if err := w.WriteField(k, v); err != nil {
					return nil, "", err
				}
			}
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), w.FormDataContentType(), nil
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		return b, "application/json", err
	case r.Form != nil:
		return []byte(r.Form.Encode()), "application/x-www-form-urlencoded", nil
	}
	return nil, "", nil
}

// Do sends r. On a 2xx it calls use(status, body) while the body holds its
// body-gate slot (use must not keep body; nil use = ignore the body) and
// returns use's error (a non-*Error from use is wrapped as ErrUnavailable
// "malformed answer"). On anything else it returns a *Error:
//
//	3xx -> ErrUnavailable with RedirectMessage (never followed: the credential never travels)
//	401 -> ErrBadCredentials, 403 -> ErrPermission, 404 -> ErrNotFound,
//	400/409/422 -> ErrInvalid, 429 -> ErrRateLimited (RetryAfter from Retry-After or the Reset header,
//	waited out and retried for every method when within MaxRateWait),
//	5xx and others -> ErrUnavailable (retried only when idempotent),
//	body over MaxBody -> ErrUnavailable "the answer is larger than 8 MiB; refusing to read it",
//	timeout -> ErrUnavailable "no complete answer within 30s".
//
// Error.Message is the provider's text through ErrorMessage, sanitized and
// clipped. Errors never contain the credential or the URL's query.
func (c *HTTPClient) Do(ctx context.Context, r Request, use func(status int, body []byte) error) error {
	r.Method = strings.ToUpper(r.method())
	fail := func(kind error, status int, err error) error {
		return &Error{Kind: kind, Op: r.Op, Status: status, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail(ErrUnavailable, 0, err)
	}
	target, err := c.target(&r)
	if err != nil {
		return fail(ErrInvalid, 0, err)
	}
	body, ctype, err := encodeBody(&r)
	if err != nil {
		return fail(ErrInvalid, 0, err)
	}
	defer clear(body) // it may hold a password or a key
	idem := r.Idempotent()
	backoff := c.o.Backoff
	retries, rateRetries := 0, 0
	// All the rate-limit waits of one call together stay within MaxRateWait.
	waitUntil := c.o.Now().Add(c.o.MaxRateWait)
	for {
		a := c.attempt(ctx, &r, target, body, ctype, waitUntil.Sub(c.o.Now()))
		if a.err == nil && a.status >= 200 && a.status < 300 {
			var uerr error
			if use != nil {
				uerr = use(a.status, a.data)
			}
			a.release()
			if uerr == nil {
				return nil
			}
			if pe := (*Error)(nil); errors.As(uerr, &pe) {
				return uerr
			}
			return &Error{Kind: ErrUnavailable, Op: r.Op, Status: a.status,
				Message: fmt.Sprintf("%s sent a malformed answer to %s", c.o.Name, r.what()), Err: uerr}
		}
		a.release()
		if ctx.Err() != nil {
			return fail(ErrUnavailable, a.status, ctx.Err())
		}
		if a.err != nil {
			var rw *rateWaitError
			switch {
			case errors.Is(a.err, ErrBodyTooLarge):
				return fail(ErrUnavailable, a.status, fmt.Errorf("the answer is larger than %s; refusing to read it", sizeName(c.o.MaxBody)))
			case errors.As(a.err, &rw):
				return &Error{Kind: ErrRateLimited, Op: r.Op, Status: http.StatusTooManyRequests, RetryAfter: min(rw.wait, MaxReportedWait), Err: a.err}
			}
			// Transport failure. A timeout is not retried: an attempt that
			// got no complete answer within AttemptTimeout is a provider
			// holding answers back (a slow first byte, a trickling body), not
			// a transient 5xx, and retrying would hold the caller for
			// (Retries+1) × AttemptTimeout per request.
			if idem && retries < c.o.Retries && !errors.Is(a.err, errTimedOut) {
				retries++
				if err := sleep(ctx, backoff+jitter(backoff*5)); err != nil {
					return fail(ErrUnavailable, 0, err)
				}
				backoff *= 2
				continue
			}
			return fail(ErrUnavailable, a.status, a.err)
		}
		switch {
		case a.status == http.StatusTooManyRequests:
			// The provider did not process the request: waiting out the
			// reset and sending it again is safe for every method. The
			// limiter does the waiting (attempt told it of the 429).
			ra := c.o.Rate.RetryAfter(a.hdr, c.o.Now())
			if rateRetries < c.o.RateRetries && ra <= waitUntil.Sub(c.o.Now()) {
				rateRetries++
				continue
			}
		case a.status >= 500 && idem && retries < c.o.Retries:
			retries++
			wait := backoff + jitter(backoff*5)
			if ra := ParseRetryAfter(a.hdr.Get("Retry-After"), c.o.Now()); ra > wait && ra <= waitUntil.Sub(c.o.Now()) {
				wait = ra
			}
			if err := sleep(ctx, wait); err != nil {
				return fail(ErrUnavailable, 0, err)
			}
			backoff *= 2
			continue
		}
		return c.statusError(&r, a.status, a.hdr, a.data)
	}
}

// answer is one attempt's outcome.
type answer struct {
	status  int
	hdr     http.Header
	data    []byte
	release func()
	err     error
}

// attempt sends one request through the pool and the limiter. maxWait
// bounds the wait for the rate limit. The body is read within the attempt's
// deadline (a trickling answer cannot outlive it) and through the client's
// body gate; release frees its slot once the caller is done with data.
func (c *HTTPClient) attempt(ctx context.Context, r *Request, target string, body []byte, ctype string, maxWait time.Duration) (a answer) {
	a.release = func() {}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		a.err = ctx.Err()
		return a
	}
	defer func() { <-c.sem }()
	waited, err := c.lim.acquire(ctx, min(maxWait, c.o.MaxRateWait), c.notify)
	c.waited.Add(int64(waited))
	if err != nil {
		a.err = err
		return a
	}
	limited := false
	var backoff time.Duration
	defer func() { c.lim.release(a.hdr, limited, backoff) }()

	actx, cancel := context.WithTimeout(ctx, c.o.AttemptTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, target, rd)
	if err != nil {
		a.err = errors.New("the request could not be built")
		return a
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.o.UserAgent)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	auth := c.o.Auth
	if r.Auth != nil {
		auth = r.Auth
	}
	if auth != nil {
		auth(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		a.err = c.attemptError(ctx, actx, err)
		return a
	}
	defer resp.Body.Close()
	a.status, a.hdr = resp.StatusCode, resp.Header
	if limited = resp.StatusCode == http.StatusTooManyRequests; limited {
		backoff = c.o.Rate.RetryAfter(resp.Header, c.o.Now())
		if backoff == 0 {
			backoff = c.o.Backoff
		}
	}
	a.data, a.release, err = c.gate.Read(actx, resp.Body, resp.ContentLength, c.o.MaxBody)
	if err != nil {
		// Closing the body unread drops the connection.
		a.err = c.attemptError(ctx, actx, err)
	}
	return a
}

// errTimedOut marks an attempt that timed out (errors.Is): it is not
// retried.
var errTimedOut = errors.New("timed out")

// attemptError is an attempt's transport or body-read failure: one that
// ended because the attempt's own deadline passed (the caller's context
// still live) says it got no complete answer within AttemptTimeout.
func (c *HTTPClient) attemptError(ctx, actx context.Context, err error) error {
	if errors.Is(err, ErrBodyTooLarge) {
		return err
	}
	if actx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("%w: no complete answer within %s", errTimedOut, c.o.AttemptTimeout)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Drop the URL (it may carry a query) and keep the cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %w", errTimedOut, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the answer was cut off")
	}
	return err
}

// statusError maps a non-2xx answer to a *Error.
func (c *HTTPClient) statusError(r *Request, status int, hdr http.Header, data []byte) error {
	e := &Error{Op: r.Op, Status: status}
	if c.o.ErrorMessage != nil && len(data) > 0 {
		e.Message = SanitizeN(strings.TrimSpace(redact(c.o.ErrorMessage(data), r.Auth, c.o.Auth)), 300)
	}
	switch {
	case status >= 300 && status < 400:
		e.Kind = ErrUnavailable
		e.Message = RedirectMessage(c.o.Name, status, hdr.Get("Location"), c.base)
	case status == http.StatusUnauthorized:
		e.Kind = ErrBadCredentials
	case status == http.StatusForbidden:
		e.Kind = ErrPermission
	case status == http.StatusNotFound:
		e.Kind = ErrNotFound
	case status == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.RetryAfter = c.o.Rate.RetryAfter(hdr, c.o.Now())
		if e.RetryAfter > c.o.MaxRateWait {
			e.Message = strings.TrimPrefix(e.Message+"; ", "; ") + fmt.Sprintf("%s asks to wait %s; reclaim waits at most %s by itself",
				c.o.Name, e.RetryAfter.Round(time.Second), c.o.MaxRateWait)
		}
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusConflict:
		e.Kind = ErrInvalid
	default:
		e.Kind = ErrUnavailable
	}
	if c.o.Refine != nil {
		c.o.Refine(r, status, hdr, data, e)
	}
	return e
}

// redact replaces, in a provider's error text, every credential the auth
// funcs set (a header value, a bearer token, a Basic password): a provider
// echoing the credential must not put it on the screen.
func redact(msg string, auths ...func(*http.Request)) string {
	if msg == "" {
		return msg
	}
	for _, auth := range auths {
		if auth == nil {
			continue
		}
		req, err := http.NewRequest(http.MethodGet, "https://auth.invalid/", nil)
		if err != nil {
			continue
		}
		auth(req)
		var secrets []string
		for _, vs := range req.Header {
			for _, v := range vs {
				secrets = append(secrets, v)
				scheme, rest, ok := strings.Cut(v, " ")
				if !ok {
					continue
				}
				secrets = append(secrets, rest)
				if strings.EqualFold(scheme, "Basic") {
					if b, err := base64.StdEncoding.DecodeString(rest); err == nil {
						_, pass, _ := strings.Cut(string(b), ":")
						secrets = append(secrets, pass)
					}
				}
			}
		}
		for _, vs := range req.URL.Query() {
			secrets = append(secrets, vs...)
		}
		for _, s := range secrets {
			if len(s) >= 6 {
				msg = strings.ReplaceAll(msg, s, "[credential]")
			}
		}
		break // the first auth given is the one used
	}
	return msg
}

// GetJSON reads path (with query q) and decodes its JSON answer into out
// (an empty answer leaves out alone).
func (c *HTTPClient) GetJSON(ctx context.Context, op, path string, q url.Values, out any) error {
	return c.Do(ctx, Request{Op: op, Method: http.MethodGet, Path: path, Query: q}, func(_ int, body []byte) error {
		if out == nil || len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		return DecodeJSON(op, c.o.Name, body, out)
	})
}

// DecodeJSON parses a JSON body into out; malformed JSON is a *Error
// (ErrUnavailable) such as "Mailgun sent malformed JSON (N bytes): syntax
// error at byte K".
func DecodeJSON(op, name string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return MalformedJSON(op, name, len(body), err)
	}
	return nil
}

// MalformedJSON is the error for a body of size bytes that err could not
// decode.
func MalformedJSON(op, name string, size int, err error) error {
	return &Error{Kind: ErrUnavailable, Op: op, Err: fmt.Errorf("%s sent malformed JSON (%d bytes): %s", name, size, JSONProblem(err))}
}

// JSONProblem says briefly what is wrong with a JSON document, never
// quoting it.
func JSONProblem(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end") {
		return "the answer ends early (truncated)"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s has the wrong type (%s)", SanitizeN(te.Field, 80), SanitizeN(te.Value, 40))
	}
	return SanitizeN(err.Error(), 120)
}

// SameOrigin resolves a next-page link the provider returned (absolute URL or
// path) and refuses one on another scheme/host/port than the base URL, with
// user info, or outside the base URL's path: a hostile "next" link must never
// receive the credential. Returns path (escaped, relative to the base URL's
// path, as Request.Path wants it) and query split for a Request.
func (c *HTTPClient) SameOrigin(link string) (path string, q url.Values, err error) {
	link = strings.TrimSpace(link)
	refuse := func(why string) (string, url.Values, error) {
		return "", nil, fmt.Errorf("%s sent a next-page link %s; reclaim does not follow it", c.o.Name, why)
	}
	if link == "" {
		return refuse("that is empty")
	}
	if strings.ContainsAny(link, "\\") || strings.ContainsFunc(link, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return refuse("with unsafe characters")
	}
	u, err := url.Parse(link)
	if err != nil {
		return refuse("that is not a URL")
	}
	if u.User != nil {
		return refuse("with a user name in it")
	}
	// A relative link is relative to the API's root (the base URL as a
	// directory).
	root := *c.base
	root.Path = strings.TrimRight(root.Path, "/") + "/"
	root.RawPath = ""
	u = root.ResolveReference(u)
	if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(hostPort(u), hostPort(c.base)) || u.Opaque != "" {
		return refuse("to another host (" + SanitizeN(u.Host, 80) + ")")
	}
	p := u.EscapedPath()
	bp := strings.TrimRight(c.base.EscapedPath(), "/")
	if bp != "" {
		if p != bp && !strings.HasPrefix(p, bp+"/") {
			return refuse("outside the API")
		}
		p = strings.TrimPrefix(p, bp)
	}
	q, err = url.ParseQuery(u.RawQuery)
	if err != nil {
		return refuse("with a malformed query")
	}
	return p, q, nil
}

// hostPort is u's host with the scheme's default port made explicit.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
