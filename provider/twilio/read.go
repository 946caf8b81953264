package twilio

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// Fan-out bounds: subaccounts whose keys and numbers are read (besides the
// main account's), and keys whose policy is fetched one by one.
const (
	maxFanout      = 100
	maxPolicyFetch = 50
	policyWorkers  = 4
	subsCacheTTL   = time.Minute
)

// Key types, from a key's flags (IAM v1). The spec's example flags are
// "rest_api" and "signing"; whether Twilio lists the type there too is not
// documented, so a key whose flags do not say is typed by its policy
// (restricted when it has one) and otherwise left unknown (not Main).
const (
	typeUnknown    = ""
	typeMain       = "main"
	typeStandard   = "standard"
	typeRestricted = "restricted"
)

func keyType(flags []string) string {
	for _, f := range flags {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "main", "master":
			return typeMain
		case "restricted":
			return typeRestricted
		case "standard":
			return typeStandard
		}
	}
	return typeUnknown
}

// Account implements provider.AccountReader: GET /2010-04-01/Accounts/{Sid}.json.
func (c *Client) Account(ctx context.Context) (provider.Account, error) {
	var a account
	if err := c.api.GetJSON(ctx, "read the account", accountPath(c.account), nil, &a); err != nil {
		return provider.Account{}, err
	}
	typ := provider.SanitizeN(a.Type, 40)
	if a.Status != "" && a.Status != "active" {
		typ = strings.TrimSpace(typ + " (" + provider.SanitizeN(a.Status, 40) + ")")
	}
	return provider.Account{Username: clip(a.Name), Type: typ, Created: a.Created.Time}, nil
}

// subaccount is a subaccount as reclaim keeps it.
type subaccount struct {
	SID, Name, Status string
	Created           time.Time
}

// listSubaccounts reads GET /2010-04-01/Accounts.json (the caller's account
// and its subaccounts) within sec, and keeps the subaccounts.
func (c *Client) listSubaccounts(ctx context.Context, sec *provider.Section) ([]subaccount, error) {
	var out []subaccount
	err := list(ctx, c.api, sec, "list subaccounts", "/2010-04-01/Accounts.json", c.pageQuery(nil), "accounts", next2010,
		func(a account) string { return a.SID }, func(p []account) error {
			for _, a := range p {
				if a.SID == c.account || !isSID(a.SID, "AC") {
					continue
				}
				out = append(out, subaccount{SID: a.SID, Name: clip(a.Name), Status: clip(a.Status), Created: a.Created.Time})
			}
			return nil
		})
	if _, rest := provider.SplitTruncated(err); rest == nil {
		c.mu.Lock()
		c.subs, c.subsAt = out, c.now()
		c.mu.Unlock()
	}
	return out, err
}

// fanout returns the main account and up to maxFanout active subaccounts
// whose keys and numbers are read, and how many active ones were left out.
// A subaccount listing that fails (a standard key may not read accounts)
// leaves the main account alone: the subusers section reports the failure.
func (c *Client) fanout(ctx context.Context) (owners []string, cut int) {
	// One listing for the sections that start together (keys, webhooks).
	c.fanMu.Lock()
	defer c.fanMu.Unlock()
	c.mu.Lock()
	subs, fresh := c.subs, c.subsAt.Add(subsCacheTTL).After(c.now())
	c.mu.Unlock()
	if !fresh {
		subs, _ = c.listSubaccounts(ctx, c.limits.Section("subaccounts"))
	}
	owners = []string{c.account}
	for _, s := range subs {
		if s.Status != "active" {
			continue
		}
		if len(owners) > maxFanout {
			cut++
			continue
		}
		owners = append(owners, s.SID)
	}
	return owners, cut
}

// ListSubusers implements provider.SubuserLister: the subaccounts, as
// "AC… (friendly name)" (SubuserDisabler takes that back).
func (c *Client) ListSubusers(ctx context.Context) ([]provider.Subuser, error) {
	subs, err := c.listSubaccounts(ctx, c.limits.Section("subusers"))
	out := make([]provider.Subuser, 0, len(subs))
	for _, s := range subs {
		out = append(out, provider.Subuser{Username: subuserName(s.SID, s.Name), Disabled: s.Status != "active", Created: s.Created})
	}
	return out, err
}

