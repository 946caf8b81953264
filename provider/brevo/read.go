package brevo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"reclaim/provider"
)

// Capabilities this adapter implements. Not implemented, because Brevo's
// API cannot do them: KeyLister, KeyCreator, KeyRevoker (the account's own
// API keys), AllowListReader/Writer (authorised IPs), SecretRotator (SMTP
// keys), MailSettingsLister, SubuserDisabler (Brevo only deletes
// sub-accounts), PasswordChanger.
var (
	_ provider.AccountReader     = (*Client)(nil)
	_ provider.KeyVerifier       = (*Client)(nil)
	_ provider.TeammateLister    = (*Client)(nil)
	_ provider.TeammateRemover   = (*Client)(nil)
	_ provider.SubuserLister     = (*Client)(nil)
	_ provider.WebhookLister     = (*Client)(nil)
	_ provider.WebhookDeleter    = (*Client)(nil)
	_ provider.SenderLister      = (*Client)(nil)
	_ provider.ActivityLister    = (*Client)(nil)
	_ provider.MessageLister     = (*Client)(nil)
	_ provider.SecretLister      = (*Client)(nil)
	_ provider.RateLimitNotifier = (*Client)(nil)
)

// ---- wire shapes (the fields reclaim reads) ----

type bvAccount struct {
	Email       string `json:"email"`
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	CompanyName string `json:"companyName"`
	Plan        []struct {
		Type string `json:"type"`
	} `json:"plan"`
	Relay struct {
		Enabled bool `json:"enabled"`
		Data    struct {
			UserName string `json:"userName"`
			Relay    string `json:"relay"`
			Port     int    `json:"port"`
		} `json:"data"`
	} `json:"relay"`
}

// ---- AccountReader ----

func (c *Client) account(ctx context.Context, op string) (bvAccount, error) {
	var a bvAccount
	if err := c.get(ctx, op, "/account", nil, &a); err != nil {
		return bvAccount{}, err
	}
	c.mu.Lock()
	c.login = clip(strings.TrimSpace(a.Email))
	c.mu.Unlock()
	return a, nil
}

// Account implements provider.AccountReader from GET /account: the login
// email, the company, and the plan types ("free", "subscription, sms").
func (c *Client) Account(ctx context.Context) (provider.Account, error) {
	a, err := c.account(ctx, "read the account")
	if err != nil {
		return provider.Account{}, err
	}
	var plans []string
	for _, p := range a.Plan[:min(len(a.Plan), 10)] {
		if t := strings.TrimSpace(p.Type); t != "" {
			plans = append(plans, provider.Clip(t, 40))
		}
	}
	return provider.Account{
		Username: clip(a.Email),
		Email:    clip(a.Email),
		Company:  clip(a.CompanyName),
		Type:     provider.Sanitize(strings.Join(plans, ", ")),
	}, nil
}

// ---- SecretLister ----

// ListSecrets implements provider.SecretLister: the SMTP login from GET
// /account (relay). Brevo's API cannot list the SMTP keys used with it, nor
// rotate them: they are reviewed in the console (SMTPKeysPage).
func (c *Client) ListSecrets(ctx context.Context) ([]provider.AccountSecret, error) {
	a, err := c.account(ctx, "read the SMTP login")
	if err != nil {
		return nil, err
	}
	login := strings.TrimSpace(a.Relay.Data.UserName)
	if login == "" {
		return []provider.AccountSecret{}, nil
	}
	relay := provider.Clip(strings.TrimSpace(a.Relay.Data.Relay), 200)
	name := "SMTP keys of the login " + clip(login)
	if relay != "" {
		name += " (relay " + relay + ")"
	}
	return []provider.AccountSecret{{ID: "smtp", Kind: provider.SecretSMTP, Name: provider.Sanitize(name)}}, nil
}

// ---- TeammateLister ----

type bvUser struct {
	Email         string                     `json:"email"`
	IsOwner       flexBool                   `json:"is_owner"`
	Status        string                     `json:"status"`
	FeatureAccess map[string]json.RawMessage `json:"feature_access"`
}

type bvPermissions struct {
	Email      string `json:"email"`
	Status     string `json:"status"`
	Privileges []struct {
		Feature     string   `json:"feature"`
		Permissions []string `json:"permissions"`
	} `json:"privileges"`
}

// userSource says which API a listed user came from.
type userSource int

const (
	fromOrganisation userSource = iota + 1
	fromMasterAccount
)

// maxPermissionReads bounds the per-user permission reads of one listing.
const maxPermissionReads = 100

