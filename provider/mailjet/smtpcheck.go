package mailjet

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"

	"reclaim/provider"
)

// SMTPRelay is Mailjet's SMTP relay; RECLAIM_MAILJET_SMTP_ADDR overrides it
// for tests (host:port; without TLS only on loopback).
const (
	SMTPRelay   = "in-v3.mailjet.com:587"
	SMTPAddrEnv = "RECLAIM_MAILJET_SMTP_ADDR"
)

// VerifySMTP implements provider.SMTPVerifier: it logs in to the relay with
// the API key and the given secret (STARTTLS, AUTH PLAIN) and quits without
// sending. The relay keeps accepting an old secret for over an hour after a
// reset, so this, not the API, says when the old secret is really dead.
func (c *Client) VerifySMTP(ctx context.Context, credential string) error {
	const op = "log in to the SMTP relay"
	key, sec, ok := splitPair(credential)
	if !ok {
		key, sec = c.key, strings.TrimSpace(credential)
	}
	if key == "" || sec == "" {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "give the credential as apikey:secret, or the secret alone"}
	}
	addr := SMTPRelay
	if v := os.Getenv(SMTPAddrEnv); v != "" {
		addr = v
	}
	return smtpLogin(ctx, addr, key, sec)
}

func smtpLogin(ctx context.Context, addr, user, pass string) error {
	const op = "log in to the SMTP relay"
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Err: err}
	}
	unavailable := func(err error) error { return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Err: err} }
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
		return unavailable(errors.New("the relay did not offer STARTTLS: refusing to send a credential in clear text"))
	}
	err = cl.Auth(smtp.PlainAuth("", user, pass, host))
	var tpe *textproto.Error
	switch {
	case err == nil:
		_ = cl.Quit()
		return nil
	case errors.As(err, &tpe) && (tpe.Code == 535 || tpe.Code == 534 || tpe.Code == 530):
		return &provider.Error{Kind: provider.ErrBadCredentials, Op: op, Status: tpe.Code, Message: tpe.Msg}
	}
	return unavailable(err)
}
