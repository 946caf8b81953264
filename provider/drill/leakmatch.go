package drill

import "reclaim/provider"

var _ provider.LeakMatcher = (*Account)(nil)

// MatchLeak implements provider.LeakMatcher as the provider the drill
// imitates does (DrillStyle.MatchLeak): a leaked credential in the style's
// shape (the server tree's, an inject's) is its key, so the engine revokes
// it first. Without the style's own matcher, a leak of the imitated
// provider is the listed key with the leak's KeyID.
func (a *Account) MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	if m := a.style.s.MatchLeak; m != nil {
		return m(l, keys)
	}
	if l.Provider != a.style.id || l.KeyID == "" {
		return "", false
	}
	for _, k := range keys {
		if k.ID == l.KeyID {
			return k.ID, true
		}
	}
	return "", false
}
