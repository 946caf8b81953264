package sendgrid

import "reclaim/provider"

// drillView is what a SendGrid-style drill account can do: the
// capabilities this adapter's API has (the drill cannot report a key's
// permissions, so PermissionReporter is left out).
type drillView struct {
	provider.Simulator
	provider.AccountReader
	provider.KeyLister
	provider.KeyCreator
	provider.KeyRevoker
	provider.KeyVerifier
	provider.TeammateLister
	provider.TeammateRemover
	provider.SubuserLister
	provider.SubuserDisabler
	provider.WebhookLister
	provider.WebhookDeleter
	provider.MailSettingsLister
	provider.MailSettingDisabler
	provider.SenderLister
	provider.AllowListReader
	provider.AllowListWriter
	provider.ActivityLister
	provider.MessageLister
	provider.LeakMatcher
	provider.PasswordChanger
}

// DrillStyle is how the drill imitates SendGrid ("provider: sendgrid" in a
// scenario): keys are SG.<22-character id>.<43-character secret> and are
// deleted when revoked.
var DrillStyle = provider.DrillStyle{
	MatchLeak: MatchLeak,
	Name:      "SendGrid",
	View:      provider.NarrowSimulator[drillView],
	Keys: provider.DrillKeys{
		ID:         provider.KeyShape{Alphabet: provider.AlphabetBase64URL, Len: 22},
		Secret:     provider.KeyShape{Alphabet: provider.AlphabetBase64URL, Len: 43},
		Credential: "SG.{id}.{secret}",
	},
	Support: "Drill: in a real incident you would log in, choose \"Contact Support\" and open a ticket; account takeovers are handled by ticket only.",
}

func init() { provider.RegisterDrillStyle(Info.ID, DrillStyle) }
