package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"reclaim/provider"
)

// newKeyView shows a new secret once, masked until v reveals it: a new key
// (and where it is kept: the OS keyring, or memory only) or the new value
// of a rotated account secret (kept nowhere).
type newKeyView struct {
	c      *Common
	secret string
	reveal bool
	// lines after the secret, given its width.
	title string
	about func(w int) []string
}

func newNewKeyView(c *Common, k provider.NewKey, inKeyring bool) *newKeyView {
	where := "memory only (no OS keyring here): it is gone when reclaim exits"
	if inKeyring {
		where = "the OS keyring (service \"reclaim\")"
	}
	return &newKeyView{c: c, secret: k.Secret, title: "New key created — shown once", about: func(w int) []string {
		return []string{
			// A name is cut so the keyring/memory notice below stays in view.
			cut(fmt.Sprintf("Name %s, id %s, scopes %s.", provider.SanitizeN(k.Name, 60), provider.SanitizeN(k.ID, 40), provider.SanitizeN(strings.Join(k.Scopes, ", "), 120)), 2*w),
			"Kept in " + where + ". It is never written to a file.",
			"Store it in your secret manager now, then put it where the old key lived.",
		}
	}}
}

// newRotatedView shows a rotated secret's new value once; reclaim keeps it
// nowhere.
func newRotatedView(c *Common, r provider.RotatedSecret) *newKeyView {
	return &newKeyView{c: c, secret: r.Value, title: "Secret rotated — new value shown once", about: func(w int) []string {
		out := []string{cut(fmt.Sprintf("%s %s, id %s.", provider.SanitizeN(r.Kind, 30), provider.SanitizeN(r.Name, 60), provider.SanitizeN(r.ID, 40)), 2*w)}
		if n := strings.TrimSpace(r.Note); n != "" {
			out = append(out, cut(provider.SanitizeN(n, 300), 2*w))
		}
		return append(out,
			"reclaim does not keep it: it is never written to a file and is gone when you go on.",
			"Store it in your secret manager now, then put it where the old value lived.")
	}}
}

func (v *newKeyView) key(k tea.KeyPressMsg, s *stepScreen) tea.Cmd {
	keys := v.c.Keys
	switch {
	case key.Matches(k, keys.Reveal):
		v.reveal = !v.reveal
	case key.Matches(k, keys.Copy):
		// Copied only because the owner asked.
		v.c.Status = "Copied with OSC 52 (your terminal must allow it; over tmux set set-clipboard on)."
		return tea.SetClipboard(v.secret)
	case key.Matches(k, keys.Enter):
		v.secret = ""
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
	shown := maskSecret(v.secret)
	if v.reveal {
		shown = provider.Sanitize(v.secret)
	}
	return append([]string{
		st.Bold.Render(v.title),
		"",
		"  " + st.Accent.Render(shown),
		"",
	}, v.about(v.c.Width)...)
}
