package mailgun

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"reclaim/provider"
)

// ---- keys ----

// CreateKey implements provider.KeyCreator. scopes name one role
// (KeyScopes: sending, basic, developer, admin; nil: sending, the least
// privilege that still sends) and, for a sending key, its domain as
// "domain:<name>"; without one, the account's only active custom domain is
// used, and several are an error that asks which. A sending key is of kind
// "domain"; the others are user keys. The secret is in the answer only.
func (c *Client) CreateKey(ctx context.Context, name string, scopes []string) (provider.NewKey, error) {
	const op = "create an API key"
	role, dom := "", ""
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case strings.HasPrefix(s, DomainScope):
			dom = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, DomainScope)))
		case slices.Contains(Info.KeyScopes, s):
			if role != "" && role != s {
				return provider.NewKey{}, &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "a Mailgun key has one role; " + role + " and " + s + " were both asked for"}
			}
			role = s
		default:
			return provider.NewKey{}, &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: fmt.Sprintf("unknown role %q (Mailgun's roles: %s)", provider.SanitizeN(s, 40), strings.Join(Info.KeyScopes, ", "))}
		}
	}
	if role == "" {
		role = RoleSending
	}
	form := url.Values{"role": {role}, "kind": {"user"}, "description": {name}}
	if role == RoleSending {
		if dom == "" {
			d, err := c.onlyDomain(ctx)
			if err != nil {
				return provider.NewKey{}, err
			}
			dom = d
		}
		form.Set("kind", "domain")
		form.Set("domain_name", dom)
	}
	var k keyJSON
	err := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodPost, Path: "/v1/keys", Multipart: form}, func(_ int, body []byte) error {
		var v struct {
			Key keyJSON `json:"key"`
		}
		if err := provider.DecodeJSON(op, "Mailgun", body, &v); err != nil {
			return err
		}
		k = v.Key
		return nil
	})
	if err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) && errors.Is(err, provider.ErrUnavailable) {
			pe.Message = strings.TrimPrefix(pe.Message+"; ", "; ") + "the key may have been created all the same: check the key list before creating another"
		}
		return provider.NewKey{}, err
	}
	if k.ID == "" || k.Secret == "" {
		return provider.NewKey{}, &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: fmt.Sprintf("Mailgun answered without the new key's id or secret (key %q): delete it in the console and create another", provider.SanitizeN(k.ID, 40))}
	}
	nk := provider.NewKey{APIKey: c.apiKey(k), Secret: k.Secret}
	c.mu.Lock()
	if role == RoleSending {
		if c.sendingKeys == nil {
			c.sendingKeys = map[[32]byte]string{}
		}
		c.sendingKeys[sha256.Sum256([]byte(k.Secret))] = dom
	}
	c.listed[nk.ID] = true
	c.mu.Unlock()
	return nk, nil
}

// onlyDomain is the account's one active custom domain (not a
// subaccount's), for a sending key whose domain was not named.
func (c *Client) onlyDomain(ctx context.Context) (string, error) {
	ds, err := c.domainList(ctx)
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return "", err
	}
	var names []string
	for _, d := range ds {
		if d.active && d.custom && d.sub == "" {
			names = append(names, d.name)
		}
	}
	if len(names) == 1 && err == nil {
		return names[0], nil
	}
	msg := "a sending key belongs to one domain and the account has no active custom domain: add and verify one, or choose the developer role"
	if len(names) > 1 || err != nil {
		shown := make([]string, 0, 3)
		for _, n := range names[:min(len(names), 3)] {
			shown = append(shown, provider.SanitizeN(n, 60))
		}
		msg = fmt.Sprintf("a sending key belongs to one domain and the account has %d (%s): choose the developer role here, or create the sending key for one domain at %s and record it", len(names), strings.Join(shown, ", "), Info.Console[provider.ItemAPIKeys])
	}
	return "", &provider.Error{Kind: provider.ErrInvalid, Op: "create an API key", Message: msg}
}

