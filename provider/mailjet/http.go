package mailjet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"reclaim/provider"
)

// apiError is Mailjet's v3 error body (v3.1 adds ErrorIdentifier etc.).
type apiError struct {
	ErrorInfo       string `json:"ErrorInfo"`
	ErrorMessage    string `json:"ErrorMessage"`
	StatusCode      int    `json:"StatusCode"`
	ErrorIdentifier string `json:"ErrorIdentifier"`
}

// call is one API request.
type call struct {
	op     string // what reclaim is doing, for errors
	method string
	path   string // under /v3/REST/
	query  url.Values
	body   any
	// auth overrides the client's key pair (VerifyKey).
	key, secret string
}

func (c call) idempotent() bool { return c.method != http.MethodPost }

// do runs a call with retries and hands the raw body of a 2xx answer to
// use (nil: ignore it); use must not keep it. use runs while the body holds
// its slot of the client's body gate, so decoding never piles up.
func (c *Client) do(ctx context.Context, cl call, use func(body []byte) error) error {
	attempts := max(c.MaxAttempts, 1)
	backoff := c.Backoff
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			wait := backoff
			var pe *provider.Error
			if errors.As(last, &pe) && pe.RetryAfter > 0 {
				wait = pe.RetryAfter
			}
			t := time.NewTimer(min(wait, c.MaxRetryAfter, provider.MaxRetryWait))
			select {
			case <-ctx.Done():
				t.Stop()
				return &provider.Error{Kind: provider.ErrUnavailable, Op: cl.op, Err: ctx.Err()}
			case <-t.C:
			}
			backoff *= 2
		}
		err, retry := c.once(ctx, cl, use)
		if err == nil {
			return nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return last
}

// once makes one attempt. retry says whether another attempt is safe and
// useful: rate limits (nothing was done) with a short Retry-After, and
// server errors or failed connections for idempotent calls only. An attempt
// that got no complete answer within AttemptTimeout is not retried: a
// provider holding answers back (a slow first byte, a trickling body) is no
// transient failure, and each retry would hold the caller another
// AttemptTimeout.
// The body is read within the attempt's deadline: a trickling answer cannot
// outlive it.
func (c *Client) once(ctx context.Context, cl call, use func([]byte) error) (err error, retry bool) {
	actx, cancel := context.WithTimeout(ctx, c.AttemptTimeout)
	defer cancel()
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/v3/REST/" + strings.TrimLeft(cl.path, "/")
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	var rd io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return &provider.Error{Kind: provider.ErrInvalid, Op: cl.op, Err: err}, false
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, u.String(), rd)
	if err != nil {
		return &provider.Error{Kind: provider.ErrInvalid, Op: cl.op, Err: err}, false
	}
	key, secret := c.key, c.secret
	if cl.key != "" {
		key, secret = cl.key, cl.secret
	}
	req.SetBasicAuth(key, secret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "reclaim (account recovery)")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// Transport errors carry the URL, never the credential (Basic auth
		// is a header); still, report only the kind of failure.
		timedOut := actx.Err() != nil && ctx.Err() == nil
		var cause error = errors.New("network error")
		switch {
		case timedOut:
			cause = fmt.Errorf("no answer within %s", c.AttemptTimeout)
		case ctx.Err() != nil:
			cause = fmt.Errorf("cancelled: %w", ctx.Err())
		}
		return &provider.Error{Kind: provider.ErrUnavailable, Op: cl.op, Err: cause}, cl.idempotent() && ctx.Err() == nil && !timedOut
	}
	defer resp.Body.Close()
	body, release, err := c.gate().Read(actx, resp.Body, resp.ContentLength, c.MaxBody)
	defer release()
	if errors.Is(err, provider.ErrBodyTooLarge) {
		return &provider.Error{Kind: provider.ErrUnavailable, Op: cl.op, Status: resp.StatusCode, Err: fmt.Errorf("the answer is larger than %s; refusing to read it", sizeName(c.MaxBody))}, false
	}
	if err != nil {
		timedOut := actx.Err() != nil && ctx.Err() == nil
		var cause error = errors.New("the answer was cut off")
		switch {
		case timedOut:
			cause = fmt.Errorf("no complete answer within %s", c.AttemptTimeout)
		case ctx.Err() != nil:
			cause = fmt.Errorf("cancelled: %w", ctx.Err())
		}
		return &provider.Error{Kind: provider.ErrUnavailable, Op: cl.op, Status: resp.StatusCode, Err: cause}, cl.idempotent() && ctx.Err() == nil && !timedOut
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if use != nil {
			return use(body), false
		}
		return nil, false
	}
	serr, retry := c.statusError(cl, resp, body)
	return serr, retry
}

func sizeName(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", max(n>>10, 1))
}

