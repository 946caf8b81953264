package tui

import (
	"charm.land/lipgloss/v2"
)

// Styles holds every style; built for a dark or light background, with or
// without colour. State is never shown by colour alone ([x], !, ✓).
type Styles struct {
	Title, Subtle, Bold, Accent, Warn, Bad, Good, Selected, Badge, DrillBadge, Help, Rule lipgloss.Style
	color                                                                                 bool
}

func newStyles(isDark, color bool) Styles {
	s := Styles{color: color}
	plain := lipgloss.NewStyle()
	s.Bold = plain.Bold(true)
	s.Title = plain.Bold(true)
	s.Subtle, s.Accent, s.Warn, s.Bad, s.Good, s.Help, s.Rule = plain, plain, plain, plain.Bold(true), plain, plain, plain
	s.Selected = plain.Bold(true)
	s.Badge = plain.Bold(true)
	s.DrillBadge = plain.Bold(true)
	if !color {
		return s
	}
	ld := lipgloss.LightDark(isDark)
	s.Title = s.Title.Foreground(ld(lipgloss.Color("#5A3FC0"), lipgloss.Color("#B8A6FF")))
	s.Subtle = s.Subtle.Foreground(ld(lipgloss.Color("#6B6B6B"), lipgloss.Color("#8A8A8A")))
	s.Help = s.Subtle
	s.Rule = s.Subtle
	s.Accent = s.Accent.Foreground(ld(lipgloss.Color("#0B7A75"), lipgloss.Color("#5FD7D7")))
	s.Warn = s.Warn.Foreground(ld(lipgloss.Color("#A35A00"), lipgloss.Color("#FFB86C")))
	s.Bad = s.Bad.Foreground(ld(lipgloss.Color("#B00020"), lipgloss.Color("#FF6E6E")))
	s.Good = s.Good.Foreground(ld(lipgloss.Color("#1E7B34"), lipgloss.Color("#7EE787")))
	s.Selected = s.Selected.Foreground(ld(lipgloss.Color("#5A3FC0"), lipgloss.Color("#E0D6FF")))
	s.Badge = s.Badge.Foreground(lipgloss.Color("#FFFFFF")).Background(lipgloss.Color("#5A3FC0")).Padding(0, 1)
	s.DrillBadge = s.DrillBadge.Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#FFB86C")).Padding(0, 1)
	return s
}
