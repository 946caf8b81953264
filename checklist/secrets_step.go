package checklist

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"reclaim/provider"
)

// StepRotateSecrets rotates the account's secrets that are not API keys.
const StepRotateSecrets StepID = "rotate.secrets"

// ActRotateSecret replaces an account secret (an auth token, an SMTP
// login, a signing key) with a new value, through the API.
const ActRotateSecret ActionKind = "rotate-secret"

// secretSection is the inventory section that holds Inventory.Secrets
// (SecSecrets where the inventory reads it).
const secretSection = "account_secrets"

// rotateSecretsStep: auth tokens, SMTP credentials and signing keys are not
// API keys, so revoking keys leaves them working. The owner picks which to
// rotate (none is ticked for them); each rotation is a destructive action,
// confirmed and journaled, done through the API where the provider can
// (SecretRotator: the new value is shown once and never kept), else in the
// console and attested.
var rotateSecretsStep = &StepDef{
	ID: StepRotateSecrets, Phase: PhaseRotate, Title: "Rotate account secrets",
	Why:  "Auth tokens, SMTP logins and signing keys are not API keys: revoking the keys leaves them working for whoever copied them.",
	Item: provider.ItemAPIKeys,
	Auto: hasAll(has[provider.SecretLister](), has[provider.SecretRotator]()),
	// Re-read when the step opens: what was rotated in the console shows.
	Sections: []string{secretSection},
	Applies: func(e *Engine, p provider.Provider) (Mode, string) {
		if !provider.Has[provider.SecretLister](p) {
			return ModeNA, p.Info().Name + " lists no account secrets besides its API keys"
		}
		return "", "" // automated with SecretRotator, else guided
	},
	Guide: Guide{
		LookFor: []string{
			"every auth token, SMTP credential and webhook signing key the account holds: rotate each one the leaked material held, or that you cannot rule out",
			"put each new value everywhere the old one lived before you leave the page",
		},
		Record: []string{"which secrets were rotated and when (never a value)"},
	},
	Questions: func(e *Engine, a *AccountState, m Mode) []Question {
		inv := a.Current()
		if inv == nil {
			return nil
		}
		var qs []Question
		if len(inv.Secrets) > 0 {
			var opts []Option
			for _, s := range inv.Secrets {
				opts = append(opts, Option{s.ID, provider.SanitizeN(secretLabel(s, inv), 150)})
			}
			qs = append(qs, Question{ID: "rotate", Prompt: "Which account secrets do you rotate? (none is ticked for you)", Help: "Tick each one the leaked material held, or that you cannot rule out. Its old value stops working: every app that uses it needs the new one.", Kind: QMulti, Options: opts})
			if m != ModeAuto {
				qs = append(qs, Question{ID: "rotated_in_console", Prompt: "Have you rotated, in the console, each secret you ticked (and put the new values in place)?", Kind: QConfirm, Options: choose(yesNo("")...), When: [2]string{"rotate", ""}, WhenNot: true,
					Attest: &Attest{Yes: []string{"yes"}, Claim: "the chosen account secrets were rotated in the console", FollowUp: "rotate the chosen account secrets in the console"}})
			}
		} else if slices.Contains(inv.Read, secretSection) && m == ModeAuto {
			return nil // verified: the account lists none
		}
		none := "Was none of the account's secrets (auth tokens, SMTP logins, signing keys) in the leaked material?"
		if len(inv.Secrets) > 0 {
			none = "You ticked none: was none of these secrets in the leaked material?"
		}
		return append(qs, Question{ID: "none_leaked", Prompt: none, Kind: QConfirm, Options: choose(yesNo("")...), When: [2]string{"rotate", ""},
			Attest: &Attest{Yes: []string{"yes"}, Claim: "none of the account's secrets besides its API keys was in the leaked material", FollowUp: "rotate the account secrets the leak may hold"}})
	},
	Ready: func(e *Engine, a *AccountState, m Mode) string {
		if a.Before == nil {
			return "take the inventory first (Preserve evidence): the secrets are recorded before any is rotated"
		}
		return ""
	},
	Plan: func(e *Engine, a *AccountState) []Action {
		inv := a.Current()
		if inv == nil {
			return nil
		}
		var out []Action
		for _, id := range splitList(a.Step(StepRotateSecrets).Answers["rotate"]) {
			i := slices.IndexFunc(inv.Secrets, func(s provider.AccountSecret) bool { return s.ID == id })
			if i < 0 {
				continue
			}
			s := inv.Secrets[i]
			label := fmt.Sprintf("Rotate %s (its old value stops working)", secretLabel(s, inv))
			if s.Session {
				label += "; reclaim itself is connected with it"
			}
			out = append(out, Action{
				Key: secretActionKey(id), Kind: ActRotateSecret,
				Target: Target{Kind: "secret", ID: id, Name: s.Name},
				Label:  label, Reason: "the owner chose it for rotation",
				Destructive: true, Recommended: true,
				Params: map[string]string{"undo": "cannot be undone: the old value is gone; put the new value everywhere the old one lived", "kind": s.Kind},
			})
		}
		return out
	},
	Claim: "The account secrets the leak may hold were rotated",
	Verify: func(e *Engine, a *AccountState, m Mode) (string, bool) {
		inv := a.Current()
		if m != ModeAuto || inv == nil {
			return "", false
		}
		picked := splitList(a.Step(StepRotateSecrets).Answers["rotate"])
		if len(picked) == 0 {
			if len(inv.Secrets) == 0 && slices.Contains(inv.Read, secretSection) {
				return fmt.Sprintf("The account's secrets were read from the provider's API at %s: none besides its API keys; nothing to rotate.", hhmm(inv.TakenAt)), true
			}
			return "", false // the owner's word that none leaked
		}
		var done, missing []string
		for _, id := range picked {
			if ref, at := e.secretRotatedLocked(id); ref != "" {
				done = append(done, fmt.Sprintf("%s at %s (%s)", quote(secretName(inv, id)), hhmm(at), ref))
			} else {
				missing = append(missing, quote(secretName(inv, id)))
			}
		}
		if len(missing) > 0 {
			return "not rotated yet: " + strings.Join(missing, ", "), false
		}
		return "Rotated through the provider's API, which returned each new value once (shown to the owner, never recorded): " + strings.Join(done, "; ") + ".", true
	},
	OnComplete: func(e *Engine, a *AccountState, ans map[string]string) {
		st := a.Step(StepRotateSecrets)
		picked := splitList(ans["rotate"])
		if m, _ := e.ModeOf(stepDefs[StepRotateSecrets]); m == ModeAuto || ans["rotated_in_console"] != "yes" || len(picked) == 0 || e.DryRun {
			return
		}
		// Done in the console: the owner's word, journaled with the time;
		// the drill's simulated console carries it out.
		sim, _ := e.prov.(provider.Simulator)
		inv := a.Current()
		for _, id := range picked {
			if sim != nil {
				_ = sim.ConsoleDo(provider.ItemAPIKeys, provider.ConsoleRotateSecret.On(id))
			}
			e.journalLocked(StepRotateSecrets, "rotate secret (console)", secretActionKey(id), "ok", fmt.Sprintf("the owner states %s was rotated in the console at %s", quote(secretName(inv, id)), utc(e.Now())))
		}
		st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "secrets", Summary: fmt.Sprintf("%d account secrets rotated in the console (the owner's word)", len(picked))})
	},
}

