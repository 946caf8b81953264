package mailjet

import (
	"crypto/sha256"
	enchex "encoding/hex"

	"reclaim/provider"
)

var _ provider.LeakMatcher = (*Client)(nil)

// KeyRef is the key id a leaked Mailjet credential carries (Match.KeyID,
// provider.Leak.KeyID): "sha256:" and the first 16 hex digits of the
// SHA-256 of its public API key. A Mailjet credential is the pair of API
// key and secret key, and the scanner treats the public API key as a secret
// too (it is half the pair), so the leak names its key by this one-way
// reference; MatchLeak computes it for each of the account's keys.
func KeyRef(apiKey []byte) string {
	h := sha256.Sum256(apiKey)
	return "sha256:" + enchex.EncodeToString(h[:8])
}

// MatchLeak implements provider.LeakMatcher: a leaked Mailjet credential
// (the API key, or a secret key or Basic header whose API key is known) is
// the account's key whose public API key (APIKey.ID) has the leak's
// KeyRef.
func (c *Client) MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	return MatchLeak(l, keys)
}

// MatchLeak is Client.MatchLeak for any key list of Mailjet's shape (the
// drill's Mailjet-style accounts use it too).
func MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	if l.Provider != Info.ID || l.KeyID == "" {
		return "", false
	}
	for _, k := range keys {
		if k.ID != "" && KeyRef([]byte(k.ID)) == l.KeyID {
			return k.ID, true
		}
	}
	return "", false
}
