package brevo

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"

	"reclaim/provider"
)

var _ provider.SMTPVerifier = (*Client)(nil)

// gone treats "not found" as done: what was to be removed is not there.
func gone(err error) error {
	if errors.Is(err, provider.ErrNotFound) {
		return nil
	}
	return err
}

// VerifyKey implements provider.KeyVerifier, the dead-credential proof for
// a deleted key: a harmless check made with the given key. For an API key
// (xkeysib-…) it is GET /account: nil when Brevo accepts the key (a 403
// still means it authenticated), ErrBadCredentials when Brevo refuses it
// (401): the key is dead. A 401 that names an unauthorised IP address is
// NOT a dead key: it comes back as ErrPermission wrapping ErrIPBlocked (the
// key may work from elsewhere). The API refuses every SMTP key, so an SMTP
// key (xsmtpsib-…, or login:key) is checked with a login to the SMTP relay
// instead (VerifySMTP). Anything else is refused as not a Brevo key, never
// sent: a 401 for it would prove nothing.
func (c *Client) VerifyKey(ctx context.Context, secret string) error {
	const op = "verify a key"
	secret = strings.TrimSpace(secret)
	_, key := splitLogin(secret)
	switch {
	case secret == "" || strings.ContainsAny(secret, "\r\n\t "):
		return errf(provider.ErrInvalid, op, "not a key")
	case strings.HasPrefix(key, smtpKeyPrefix):
		return c.VerifySMTP(ctx, secret)
	case !strings.HasPrefix(secret, apiKeyPrefix):
		return errf(provider.ErrInvalid, op, "not a Brevo API key (xkeysib-…) or SMTP key (xsmtpsib-…); an SMTP master password is checked as login:password at the SMTP relay")
	}
	err := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodGet, Path: "/account", Auth: keyAuth(secret)}, nil)
	if errors.Is(err, provider.ErrPermission) && !errors.Is(err, ErrIPBlocked) {
		return nil
	}
	return err
}

// Key prefixes (the detectors' anchors).
const (
	apiKeyPrefix  = "xkey" + "sib-"
	smtpKeyPrefix = "xsmtp" + "sib-"
)

// splitLogin splits "login:key" (login an email) into its parts; anything
// else is the key alone.
func splitLogin(credential string) (login, key string) {
	if i := strings.LastIndex(credential, ":"); i > 0 && strings.Contains(credential[:i], "@") {
		return credential[:i], credential[i+1:]
	}
	return "", credential
}

// SMTPRelay is Brevo's SMTP relay; RECLAIM_BREVO_SMTP_ADDR overrides it
// (host:port; without TLS only on loopback).
const (
	SMTPRelay   = "smtp-relay.brevo.com:587"
	SMTPAddrEnv = "RECLAIM_BREVO_SMTP_ADDR"
)

// VerifySMTP implements provider.SMTPVerifier, the dead-credential proof
// for a replaced SMTP key: it logs in to the relay (STARTTLS, AUTH PLAIN)
// with the account's SMTP login and the key, and quits without sending.
// credential is "login:key", or the key alone (the login is then read from
// GET /account). nil: the relay accepts it; ErrBadCredentials: refused
// (535), the key is dead.
func (c *Client) VerifySMTP(ctx context.Context, credential string) error {
	const op = "log in to the SMTP relay"
	login, key := splitLogin(strings.TrimSpace(credential))
	if key == "" || strings.ContainsAny(key, "\r\n\t ") {
		return errf(provider.ErrInvalid, op, "give the SMTP key, or login:key")
	}
	if strings.HasPrefix(key, apiKeyPrefix) {
		// An API key is no SMTP password: the relay's refusal would prove
		// nothing about it.
		return errf(provider.ErrInvalid, op, "this is an API key, not an SMTP key: it is checked with the API")
	}
	if login == "" {
		a, err := c.account(ctx, "read the SMTP login")
		if err != nil {
			return err
		}
		login = strings.TrimSpace(a.Relay.Data.UserName)
		if login == "" {
			return errf(provider.ErrUnsupported, op, "Brevo names no SMTP login for this account: check the SMTP page (%s)", SMTPKeysPage)
		}
	}
	addr := SMTPRelay
	if v := os.Getenv(SMTPAddrEnv); v != "" {
		addr = v
	}
	return smtpLogin(ctx, addr, login, key)
}

