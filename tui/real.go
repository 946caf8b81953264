package tui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"reclaim/provider"
)

func (m *Model) realItem() startItem {
	var names []string
	for _, p := range m.backend.Providers() {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return startItem{label: "Start a recovery on a real account", detail: "no real provider adapter in this build: use the drill", action: "real", disabled: true}
	}
	return startItem{label: "Start a recovery on a real account", detail: strings.Join(names, ", "), action: "real"}
}

// startReal asks which provider, then (unless the environment or keyring
// has it) the credential, masked.
func (m *Model) startReal() tea.Cmd {
	var opts []huh.Option[string]
	for _, p := range m.backend.Providers() {
		opts = append(opts, huh.NewOption(p.Name, p.ID))
	}
	m.realProv = opts[0].Value
	m.realForm = huh.NewForm(huh.NewGroup(huh.NewSelect[string]().Title("Which provider's account was compromised?").Options(opts...).Value(&m.realProv))).
		WithShowHelp(false).WithTheme(m.theme()).WithWidth(m.contentWidth())
	m.realCred = nil
	m.screen = screenReal
	return m.realForm.Init()
}

func (m *Model) providerInfo(id string) (provider.Info, bool) {
	for _, p := range m.backend.Providers() {
		if p.ID == id {
			return p, true
		}
	}
	return provider.Info{}, false
}

func (m *Model) updateReal(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.keys.Back) {
		m.screen, m.realForm, m.realCred = screenStart, nil, nil
		return m, nil
	}
	if m.realForm == nil || m.busy != "" {
		return m, nil
	}
	fm, cmd := m.realForm.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.realForm = f
	}
	if m.realForm.State != huh.StateCompleted {
		if m.realForm.State == huh.StateAborted {
			m.screen = screenStart
		}
		return m, cmd
	}
	info, _ := m.providerInfo(m.realProv)
	known := ""
	if m.realCred == nil {
		known = m.backend.Credential(info)
		if known == "" && len(info.Credentials) > 0 {
			// Ask for each credential field, masked.
			var fields []huh.Field
			for _, c := range info.Credentials {
				v := ""
				m.realCred = append(m.realCred, &v)
				fields = append(fields, huh.NewInput().Title(c.Prompt).Description("Input is hidden and never saved; set "+c.Env+" to skip this.").EchoMode(huh.EchoModePassword).Value(&v).Validate(func(x string) error {
					if strings.TrimSpace(x) == "" {
						return errors.New("required")
					}
					return nil
				}))
			}
			m.realForm = huh.NewForm(huh.NewGroup(fields...)).WithShowHelp(false).WithTheme(m.theme()).WithWidth(m.contentWidth())
			return m, tea.Batch(cmd, m.realForm.Init())
		}
	}
	var parts []string
	for _, p := range m.realCred {
		parts = append(parts, strings.TrimSpace(*p))
		*p = ""
	}
	cred := strings.Join(parts, ":")
	if known != "" {
		cred = known
	}
	m.realForm, m.realCred = nil, nil
	m.busy = "Connecting to " + info.Name
	b, id := m.backend, info.ID
	return m, func() tea.Msg {
		e, c, err := b.NewRecovery(id, cred)
		return sessionMsg{eng: e, close: c, err: err, fresh: true}
	}
}
