package checklist

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"reclaim/provider"
)

func yesNo(string) []Option {
	return []Option{{"yes", "Yes"}, {"no", "No"}}
}

func ynu() []Option {
	return []Option{{"yes", "Yes"}, {"no", "No"}, {"unsure", "Not sure"}}
}

// leakQuestion builds an investigation question whose "yes" is a finding.
func leakQuestion(id, prompt, help, title, detail string) Question {
	return Question{ID: id, Prompt: prompt, Help: help, Kind: QSelect, Options: choose(ynu()...),
		Finding: func(ans string) *Finding {
			switch ans {
			case "yes":
				return &Finding{ID: "leak:" + id, Severity: High, Title: title, Detail: detail, Evidence: "investigation answer: " + prompt, Target: Target{Kind: "leak", ID: id}, Source: "investigation"}
			case "unsure":
				return &Finding{ID: "leak-open:" + id, Severity: Low, Title: "Not yet ruled out: " + strings.ToLower(title[:1]) + title[1:], Evidence: "investigation answer: " + prompt, Target: Target{Kind: "leak", ID: id}, Source: "investigation"}
			}
			return nil
		}}
}

var (
	keyRead   = has[provider.KeyLister]()
	canRevoke = hasAll(has[provider.KeyLister](), has[provider.KeyRevoker]())
)

// unresolved returns open findings whose fix is kind.
func unresolved(a *AccountState, kinds ...ActionKind) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, f := range a.Findings {
		if f.Resolved || !slices.Contains(kinds, f.Fix) || seen[f.Target.Kind+f.Target.ID] {
			continue
		}
		seen[f.Target.Kind+f.Target.ID] = true
		out = append(out, f)
	}
	return out
}

// planFromFindings turns open findings into actions.
func planFromFindings(e *Engine, a *AccountState, kinds ...ActionKind) []Action {
	var out []Action
	for _, f := range unresolved(a, kinds...) {
		act := Action{Key: string(f.Fix) + ":" + f.Target.Kind + ":" + f.Target.ID, Kind: f.Fix, Target: f.Target, Reason: f.Title, Destructive: true, Recommended: true, Params: map[string]string{"undo": undoHint(a.Current(), f)}}
		switch f.Fix {
		case ActRemoveTeammate:
			act.Label = fmt.Sprintf("Remove teammate %s", quote(f.Target.Name))
		case ActRemoveInvite:
			act.Label = fmt.Sprintf("Cancel the pending invite for %s", quote(f.Target.Name))
		case ActDisableSubuser:
			act.Label = fmt.Sprintf("Disable subuser %s (kept for the record, can be re-enabled)", quote(f.Target.Name))
		case ActDeleteWebhook:
			what := "event webhook"
			switch f.Target.Kind {
			case "parse":
				what = "inbound-parse route"
			case "route":
				what = "forwarding route"
			}
			act.Label = fmt.Sprintf("Delete the %s to %s", what, quote(f.Target.Name))
			if inv := a.Current(); inv != nil {
				for _, w := range inv.Webhooks {
					if w.ID == f.Target.ID {
						act.Params["hostname"] = w.Hostname
						// Per-domain webhooks and routes are found by
						// their domain and expression too.
						act.Params["domain"] = w.Domain
						act.Params["filter"] = w.Filter
						if w.Domain != "" {
							act.Label += " (domain " + quote(w.Domain) + ")"
						}
					}
				}
			}
		case ActDisableMailSetting:
			act.Label = fmt.Sprintf("Switch off mail setting %s", f.Target.Name)
		}
		out = append(out, act)
	}
	return out
}

// keyPlan proposes revoking leaked, unknown and attacker keys, leaked first.
func keyPlan(e *Engine, a *AccountState) []Action {
	inv := a.Current()
	if inv == nil {
		return nil
	}
	leaked := e.leakedKeyIDsLocked()
	var out []Action
	for _, k := range inv.Keys {
		if k.ID == e.SessionKeyID || slices.ContainsFunc(a.NewKeys, func(n NewKeyRecord) bool { return n.ID == k.ID }) {
			continue
		}
		// A master key cannot be revoked, only reset in the console (the
		// dead-credential step); a deactivated key is already harmless.
		if k.Master || k.Inactive {
			continue
		}
		var reasons []string
		isLeaked := slices.Contains(leaked, k.ID)
		if isLeaked {
			reasons = append(reasons, "found in leaked material")
		}
		for _, f := range a.Findings {
			if !f.Resolved && f.Fix != "" && f.Target.Kind == "key" && f.Target.ID == k.ID && f.Source == "inventory" && !strings.HasPrefix(f.ID, "key-leaked:") {
				reasons = append(reasons, f.Title)
			}
		}
		recognised := slices.Contains(a.Recognised, k.ID)
		if !recognised && len(a.Recognised) > 0 && len(reasons) == 0 {
			reasons = append(reasons, "nobody recognises it")
		}
		if len(reasons) == 0 {
			continue
		}
		scope := "scoped"
		if k.FullAccess {
			scope = "full access"
		}
		owner := ""
		if k.Subuser != "" {
			owner = ", subuser " + quote(k.Subuser)
		}
		act := Action{
			Key: string(ActRevokeKey) + ":key:" + k.ID, Kind: ActRevokeKey,
			Target:      Target{Kind: "key", ID: k.ID, Name: k.Name},
			Label:       fmt.Sprintf("Revoke key %s (%s…, %s%s, created %s)", quote(k.Name), short(k.ID), scope, owner, Age(inv.TakenAt, k.Created)),
			Reason:      strings.Join(reasons, "; "),
			Destructive: true, Recommended: true,
		}
		act.Params = map[string]string{"undo": fmt.Sprintf("cannot be undone; if it was still needed, create a new key (it had: %s)", scopeText(k))}
		if recognised || isLeaked {
			act.Params["in_use"] = "true"
		}
		if isLeaked {
			act.Params["leaked"] = "true"
		}
		out = append(out, act)
	}
	slices.SortStableFunc(out, func(x, y Action) int {
		lx, ly := x.Params["leaked"] == "true", y.Params["leaked"] == "true"
		switch {
		case lx && !ly:
			return -1
		case ly && !lx:
			return 1
		}
		return 0
	})
	return out
}

// leakSearch is what to search public code for to find this provider's
// leaked keys (Info.LeakSearch).
func leakSearch(info provider.Info) string {
	if info.LeakSearch != "" {
		return info.LeakSearch
	}
	return "your key's prefix or variable name"
}

// keyIDHelp says where a leaked key's id is found in it (Info.KeyIDHint).
func keyIDHelp(info provider.Info) string {
	if info.KeyIDHint != "" {
		return "A key's id is " + info.KeyIDHint + "."
	}
	return "A leaked secret does not name its key here: pick the keys used where it leaked from."
}

// keyHint is what the provider's secret key looks like (Info.KeyHint).
func keyHint(info provider.Info) string {
	if info.KeyHint != "" {
		return info.KeyHint
	}
	return "the old key or secret"
}

// scopeQuestions ask a new key's permissions, from the provider's scope
// presets (least privileged first) and scopes. The first preset's value
// places the cursor, as a setting: the owner still confirms the form.
func scopeQuestions(info provider.Info) []Question {
	if len(info.KeyScopes) == 0 && len(info.ScopePresets) == 0 {
		return nil
	}
	var opts []Option
	for _, sc := range info.KeyScopes {
		opts = append(opts, Option{sc, sc})
	}
	custom := Question{ID: "custom_scopes", Prompt: "Scopes for the new key", Help: "Pick only what its consumer needs.", Kind: QMulti, Options: opts}
	if len(info.ScopePresets) == 0 {
		return []Question{custom}
	}
	var presets []Option
	for _, p := range info.ScopePresets {
		presets = append(presets, Option{p.Value, p.Label})
	}
	least := info.ScopePresets[0].Value
	if len(opts) == 0 {
		return []Question{{ID: "preset", Prompt: "Permissions (least privilege: never full access)", Kind: QSelect, Default: least, Options: presets}}
	}
	custom.Default, custom.When = least, [2]string{"preset", "custom"}
	return []Question{
		{ID: "preset", Prompt: "Permissions (least privilege: never full access)", Kind: QSelect, Default: least, Options: append(presets, Option{"custom", "Custom scopes…"})},
		custom,
	}
}

