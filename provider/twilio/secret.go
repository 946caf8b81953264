package twilio

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"reclaim/provider"
)

// RotationNote is what the owner must do after the auth token is rotated.
const RotationNote = "Put the new one in every app, CI secret and server that used " +
	AuthTokenEnv + ", and wherever your webhooks check the X-Twilio-Signature header (it is signed with the auth token). API keys are not affected."

// RotateSecret implements provider.SecretRotator for the main account's
// auth token, the way Twilio documents it (Accounts v1):
//
//  1. DELETE /v1/AuthTokens/Secondary: a secondary token that already
//     exists (possibly the attacker's) is removed first;
//  2. POST /v1/AuthTokens/Secondary creates a new secondary token;
//  3. a read with the new token (GET the account) proves it works: if it
//     does not, the secondary is deleted and nothing changed;
//  4. POST /v1/AuthTokens/Promote makes it primary; the old token dies;
//  5. when reclaim was connected with the auth token, it switches to the
//     new one, and reads the account with it again.
//
// The creation and the promotion are sent once each. When the promotion's
// answer is lost, the old token is tried: refused means the promotion
// happened. The engine then proves the old token dead (VerifyKey, 401).
// RotatedSecret.Value is the new auth token.
func (c *Client) RotateSecret(ctx context.Context, s provider.AccountSecret) (provider.RotatedSecret, error) {
	const op = "rotate the auth token"
	if s.Kind != provider.SecretAuthToken || (s.ID != "" && s.ID != c.AuthTokenID()) {
		return provider.RotatedSecret{}, &provider.Error{Kind: provider.ErrUnsupported, Op: op,
			Message: "reclaim rotates the main account's auth token only; rotate a subaccount's token in the Console (" + APIKeysPage + ")"}
	}
	c.rotMu.Lock()
	defer c.rotMu.Unlock()
	c.credMu.RLock()
	old := c.secret
	c.credMu.RUnlock()
	if c.keySID != "" {
		old = "" // connected with a key: the old token is not known
	}
	dropSecondary := func() {
		_ = c.accounts.Do(context.WithoutCancel(ctx), provider.Request{Op: "delete the secondary auth token", Method: http.MethodDelete, Path: "/v1/AuthTokens/Secondary"}, nil)
	}

	// 1. No secondary token but ours.
	if err := c.accounts.Do(ctx, provider.Request{Op: op + ": delete an existing secondary token", Method: http.MethodDelete, Path: "/v1/AuthTokens/Secondary"}, nil); err != nil && !isKind(err, provider.ErrNotFound) {
		return provider.RotatedSecret{}, err
	}
	// 2. Create the secondary token.
	var sec secondaryToken
	err := c.accounts.Do(ctx, provider.Request{Op: op + ": create a secondary token", Method: http.MethodPost, Path: "/v1/AuthTokens/Secondary", NotIdempotent: true}, func(_ int, body []byte) error {
		return provider.DecodeJSON(op, "Twilio", body, &sec)
	})
	if err != nil {
		if isKind(err, provider.ErrUnavailable) {
			dropSecondary() // it may exist, unknown to us
		}
		return provider.RotatedSecret{}, withNote(err, "nothing changed: the current auth token still works")
	}
	tok := strings.TrimSpace(sec.Token)
	if !validToken(tok) {
		dropSecondary()
		return provider.RotatedSecret{}, &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Twilio's answer holds no usable secondary token; nothing changed: the current auth token still works"}
	}
	// 3. Prove it works before anything depends on it.
	if err := c.verifyRead(ctx, op+": verify the secondary token", basic(c.account, tok)); err != nil {
		dropSecondary()
		return provider.RotatedSecret{}, withNote(err, "the new token did not work, so it was deleted and not promoted; the current auth token still works")
	}
	// 4. Promote it.
	var pr promotion
	err = c.accounts.Do(ctx, provider.Request{Op: op + ": promote the secondary token", Method: http.MethodPost, Path: "/v1/AuthTokens/Promote", NotIdempotent: true}, func(_ int, body []byte) error {
		return provider.DecodeJSON(op, "Twilio", body, &pr)
	})
	if err != nil {
		promoted := false
		if isKind(err, provider.ErrUnavailable) && old != "" && ctx.Err() == nil {
			// The answer was lost: does the old token still work?
			promoted = isKind(c.verifyRead(ctx, op+": check the old token", basic(c.account, old)), provider.ErrBadCredentials)
		}
		if !promoted {
			if old != "" || !isKind(err, provider.ErrUnavailable) {
				dropSecondary()
				return provider.RotatedSecret{}, withNote(err, "the new token was not promoted and was deleted; the current auth token still works")
			}
			return provider.RotatedSecret{}, withNote(err, "reclaim cannot tell whether the new token was promoted: check the auth tokens in the Console ("+APIKeysPage+")")
		}
	} else if p := strings.TrimSpace(pr.Token); p != "" && p != tok {
		return provider.RotatedSecret{}, &provider.Error{Kind: provider.ErrUnavailable, Op: op,
			Message: "Twilio promoted a token other than the one reclaim created and verified; check the auth tokens in the Console (" + APIKeysPage + ")"}
	}
	// 5. The session moves to the new token, and reads with it.
	if c.keySID == "" {
		c.credMu.Lock()
		c.secret = tok
		c.credMu.Unlock()
	}
	if err := c.verifyRead(ctx, op+": read the account with the new token", basic(c.account, tok)); err != nil {
		return provider.RotatedSecret{AccountSecret: c.authTokenSecret(), Value: tok, Note: RotationNote},
			withNote(err, "the token was promoted but a read with it failed; check the auth tokens in the Console ("+APIKeysPage+")")
	}
	// 6. Prove the old token dead: a read with it must be refused (401).
	// Only a refusal is claimed; reclaim connected with an API key does
	// not hold the old token and says so.
	note := "The old auth token was not checked (reclaim is connected with an API key, not the token): check in the Console that only the new token is listed. " + RotationNote
	if old != "" {
		switch err := c.verifyRead(ctx, op+": check that the old token is refused", basic(c.account, old)); {
		case isKind(err, provider.ErrBadCredentials):
			note = "The old auth token was refused (401) at " + c.now().UTC().Format("2006-01-02 15:04:05Z") + ". " + RotationNote
		case err == nil:
			note = "The old auth token STILL WORKS after the promotion: check the auth tokens in the Console (" + APIKeysPage + ") before relying on the rotation. " + RotationNote
		default:
			note = "Whether the old auth token is refused could not be checked (" + provider.SanitizeN(err.Error(), 120) + "): check again later. " + RotationNote
		}
	}
	out := provider.RotatedSecret{AccountSecret: c.authTokenSecret(), Value: tok, Note: note}
	out.Created = c.now().UTC()
	if !sec.Created.IsZero() {
		out.Created = sec.Created.Time
	}
	return out, nil
}

