package postmark

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"reclaim/provider"
)

// ListSubusers implements provider.SubuserLister: Postmark's servers, the
// unit of isolation (an attacker may add one to send from). Each is named
// "name (#id)". Servers are never disabled or deleted through reclaim's
// steps (deleting one deletes its history): see DeleteServer.
func (c *Client) ListSubusers(ctx context.Context) ([]provider.Subuser, error) {
	sl, err := c.servers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]provider.Subuser, 0, len(sl.servers))
	for _, s := range sl.servers {
		out = append(out, provider.Subuser{Username: s.label})
	}
	if sl.trunc != nil {
		t := *sl.trunc
		t.What = "servers"
		return out, &t
	}
	return out, nil
}

// ListMailSettings implements provider.MailSettingsLister: each server's
// SMTP and API state and its tracking settings, named "server: setting".
// They come with the server list (no further calls). Postmark has no
// forwarding setting: inbound forwarding is the inbound hook (ListWebhooks).
func (c *Client) ListMailSettings(ctx context.Context) ([]provider.MailSetting, error) {
	sl, err := c.servers(ctx)
	if err != nil {
		return nil, err
	}
	sec := c.limits.Section("mail settings")
	var out []provider.MailSetting
	for _, s := range sl.servers {
		p := s.raw
		tl := clean(p.TrackLinks, 40)
		set := []provider.MailSetting{
			{Name: s.label + ": SMTP sending", Enabled: p.SmtpApiActivated},
			{Name: s.label + ": API tokens", Enabled: len(s.listed) > 0, Value: plural(len(s.listed), "token")},
			{Name: s.label + ": raw email in inbound posts", Enabled: p.RawEmailEnabled},
			{Name: s.label + ": open tracking", Enabled: p.TrackOpens},
			{Name: s.label + ": link tracking", Enabled: tl != "" && tl != "None", Value: tl},
		}
		k := sec.Keep(len(set))
		out = append(out, set[:k]...)
		if k < len(set) {
			break
		}
	}
	sourceCut(sec, sl)
	return out, sec.Err()
}

// pmWebhook is one entry of GET /webhooks (outside the 2019 spec; fields
// from Postmark's current documentation, providers.md §5). HttpAuth and
// HttpHeaders are never decoded: they hold credentials.
type pmWebhook struct {
	ID            flexID `json:"ID"`
	URL           string `json:"Url"`
	MessageStream string `json:"MessageStream"`
	Triggers      map[string]struct {
		Enabled bool `json:"Enabled"`
	} `json:"Triggers"`
}

// Webhook ids: "server:<id>:webhook:<webhook id>", "server:<id>:hook:<field>"
// (a legacy hook URL field of /server), "server:<id>:inbound" (the inbound
// hook: inbound mail forwarded to a URL).
func webhookID(serverID, kind, rest string) string {
	id := "server:" + serverID + ":" + kind
	if rest != "" {
		id += ":" + rest
	}
	return id
}

// ListWebhooks implements provider.WebhookLister, per server: its webhooks
// (GET /webhooks with the server's token), its legacy hook URLs
// (BounceHookUrl, OpenHookUrl, DeliveryHookUrl, ClickHookUrl) and its
// inbound hook, which forwards every inbound message to a URL: a
// provider.WebhookRoute whose Filter names the inbound address and domain.
// Domain holds the server's "name (#id)". URLs have any password in them
// masked.
func (c *Client) ListWebhooks(ctx context.Context) ([]provider.Webhook, error) {
	sl, err := c.servers(ctx)
	if err != nil {
		return nil, err
	}
	sec := c.limits.Section("webhooks")
	var out []provider.Webhook
	var errs []error
	var noToken []string
	for _, s := range sl.servers {
		if !sec.Room() {
			break
		}
		var hooks []provider.Webhook
		for _, f := range legacyHooks {
			if u := s.raw.hook(f); u != "" {
				hooks = append(hooks, provider.Webhook{ID: webhookID(s.id, "hook", strings.TrimSuffix(f, "Url")), Kind: provider.WebhookEvent,
					URL: cleanURL(u), Domain: s.label, Enabled: true})
			}
		}
		if u := s.raw.InboundHookUrl; u != "" {
			filter := "all inbound mail to " + clean(s.raw.InboundAddress, maxAddress)
			if d := clean(s.raw.InboundDomain, maxAddress); d != "" {
				filter += " and to *@" + d
			}
			hooks = append(hooks, provider.Webhook{ID: webhookID(s.id, "inbound", ""), Kind: provider.WebhookRoute, URL: cleanURL(u),
				Hostname: clean(s.raw.InboundDomain, maxAddress), Filter: filter, Domain: s.label, Enabled: true})
		}
		k := sec.Keep(len(hooks))
		out = append(out, hooks[:k]...)
		if k < len(hooks) {
			break
		}
		auth, ok := c.serverAuthFor(s)
		if !ok {
			noToken = append(noToken, s.label)
			continue
		}
		whs, err := c.serverWebhooks(ctx, sec, s, auth)
		out = append(out, whs...)
		if err != nil {
			if errors.Is(err, errStop) {
				break
			}
			errs = append(errs, serverErr(s, err))
		}
	}
	if len(noToken) > 0 {
		sec.Stop(provider.CauseSource, fmt.Sprintf("no usable API token to read the webhooks of %s", strings.Join(clip(noToken, 5), ", ")))
	}
	sourceCut(sec, sl)
	return out, join(append(errs, sec.Err())...)
}