// subuserName is how a subaccount is shown: its SID, then its name.
func subuserName(sid, name string) string {
	if name == "" {
		return sid
	}
	return sid + " (" + name + ")"
}

// subuserSID takes the SID back out of a subuserName.
func subuserSID(username string) string {
	sid, _, _ := strings.Cut(strings.TrimSpace(username), " ")
	return sid
}

// ListKeys implements provider.KeyLister: GET iam /v1/Keys?AccountSid= for
// the main account and each active subaccount (its keys carry Subuser),
// then each non-Main key's policy (GET /v1/Keys/{Sid}, newest first, at most
// maxPolicyFetch): a restricted key's allowed permissions become its
// Scopes. A Main key is Master and FullAccess.
func (c *Client) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	sec := c.limits.Section("API keys")
	owners, cut := c.fanout(ctx)
	var keys []provider.APIKey
	types := map[string]string{}
	for _, owner := range owners {
		if !sec.Room() {
			break
		}
		q := c.pageQuery(url.Values{"AccountSid": {owner}})
		err := list(ctx, c.iam, sec, "list API keys", "/v1/Keys", q, "keys", nextV1, func(k keyV1) string { return k.SID }, func(p []keyV1) error {
			for _, k := range p {
				if !isSID(k.SID, "SK") {
					continue
				}
				typ := keyType(k.Flags)
				ak := provider.APIKey{ID: k.SID, Name: clip(k.Name), Created: k.Created.Time, Master: typ == typeMain, FullAccess: typ == typeMain}
				if owner != c.account {
					ak.Subuser = owner
				}
				types[k.SID] = typ
				keys = append(keys, ak)
			}
			return nil
		})
		truncs, rest := provider.SplitTruncated(err)
		switch {
		case rest != nil && owner == c.account:
			return keys, rest
		case rest != nil:
			// One subaccount's keys could not be read: the list is kept,
			// marked incomplete.
			sec.Stop(provider.CauseSource, fmt.Sprintf("the keys of subaccount %s could not be read (%s)", owner, provider.SanitizeN(rest.Error(), 160)))
		}
		if len(truncs) > 0 {
			break
		}
	}
	if cut > 0 {
		sec.Stop(provider.CauseSource, fmt.Sprintf("the keys of %d more subaccounts were not read (at most %d are)", cut, maxFanout))
	}
	c.mu.Lock()
	for _, k := range keys {
		owner := k.Subuser
		if owner == "" {
			owner = c.account
		}
		c.keyOwner[k.ID] = owner
	}
	c.mu.Unlock()
	c.fetchPolicies(ctx, keys, types)
	return keys, sec.Err()
}

// fetchPolicies reads the policy of the newest non-Main keys whose flags do
// not say they are standard, maxPolicyFetch at most, policyWorkers at a
// time. A key whose policy cannot be read keeps no scopes: the listing is
// still complete.
func (c *Client) fetchPolicies(ctx context.Context, keys []provider.APIKey, types map[string]string) {
	var idx []int
	for i, k := range keys {
		if t := types[k.ID]; t == typeRestricted || t == typeUnknown {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]].Created.After(keys[idx[b]].Created) })
	idx = idx[:min(len(idx), maxPolicyFetch)]
	sem := make(chan struct{}, policyWorkers)
	var wg sync.WaitGroup
	for _, i := range idx {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var d keyDetail
			if err := c.iam.GetJSON(ctx, "read an API key's policy", "/v1/Keys/"+url.PathEscape(keys[i].ID), nil, &d); err != nil || d.Policy == nil {
				return
			}
			allow := d.Policy.Allow[:min(len(d.Policy.Allow), 100)]
			scopes := make([]string, 0, len(allow))
			for _, a := range allow {
				scopes = append(scopes, provider.Clip(a, 120))
			}
			keys[i].Scopes = scopes
		}()
	}
	wg.Wait()
}