// ListTeammates implements provider.TeammateLister: the organisation's users
// and invitations (GET /organization/invited/users), each active user's
// permissions (GET /organization/user/{email}/permissions, so that a user
// who may manage API keys, authorised IPs or users shows as an admin), and,
// on a master account, its admin users (GET /corporate/invited/users; other
// accounts refuse it, and that part is skipped). Brevo's API does not say
// which users have 2FA (TwoFactor stays "").
func (c *Client) ListTeammates(ctx context.Context) ([]provider.Teammate, error) {
	const op = "list users"
	sec := c.limits.Section("teammates")
	parts := sec.Parts("users", "permissions", "admin users")
	users, err := onePage[bvUser](ctx, c, parts[0], op, "/organization/invited/users", "users", nil, func(u bvUser) string { return u.Email })
	parts[0].Done()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return nil, err
	}
	seen := map[string]userSource{}
	out := make([]provider.Teammate, 0, len(users))
	for _, u := range users {
		email := clip(strings.TrimSpace(u.Email))
		t := provider.Teammate{Username: email, Email: email, Owner: bool(u.IsOwner), Pending: strings.EqualFold(strings.TrimSpace(u.Status), "pending")}
		if t.Pending {
			t.Token = email
		}
		t.Role = featureSummary(u.FeatureAccess)
		t.Admin = t.Owner
		seen[strings.ToLower(email)] = fromOrganisation
		out = append(out, t)
	}
	c.readPermissions(ctx, parts[1], out)
	parts[1].Done()

	admins, aerr := onePage[bvUser](ctx, c, parts[2], "list the master account's admin users", "/corporate/invited/users", "users", nil, func(u bvUser) string { return u.Email })
	parts[2].Done()
	switch {
	case aerr == nil || errors.Is(aerr, provider.ErrTruncated):
		for _, u := range admins {
			email := clip(strings.TrimSpace(u.Email))
			if _, dup := seen[strings.ToLower(email)]; dup {
				continue
			}
			seen[strings.ToLower(email)] = fromMasterAccount
			t := provider.Teammate{Username: email, Email: email, Owner: bool(u.IsOwner), Pending: strings.EqualFold(strings.TrimSpace(u.Status), "pending")}
			if t.Pending {
				t.Token = email
			}
			role := featureSummary(u.FeatureAccess)
			t.Role = strings.TrimPrefix(role+"; ", "; ") + "admin user of the master account"
			t.Admin = t.Owner || featureGrants(u.FeatureAccess, "user_management", "api_keys")
			out = append(out, t)
		}
	case planGated(aerr):
		// Not a master account: there are no admin users to read.
	default:
		return out, join(aerr, sec.Err())
	}
	c.mu.Lock()
	clear(c.users)
	for k, v := range seen {
		c.users[k] = v
	}
	c.mu.Unlock()
	return out, sec.Err()
}

// readPermissions reads the permissions of each active, non-owner user
// (at most maxPermissionReads, within the part's caps) into its Role and
// Admin. A read that fails ends the reads: the users stay listed, their
// Role saying the permissions were not read.
func (c *Client) readPermissions(ctx context.Context, part *provider.Section, ts []provider.Teammate) {
	reads := 0
	for i := range ts {
		t := &ts[i]
		if t.Owner || t.Pending || !validEmail(t.Email) {
			continue
		}
		if reads >= maxPermissionReads {
			part.Stop(provider.CauseItems, fmt.Sprintf("permissions read for the first %d users", maxPermissionReads))
			return
		}
		if !part.Next() {
			return
		}
		reads++
		op := "read a user's permissions"
		var p bvPermissions
		size := 0
		err := c.http.Do(ctx, provider.Request{Op: op, Method: "GET", Path: "/organization/user/" + url.PathEscape(t.Email) + "/permissions", Route: "/organization/user/{email}/permissions"}, func(_ int, body []byte) error {
			size = len(body)
			return provider.DecodeJSON(op, "Brevo", body, &p)
		})
		if err != nil {
			if part.Failed(ctx, err) == nil {
				return
			}
			note := "permissions not read: " + provider.SanitizeN(err.Error(), 200)
			t.Role = strings.TrimPrefix(t.Role+"; ", "; ") + note
			part.Stop(provider.CauseSource, "a permission read failed")
			return
		}
		part.Read(size)
		part.Keep(1)
		sum, admin := privilegeSummary(p)
		if sum != "" {
			t.Role = sum
		}
		t.Admin = t.Admin || admin
	}
}

// adminFeatures are the permissions that let a user keep or widen access:
// manage users, API keys, SMTP keys or authorised IPs.
var adminFeatures = []string{"api keys", "authorized ips", "authorised ips", "smtp"}

