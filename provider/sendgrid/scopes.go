package sendgrid

import (
	"context"
	"slices"
	"sort"

	"reclaim/provider"
)

// Endpoint scopes. The names come from the scope list in the official spec
// (tsg_sso_v3.json lists all of them) and providers.md §1. Where SendGrid
// documents no scope for an endpoint the entry is marked unverified: a 403
// there still names the likely scope, but the permission report does not
// count it against the key.
type scopeEntry struct {
	scope      string
	unverified bool
}

var routeScopes = map[string]scopeEntry{
	"GET /v3/scopes":                                     {scope: ""},
	"GET /v3/user/profile":                               {scope: "user.profile.read"},
	"GET /v3/user/account":                               {scope: "user.account.read"},
	"GET /v3/user/email":                                 {scope: "user.email.read"},
	"GET /v3/user/username":                              {scope: "user.username.read"},
	"PUT /v3/user/password":                              {scope: "user.password.update"},
	"GET /v3/api_keys":                                   {scope: "api_keys.read"},
	"GET /v3/api_keys/{api_key_id}":                      {scope: "api_keys.read"},
	"POST /v3/api_keys":                                  {scope: "api_keys.create"},
	"DELETE /v3/api_keys/{api_key_id}":                   {scope: "api_keys.delete"},
	"GET /v3/teammates":                                  {scope: "teammates.read"},
	"GET /v3/teammates/pending":                          {scope: "teammates.read"},
	"DELETE /v3/teammates/{username}":                    {scope: "teammates.delete"},
	"DELETE /v3/teammates/pending/{token}":               {scope: "teammates.delete"},
	"GET /v3/subusers":                                   {scope: "subusers.read"},
	"PATCH /v3/subusers/{subuser_name}":                  {scope: "subusers.update"},
	"GET /v3/user/webhooks/event/settings/all":           {scope: "user.webhooks.event.settings.read"},
	"DELETE /v3/user/webhooks/event/settings/{id}":       {scope: "user.webhooks.event.settings.delete"},
	"GET /v3/user/webhooks/parse/settings":               {scope: "user.webhooks.parse.settings.read"},
	"DELETE /v3/user/webhooks/parse/settings/{hostname}": {scope: "user.webhooks.parse.settings.delete"},
	"GET /v3/mail_settings":                              {scope: "mail_settings.read"},
	"GET /v3/mail_settings/forward_bounce":               {scope: "mail_settings.forward_bounce.read"},
	"PATCH /v3/mail_settings/forward_bounce":             {scope: "mail_settings.forward_bounce.update"},
	"GET /v3/mail_settings/forward_spam":                 {scope: "mail_settings.forward_spam.read"},
	"PATCH /v3/mail_settings/forward_spam":               {scope: "mail_settings.forward_spam.update"},
	"GET /v3/mail_settings/address_whitelist":            {scope: "mail_settings.address_whitelist.read"},
	"PATCH /v3/mail_settings/address_whitelist":          {scope: "mail_settings.address_whitelist.update"},
	"GET /v3/mail_settings/footer":                       {scope: "mail_settings.footer.read"},
	"PATCH /v3/mail_settings/footer":                     {scope: "mail_settings.footer.update"},
	"GET /v3/mail_settings/template":                     {scope: "mail_settings.template.read"},
	"PATCH /v3/mail_settings/template":                   {scope: "mail_settings.template.update"},
	"GET /v3/verified_senders":                           {scope: "marketing.read", unverified: true},
	"GET /v3/senders":                                    {scope: "marketing_campaigns.read", unverified: true},
	"GET /v3/marketing/senders":                          {scope: "marketing.read", unverified: true},
	"GET /v3/whitelabel/domains":                         {scope: "whitelabel.read"},
	"GET /v3/access_settings/whitelist":                  {scope: "access_settings.whitelist.read"},
	"POST /v3/access_settings/whitelist":                 {scope: "access_settings.whitelist.create"},
	"GET /v3/access_settings/activity":                   {scope: "access_settings.activity.read"},
	"POST /v3/logs":                                      {scope: "messages.read", unverified: true},
	"GET /v3/messages":                                   {scope: "messages.read", unverified: true},
}

// ScopeFor names the scope an endpoint needs ("" when none is known).
// route is the spec's path template.
func ScopeFor(method, route string) string { return routeScopes[method+" "+route].scope }

// step is one automated checklist step and the endpoints it calls.
type step struct {
	item   provider.Item
	action string
	routes []string // "METHOD /path/template"
}

