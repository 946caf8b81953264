package mailgun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"reclaim/provider"
)

// ---- API keys ----

type keyJSON struct {
	ID          string  `json:"id"`
	Description string  `json:"description"`
	Kind        string  `json:"kind"`
	Role        string  `json:"role"`
	CreatedAt   mgTime  `json:"created_at"`
	ExpiresAt   mgTime  `json:"expires_at"`
	IsDisabled  bool    `json:"is_disabled"`
	DomainName  *string `json:"domain_name"`
	Requestor   *string `json:"requestor"`
	UserName    *string `json:"user_name"`
	Secret      string  `json:"secret"`
}

// apiKey maps a key: its role is its one scope (with the domain of a
// domain key); admin is full access; a disabled or expired key is inactive.
func (c *Client) apiKey(k keyJSON) provider.APIKey {
	out := provider.APIKey{
		ID:         clip(k.ID, maxID),
		Name:       clip(k.Description, maxName),
		FullAccess: k.Role == RoleAdmin,
		Created:    k.CreatedAt.Time,
		Inactive:   k.IsDisabled || (!k.ExpiresAt.IsZero() && k.ExpiresAt.Before(c.opts.Now())),
	}
	if k.Role != "" {
		out.Scopes = append(out.Scopes, clip(k.Role, 40))
	}
	if k.DomainName != nil && *k.DomainName != "" {
		out.Scopes = append(out.Scopes, DomainScope+clip(*k.DomainName, maxName))
	}
	if out.Name == "" {
		kind := k.Kind
		if kind == "" {
			kind = "user"
		}
		out.Name = clip(kind, 40) + " key"
		if k.Requestor != nil && *k.Requestor != "" {
			out.Name += " of " + clip(*k.Requestor, maxName)
		}
	}
	return out
}

// ListKeys implements provider.KeyLister: the account's keys (user, domain
// and web keys; GET /v1/keys answers them in one list, no paging), then
// each open subaccount's, read on its behalf (X-Mailgun-On-Behalf-Of) and
// marked with it; a key the account's own list already holds is the
// account's (an API that ignores the header answers the same list).
func (c *Client) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	sec := c.section("API keys")
	parts := sec.Parts("account keys", "subaccount keys")
	own, err := c.keysOf(ctx, parts[0], "")
	parts[0].Done()
	seen := map[string]bool{}
	for _, k := range own {
		seen[k.ID] = true
	}
	c.mu.Lock()
	c.listed = seen
	c.mu.Unlock()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return own, err
	}
	out := own
	owners := map[string]string{}
	subs, serr := c.subaccounts(ctx)
	var errs []error
	for _, s := range subs {
		if s.Disabled || !parts[1].Room() {
			continue
		}
		keys, err := c.keysOf(ctx, parts[1], s.id)
		for _, k := range keys {
			if !seen[k.ID] {
				seen[k.ID] = true
				k.Subuser = s.Username
				owners[k.ID] = s.id
				out = append(out, k)
			}
		}
		if err != nil && !errors.Is(err, provider.ErrTruncated) {
			errs = append(errs, err)
			if provider.TimedOut(ctx) {
				break
			}
		}
	}
	parts[1].Done()
	c.mu.Lock()
	c.keySub = owners
	c.mu.Unlock()
	if serr != nil && !errors.Is(serr, provider.ErrTruncated) {
		errs = append(errs, serr)
	}
	return out, errors.Join(append(errs, sec.Err())...)
}

// keysOf lists one account's keys ("" the account itself) in part.
func (c *Client) keysOf(ctx context.Context, part *provider.Section, sub string) ([]provider.APIKey, error) {
	if !part.Next() {
		return nil, part.Err()
	}
	const op = "list API keys"
	var out []provider.APIKey
	err := c.http.Do(ctx, provider.Request{Op: op, Path: "/v1/keys", Header: onBehalfOf(sub)}, func(_ int, body []byte) error {
		part.Read(len(body))
		items, n, err := provider.DecodeList[keyJSON](body, "items", part.Remaining())
		if err != nil {
			return provider.MalformedJSON(op, "Mailgun", len(body), err)
		}
		keep := min(part.Keep(n), len(items))
		for _, k := range items[:keep] {
			out = append(out, c.apiKey(k))
		}
		return nil
	})
	if err != nil {
		if err := part.Failed(ctx, err); err != nil {
			return out, err
		}
	}
	return out, part.Err()
}