func secretActionKey(id string) string { return string(ActRotateSecret) + ":secret:" + id }

// secretRotatedLocked cites the journal entry of a secret's rotation.
func (e *Engine) secretRotatedLocked(id string) (string, time.Time) {
	for _, j := range e.inc.Journal {
		if j.Target == secretActionKey(id) && j.Action == string(ActRotateSecret) && (j.Outcome == "ok" || j.Outcome == "already done") {
			return fmt.Sprintf("journal #%d", j.Seq), j.At
		}
	}
	return "", time.Time{}
}

// secretKindNames are the words for provider.AccountSecret kinds.
var secretKindNames = map[string]string{
	provider.SecretAuthToken:      "auth token",
	provider.SecretSMTP:           "SMTP credential",
	provider.SecretSigningKey:     "webhook signing key",
	provider.SecretServerToken:    "server token",
	provider.SecretAccountToken:   "account token",
	provider.SecretMasterPassword: "master password",
}

func secretKind(kind string) string {
	if n := secretKindNames[kind]; n != "" {
		return n
	}
	return firstNonEmpty(provider.SanitizeN(kind, 30), "secret")
}

// secretLabel names a secret for a list: kind, name, domain and age.
func secretLabel(s provider.AccountSecret, inv *Inventory) string {
	l := secretKind(s.Kind) + " " + quote(s.Name)
	if s.Domain != "" {
		l += " (" + provider.SanitizeN(s.Domain, 60) + ")"
	}
	if !s.Created.IsZero() {
		l += ", created " + Age(inv.TakenAt, s.Created)
	}
	if s.Session {
		l += " — reclaim is connected with it"
	}
	return l
}

func secretName(inv *Inventory, id string) string {
	if inv != nil {
		for _, s := range inv.Secrets {
			if s.ID == id {
				return s.Name
			}
		}
	}
	return id
}

// rotateSecret carries out ActRotateSecret: the new value is returned once
// in the Result (the UI shows it masked, then drops it) and never stored
// or journaled.
func (e *Engine) rotateSecret(ctx context.Context, act Action) (Result, error) {
	r, ok := e.prov.(provider.SecretRotator)
	if !ok {
		return Result{}, &provider.Error{Kind: provider.ErrUnsupported, Op: string(act.Kind)}
	}
	e.mu.Lock()
	s := provider.AccountSecret{ID: act.Target.ID, Name: act.Target.Name, Kind: act.Params["kind"]}
	if inv := e.acct().Current(); inv != nil {
		if i := slices.IndexFunc(inv.Secrets, func(x provider.AccountSecret) bool { return x.ID == act.Target.ID }); i >= 0 {
			s = inv.Secrets[i]
		}
	}
	e.mu.Unlock()
	rs, err := r.RotateSecret(ctx, s)
	if err != nil {
		return Result{}, err
	}
	if rs.Value == "" {
		return Result{}, errors.New("the provider rotated the secret but returned no new value: take it from the console now, before the old one is needed")
	}
	detail := fmt.Sprintf("rotated at %s; the new value was shown once and not recorded", utc(e.Now()))
	if n := strings.TrimSpace(rs.Note); n != "" {
		detail += "; " + provider.SanitizeN(n, 200)
	}
	return Result{Rotated: &rs, Detail: detail}, nil
}
