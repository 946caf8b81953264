package checklist_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
)

// A drill style with account secrets, declared as an adapter's folder
// would (provider.RegisterDrillStyle), for the rotate.secrets step.
type tokenView struct {
	provider.Simulator
	provider.AccountReader
	provider.KeyLister
	provider.KeyCreator
	provider.KeyRevoker
	provider.KeyVerifier
	provider.SecretLister
	provider.SecretRotator
}

func init() {
	provider.Register(provider.Factory{
		Info: provider.Info{ID: "kittokens", Name: "Kit Tokens", Console: map[provider.Item]string{provider.ItemAPIKeys: "https://tokens.example/keys"}},
		New:  func(provider.Config) (provider.Provider, error) { return nil, errors.New("test adapter") },
	})
	provider.RegisterDrillStyle("kittokens", provider.DrillStyle{
		View: provider.NarrowSimulator[tokenView],
		Keys: provider.DrillKeys{
			ID:         provider.KeyShape{Prefix: "TK", Alphabet: provider.AlphabetHex, Len: 16},
			Secret:     provider.KeyShape{Alphabet: provider.AlphabetAlnum, Len: 24},
			Credential: "{id}:{secret}",
		},
	})
}

const tokenScenario = `version: 1
name: kit-tokens
title: An auth token leaked with the key
lesson: Rotate the account's auth token as well as its keys.
briefing: The .env held the key and the account's auth token.
provider: kittokens
account:
  username: tok
  email: ops@tokens.example
  your_ip: 198.51.100.9
  session_key: TK00000000000000aa
known_good:
  keys:
  - {id: TK00000000000000aa, name: reclaim}
  secrets:
  - {id: tok-1, kind: auth_token, name: primary auth token, created: -300d}
  - {id: smtp-1, kind: smtp_credential, name: postmaster@mg.tokens.example}
  mail: {from: a@tokens.example, per_day: 10, subjects: [Hello]}
attacker:
  leaked_secrets: [tok-1]
answers:
  rotate.secrets.rotate: tok-1
expectations:
- id: access
  title: The leaked auth token no longer works
  points: 10
  check: {kind: no_attacker_access}
- id: rotated
  title: Account secrets rotated
  points: 10
  check: {kind: step_done, step: rotate.secrets}
`

// TestDrillRotatesLeakedSecret plays a drill whose attacker holds the
// account's auth token: the autopilot rotates it through the API (the
// scripted pick), which contains the account.
func TestDrillRotatesLeakedSecret(t *testing.T) {
	sc, err := drill.ParseScenario("tokens.yaml", []byte(tokenScenario))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	acct := drill.New(sc, now)
	if inv, _ := checklist.TakeInventory(context.Background(), acct.Styled(), now); inv == nil || !slices.Contains(inv.Read, "account_secrets") {
		t.Skip("skipping: this build's inventory does not read account secrets (the account_secrets section)")
	}
	inc := checklist.NewIncident(now, "Drill: "+sc.Title, acct, true, sc.ID)
	h, err := (&checklist.Store{Dir: t.TempDir()}).Create(inc, must(acct.Snapshot()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	e := checklist.NewEngine(inc, h, acct, nil)
	db, lines := play(t, e, checklist.DrillRun{})
	if db.Score != db.MaxScore || len(db.OpenAccess) > 0 {
		t.Errorf("score %d/%d, open %v:\n%s", db.Score, db.MaxScore, db.OpenAccess, strings.Join(lines, "\n"))
	}
	if got := acct.SecretsRotated(); !slices.Equal(got, []string{"tok-1"}) {
		t.Errorf("rotated %v, want only the picked tok-1", got)
	}
	st := e.View(checklist.StepRotateSecrets).State
	if st.Level != checklist.LevelVerified || !strings.Contains(st.Statement, "primary auth token") {
		t.Errorf("%s: %s", st.Level, st.Statement)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