// leastScopes is the least privileged preset's scopes ("" when the
// provider has no presets: the adapter's own least-privilege default).
func leastScopes(info provider.Info) string {
	if ps := info.ScopePresets; len(ps) > 0 {
		return ps[0].Value
	}
	return ""
}

// reviewListCap is the most account objects the review lists.
const reviewListCap = 300

func short(id string) string {
	if len(id) > 6 {
		return id[:6]
	}
	return id
}

var procedure = []*StepDef{
	{
		ID: StepTriage, Phase: PhaseTriage, Title: "Triage: what happened",
		Why: "How the compromise surfaced and whether mail is still going out decide how fast you must contain it.",
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			qs := []Question{
				{ID: "detected", Prompt: "How was the compromise detected?", Kind: QSelect, Options: []Option{
					NoAnswer,
					{"provider email", "An email or suspension notice from the provider"},
					{"forced reset", "A forced password reset"},
					{"leaked-key alert", "A leaked-key alert (GitHub, GitGuardian, the provider)"},
					{"sending spike", "A spike in sending volume"},
					{"complaints", "Complaints or bounces from recipients"},
					{"other", "Something else"},
				}},
				{ID: "suspended", Prompt: "Is the account suspended?", Kind: QSelect, Options: choose(ynu()...)},
				{ID: "still_sending", Prompt: "Is mail still going out from the account?", Help: "If yes, ask support to stop outbound mail while you work.", Kind: QSelect, Options: choose(ynu()...)},
			}
			if alt := e.prov.Info().AltConsoleName; alt != "" {
				qs = append(qs, Question{ID: "alt_login", Prompt: "Does this account sign in through " + alt + "?", Help: "Then the password, 2FA and IP access live in that console, and reclaim guides those steps there.", Kind: QSelect, Options: choose(Option{"no", "No"}, Option{"yes", "Yes"})})
			}
			return qs
		},
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			st := a.Step(StepTriage)
			st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "triage", Summary: fmt.Sprintf("detected by %s; suspended: %s; still sending: %s", ans["detected"], ans["suspended"], ans["still_sending"])})
		},
	},
	{
		ID: StepInventory, Phase: PhaseEvidence, Title: "Record the account before changing anything",
		Why:      "Deleting an attacker's key or teammate destroys the evidence support and your root-cause analysis need, so record it first.",
		Item:     provider.ItemAPIKeys,
		Auto:     func(p provider.Provider) bool { return keyRead(p) || provider.Has[provider.TeammateLister](p) },
		Sections: []string{SecAccount, SecKeys, SecTeammates, SecSubusers, SecWebhooks, SecMail, SecSenders, SecAllow, SecActivity, SecMessages},
		Guide: Guide{
			LookFor: []string{"API keys (name, id, scopes, created)", "teammates and pending invites", "subusers", "event webhooks and inbound-parse routes", "mail settings that forward mail", "sender identities", "the IP allow list", "recent access activity"},
			Record:  []string{"a screenshot or copy of each page, with the date"},
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			if m == ModeAuto {
				return nil
			}
			return []Question{{ID: "recorded", Prompt: "Have you recorded each console page listed above?", Kind: QConfirm, Options: choose(yesNo("")...),
				Attest: &Attest{Yes: []string{"yes"}, Claim: "each console page was recorded before any change", FollowUp: "record each console page (screenshot or copy, with the date) before changing anything"}}}
		},
		Claim: "The account was recorded before any change",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			if m != ModeAuto {
				return "", false
			}
			ref, at := e.journalRefLocked(StepInventory, ActTakeInventory)
			if a.Before == nil || ref == "" {
				return "the inventory has not been taken yet", false
			}
			msg := fmt.Sprintf("Inventory read from the provider's API at %s, before any change (%s)", hhmm(at), ref)
			if n := len(a.Before.Errors); n > 0 {
				msg += fmt.Sprintf("; %d sections could not be read: %s", n, strings.Join(sortedKeys(a.Before.Errors), ", "))
			}
			return msg + ".", true
		},
	},
	{
		ID: StepReview, Phase: PhaseEvidence, Title: "Review findings: which keys and addresses are yours",
		Why:  "Only you can tell a forgotten key from an attacker's, and what you vouch for decides what gets revoked.",
		Item: provider.ItemAPIKeys,
		Auto: keyRead,
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			inv := a.Before
			if inv == nil {
				return nil
			}
			// Nothing starts ticked: every object is unreviewed until the
			// owner vouches for it. Each flagged one says why.
			var objOpts, ipOpts []Option
			objs := ReviewObjects(inv, e.SessionKeyID)
			// A hostile account can hold tens of thousands of objects: list
			// the flagged ones first and at most reviewListCap in all; the
			// rest stay unreviewed (and keep the clean-up steps open).
			slices.SortStableFunc(objs, func(x, y ReviewObject) int { return min(len(y.Flags), 1) - min(len(x.Flags), 1) })
			more := max(0, len(objs)-reviewListCap)
			objs = objs[:len(objs)-more]
			known := e.knownAtBaselineLocked()
			for _, o := range objs {
				label := o.Label
				if len(o.Flags) > 0 {
					label = "! " + label + " — " + strings.Join(o.Flags, "; ")
				}
				if slices.Contains(known, o.Key) {
					label = "(known at baseline) " + label
				}
				objOpts = append(objOpts, Option{o.Key, provider.SanitizeN(label, 150)})
			}
			for _, ev := range inv.Activity {
				ipOpts = append(ipOpts, Option{ev.IP, fmt.Sprintf("%s — %s, %d accesses since %s", ev.IP, provider.SanitizeN(ev.Location, 30), ev.Count, Age(inv.TakenAt, ev.First))})
			}
			var qs []Question
			if len(objOpts) > 0 {
				help := "Unticked objects stay unreviewed and count as unknown."
				if len(known) > 0 && a.Baseline != nil {
					help = "Unticked objects stay unreviewed and count as unknown, except those marked (known at baseline): unchanged since the baseline of " + a.Baseline.Date() + "."
				}
				if more > 0 {
					help += fmt.Sprintf(" %d more are not listed here: review them in the console (f lists them all).", more)
				}
				qs = append(qs, Question{ID: "vouched", Prompt: "Which of these are yours? (none is ticked for you; ! marks what looks like an attacker's)", Help: help, Kind: QMulti, Options: objOpts})
			}
			if len(ipOpts) > 0 {
				qs = append(qs, Question{ID: "known_ips", Prompt: "Which of these addresses are yours (or your team's)?", Kind: QMulti, Options: ipOpts})
			}
			return qs
		},
		Ready: func(e *Engine, a *AccountState, m Mode) string {
			if a.Before == nil {
				return "take the inventory first (Preserve evidence): there is nothing to review yet"
			}
			return ""
		},
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			a.Vouched, a.Recognised = splitList(ans["vouched"]), nil
			for _, k := range a.Vouched {
				if id, ok := strings.CutPrefix(k, "key:"); ok {
					a.Recognised = append(a.Recognised, id)
				}
			}
			e.reanalyzeLocked()
		},
	},
	{
		ID: StepQuestions, Phase: PhaseInvestigate, Title: "Where did the credentials leak?",
		Why: "Support asks for your findings, and rotating keys is pointless while the hole that leaked them is still open.",
		GuideFor: func(info provider.Info) Guide {
			return Guide{
				LookFor: []string{"search public repositories for " + leakSearch(info) + " and your domain", "request your own site's /.env, /.git/config and /phpinfo.php and confirm they are refused", "grep web-server logs for /.env and 0x[]=androxgh0st", "check WordPress plugins and SMTP plugin settings"},
				Record:  []string{"what you found, where, and since when"},
			}
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			qs := []Question{
				leakQuestion("public_repo", "Was a key or an .env file ever committed to a public repository (or a public gist, CI log, Docker image)?", "Search GitHub for "+leakSearch(e.prov.Info())+" plus your domain; check CI logs.", "A credential was committed to a public repository", "Rotate every secret in that file; history rewrites do not un-leak it."),
				leakQuestion("exposed_env", "Could a web server have served an .env, wp-config.php backup or phpinfo page?", "Try https://your-site/.env from outside; look for 'GET /.env' in access logs.", "A configuration file was reachable from the web", "Bots (AndroxGh0st) harvest these within hours; move the file out of the web root."),
				leakQuestion("outdated_cms", "Does the key live in an outdated WordPress site or plugin?", "", "An outdated CMS or plugin held the key", "Update or remove the plugin, then rotate."),
				leakQuestion("contractor", "Was the key shared with a former contractor or over chat or email?", "", "The key was shared outside the team", "Give each consumer its own key so one leak means one rotation."),
				leakQuestion("malware", "Could a workstation or mail client that stores the key have malware?", "Scan machines where SMTP or the key is configured.", "A workstation may be infected", "Scan and clean it before entering the new credentials there."),
				{ID: "notes", Prompt: "Notes on what you found (optional)", Kind: QText},
			}
			if inv := a.Before; inv != nil && len(inv.Keys) > 0 {
				var opts []Option
				for _, k := range inv.Keys {
					if k.ID != e.SessionKeyID {
						opts = append(opts, Option{k.ID, fmt.Sprintf("%s (%s…)", provider.SanitizeN(k.Name, 40), short(k.ID))})
					}
				}
				qs = append(qs[:len(qs)-1], Question{ID: "leaked_key_ids", Prompt: "Which keys are known to be leaked (named in the provider's alert, or found in the leaked file)?", Help: keyIDHelp(e.prov.Info()) + " Leaked keys are revoked first.", Kind: QMulti, Options: opts}, qs[len(qs)-1])
			}
			return qs
		},
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			e.reanalyzeLocked()
			if n := strings.TrimSpace(ans["notes"]); n != "" {
				a.Step(StepQuestions).Evidence = append(a.Step(StepQuestions).Evidence, Evidence{At: e.Now(), Kind: "note", Summary: provider.SanitizeN(n, 500)})
			}
		},
	},
	{
		ID: StepScan, Phase: PhaseInvestigate, Title: "Scan this server for leaked credentials", Runner: RunScan,
		Why: "A scan of the web roots finds exposed keys and .env files faster than reading them by hand.",
		Guide: Guide{
			LookFor: []string{"provider keys in any file, .env files and wp-config backups inside a web root, requests for /.env in the logs"},
			Record:  []string{"what was found where (redacted): the scan records it for you"},
		},
		Applies: func(e *Engine, p provider.Provider) (Mode, string) {
			if e.Scanner == nil {
				return ModeNA, "no file scanner is configured for this run"
			}
			return ModeAuto, ""
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			def := ""
			if e.Scanner != nil {
				def = strings.Join(e.Scanner.DefaultRoots(), ",")
			}
			return []Question{{ID: "paths", Prompt: "Folders to scan (comma separated)", Help: "Web roots, app folders and /var/log; node_modules and vendor are included.", Kind: QText, Default: def},
				scanIncludeQuestion()} // scan_scope.go
		},
		Claim: "The server's files were scanned for leaked credentials",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			for i := len(a.Scans) - 1; i >= 0; i-- {
				sc := a.Scans[i]
				if sc.Failed {
					continue // it proved nothing (or was cancelled with no result)
				}
				var files, bytes int64
				var roots []string
				for _, r := range sc.Roots {
					files += r.Files
					bytes += r.Bytes
					if r.Error == "" {
						roots = append(roots, r.Path)
					}
				}
				if files == 0 {
					continue
				}
				msg := fmt.Sprintf("Leak scan at %s read %d files (%s) under %s: %d findings", hhmm(sc.At), files, HumanBytes(bytes), strings.Join(roots, ", "), sc.Findings)
				if ref, _ := e.journalRefLocked(StepScan, "scan"); ref != "" {
					msg += " (" + ref + ")"
				}
				if sc.Partial {
					return msg + "; PARTIAL: " + firstNonEmpty(sc.Error, "stopped early") + ": scan the rest, or remove the unreadable roots and scan again", false
				}
				return msg + ".", true
			}
			return "no scan has read a file yet", false
		},
	},
	{
		ID: StepCreateKey, Phase: PhaseRotate, Title: "Create the replacement key",
		Why:  "Creating and deploying the replacement first means revoking the leaked key does not stop your own mail.",
		Item: provider.ItemAPIKeys,
		Auto: has[provider.KeyCreator](),
		GuideFor: func(info provider.Info) Guide {
			look := "create a key with only the permissions your app needs"
			if ps := info.ScopePresets; len(ps) > 0 {
				look += " (least privileged: " + ps[0].Label + ")"
			}
			return Guide{LookFor: []string{look}, Record: []string{"the new key's name and id (never the secret)"}}
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			if m != ModeAuto {
				return []Question{{ID: "created_in_console", Prompt: "Have you created the replacement key in the console and stored it safely?", Kind: QConfirm, Options: choose(yesNo("")...),
					Attest: &Attest{Yes: []string{"yes"}, Claim: "a replacement key was created in the console", FollowUp: "create the replacement key in the console"}}}
			}
			qs := []Question{{ID: "name", Prompt: "Name for the new key", Help: "Name it after its one consumer, e.g. \"web-prod-2026-11\".", Kind: QText, Default: "reclaim-replacement-" + e.Now().Format("2006-01-02")}}
			return append(qs, scopeQuestions(e.prov.Info())...)
		},
		Plan: func(e *Engine, a *AccountState) []Action {
			if len(a.NewKeys) > 0 {
				return nil
			}
			ans := a.Step(StepCreateKey).Answers
			name := ans["name"]
			if name == "" {
				name = "reclaim-replacement-" + e.Now().Format("2006-01-02")
			}
			scopes := ans["preset"]
			if scopes == "custom" || (scopes == "" && len(e.prov.Info().ScopePresets) == 0) {
				scopes = ans["custom_scopes"]
			}
			if scopes == "" {
				// Unanswered: the least privileged preset (or none, and the
				// adapter's least-privilege default).
				scopes = leastScopes(e.prov.Info())
			}
			label := fmt.Sprintf("Create key %s with scopes %s", quote(name), scopes)
			if scopes == "" {
				label = fmt.Sprintf("Create key %s", quote(name))
			}
			return []Action{{Key: string(ActCreateKey) + ":" + name, Kind: ActCreateKey, Target: Target{Kind: "key", Name: name}, Label: label, Recommended: true, Params: map[string]string{"name": name, "scopes": scopes}}}
		},
		Claim: "A replacement key was created",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			if m != ModeAuto {
				return "", false
			}
			ref, at := e.journalRefLocked(StepCreateKey, ActCreateKey)
			if len(a.NewKeys) == 0 || ref == "" {
				return "the replacement key was not created", false
			}
			k := a.NewKeys[len(a.NewKeys)-1]
			return fmt.Sprintf("Replacement key %s (%s…, scopes %s) created through the API at %s (%s).", quote(k.Name), short(k.ID), strings.Join(k.Scopes, ", "), hhmm(at), ref), true
		},
	},
	{
		ID: StepVerifyKey, Phase: PhaseRotate, Title: "Deploy and verify the replacement",
		Why:  "A key that fails after the old one is gone means an outage; prove the new one works first.",
		Item: provider.ItemAPIKeys,
		Auto: has[provider.KeyVerifier](),
		Guide: Guide{
			LookFor: []string{"put the new key everywhere the old one lived: .env files, CI secrets, WordPress SMTP plugin settings, hosting panels", "send one test message through your app"},
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			places := keyPlaces(a)
			var opts []Option
			for _, p := range places {
				opts = append(opts, Option{p, provider.SanitizeN(p, 70)})
			}
			qs := []Question{
				{ID: "places_updated", Prompt: "Where did the old key live? Tick each place you have updated with the new key (none is ticked for you)", Help: "Places the leak scan found come first. Unticked places stay open follow-ups.", Kind: QMulti, Options: opts},
				{ID: "other_places", Prompt: "Other places you updated (comma separated, optional)", Kind: QText},
			}
			for _, k := range a.NewKeys {
				if k.Verified.IsZero() && m == ModeAuto {
					if _, ok := e.secrets.Get(context.Background(), k.ID); !ok {
						qs = append(qs, Question{ID: "secret", Prompt: fmt.Sprintf("Paste the new key %s to verify it", quote(k.Name)), Help: "reclaim kept it in memory only and was restarted since.", Kind: QSecret, Validate: Required})
					}
				}
			}
			if m != ModeAuto || len(a.NewKeys) == 0 {
				qs = append(qs, Question{ID: "verified_in_console", Prompt: "Did a test message with the new key go out?", Kind: QConfirm, Options: choose(yesNo("")...),
					Attest: &Attest{Yes: []string{"yes"}, Claim: "a test message sent with the new key went out", FollowUp: "send a test message with the new key"}})
			}
			return qs
		},
		Plan: func(e *Engine, a *AccountState) []Action {
			var out []Action
			for _, k := range a.NewKeys {
				if k.Verified.IsZero() {
					out = append(out, Action{Key: string(ActVerifyKey) + ":" + k.ID, Kind: ActVerifyKey, Target: Target{Kind: "key", ID: k.ID, Name: k.Name}, Label: fmt.Sprintf("Verify key %s (%s…) with a harmless read call", quote(k.Name), short(k.ID)), Recommended: true})
				}
			}
			return out
		},
		Ready: func(e *Engine, a *AccountState, m Mode) string {
			cm, _ := e.ModeOf(stepDefs[StepCreateKey])
			if e.DryRun && len(e.dryRunLinesLocked(StepCreateKey)) > 0 {
				return "" // a dry run only says it would create one
			}
			if len(a.NewKeys) == 0 && (cm == ModeAuto || a.Step(StepCreateKey).Answers["created_in_console"] != "yes") {
				return "there is no replacement key to deploy yet: create it first (Rotate › Create the replacement key)"
			}
			return ""
		},
		Claim: "The replacement key works",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			ref, at := e.journalRefLocked(StepVerifyKey, ActVerifyKey)
			if ref == "" || !e.replacementVerifiedLocked() {
				return "the new key was not verified with a call", false
			}
			msg := fmt.Sprintf("The new key answered a read call at %s (%s)", hhmm(at), ref)
			open := 0
			for _, kp := range a.KeyPlaces {
				if kp.Updated.IsZero() {
					open++
				}
			}
			if open > 0 {
				msg += fmt.Sprintf("; %d places where the old key lived are not yet updated (open follow-ups)", open)
			}
			return msg + ".", true
		},
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			updated := splitList(ans["places_updated"])
			now := e.Now()
			a.KeyPlaces = nil
			for _, p := range keyPlaces(a) {
				kp := KeyPlace{Where: p}
				if slices.Contains(updated, p) {
					kp.Updated = now
				} else {
					a.Findings = dedupeFindings(append(a.Findings, Finding{ID: "place:" + shortHash(p), Severity: Medium, Title: "The old key may still be in use at: " + provider.SanitizeN(p, 80), Detail: "Update it with the new key before revoking the old one, or that consumer stops sending.", Evidence: "rotation checklist", Target: Target{Kind: "place", ID: p}, Source: "rotation"}))
				}
				a.KeyPlaces = append(a.KeyPlaces, kp)
			}
			for _, p := range splitList(ans["other_places"]) {
				a.KeyPlaces = append(a.KeyPlaces, KeyPlace{Where: provider.SanitizeN(p, 120), Updated: now})
			}
			n := 0
			for _, kp := range a.KeyPlaces {
				if !kp.Updated.IsZero() {
					n++
				}
			}
			st := a.Step(StepVerifyKey)
			st.Evidence = append(st.Evidence, Evidence{At: now, Kind: "key-places", Summary: fmt.Sprintf("new key deployed to %d of %d places", n, len(a.KeyPlaces))})
		},
	},
	{
		ID: StepRevokeKeys, Phase: PhaseRotate, Title: "Revoke the leaked and unknown keys",
		Why:      "Until the leaked and attacker-made keys are revoked, whoever holds them can keep sending as you.",
		Item:     provider.ItemAPIKeys,
		Auto:     canRevoke,
		Sections: []string{SecKeys},
		Guide: Guide{
			LookFor: []string{"every key you do not recognise, every full-access key you did not create, the leaked key"},
			Record:  []string{"each revoked key's name and id"},
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			if m == ModeAuto {
				return nil
			}
			return []Question{{ID: "revoked_in_console", Prompt: "Have you deleted the leaked and unknown keys in the console?", Kind: QConfirm, Options: choose(yesNo("")...),
				Attest: &Attest{Yes: []string{"yes"}, Claim: "the leaked and unknown keys were deleted in the console", FollowUp: "delete the leaked and unknown keys in the console"}}}
		},
		Plan: keyPlan,
		Ready: func(e *Engine, a *AccountState, m Mode) string {
			if m == ModeAuto && a.Before == nil {
				return "take the inventory first (Preserve evidence)"
			}
			return ""
		},
		Claim: "The leaked and unknown keys were revoked",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			return e.verifyCleanLocked(StepRevokeKeys, m, "leaked or unknown key", ActRevokeKey)
		},
		Contradicts: keyContradictions,
	},
	rotateSecretsStep,
	{
		ID: StepDeadCheck, Phase: PhaseRotate, Title: "Reset the leaked secret in the console and prove the old credential is dead",
		Why:  "A secret the API cannot revoke is reset in the console: only a call with the old credential that is refused proves the reset happened.",
		Item: provider.ItemAPIKeys,
		Applies: func(e *Engine, p provider.Provider) (Mode, string) {
			// Where keys are revoked through the API and die at once, the
			// revocation is read back: nothing is left to reset in the
			// console. Anywhere else (a console-only master secret or
			// token, a grace window) the old credential must be proven dead.
			if p.Info().GraceWindow <= 0 && provider.Has[provider.KeyRevoker](p) {
				return ModeNA, p.Info().Name + " revokes keys through the API at once: nothing is left to reset in the console"
			}
			if provider.Has[provider.KeyVerifier](p) {
				return ModeAuto, ""
			}
			return "", "" // guided, with the console link
		},
		Guide: Guide{
			LookFor: []string{
				"reset the leaked secret (master key, account or server token) on the provider's API keys page, where the API cannot, and any other key you keep",
				"put the new secret everywhere the old pair lived (.env, CI secrets, SMTP plugin settings)",
				"if reclaim is connected with that secret, it stops working at the reset: restart it with the new secret (progress is saved)",
				"where the provider has a grace window (an SMTP relay may accept the old secret for a while), re-check after it",
			},
			Record: []string{"the time of the reset and of each check (never a secret)"},
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			qs := []Question{{ID: "reset_in_console", Prompt: "Have you reset the leaked secret in the console?", Kind: QConfirm, Options: choose(yesNo("")...)}}
			if m == ModeAuto {
				return append(qs, Question{ID: "old_credential", Prompt: "The OLD credential (" + keyHint(e.prov.Info()) + "): used for one read call that must be refused, never stored", Kind: QSecret, Validate: Required})
			}
			return append(qs, Question{ID: "confirmed_refused", Prompt: "Did a call or an SMTP login with the old credential fail?", Kind: QConfirm, Options: choose(yesNo("")...),
				Attest: &Attest{Yes: []string{"yes"}, Claim: "a call or SMTP login with the old credential failed", FollowUp: "reset the secret in the console and check that the old credential fails"}})
		},
		Plan: func(e *Engine, a *AccountState) []Action {
			if a.Step(StepDeadCheck).Answers["reset_in_console"] != "yes" {
				return nil
			}
			target := Target{Kind: "credential", ID: "old-credential", Name: "the old (leaked) credential"}
			first, at := e.deadCheckLocked(deadCheckKey)
			if !first {
				return []Action{{Key: deadCheckKey, Kind: ActVerifyDead, Target: target, Label: "Check that the old credential is refused (one harmless read call with it)", Recommended: true}}
			}
			grace := e.prov.Info().GraceWindow
			if again, _ := e.deadCheckLocked(deadRecheckKey); grace > 0 && !again && !e.Now().Before(at.Add(grace)) {
				return []Action{{Key: deadRecheckKey, Kind: ActVerifyDead, Target: target, Label: fmt.Sprintf("Re-check, after the %s grace window, that the old credential is still refused", grace), Recommended: true}}
			}
			return nil
		},
		Claim: "The old credential is refused",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			if m != ModeAuto {
				return "", false
			}
			done, at := e.deadCheckLocked(deadCheckKey)
			if !done {
				return "reset the secret in the console, then prove the old credential is refused", false
			}
			ref, _ := e.journalRefLocked(StepDeadCheck, ActVerifyDead)
			msg := fmt.Sprintf("The old credential was refused by the provider at %s (%s)", hhmm(at), ref)
			if again, t2 := e.deadCheckLocked(deadRecheckKey); again {
				msg += fmt.Sprintf(", and again after the grace window at %s", hhmm(t2))
			}
			return msg + ".", true
		},
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			grace := e.prov.Info().GraceWindow
			done, at := e.deadCheckLocked(deadCheckKey)
			if again, _ := e.deadCheckLocked(deadRecheckKey); done && !again && grace > 0 {
				st := a.Step(StepDeadCheck)
				st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "follow-up", Summary: fmt.Sprintf("re-check due after %s (the %s grace window): open this step again then", at.Add(grace).UTC().Format(time.RFC3339), grace)})
			}
		},
	},
	{
		ID: StepPassword, Phase: PhasePassword, Title: "Reset the account password",
		Why:  "A stuffed or phished password lets the attacker straight back in, whatever you do to the keys.",
		Item: provider.ItemPassword,
		Auto: has[provider.PasswordChanger](),
		Guide: Guide{
			LookFor: []string{"use a new, unique password (a password manager's generator)", "reset subuser passwords too"},
			Record:  []string{"the time of the change (never the password)"},
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			if m != ModeAuto {
				return []Question{{ID: "changed_in_console", Prompt: "Have you changed the password in the console?", Kind: QConfirm, Options: choose(yesNo("")...),
					Attest: &Attest{Yes: []string{"yes"}, Claim: "the password was changed in the console", FollowUp: "change the password in the console"}}}
			}
			return []Question{
				{ID: "old", Prompt: "Current password (leave empty to change it later: the step stays open)", Kind: QSecret},
				{ID: "new", Prompt: "New password (12+ characters, not in breach lists; never stored)", Kind: QSecret, Validate: StrongPassword},
				{ID: "new_confirm", Prompt: "The new password again", Kind: QSecret, Validate: SameAs("new")},
			}
		},
		Plan: func(e *Engine, a *AccountState) []Action {
			return []Action{{Key: string(ActChangePassword) + ":account", Kind: ActChangePassword, Target: Target{Kind: "account", ID: "password"}, Label: "Change the account password", Recommended: true, Destructive: true, Params: map[string]string{"needs": "old,new"}}}
		},
		Claim: "The account password was changed",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			if m != ModeAuto {
				return "", false
			}
			ref, at := e.journalRefLocked(StepPassword, ActChangePassword)
			if ref == "" {
				return "the password was not changed (type the current and a new password to change it)", false
			}
			return fmt.Sprintf("Password changed through the provider's API at %s, which accepted the current password (%s).", hhmm(at), ref), true
		},
	},
	{
		ID: StepTwoFactor, Phase: PhaseTwoFactor, Title: "Enrol two-factor authentication",
		Why:  "With 2FA a stolen password alone no longer opens the account.",
		Item: provider.ItemTwoFactor,
		Guide: Guide{
			LookFor: []string{"enrol an authenticator app (preferred over SMS)", "ask every teammate to enrol too"},
			Record:  []string{"that 2FA is enrolled and when (never the setup key)"},
		},
		PlanGuided: true,
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			return []Question{
				{ID: "setup", Prompt: "Paste the setup key or otpauth:// link the console shows (empty: you enrol another way)", Help: "reclaim draws it as a QR code for your phone and checks two codes; it is never saved.", Kind: QOTPSetup, Validate: ValidTOTPSetup},
				{ID: "code1", Prompt: "Code shown by your authenticator", Kind: QOTPCode, Validate: TOTPCode("setup", "")},
				{ID: "code2", Prompt: "The next code (wait for it to change)", Kind: QOTPCode, Validate: TOTPCode("setup", "code1")},
				{ID: "enrolled", Prompt: "Codes accepted: now confirm the enrolment in the console. Done?", Kind: QConfirm, Options: choose(yesNo("")...), When: [2]string{"code2.given", "yes"}},
				{ID: "method", Prompt: "No codes were checked, so reclaim cannot verify 2FA. How is 2FA enrolled on the account?", Kind: QSelect, When: [2]string{"code2.given", "yes"}, WhenNot: true,
					Options: choose(Option{"authenticator", "An authenticator app set up elsewhere"}, Option{"sms", "SMS to a phone I control"}, Option{"security-key", "A security key"}, Option{"not-yet", "Not enrolled yet"}),
					Attest:  &Attest{Yes: []string{"authenticator", "sms", "security-key"}, Claim: "2FA is enrolled", FollowUp: "enrol 2FA in the console"}},
			}
		},
		Plan: func(e *Engine, a *AccountState) []Action {
			return []Action{{Key: string(ActVerifyTOTP) + ":owner", Kind: ActVerifyTOTP, Target: Target{Kind: "account", ID: "2fa"}, Label: "Check the two authenticator codes against the setup key", Recommended: true, Params: map[string]string{"needs": "setup,code1,code2"}}}
		},
		Claim: "Two-factor authentication was enrolled",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			ref, at := e.journalRefLocked(StepTwoFactor, ActVerifyTOTP)
			if ref == "" {
				return "", false
			}
			if a.Step(StepTwoFactor).Answers["enrolled"] != "yes" {
				return "the codes were checked, but the enrolment was not confirmed in the console", false
			}
			who := "the owner"
			if e.Attester != "" {
				who = "the autopilot (the drill's scripted answer)"
			}
			return fmt.Sprintf("Two consecutive authenticator codes were checked against the setup key at %s (%s), and %s confirmed the enrolment in the console.", hhmm(at), ref, who), true
		},
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			st := a.Step(StepTwoFactor)
			switch {
			case e.doneLocked(string(ActVerifyTOTP)+":owner") && ans["enrolled"] == "yes":
				st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "2fa", Summary: "two consecutive authenticator codes verified at " + utc(e.Now())})
			case ans["method"] != "" && ans["method"] != "not-yet":
				st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "2fa", Summary: "the owner states 2FA is enrolled by " + ans["method"] + " (no codes checked)"})
			}
			for _, c := range e.prov.Info().Quirks {
				if strings.Contains(strings.ToLower(c), "2fa") {
					st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "caveat", Summary: c})
				}
			}
		},
	},
	{
		ID: StepAuditAccount, Phase: PhaseAudit, Title: "Account settings",
		Why:      "An attacker who changes the account email can take the account back after you leave.",
		Item:     provider.ItemAccount,
		Auto:     has[provider.AccountReader](),
		Sections: []string{SecAccount},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			prompt := "Are the account email and profile yours?"
			if inv := a.Current(); inv != nil && inv.Account != nil {
				prompt = fmt.Sprintf("Is %s (user %s) your account email?", quote(inv.Account.Email), quote(inv.Account.Username))
			}
			return []Question{{ID: "email_ok", Prompt: prompt, Kind: QConfirm, Options: choose(yesNo("")...),
				Attest: &Attest{Yes: []string{"yes"}, Claim: "the account email and profile are the owner's", FollowUp: "change the account email back to yours in the console"},
				Finding: func(ans string) *Finding {
					if ans == "no" {
						return &Finding{ID: "account-email", Severity: High, Title: "The account email was changed", Evidence: "audit answer", Target: Target{Kind: "account", ID: "email"}, Source: "console"}
					}
					return nil
				}}}
		},
	},
	{
		ID: StepAuditKeys, Phase: PhaseAudit, Title: "API keys",
		Why:      "Attackers create extra keys to keep access; after rotation only keys you vouch for should remain.",
		Item:     provider.ItemAPIKeys,
		Auto:     canRevoke,
		Sections: []string{SecKeys},
		Plan:     keyPlan,
		Claim:    "Only keys the owner vouches for remain",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			return e.verifyCleanLocked(StepAuditKeys, m, "leaked or unknown key", ActRevokeKey)
		},
	},
	{
		ID: StepAuditPayment, Phase: PhaseAudit, Title: "Payment methods and plan",
		Why:  "Attackers add a card or upgrade the plan to send more; you pay for it.",
		Item: provider.ItemPayment,
		Guide: Guide{
			LookFor: []string{"cards or billing addresses you do not know", "plan upgrades or credit purchases you did not make"},
			Record:  []string{"each unknown card (last four digits only) and what you did about it"},
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			return []Question{
				{ID: "unknown", Prompt: "Did you find a payment method or plan change you do not recognise?", Kind: QSelect, Options: choose(Option{"no", "No, all mine"}, Option{"yes", "Yes"}),
					Attest: &Attest{Yes: []string{"no", "yes"}, Claim: "the billing page was checked", FollowUp: "check the billing page for cards and plan changes you do not know"},
					Finding: func(ans string) *Finding {
						if ans == "yes" {
							return &Finding{ID: "payment-unknown", Severity: High, Title: "An unknown payment method or plan change was found", Evidence: "console: billing page", Target: Target{Kind: "payment", ID: "billing"}, Source: "console"}
						}
						return nil
					}},
				{ID: "removed", Prompt: "Have you removed it and reverted the plan?", Kind: QSelect, Options: choose(Option{"yes", "Yes"}, Option{"no", "Not yet"}), When: [2]string{"unknown", "yes"},
					Attest: &Attest{Yes: []string{"yes"}, Claim: "the unknown payment method was removed and the plan change reverted", FollowUp: "remove the unknown payment method and revert the plan in the console"}},
			}
		},
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			if ans["unknown"] == "yes" && ans["removed"] == "yes" {
				for i := range a.Findings {
					if a.Findings[i].ID == "payment-unknown" {
						a.Findings[i].Resolved = true
					}
				}
				if e.DryRun {
					return
				}
				if sim, ok := e.prov.(provider.Simulator); ok {
					_ = sim.ConsoleDo(provider.ItemPayment, provider.ConsoleRemoveUnknown)
				}
				e.journalLocked(StepAuditPayment, "remove payment method (console)", "payment", "ok", "the user removed the unknown payment method in the console")
			}
		},
	},
	{
		ID: StepAuditTwoFactor, Phase: PhaseAudit, Title: "2FA settings of every user",
		Why:  "A teammate without 2FA is the next way in.",
		Item: provider.ItemTwoFactor,
		Guide: Guide{
			LookFor: []string{"users without 2FA", "2FA phone numbers or devices you do not know"},
			Record:  []string{"who lacked 2FA and what you did"},
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			return []Question{{ID: "all_enrolled", Prompt: "Does every remaining user have 2FA, with devices you know?", Kind: QConfirm, Options: choose(yesNo("")...),
				Attest: &Attest{Yes: []string{"yes"}, Claim: "every remaining user has 2FA with known devices", FollowUp: "have every user enrol 2FA, or remove those who will not"},
				Finding: func(ans string) *Finding {
					if ans == "no" {
						return &Finding{ID: "2fa-missing", Severity: Medium, Title: "Some users lack 2FA", Evidence: "console: 2FA settings", Target: Target{Kind: "account", ID: "2fa"}, Source: "console"}
					}
					return nil
				}}}
		},
		Claim:       "Every remaining user has 2FA",
		Contradicts: twoFactorContradictions,
	},
	{
		ID: StepAuditTeammates, Phase: PhaseAudit, Title: "Teammates and pending invites",
		Why:      "An attacker-added admin survives every key rotation and password reset.",
		Item:     provider.ItemTeammates,
		Auto:     hasAll(has[provider.TeammateLister](), has[provider.TeammateRemover]()),
		Sections: []string{SecTeammates},
		Guide:    Guide{LookFor: []string{"teammates and invites you do not know", "admins added recently"}},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			if m == ModeAuto {
				return nil
			}
			return []Question{{ID: "removed_unknown", Prompt: "Have you removed, in the console, the users you do not know (if any)?", Kind: QSelect, Options: choose(Option{"yes", "Yes"}, Option{"none", "There were none"}, Option{"no", "Not yet"}),
				Attest: &Attest{Yes: []string{"yes", "none"}, Claim: "the users the owner does not know were removed in the console (or there were none)", FollowUp: "remove the users you do not know in the console"}}}
		},
		Plan: func(e *Engine, a *AccountState) []Action {
			return planFromFindings(e, a, ActRemoveTeammate, ActRemoveInvite)
		},
		Claim: "Only teammates the owner knows remain",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			return e.verifyCleanLocked(StepAuditTeammates, m, "unknown teammate or invite", ActRemoveTeammate, ActRemoveInvite)
		},
		Contradicts: contradictFindings("teammate", "invite"),
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			if provider.Has[provider.TeammateRemover](e.prov) || ans["removed_unknown"] != "yes" || e.DryRun {
				return
			}
			// Only the drill's simulated console changes here; on a real
			// account what the console work did shows in the re-read list.
			if sim, ok := e.prov.(provider.Simulator); ok {
				_ = sim.ConsoleDo(provider.ItemTeammates, provider.ConsoleRemoveUnknown)
				for i := range a.Findings {
					if k := a.Findings[i].Target.Kind; k == "teammate" || k == "invite" {
						a.Findings[i].Resolved = true
					}
				}
				e.journalLocked(StepAuditTeammates, "remove users (console)", "teammates", "ok", "the user removed the unknown users in the simulated console")
			}
		},
	},
	{
		ID: StepAuditIPAccess, Phase: PhaseAudit, Title: "IP access management",
		Why:      "An allow list of your own addresses stops a stolen password or key from working anywhere else.",
		Item:     provider.ItemIPAccess,
		Auto:     hasAll(has[provider.AllowListReader](), has[provider.AllowListWriter]()),
		Sections: []string{SecAllow},
		Guide:    Guide{LookFor: []string{"entries you did not add", "whether your own address is on the list before you enable it"}},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			if m != ModeAuto {
				return nil
			}
			def := ""
			if ips := splitList(a.Step(StepReview).Answers["known_ips"]); len(ips) == 1 {
				def = ips[0] // the one address the owner vouched for
			}
			return []Question{
				{ID: "your_ip", Prompt: "The address you connect from", Help: "The allow list must include it, or you lock yourself out.", Kind: QText, Default: def, Validate: ValidCIDRs},
				{ID: "cidrs", Prompt: "Addresses or CIDRs to allow (comma separated; empty: none)", Help: "IPv4 or IPv6, e.g. 203.0.113.7, 198.51.100.0/24, 2001:db8::/48.", Kind: QText, Default: def, Validate: ValidCIDRs},
				{ID: "override", Prompt: "Only if the list must leave out your own address: type I WILL LOSE ACCESS (else leave empty)", Kind: QText},
			}
		},
		Plan: func(e *Engine, a *AccountState) []Action {
			ans := a.Step(StepAuditIPAccess).Answers
			cidrs := ans["cidrs"]
			if cidrs == "" {
				return nil
			}
			if inv := a.Current(); inv != nil {
				var missing []string
				for _, c := range splitList(cidrs) {
					if !slices.ContainsFunc(inv.AllowList, func(r provider.AllowRule) bool { return r.CIDR == c || r.CIDR == c+"/32" }) {
						missing = append(missing, c)
					}
				}
				if len(missing) == 0 {
					return nil
				}
				cidrs = strings.Join(missing, ",")
			}
			return []Action{{Key: string(ActAddAllowRule) + ":" + cidrs, Kind: ActAddAllowRule, Target: Target{Kind: "ip", ID: cidrs}, Label: "Allow access only from " + describeCIDRs(cidrs, ans["your_ip"]), Reason: "restricts logins and API calls to these addresses; every other address is refused", Destructive: true, Recommended: true, Params: map[string]string{"cidrs": cidrs, "your_ip": ans["your_ip"], "override": ans["override"]}}}
		},
		Claim: "IP access management was audited",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			inv := a.Current()
			if m != ModeAuto || inv == nil {
				return "", false
			}
			var cidrs []string
			for _, r := range inv.AllowList {
				cidrs = append(cidrs, r.CIDR)
			}
			if ref, at := e.journalRefLocked(StepAuditIPAccess, ActAddAllowRule); ref != "" {
				return fmt.Sprintf("Allow list changed through the API at %s (%s); read back at %s: %s.", hhmm(at), ref, hhmm(inv.TakenAt), strings.Join(cidrs, ", ")), true
			}
			if len(cidrs) == 0 {
				return fmt.Sprintf("Allow list read at %s: empty, so any address can log in or use a key; no change made.", hhmm(inv.TakenAt)), true
			}
			return fmt.Sprintf("Allow list read at %s: %s; no change made.", hhmm(inv.TakenAt), strings.Join(cidrs, ", ")), true
		},
	},
	{
		ID: StepAuditWebhooks, Phase: PhaseAudit, Title: "Event webhooks and inbound-parse routes",
		Why:       "A webhook to an attacker's host leaks your recipients; a parse route hands them your inbound mail.",
		Item:      provider.ItemWebhooks,
		Auto:      hasAll(has[provider.WebhookLister](), has[provider.WebhookDeleter]()),
		Sections:  []string{SecWebhooks},
		Guide:     Guide{LookFor: []string{"webhook URLs and parse hosts that are not yours"}},
		Plan:      func(e *Engine, a *AccountState) []Action { return planFromFindings(e, a, ActDeleteWebhook) },
		Questions: guidedCleanup(provider.ItemWebhooks, "Have you deleted, in the console, the webhooks and parse routes that are not yours (if any)?", "the webhooks and parse routes that are not the owner's were deleted in the console (or there were none)"),
		Claim:     "Only the owner's webhooks and parse routes remain",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			return e.verifyCleanLocked(StepAuditWebhooks, m, "foreign webhook or parse route", ActDeleteWebhook)
		},
		Contradicts: contradictFindings("webhook", "parse"),
	},
	{
		ID: StepAuditSubusers, Phase: PhaseAudit, Title: "Subusers",
		Why:       "A new subuser is a second account inside yours, with its own keys.",
		Item:      provider.ItemSubusers,
		Auto:      hasAll(has[provider.SubuserLister](), has[provider.SubuserDisabler]()),
		Sections:  []string{SecSubusers, SecKeys},
		Guide:     Guide{LookFor: []string{"subusers you did not create, and their API keys"}},
		Plan:      func(e *Engine, a *AccountState) []Action { return planFromFindings(e, a, ActDisableSubuser) },
		Questions: guidedCleanup(provider.ItemSubusers, "Have you disabled, in the console, the subusers you did not create (if any)?", "the subusers the owner did not create were disabled in the console (or there were none)"),
		Claim:     "Only the owner's subusers remain active",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			return e.verifyCleanLocked(StepAuditSubusers, m, "unknown subuser", ActDisableSubuser)
		},
		Contradicts: contradictFindings("subuser"),
	},
	{
		ID: StepAuditMailSetting, Phase: PhaseAudit, Title: "Mail settings that forward or copy mail",
		Why:       "Forwarding settings quietly send copies of your mail to someone else.",
		Item:      provider.ItemMailSettings,
		Auto:      hasAll(has[provider.MailSettingsLister](), has[provider.MailSettingDisabler]()),
		Sections:  []string{SecMail},
		Guide:     Guide{LookFor: []string{"forward bounce / forward spam to outside addresses", "footers with links you did not write"}},
		Plan:      func(e *Engine, a *AccountState) []Action { return planFromFindings(e, a, ActDisableMailSetting) },
		Questions: guidedCleanup(provider.ItemMailSettings, "Have you switched off, in the console, forwarding and footers that are not yours (if any)?", "forwarding and footers that are not the owner's were switched off in the console (or there were none)"),
		Claim:     "No mail setting forwards or alters mail for someone else",
		Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
			return e.verifyCleanLocked(StepAuditMailSetting, m, "foreign forwarding or footer setting", ActDisableMailSetting)
		},
		Contradicts: contradictFindings("mail_setting"),
	},
	{
		ID: StepAuditSenders, Phase: PhaseAudit, Title: "Sender identities and domains",
		Why:      "A sender identity the attacker verified lets them send as a look-alike of you.",
		Item:     provider.ItemSenders,
		Auto:     has[provider.SenderLister](),
		Sections: []string{SecSenders},
		Guide:    Guide{LookFor: []string{"senders and domains outside your own"}, Record: []string{"each unknown sender, then delete it in the console"}},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			return []Question{{ID: "removed_unknown", Prompt: "Have you deleted the unknown sender identities in the console (if any)?", Kind: QSelect, Options: choose(Option{"yes", "Yes"}, Option{"none", "There were none"}, Option{"no", "Not yet"}),
				Attest: &Attest{Yes: []string{"yes", "none"}, Claim: "the unknown sender identities were deleted in the console (or there were none)", FollowUp: "delete the sender identities you do not know in the console"}}}
		},
		Claim:       "Only the owner's sender identities remain",
		Contradicts: contradictFindings("sender"),
		OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
			if ans["removed_unknown"] == "yes" && !provider.Has[provider.SenderLister](e.prov) {
				for i := range a.Findings {
					if a.Findings[i].Target.Kind == "sender" {
						a.Findings[i].Resolved = true
					}
				}
			}
		},
	},
	{
		ID: StepAuditMail, Phase: PhaseAudit, Title: "Mail sent in the last 30 days",
		Why:  "The subjects and volume show what was sent in your name, which support and your recipients need to know.",
		Item: provider.ItemMessages,
		Auto: has[provider.MessageLister](),
		Guide: Guide{
			LookFor: []string{"subjects you did not send", "days with far more mail than usual", "sender addresses outside your domains"},
			Record:  []string{"the spike days, counts and subjects"},
		},
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			return []Question{{ID: "reviewed", Prompt: "Have you reviewed the subjects and volume above and noted what you did not send?", Kind: QConfirm, Options: choose(yesNo("")...),
				Attest: &Attest{Yes: []string{"yes"}, Claim: "the mail of the last 30 days was reviewed", FollowUp: "review the subjects and volume of the last 30 days"}},
				{ID: "warn_recipients", Prompt: "Will you warn recipients of the phishing sent in your name?", Kind: QSelect, Options: choose(Option{"yes", "Yes"}, Option{"no", "No"}, Option{"n/a", "Nothing to warn about"})}}
		},
	},
	{
		ID: StepReport, Phase: PhaseReport, Title: "Report completion to support", Runner: RunReportPreview,
		Why:  "The provider re-enables the account only when you tell them every step is done, with your findings.",
		Item: provider.ItemSupport,
		Questions: func(e *Engine, a *AccountState, m Mode) []Question {
			return []Question{
				{ID: AnswerRootCause, Prompt: "Root cause in one sentence", Help: rootCauseHelp(a), Kind: QText},
				{ID: AnswerRootCauseWhy, Prompt: "If the root cause cannot be established, say why (else leave empty)", Kind: QText},
				{ID: AnswerNotes, Prompt: "Notes for support (optional)", Kind: QText},
				{ID: AnswerPreventive, Prompt: "Preventive measures beyond what reclaim did (optional)", Help: "e.g. secrets moved to a vault, .env out of the web root, one key per consumer.", Kind: QText},
				{ID: AnswerSignoffName, Prompt: "Your name, for the report's sign-off", Kind: QText},
				{ID: AnswerSignoffRole, Prompt: "Your role (e.g. account owner, CTO)", Kind: QText},
			}
		},
		Claim:   "The completion report was filed with support",
		Outcome: reportOutcome,
	},
}