// ---- users ----

type userJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Role       string `json:"role"`
	IsMaster   bool   `json:"is_master"`
	IsDisabled bool   `json:"is_disabled"`
	Activated  *bool  `json:"activated"`
	TFAEnabled *bool  `json:"tfa_enabled"`
	TFAActive  *bool  `json:"tfa_active"`
}

// twoFactor is on when 2FA is enabled and active, off when the API says
// it is not, "" when it says nothing.
func (u userJSON) twoFactor() string {
	switch {
	case u.TFAEnabled == nil && u.TFAActive == nil:
		return ""
	case u.TFAEnabled != nil && *u.TFAEnabled && (u.TFAActive == nil || *u.TFAActive):
		return provider.TwoFactorOn
	}
	return provider.TwoFactorOff
}

// ListTeammates implements provider.TeammateLister: the account's users
// (GET /v5/users) with their role and 2FA state. A user who has not
// activated the account yet is listed as pending. Users cannot be invited
// or removed through the API.
func (c *Client) ListTeammates(ctx context.Context) ([]provider.Teammate, error) {
	sec := c.section("users")
	var out []provider.Teammate
	var no2FA []string
	err := listSkip(ctx, c, sec, skipList[userJSON]{
		op: "list users", path: "/v5/users", key: "users", pageSize: 100,
		id: func(u userJSON) string { return u.ID },
	}, func(us []userJSON) {
		for _, u := range us {
			t := provider.Teammate{
				Username:  clip(u.Email, maxName),
				Email:     clip(u.Email, maxName),
				Name:      clip(u.Name, maxName),
				Role:      clip(u.Role, 40),
				Admin:     u.Role == RoleAdmin,
				Owner:     u.IsMaster,
				TwoFactor: u.twoFactor(),
				Pending:   u.Activated != nil && !*u.Activated,
			}
			if t.Username == "" {
				t.Username = clip(u.ID, maxID)
			}
			if t.Pending {
				t.Token = clip(u.ID, maxID)
			}
			if t.TwoFactor == provider.TwoFactorOff && !u.IsDisabled {
				no2FA = append(no2FA, t.Username)
			}
			out = append(out, t)
		}
	})
	c.mu.Lock()
	c.no2FA = no2FA
	c.mu.Unlock()
	return out, err
}

// UsersWithout2FA implements provider.TwoFactorReporter: the users the last
// ListTeammates showed without two-factor authentication (none before the
// first listing).
func (c *Client) UsersWithout2FA() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.no2FA)
}

// ---- subaccounts ----

type subJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	CreatedAt mgTime `json:"created_at"`
}

type subaccount struct {
	provider.Subuser
	id string
}

// subUsername is how a subaccount is named: "name (id)", or the id alone.
// Its id is what the API acts on; DisableSubuser finds it again by this
// exact name.
func subUsername(s subJSON) string {
	id, name := clip(s.ID, maxID), clip(s.Name, maxName)
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}

// subaccounts lists the subaccounts (GET /v5/accounts/subaccounts).
func (c *Client) subaccounts(ctx context.Context) ([]subaccount, error) {
	sec := c.section("subaccounts")
	var out []subaccount
	err := listSkip(ctx, c, sec, skipList[subJSON]{
		op: "list subaccounts", path: "/v5/accounts/subaccounts", key: "subaccounts", pageSize: 1000,
		id: func(s subJSON) string { return s.ID },
	}, func(ss []subJSON) {
		for _, s := range ss {
			out = append(out, subaccount{id: clip(s.ID, maxID), Subuser: provider.Subuser{
				Username: subUsername(s),
				Disabled: s.Status != "" && s.Status != "open",
				Created:  s.CreatedAt.Time,
			}})
		}
	})
	return out, err
}

