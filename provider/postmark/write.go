package postmark

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"reclaim/provider"
)

// VerifyKey implements provider.KeyVerifier: the dead-credential proof. It
// makes harmless reads with secret, first as a server token (GET /server),
// then, when that is refused, as an account token (GET /servers, one
// item): nil when either works, ErrBadCredentials only when Postmark
// refuses it both ways (the two kinds look alike, so one refusal proves
// nothing).
func (c *Client) VerifyKey(ctx context.Context, secret string) error {
	secret = strings.TrimSpace(secret)
	if !validToken(secret) {
		return &provider.Error{Kind: provider.ErrInvalid, Op: "verify a Postmark token", Message: "that is not a Postmark token (a UUID)"}
	}
	err := c.hc.Do(ctx, provider.Request{Op: "verify the token as a server token (GET /server)", Method: http.MethodGet, Path: "/server",
		Auth: serverAuth(secret)}, nil)
	if err == nil || !errors.Is(err, provider.ErrBadCredentials) {
		return err
	}
	q := url.Values{"count": {"1"}, "offset": {"0"}}
	err = c.hc.Do(ctx, provider.Request{Op: "verify the token as an account token (GET /servers)", Method: http.MethodGet, Path: "/servers",
		Query: q, Auth: accountAuth(secret)}, nil)
	if err == nil || !errors.Is(err, provider.ErrBadCredentials) {
		return err
	}
	return &provider.Error{Kind: provider.ErrBadCredentials, Op: "verify a Postmark token", Status: http.StatusUnauthorized,
		Message: "Postmark refused it as a server token (GET /server) and as an account token (GET /servers): it is dead"}
}

// parseWebhookID splits a ListWebhooks id: server id, kind ("webhook",
// "hook", "inbound") and the rest (a webhook id or a hook name).
func parseWebhookID(id string) (serverID, kind, rest string, ok bool) {
	p := strings.SplitN(id, ":", 4)
	if len(p) < 3 || p[0] != "server" || !isID(p[1]) {
		return "", "", "", false
	}
	switch {
	case p[2] == "inbound" && len(p) == 3:
		return p[1], "inbound", "", true
	case p[2] == "webhook" && len(p) == 4 && isID(p[3]):
		return p[1], "webhook", p[3], true
	case p[2] == "hook" && len(p) == 4:
		for _, f := range legacyHooks {
			if strings.TrimSuffix(f, "Url") == p[3] {
				return p[1], "hook", f, true
			}
		}
	}
	return "", "", "", false
}

// DeleteWebhook implements provider.WebhookDeleter for ListWebhooks' ids:
// a webhook is deleted (DELETE /webhooks/{id}, outside the 2019 spec); a
// legacy hook URL or the inbound hook is cleared (PUT /servers/{id} with
// the account token, else PUT /server). Either way the server is read back
// to prove it gone.
func (c *Client) DeleteWebhook(ctx context.Context, w provider.Webhook) error {
	op := "delete webhook " + clean(w.ID, 80)
	sid, kind, rest, ok := parseWebhookID(w.ID)
	if !ok {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "not a webhook id reclaim listed"}
	}
	s, err := c.serverByID(ctx, sid)
	if err != nil {
		return err
	}
	defer c.forget()
	if kind == "webhook" {
		auth, ok := c.serverAuthFor(s)
		if !ok {
			return &provider.Error{Kind: provider.ErrPermission, Op: op, Message: "server " + s.label + " has no usable API token"}
		}
		err := c.hc.Do(ctx, provider.Request{Op: op + " (DELETE /webhooks/{id})", Method: http.MethodDelete, Path: "/webhooks/" + rest,
			Route: "/webhooks/{id}", Auth: auth}, nil)
		if err != nil {
			return err
		}
		// Read back: the webhook must be gone.
		sec := c.limits.Section("webhooks")
		left, err := c.serverWebhooks(ctx, sec, s, auth)
		if err != nil && !errors.Is(err, errStop) {
			return fmt.Errorf("deleted, but reading the webhooks back failed: %w", err)
		}
		for _, x := range left {
			if x.ID == w.ID {
				return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Postmark answered the delete, but still lists the webhook"}
			}
		}
		return nil
	}
	field := rest
	if kind == "inbound" {
		field = "InboundHookUrl"
	}
	var after pmServer
	decode := func(_ int, body []byte) error { return provider.DecodeJSON(op, "Postmark", body, &after) }
	body := map[string]string{field: ""}
	if c.acct != "" {
		err = c.hc.Do(ctx, provider.Request{Op: op + " (PUT /servers/{serverid})", Method: http.MethodPut, Path: "/servers/" + s.id,
			Route: "/servers/{serverid}", JSON: body}, decode)
	} else {
		err = c.hc.Do(ctx, provider.Request{Op: op + " (PUT /server)", Method: http.MethodPut, Path: "/server", JSON: body}, decode)
	}
	if err != nil {
		return err
	}
	if after.hook(field) != "" {
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Postmark answered the change, but the server still has the hook URL"}
	}
	return nil
}

// serverByID finds a listed server by id (a fresh read when the cached
// list lacks it).
func (c *Client) serverByID(ctx context.Context, id string) (server, error) {
	for fresh := 0; fresh < 2; fresh++ {
		if fresh == 1 {
			c.forget()
		}
		sl, err := c.servers(ctx)
		if err != nil {
			return server{}, err
		}
		for _, s := range sl.servers {
			if s.id == id {
				return s, nil
			}
		}
	}
	return server{}, &provider.Error{Kind: provider.ErrNotFound, Op: "find server #" + id, Message: "Postmark does not list it (any more)"}
}

// DeleteServer deletes a server with the account token (DELETE
// /servers/{id}): irreversible, it takes the server's messages, bounces and
// tokens with it. It is no capability on purpose (reclaim's steps guide
// the owner to the console instead); a caller must pass confirm equal to
// the server's name as ListSubusers gives it ("name (#id)"), which is read
// again first. The delete is never retried, and the server is read back to
// prove it gone.
func (c *Client) DeleteServer(ctx context.Context, id, confirm string) error {
	op := "delete server #" + clean(id, 20)
	if c.acct == "" {
		return errNeedsAccountToken(op)
	}
	if !isID(id) {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "not a server id"}
	}
	var p pmServer
	err := c.hc.Do(ctx, provider.Request{Op: op + " (GET /servers/{serverid})", Method: http.MethodGet, Path: "/servers/" + id, Route: "/servers/{serverid}"},
		func(_ int, body []byte) error { return provider.DecodeJSON(op, "Postmark", body, &p) })
	if err != nil {
		return err
	}
	if label := newServer(p).label; confirm != label {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "the confirmation does not match the server's name " + label}
	}
	defer c.forget()
	err = c.hc.Do(ctx, provider.Request{Op: op + " (DELETE /servers/{serverid})", Method: http.MethodDelete, Path: "/servers/" + id,
		Route: "/servers/{serverid}", NotIdempotent: true}, nil)
	if err != nil {
		return err
	}
	err = c.hc.Do(ctx, provider.Request{Op: op + ": read back", Method: http.MethodGet, Path: "/servers/" + id, Route: "/servers/{serverid}"}, nil)
	switch {
	case err == nil:
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Postmark answered the delete, but still has the server"}
	case errors.Is(err, provider.ErrNotFound), errors.Is(err, provider.ErrInvalid):
		// Postmark answers a missing server with 422.
		return nil
	}
	return fmt.Errorf("deleted, but reading the server back failed: %w", err)
}
