package brevo

import (
	"errors"
	"strings"

	"reclaim/provider"
)

// drillView is what a Brevo-style drill account can do: the capabilities
// this adapter's API has. API keys are neither listed, created nor deleted
// through the API (only checked with VerifyKey), the password, 2FA, the
// authorised IPs and billing are console steps, there are no mail
// settings, and sub-accounts are listed but not disabled.
type drillView struct {
	provider.Simulator
	provider.AccountReader
	provider.KeyVerifier
	provider.TeammateLister
	provider.TeammateRemover
	provider.SubuserLister
	provider.WebhookLister
	provider.WebhookDeleter
	provider.SenderLister
	provider.ActivityLister
	provider.MessageLister
}

// ErrConsoleKeys says an API key is deleted in Brevo's console only.
var ErrConsoleKeys = errors.New("Brevo's API cannot delete API keys: delete the key in the console (" + APIKeysPage + "), then prove it dead")

// DrillStyle is how the drill imitates Brevo ("provider: brevo" in a
// scenario): keys in Brevo's shape, xkeysib-<64 hex>-<16 alphanumerics>
// (the drill's key id is the 64 hex characters), that the API can neither
// list nor delete: the leaked key is the account's "master" key in the
// drill's terms, deleted in the console and proven dead with a refused
// call (rotate.deadcheck).
var DrillStyle = provider.DrillStyle{
	Name: "Brevo",
	View: provider.NarrowSimulator[drillView],
	Keys: provider.DrillKeys{
		ID:         provider.KeyShape{Alphabet: provider.AlphabetHex, Len: 64},
		Secret:     provider.KeyShape{Alphabet: provider.AlphabetAlnum, Len: 16},
		Credential: apiKeyPrefix + "{id}-{secret}",
	},
	MasterKey:      true,
	MasterKeyError: ErrConsoleKeys,
	Support: "Drill: in a real incident you would answer the support ticket Brevo opened when it suspended the account (or open one at " + SupportPage +
		", or write to " + SupportEmail + "), stating each step as done, with your findings: " + strings.Join(ProcedureSteps, " "),
}

func init() { provider.RegisterDrillStyle(Info.ID, DrillStyle) }