// Webhook fields of a phone number: the inbound ones (messages and calls
// are handed to them) and the status callback.
var numberHooks = []struct {
	field, what, kind string
	url               func(n *number) string
}{
	{"sms_url", "SMS", provider.WebhookParse, func(n *number) string { return n.SmsURL }},
	{"sms_fallback_url", "SMS fallback", provider.WebhookParse, func(n *number) string { return n.SmsFallbackURL }},
	{"voice_url", "voice", provider.WebhookParse, func(n *number) string { return n.VoiceURL }},
	{"voice_fallback_url", "voice fallback", provider.WebhookParse, func(n *number) string { return n.VoiceFallbackURL }},
	{"status_callback", "status callback", provider.WebhookEvent, func(n *number) string { return n.StatusCallback }},
}

// ListWebhooks implements provider.WebhookLister: the webhook URLs of the
// incoming phone numbers of the main account and each active subaccount
// (GET /2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers.json), one Webhook
// per URL set: ID "PN…/sms_url", Hostname the number and what the URL
// receives ("+15005550006 SMS"). Inbound URLs (SMS, voice, their
// fallbacks) are WebhookParse: whoever runs them receives the messages and
// calls; status callbacks are WebhookEvent.
func (c *Client) ListWebhooks(ctx context.Context) ([]provider.Webhook, error) {
	sec := c.limits.Section("webhooks")
	owners, cut := c.fanout(ctx)
	var out []provider.Webhook
	for _, owner := range owners {
		if !sec.Room() {
			break
		}
		err := list(ctx, c.api, sec, "list phone numbers", accountPath(owner, "IncomingPhoneNumbers.json"), c.pageQuery(nil), "incoming_phone_numbers", next2010,
			func(n number) string { return n.SID }, func(p []number) error {
				for i := range p {
					out = append(out, numberWebhooks(&p[i], owner, c.account)...)
				}
				return nil
			})
		truncs, rest := provider.SplitTruncated(err)
		switch {
		case rest != nil && owner == c.account:
			return out, rest
		case rest != nil:
			sec.Stop(provider.CauseSource, fmt.Sprintf("the numbers of subaccount %s could not be read (%s)", owner, provider.SanitizeN(rest.Error(), 160)))
		}
		if len(truncs) > 0 {
			break
		}
	}
	if cut > 0 {
		sec.Stop(provider.CauseSource, fmt.Sprintf("the numbers of %d more subaccounts were not read (at most %d are)", cut, maxFanout))
	}
	return out, sec.Err()
}

func numberWebhooks(n *number, owner, main string) []provider.Webhook {
	var out []provider.Webhook
	phone := provider.SanitizeN(n.Phone, 40)
	if owner != main {
		phone += " of subaccount " + owner
	}
	for _, h := range numberHooks {
		u := strings.TrimSpace(h.url(n))
		if u == "" {
			continue
		}
		out = append(out, provider.Webhook{
			ID: provider.SanitizeN(n.SID, 40) + "/" + h.field, Kind: h.kind, URL: provider.Clip(u, 2048),
			Hostname: phone + " " + h.what, Enabled: true, Created: n.Created.Time,
		})
	}
	return out
}

// ActivityWindow is how far back ListActivity reads Monitor events.
const ActivityWindow = 30 * 24 * time.Hour

