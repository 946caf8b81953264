package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every binding the UI uses; tests press keys through it.
type KeyMap struct {
	Up, Down, Enter, Toggle, Back, Skip, Findings, Report, Help, Quit, ForceQuit, Reveal, Copy, Color, Reopen key.Binding
}

// DefaultKeyMap returns the bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		Enter:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Toggle:    key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "toggle")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Skip:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip step")),
		Findings:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "findings")),
		Report:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "report")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit (saved)")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Reveal:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "reveal/hide")),
		Copy:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy (OSC 52)")),
		Color:     key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "colours on/off")),
		Reopen:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "reopen step")),
	}
}
