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

// envelope is Mailjet's list and write response.
type envelope struct {
	Count int             `json:"Count"`
	Total int             `json:"Total"`
	Data  json.RawMessage `json:"Data"`
}

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

// do runs a call with retries and returns the raw body of a 2xx answer.
func (c *Client) do(ctx context.Context, cl call) ([]byte, error) {
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
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, &provider.Error{Kind: provider.ErrUnavailable, Op: cl.op, Err: ctx.Err()}
			case <-t.C:
			}
			backoff *= 2
		}
		body, err, retry := c.once(ctx, cl)
		if err == nil {
			return body, nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

// once makes one attempt. retry says whether another attempt is safe and
// useful: rate limits (nothing was done) with a short Retry-After, and
// server errors or timeouts for idempotent calls only.
func (c *Client) once(ctx context.Context, cl call) (body []byte, err error, retry bool) {
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
			return nil, &provider.Error{Kind: provider.ErrInvalid, Op: cl.op, Err: err}, false
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, u.String(), rd)
	if err != nil {
		return nil, &provider.Error{Kind: provider.ErrInvalid, Op: cl.op, Err: err}, false
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
		kind := "network error"
		if actx.Err() != nil && ctx.Err() == nil {
			kind = fmt.Sprintf("no answer within %s", c.AttemptTimeout)
		} else if ctx.Err() != nil {
			kind = "cancelled"
		}
		return nil, &provider.Error{Kind: provider.ErrUnavailable, Op: cl.op, Err: errors.New(kind)}, cl.idempotent() && ctx.Err() == nil
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, c.MaxBody+1))
	if err != nil {
		timedOut := actx.Err() != nil && ctx.Err() == nil
		msg := "the answer was cut off"
		if timedOut {
			msg = fmt.Sprintf("no complete answer within %s", c.AttemptTimeout)
		}
		return nil, &provider.Error{Kind: provider.ErrUnavailable, Op: cl.op, Status: resp.StatusCode, Err: errors.New(msg)}, cl.idempotent() && ctx.Err() == nil
	}
	if int64(len(body)) > c.MaxBody {
		return nil, &provider.Error{Kind: provider.ErrUnavailable, Op: cl.op, Status: resp.StatusCode, Err: fmt.Errorf("the answer is larger than %d MiB; refusing to read it", c.MaxBody>>20)}, false
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, nil, false
	}
	serr, retry := c.statusError(cl, resp, body)
	return nil, serr, retry
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
	case s == http.StatusUnauthorized:
		pe.Kind = provider.ErrBadCredentials
	case s == http.StatusForbidden:
		pe.Kind = provider.ErrPermission
	case s == http.StatusNotFound:
		pe.Kind = provider.ErrNotFound
	case s == http.StatusTooManyRequests:
		pe.Kind = provider.ErrRateLimited
		pe.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
		// A rate-limited request was not carried out: retrying is safe for
		// every method, as long as the wait is short.
		retry = pe.RetryAfter <= c.MaxRetryAfter
		if pe.RetryAfter == 0 {
			pe.RetryAfter = c.Backoff
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

func retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// decode parses a JSON body, turning malformed JSON into a clear
// ErrUnavailable.
func decode(op string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Err: fmt.Errorf("Mailjet sent malformed JSON (%d bytes): %s", len(body), jsonProblem(err))}
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
	body, err := c.do(ctx, call{op: op, method: http.MethodGet, path: path})
	if err != nil {
		return err
	}
	var env envelope
	if err := decode(op, body, &env); err != nil {
		return err
	}
	var items []json.RawMessage
	if err := decode(op, env.Data, &items); err != nil {
		return err
	}
	if len(items) == 0 {
		return &provider.Error{Kind: provider.ErrNotFound, Op: op, Message: "Mailjet returned no record"}
	}
	return decode(op, items[0], out)
}

// maxPages bounds a listing against a server that never stops paging.
const maxPages = 100000

// list pages through a resource to its end, calling fn with each page's
// Data decoded into a fresh *[]T.
func list[T any](ctx context.Context, c *Client, op, path string, q url.Values, fn func([]T) error) error {
	limit := c.PageSize
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	offset := 0
	for page := 0; page < maxPages; page++ {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("Limit", strconv.Itoa(limit))
		qq.Set("Offset", strconv.Itoa(offset))
		body, err := c.do(ctx, call{op: op, method: http.MethodGet, path: path, query: qq})
		if err != nil {
			return err
		}
		var env envelope
		if err := decode(op, body, &env); err != nil {
			return err
		}
		var items []T
		if len(env.Data) > 0 && string(env.Data) != "null" {
			if err := decode(op, env.Data, &items); err != nil {
				return err
			}
		}
		if len(items) > 0 {
			if err := fn(items); err != nil {
				return err
			}
		}
		offset += len(items)
		// The end: an empty or short page, or the advertised total reached.
		if len(items) == 0 || len(items) < limit || (env.Total > 0 && offset >= env.Total) {
			return nil
		}
	}
	return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Err: errors.New("the listing never ended")}
}

// listAll collects every page.
func listAll[T any](ctx context.Context, c *Client, op, path string, q url.Values) ([]T, error) {
	var out []T
	err := list(ctx, c, op, path, q, func(p []T) error { out = append(out, p...); return nil })
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
