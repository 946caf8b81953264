package checklist

import (
	"context"
	"strings"
	"sync"
	"testing"

	"reclaim/provider"
)

// lateSessionFake knows its session key's id only once it has listed the
// keys and seen that id there, as Mailgun's adapter does.
type lateSessionFake struct {
	mu     sync.Mutex
	listed bool
}

func (*lateSessionFake) Info() provider.Info {
	return provider.Info{ID: "latesession", Name: "Late Session Mail"}
}

func (f *lateSessionFake) ListKeys(context.Context) ([]provider.APIKey, error) {
	f.mu.Lock()
	f.listed = true
	f.mu.Unlock()
	return []provider.APIKey{
		{ID: "sess-1", Name: "reclaim session", FullAccess: true},
		{ID: "other-2", Name: "web", FullAccess: true},
	}, nil
}

func (f *lateSessionFake) SessionKeyID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listed {
		return "sess-1"
	}
	return ""
}

// TestSessionKeyKnownAfterListing: a provider that confirms the key reclaim
// is connected with only after a key listing still has that key left out
// of the findings and the revocations (it was flagged, and its revoke
// proposed and checked, because the engine asked once, before any listing).
func TestSessionKeyKnownAfterListing(t *testing.T) {
	f := &lateSessionFake{}
	e := secretsEngine(t, f)
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.SessionKey(); got != "sess-1" {
		t.Errorf("session key %q after the inventory, want sess-1", got)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var other bool
	for _, fd := range e.acct().Findings {
		if fd.Target.ID == "sess-1" {
			t.Errorf("finding on the session key: %s", fd.Title)
		}
		if fd.Target.ID == "other-2" && strings.Contains(fd.Title, "full access") {
			other = true
		}
	}
	if !other {
		t.Error("no full-access finding on the other key: the test proves nothing")
	}
}

// TestConfirmRevokedClaimsOnlyTheListing: after a revocation reclaim reads
// the key list back; it makes no request with the old key, so the journal
// must not state that such requests were refused with a 401.
func TestConfirmRevokedClaimsOnlyTheListing(t *testing.T) {
	e := secretsEngine(t, &lateSessionFake{})
	got := e.confirmRevoked(context.Background(), Action{Kind: ActRevokeKey, Target: Target{Kind: "key", ID: "gone-3", Name: "attacker"}})
	if !strings.Contains(got, "no longer in the account's key list") {
		t.Fatalf("no confirmation: %q", got)
	}
	if strings.Contains(got, "401") || strings.Contains(got, "refused") {
		t.Errorf("states a refusal nobody observed: %q", got)
	}
}