// RevokeKey implements provider.KeyRevoker (DELETE /v1/keys/{id}), for the
// account's keys and its subaccounts' (on their behalf, as listed). It
// refuses the key reclaim itself is connected with. The delete is never
// sent twice: after a failed connection or a 5xx the key list is read back,
// and a key no longer listed counts as deleted.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	const op = "delete an API key"
	if id == "" {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "no key id"}
	}
	if own := KeyIDOf(c.key); own != "" && own == id {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "this is the key reclaim is using: delete it in the console once you are done"}
	}
	sub := ""
	c.mu.Lock()
	sub = c.keySub[id]
	c.mu.Unlock()
	del := func(sub string) error {
		return c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodDelete, Path: "/v1/keys/" + seg(id), Route: "/v1/keys/{key_id}", Header: onBehalfOf(sub), NotIdempotent: true}, nil)
	}
	err := del(sub)
	if errors.Is(err, provider.ErrNotFound) && sub == "" {
		// Not the account's: a subaccount's key this process has not
		// listed yet (a resumed session)? List, and delete on its behalf.
		if _, lerr := c.ListKeys(ctx); lerr == nil || errors.Is(lerr, provider.ErrTruncated) {
			c.mu.Lock()
			sub = c.keySub[id]
			c.mu.Unlock()
			if sub != "" {
				err = del(sub)
			}
		}
	}
	if err == nil || !errors.Is(err, provider.ErrUnavailable) {
		return err
	}
	keys, lerr := c.keysOf(ctx, c.section("API keys"), sub)
	if lerr == nil && !slices.ContainsFunc(keys, func(k provider.APIKey) bool { return k.ID == id }) {
		return nil
	}
	return err
}

// VerifyKey implements provider.KeyVerifier: a harmless read with the given
// key (GET /v4/domains?limit=1). 401 is a dead key, any other answer a
// live one (403: alive, without that permission). A sending key may only
// send, so where the read is refused reclaim asks, for the key's domain
// (the one it was created for here, else each active domain, at most ten),
// POST /v3/{domain}/messages with no fields: Mailgun checks the key first
// and refuses the empty message (400) without sending anything, or refuses
// the key (401).
func (c *Client) VerifyKey(ctx context.Context, secret string) error {
	const op = "verify a key"
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return &provider.Error{Kind: provider.ErrBadCredentials, Op: op, Message: "no key given"}
	}
	auth := basicAuth(secret)
	err := c.http.Do(ctx, provider.Request{Op: op, Path: "/v4/domains", Query: url.Values{"limit": {"1"}}, Auth: auth}, nil)
	if err == nil || errors.Is(err, provider.ErrPermission) {
		return nil
	}
	if !errors.Is(err, provider.ErrBadCredentials) {
		return err
	}
	c.mu.Lock()
	dom, created := c.sendingKeys[sha256.Sum256([]byte(secret))]
	c.mu.Unlock()
	var doms []domain
	if created {
		doms = []domain{{name: dom}}
	} else if ds, derr := c.domainList(ctx); derr == nil || errors.Is(derr, provider.ErrTruncated) {
		for _, d := range ds {
			if d.active && len(doms) < 10 {
				doms = append(doms, d)
			}
		}
	}
	for _, d := range doms {
		perr := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodPost, Path: "/v3/" + seg(d.name) + "/messages", Route: "/v3/{domain_name}/messages",
			Multipart: url.Values{}, Auth: auth, Header: onBehalfOf(d.sub)}, nil)
		switch {
		case perr == nil:
			// Accepted with no fields: nothing to send, but the key works.
			return nil
		case errors.Is(perr, provider.ErrInvalid), errors.Is(perr, provider.ErrPermission):
			return nil
		case errors.Is(perr, provider.ErrBadCredentials), errors.Is(perr, provider.ErrNotFound):
		default:
			return perr
		}
	}
	return err
}

// ---- IP allow list ----

