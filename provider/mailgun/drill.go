package mailgun

import "reclaim/provider"

// drillView is what a Mailgun-style drill account can do: the capabilities
// this adapter's API has and the drill simulates. Mailgun has no account
// endpoint, no way to remove users or change the password through the API
// (console steps), no mail settings and no access log. (SubuserEnabler,
// SecretLister and SecretRotator join once the drill simulates them.)
type drillView struct {
	provider.Simulator
	provider.KeyLister
	provider.KeyCreator
	provider.KeyRevoker
	provider.KeyVerifier
	provider.TeammateLister
	provider.SubuserLister
	provider.SubuserDisabler
	provider.WebhookLister
	provider.WebhookDeleter
	provider.SenderLister
	provider.AllowListReader
	provider.AllowListWriter
	provider.MessageLister
}

// DrillStyle is how the drill imitates Mailgun ("provider: mailgun" in a
// scenario): keys in the newer format, 32 hex "-" then the key's id,
// 8 hex "-" 8 hex (the drill's ids all start "d1a11000-"); keys are deleted
// when revoked; there is no master key.
var DrillStyle = provider.DrillStyle{
	Name: "Mailgun",
	View: provider.NarrowSimulator[drillView],
	Keys: provider.DrillKeys{
		ID:         provider.KeyShape{Prefix: "d1a11000-", Alphabet: provider.AlphabetHex, Len: 8},
		Secret:     provider.KeyShape{Alphabet: provider.AlphabetHex, Len: 32},
		Credential: "{secret}-{id}",
	},
	Support: "Drill: in a real incident you would open a ticket from the Support option of the Mailgun control panel, say the account was compromised, and state each of Mailgun's steps as done (investigate, replace the API keys, reset every domain's SMTP credentials and every user's password, enable 2FA for every user).",
}

func init() { provider.RegisterDrillStyle(Info.ID, DrillStyle) }
