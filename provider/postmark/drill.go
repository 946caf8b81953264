package postmark

import (
	"strings"

	"reclaim/provider"
)

// drillView is what a Postmark-style drill account can do: the
// capabilities this adapter's API has. Tokens are listed (ListKeys) but
// neither created nor revoked through the API (the console does it: the
// leaked token is the drill's master key, reset in the console and then
// proven dead); users, 2FA and the password are console pages; servers
// and their settings are read, never disabled.
type drillView struct {
	provider.Simulator
	provider.KeyLister
	provider.KeyVerifier
	provider.SubuserLister
	provider.WebhookLister
	provider.WebhookDeleter
	provider.MailSettingsLister
	provider.SenderLister
	provider.MessageLister
}

// ErrTokenInConsole is why a Postmark token cannot be revoked through the
// API.
var ErrTokenInConsole = errNotInAPI("Postmark tokens are added and deleted in the console only (a server's API Tokens tab; the account token at " + AccountTokens + ")")

type errNotInAPI string

func (e errNotInAPI) Error() string { return string(e) }

// DrillStyle is how the drill imitates Postmark ("provider: postmark" in a
// scenario). Postmark tokens are UUIDs with no public id: a drill key id
// is the token's first 8 hex digits and the rest is made up around it
// ("{id}-0000-4000-8000-{12 hex}", a UUID the leak scan recognises next to
// POSTMARK_ACCOUNT_TOKEN). The leaked token is the account's master key:
// the API can neither revoke nor rotate it, so it is reset in the console
// and proven dead.
var DrillStyle = provider.DrillStyle{
	Name: "Postmark",
	View: provider.NarrowSimulator[drillView],
	Keys: provider.DrillKeys{
		ID:         provider.KeyShape{Alphabet: provider.AlphabetHex, Len: 8},
		Secret:     provider.KeyShape{Alphabet: provider.AlphabetHex, Len: 12},
		Credential: "{id}-0000-4000-8000-{secret}",
	},
	MasterKey:      true,
	MasterKeyError: ErrTokenInConsole,
	Support: "Drill: in a real incident you would email " + SupportEmail + " from the owner's address with the completion report, stating each of Postmark's account-security steps as done: " +
		strings.Join(ProcedureSteps, " "),
}

func init() { provider.RegisterDrillStyle(Info.ID, DrillStyle) }
