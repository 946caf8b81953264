package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"reclaim/provider"
)

// newKeyView shows a new key once, masked until v reveals it, and says
// where it is kept (the OS keyring, or memory only).
type newKeyView struct {
	c         *Common
	k         provider.NewKey
	reveal    bool
	inKeyring bool
}

func newNewKeyView(c *Common, k provider.NewKey, inKeyring bool) *newKeyView {
	return &newKeyView{c: c, k: k, inKeyring: inKeyring}
}

func (v *newKeyView) key(k tea.KeyPressMsg, s *stepScreen) tea.Cmd {
	keys := v.c.Keys
	switch {
	case key.Matches(k, keys.Reveal):
		v.reveal = !v.reveal
	case key.Matches(k, keys.Copy):
		// Copied only because the owner asked.
		v.c.Status = "Copied with OSC 52 (your terminal must allow it; over tmux set set-clipboard on)."
		return tea.SetClipboard(v.k.Secret)
	case key.Matches(k, keys.Enter):
		v.k.Secret = ""
		s.newKey = nil
		return s.nextAction()
	}
	return nil
}

func maskSecret(s string) string {
	if len(s) <= 8 {
		return strings.Repeat("•", len(s))
	}
	return s[:3] + strings.Repeat("•", len(s)-7) + s[len(s)-4:]
}

func (v *newKeyView) lines() []string {
	st := v.c.Styles
	shown := maskSecret(v.k.Secret)
	if v.reveal {
		shown = provider.Sanitize(v.k.Secret)
	}
	where := "memory only (no OS keyring here): it is gone when reclaim exits"
	if v.inKeyring {
		where = "the OS keyring (service \"reclaim\")"
	}
	w := v.c.Width
	return []string{
		st.Bold.Render("New key created — shown once"),
		"",
		"  " + st.Accent.Render(shown),
		"",
		// A name is cut so the keyring/memory notice below stays in view.
		cut(fmt.Sprintf("Name %s, id %s, scopes %s.", provider.SanitizeN(v.k.Name, 60), provider.SanitizeN(v.k.ID, 40), provider.SanitizeN(strings.Join(v.k.Scopes, ", "), 120)), 2*w),
		"Kept in " + where + ". It is never written to a file.",
		"Store it in your secret manager now, then put it where the old key lived.",
	}
}
