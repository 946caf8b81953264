package tui

import (
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/provider"
)

// TestRotatedSecretShownOnceMasked: a rotated secret's new value is shown
// masked until v, says it is kept nowhere, and is dropped on enter.
func TestRotatedSecretShownOnceMasked(t *testing.T) {
	const value = "not-a-real-token-9f8e7d6c5b4a"
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter)
	s := newStepScreen(h.m.c, h.m.c.Eng, checklist.StepCreateKey)
	s.view = h.m.c.Eng.View(checklist.StepCreateKey)
	s.phase = spSecret
	v := newRotatedView(h.m.c, provider.RotatedSecret{AccountSecret: provider.AccountSecret{ID: "tok-1", Kind: provider.SecretAuthToken, Name: "primary auth token"}, Value: value, Note: "Update TWILIO_AUTH_TOKEN in the app."})
	s.newKey = v
	h.m.step, h.m.screen = s, screenStep
	h.m.sync()
	sc := h.screen()
	j := joined(sc)
	for _, want := range []string{"Secret rotated — new value shown once", "primary auth token", "Update TWILIO_AUTH_TOKEN", "never written to a file"} {
		if !strings.Contains(j, want) {
			t.Errorf("the screen lacks %q:\n%s", want, sc)
		}
	}
	if strings.Contains(sc, value) {
		t.Fatal("the new value is shown unmasked before v")
	}
	fitsIn(t, sc, 80, 24)
	h.press(h.m.c.Keys.Reveal)
	if !strings.Contains(h.screen(), value) {
		t.Errorf("v does not reveal it: reveal=%v\n%s", v.reveal, h.screen())
	}
	h.press(h.m.c.Keys.Enter)
	if v.secret != "" || s.newKey != nil {
		t.Error("the value is kept after enter")
	}
}
