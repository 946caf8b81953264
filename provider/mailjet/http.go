package mailjet

import (
	"context"
	"encoding/json"
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

// errorMessage is the provider's text in an error body.
func errorMessage(body []byte) string {
	var ae apiError
	if json.Unmarshal(body, &ae) != nil {
		return ""
	}
	msg := strings.TrimSpace(ae.ErrorMessage)
	if info := strings.TrimSpace(ae.ErrorInfo); info != "" && info != msg {
		msg = strings.TrimSpace(msg + " " + info)
	}
	return msg
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

// do runs a call through the shared transport (retries only where safe:
// rate limits for every method, server errors and failed connections for
// GET, PUT and DELETE; never after a timeout) and hands the raw body of a
// 2xx answer to use (nil: ignore it); use must not keep it. use runs while
// the body holds its slot of the client's body gate, so decoding never
// piles up.
func (c *Client) do(ctx context.Context, cl call, use func(body []byte) error) error {
	hc, err := c.transport()
	if err != nil {
		return &provider.Error{Kind: provider.ErrInvalid, Op: cl.op, Err: err}
	}
	r := provider.Request{Op: cl.op, Method: cl.method, Path: "/v3/REST/" + strings.TrimLeft(cl.path, "/"), Query: cl.query, JSON: cl.body}
	if cl.key != "" {
		key, secret := cl.key, cl.secret
		r.Auth = func(req *http.Request) { req.SetBasicAuth(key, secret) }
	}
	var u func(int, []byte) error
	if use != nil {
		u = func(_ int, body []byte) error { return use(body) }
	}
	return hc.Do(ctx, r, u)
}

// decode parses a JSON body, turning malformed JSON into a clear
// ErrUnavailable.
func decode(op string, body []byte, out any) error {
	return provider.DecodeJSON(op, "Mailjet", body, out)
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
	return provider.MalformedJSON(op, "Mailjet", size, err)
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
