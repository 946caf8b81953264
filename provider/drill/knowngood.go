package drill

import (
	"slices"
	"time"
)

// BaselineAge is how long before the drill's start its baseline stands for:
// the scenario's known_good state is the snapshot the owner took then.
const BaselineAge = 7 * 24 * time.Hour

// BaselineAt is when the drill's baseline stands for: BaselineAge before
// the drill's start.
func (a *Account) BaselineAt() time.Time { return a.st.Epoch.Add(-BaselineAge) }

// KnownGood is the account as it was at BaselineAt: the scenario's
// known_good state alone, without anything the attacker holds or left, no
// inject, the owner's usual mail and nothing created after BaselineAt (the
// key made for the recovery, say). A drill's "what changed since the
// baseline?" compares the account with it. It shares the drill's epoch, so
// that objects and mail line up day by day; nothing it does touches the
// drill account.
func (a *Account) KnownGood() *Account {
	a.mu.Lock()
	epoch := a.st.Epoch
	a.mu.Unlock()
	at := epoch.Add(-BaselineAge)
	before := func(o Offset) bool { return !o.at(epoch).After(at) }
	sc := *a.sc
	kg := sc.KnownGood
	kg.Keys = slices.DeleteFunc(slices.Clone(kg.Keys), func(k KeySpec) bool { return !before(k.Created) })
	kg.Teammates = slices.DeleteFunc(slices.Clone(kg.Teammates), func(t TeammateSpec) bool { return !before(t.Created) })
	kg.Subusers = slices.DeleteFunc(slices.Clone(kg.Subusers), func(s SubuserSpec) bool { return !before(s.Created) })
	kg.Webhooks = slices.DeleteFunc(slices.Clone(kg.Webhooks), func(w WebhookSpec) bool { return !before(w.Created) })
	kg.Senders = slices.DeleteFunc(slices.Clone(kg.Senders), func(s SenderSpec) bool { return !before(s.Created) })
	kg.Secrets = slices.DeleteFunc(slices.Clone(kg.Secrets), func(s SecretSpec) bool { return !before(s.Created) })
	kg.Activity = nil
	sc.KnownGood = kg
	sc.Attacker = AttackerSpec{}
	sc.Injects = nil
	sc.RateLimit = nil
	sc.Keys = slices.Clone(kg.Keys)
	g := New(&sc, epoch)
	g.now = func() time.Time { return epoch }
	return g
}
