package checklist

import (
	"fmt"
	"slices"
	"strings"

	"reclaim/provider"
)

// Tone is how a context line is drawn; state is never shown by colour
// alone, so a warning's lead carries its own mark ("! ").
type Tone int

const (
	TonePlain Tone = iota
	ToneSubtle
	ToneWarn
	ToneBad
)

// ContextLine is one line a step shows above its form: Lead drawn in Tone,
// then Text. Both are already sanitized; a view cuts them to its width.
type ContextLine struct {
	Tone       Tone
	Lead, Text string
}

func plain(format string, a ...any) ContextLine {
	return ContextLine{Text: fmt.Sprintf(format, a...)}
}

// StepContext is what the inventory says that matters to a step: its keys,
// teammates, webhooks, the mail of the last 30 days. It is computed from
// the incident alone (no I/O), so a view may call it.
func StepContext(id StepID, a *AccountState, sessionKeyID string) []ContextLine {
	if a == nil {
		return nil
	}
	inv := a.Current()
	if inv == nil {
		return nil
	}
	if f := stepContexts[id]; f != nil {
		return f(a, inv, sessionKeyID)
	}
	return nil
}

type contextFunc func(a *AccountState, inv *Inventory, sessionKeyID string) []ContextLine

var stepContexts = map[StepID]contextFunc{
	StepInventory: func(a *AccountState, inv *Inventory, _ string) []ContextLine {
		out := []ContextLine{
			plain("Recorded at %s UTC, before any change:", inv.TakenAt.Format("15:04:05")),
			plain("  %d API keys, %d teammates and invites, %d subusers, %d webhooks and parse routes", len(inv.Keys), len(inv.Teammates), len(inv.Subusers), len(inv.Webhooks)),
			plain("  %d mail settings, %d sender identities, %d allow-list entries, %d access records", len(inv.MailSettings), len(inv.Senders), len(inv.AllowList), len(inv.Activity)),
		}
		if inv.Mail != nil {
			out = append(out, plain("  %d messages sent in the last 30 days", inv.Mail.Total))
		}
		for _, sec := range sortedKeys(inv.Errors) {
			out = append(out, ContextLine{Tone: ToneWarn, Lead: "! could not read " + sec + ": ", Text: provider.Sanitize(inv.Errors[sec])})
		}
		for _, sec := range sortedKeys(inv.Truncated) {
			out = append(out, ContextLine{Tone: ToneWarn, Lead: "! incomplete: " + sec + " ", Text: provider.SanitizeN(inv.Truncated[sec], 80)})
		}
		n := 0
		for _, f := range a.Findings {
			if !f.Resolved {
				n++
			}
		}
		return append(out, ContextLine{Tone: ToneWarn, Lead: fmt.Sprintf("! %d findings", n), Text: " — review them in the next step."})
	},
	StepReview: func(a *AccountState, _ *Inventory, _ string) []ContextLine {
		var out []ContextLine
		for _, f := range a.Findings {
			if f.Resolved || f.Severity != High {
				continue
			}
			if len(out) == 5 {
				return append(out, ContextLine{Tone: ToneSubtle, Text: "  … more with f"})
			}
			out = append(out, ContextLine{Tone: ToneBad, Lead: "  ! ", Text: provider.Sanitize(f.Title)})
		}
		return out
	},
	StepRevokeKeys: keysContext,
	StepAuditKeys:  keysContext,
	StepAuditTeammates: func(_ *AccountState, inv *Inventory, _ string) []ContextLine {
		var out []ContextLine
		for _, t := range inv.Teammates {
			who := t.Username
			if t.Pending {
				who = "invite " + t.Email
			}
			role := ""
			if t.Admin {
				role = " admin"
			}
			out = append(out, plain("  %s <%s>%s", provider.SanitizeN(who, 40), provider.SanitizeN(t.Email, 40), role))
		}
		return out
	},
	StepAuditWebhooks: func(_ *AccountState, inv *Inventory, _ string) []ContextLine {
		var out []ContextLine
		for _, w := range inv.Webhooks {
			out = append(out, plain("  %s → %s", w.Kind, provider.SanitizeN(w.URL, 60)))
		}
		return out
	},
	StepAuditSubusers: func(_ *AccountState, inv *Inventory, _ string) []ContextLine {
		var out []ContextLine
		for _, su := range inv.Subusers {
			state := ""
			if su.Disabled {
				state = " (disabled)"
			}
			out = append(out, plain("  subuser %s <%s>%s", provider.SanitizeN(su.Username, 30), provider.SanitizeN(su.Email, 40), state))
		}
		return out
	},
	StepAuditMailSetting: func(_ *AccountState, inv *Inventory, _ string) []ContextLine {
		var out []ContextLine
		for _, ms := range inv.MailSettings {
			on := "off"
			if ms.Enabled {
				on = "on "
			}
			out = append(out, plain("  %s %-18s %s", on, provider.SanitizeN(ms.Name, 30), provider.SanitizeN(ms.Value, 40)))
		}
		return out
	},
	StepAuditSenders: func(_ *AccountState, inv *Inventory, _ string) []ContextLine {
		var out []ContextLine
		for _, x := range inv.Senders {
			out = append(out, plain("  %s %s", x.Kind, provider.SanitizeN(x.Address, 50)))
		}
		return out
	},
	StepAuditIPAccess: func(_ *AccountState, inv *Inventory, _ string) []ContextLine {
		if len(inv.AllowList) == 0 {
			return []ContextLine{plain("  The allow list is empty: any address can log in or use a key.")}
		}
		var out []ContextLine
		for _, r := range inv.AllowList {
			out = append(out, plain("  allow %s", provider.Sanitize(r.CIDR)))
		}
		return out
	},
	StepAuditMail: func(_ *AccountState, inv *Inventory, _ string) []ContextLine {
		ms := inv.Mail
		if ms == nil {
			return nil
		}
		out := []ContextLine{
			plain("%d messages since %s.", ms.Total, ms.Since.Format("2006-01-02")),
			plain("  per day: %s", Sparkline(ms.PerDay)),
		}
		for i, sc := range ms.Subjects {
			if i == 5 {
				break
			}
			out = append(out, plain("  %5d × %s", sc.Count, provider.SanitizeN(sc.Subject, 60)))
		}
		return out
	},
}

func keysContext(a *AccountState, inv *Inventory, sessionKeyID string) []ContextLine {
	var out []ContextLine
	for _, k := range inv.Keys {
		tag := ""
		if k.ID == sessionKeyID && sessionKeyID != "" {
			tag = " (reclaim is using it)"
		}
		for _, nk := range a.NewKeys {
			if nk.ID == k.ID {
				tag = " (your replacement)"
			}
		}
		id := provider.Sanitize(k.ID)
		if len(id) > 6 {
			id = id[:6]
		}
		out = append(out, plain("  key %s  %s…%s", provider.SanitizeN(k.Name, 36), id, tag))
	}
	return out
}

// Sparkline draws messages per day as bars, oldest first.
func Sparkline(perDay map[string]int) string {
	days := make([]string, 0, len(perDay))
	for d := range perDay {
		days = append(days, d)
	}
	slices.Sort(days)
	maxv := 0
	for _, d := range days {
		maxv = max(maxv, perDay[d])
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, d := range days {
		i := 0
		if maxv > 0 {
			i = perDay[d] * (len(bars) - 1) / maxv
		}
		b.WriteRune(bars[i])
	}
	return b.String()
}
