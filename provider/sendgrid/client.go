package sendgrid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"reclaim/provider"
)

func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Transport: provider.NewTransport(conns),
		// Never follow a redirect: the key would go with it, possibly to
		// another host. The 3xx comes back as an error naming the host.
		CheckRedirect: provider.NoRedirect,
	}
}

// call is one API request.
type call struct {
	op     string // what reclaim was doing, for errors: "list API keys"
	method string
	route  string     // the spec's path template, e.g. "/v3/api_keys/{api_key_id}" (scope table key)
	path   string     // the concrete path
	query  url.Values // optional
	body   any        // JSON request body, or nil
	// onBehalfOf names the subuser to act as ("" for the account itself).
	onBehalfOf string
	// idempotent calls are retried after a 5xx or a failed connection
	// (never after a timeout: see do).
	idempotent bool
	// key overrides the client's key (VerifyKey).
	key string
}

// do sends c, retrying as its kind allows, and decodes a 2xx JSON body into
// out (nil: ignore the body; a func([]byte) error: hand it the raw body,
// which must not be kept). It returns the HTTP status.
func (c *Client) do(ctx context.Context, k call, out any) (int, error) {
	var body []byte
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return 0, &provider.Error{Kind: provider.ErrInvalid, Op: k.op, Err: err}
		}
		body = b
		defer clear(body) // it may hold a password
	}
	target := c.base + k.path
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}
	backoff := c.opts.Backoff
	retries, rateRetries := 0, 0
	// All the rate-limit waits of one call together stay within MaxRateWait.
	waitUntil := c.opts.Now().Add(c.opts.MaxRateWait)
	for {
		status, hdr, data, release, err := c.attempt(ctx, k, target, body, waitUntil.Sub(c.opts.Now()))
		if err == nil && status >= 200 && status < 300 {
			var derr error
			if out != nil && status != http.StatusNoContent && len(bytes.TrimSpace(data)) > 0 {
				if f, ok := out.(func([]byte) error); ok {
					derr = f(data)
				} else {
					derr = json.Unmarshal(data, out)
				}
			}
			release()
			if derr != nil {
				var pe *provider.Error
				if errors.As(derr, &pe) {
					return status, derr
				}
				return status, &provider.Error{Kind: provider.ErrUnavailable, Op: k.op, Status: status,
					Message: fmt.Sprintf("SendGrid sent malformed JSON for %s %s", k.method, k.route), Err: jsonErr(derr)}
			}
			return status, nil
		}
		release()
		if ctx.Err() != nil {
			return status, &provider.Error{Kind: provider.ErrUnavailable, Op: k.op, Err: ctx.Err()}
		}
		if err != nil {
			var rw *rateWaitError
			switch {
			case errors.Is(err, provider.ErrBodyTooLarge):
				return status, &provider.Error{Kind: provider.ErrUnavailable, Op: k.op, Status: status, Err: &bodyTooLargeError{route: k.method + " " + k.route, max: c.opts.MaxBody}}
			case errors.As(err, &rw):
				return 0, &provider.Error{Kind: provider.ErrRateLimited, Op: k.op, Status: http.StatusTooManyRequests, RetryAfter: min(rw.wait, provider.MaxReportedWait), Err: err}
			}
			// Transport failure. A timeout is not retried: an attempt that
			// got no complete answer within RequestTimeout is a provider
			// holding answers back (a slow first byte, a trickling body), not
			// a transient 5xx, and retrying would hold the audit for
			// (Retries+1) × RequestTimeout per request.
			if k.idempotent && retries < c.opts.Retries && !errors.Is(err, errTimedOut) {
				retries++
				if err := sleep(ctx, backoff+jitter(backoff*5)); err != nil {
					return 0, &provider.Error{Kind: provider.ErrUnavailable, Op: k.op, Err: err}
				}
				backoff *= 2
				continue
			}
			return 0, &provider.Error{Kind: provider.ErrUnavailable, Op: k.op, Err: err}
		}
		switch {
		case status == http.StatusTooManyRequests:
			// SendGrid did not process the request: waiting out the reset and
			// sending it again is safe for every method. The limiter waits.
			if rateRetries < c.opts.RateRetries && c.opts.Now().Before(waitUntil) {
				rateRetries++
				continue
			}
		case status >= 500 && k.idempotent && retries < c.opts.Retries:
			retries++
			if err := sleep(ctx, backoff+jitter(backoff*5)); err != nil {
				return 0, &provider.Error{Kind: provider.ErrUnavailable, Op: k.op, Err: err}
			}
			backoff *= 2
			continue
		}
		return status, c.statusError(k, status, hdr, data)
	}
}