// Journal keys of the dead-credential checks.
const (
	deadCheckKey   = string(ActVerifyDead) + ":old-credential"
	deadRecheckKey = string(ActVerifyDead) + ":old-credential:recheck"
)

// deadCheckLocked reports whether the journal shows a successful check with
// this key, and when.
func (e *Engine) deadCheckLocked(key string) (bool, time.Time) {
	for _, j := range e.inc.Journal {
		if j.Target == key && j.Outcome == "ok" {
			return true, j.At
		}
	}
	return false, time.Time{}
}

// rootCauseHelp offers the investigation's likeliest cause as a hint: the
// owner types the root cause; nothing is filled in for them.
func rootCauseHelp(a *AccountState) string {
	if g := rootCauseGuess(a); g != "" {
		return "From your investigation: " + provider.SanitizeN(g, 120) + ". Type it, or your own words."
	}
	return "From your investigation; \"not established\" keeps this step open."
}

func rootCauseGuess(a *AccountState) string {
	for _, f := range a.Findings {
		if f.Source == "investigation" && f.Severity == High && !strings.HasPrefix(f.ID, "leak-open:") {
			return f.Title
		}
	}
	return ""
}

// keyPlaces lists where the old key lived: files where the leak scan found
// this account's key, or a credential of its provider (not its copies in a
// git history or an archive), then the usual places.
func keyPlaces(a *AccountState) []string {
	var out []string
	for _, f := range a.Findings {
		if f.Source != "scan" || (f.Target.Kind != "key" && !strings.Contains(f.ID, "leak:")) {
			continue
		}
		if f.Target.Kind != "key" && (f.Leak == nil || f.Leak.Provider != a.Provider) {
			// not matched to this account's key, nor a credential of its
			// provider: another service's (a GitHub token in a remote
			// URL), whose rotation is not this one
			continue
		}
		where := strings.TrimPrefix(f.Evidence, "scan: ")
		if strings.Contains(f.Title, " found "+inHistory) || strings.Contains(where, "!/") {
			// a commit in a git history, a member of a backup or an image:
			// a copy of the key, not a place that uses it (the leak
			// finding says what to do with it)
			continue
		}
		if i := strings.LastIndexByte(where, ':'); i > 0 {
			where = where[:i]
		}
		if where != "" && !slices.Contains(out, where) {
			out = append(out, where)
		}
	}
	return append(out, ".env files and app config on your servers", "CI/CD secrets", "WordPress SMTP plugin settings", "hosting control panel", "your password manager or secret store")
}

