package twilio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"reclaim/provider"
)

// CreateKey implements provider.KeyCreator with POST iam /v1/Keys. Scopes
// are restricted-key permissions ("/twilio/messaging/messages/create"), or
// the single scope "standard" for a Standard key; no scopes give a restricted
// key that may only send messages (DefaultPolicy). Main keys are created in
// the Console only. The name is cut to Twilio's 64 characters.
//
// NewKey.Secret is "SK…:secret", the key SID and its secret: the pair an
// app needs, and what VerifyKey takes. The creation is never retried: a
// second attempt would make a second key.
func (c *Client) CreateKey(ctx context.Context, name string, scopes []string) (provider.NewKey, error) {
	const op = "create an API key"
	form := url.Values{"AccountSid": {c.account}}
	if n := strings.TrimSpace(name); n != "" {
		if utf8.RuneCountInString(n) > 64 {
			n = string([]rune(n)[:64])
		}
		form.Set("FriendlyName", n)
	}
	var allow []string
	for _, s := range scopes {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				allow = append(allow, p)
			}
		}
	}
	switch {
	case len(allow) == 0:
		allow = DefaultPolicy
	case len(allow) == 1 && strings.EqualFold(allow[0], ScopeStandard):
		allow = nil
	}
	for _, p := range allow {
		switch {
		case strings.EqualFold(p, ScopeStandard):
			return provider.NewKey{}, &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "a standard key takes no other permissions: choose \"standard\" alone, or restricted permissions only"}
		case strings.EqualFold(p, "main") || strings.EqualFold(p, "full"):
			return provider.NewKey{}, &provider.Error{Kind: provider.ErrUnsupported, Op: op, Message: "Main API keys can only be created in the Twilio Console: " + APIKeysPage}
		case !strings.HasPrefix(p, "/twilio/") || strings.ContainsAny(p, " \t\r\n\"") || len(p) > 200:
			return provider.NewKey{}, &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: fmt.Sprintf("%q is not a Twilio restricted-key permission (they look like %s)", provider.SanitizeN(p, 60), PermSendMessages)}
		}
	}
	if len(allow) > 100 {
		return provider.NewKey{}, &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "a restricted key takes at most 100 permissions"}
	}
	if allow != nil {
		pol, _ := json.Marshal(policy{Allow: allow})
		form.Set("KeyType", "restricted")
		form.Set("Policy", string(pol))
	}
	var nk newKey
	err := c.iam.Do(ctx, provider.Request{Op: op, Method: http.MethodPost, Path: "/v1/Keys", Form: form, NotIdempotent: true}, func(_ int, body []byte) error {
		return provider.DecodeJSON(op, "Twilio", body, &nk)
	})
	if err != nil {
		return provider.NewKey{}, err
	}
	if !isSID(nk.SID, "SK") || nk.Secret == "" {
		return provider.NewKey{}, &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Twilio's answer lacks the new key's SID or secret; check the keys in the Console (" + APIKeysPage + ")"}
	}
	k := provider.NewKey{APIKey: provider.APIKey{ID: nk.SID, Name: clip(nk.Name), Created: nk.Created.Time}, Secret: nk.SID + ":" + nk.Secret}
	if nk.Policy != nil {
		for _, a := range nk.Policy.Allow[:min(len(nk.Policy.Allow), 100)] {
			k.Scopes = append(k.Scopes, provider.Clip(a, 120))
		}
	}
	c.mu.Lock()
	c.keyOwner[nk.SID] = c.account
	c.mu.Unlock()
	return k, nil
}