// errStop ends a fan-out read: the section stopped (a cap, the time limit).
var errStop = errors.New("section stopped")

func clip(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("%d more", len(xs)-n))
}

// serverWebhooks reads one server's GET /webhooks (one page: the endpoint
// does not page).
func (c *Client) serverWebhooks(ctx context.Context, sec *provider.Section, s server, auth func(*http.Request)) ([]provider.Webhook, error) {
	lst := sec.Listing()
	if !lst.More() {
		return nil, errStop
	}
	op := "list webhooks (GET /webhooks)"
	var items []pmWebhook
	var n, size int
	err := c.hc.Do(ctx, provider.Request{Op: op, Method: http.MethodGet, Path: "/webhooks", Auth: auth}, func(_ int, body []byte) error {
		size = len(body)
		var err error
		if items, n, err = provider.DecodeList[pmWebhook](body, "Webhooks", sec.Remaining()); err != nil {
			return provider.MalformedJSON(op, "Postmark", len(body), err)
		}
		return nil
	})
	if err != nil {
		if err := sec.Failed(ctx, err); err != nil {
			return nil, err
		}
		return nil, errStop
	}
	keep, _ := lst.Page(size, n, len(items), func(i int) string { return string(items[i].ID) })
	out := make([]provider.Webhook, 0, keep)
	for _, w := range items[:keep] {
		enabled := false
		for _, t := range w.Triggers {
			enabled = enabled || t.Enabled
		}
		id := string(w.ID)
		if !isID(id) {
			id = "invalid-" + Fingerprint(id)
		}
		wh := provider.Webhook{ID: webhookID(s.id, "webhook", id), Kind: provider.WebhookEvent, URL: cleanURL(w.URL), Domain: s.label, Enabled: enabled}
		if st := clean(w.MessageStream, 60); st != "" {
			wh.Domain += ", stream " + st
		}
		out = append(out, wh)
	}
	if keep < n {
		return out, errStop
	}
	return out, nil
}

// pmSignature and pmDomain are GET /senders and GET /domains entries.
type pmSignature struct {
	ID           flexID `json:"ID"`
	EmailAddress string `json:"EmailAddress"`
	Confirmed    bool   `json:"Confirmed"`
}

type pmDomain struct {
	ID                       flexID `json:"ID"`
	Name                     string `json:"Name"`
	DKIMVerified             bool   `json:"DKIMVerified"`
	ReturnPathDomainVerified bool   `json:"ReturnPathDomainVerified"`
}

// ErrNeedsAccountToken says a read needs the account token.
func errNeedsAccountToken(op string) error {
	return &provider.Error{Kind: provider.ErrPermission, Op: op,
		Message: "this needs the Postmark account token (" + AccountTokenEnv + "); a server token reads one server only"}
}

// ListSenders implements provider.SenderLister: sender signatures
// ("single", verified when confirmed) and domains ("domain", verified when
// DKIM is), with the account token.
func (c *Client) ListSenders(ctx context.Context) ([]provider.Sender, error) {
	if c.acct == "" {
		return nil, errNeedsAccountToken("list sender signatures and domains")
	}
	sec := c.limits.Section("senders")
	parts := sec.Parts("sender signatures", "domains")
	var out []provider.Sender
	var errs []error
	_, err := list(ctx, c, parts[0], listCall{op: "list sender signatures (GET /senders)", path: "/senders", key: "SenderSignatures"},
		func(s pmSignature) string { return string(s.ID) },
		func(page []pmSignature) error {
			for _, s := range page {
				out = append(out, provider.Sender{ID: "signature:" + clean(string(s.ID), 20), Kind: "single",
					Address: clean(s.EmailAddress, maxAddress), Verified: s.Confirmed})
			}
			return nil
		})
	parts[0].Done()
	if err != nil {
		errs = append(errs, err)
	}
	_, err = list(ctx, c, parts[1], listCall{op: "list domains (GET /domains)", path: "/domains", key: "Domains"},
		func(d pmDomain) string { return string(d.ID) },
		func(page []pmDomain) error {
			for _, d := range page {
				out = append(out, provider.Sender{ID: "domain:" + clean(string(d.ID), 20), Kind: "domain",
					Address: clean(d.Name, maxAddress), Verified: d.DKIMVerified})
			}
			return nil
		})
	parts[1].Done()
	if err != nil {
		errs = append(errs, err)
	}
	return out, join(append(errs, sec.Err())...)
}