// describeCIDRs says what an allow list admits: how many addresses each
// entry covers and whether the user's own address is among them.
func describeCIDRs(cidrs, yourIP string) string {
	ps, err := ParseCIDRs(cidrs)
	if err != nil {
		return cidrs
	}
	var parts []string
	for _, p := range ps {
		n := p.Addr().BitLen() - p.Bits()
		switch {
		case n == 0:
			parts = append(parts, p.Addr().String()+" (1 address)")
		case n < 31:
			parts = append(parts, fmt.Sprintf("%s (%d addresses)", p, 1<<n))
		default:
			parts = append(parts, fmt.Sprintf("%s (2^%d addresses)", p, n))
		}
	}
	out := strings.Join(parts, ", ")
	if yourIP != "" {
		if Covers(ps, yourIP) {
			out += "; your address " + yourIP + " is included"
		} else {
			out += "; your address " + yourIP + " is NOT included"
		}
	}
	return out
}

// undoHint says how to reverse a clean-up by hand, for the journal.
func undoHint(inv *Inventory, f Finding) string {
	if inv == nil {
		return ""
	}
	switch f.Fix {
	case ActRemoveTeammate:
		for _, t := range inv.Teammates {
			if !t.Pending && t.Username == f.Target.ID {
				return fmt.Sprintf("invite %s <%s> again (admin: %v)", t.Username, t.Email, t.Admin)
			}
		}
	case ActRemoveInvite:
		return "send the invite to " + f.Target.Name + " again"
	case ActDisableSubuser:
		return "re-enable subuser " + f.Target.ID + " in the console (or PATCH disabled:false)"
	case ActDeleteWebhook:
		for _, w := range inv.Webhooks {
			if w.ID == f.Target.ID {
				if w.Kind == provider.WebhookParse {
					return fmt.Sprintf("recreate the inbound-parse route for %s to %s", w.Hostname, w.URL)
				}
				return "recreate the event webhook to " + w.URL
			}
		}
	case ActDisableMailSetting:
		for _, m := range inv.MailSettings {
			if m.Name == f.Target.ID {
				return fmt.Sprintf("switch %s back on with %q", m.Name, m.Value)
			}
		}
	}
	return ""
}

func scopeText(k provider.APIKey) string {
	if k.FullAccess {
		return "full access"
	}
	if len(k.Scopes) == 0 {
		return "(none recorded)"
	}
	return strings.Join(k.Scopes, ", ")
}
