package tui

import (
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"reclaim/checklist"
	"reclaim/provider"
)

// stepForm is a step's questions as a huh form, one group per question so
// it fits a small terminal. Validators, conditions and options come from
// the questions (checklist data).
type stepForm struct {
	c         *Common
	questions []checklist.Question
	form      *huh.Form
	groups    []*huh.Group
	qrGroup   *huh.Group // the 2FA QR page, sized for the code
	qrNote    *huh.Note  // its field, to know when the QR page shows
	qrRows    int        // the rows the QR page needs
	strVals   map[string]*string
	multVals  map[string]*[]string
	// heights re-size the option lists to the rows the screen has.
	heights map[*huh.Group]func(rows int)
	pending func(rows int)
	// reserve is the rows kept above the form (the step's title); sizedW
	// and sizedH the size it was last laid out for.
	reserve        int
	sizedW, sizedH int
}

// newStepForm builds the form, or nil when the step asks nothing.
func newStepForm(c *Common, questions []checklist.Question) *stepForm {
	f := &stepForm{c: c, questions: questions, strVals: map[string]*string{}, multVals: map[string]*[]string{}, heights: map[*huh.Group]func(int){}}
	w := c.Width
	var groups []*huh.Group
	setupID := ""
	for _, q := range questions {
		if q.Kind == checklist.QOTPSetup {
			setupID = q.ID
		}
	}
	for _, q := range questions {
		if q.Hint != "" && q.Kind != checklist.QSecret {
			// A drill's scripted answer is shown, never preselected.
			q.Help = strings.TrimSpace(q.Help + " Drill script: " + provider.SanitizeN(q.Hint, 60) + ".")
		}
		validate := func(x string) error {
			if q.Validate == nil {
				return nil
			}
			return q.Validate(x, f.current)
		}
		var field huh.Field
		switch q.Kind {
		case checklist.QSelect, checklist.QConfirm:
			v := q.Default
			f.strVals[q.ID] = &v
			var opts []huh.Option[string]
			for _, o := range q.Options {
				opts = append(opts, huh.NewOption(optionLabel(o.Label, w), o.Value))
			}
			// Tell huh the rows the wrapped title and help take, so every
			// option is drawn (a long list scrolls).
			sel := huh.NewSelect[string]().Key(q.ID).Title(q.Prompt).Description(q.Help).Options(opts...).Value(&v)
			f.pending = listSizer(sel, func(h int) { sel.Height(h) }, len(opts))
			field = sel
		case checklist.QMulti:
			def := strings.Split(q.Default, ",")
			vals := []string{}
			f.multVals[q.ID] = &vals
			var opts []huh.Option[string]
			for _, o := range q.Options {
				opts = append(opts, huh.NewOption(optionLabel(o.Label, w), o.Value).Selected(slices.Contains(def, o.Value)))
			}
			desc := strings.TrimSpace(q.Help + " (space toggles, enter confirms)")
			ms := huh.NewMultiSelect[string]().Key(q.ID).Title(q.Prompt).Description(desc).Options(opts...).Value(&vals)
			f.pending = listSizer(ms, func(h int) { ms.Height(h) }, len(opts))
			field = ms
		case checklist.QText:
			v := q.Default
			f.strVals[q.ID] = &v
			field = huh.NewInput().Key(q.ID).Title(q.Prompt).Description(q.Help).Value(&v).Validate(validate)
		case checklist.QOTPSetup:
			v := q.Default
			f.strVals[q.ID] = &v
			setup := &v
			help := q.Help
			if strings.TrimSpace(q.Default) != "" {
				// Said, never hidden: the field is not empty.
				help = strings.TrimSpace(help + " Drill: the simulated console's key is filled in (shown as ****); clear it to enrol another way.")
			}
			groups = append(groups, huh.NewGroup(huh.NewInput().Key(q.ID).Title(q.Prompt).Description(help).EchoMode(huh.EchoModePassword).Value(&v).Validate(validate)))
			// The QR code, on its own page so it fits 80×24.
			note := huh.NewNote()
			f.qrNote = note
			title := "Scan it with your authenticator app, then press enter"
			if c.IsDrill {
				title = "DRILL — " + title // the header may make way for the code
			}
			f.qrRows = qrHeight(v)
			groups = append(groups, huh.NewGroup(note.Title(title).DescriptionFunc(func() string {
				set, err := checklist.ParseTOTPSetup(*setup)
				if err != nil {
					return "No setup key: press enter to go on."
				}
				code, err := qrHalfBlocks(set.QRURI())
				if err != nil {
					return "Could not draw the QR code: type the key into the app by hand."
				}
				return code
			}, setup).Next(true).NextLabel("Scanned with the authenticator app")).WithHideFunc(func() bool { return strings.TrimSpace(*setup) == "" }).WithHeight(qrHeight(v)))
			f.qrGroup = groups[len(groups)-1]
			continue
		case checklist.QOTPCode:
			v := ""
			f.strVals[q.ID] = &v
			g := huh.NewGroup(huh.NewInput().Key(q.ID).Title(q.Prompt).Description("Empty: check later (the step stays open).").Value(&v).CharLimit(8).Validate(validate))
			if setupID != "" {
				sid := setupID
				g = g.WithHideFunc(func() bool { return strings.TrimSpace(f.current(sid)) == "" })
			}
			groups = append(groups, g)
			continue
		case checklist.QSecret:
			v := ""
			f.strVals[q.ID] = &v
			desc := "Input is hidden and never saved."
			if q.Hint != "" {
				desc += " Drill: the account's current password is " + provider.SanitizeN(q.Hint, 40) + "."
			}
			field = huh.NewInput().Key(q.ID).Title(q.Prompt).Description(desc).EchoMode(huh.EchoModePassword).Value(&v).Validate(validate)
		default:
			continue
		}
		g := huh.NewGroup(field)
		if f.pending != nil {
			f.heights[g], f.pending = f.pending, nil
		}
		if q.When[0] != "" {
			g = g.WithHideFunc(func() bool { return !q.Shown(f.current) })
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return nil
	}
	f.groups = groups
	f.form = huh.NewForm(groups...).WithShowHelp(false).WithTheme(c.theme()).WithWidth(w)
	f.fit()
	return f
}

// listSizer sizes a choice to show every option when they fit in rows,
// else as many as fit: its title and help (as huh wraps them at this width)
// are measured by drawing the field with a one-row list.
func listSizer(field huh.Field, height func(int), options int) func(rows int) {
	return func(rows int) {
		height(1)
		text := lipgloss.Height(field.View()) - 1
		height(text + max(3, min(options, rows-text)))
	}
}

// fit sizes each group to its content at the current width and height:
// huh measures a group once, at 80 columns, so a title or help text that
// wraps narrower would push the input line or the last options out of
// view, and a list taller than the screen would hide its cursor. A choice
// shows every option when they fit, else as many as fit (the rest scroll,
// the cursor's row in view). One spare row keeps a validation error
// visible.
func (f *stepForm) fit() {
	room := max(f.c.Height-max(f.reserve, 1), 5) // the step's title stays above
	for _, g := range f.groups {
		if g == f.qrGroup {
			continue
		}
		if set := f.heights[g]; set != nil {
			// A choice has no validation error to show: no spare row.
			set(room)
			g.WithHeight(min(lipgloss.Height(g.Content()), room))
			continue
		}
		// Two spare rows: a validation error that wraps stays in view
		// with the field it is about.
		g.WithHeight(min(lipgloss.Height(g.Content())+2, room))
	}
}

// setSize lays the form out for width w with reserve rows kept above it;
// it does nothing when neither changed (the root calls it on every
// message).
func (f *stepForm) setSize(w, reserve int) {
	if w == f.sizedW && reserve == f.reserve && f.c.Height == f.sizedH {
		return
	}
	f.sizedW, f.sizedH, f.reserve = w, f.c.Height, reserve
	f.form.WithWidth(w)
	f.fit()
}

func (f *stepForm) onQRPage() bool {
	return f.qrNote != nil && f.form.GetFocusedField() == huh.Field(f.qrNote)
}

// update forwards a message; done or aborted when the form ended.
func (f *stepForm) update(msg tea.Msg) (done, aborted bool, cmd tea.Cmd) {
	fm, cmd := f.form.Update(msg)
	if ff, ok := fm.(*huh.Form); ok {
		f.form = ff
	}
	return f.form.State == huh.StateCompleted, f.form.State == huh.StateAborted, cmd
}

func (f *stepForm) view() string { return f.form.View() }

// optionLabel sanitizes an option and cuts it to one row: a wrapped option
// would push others out of the list. The full text stays in the findings
// view (f).
func optionLabel(label string, w int) string { return cut(label, max(20, w-12)) }

// current is a question's live answer; "ID.given" says whether a secret
// question (a 2FA setup key) was answered, without its value.
func (f *stepForm) current(id string) string {
	if base, ok := strings.CutSuffix(id, ".given"); ok {
		if v := f.strVals[base]; v != nil && strings.TrimSpace(*v) != "" {
			return "yes"
		}
		return ""
	}
	if v := f.strVals[id]; v != nil {
		return *v
	}
	if v := f.multVals[id]; v != nil {
		return strings.Join(*v, ",")
	}
	return ""
}

// collect returns the answers and the typed secrets, and wipes the
// secrets from the form.
func (f *stepForm) collect() (answers, inputs map[string]string) {
	answers, inputs = map[string]string{}, map[string]string{}
	for _, q := range f.questions {
		switch {
		case q.Kind.Secret():
			if v := f.strVals[q.ID]; v != nil {
				if (q.Kind == checklist.QOTPSetup || q.Kind == checklist.QOTPCode) && strings.TrimSpace(*v) != "" {
					answers[q.ID+".given"] = "yes"
				}
				inputs[q.ID] = *v
				*v = ""
			}
		case q.Kind == checklist.QMulti:
			if v := f.multVals[q.ID]; v != nil {
				answers[q.ID] = strings.Join(*v, ",")
			}
		default:
			if v := f.strVals[q.ID]; v != nil {
				answers[q.ID] = strings.TrimSpace(*v)
			}
		}
	}
	return answers, inputs
}

// qrHeight is the rows the QR page needs (title, code, button).
func qrHeight(setup string) int {
	rows := 19
	if set, err := checklist.ParseTOTPSetup(setup); err == nil {
		if q, err := qrHalfBlocks(set.QRURI()); err == nil {
			rows = strings.Count(q, "\n") + 1
		}
	}
	return rows + 4
}