// privilegeSummary renders a user's privileges ("SMTP & API: SMTP, API
// Keys; User management: All") and says whether they make the user an
// admin (user management, API keys, SMTP or authorised IPs).
func privilegeSummary(p bvPermissions) (string, bool) {
	var parts []string
	admin := false
	for _, pr := range p.Privileges[:min(len(p.Privileges), 40)] {
		feature := provider.Clip(strings.TrimSpace(pr.Feature), 60)
		var perms []string
		for _, s := range pr.Permissions[:min(len(pr.Permissions), 20)] {
			s = strings.TrimSpace(s)
			if s == "" || strings.EqualFold(s, "none") {
				continue
			}
			perms = append(perms, provider.Clip(s, 60))
			ls := strings.ToLower(s)
			if strings.Contains(strings.ToLower(feature), "user management") {
				admin = true
			}
			for _, a := range adminFeatures {
				if ls == a {
					admin = true
				}
			}
		}
		if len(perms) > 0 {
			parts = append(parts, feature+": "+strings.Join(perms, ", "))
		}
	}
	return provider.SanitizeN(strings.Join(parts, "; "), 600), admin
}

// featureSummary renders a user's feature_access ("marketing: full, crm:
// none"), keys sorted.
func featureSummary(fa map[string]json.RawMessage) string {
	keys := make([]string, 0, len(fa))
	for k := range fa {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys[:min(len(keys), 20)] {
		v := featureValues(fa[k])
		if len(v) == 0 {
			continue
		}
		parts = append(parts, provider.Clip(k, 40)+": "+strings.Join(v, "/"))
	}
	return provider.SanitizeN(strings.Join(parts, ", "), 400)
}

// featureGrants reports whether any of the features is granted ("all",
// "full", "owner" or a non-"none" value).
func featureGrants(fa map[string]json.RawMessage, features ...string) bool {
	for _, f := range features {
		for _, v := range featureValues(fa[f]) {
			if !strings.EqualFold(v, "none") {
				return true
			}
		}
	}
	return false
}

// featureValues reads a feature_access value: a string ("full") or an
// array of strings (["all"]).
func featureValues(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s = strings.TrimSpace(s); s != "" {
			return []string{provider.Clip(s, 40)}
		}
		return nil
	}
	var arr []string
	if json.Unmarshal(raw, &arr) == nil {
		var out []string
		for _, v := range arr[:min(len(arr), 10)] {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, provider.Clip(v, 40))
			}
		}
		return out
	}
	return nil
}

// ---- SubuserLister ----

type bvSubAccount struct {
	ID          flexID `json:"id"`
	CompanyName string `json:"companyName"`
	Active      bool   `json:"active"`
	CreatedAt   bvTime `json:"createdAt"`
}

// ListSubusers implements provider.SubuserLister from GET
// /corporate/subAccount (paged with offset and limit, with a claimed
// count). Accounts that are not Enterprise master accounts are refused by
// Brevo: that comes back as ErrUnsupported "not available on this plan".
func (c *Client) ListSubusers(ctx context.Context) ([]provider.Subuser, error) {
	const op = "list sub-accounts"
	sec := c.limits.Section("sub-accounts")
	var out []provider.Subuser
	err := offsetList(ctx, c, sec, op, "/corporate/subAccount", "subAccounts", nil, 100,
		func(s bvSubAccount) string { return string(s.ID) },
		func(page []bvSubAccount) error {
			for _, s := range page {
				name := clip(strings.TrimSpace(s.CompanyName))
				out = append(out, provider.Subuser{Username: provider.Clip(provider.Sanitize(fmt.Sprintf("%s (id %s)", name, s.ID)), maxField), Disabled: !s.Active, Created: s.CreatedAt.Time})
			}
			return nil
		})
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		if out == nil {
			return nil, notOnPlan(err, "sub-accounts need an Enterprise master account")
		}
	}
	return out, err
}

// ---- WebhookLister ----