// ListSecrets implements provider.SecretLister: every server's API tokens
// (provider.SecretServerToken; a server token is also its SMTP login) and
// the account token reclaim is connected with. Values are never part of
// them: a token is named by its server and its place, its id is
// "token:<fingerprint>" (Fingerprint), and Domain names a server token's
// server ("name (#id)"). Session marks the tokens reclaim uses. Postmark
// cannot rotate them through its API: the console does (ServerTokensPage,
// AccountTokens), and VerifyKey proves the old one dead.
func (c *Client) ListSecrets(ctx context.Context) ([]provider.AccountSecret, error) {
	sl, err := c.servers(ctx)
	if err != nil {
		return nil, err
	}
	sec := c.limits.Section("secrets")
	var out []provider.AccountSecret
	if c.acct != "" && sec.Keep(1) == 1 {
		out = append(out, provider.AccountSecret{ID: tokenID(c.acct), Kind: provider.SecretAccountToken,
			Name: "the account API token reclaim is connected with", Session: true})
	}
	for _, s := range sl.servers {
		var these []provider.AccountSecret
		listed := s.listed
		if c.acct == "" && !containsFP(listed, Fingerprint(c.srv)) {
			listed = append([]listedToken{{fp: Fingerprint(c.srv), usable: true, value: c.srv}}, listed...)
		}
		for i, t := range listed {
			name := fmt.Sprintf("API token %d of server %s", i+1, s.label)
			if !t.usable {
				name += ", malformed: no request can carry it"
			}
			these = append(these, provider.AccountSecret{ID: "token:" + t.fp, Kind: provider.SecretServerToken,
				Name: name, Domain: s.label, Session: t.usable && t.value == c.srv})
		}
		k := sec.Keep(len(these))
		out = append(out, these[:k]...)
		if k < len(these) {
			break
		}
	}
	sourceCut(sec, sl)
	return out, sec.Err()
}

func containsFP(ts []listedToken, fp string) bool {
	for _, t := range ts {
		if t.fp == fp {
			return true
		}
	}
	return false
}

// RotationGuide says how to rotate a secret ListSecrets listed, with the
// exact console page: Postmark's API cannot.
func RotationGuide(s provider.AccountSecret) string {
	if s.Kind == provider.SecretAccountToken {
		return "Reset the account API token at " + AccountTokens + ", put the new one wherever the old one was used, then let reclaim prove the old one dead."
	}
	return "Open " + ServerTokensPage(labelID(s.Domain)) + " (the server's API Tokens tab), add a new token (a server holds up to three), deploy it to every app and SMTP login that used the old one, delete the old one, then let reclaim prove it dead."
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// ListKeys implements provider.KeyLister: Postmark's tokens are its API
// keys, listed as ListSecrets lists them (same ids, by fingerprint, never
// a value): the account token reclaim is connected with (Master: like a
// master key it is reset in the console, never revoked through the API)
// and every server's tokens (Subuser: the server's "name (#id)"). Postmark
// gives no creation times or scopes. Tokens are not created or revoked
// through the API: there is no KeyCreator or KeyRevoker.
func (c *Client) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	secrets, err := c.ListSecrets(ctx)
	keys := make([]provider.APIKey, 0, len(secrets))
	for _, s := range secrets {
		keys = append(keys, provider.APIKey{ID: s.ID, Name: s.Name, Subuser: s.Domain, Master: s.Kind == provider.SecretAccountToken})
	}
	return keys, err
}

// SessionKeyID is the id (ListKeys, ListSecrets) of the token reclaim is
// connected with: the account token when given, else the server token.
// The engine never proposes to act on it.
func (c *Client) SessionKeyID() string {
	if c.acct != "" {
		return tokenID(c.acct)
	}
	return tokenID(c.srv)
}

// tokenID is a token's id in ListSecrets and ListKeys.
func tokenID(tok string) string { return "token:" + Fingerprint(tok) }

// labelID is the server id at the end of a "name (#id)" label ("" when
// there is none).
func labelID(label string) string {
	i := strings.LastIndex(label, "(#")
	if i < 0 || !strings.HasSuffix(label, ")") {
		return ""
	}
	if id := label[i+2 : len(label)-1]; isID(id) {
		return id
	}
	return ""
}