// AddAllowRules implements provider.AllowListWriter: each address or CIDR
// is checked here first, then added (POST /v2/ip_whitelist); the rules
// come back as Mailgun's answer lists them (read back). Once the list has
// entries Mailgun refuses API calls from every other address (the
// checklist's lockout guard asks for the owner's own address first).
func (c *Client) AddAllowRules(ctx context.Context, cidrs []string) ([]provider.AllowRule, error) {
	const op = "add to the IP allow list"
	var clean []string
	for _, s := range cidrs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, err := netip.ParsePrefix(s); err != nil {
			if _, err := netip.ParseAddr(s); err != nil {
				return nil, &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: fmt.Sprintf("%q is not an IP address or CIDR", provider.SanitizeN(s, 60))}
			}
		}
		clean = append(clean, s)
	}
	var out []provider.AllowRule
	for _, s := range clean {
		var listed []allowJSON
		err := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodPost, Path: "/v2/ip_whitelist",
			Multipart: url.Values{"address": {s}, "description": {"added by reclaim (account recovery)"}}}, func(_ int, body []byte) error {
			items, _, err := provider.DecodeList[allowJSON](body, "addresses", provider.DefaultMaxItems)
			if err != nil {
				return provider.MalformedJSON(op, "Mailgun", len(body), err)
			}
			listed = items
			return nil
		})
		if err != nil {
			return out, err
		}
		i := slices.IndexFunc(listed, func(a allowJSON) bool { return a.IPAddress == s })
		if i < 0 {
			return out, &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: fmt.Sprintf("Mailgun accepted %s but does not list it", provider.SanitizeN(s, 60))}
		}
		out = append(out, allowRules(listed[i:i+1])...)
	}
	return out, nil
}

// ---- webhooks, archive_to and routes ----

// DeleteWebhook implements provider.WebhookDeleter for what ListWebhooks
// lists, found again by its id:
//   - an event webhook: its URL is removed from every event of its domain
//     (DELETE /v4/domains/{d}/webhooks?url=…; a URL with a comma, which
//     that call would split, is removed event by event with v3);
//   - a domain's archive_to: set to nothing (PUT /v4/domains/{d});
//   - a route target: the route's action that sends there is removed (PUT
//     /v3/routes/{id}); a route left with no forward() or store() target is
//     deleted.
//
// Each change is read back: the object must be gone.
func (c *Client) DeleteWebhook(ctx context.Context, w provider.Webhook) error {
	switch {
	case strings.HasPrefix(w.ID, hookPrefix):
		name, fp, ok := cutLast(strings.TrimPrefix(w.ID, hookPrefix), ":")
		if !ok {
			break
		}
		return c.deleteEventHook(ctx, name, fp)
	case strings.HasPrefix(w.ID, archivePrefix):
		return c.clearArchive(ctx, strings.TrimPrefix(w.ID, archivePrefix))
	case strings.HasPrefix(w.ID, routePrefix):
		id, fp, ok := cutLast(strings.TrimPrefix(w.ID, routePrefix), ":")
		if !ok {
			break
		}
		return c.deleteRouteTarget(ctx, id, fp)
	}
	return &provider.Error{Kind: provider.ErrInvalid, Op: "delete a webhook", Message: fmt.Sprintf("%q is not a webhook id reclaim listed", provider.SanitizeN(w.ID, 80))}
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

func (c *Client) deleteEventHook(ctx context.Context, name, fp string) error {
	const op = "delete a webhook"
	d, err := c.findDomain(ctx, name)
	if err != nil {
		return err
	}
	target, err := c.hookURL(ctx, d, fp)
	if err != nil {
		return err
	}
	if !strings.Contains(target, ",") {
		err = c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodDelete, Path: "/v4/domains/" + seg(d.name) + "/webhooks",
			Route: "/v4/domains/{domain}/webhooks", Query: url.Values{"url": {target}}, Header: onBehalfOf(d.sub)}, nil)
	} else {
		err = c.removeHookByEvent(ctx, d, target)
	}
	if err != nil && !errors.Is(err, provider.ErrNotFound) {
		return err
	}
	if _, gone := c.hookURL(ctx, d, fp); !errors.Is(gone, provider.ErrNotFound) {
		if gone != nil {
			return gone
		}
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Mailgun still lists the webhook after deleting it"}
	}
	return nil
}