type bvWebhook struct {
	ID          flexID   `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
	Type        string   `json:"type"`
	Domain      string   `json:"domain"`
	CreatedAt   bvTime   `json:"createdAt"`
}

// webhookTypes are the three kinds GET /webhooks lists, one call each (the
// default is transactional only).
var webhookTypes = []string{"transactional", "marketing", "inbound"}

// ListWebhooks implements provider.WebhookLister: transactional and
// marketing event webhooks (WebhookEvent) and inbound-parsing webhooks
// (WebhookParse, Hostname the receiving domain), one unpaged list each.
// Brevo webhooks have no on/off switch: every one is Enabled.
func (c *Client) ListWebhooks(ctx context.Context) ([]provider.Webhook, error) {
	sec := c.limits.Section("webhooks")
	parts := sec.Parts(webhookTypes...)
	var out []provider.Webhook
	var errs []error
	for i, typ := range webhookTypes {
		q := url.Values{"type": {typ}, "sort": {"desc"}}
		hs, err := onePage[bvWebhook](ctx, c, parts[i], "list "+typ+" webhooks", "/webhooks", "webhooks", q, func(h bvWebhook) string { return string(h.ID) })
		parts[i].Done()
		if err != nil && !errors.Is(err, provider.ErrTruncated) {
			errs = append(errs, err)
			continue
		}
		for _, h := range hs {
			w := provider.Webhook{ID: string(h.ID), Kind: provider.WebhookEvent, URL: clip(strings.TrimSpace(h.URL)), Enabled: true, Created: h.CreatedAt.Time}
			if typ == "inbound" {
				w.Kind = provider.WebhookParse
				w.Hostname = clip(strings.TrimSpace(h.Domain))
			}
			out = append(out, w)
		}
	}
	if len(errs) > 0 {
		if out == nil {
			return nil, join(errs...)
		}
		return out, join(append(errs, sec.Err())...)
	}
	return out, sec.Err()
}

// ---- SenderLister ----

type bvSender struct {
	ID     flexID `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Active bool   `json:"active"`
}

type bvDomain struct {
	ID            flexID `json:"id"`
	DomainName    string `json:"domain_name"`
	Authenticated bool   `json:"authenticated"`
	Verified      bool   `json:"verified"`
}

// ListSenders implements provider.SenderLister: senders (GET /senders, Kind
// "single", Verified when active) and domains (GET /senders/domains, Kind
// "domain", Verified when authenticated and verified).
func (c *Client) ListSenders(ctx context.Context) ([]provider.Sender, error) {
	sec := c.limits.Section("senders")
	parts := sec.Parts("senders", "domains")
	var out []provider.Sender
	var errs []error
	ss, err := onePage[bvSender](ctx, c, parts[0], "list senders", "/senders", "senders", nil, func(s bvSender) string { return string(s.ID) })
	parts[0].Done()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		errs = append(errs, err)
	}
	for _, s := range ss {
		out = append(out, provider.Sender{ID: "sender:" + string(s.ID), Kind: "single", Address: clip(strings.TrimSpace(s.Email)), Verified: s.Active})
	}
	ds, err := onePage[bvDomain](ctx, c, parts[1], "list domains", "/senders/domains", "domains", nil, func(d bvDomain) string { return string(d.ID) + "/" + d.DomainName })
	parts[1].Done()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		errs = append(errs, err)
	}
	for _, d := range ds {
		out = append(out, provider.Sender{ID: "domain:" + string(d.ID), Kind: "domain", Address: clip(strings.TrimSpace(d.DomainName)), Verified: d.Authenticated && d.Verified})
	}
	if len(errs) > 0 {
		if out == nil {
			return nil, join(errs...)
		}
		return out, join(append(errs, sec.Err())...)
	}
	return out, sec.Err()
}

// ---- ActivityLister ----

type bvActivity struct {
	Action    string `json:"action"`
	Date      bvTime `json:"date"`
	UserEmail string `json:"user_email"`
	UserIP    string `json:"user_ip"`
	UserAgent string `json:"user_agent"`
}

// activityWindow is the longest date range one activity query takes
// (Brevo: "one month"): the 30 days are read as two windows of 15 days.
const activityWindow = 15

