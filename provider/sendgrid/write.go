package sendgrid

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"time"

	"reclaim/provider"
)

// DefaultScopes is what CreateKey grants when asked for no scopes: sending
// only. (SendGrid itself would grant Full Access to a key created without
// scopes; reclaim never lets that happen.)
var DefaultScopes = []string{"mail.send"}

// gone treats "not found" as done: deleting twice is harmless.
func gone(err error) error {
	if errors.Is(err, provider.ErrNotFound) {
		return nil
	}
	return err
}

// CreateKey implements provider.KeyCreator. The secret is returned once and
// kept nowhere. It is not retried after a 5xx: the key may exist already.
func (c *Client) CreateKey(ctx context.Context, name string, scopes []string) (provider.NewKey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return provider.NewKey{}, &provider.Error{Kind: provider.ErrInvalid, Op: "create an API key", Message: "a key needs a name"}
	}
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	k := call{op: "create an API key", method: "POST", route: "/v3/api_keys", path: "/v3/api_keys",
		body: map[string]any{"name": name, "scopes": scopes}}
	var out struct {
		APIKey   string   `json:"api_key"`
		APIKeyID string   `json:"api_key_id"`
		Name     string   `json:"name"`
		Scopes   []string `json:"scopes"`
	}
	if err := c.do(ctx, k, &out); err != nil {
		if errors.Is(err, provider.ErrPermission) {
			var pe *provider.Error
			if errors.As(err, &pe) && pe.Message == "" {
				pe.Message = "the key in use may not create keys; note that an account's very first key must be made in the web console"
			}
		}
		return provider.NewKey{}, err
	}
	nk := provider.NewKey{APIKey: provider.APIKey{ID: out.APIKeyID, Name: out.Name, Scopes: out.Scopes,
		FullAccess: isFullAccess(out.Scopes), Created: c.opts.Now().UTC().Truncate(time.Second)}, Secret: out.APIKey}
	if nk.ID == "" {
		nk.ID = KeyID(out.APIKey)
	}
	return nk, nil
}

// RevokeKey implements provider.KeyRevoker. A subuser's key (as seen by the
// last ListKeys) is revoked on the subuser's behalf. Already gone is done.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	c.mu.Lock()
	sub := c.keyOwner[id]
	c.mu.Unlock()
	k := call{op: "revoke API key " + provider.SanitizeN(id, 30), method: "DELETE", route: "/v3/api_keys/{api_key_id}",
		path: "/v3/api_keys/" + esc(id), onBehalfOf: sub, idempotent: true}
	err := c.do(ctx, k, nil)
	return gone(err)
}

// VerifyKey implements provider.KeyVerifier with a harmless read (GET
// /v3/scopes) made with the given secret: nil when SendGrid accepts it.
func (c *Client) VerifyKey(ctx context.Context, secret string) error {
	secret = strings.TrimSpace(secret)
	if secret == "" || strings.ContainsAny(secret, "\r\n\t ") {
		return &provider.Error{Kind: provider.ErrBadCredentials, Op: "verify a key", Message: "not a key"}
	}
	k := get("verify a key", "/v3/scopes", "/v3/scopes")
	k.key = secret
	err := c.do(ctx, k, nil)
	if errors.Is(err, provider.ErrPermission) {
		return nil // it authenticated; it just may not read its scopes
	}
	return err
}

// RemoveTeammate implements provider.TeammateRemover: a teammate by
// username, or a pending invite by token. Already gone is done.
func (c *Client) RemoveTeammate(ctx context.Context, t provider.Teammate) error {
	var k call
	if t.Pending {
		if t.Token == "" {
			return &provider.Error{Kind: provider.ErrInvalid, Op: "cancel a teammate invite", Message: "the invite has no token"}
		}
		k = call{op: "cancel the invite for " + provider.SanitizeN(t.Email, 60), method: "DELETE", route: "/v3/teammates/pending/{token}", path: "/v3/teammates/pending/" + esc(t.Token)}
	} else {
		if t.Username == "" {
			return &provider.Error{Kind: provider.ErrInvalid, Op: "remove a teammate", Message: "the teammate has no username"}
		}
		k = call{op: "remove teammate " + provider.SanitizeN(t.Username, 60), method: "DELETE", route: "/v3/teammates/{username}", path: "/v3/teammates/" + esc(t.Username)}
	}
	k.idempotent = true
	err := c.do(ctx, k, nil)
	return gone(err)
}

