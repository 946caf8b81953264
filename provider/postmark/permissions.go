package postmark

import (
	"context"
	"net/http"
	"net/url"

	"reclaim/provider"
)

// Permissions implements provider.PermissionReporter. It proves each token
// given works (GET /servers with one item for the account token, GET
// /server for a server token) and says what they allow: the account token
// reads every server, the sender signatures and the domains; a server token
// alone reads its own server only. Postmark tokens carry no scopes.
func (c *Client) Permissions(ctx context.Context) (provider.PermissionReport, error) {
	var rep provider.PermissionReport
	if c.acct != "" {
		err := c.hc.Do(ctx, provider.Request{Op: "check the account token (GET /servers)", Method: http.MethodGet, Path: "/servers",
			Query: url.Values{"count": {"1"}, "offset": {"0"}}}, nil)
		if err != nil {
			return rep, err
		}
		rep.Granted = append(rep.Granted, "account token")
	}
	if c.srv != "" {
		err := c.hc.Do(ctx, provider.Request{Op: "check the server token (GET /server)", Method: http.MethodGet, Path: "/server",
			Auth: serverAuth(c.srv)}, nil)
		if err != nil {
			return rep, err
		}
		rep.Granted = append(rep.Granted, "server token")
	}
	acct := c.acct != ""
	scope := "every server"
	if !acct {
		scope = "this token's server only"
	}
	need := []string{"the account token (" + AccountTokenEnv + ")"}
	item := func(it provider.Item, action string, ok bool) provider.ItemPermission {
		p := provider.ItemPermission{Item: it, Action: action, Allowed: ok}
		if !ok {
			p.Missing = need
		}
		return p
	}
	rep.Items = []provider.ItemPermission{
		item(provider.ItemSubusers, "list servers ("+scope+")", true),
		item(provider.ItemAPIKeys, "list server API tokens by fingerprint ("+scope+")", true),
		item(provider.ItemWebhooks, "list and remove webhooks, hook URLs and inbound hooks ("+scope+")", true),
		item(provider.ItemMailSettings, "read SMTP, API and tracking state ("+scope+")", true),
		item(provider.ItemMessages, "read the last 30 days of mail, bounces and spam complaints ("+scope+")", true),
		item(provider.ItemSenders, "list sender signatures and domains", acct),
	}
	return rep, nil
}