// ListSubusers implements provider.SubuserLister: subaccounts, named "name
// (id)"; a disabled or closed one is Disabled.
func (c *Client) ListSubusers(ctx context.Context) ([]provider.Subuser, error) {
	subs, err := c.subaccounts(ctx)
	out := make([]provider.Subuser, len(subs))
	for i, s := range subs {
		out[i] = s.Subuser
	}
	return out, err
}

// ---- IP allow list ----

type allowJSON struct {
	IPAddress   string `json:"ip_address"`
	Description string `json:"description"`
}

// ListAllowRules implements provider.AllowListReader (GET /v2/ip_whitelist,
// one list).
func (c *Client) ListAllowRules(ctx context.Context) ([]provider.AllowRule, error) {
	sec := c.section("IP allow list")
	if !sec.Next() {
		return nil, sec.Err()
	}
	const op = "list the IP allow list"
	var out []provider.AllowRule
	err := c.http.Do(ctx, provider.Request{Op: op, Path: "/v2/ip_whitelist"}, func(_ int, body []byte) error {
		sec.Read(len(body))
		items, n, err := provider.DecodeList[allowJSON](body, "addresses", sec.Remaining())
		if err != nil {
			return provider.MalformedJSON(op, "Mailgun", len(body), err)
		}
		out = allowRules(items[:min(sec.Keep(n), len(items))])
		return nil
	})
	if err != nil {
		if err := sec.Failed(ctx, err); err != nil {
			return nil, err
		}
	}
	return out, sec.Err()
}

func allowRules(items []allowJSON) []provider.AllowRule {
	out := make([]provider.AllowRule, 0, len(items))
	for _, a := range items {
		ip := clip(a.IPAddress, 100)
		out = append(out, provider.AllowRule{ID: ip, CIDR: ip})
	}
	return out
}

// ---- domains ----

type domainJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	State        string `json:"state"`
	Type         string `json:"type"`
	IsDisabled   bool   `json:"is_disabled"`
	CreatedAt    mgTime `json:"created_at"`
	SubaccountID string `json:"subaccount_id"`
	ArchiveTo    string `json:"archive_to"`
}

// domain is a sending domain as the per-domain calls need it.
type domain struct {
	name, sub, archiveTo string
	active               bool
	custom               bool
	sender               provider.Sender
}

// domainList returns the account's domains, its subaccounts' included
// (include_subaccounts), reused for Options.DomainsTTL: the webhooks, SMTP
// credentials and events are read per domain. A truncated list comes back
// with its truncation.
func (c *Client) domainList(ctx context.Context) ([]domain, error) {
	c.mu.Lock()
	if c.domainsAt.IsZero() || c.opts.Now().Sub(c.domainsAt) > c.opts.DomainsTTL {
		c.mu.Unlock()
		return c.refreshDomains(ctx)
	}
	ds, err := c.domains, c.domainsE
	c.mu.Unlock()
	return ds, err
}

// refreshDomains reads the domain list (once at a time).
func (c *Client) refreshDomains(ctx context.Context) ([]domain, error) {
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	c.mu.Lock()
	if !c.domainsAt.IsZero() && c.opts.Now().Sub(c.domainsAt) <= c.opts.DomainsTTL {
		ds, err := c.domains, c.domainsE
		c.mu.Unlock()
		return ds, err
	}
	c.mu.Unlock()
	sec := c.section("sending domains")
	var out []domain
	err := listSkip(ctx, c, sec, skipList[domainJSON]{
		op: "list domains", path: "/v4/domains", key: "items", pageSize: 1000,
		query: map[string][]string{"include_subaccounts": {"true"}},
		id:    func(d domainJSON) string { return d.ID + "\x00" + d.Name },
	}, func(ds []domainJSON) {
		for _, d := range ds {
			name := strings.ToLower(clip(d.Name, 253))
			out = append(out, domain{
				name: name, sub: clip(d.SubaccountID, maxID), archiveTo: clip(d.ArchiveTo, maxURL),
				active: d.State == "active" && !d.IsDisabled, custom: d.Type != "sandbox",
				sender: provider.Sender{ID: name, Kind: "domain", Address: name, Verified: d.State == "active" && !d.IsDisabled, Created: d.CreatedAt.Time},
			})
		}
	})
	if err == nil || errors.Is(err, provider.ErrTruncated) {
		c.mu.Lock()
		c.domains, c.domainsE, c.domainsAt = out, err, c.opts.Now()
		c.mu.Unlock()
	}
	return out, err
}

