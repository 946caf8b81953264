package sendgrid

import "reclaim/provider"

var _ provider.LeakMatcher = (*Client)(nil)

// MatchLeak implements provider.LeakMatcher: a leaked SendGrid key
// SG.<key id>.<secret> names its key (the detector's KeyID), which is the
// account's key with that id, when the account lists one.
func (c *Client) MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	return MatchLeak(l, keys)
}

// MatchLeak is Client.MatchLeak for any key list of SendGrid's shape (the
// drill's SendGrid-style accounts use it too).
func MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	if l.Provider != Info.ID || l.KeyID == "" {
		return "", false
	}
	for _, k := range keys {
		if k.ID == l.KeyID {
			return k.ID, true
		}
	}
	return "", false
}