// statusError maps a non-2xx answer to a typed error, and says whether a
// retry is safe.
func (c *Client) statusError(cl call, resp *http.Response, body []byte) (error, bool) {
	pe := &provider.Error{Op: cl.op, Status: resp.StatusCode}
	var ae apiError
	if json.Unmarshal(body, &ae) == nil {
		msg := strings.TrimSpace(ae.ErrorMessage)
		if info := strings.TrimSpace(ae.ErrorInfo); info != "" && info != msg {
			msg = strings.TrimSpace(msg + " " + info)
		}
		pe.Message = provider.SanitizeN(msg, 300)
	}
	retry := false
	switch s := resp.StatusCode; {
	case s >= 300 && s < 400:
		pe.Kind = provider.ErrUnavailable
		pe.Message = provider.RedirectMessage("Mailjet", s, resp.Header.Get("Location"), c.base)
	case s == http.StatusUnauthorized:
		pe.Kind = provider.ErrBadCredentials
	case s == http.StatusForbidden:
		pe.Kind = provider.ErrPermission
	case s == http.StatusNotFound:
		pe.Kind = provider.ErrNotFound
	case s == http.StatusTooManyRequests:
		pe.Kind = provider.ErrRateLimited
		pe.RetryAfter = provider.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		// A rate-limited request was not carried out: retrying is safe for
		// every method, as long as the wait is short.
		wait := min(c.MaxRetryAfter, provider.MaxRetryWait)
		retry = pe.RetryAfter <= wait
		if pe.RetryAfter == 0 {
			pe.RetryAfter = c.Backoff
		}
		if !retry {
			pe.Message = strings.TrimPrefix(pe.Message+"; ", "; ") + fmt.Sprintf("Mailjet asks to wait %s; reclaim waits at most %s by itself", pe.RetryAfter.Round(time.Second), wait)
		}
	case s >= 500:
		pe.Kind = provider.ErrUnavailable
		retry = cl.idempotent()
	case s == http.StatusBadRequest, s == http.StatusConflict, s == http.StatusUnprocessableEntity:
		pe.Kind = provider.ErrInvalid
	default:
		pe.Kind = provider.ErrUnavailable
	}
	return pe, retry
}

// decode parses a JSON body, turning malformed JSON into a clear
// ErrUnavailable.
func decode(op string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return decodeErr(op, len(body), err)
	}
	return nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s has the wrong type (%s)", te.Field, te.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end") {
		return "the answer ends early (truncated)"
	}
	return "it could not be parsed"
}

// get reads a single-object resource (an envelope with one Data element).
func (c *Client) getOne(ctx context.Context, op, path string, out any) error {
	return c.do(ctx, call{op: op, method: http.MethodGet, path: path}, func(body []byte) error {
		var first []json.RawMessage
		first, _, err := provider.DecodeList[json.RawMessage](body, "Data", 1)
		if err != nil {
			return decodeErr(op, len(body), err)
		}
		if len(first) == 0 {
			return &provider.Error{Kind: provider.ErrNotFound, Op: op, Message: "Mailjet returned no record"}
		}
		return decode(op, first[0], out)
	})
}

func decodeErr(op string, size int, err error) error {
	return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Err: fmt.Errorf("Mailjet sent malformed JSON (%d bytes): %s", size, jsonProblem(err))}
}

// list pages through a resource, calling fn with each page's Data decoded
// into a fresh []T, within the section's caps (provider.Limits): it stops at
// the page, item or byte cap, on a page that repeats one already read, and
// when the offset passes a claimed Total that keeps changing; each of those
// returns a *provider.Truncation after the pages handed to fn.
func list[T any](ctx context.Context, c *Client, sec *provider.Section, op, path string, q url.Values, id func(T) string, fn func([]T) error) error {
	limit := c.PageSize
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	lst := sec.Listing()
	offset := 0
	for lst.More() {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("Limit", strconv.Itoa(limit))
		qq.Set("Offset", strconv.Itoa(offset))
		var (
			items   []T
			n, size int
			total   int
		)
		err := c.do(ctx, call{op: op, method: http.MethodGet, path: path, query: qq}, func(body []byte) error {
			size = len(body)
			var err error
			if items, n, err = provider.DecodeList[T](body, "Data", sec.Remaining()); err != nil {
				return decodeErr(op, len(body), err)
			}
			var env struct {
				Total int `json:"Total"`
			}
			if json.Unmarshal(body, &env) == nil {
				total = env.Total
			}
			return nil
		})
		if err != nil {
			// Past the time limit: keep the pages read, truncated.
			if err := sec.Failed(ctx, err); err != nil {
				return err
			}
			return sec.Err()
		}
		var idf func(int) string
		if id != nil {
			idf = func(i int) string { return id(items[i]) }
		}
		keep, more := lst.Page(size, n, len(items), idf)
		if keep > 0 {
			if err := fn(items[:keep]); err != nil {
				return err
			}
		}
		offset += n
		// The end: an empty or short page, or the advertised total reached.
		if n == 0 || n < limit || !more || !lst.Total(offset, total) {
			return sec.Err()
		}
	}
	return sec.Err()
}

// listAll collects every page (within the section's caps: a
// *provider.Truncation comes back with what was read).
func listAll[T any](ctx context.Context, c *Client, sec *provider.Section, op, path string, q url.Values, id func(T) string) ([]T, error) {
	var out []T
	err := list(ctx, c, sec, op, path, q, id, func(p []T) error { out = append(out, p...); return nil })
	return out, err
}

// mjTime is a Mailjet timestamp: RFC 3339 (with or without a zone), a Unix
// number, an empty string or null.
type mjTime struct{ time.Time }

func (t *mjTime) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 0 {
			t.Time = time.Unix(n, 0).UTC()
		}
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if v, err := time.Parse(layout, str); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	// An unknown format is not worth failing a whole listing for.
	return nil
}