// hookURL finds the URL of a domain's webhook by its fingerprint.
func (c *Client) hookURL(ctx context.Context, d domain, fp string) (string, error) {
	urls, err := c.hookURLs(ctx, nil, d)
	if err != nil {
		return "", err
	}
	for _, u := range urls {
		if short(u) == fp {
			return u, nil
		}
	}
	return "", &provider.Error{Kind: provider.ErrNotFound, Op: "find a webhook", Message: "the domain no longer has that webhook"}
}

// removeHookByEvent removes one URL from each event that has it, keeping
// the event's other URLs (v3 PUT), or deleting the event's webhook when it
// had no other.
func (c *Client) removeHookByEvent(ctx context.Context, d domain, target string) error {
	const op = "delete a webhook"
	var v struct {
		Webhooks map[string]*webhookURLs `json:"webhooks"`
	}
	if err := c.get(ctx, "list webhooks", "/v3/domains/"+seg(d.name)+"/webhooks", nil, onBehalfOf(d.sub), &v); err != nil {
		return err
	}
	for ev, w := range v.Webhooks {
		if w == nil || !slices.Contains(w.URLs, target) || !slices.Contains(webhookEvents, ev) {
			continue
		}
		keep := slices.DeleteFunc(slices.Clone(w.URLs), func(u string) bool { return u == target })
		path := "/v3/domains/" + seg(d.name) + "/webhooks/" + seg(ev)
		r := provider.Request{Op: op, Method: http.MethodDelete, Path: path, Route: "/v3/domains/{domain_name}/webhooks/{webhook_name}", Header: onBehalfOf(d.sub)}
		if len(keep) > 0 {
			r.Method, r.Multipart = http.MethodPut, url.Values{"url": keep}
		}
		if err := c.http.Do(ctx, r, nil); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) clearArchive(ctx context.Context, name string) error {
	const op = "clear a domain's archive_to"
	d, err := c.findDomain(ctx, name)
	if err != nil {
		return err
	}
	if d.archiveTo == "" {
		return &provider.Error{Kind: provider.ErrNotFound, Op: op, Message: "the domain no longer posts copies anywhere"}
	}
	path := "/v4/domains/" + seg(d.name)
	if err := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodPut, Path: path, Route: "/v4/domains/{name}", Multipart: url.Values{"archive_to": {""}}, Header: onBehalfOf(d.sub)}, nil); err != nil {
		return err
	}
	c.forget()
	var v struct {
		Domain domainJSON `json:"domain"`
	}
	if err := c.get(ctx, op, path, nil, onBehalfOf(d.sub), &v); err != nil {
		return err
	}
	if v.Domain.ArchiveTo != "" {
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Mailgun still lists an archive_to URL after clearing it"}
	}
	return nil
}

func (c *Client) deleteRouteTarget(ctx context.Context, id, fp string) error {
	const op = "remove a route's forwarding"
	path := "/v3/routes/" + seg(id)
	const route = "/v3/routes/{id}"
	read := func() (routeJSON, error) {
		var v struct {
			Route routeJSON `json:"route"`
		}
		err := c.http.Do(ctx, provider.Request{Op: op, Path: path, Route: route}, func(_ int, body []byte) error {
			return provider.DecodeJSON(op, "Mailgun", body, &v)
		})
		return v.Route, err
	}
	r, err := read()
	if err != nil {
		return err
	}
	hit := func(a string) bool {
		return slices.ContainsFunc(actionTargets(a), func(t string) bool { return short(a+"\x00"+t) == fp })
	}
	if !slices.ContainsFunc(r.Actions, hit) {
		return &provider.Error{Kind: provider.ErrNotFound, Op: op, Message: "the route no longer sends mail there"}
	}
	keep := slices.DeleteFunc(slices.Clone(r.Actions), hit)
	carries := slices.ContainsFunc(keep, func(a string) bool { return len(actionTargets(a)) > 0 })
	if !carries {
		err = c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodDelete, Path: path, Route: route}, nil)
	} else {
		err = c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodPut, Path: path, Route: route, Form: url.Values{"action": keep}}, nil)
	}
	if err != nil && !errors.Is(err, provider.ErrNotFound) {
		return err
	}
	r, err = read()
	switch {
	case errors.Is(err, provider.ErrNotFound):
		return nil
	case err != nil:
		return err
	case slices.ContainsFunc(r.Actions, hit):
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Mailgun still lists the route's forwarding after removing it"}
	}
	return nil
}

