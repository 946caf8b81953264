package mailgun

import (
	"strings"

	"reclaim/provider"
)

// KeyIDOf returns the key id a newer-format key seems to name: its last two
// parts, "<8 hex>-<8 hex>", the shape of the ids GET /v1/keys lists. That
// the parts are the id is the reference's unverified guess (providers.md
// §8, §11.2), so it is only ever used where a wrong guess is harmless: to
// refuse deleting the key reclaim uses (a wrong guess matches no key), and
// as the session key's id once the key list holds a key with that id. A
// legacy "key-…" key names no id: "".
func KeyIDOf(secret string) string {
	s := strings.TrimSpace(secret)
	if len(s) != 50 || s[32] != '-' || s[41] != '-' {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if i == 32 || i == 41 {
			continue
		}
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	return s[33:]
}

// SessionKeyID is the id of the key reclaim is connected with, when the
// last key listing confirmed it (see KeyIDOf); "" before a listing, for a
// legacy key, or when no listed key has that id. The engine never proposes
// to delete it, and RevokeKey refuses it in any case.
func (c *Client) SessionKeyID() string {
	id := KeyIDOf(c.key)
	if id == "" {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.listed[id] {
		return id
	}
	return ""
}

// MatchLeak implements provider.LeakMatcher. Mailgun's detectors report no
// key id (Leak.KeyID is empty): a legacy key-… secret names none, and that a
// newer key's last two parts are its id is unverified (providers.md §8,
// §11.2). The secret itself never reaches MatchLeak, so a Mailgun leak
// cannot be told apart from the account's other keys: it matches only
// when a leak carries an id (from a future detector or another source) that
// is exactly the id of a listed key; otherwise ok is false and the engine
// treats every key as possibly leaked.
func (c *Client) MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
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
