package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"reclaim/provider"
)

// realScreen starts a recovery on a real account: which provider, then
// (unless the environment or the keyring has it) the credential, masked.
// The keyring is read in a command, never in Update.
type realScreen struct {
	c       *Common
	backend Backend
	provs   []provider.Info
	form    *huh.Form
	prov    string
	creds   []*string
	asked   bool
}

// credentialMsg is what the environment or keyring held ("" for nothing).
type credentialMsg struct {
	info provider.Info
	cred string
}

func newRealScreen(c *Common, b Backend) *realScreen {
	s := &realScreen{c: c, backend: b, provs: b.Providers()}
	var opts []huh.Option[string]
	for _, p := range s.provs {
		opts = append(opts, huh.NewOption(provider.Sanitize(p.Name), p.ID))
	}
	if len(opts) > 0 {
		s.prov = opts[0].Value
	}
	s.form = huh.NewForm(huh.NewGroup(huh.NewSelect[string]().Title("Which provider's account was compromised?").Options(opts...).Value(&s.prov))).
		WithShowHelp(false).WithTheme(c.theme()).WithWidth(c.Width)
	return s
}

func (s *realScreen) Init() tea.Cmd { return s.form.Init() }

func (s *realScreen) SetSize(w, _ int) {
	if s.form != nil {
		s.form.WithWidth(w)
	}
}

func (s *realScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	return []key.Binding{k.Next, k.Back, k.ForceQuit}
}

func (s *realScreen) info() provider.Info {
	for _, p := range s.provs {
		if p.ID == s.prov {
			return p
		}
	}
	return provider.Info{}
}

func (s *realScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case credentialMsg:
		s.c.Busy = ""
		if msg.cred != "" || len(msg.info.Credentials) == 0 {
			return s.connect(msg.info, msg.cred)
		}
		// Ask for each credential field, masked.
		var fields []huh.Field
		for _, cr := range msg.info.Credentials {
			v := ""
			s.creds = append(s.creds, &v)
			desc := "Input is hidden and never saved; set " + cr.EnvHint() + " to skip this."
			if cr.Optional {
				desc = "Optional: leave it empty if you have only the other. " + desc
			}
			optional := cr.Optional
			fields = append(fields, huh.NewInput().Title(cr.Prompt).Description(desc).EchoMode(huh.EchoModePassword).Value(&v).Validate(func(x string) error {
				if strings.TrimSpace(x) == "" && !optional {
					return errRequired
				}
				return nil
			}))
		}
		s.asked = true
		s.form = huh.NewForm(huh.NewGroup(fields...)).WithShowHelp(false).WithTheme(s.c.theme()).WithWidth(s.c.Width)
		return s.form.Init()
	case tea.KeyPressMsg:
		if key.Matches(msg, s.c.Keys.Back) {
			s.clear()
			return navigate(screenStart)
		}
	}
	if s.form == nil || s.c.Busy != "" {
		return nil
	}
	fm, cmd := s.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		s.form = f
	}
	switch s.form.State {
	case huh.StateAborted:
		s.clear()
		return navigate(screenStart)
	case huh.StateCompleted:
	default:
		return cmd
	}
	info := s.info()
	if !s.asked {
		s.c.Busy = "Looking for a credential in the environment and the keyring"
		b := s.backend
		s.form = nil
		return tea.Batch(cmd, func() tea.Msg { return credentialMsg{info: info, cred: b.Credential(info)} })
	}
	var parts []string
	for _, p := range s.creds {
		v := strings.TrimSpace(*p)
		if v == "" { // an optional field left out (required ones are validated)
			v = provider.CredentialAbsent
		}
		parts = append(parts, v)
	}
	s.clear()
	return tea.Batch(cmd, s.connect(info, strings.Join(parts, ":")))
}

// clear forgets typed credentials.
func (s *realScreen) clear() {
	for _, p := range s.creds {
		*p = ""
	}
	s.creds, s.form = nil, nil
}

func (s *realScreen) connect(info provider.Info, cred string) tea.Cmd {
	s.c.Busy = "Connecting to " + provider.Sanitize(info.Name)
	b, id := s.backend, info.ID
	return func() tea.Msg {
		e, c, err := b.NewRecovery(id, cred)
		msg := sessionMsg{eng: e, close: c, err: err, fresh: true}
		if err == nil && e.Permissions() != nil {
			msg.brief = permissionBrief(info.Name, e.Permissions())
		}
		return msg
	}
}

func (s *realScreen) View() string {
	if s.form == nil {
		return "Start a recovery on a real account"
	}
	return "Start a recovery on a real account\n\n" + s.form.View() + "\n" + s.c.Styles.Subtle.Render("Credentials are read from the environment or the OS keyring when set there; typed ones are kept in memory only.")
}