// smtpLogin logs in to addr and quits, without sending.
func smtpLogin(ctx context.Context, addr, user, pass string) error {
	const op = "log in to the SMTP relay"
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Err: errors.New("the relay address is not host:port")}
	}
	unavailable := func(err error) error {
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Err: errors.New(provider.SanitizeN(err.Error(), 200))}
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return unavailable(err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return unavailable(err)
	}
	defer cl.Close()
	if ok, _ := cl.Extension("STARTTLS"); ok {
		if err := cl.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return unavailable(err)
		}
	} else if !provider.IsLoopbackHost(host) {
		return unavailable(errors.New("the relay did not offer STARTTLS: refusing to send a key in clear text"))
	}
	err = cl.Auth(smtp.PlainAuth("", user, pass, host))
	var tpe *textproto.Error
	switch {
	case err == nil:
		_ = cl.Quit()
		return nil
	case errors.As(err, &tpe) && (tpe.Code == 535 || tpe.Code == 534 || tpe.Code == 530):
		return &provider.Error{Kind: provider.ErrBadCredentials, Op: op, Status: tpe.Code, Message: provider.SanitizeN(tpe.Msg, 200)}
	}
	return unavailable(err)
}

// RemoveTeammate implements provider.TeammateRemover: a pending invitation
// is cancelled (PUT /organization/user/invitation/cancel/{email}), an
// active user's access revoked (PUT /organization/user/invitation/revoke/
// {email}), a master account's admin user revoked (DELETE
// /corporate/user/revoke/{email}). It refuses the owner and the account's
// login email, and a user the last listing did not show (list first: the
// engine confirms each removal with the owner against that list). Never
// retried: a failed removal is reported, and the list read again. Already
// gone is done.
func (c *Client) RemoveTeammate(ctx context.Context, t provider.Teammate) error {
	op := "remove user " + provider.SanitizeN(t.Email, 80)
	email := strings.TrimSpace(t.Email)
	if email == "" {
		email = strings.TrimSpace(t.Username)
	}
	if !validEmail(email) {
		return errf(provider.ErrInvalid, op, "not an email address")
	}
	if t.Owner {
		return errf(provider.ErrInvalid, op, "this is the account owner: reclaim never removes the owner")
	}
	c.mu.Lock()
	src, listed := c.users[strings.ToLower(email)]
	login := c.login
	c.mu.Unlock()
	if login == "" {
		a, err := c.account(ctx, "read the account")
		if err != nil {
			return err
		}
		login = clip(a.Email)
	}
	if strings.EqualFold(login, email) {
		return errf(provider.ErrInvalid, op, "this is the account's login email: reclaim never removes it")
	}
	if !listed {
		return errf(provider.ErrInvalid, op, "this user was not in the last list of users: list the users again before removing one")
	}
	req := provider.Request{Op: op, Method: http.MethodPut, NotIdempotent: true}
	switch {
	case src == fromMasterAccount:
		req.Method = http.MethodDelete
		req.Path = "/corporate/user/revoke/" + url.PathEscape(email)
		req.Route = "/corporate/user/revoke/{email}"
	case t.Pending:
		req.Path = "/organization/user/invitation/cancel/" + url.PathEscape(email)
		req.Route = "/organization/user/invitation/{action}/{email}"
	default:
		req.Path = "/organization/user/invitation/revoke/" + url.PathEscape(email)
		req.Route = "/organization/user/invitation/revoke/{email}"
	}
	if err := gone(c.http.Do(ctx, req, nil)); err != nil {
		return mayHaveHappened(err, "list the users again")
	}
	c.mu.Lock()
	delete(c.users, strings.ToLower(email))
	c.mu.Unlock()
	return nil
}

// DeleteWebhook implements provider.WebhookDeleter (DELETE
// /webhooks/{id}): transactional, marketing and inbound webhooks alike.
// Never retried; already gone is done.
func (c *Client) DeleteWebhook(ctx context.Context, w provider.Webhook) error {
	op := "delete webhook " + provider.SanitizeN(w.ID, 30)
	if !numericID(w.ID) {
		return errf(provider.ErrInvalid, op, "Brevo webhook ids are numbers")
	}
	err := gone(c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodDelete, Path: "/webhooks/" + w.ID, Route: "/webhooks/{webhookId}", NotIdempotent: true}, nil))
	return mayHaveHappened(err, "list the webhooks again")
}

// mayHaveHappened says, on a change that got no clear answer (a 5xx, a
// timeout), that Brevo may have carried it out: it is not retried blindly.
func mayHaveHappened(err error, check string) error {
	var pe *provider.Error
	if errors.Is(err, provider.ErrUnavailable) && errors.As(err, &pe) {
		note := "Brevo may have carried it out: " + check + " before retrying"
		if pe.Message == "" {
			pe.Message = note
		} else {
			pe.Message += "; " + note
		}
	}
	return err
}