func validToken(t string) bool {
	return len(t) >= 16 && len(t) <= 128 && !strings.ContainsAny(t, " \t\r\n:")
}

// withNote adds what the owner should know to a *provider.Error.
func withNote(err error, note string) error {
	var pe *provider.Error
	if errors.As(err, &pe) {
		cp := *pe
		cp.Message = strings.TrimPrefix(cp.Message+"; ", "; ") + note
		return &cp
	}
	return err
}

// MatchLeak implements provider.LeakMatcher: a leaked API key names its key
// (the SK… SID next to the secret), which is the key to revoke when it is
// one of this account's. A leaked auth token is no key: see MatchSecret.
func (c *Client) MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	if l.Provider != Info.ID || !isSID(l.KeyID, "SK") {
		return "", false
	}
	for _, k := range keys {
		if strings.EqualFold(k.ID, l.KeyID) {
			return k.ID, true
		}
	}
	return "", false
}

// MatchSecret matches a leaked auth token (or an Account SID found with
// one) to the account secret to rotate: the main account's auth token when
// the leak names this account's SID. A token found without its SID, or
// with another account's (a subaccount's), is not matched: VerifyKey tells
// whether a bare token is this account's.
//
// provider.LeakMatcher answers with a key id only; this is the auth-token
// half, for the engine to call on a *Client (no capability interface names
// it yet).
func (c *Client) MatchSecret(l provider.Leak) (provider.AccountSecret, bool) {
	if l.Provider != Info.ID || (l.Kind != "auth_token" && l.Kind != "account_sid") || !strings.EqualFold(l.KeyID, c.account) {
		return provider.AccountSecret{}, false
	}
	return c.authTokenSecret(), true
}