// forget drops the cached domain list (after a change to a domain).
func (c *Client) forget() {
	c.mu.Lock()
	c.domainsAt = c.domainsAt.AddDate(-1, 0, 0)
	c.mu.Unlock()
}

// ListSenders implements provider.SenderLister: the sending domains (the
// account's and its subaccounts'); a domain is verified when its state is
// active.
func (c *Client) ListSenders(ctx context.Context) ([]provider.Sender, error) {
	ds, err := c.domainList(ctx)
	out := make([]provider.Sender, len(ds))
	for i, d := range ds {
		out[i] = d.sender
	}
	return out, err
}

// findDomain returns the domain called name from the (possibly refreshed)
// list.
func (c *Client) findDomain(ctx context.Context, name string) (domain, error) {
	name = strings.ToLower(name)
	for attempt := range 2 {
		if attempt == 1 {
			c.forget()
		}
		ds, err := c.domainList(ctx)
		for _, d := range ds {
			if d.name == name {
				return d, nil
			}
		}
		if err != nil && !errors.Is(err, provider.ErrTruncated) {
			return domain{}, err
		}
	}
	return domain{}, &provider.Error{Kind: provider.ErrNotFound, Op: "find domain", Message: fmt.Sprintf("no domain %s on the account", provider.SanitizeN(name, 100))}
}

// ---- webhooks, archive_to and routes ----

// webhookEvents is the order webhooks' events are read in (spec
// WebhooksResponse).
var webhookEvents = []string{"accepted", "delivered", "opened", "clicked", "unsubscribed", "complained", "temporary_fail", "permanent_fail"}

type webhookURLs struct {
	URLs []string `json:"urls"`
}

// Webhook ids: "webhook:<domain>:<fingerprint of the URL>",
// "archive:<domain>", "route:<route id>:<fingerprint of the action and
// target>". DeleteWebhook finds the object again from its id.
const (
	hookPrefix    = "webhook:"
	archivePrefix = "archive:"
	routePrefix   = "route:"
)

// ListWebhooks implements provider.WebhookLister: every domain's event
// webhooks (one entry per URL, whatever events it gets), every domain's
// archive_to URL (a copy of each delivered message is posted there), and
// the inbound routes' forward() and store(notify=…) targets, as
// provider.WebhookRoute entries whose URL is the target URL or
// "mailto:<address>" and whose Filter is the route's expression.
func (c *Client) ListWebhooks(ctx context.Context) ([]provider.Webhook, error) {
	sec := c.section("webhooks")
	parts := sec.Parts("event webhooks", "routes")
	var (
		mu   sync.Mutex
		out  []provider.Webhook
		errs []error
	)
	add := func(ws []provider.Webhook, err error) {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, ws...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		ws, err := c.eventWebhooks(ctx, parts[0])
		parts[0].Done()
		add(ws, err)
	})
	wg.Go(func() {
		ws, err := c.routeWebhooks(ctx, parts[1])
		parts[1].Done()
		add(ws, err)
	})
	wg.Wait()
	var real []error
	for _, e := range errs {
		if _, rest := provider.SplitTruncated(e); rest != nil {
			real = append(real, rest)
		}
	}
	slices.SortStableFunc(out, func(a, b provider.Webhook) int { return strings.Compare(a.ID, b.ID) })
	return out, errors.Join(append(real, sec.Err())...)
}

