package brevo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"reclaim/provider"
)

// maxField bounds a provider string kept in memory (names, emails, URLs).
const maxField = 1024

// clip bounds a provider string (provider.Clip); sanitizing stays the job of
// whoever prints it.
func clip(s string) string { return provider.Clip(s, maxField) }

// apiError is Brevo's error body (spec errorModel).
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func parseError(body []byte) (apiError, bool) {
	var e apiError
	if len(body) == 0 || len(body) > 64<<10 || json.Unmarshal(body, &e) != nil {
		return apiError{}, false
	}
	return e, true
}

// errorMessage extracts Brevo's own words from an error body (the
// transport sanitizes and clips them).
func errorMessage(body []byte) string {
	e, ok := parseError(body)
	if !ok {
		return ""
	}
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		return e.Code
	}
	return msg
}

// ErrIPBlocked says Brevo refused the request because of the address it
// came from (authorised IPs), not because of the key: the key may still
// work from another address. It is never ErrBadCredentials, so an IP block
// never passes for a dead key.
var ErrIPBlocked = errors.New("Brevo refused this machine's IP address (authorised IPs); the key itself may be valid")

// ipBlockRE matches Brevo's 401 for a valid key from an address that is
// not authorised ("We have detected you are using an unrecognised IP
// address … https://app.brevo.com/security/authorised_ips").
var ipBlockRE = regexp.MustCompile(`(?i)unrecogni[sz]ed ip|authori[sz]ed_ips|ip address is not authori[sz]ed`)

// ErrNotOnPlan says the account's plan does not include what was asked
// (the activity log needs Enterprise; sub-accounts a master account).
var ErrNotOnPlan = errors.New("not available on this Brevo plan")

// refine adjusts the transport's typed errors for Brevo:
//
//   - a 401 whose message says the IP is not authorised becomes
//     ErrPermission wrapping ErrIPBlocked, with the console link;
//   - a 402 (plan upgrade needed) and a 400 coded permission_denied or
//     reseller_permission_denied become ErrPermission.
func refine(r *provider.Request, status int, hdr http.Header, body []byte, e *provider.Error) {
	ae, _ := parseError(body)
	switch {
	case status == http.StatusUnauthorized && ipBlockRE.MatchString(ae.Message):
		e.Kind = provider.ErrPermission
		e.Err = ErrIPBlocked
		e.Message = "authorise this machine's address at " + AuthorisedIPsPage + " (or run reclaim from an authorised address), then retry"
	case status == http.StatusPaymentRequired:
		e.Kind = provider.ErrPermission
		if e.Message == "" {
			e.Message = "Brevo asks for a plan upgrade"
		}
	case status == http.StatusBadRequest && (ae.Code == "permission_denied" || ae.Code == "reseller_permission_denied"):
		e.Kind = provider.ErrPermission
	}
}

// planGated reports whether err is the refusal of a plan-gated call (403,
// 404, 402; never an IP block).
func planGated(err error) bool {
	return err != nil && !errors.Is(err, ErrIPBlocked) && (errors.Is(err, provider.ErrPermission) || errors.Is(err, provider.ErrNotFound))
}

// notOnPlan turns the refusal of a plan-gated call (403, 404, 402) into
// ErrUnsupported "not available on this plan": it is not a failure of the
// audit, only something this account's API cannot show. Other errors come
// back as they are.
func notOnPlan(err error, what string) error {
	var pe *provider.Error
	if !planGated(err) || !errors.As(err, &pe) {
		return err
	}
	return &provider.Error{Kind: provider.ErrUnsupported, Op: pe.Op, Status: pe.Status, Err: ErrNotOnPlan,
		Message: what + " (Brevo answered " + strconv.Itoa(pe.Status) + ")"}
}

// get reads path and decodes its JSON object into out.
func (c *Client) get(ctx context.Context, op, path string, q url.Values, out any) error {
	return c.http.GetJSON(ctx, op, path, q, out)
}

// listPage is one decoded page of an offset listing.
type listPage[T any] struct {
	items []T
	n     int // items in the page, decoded or not
	total int // the count Brevo claimed (0: none)
	size  int
}