// ---- subaccounts ----

// DisableSubuser implements provider.SubuserDisabler: POST
// /v5/accounts/subaccounts/{id}/disable. username is the name ListSubusers
// gave ("name (id)") or the id; the subaccount is found again in a fresh
// listing. The new status is read from the answer, or read back when the
// answer was lost or Mailgun says it was already so.
func (c *Client) DisableSubuser(ctx context.Context, username string) error {
	return c.setSubaccount(ctx, username, "disable", "disabled")
}

// EnableSubuser implements provider.SubuserEnabler (POST …/{id}/enable).
func (c *Client) EnableSubuser(ctx context.Context, username string) error {
	return c.setSubaccount(ctx, username, "enable", "open")
}

func (c *Client) setSubaccount(ctx context.Context, username, verb, status string) error {
	op := verb + " a subaccount"
	subs, err := c.subaccounts(ctx)
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return err
	}
	i := slices.IndexFunc(subs, func(s subaccount) bool { return s.Username == username })
	if i < 0 {
		i = slices.IndexFunc(subs, func(s subaccount) bool { return s.id == username })
	}
	if i < 0 {
		return &provider.Error{Kind: provider.ErrNotFound, Op: op, Message: fmt.Sprintf("no subaccount %q", provider.SanitizeN(username, 80))}
	}
	id := subs[i].id
	r := provider.Request{Op: op, Method: http.MethodPost, Path: "/v5/accounts/subaccounts/" + seg(id) + "/" + verb, Route: "/v5/accounts/subaccounts/{subaccount_id}/" + verb}
	if verb == "disable" {
		r.Query = url.Values{"reason": {"account recovery"}, "note": {"disabled by reclaim while the account is recovered from a compromise"}}
	}
	var got subJSON
	err = c.http.Do(ctx, r, func(_ int, body []byte) error {
		var v struct {
			Subaccount subJSON `json:"subaccount"`
		}
		if err := provider.DecodeJSON(op, "Mailgun", body, &v); err != nil {
			return err
		}
		got = v.Subaccount
		return nil
	})
	if err == nil && got.Status == status {
		return nil
	}
	if err != nil && !errors.Is(err, provider.ErrInvalid) && !errors.Is(err, provider.ErrUnavailable) {
		return err
	}
	// Read it back: "already disabled", a lost answer, or an answer that
	// does not say.
	var v struct {
		Subaccount subJSON `json:"subaccount"`
	}
	if rerr := c.get(ctx, op, "/v5/accounts/subaccounts/"+seg(id), nil, nil, &v); rerr != nil {
		if err != nil {
			return err
		}
		return rerr
	}
	if v.Subaccount.Status == status {
		return nil
	}
	if err != nil {
		return err
	}
	return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: fmt.Sprintf("Mailgun says the subaccount is %q, not %s", provider.SanitizeN(v.Subaccount.Status, 20), status)}
}

// ---- secrets ----

// smtpPasswordLen is the length of a generated SMTP password (Mailgun's
// maximum is 32).
const smtpPasswordLen = 32

const pwAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

func newPassword() string {
	b := make([]byte, smtpPasswordLen)
	lim := byte(256 - 256%len(pwAlphabet))
	for i := 0; i < len(b); {
		var x [1]byte
		_, _ = rand.Read(x[:])
		if x[0] < lim {
			b[i] = pwAlphabet[int(x[0])%len(pwAlphabet)]
			i++
		}
	}
	return string(b)
}