// RevokeKey implements provider.KeyRevoker: DELETE iam /v1/Keys/{Sid} for
// the main account's keys, DELETE /2010-04-01/Accounts/{Sub}/Keys/{Sid}.json
// for a subaccount's (as ListKeys found it). It is sent once: after an
// answer that got lost (a timeout, a 5xx) reclaim reads the key back, and a
// key that is gone counts as revoked. The key reclaim is connected with is
// refused.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	const op = "revoke an API key"
	id = strings.TrimSpace(id)
	if !isSID(id, "SK") {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "a Twilio API key id is SK followed by 32 hex characters"}
	}
	if id == c.keySID {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "reclaim is connected with this key: reconnect with the auth token or another Main key first"}
	}
	c.mu.Lock()
	owner := c.keyOwner[id]
	c.mu.Unlock()
	hc, path := c.iam, "/v1/Keys/"+url.PathEscape(id)
	if owner != "" && owner != c.account {
		hc, path = c.api, accountPath(owner, "Keys", url.PathEscape(id)+".json")
	}
	err := hc.Do(ctx, provider.Request{Op: op, Method: http.MethodDelete, Path: path, NotIdempotent: true}, nil)
	if isKind(err, provider.ErrUnavailable) && ctx.Err() == nil {
		// The answer was lost: is the key still there?
		if gerr := hc.Do(ctx, provider.Request{Op: "check whether the key is gone", Method: http.MethodGet, Path: path}, nil); isKind(gerr, provider.ErrNotFound) {
			return nil
		}
	}
	return err
}

// VerifyKey implements provider.KeyVerifier: GET the account with the
// given credential. It takes an API key as "SK…:secret" (NewKey.Secret),
// an auth token (32 hex, for this account), or "AC…:token". nil when the
// credential works, ErrBadCredentials when Twilio refuses it (401). A
// restricted key that is live but may not read the account (403, or Twilio
// error 70051) counts as working.
func (c *Client) VerifyKey(ctx context.Context, secret string) error {
	const op = "verify a credential"
	user, pass, err := c.splitSecret(secret)
	if err != nil {
		return err
	}
	err = c.verifyRead(ctx, op, basic(user, pass))
	if isKind(err, provider.ErrPermission) {
		return nil
	}
	return err
}

// splitSecret turns a credential VerifyKey was given into Basic user and
// password.
func (c *Client) splitSecret(secret string) (user, pass string, err error) {
	s := strings.TrimSpace(secret)
	if a, b, ok := strings.Cut(s, ":"); ok {
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if (isSID(a, "SK") || a == c.account) && b != "" && !strings.ContainsAny(b, " :") {
			return a, b, nil
		}
	} else if len(s) == 32 && isSID("AC"+s, "AC") {
		return c.account, s, nil
	}
	return "", "", &provider.Error{Kind: provider.ErrInvalid, Op: "verify a credential", Message: "give an API key as SK…:secret, or this account's auth token (32 hex characters)"}
}

// DisableSubuser implements provider.SubuserDisabler: POST
// /2010-04-01/Accounts/{Sid}.json Status=suspended, read back from the
// answer. The main account itself is refused.
func (c *Client) DisableSubuser(ctx context.Context, username string) error {
	return c.setStatus(ctx, "suspend a subaccount", username, "suspended")
}

// EnableSubuser implements provider.SubuserEnabler: Status=active (a closed
// subaccount cannot be reopened; Twilio refuses it).
func (c *Client) EnableSubuser(ctx context.Context, username string) error {
	return c.setStatus(ctx, "reactivate a subaccount", username, "active")
}

func (c *Client) setStatus(ctx context.Context, op, username, status string) error {
	sid := subuserSID(username)
	switch {
	case !isSID(sid, "AC"):
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "a subaccount is named by its SID (AC followed by 32 hex characters)"}
	case sid == c.account:
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "that is the main account reclaim is connected to, not a subaccount"}
	}
	var a account
	// Setting a status twice is harmless: the call may be retried.
	err := c.api.Do(ctx, provider.Request{Op: op, Method: http.MethodPost, Path: accountPath(sid), Form: url.Values{"Status": {status}}, ForceIdempotent: true}, func(_ int, body []byte) error {
		return provider.DecodeJSON(op, "Twilio", body, &a)
	})
	if err != nil {
		return err
	}
	if a.Status != status {
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: fmt.Sprintf("Twilio answered with status %q instead of %q; check the subaccount in the Console (%s)", provider.SanitizeN(a.Status, 20), status, SubaccountsPage)}
	}
	c.mu.Lock()
	c.subsAt = c.subsAt.Add(-subsCacheTTL) // the cached listing is stale
	c.mu.Unlock()
	return nil
}
