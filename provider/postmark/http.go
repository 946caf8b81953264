package postmark

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"reclaim/provider"
)

// Caps on the strings reclaim keeps from Postmark (runes, after
// sanitizing): everything Postmark returns is the attacker's to shape.
const (
	maxName    = 200
	maxURL     = 500
	maxAddress = 254
	maxSubject = 200
	// maxTokensPerServer bounds the ApiTokens kept per server (Postmark
	// allows three).
	maxTokensPerServer = 10
)

// errorMessage is Postmark's error text: {"ErrorCode":N,"Message":"…"}.
func errorMessage(body []byte) string {
	var e struct {
		ErrorCode json.Number `json:"ErrorCode"`
		Message   string      `json:"Message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := strings.TrimSpace(e.Message)
	if e.ErrorCode != "" && e.ErrorCode != "0" && msg != "" {
		return msg + " (Postmark error " + provider.SanitizeN(e.ErrorCode.String(), 12) + ")"
	}
	return msg
}

// refine adjusts Postmark's answers: a 403 with an HTML page comes from its
// network layer, not the API (providers.md §5), so it is no missing
// permission but an unavailable service.
func refine(r *provider.Request, status int, hdr http.Header, body []byte, e *provider.Error) {
	if status == http.StatusForbidden && !json.Valid(bytes.TrimSpace(body)) {
		e.Kind = provider.ErrUnavailable
		e.Message = "Postmark's network layer refused the request (an HTML 403, not the API): retry later or from another network"
	}
}

// isID reports whether s is a Postmark numeric id, safe in a path.
func isID(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// flexID decodes an id sent as a number or a string (the specs give both)
// into its text, clipped; isID tells whether it may go into a path.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(provider.Clip(s, 64))
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexID(provider.Clip(n.String(), 64))
	return nil
}

// Fingerprint names a token without revealing it: the first 8 hex digits
// of its SHA-256. A leak scanner holding a leaked token finds which of
// ListSecrets' tokens it is by comparing fingerprints.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:4])
}

// clean sanitizes and caps a string Postmark sent, for display.
func clean(s string, n int) string { return provider.SanitizeN(s, n) }

// cleanURL hides a password in a URL's user info ("https://u:p@host" ->
// "https://u:xxxxx@host") before it is sanitized and capped: a hook URL
// may carry Basic-auth credentials, which reclaim never shows.
func cleanURL(raw string) string {
	return clean(redactUserinfo(raw), maxURL)
}

func redactUserinfo(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return raw
	}
	user := auth[:at]
	if c := strings.IndexByte(user, ':'); c >= 0 {
		user = user[:c] + ":xxxxx"
	}
	return raw[:i+3] + user + auth[at:] + rest[end:]
}

// page is one list page's envelope: TotalCount and the list under key.
type listPage[T any] struct {
	items []T
	n     int // items the page held (decoded or not)
	total int
	size  int
}

// listCall is one count/offset list: Postmark's paging (count ≤ 500,
// offset, TotalCount).
type listCall struct {
	op, path string
	key      string // the array's key in the answer: "Servers", "Messages", …
	query    url.Values
	auth     func(*http.Request) // nil: the client's
	// maxOffset > 0 stops where count + offset would pass it (Postmark's
	// 10,000 for messages and bounces).
	maxOffset int
	// check, if set, sees the first page's claimed TotalCount before the
	// page is counted or handed on; an error from it ends the listing
	// and comes back as it is.
	check func(total int) error
}

// list pages through a listCall, calling fn with each page within the
// section's caps; an error from fn ends the listing and comes back as it
// is. It stops at the caps, on a repeated page, when the offset passes a
// claimed TotalCount that keeps changing, on a short page, and where
// count + offset would pass maxOffset: over is then true when the
// provider claimed more.
func list[T any](ctx context.Context, c *Client, sec *provider.Section, lc listCall, id func(T) string, fn func([]T) error) (over bool, err error) {
	lst := sec.Listing()
	offset := 0
	for page := 0; ; page++ {
		count := c.pageSize
		if lc.maxOffset > 0 {
			count = min(count, lc.maxOffset-offset)
			if count <= 0 {
				return true, nil
			}
		}
		if !lst.More() {
			return false, nil
		}
		qq := url.Values{}
		for k, v := range lc.query {
			qq[k] = v
		}
		qq.Set("count", strconv.Itoa(count))
		qq.Set("offset", strconv.Itoa(offset))
		var pg listPage[T]
		err := c.hc.Do(ctx, provider.Request{Op: lc.op, Method: http.MethodGet, Path: lc.path, Query: qq, Auth: lc.auth}, func(_ int, body []byte) error {
			pg.size = len(body)
			var env struct {
				TotalCount json.Number `json:"TotalCount"`
			}
			if json.Unmarshal(body, &env) == nil {
				if t, err := env.TotalCount.Int64(); err == nil && t > 0 && t < 1<<31 {
					pg.total = int(t)
				}
			}
			if page == 0 && lc.check != nil {
				if err := lc.check(pg.total); err != nil {
					return err
				}
			}
			var err error
			if pg.items, pg.n, err = provider.DecodeList[T](body, lc.key, sec.Remaining()); err != nil {
				return provider.MalformedJSON(lc.op, "Postmark", len(body), err)
			}
			return nil
		})
		if errors.Is(err, errSplit) {
			return false, err
		}
		if err != nil {
			if err := sec.Failed(ctx, err); err != nil {
				return false, err
			}
			return false, nil
		}
		var idf func(int) string
		if id != nil {
			idf = func(i int) string { return id(pg.items[i]) }
		}
		keep, more := lst.Page(pg.size, pg.n, len(pg.items), idf)
		if keep > 0 {
			if err := fn(pg.items[:keep]); err != nil {
				return false, err
			}
		}
		offset += pg.n
		if pg.n == 0 || pg.n < count || !more || !lst.Total(offset, pg.total) {
			return false, nil
		}
		if lc.maxOffset > 0 && offset >= lc.maxOffset {
			return pg.total > offset, nil
		}
	}
}

// joined is errors.Join on one line ("; " between the errors): an error
// reaches terminals, where a newline has no place.
type joined []error

func (j joined) Error() string {
	parts := make([]string, len(j))
	for i, e := range j {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

func (j joined) Unwrap() []error { return j }

// join is errors.Join with joined's one-line text.
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