// decodePage decodes the array at key (within max items) and the count
// field, if any.
func decodePage[T any](op string, body []byte, key string, max int) (listPage[T], error) {
	items, n, err := provider.DecodeList[T](body, key, max)
	if err != nil {
		return listPage[T]{}, provider.MalformedJSON(op, "Brevo", len(body), err)
	}
	p := listPage[T]{items: items, n: n, size: len(body)}
	var env struct {
		Count json.RawMessage `json:"count"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Count) > 0 {
		if v, err := strconv.Atoi(strings.TrimSpace(string(env.Count))); err == nil && v > 0 {
			p.total = v
		}
	}
	return p, nil
}

// offsetList pages through path with limit/offset (Brevo's only paging),
// within the section's caps, handing each page's kept items to fn. It stops
// at a short or empty page, at the claimed count, at a cap, on a page that
// repeats one already read and when the claimed count keeps changing; each
// early stop comes back as the section's *provider.Truncation after the
// pages handed to fn. A failure past the context's deadline keeps what was
// read (time limit).
func offsetList[T any](ctx context.Context, c *Client, sec *provider.Section, op, path, key string, q url.Values, limit int, id func(T) string, fn func([]T) error) error {
	lst := sec.Listing()
	offset := 0
	for lst.More() {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("limit", strconv.Itoa(limit))
		qq.Set("offset", strconv.Itoa(offset))
		var p listPage[T]
		err := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodGet, Path: path, Query: qq}, func(_ int, body []byte) error {
			var err error
			p, err = decodePage[T](op, body, key, sec.Remaining())
			return err
		})
		if err != nil {
			if err := sec.Failed(ctx, err); err != nil {
				return err
			}
			return sec.Err()
		}
		var idf func(int) string
		if id != nil {
			idf = func(i int) string { return id(p.items[i]) }
		}
		keep, more := lst.Page(p.size, p.n, len(p.items), idf)
		if keep > 0 {
			if err := fn(p.items[:keep]); err != nil {
				return err
			}
		}
		offset += p.n
		if p.n == 0 || p.n < limit || !more || !lst.Total(offset, p.total) {
			return sec.Err()
		}
	}
	return sec.Err()
}

// onePage reads an unpaged list (Brevo's senders, domains, webhooks,
// users): one request, bounded like a page of a listing.
func onePage[T any](ctx context.Context, c *Client, sec *provider.Section, op, path, key string, q url.Values, id func(T) string) ([]T, error) {
	lst := sec.Listing()
	if !lst.More() {
		return nil, sec.Err()
	}
	var p listPage[T]
	err := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodGet, Path: path, Query: q}, func(_ int, body []byte) error {
		var err error
		p, err = decodePage[T](op, body, key, sec.Remaining())
		return err
	})
	if err != nil {
		if err := sec.Failed(ctx, err); err != nil {
			return nil, err
		}
		return nil, sec.Err()
	}
	var idf func(int) string
	if id != nil {
		idf = func(i int) string { return id(p.items[i]) }
	}
	keep, _ := lst.Page(p.size, p.n, len(p.items), idf)
	return p.items[:keep], sec.Err()
}

// bvTime is a Brevo timestamp: RFC 3339 with or without fraction and zone,
// a date, a Unix number (sub-accounts' createdAt), "" or null. An unknown
// format is the zero time: not worth failing a listing for.
type bvTime struct{ time.Time }

func (t *bvTime) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 0 && n < 1<<40 {
			if n > 1e11 { // milliseconds
				t.Time = time.UnixMilli(n).UTC()
			} else {
				t.Time = time.Unix(n, 0).UTC()
			}
		}
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if v, err := time.Parse(layout, str); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return nil
}

// flexBool is a boolean Brevo may send as true or "true" (the spec types
// is_owner as a string, its example as a boolean).
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	*f = flexBool(strings.EqualFold(s, "true") || s == "1")
	return nil
}

// flexID is an id Brevo sends as a number (or, hostile, a string): kept as
// its decimal text.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*f = flexID(provider.Clip(str, 64))
		return nil
	}
	*f = flexID(provider.Clip(s, 64))
	return nil
}

// numericID reports whether id is a plain decimal id (Brevo's int64 path
// parameters): anything else never reaches a URL.
func numericID(id string) bool {
	if id == "" || len(id) > 19 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// validEmail is a loose check of an email that goes into a URL path (path
// escaped): one @, bounded. Attacker text in it (controls, bidi
// overrides) is kept: the user must be removable by the email Brevo has.
func validEmail(s string) bool {
	return len(s) >= 3 && len(s) <= maxField && strings.Count(s, "@") == 1
}

// joined is several failures of one read (its parts), on one line: "; "
// between them, where errors.Join would put line breaks. errors.Is and
// provider.SplitTruncated see each one.
type joined []error

func (j joined) Error() string {
	parts := make([]string, len(j))
	for i, e := range j {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

func (j joined) Unwrap() []error { return j }

// join is nil, the one non-nil error, or a joined of them.
func join(errs ...error) error {
	var out joined
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

func errf(kind error, op, format string, args ...any) error {
	return &provider.Error{Kind: kind, Op: op, Message: fmt.Sprintf(format, args...)}
}