// RotateSecret implements provider.SecretRotator:
//   - an SMTP credential gets a new 32-character password generated here
//     (PUT /v3/domains/{d}/credentials/{login}; Mailgun's own generated
//     password would never be shown), the old one stops at once;
//   - the webhook signing key is regenerated (POST
//     /v5/accounts/http_signing_key) and read back (GET): the two must
//     agree.
//
// The new value is in the answer only, never stored.
func (c *Client) RotateSecret(ctx context.Context, s provider.AccountSecret) (provider.RotatedSecret, error) {
	switch {
	case s.ID == SigningKeyID || s.Kind == provider.SecretSigningKey:
		return c.rotateSigningKey(ctx, s)
	case strings.HasPrefix(s.ID, smtpPrefix):
		dom, fp, ok := strings.Cut(strings.TrimPrefix(s.ID, smtpPrefix), ":")
		if ok && dom != "" && fp != "" {
			return c.resetSMTP(ctx, s, dom, fp)
		}
	}
	return provider.RotatedSecret{}, &provider.Error{Kind: provider.ErrInvalid, Op: "rotate a secret", Message: fmt.Sprintf("%q is not a secret reclaim listed", provider.SanitizeN(s.ID, 80))}
}

func (c *Client) resetSMTP(ctx context.Context, s provider.AccountSecret, dom, fp string) (provider.RotatedSecret, error) {
	const op = "reset an SMTP password"
	d, err := c.findDomain(ctx, dom)
	if err != nil {
		return provider.RotatedSecret{}, err
	}
	// Find the login again by its fingerprint.
	login := ""
	err = listSkip(ctx, c, c.section("SMTP credentials"), skipList[credJSON]{
		op: "list SMTP credentials", path: "/v3/domains/" + seg(d.name) + "/credentials", header: onBehalfOf(d.sub),
		key: "items", pageSize: 1000, id: func(x credJSON) string { return x.login() },
	}, func(cs []credJSON) {
		for _, x := range cs {
			if short(x.login()) == fp {
				login = x.login()
			}
		}
	})
	if login == "" {
		if err != nil && !errors.Is(err, provider.ErrTruncated) {
			return provider.RotatedSecret{}, err
		}
		return provider.RotatedSecret{}, &provider.Error{Kind: provider.ErrNotFound, Op: op, Message: "the domain no longer has that SMTP login"}
	}
	pw := newPassword()
	err = c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodPut, Path: "/v3/domains/" + seg(d.name) + "/credentials/" + seg(login),
		Route: "/v3/domains/{domain_name}/credentials/{spec}", Multipart: url.Values{"password": {pw}}, Header: onBehalfOf(d.sub)}, nil)
	if err != nil {
		return provider.RotatedSecret{}, err
	}
	host := "smtp.mailgun.org"
	if c.region == "eu" {
		host = "smtp.eu.mailgun.org"
	}
	s.Domain = d.name
	return provider.RotatedSecret{AccountSecret: s, Value: pw,
		Note: fmt.Sprintf("Set this as the SMTP password of %s in every app that sends through %s. Mailgun documents that a reset replaces the old password; reclaim never held it, so it did not test it: check that the old password is refused (an SMTP login with it) before you close the incident.", provider.SanitizeN(login, 100), host)}, nil
}

func (c *Client) rotateSigningKey(ctx context.Context, s provider.AccountSecret) (provider.RotatedSecret, error) {
	const op = "regenerate the webhook signing key"
	type hsk struct {
		Key string `json:"http_signing_key"`
	}
	var made hsk
	err := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodPost, Path: "/v5/accounts/http_signing_key"}, func(_ int, body []byte) error {
		return provider.DecodeJSON(op, "Mailgun", body, &made)
	})
	if err != nil {
		return provider.RotatedSecret{}, err
	}
	var now hsk
	if err := c.get(ctx, op, "/v5/accounts/http_signing_key", nil, nil, &now); err != nil {
		return provider.RotatedSecret{}, err
	}
	if made.Key == "" || now.Key != made.Key {
		return provider.RotatedSecret{}, &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Mailgun's current signing key is not the one it just made: check it in the console"}
	}
	s.ID, s.Kind = SigningKeyID, provider.SecretSigningKey
	if s.Name == "" {
		s.Name = "HTTP webhook signing key (account)"
	}
	return provider.RotatedSecret{AccountSecret: s, Value: made.Key,
		Note: "Give the new signing key to every app that checks the signatures of Mailgun's webhooks; they must stop trusting the old one, which signs nothing from now on."}, nil
}