// steps lists, per checklist item, what reclaim automates and the endpoints
// each part calls; the permission report is derived from it.
var steps = []step{
	{provider.ItemAccount, "read the account's profile, type, email and username", []string{"GET /v3/user/profile", "GET /v3/user/account", "GET /v3/user/email", "GET /v3/user/username"}},
	{provider.ItemAPIKeys, "list API keys and their scopes", []string{"GET /v3/api_keys", "GET /v3/api_keys/{api_key_id}"}},
	{provider.ItemAPIKeys, "create a scoped replacement key", []string{"POST /v3/api_keys"}},
	{provider.ItemAPIKeys, "revoke keys", []string{"DELETE /v3/api_keys/{api_key_id}"}},
	{provider.ItemPassword, "change the password", []string{"PUT /v3/user/password"}},
	{provider.ItemTeammates, "list teammates and pending invites", []string{"GET /v3/teammates", "GET /v3/teammates/pending"}},
	{provider.ItemTeammates, "remove teammates and cancel invites", []string{"DELETE /v3/teammates/{username}", "DELETE /v3/teammates/pending/{token}"}},
	{provider.ItemSubusers, "list subusers", []string{"GET /v3/subusers"}},
	{provider.ItemSubusers, "disable subusers", []string{"PATCH /v3/subusers/{subuser_name}"}},
	{provider.ItemWebhooks, "list event webhooks", []string{"GET /v3/user/webhooks/event/settings/all"}},
	{provider.ItemWebhooks, "delete event webhooks", []string{"DELETE /v3/user/webhooks/event/settings/{id}"}},
	{provider.ItemParse, "list inbound-parse routes", []string{"GET /v3/user/webhooks/parse/settings"}},
	{provider.ItemParse, "delete inbound-parse routes", []string{"DELETE /v3/user/webhooks/parse/settings/{hostname}"}},
	{provider.ItemMailSettings, "read mail settings (forwarding, footer, template, allow list)", []string{"GET /v3/mail_settings", "GET /v3/mail_settings/forward_bounce", "GET /v3/mail_settings/forward_spam", "GET /v3/mail_settings/address_whitelist", "GET /v3/mail_settings/footer", "GET /v3/mail_settings/template"}},
	{provider.ItemMailSettings, "switch off forwarding settings", []string{"PATCH /v3/mail_settings/forward_bounce", "PATCH /v3/mail_settings/forward_spam"}},
	{provider.ItemSenders, "list sender identities and authenticated domains", []string{"GET /v3/verified_senders", "GET /v3/senders", "GET /v3/marketing/senders", "GET /v3/whitelabel/domains"}},
	{provider.ItemIPAccess, "read the IP allow list", []string{"GET /v3/access_settings/whitelist"}},
	{provider.ItemIPAccess, "add IP allow-list entries", []string{"POST /v3/access_settings/whitelist"}},
	{provider.ItemActivity, "read access activity (logins and API calls by IP)", []string{"GET /v3/access_settings/activity"}},
	{provider.ItemMessages, "read the last 30 days of mail (Email Logs or Email Activity)", []string{"POST /v3/logs"}},
}

// Scopes returns the scopes of the client's key (GET /v3/scopes, cached).
func (c *Client) Scopes(ctx context.Context) ([]string, error) {
	c.mu.Lock()
	if c.scopes != nil {
		s := slices.Clone(c.scopes)
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()
	var out struct {
		Scopes []string `json:"scopes"`
	}
	if err := c.do(ctx, call{op: "read the key's scopes", method: "GET", route: "/v3/scopes", path: "/v3/scopes", idempotent: true}, &out); err != nil {
		return nil, err
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	sort.Strings(out.Scopes)
	c.mu.Lock()
	c.scopes = out.Scopes
	c.mu.Unlock()
	return slices.Clone(out.Scopes), nil
}

// Permissions implements provider.PermissionReporter from GET /v3/scopes.
func (c *Client) Permissions(ctx context.Context) (provider.PermissionReport, error) {
	granted, err := c.Scopes(ctx)
	if err != nil {
		return provider.PermissionReport{}, err
	}
	return Report(granted), nil
}

// Report builds the permission report for a set of granted scopes.
func Report(granted []string) provider.PermissionReport {
	has := make(map[string]bool, len(granted))
	for _, s := range granted {
		has[s] = true
	}
	rep := provider.PermissionReport{Granted: slices.Clone(granted)}
	for _, st := range steps {
		ip := provider.ItemPermission{Item: st.item, Action: st.action, Allowed: true}
		for _, r := range st.routes {
			e := routeScopes[r]
			if e.scope == "" || e.unverified || has[e.scope] || slices.Contains(ip.Missing, e.scope) {
				continue
			}
			ip.Missing = append(ip.Missing, e.scope)
		}
		ip.Allowed = len(ip.Missing) == 0
		rep.Items = append(rep.Items, ip)
	}
	return rep
}

// fullAccessMarkers are scopes only a Full Access (or near-full) key holds
// together: such a key can mint keys and invite teammates.
var fullAccessMarkers = []string{"api_keys.create", "api_keys.delete", "teammates.create", "user.profile.update"}

// isFullAccess reports whether a key's scopes amount to full access.
func isFullAccess(scopes []string) bool {
	if len(scopes) >= 150 {
		return true
	}
	for _, m := range fullAccessMarkers {
		if !slices.Contains(scopes, m) {
			return false
		}
	}
	return true
}