// eventWebhooks reads each domain's webhooks (four domains at a time) and
// archive_to.
func (c *Client) eventWebhooks(ctx context.Context, part *provider.Section) ([]provider.Webhook, error) {
	ds, derr := c.domainList(ctx)
	var out []provider.Webhook
	for _, d := range ds {
		if d.archiveTo != "" && part.Keep(1) == 1 {
			out = append(out, provider.Webhook{ID: archivePrefix + d.name, Kind: provider.WebhookEvent, URL: d.archiveTo, Domain: d.name,
				Filter: "archive_to: a copy of every delivered message", Enabled: true})
		}
	}
	var (
		mu    sync.Mutex
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, 4)
	)
	for _, d := range ds {
		if ctx.Err() != nil || !part.Next() {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			ws, err := c.domainWebhooks(ctx, part, d)
			mu.Lock()
			defer mu.Unlock()
			out = append(out, ws...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		if err := part.Failed(ctx, err); err != nil {
			return out, err
		}
	}
	if derr != nil {
		if errors.Is(derr, provider.ErrTruncated) {
			part.Stop(provider.CauseSource, "the domain list was incomplete")
		} else {
			return out, derr
		}
	}
	return out, part.Err()
}

// domainWebhooks reads one domain's webhooks: one entry per URL. A domain
// gone since it was listed has none.
func (c *Client) domainWebhooks(ctx context.Context, part *provider.Section, d domain) ([]provider.Webhook, error) {
	urls, err := c.hookURLs(ctx, part, d)
	if errors.Is(err, provider.ErrNotFound) {
		return nil, nil
	}
	var out []provider.Webhook
	for _, u := range urls {
		if part.Keep(1) < 1 {
			break
		}
		out = append(out, provider.Webhook{ID: hookPrefix + d.name + ":" + short(u), Kind: provider.WebhookEvent, URL: clip(u, maxURL), Domain: d.name, Enabled: true})
	}
	return out, err
}

// hookURLs reads a domain's webhook URLs, each once, in the events' order.
func (c *Client) hookURLs(ctx context.Context, part *provider.Section, d domain) ([]string, error) {
	const op = "list webhooks"
	var out []string
	err := c.http.Do(ctx, provider.Request{Op: op, Path: "/v3/domains/" + seg(d.name) + "/webhooks", Route: "/v3/domains/{domain}/webhooks", Header: onBehalfOf(d.sub)}, func(_ int, body []byte) error {
		if part != nil {
			part.Read(len(body))
		}
		var v struct {
			Webhooks map[string]*webhookURLs `json:"webhooks"`
		}
		if err := provider.DecodeJSON(op, "Mailgun", body, &v); err != nil {
			return err
		}
		seen := map[string]bool{}
		events := slices.Sorted(func(yield func(string) bool) {
			for k := range v.Webhooks {
				if !yield(k) {
					return
				}
			}
		})
		slices.SortStableFunc(events, func(a, b string) int { return eventRank(a) - eventRank(b) })
		for _, ev := range events {
			w := v.Webhooks[ev]
			if w == nil {
				continue
			}
			for _, u := range w.URLs {
				if !seen[u] && u != "" {
					seen[u] = true
					out = append(out, u)
				}
			}
		}
		return nil
	})
	return out, err
}

func eventRank(ev string) int {
	if i := slices.Index(webhookEvents, ev); i >= 0 {
		return i
	}
	return len(webhookEvents)
}

type routeJSON struct {
	ID          string   `json:"id"`
	Priority    int      `json:"priority"`
	Description string   `json:"description"`
	Expression  string   `json:"expression"`
	Actions     []string `json:"actions"`
	CreatedAt   mgTime   `json:"created_at"`
}

// routeWebhooks lists the routes and keeps their mail-carrying targets.
func (c *Client) routeWebhooks(ctx context.Context, part *provider.Section) ([]provider.Webhook, error) {
	var out []provider.Webhook
	err := listSkip(ctx, c, part, skipList[routeJSON]{
		op: "list routes", path: "/v3/routes", key: "items", pageSize: 1000,
		id: func(r routeJSON) string { return r.ID },
	}, func(rs []routeJSON) {
		for _, r := range rs {
			out = append(out, routeHooks(r)...)
		}
	})
	return out, err
}

// maxActions bounds the actions read from one route.
const maxActions = 32

// routeHooks turns a route's forward() and store(notify=…) actions into
// webhook entries, one per target.
func routeHooks(r routeJSON) []provider.Webhook {
	var out []provider.Webhook
	for _, a := range r.Actions[:min(len(r.Actions), maxActions)] {
		for _, t := range actionTargets(a) {
			out = append(out, provider.Webhook{
				ID: routePrefix + clip(r.ID, maxID) + ":" + short(a+"\x00"+t), Kind: provider.WebhookRoute,
				URL: clip(t, maxURL), Filter: clip(r.Expression, maxExpr), Created: r.CreatedAt.Time, Enabled: true,
			})
		}
	}
	return out
}

// actionTargets returns where a route action sends mail: forward("dest")
// (an http(s) URL, or one or more comma-separated addresses, each as
// "mailto:address") and store(notify="url"). Other actions (stop(),
// store() alone) have none.
func actionTargets(a string) []string {
	a = strings.TrimSpace(a)
	name, args, ok := strings.Cut(a, "(")
	if !ok {
		return nil
	}
	args = strings.TrimSuffix(strings.TrimSpace(args), ")")
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "forward":
		dest := unquote(args)
		if isURL(dest) {
			return []string{dest}
		}
		var out []string
		for _, addr := range strings.Split(dest, ",") {
			if addr = strings.TrimSpace(addr); addr != "" {
				out = append(out, "mailto:"+addr)
			}
			if len(out) == 16 {
				break
			}
		}
		return out
	case "store":
		for _, kv := range strings.Split(args, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "notify") {
				if u := unquote(v); u != "" {
					return []string{u}
				}
			}
		}
	}
	return nil
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	return strings.TrimSpace(s)
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// ---- SMTP credentials and the signing key ----

