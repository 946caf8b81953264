package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"reclaim/provider"
)

// Twilio error codes reclaim looks at.
const (
	codeAuthenticate = 20003 // bad credential
	codeNotFound     = 20404
	codeTooMany      = 20429
	codeRestricted   = 70051 // a restricted key lacks the permission
)

// errorMessage is the provider's own text of an error body: "Authenticate
// (Twilio error 20003)". The transport sanitizes and clips it.
func errorMessage(body []byte) string {
	var e errorBody
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := strings.TrimSpace(e.Message)
	if e.Code != 0 {
		msg = strings.TrimSpace(fmt.Sprintf("%s (Twilio error %d)", provider.Clip(msg, 200), e.Code))
	}
	return msg
}

// refine maps Twilio's error codes the status alone does not tell: a
// restricted key denied a resource (70051) holds a live credential that
// lacks a permission, whichever status carries it.
func refine(r *provider.Request, status int, hdr http.Header, body []byte, e *provider.Error) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return
	}
	if eb.Code == codeRestricted {
		e.Kind = provider.ErrPermission
	}
}

// pageLink extracts a list page's next link: the 2010 API's next_page_uri
// (relative) or v1's meta.next_page_url (absolute).
type pageLink func(body []byte) string

func next2010(body []byte) string {
	var p struct {
		Next *string `json:"next_page_uri"`
	}
	if json.Unmarshal(body, &p) != nil || p.Next == nil {
		return ""
	}
	return *p.Next
}

func nextV1(body []byte) string {
	var p struct {
		Meta struct {
			Next *string `json:"next_page_url"`
		} `json:"meta"`
	}
	if json.Unmarshal(body, &p) != nil || p.Meta.Next == nil {
		return ""
	}
	return *p.Meta.Next
}

// causeForeignLink is why a listing stopped at a next-page link to another
// host (or otherwise unsafe): the credential never follows it.
const causeForeignLink = "unsafe next-page link"

// list pages through a Twilio list within the section's caps: the items
// under key on each page go to fn, and the page's next link (read by next)
// is followed only to the client's own origin (HTTPClient.SameOrigin). It
// stops at the page, item or byte cap, at a page that repeats one already
// read, and at an unsafe next link, returning a *provider.Truncation after
// the pages handed to fn; a failure returns its error (fn has the pages
// read before it).
func list[T any](ctx context.Context, hc *provider.HTTPClient, sec *provider.Section, op, path string, q url.Values, key string, next pageLink, id func(T) string, fn func([]T) error) error {
	lst := sec.Listing()
	for lst.More() {
		var (
			items   []T
			n, size int
			link    string
		)
		err := hc.Do(ctx, provider.Request{Op: op, Method: http.MethodGet, Path: path, Query: q}, func(_ int, body []byte) error {
			size = len(body)
			var err error
			if items, n, err = provider.DecodeList[T](body, key, sec.Remaining()); err != nil {
				return provider.MalformedJSON(op, "Twilio", len(body), err)
			}
			link = next(body)
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
		if link == "" || n == 0 || !more {
			return sec.Err()
		}
		p, qq, err := hc.SameOrigin(link)
		if err != nil {
			sec.Stop(causeForeignLink, provider.SanitizeN(err.Error(), 200))
			return sec.Err()
		}
		path, q = p, qq
	}
	return sec.Err()
}

// listAll collects a whole list (within the section's caps).
func listAll[T any](ctx context.Context, hc *provider.HTTPClient, sec *provider.Section, op, path string, q url.Values, key string, next pageLink, id func(T) string) ([]T, error) {
	var out []T
	err := list(ctx, hc, sec, op, path, q, key, next, id, func(p []T) error { out = append(out, p...); return nil })
	return out, err
}

// pageQuery is the first page's query: the filters plus PageSize.
func (c *Client) pageQuery(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	q.Set("PageSize", strconv.Itoa(c.pageSize))
	return q
}

// accountPath is the 2010 API path of an account's sub-resource, e.g.
// accountPath(sid, "Keys.json").
func accountPath(sid string, rest ...string) string {
	p := "/2010-04-01/Accounts/" + url.PathEscape(sid)
	if len(rest) == 0 {
		return p + ".json"
	}
	return p + "/" + strings.Join(rest, "/")
}

// isKind reports whether err is a *provider.Error of kind.
func isKind(err, kind error) bool { return err != nil && errors.Is(err, kind) }

// clip bounds a provider string kept in a record (Twilio's friendly names
// are at most 64 characters; a hostile one is cut).
func clip(s string) string { return provider.Clip(s, 256) }