// ListActivity implements provider.ActivityLister from the organisation's
// activity log (GET /organization/activities, the last 30 days, paged by
// 100), aggregated by IP address: Method lists the actions seen (e.g.
// "login-success, update-profile"), Location names the user(s), Allowed is
// false for failed actions. The log exists on the Enterprise plan only:
// elsewhere Brevo refuses the call and it comes back as ErrUnsupported "not
// available on this plan".
func (c *Client) ListActivity(ctx context.Context) ([]provider.AccessEvent, error) {
	const op = "read the activity log"
	sec := c.limits.Section("access activity")
	today := c.now().UTC().Truncate(24 * time.Hour)
	agg := map[string]*activityAgg{}
	var order []string
	read := 0
	var err error
	for w := 1; w >= 0 && err == nil; w-- {
		end := today.AddDate(0, 0, -w*activityWindow)
		start := end.AddDate(0, 0, -(activityWindow - 1))
		q := url.Values{"startDate": {start.Format("2006-01-02")}, "endDate": {end.Format("2006-01-02")}}
		err = offsetList(ctx, c, sec, op, "/organization/activities", "logs", q, 100,
			func(a bvActivity) string {
				return a.Date.String() + "|" + a.UserIP + "|" + a.Action + "|" + a.UserEmail
			},
			func(page []bvActivity) error {
				read += len(page)
				for _, a := range page {
					ip := provider.Clip(strings.TrimSpace(a.UserIP), 64)
					allowed := !strings.Contains(strings.ToLower(a.Action), "fail")
					k := ip + "|" + strconv.FormatBool(allowed)
					g := agg[k]
					if g == nil {
						g = &activityAgg{ev: provider.AccessEvent{IP: ip, Allowed: allowed}}
						agg[k] = g
						order = append(order, k)
					}
					g.add(a)
				}
				return nil
			})
	}
	if err != nil && !errors.Is(err, provider.ErrTruncated) && read == 0 {
		return nil, notOnPlan(err, "the activity log needs the Enterprise plan")
	}
	out := make([]provider.AccessEvent, 0, len(order))
	for _, k := range order {
		out = append(out, agg[k].event())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Last.After(out[j].Last) })
	return out, err
}

type activityAgg struct {
	ev      provider.AccessEvent
	actions []string
	users   []string
	more    int
}

func (g *activityAgg) add(a bvActivity) {
	g.ev.Count++
	t := a.Date.Time
	if !t.IsZero() && (g.ev.First.IsZero() || t.Before(g.ev.First)) {
		g.ev.First = t
	}
	if t.After(g.ev.Last) {
		g.ev.Last = t
	}
	if act := provider.Clip(strings.TrimSpace(a.Action), 40); act != "" && len(g.actions) < 6 && !contains(g.actions, act) {
		g.actions = append(g.actions, act)
	}
	if u := provider.Clip(strings.TrimSpace(a.UserEmail), 120); u != "" && !contains(g.users, u) {
		if len(g.users) < 2 {
			g.users = append(g.users, u)
		} else {
			g.more++
		}
	}
}

func (g *activityAgg) event() provider.AccessEvent {
	e := g.ev
	e.Method = provider.Sanitize(strings.Join(g.actions, ", "))
	if len(g.users) > 0 {
		e.Location = "user " + strings.Join(g.users, ", ")
		if g.more > 0 {
			e.Location += fmt.Sprintf(" and %d more", g.more)
		}
		e.Location = provider.Sanitize(e.Location)
	}
	return e
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ---- MessageLister ----

type bvEvent struct {
	Email     string `json:"email"`
	Date      bvTime `json:"date"`
	Subject   string `json:"subject"`
	MessageID string `json:"messageId"`
	Event     string `json:"event"`
	From      string `json:"from"`
}

// EventsPageSize is the limit of each events request (Brevo's maximum is
// 5,000; its default 2,500).
const EventsPageSize = 2500

// ListMessages implements provider.MessageLister from the transactional
// events report (GET /smtp/statistics/events, event=requests: one event per
// message sent, with its subject, sender and recipient), newest first,
// paged with limit and offset, streamed page by page within the messages
// caps. Events before since are dropped.
func (c *Client) ListMessages(ctx context.Context, since time.Time, fn func([]provider.Message) error) error {
	const op = "list the last 30 days of mail"
	sec := c.limits.MessageSection("messages")
	// Days "including today" (UTC), back to since's date.
	days := int(c.now().UTC().Truncate(24*time.Hour).Sub(since.UTC().Truncate(24*time.Hour)).Hours()/24) + 1
	days = min(max(days, 1), 90)
	q := url.Values{"event": {"requests"}, "days": {strconv.Itoa(days)}, "sort": {"desc"}}
	return offsetList(ctx, c, sec, op, "/smtp/statistics/events", "events", q, EventsPageSize,
		func(e bvEvent) string { return e.MessageID + "|" + e.Email + "|" + e.Date.String() },
		func(page []bvEvent) error {
			msgs := make([]provider.Message, 0, len(page))
			for _, e := range page {
				if !e.Date.IsZero() && e.Date.Before(since) {
					continue
				}
				msgs = append(msgs, provider.Message{
					ID:      provider.Clip(e.MessageID, 300),
					From:    provider.Clip(e.From, 300),
					To:      provider.Clip(e.Email, 300),
					Subject: provider.Clip(e.Subject, 1000),
					Sent:    e.Date.Time,
					Status:  provider.Clip(e.Event, 40),
				})
			}
			if len(msgs) == 0 {
				return nil
			}
			return fn(msgs)
		})
}