type credJSON struct {
	Login     string `json:"login"`
	Mailbox   string `json:"mailbox"`
	CreatedAt mgTime `json:"created_at"`
}

func (x credJSON) login() string {
	if x.Login != "" {
		return x.Login
	}
	return x.Mailbox
}

// Secret ids: "smtp:<domain>:<fingerprint of the login>" (the login may
// be longer than what is kept of it), and SigningKeyID.
const (
	smtpPrefix = "smtp:"
	// SigningKeyID is the id of the account's webhook signing key.
	SigningKeyID = "http_signing_key"
)

// ListSecrets implements provider.SecretLister: every domain's SMTP
// credentials (GET /v3/domains/{d}/credentials), and the account's webhook
// signing key (listed without reading it: its value never leaves
// Mailgun here unless it is rotated).
func (c *Client) ListSecrets(ctx context.Context) ([]provider.AccountSecret, error) {
	sec := c.section("secrets")
	out := []provider.AccountSecret{{ID: SigningKeyID, Kind: provider.SecretSigningKey, Name: "HTTP webhook signing key (account)"}}
	sec.Keep(1)
	ds, derr := c.domainList(ctx)
	var errs []error
	for _, d := range ds {
		if ctx.Err() != nil || !sec.Room() {
			break
		}
		err := listSkip(ctx, c, sec, skipList[credJSON]{
			op: "list SMTP credentials", path: "/v3/domains/" + seg(d.name) + "/credentials", header: onBehalfOf(d.sub),
			key: "items", pageSize: 1000, id: func(x credJSON) string { return x.Login },
		}, func(cs []credJSON) {
			for _, x := range cs {
				login := x.login()
				out = append(out, provider.AccountSecret{ID: smtpPrefix + d.name + ":" + short(login), Kind: provider.SecretSMTP, Name: clip(login, maxName), Domain: d.name, Created: x.CreatedAt.Time})
			}
		})
		if err != nil && !errors.Is(err, provider.ErrTruncated) && !errors.Is(err, provider.ErrNotFound) {
			errs = append(errs, err)
		}
		if sec.Truncated() {
			break
		}
	}
	if derr != nil {
		if errors.Is(derr, provider.ErrTruncated) {
			sec.Stop(provider.CauseSource, "the domain list was incomplete")
		} else {
			errs = append(errs, derr)
		}
	}
	return out, errors.Join(append(errs, sec.Err())...)
}
