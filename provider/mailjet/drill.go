package mailjet

import (
	"strings"

	"reclaim/provider"
)

// drillView is what a Mailjet-style drill account can do: the capabilities
// this adapter's API has. Teammates are removed, the password changed and
// the master secret reset in the console only; there are no subusers, IP
// allow list or mail settings.
type drillView struct {
	provider.Simulator
	provider.AccountReader
	provider.KeyLister
	provider.KeyCreator
	provider.KeyRevoker
	provider.KeyVerifier
	provider.TeammateLister
	provider.WebhookLister
	provider.WebhookDeleter
	provider.SenderLister
	provider.ActivityLister
	provider.MessageLister
	provider.LeakMatcher
}

// DrillStyle is how the drill imitates Mailjet ("provider: mailjet" in a
// scenario): a key pair "apikey:secret" of 32 hex characters each; keys
// are deactivated, never deleted; the master key cannot be deactivated,
// its secret is reset in the console.
var DrillStyle = provider.DrillStyle{
	MatchLeak: MatchLeak,
	Name:      "Mailjet",
	View:      provider.NarrowSimulator[drillView],
	Keys: provider.DrillKeys{
		ID:         provider.KeyShape{Alphabet: provider.AlphabetHex, Len: 32},
		Secret:     provider.KeyShape{Alphabet: provider.AlphabetHex, Len: 32},
		Credential: "{id}:{secret}",
	},
	MasterKey:      true,
	MasterKeyError: ErrMasterKey,
	DeactivateKeys: true,
	Support:        "Drill: in a real incident you would log in to Mailjet and open a support ticket from the app, stating each of Mailjet's five steps as done: " + strings.Join(ProcedureSteps, " "),
}

func init() { provider.RegisterDrillStyle(Info.ID, DrillStyle) }
