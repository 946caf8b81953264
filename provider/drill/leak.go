package drill

import (
	"reclaim/provider"
	"reclaim/provider/mailjet"
	"reclaim/provider/sendgrid"
)

var (
	_ provider.LeakMatcher = (*Account)(nil)
	_ provider.LeakMatcher = (*mailjetView)(nil)
)

// MatchLeak implements provider.LeakMatcher as the provider the drill
// simulates does: a SendGrid-style account's leaked SG.<id>.<secret> (the
// server tree's and the injects' leaks) is its key with that id, so the
// engine revokes it first.
func (a *Account) MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	if a.mailjet() {
		return mailjet.MatchLeak(l, keys)
	}
	return sendgrid.MatchLeak(l, keys)
}

// MatchLeak implements provider.LeakMatcher for a Mailjet-style drill.
func (v *mailjetView) MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	return mailjet.MatchLeak(l, keys)
}