// DisableSubuser implements provider.SubuserDisabler (PATCH disabled:true;
// the subuser and its data stay for the record).
func (c *Client) DisableSubuser(ctx context.Context, username string) error {
	k := call{op: "disable subuser " + provider.SanitizeN(username, 60), method: "PATCH", route: "/v3/subusers/{subuser_name}",
		path: "/v3/subusers/" + esc(username), body: map[string]bool{"disabled": true}, idempotent: true}
	err := c.do(ctx, k, nil)
	c.mu.Lock()
	c.subusers = nil // the cached list is stale now
	c.mu.Unlock()
	return gone(err)
}

// DeleteWebhook implements provider.WebhookDeleter: an event webhook by id
// or an inbound-parse setting by hostname. Already gone is done.
func (c *Client) DeleteWebhook(ctx context.Context, w provider.Webhook) error {
	var k call
	switch w.Kind {
	case provider.WebhookParse:
		host := w.Hostname
		if host == "" {
			host = w.ID
		}
		k = call{op: "delete the inbound-parse route for " + provider.SanitizeN(host, 80), method: "DELETE", route: "/v3/user/webhooks/parse/settings/{hostname}", path: "/v3/user/webhooks/parse/settings/" + esc(host)}
	case provider.WebhookEvent, "":
		if w.ID == "" {
			return &provider.Error{Kind: provider.ErrInvalid, Op: "delete an event webhook", Message: "the webhook has no id"}
		}
		k = call{op: "delete event webhook " + provider.SanitizeN(w.ID, 60), method: "DELETE", route: "/v3/user/webhooks/event/settings/{id}", path: "/v3/user/webhooks/event/settings/" + esc(w.ID)}
	default:
		return &provider.Error{Kind: provider.ErrUnsupported, Op: "delete a webhook", Message: "unknown webhook kind " + provider.SanitizeN(w.Kind, 20)}
	}
	k.idempotent = true
	err := c.do(ctx, k, nil)
	return gone(err)
}

// DisableMailSetting implements provider.MailSettingDisabler for the
// settings reclaim reads (forward_bounce, forward_spam, address_whitelist,
// footer, template).
func (c *Client) DisableMailSetting(ctx context.Context, name string) error {
	if !slices.ContainsFunc(detailedSettings, func(d mailSettingSpec) bool { return d.name == name }) {
		return &provider.Error{Kind: provider.ErrUnsupported, Op: "switch off mail setting " + provider.SanitizeN(name, 40), Message: "reclaim switches off only forward_bounce, forward_spam, address_whitelist, footer and template"}
	}
	route := "/v3/mail_settings/" + name
	k := call{op: "switch off mail setting " + name, method: "PATCH", route: route, path: route, body: map[string]bool{"enabled": false}, idempotent: true}
	err := c.do(ctx, k, nil)
	return gone(err)
}

// AddAllowRules implements provider.AllowListWriter. Entries already on the
// list are skipped, so repeating the call is harmless. (The lockout guard —
// refusing unless your own address is covered — is the checklist's.)
func (c *Client) AddAllowRules(ctx context.Context, cidrs []string) ([]provider.AllowRule, error) {
	var want []string
	for _, s := range cidrs {
		s = strings.TrimSpace(s)
		if net.ParseIP(s) == nil {
			if _, _, err := net.ParseCIDR(s); err != nil {
				return nil, &provider.Error{Kind: provider.ErrInvalid, Op: "add IP allow-list entries", Message: "not an IP address or CIDR range: " + provider.SanitizeN(s, 60)}
			}
		}
		if !slices.Contains(want, s) {
			want = append(want, s)
		}
	}
	have, err := c.ListAllowRules(ctx)
	if err != nil {
		return nil, err
	}
	var ips []map[string]string
	for _, s := range want {
		if !slices.ContainsFunc(have, func(r provider.AllowRule) bool { return r.CIDR == s }) {
			ips = append(ips, map[string]string{"ip": s})
		}
	}
	if len(ips) == 0 {
		return nil, nil
	}
	k := call{op: "add IP allow-list entries", method: "POST", route: "/v3/access_settings/whitelist", path: "/v3/access_settings/whitelist", body: map[string]any{"ips": ips}}
	var out struct {
		Result []allowRecord `json:"result"`
	}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return allowRules(out.Result), nil
}

// ChangePassword implements provider.PasswordChanger (PUT /v3/user/password).
// The passwords are sent once and kept nowhere; the call is never retried
// (a retry after a lost answer would fail on the old password).
func (c *Client) ChangePassword(ctx context.Context, oldPassword, newPassword string) error {
	if oldPassword == "" || newPassword == "" {
		return &provider.Error{Kind: provider.ErrInvalid, Op: "change the password", Message: "both the old and the new password are needed"}
	}
	k := call{op: "change the password", method: "PUT", route: "/v3/user/password", path: "/v3/user/password",
		body: map[string]string{"old_password": oldPassword, "new_password": newPassword}}
	err := c.do(ctx, k, nil)
	return err
}
