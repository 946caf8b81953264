package twilio

import "reclaim/provider"

// drillView is what a Twilio-style drill account can do: the capabilities
// this adapter's API has. Webhook URLs are changed, users removed, the
// password changed and 2FA enrolled in the Console only; Twilio has no
// teammate API for plain accounts, no mail settings, senders or IP allow
// list API. (The drill does not simulate the auth token's rotation or a
// subaccount's reactivation yet: SecretLister, SecretRotator and
// SubuserEnabler join the view once it does.)
type drillView struct {
	provider.Simulator
	provider.AccountReader
	provider.KeyLister
	provider.KeyCreator
	provider.KeyRevoker
	provider.KeyVerifier
	provider.SubuserLister
	provider.SubuserDisabler
	provider.WebhookLister
	provider.ActivityLister
}

// DrillStyle is how the drill imitates Twilio ("provider: twilio" in a
// scenario): API keys are SK + 32 hex with a 32-character secret, used as
// "SK…:secret", and deleted when revoked.
var DrillStyle = provider.DrillStyle{
	Name: "Twilio",
	View: provider.NarrowSimulator[drillView],
	Keys: provider.DrillKeys{
		ID:         provider.KeyShape{Prefix: "SK", Alphabet: provider.AlphabetHex, Len: 32},
		Secret:     provider.KeyShape{Alphabet: provider.AlphabetAlnum, Len: 32},
		Credential: "{id}:{secret}",
	},
	Support: "Drill: in a real incident you would log in to the Twilio Console and open a ticket from " + HelpCenter +
		" (or reply to Twilio's suspension email), listing what you did and pasting the completion report.",
}

func init() { provider.RegisterDrillStyle(Info.ID, DrillStyle) }
