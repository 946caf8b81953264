package mailgun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"reclaim/provider"
)

// Bounds on strings kept from the server (bytes): names and addresses,
// URLs, expressions. Display sanitizes them again; these only bound memory
// and what reaches a state file.
const (
	maxName = 300
	maxURL  = 2000
	maxExpr = 1000
	maxID   = 200
)

// skipList describes a list paged with limit and skip (routes, users,
// subaccounts, domains, SMTP credentials): key names the array, the total
// is read from "total_count" or "total".
type skipList[T any] struct {
	op, path string
	query    url.Values
	header   http.Header
	key      string
	pageSize int
	id       func(T) string
}

// listSkip reads every page within the section's caps. A page shorter than
// the limit, an empty page or the claimed total reached ends the list; a
// repeated page or a total that keeps changing stops it (a Truncation).
// On a failure it returns what it read with the error.
func listSkip[T any](ctx context.Context, c *Client, sec *provider.Section, l skipList[T], fn func([]T)) error {
	lst := sec.Listing()
	skip := 0
	for lst.More() {
		q := url.Values{}
		for k, v := range l.query {
			q[k] = v
		}
		q.Set("limit", strconv.Itoa(l.pageSize))
		q.Set("skip", strconv.Itoa(skip))
		var (
			items   []T
			n, size int
			total   int
		)
		err := c.http.Do(ctx, provider.Request{Op: l.op, Method: http.MethodGet, Path: l.path, Query: q, Header: l.header}, func(_ int, body []byte) error {
			size = len(body)
			var err error
			if items, n, err = provider.DecodeList[T](body, l.key, sec.Remaining()); err != nil {
				return provider.MalformedJSON(l.op, "Mailgun", len(body), err)
			}
			var t struct {
				TotalCount *int `json:"total_count"`
				Total      *int `json:"total"`
			}
			if json.Unmarshal(body, &t) == nil {
				switch {
				case t.TotalCount != nil:
					total = *t.TotalCount
				case t.Total != nil:
					total = *t.Total
				}
			}
			return nil
		})
		if err != nil {
			if err := sec.Failed(ctx, err); err != nil {
				return err
			}
			return sec.Err()
		}
		var idf func(int) string
		if l.id != nil {
			idf = func(i int) string { return l.id(items[i]) }
		}
		keep, more := lst.Page(size, n, len(items), idf)
		if keep > 0 {
			fn(items[:keep])
		}
		skip += n
		if n == 0 || n < l.pageSize || !more || !lst.Total(skip, total) {
			return sec.Err()
		}
	}
	return sec.Err()
}

// mgTime is a Mailgun time: RFC 1123 / 2822 ("Wed, 06 Nov 2024 19:48:29
// GMT", "…+0000"), ISO 8601 without a zone (keys, UTC), RFC 3339, Unix
// seconds (a number, possibly fractional), "" or null. An unknown format is
// the zero time: not worth failing a listing for.
type mgTime struct{ time.Time }

func (t *mgTime) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f > 0 && f < 1e11 {
			t.Time = time.Unix(0, int64(f*1e9)).UTC()
		}
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return nil
	}
	t.Time = parseTime(str)
	return nil
}

var timeLayouts = []string{
	time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST",
	"2006-01-02T15:04:05", "2006-01-02T15:04:05.999999", time.RFC3339Nano,
}

func parseTime(s string) time.Time {
	if len(s) > 64 {
		return time.Time{}
	}
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC()
		}
	}
	return time.Time{}
}

// short is a short fingerprint of s for ids (12 hex).
func short(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// clip bounds a provider string kept in memory.
func clip(s string, n int) string { return provider.Clip(s, n) }