// ListActivity implements provider.ActivityLister: Monitor events of the
// last 30 days (GET monitor /v1/Events?StartDate=), newest first, grouped
// by source IP address. Method names what the address did (logins, keys
// created with their SIDs, other event types), Location where from
// ("Console", "API"). Events Twilio itself caused carry no address and are
// left out.
func (c *Client) ListActivity(ctx context.Context) ([]provider.AccessEvent, error) {
	sec := c.limits.Section("access activity")
	q := c.pageQuery(url.Values{"StartDate": {c.now().Add(-ActivityWindow).UTC().Format(time.RFC3339)}})
	type agg struct {
		ev      provider.AccessEvent
		kinds   []string
		keys    []string
		sources []string
	}
	byIP := map[string]*agg{}
	var order []string
	err := list(ctx, c.monitor, sec, "list Monitor events", "/v1/Events", q, "events", nextV1, func(e event) string { return e.SID }, func(p []event) error {
		for _, e := range p {
			ip := provider.SanitizeN(strings.TrimSpace(e.IP), 64)
			if ip == "" {
				continue
			}
			a := byIP[ip]
			if a == nil {
				if len(byIP) >= 10_000 {
					continue
				}
				a = &agg{ev: provider.AccessEvent{IP: ip, Allowed: true}}
				byIP[ip] = a
				order = append(order, ip)
			}
			a.ev.Count++
			if t := e.Date.Time; !t.IsZero() {
				if a.ev.First.IsZero() || t.Before(a.ev.First) {
					a.ev.First = t
				}
				if t.After(a.ev.Last) {
					a.ev.Last = t
				}
			}
			kind, key := eventKind(e)
			if key != "" && len(a.keys) < 5 && !slices.Contains(a.keys, key) {
				a.keys = append(a.keys, key)
			} else if kind != "" && len(a.kinds) < 6 && !slices.Contains(a.kinds, kind) {
				a.kinds = append(a.kinds, kind)
			}
			if s := sourceName(e.Source); s != "" && !slices.Contains(a.sources, s) && len(a.sources) < 3 {
				a.sources = append(a.sources, s)
			}
		}
		return nil
	})
	out := make([]provider.AccessEvent, 0, len(order))
	for _, ip := range order {
		a := byIP[ip]
		parts := slices.Clone(a.kinds)
		if len(a.keys) > 0 {
			parts = append([]string{"created key " + strings.Join(a.keys, ", ")}, parts...)
		}
		a.ev.Method = provider.SanitizeN(strings.Join(parts, "; "), 200)
		a.ev.Location = strings.Join(a.sources, " and ")
		out = append(out, a.ev)
	}
	return out, err
}

// eventKind names an event for an AccessEvent's Method: "login" for a
// login, the key's SID for a key created, otherwise its type. Twilio's
// event types are RESOURCE_TYPE.ACTION; which ones logins use is not
// documented, so any type naming a login or sign-in counts.
func eventKind(e event) (kind, keyCreated string) {
	t := strings.ToLower(strings.TrimSpace(e.Type))
	rt := strings.ToLower(e.ResourceType)
	switch {
	case strings.Contains(t, "login") || strings.Contains(t, "logged-in") || strings.Contains(t, "logged_in") || strings.Contains(t, "sign-in") || strings.Contains(t, "signin"):
		return "login", ""
	case strings.HasSuffix(t, ".created") && (strings.Contains(t, "key") || strings.Contains(rt, "key")):
		if isSID(e.ResourceSID, "SK") {
			return "", e.ResourceSID
		}
		return "key created", ""
	}
	return provider.SanitizeN(t, 60), ""
}

func sourceName(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "web":
		return "Console"
	case "api":
		return "API"
	case "":
		return ""
	}
	return provider.SanitizeN(s, 20)
}

// ListSecrets implements provider.SecretLister: the main account's auth
// token. There is no API that lists tokens, so the listing reads the
// account first: an inventory section is "read" only when the provider
// answered (a refused credential fails it like every other section).
// Subaccounts' tokens are rotated in the Console (Info.Quirks).
func (c *Client) ListSecrets(ctx context.Context) ([]provider.AccountSecret, error) {
	if err := c.verifyRead(ctx, "list the account's auth tokens", nil); err != nil {
		return nil, err
	}
	return []provider.AccountSecret{c.authTokenSecret()}, nil
}

// AuthTokenID is the AccountSecret id of the main account's auth token.
func (c *Client) AuthTokenID() string { return provider.SecretAuthToken + ":" + c.account }

func (c *Client) authTokenSecret() provider.AccountSecret {
	return provider.AccountSecret{ID: c.AuthTokenID(), Kind: provider.SecretAuthToken, Name: "primary auth token of " + c.account, Session: c.keySID == ""}
}

// verifyRead is the harmless read that proves a credential:
// GET /2010-04-01/Accounts/{Sid}.json with it.
func (c *Client) verifyRead(ctx context.Context, op string, auth func(*http.Request)) error {
	return c.api.Do(ctx, provider.Request{Op: op, Method: http.MethodGet, Path: accountPath(c.account), Auth: auth}, nil)
}