// attempt sends one request through the pool and the limiter. maxWait
// bounds the wait for the rate limit. The body is read within the request's
// deadline (a trickling answer cannot outlive it) and through the client's
// body gate; release frees its slot once the caller is done with data.
func (c *Client) attempt(ctx context.Context, k call, target string, body []byte, maxWait time.Duration) (status int, hdr http.Header, data []byte, release func(), err error) {
	release = func() {}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, nil, release, ctx.Err()
	}
	defer func() { <-c.sem }()
	if err := c.lim.acquire(ctx, min(maxWait, c.opts.MaxRateWait), c.notifyWait); err != nil {
		return 0, nil, nil, release, err
	}
	limited := false
	defer func() { c.lim.release(hdr, limited) }()

	actx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, k.method, target, rd)
	if err != nil {
		return 0, nil, nil, release, err
	}
	key := c.key
	if k.key != "" {
		key = k.key
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "reclaim (account recovery)")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.onBehalfOf != "" {
		req.Header.Set("on-behalf-of", k.onBehalfOf)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, release, c.attemptError(ctx, actx, err)
	}
	defer resp.Body.Close()
	hdr = resp.Header
	limited = resp.StatusCode == http.StatusTooManyRequests
	data, release, err = c.gate.Read(actx, resp.Body, resp.ContentLength, c.opts.MaxBody)
	if err != nil {
		// Closing the body unread drops the connection.
		return resp.StatusCode, hdr, nil, release, c.attemptError(ctx, actx, err)
	}
	return resp.StatusCode, hdr, data, release, nil
}

type bodyTooLargeError struct {
	route string
	max   int64
}

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("the response to %s is larger than %d MiB; reclaim stopped reading it", e.route, e.max>>20)
}

// errorBody is SendGrid's error shape (spec ErrorResponse).
type errorBody struct {
	Errors []struct {
		Field   *string `json:"field"`
		Message string  `json:"message"`
	} `json:"errors"`
}

// statusError maps an HTTP failure to a *provider.Error.
func (c *Client) statusError(k call, status int, hdr http.Header, data []byte) error {
	e := &provider.Error{Op: k.op, Status: status, Message: errorMessage(data)}
	switch {
	case status >= 300 && status < 400:
		e.Kind = provider.ErrUnavailable
		base, _ := url.Parse(c.base)
		e.Message = provider.RedirectMessage("SendGrid", status, hdr.Get("Location"), base)
	case status == http.StatusUnauthorized:
		e.Kind = provider.ErrBadCredentials
	case status == http.StatusForbidden:
		e.Kind = provider.ErrPermission
		e.Scope = ScopeFor(k.method, k.route)
	case status == http.StatusNotFound:
		e.Kind = provider.ErrNotFound
	case status == http.StatusTooManyRequests:
		e.Kind = provider.ErrRateLimited
		e.RetryAfter = resetAfter(hdr, c.opts.Now())
		if e.RetryAfter > c.opts.MaxRateWait {
			e.Message = strings.TrimPrefix(e.Message+"; ", "; ") + fmt.Sprintf("SendGrid asks to wait %s; reclaim waits at most %s by itself", e.RetryAfter.Round(time.Second), c.opts.MaxRateWait)
		}
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity || status == http.StatusConflict:
		e.Kind = provider.ErrInvalid
	default:
		e.Kind = provider.ErrUnavailable
	}
	return e
}

// errorMessage extracts "field: message; …" from an error body.
func errorMessage(data []byte) string {
	var eb errorBody
	if json.Unmarshal(data, &eb) != nil || len(eb.Errors) == 0 {
		return ""
	}
	var parts []string
	for _, x := range eb.Errors {
		m := x.Message
		if x.Field != nil && *x.Field != "" {
			m = *x.Field + ": " + m
		}
		if m != "" {
			parts = append(parts, m)
		}
		if len(parts) == 5 {
			break
		}
	}
	return provider.SanitizeN(strings.Join(parts, "; "), 300)
}

// errTimedOut marks an attempt that timed out (errors.Is): it is not
// retried.
var errTimedOut = errors.New("timed out")

// attemptError is an attempt's transport or body-read failure: one that
// ended because the attempt's own deadline passed (the caller's context
// still live) says it got no complete answer within RequestTimeout.
func (c *Client) attemptError(ctx, actx context.Context, err error) error {
	if actx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("%w: no complete answer within %s", errTimedOut, c.opts.RequestTimeout)
	}
	return cleanURLError(err)
}

// cleanURLError drops the URL from a transport error (it is long and says
// nothing the Op does not) and keeps the cause.
func cleanURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %w", errTimedOut, err)
	}
	return err
}

func jsonErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the body ends early (truncated)")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end") {
		return errors.New("the body ends early (truncated)")
	}
	return err
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
