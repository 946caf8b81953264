package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every binding the UI uses. Screens take their help from it and
// tests press keys through it, so a remap changes one line.
type KeyMap struct {
	// Moving
	Up, Down, PageUp, PageDown, Home, End key.Binding
	// Choosing
	Enter, Toggle, Back, Next, Prev, Tab key.Binding
	// Steps
	Skip, Reopen, Findings, Report, Journal key.Binding
	// Confirmations
	Yes, No key.Binding
	// New key
	Reveal, Copy key.Binding
	// Report preview
	CopyReport, Mail, Filed, Edit, Finish key.Binding
	// Everywhere
	Help, Quit, ForceQuit, Color key.Binding
}

// DefaultKeyMap returns the bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "space"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home", "top")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end", "bottom")),

		Enter:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Toggle: key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "toggle")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Next:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous")),
		Tab:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "report/findings/journal")),

		Skip:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip step")),
		Reopen:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "reopen step")),
		Findings: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "findings")),
		Report:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "report")),
		Journal:  key.NewBinding(key.WithKeys("J"), key.WithHelp("J", "journal")),

		Yes: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes, do it")),
		No:  key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),

		Reveal: key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "reveal/hide")),
		Copy:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy (OSC 52)")),

		CopyReport: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy Markdown")),
		Mail:       key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "send by email")),
		Filed:      key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "I filed it (ticket id)")),
		Edit:       key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Finish:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "finish")),

		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit (saved)")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Color:     key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "colours on/off")),
	}
}

// relabel is a binding with the same keys and another help text (enter
// means "open" on a list and "apply checked" on proposed changes).
func relabel(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}
