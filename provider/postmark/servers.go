package postmark

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"reclaim/provider"
)

// pmServer is a server as GET /servers, GET /servers/{id} (account token)
// and GET /server (server token) return it. The spec's fields only; a
// server's tokens are secrets held in memory for the session only.
type pmServer struct {
	ID                flexID   `json:"ID"`
	Name              string   `json:"Name"`
	ApiTokens         []string `json:"ApiTokens"`
	SmtpApiActivated  bool     `json:"SmtpApiActivated"`
	RawEmailEnabled   bool     `json:"RawEmailEnabled"`
	TrackOpens        bool     `json:"TrackOpens"`
	TrackLinks        string   `json:"TrackLinks"`
	BounceHookUrl     string   `json:"BounceHookUrl"`
	OpenHookUrl       string   `json:"OpenHookUrl"`
	DeliveryHookUrl   string   `json:"DeliveryHookUrl"`
	ClickHookUrl      string   `json:"ClickHookUrl"`
	InboundAddress    string   `json:"InboundAddress"`
	InboundDomain     string   `json:"InboundDomain"`
	InboundHookUrl    string   `json:"InboundHookUrl"`
	PostFirstOpenOnly bool     `json:"PostFirstOpenOnly"`
}

// legacyHooks are the hook URL fields of /server, in the order listed.
var legacyHooks = []string{"BounceHookUrl", "OpenHookUrl", "DeliveryHookUrl", "ClickHookUrl"}

func (s pmServer) hook(field string) string {
	switch field {
	case "BounceHookUrl":
		return s.BounceHookUrl
	case "OpenHookUrl":
		return s.OpenHookUrl
	case "DeliveryHookUrl":
		return s.DeliveryHookUrl
	case "ClickHookUrl":
		return s.ClickHookUrl
	case "InboundHookUrl":
		return s.InboundHookUrl
	}
	return ""
}

// server is one server as reclaim keeps it: display strings sanitized and
// capped, tokens checked.
type server struct {
	id     string // digits, or "" when Postmark sent an id unfit for a path
	label  string // `name (#id)`, sanitized
	tokens []string
	// listed is every token Postmark listed (fingerprints only), bad ones
	// included.
	listed []listedToken
	raw    pmServer // hook URLs and settings, raw (clean them to show)
}

type listedToken struct {
	fp     string
	usable bool
	value  string // "" when unusable
}

func newServer(p pmServer) server {
	id := string(p.ID)
	s := server{raw: p}
	if isID(id) {
		s.id = id
	}
	s.label = fmt.Sprintf("%s (#%s)", clean(p.Name, maxName), clean(id, 20))
	for i, t := range p.ApiTokens {
		if i >= maxTokensPerServer {
			break
		}
		lt := listedToken{fp: Fingerprint(t), usable: validToken(t)}
		if lt.usable {
			lt.value = t
			s.tokens = append(s.tokens, t)
		}
		s.listed = append(s.listed, lt)
	}
	s.raw.ApiTokens = nil
	return s
}

// serverList is the servers read once for every section (cached briefly:
// an audit's sections run at once).
type serverList struct {
	servers []server
	// trunc says the list itself was cut (its caps, a repeated page);
	// sections built on it are incomplete too.
	trunc *provider.Truncation
}

const cacheTTL = 5 * time.Second

// servers reads the servers: every server through the account token, or
// the one server of the server token.
func (c *Client) servers(ctx context.Context) (*serverList, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache != nil && c.now().Sub(c.cacheAt) < cacheTTL {
		return c.cache, nil
	}
	sl, err := c.readServers(ctx)
	if err != nil {
		return nil, err
	}
	c.cache, c.cacheAt = sl, c.now()
	return sl, nil
}

// forget drops the cached server list after a change.
func (c *Client) forget() {
	c.mu.Lock()
	c.cache = nil
	c.mu.Unlock()
}

func (c *Client) readServers(ctx context.Context) (*serverList, error) {
	sl := &serverList{}
	if c.acct == "" {
		var p pmServer
		err := c.hc.Do(ctx, provider.Request{Op: "read the server (GET /server)", Method: http.MethodGet, Path: "/server"}, func(_ int, body []byte) error {
			return provider.DecodeJSON("read the server (GET /server)", "Postmark", body, &p)
		})
		if err != nil {
			return nil, err
		}
		s := newServer(p)
		if len(s.tokens) == 0 || !containsString(s.tokens, c.srv) {
			// The token reclaim holds works for this server, whatever the
			// list says.
			s.tokens = append([]string{c.srv}, s.tokens...)
		}
		sl.servers = []server{s}
		return sl, nil
	}
	sec := c.limits.Section("servers")
	_, err := list(ctx, c, sec, listCall{op: "list servers (GET /servers)", path: "/servers", key: "Servers"},
		func(p pmServer) string { return string(p.ID) },
		func(page []pmServer) error {
			for _, p := range page {
				sl.servers = append(sl.servers, newServer(p))
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	var t *provider.Truncation
	if errors.As(sec.Err(), &t) {
		sl.trunc = t
	}
	return sl, nil
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// sourceCut marks sec incomplete when the server list it was built on was
// cut. Call it after the section's reads: a stopped section reads no more.
func sourceCut(sec *provider.Section, sl *serverList) {
	if sl.trunc != nil {
		sec.Stop(provider.CauseSource, "the server list was "+sl.trunc.Reason())
	}
}

// serverAuthFor is the auth of a server's own calls: the server token
// reclaim was given when it is one of the server's, else the server's first
// usable token. ok is false when the server has none.
func (c *Client) serverAuthFor(s server) (func(*http.Request), bool) {
	if c.srv != "" && containsString(s.tokens, c.srv) {
		return serverAuth(c.srv), true
	}
	if len(s.tokens) == 0 {
		return nil, false
	}
	return serverAuth(s.tokens[0]), true
}

// serverErr names the server a failure belongs to.
func serverErr(s server, err error) error {
	return fmt.Errorf("server %s: %w", s.label, err)
}

// dateQuery is Postmark's fromdate/todate (dates, inclusive: the spec's
// format "date").
func dateQuery(from, to time.Time) url.Values {
	q := url.Values{}
	q.Set("fromdate", from.UTC().Format("2006-01-02"))
	q.Set("todate", to.UTC().Format("2006-01-02"))
	return q
}
