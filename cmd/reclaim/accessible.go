package main

// Accessible mode (--accessible, RECLAIM_ACCESSIBLE=1): the same procedure
// as the terminal UI, as plain line-by-line prompts, the way huh's
// accessible mode runs a form. It is for screen readers, serial consoles
// and SSH clients where a full-screen app breaks, and it reads its answers
// from standard input, so it can be scripted. Nothing is drawn: no colour,
// no cursor movement, no escape sequence; every state is said in words.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"reclaim/checklist"
	"reclaim/checklist/filing"
	"reclaim/provider"
	"reclaim/provider/drill"
)

// accessibleMode is --accessible (on the root command and on drill).
var accessibleMode bool

// accessibleRequested reports whether this run uses plain prompts:
// --accessible, or RECLAIM_ACCESSIBLE set to anything but 0/false/no/off.
func accessibleRequested() bool {
	if accessibleMode {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(os.Getenv("RECLAIM_ACCESSIBLE"))) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

var (
	// errAccQuit: the owner typed q, or standard input ended.
	errAccQuit = errors.New("quit")
	// errAccSkip: the owner typed s.
	errAccSkip = errors.New("skip")
	// errAccAgain: the step's questions are asked again (a change that
	// needed typed secrets failed).
	errAccAgain = errors.New("ask again")
	// errAccInterrupt: ctrl+c while a secret was typed (the terminal was
	// in raw mode, so no SIGINT came).
	errAccInterrupt = errors.New("interrupted")
)

// accessible is one accessible-mode run: where it reads and writes.
type accessible struct {
	ctx context.Context
	out io.Writer
	in  *bufio.Reader
	// file and fd are standard input when it is a terminal.
	file *os.File
	fd   uintptr
	// tty: standard input is a terminal, so secrets are read without echo.
	tty bool
	// ttyOut: standard output is a terminal (a new key may be shown there).
	ttyOut bool
	// eof: standard input has ended.
	eof bool
	// resume is the command that resumes the incident.
	resume string
}

func newAccessible(ctx context.Context, in io.Reader, out io.Writer) *accessible {
	a := &accessible{ctx: ctx, out: out, in: bufio.NewReader(in), resume: "reclaim --accessible"}
	if f, ok := in.(*os.File); ok && term.IsTerminal(f.Fd()) {
		a.file, a.fd, a.tty = f, f.Fd(), true
	}
	if f, ok := out.(*os.File); ok && term.IsTerminal(f.Fd()) {
		a.ttyOut = true
	}
	return a
}

// clean makes text safe to print: each line sanitized (no escape or
// control character, no bidi override), the lines kept.
func clean(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = provider.Sanitize(l)
	}
	return strings.Join(lines, "\n")
}

// say prints one or more lines.
func (a *accessible) say(format string, args ...any) {
	fmt.Fprintln(a.out, clean(fmt.Sprintf(format, args...)))
}

// blank prints an empty line (a pause between blocks).
func (a *accessible) blank() { fmt.Fprintln(a.out) }

// accDescribe is an error as the UI says it: sanitized, with the
// provider's advice.
func accDescribe(err error) string {
	msg := provider.Sanitize(err.Error())
	if adv := provider.Advice(err); adv != "" && !strings.Contains(msg, "refused:") {
		var pe *provider.Error
		if errors.As(err, &pe) {
			return msg + " — " + adv
		}
	}
	return msg
}

// readLine reads one line from standard input (a pipe or a terminal in
// its usual line mode). The end of input is errAccQuit; a signal returns
// the context's error.
func (a *accessible) readLine() (string, error) {
	if a.eof {
		return "", errAccQuit
	}
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := a.in.ReadString('\n')
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			a.eof = true
			if r.s == "" {
				return "", errAccQuit
			}
			// a last line without a newline: use it, then stop
		}
		return strings.TrimRight(r.s, "\r\n"), nil
	case <-a.ctx.Done():
		fmt.Fprintln(a.out)
		return "", a.ctx.Err()
	}
}

// readHidden shows prompt and reads a secret from the terminal without
// echo. Echo goes off before the prompt is shown, so nothing typed after
// it can be echoed. ctrl+c is errAccInterrupt, ctrl+d on an empty line
// the end of input.
func (a *accessible) readHidden(prompt string) (string, error) {
	if a.eof {
		return "", errAccQuit
	}
	saved, err := term.MakeRaw(a.fd)
	if err != nil {
		return "", fmt.Errorf("cannot turn the terminal's echo off for a secret: %w", err)
	}
	restore := func() { _ = term.Restore(a.fd, saved) }
	fmt.Fprint(a.out, clean(prompt))
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := readSecretBytes(a.file)
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		restore()
		fmt.Fprintln(a.out) // the Enter, never echoed
		if errors.Is(r.err, io.EOF) {
			a.eof = true
			return "", errAccQuit
		}
		return r.s, r.err
	case <-a.ctx.Done():
		restore()
		fmt.Fprintln(a.out)
		return "", a.ctx.Err()
	}
}

// readSecretBytes reads a line typed in raw mode: Enter ends it, backspace
// and ctrl+u edit it, escape sequences (arrow keys) are dropped.
func readSecretBytes(f *os.File) (string, error) {
	var buf []byte
	b := make([]byte, 1)
	esc := 0 // 1: after ESC; 2: inside a CSI/SS3 sequence
	for {
		n, err := f.Read(b)
		if n == 1 {
			c := b[0]
			switch {
			case esc == 1:
				esc = 0
				if c == '[' || c == 'O' {
					esc = 2
				}
				continue
			case esc == 2:
				if c >= 0x40 && c <= 0x7e {
					esc = 0
				}
				continue
			}
			switch c {
			case '\r', '\n':
				return string(buf), nil
			case 0x7f, '\b':
				if len(buf) > 0 {
					_, size := utf8.DecodeLastRune(buf)
					buf = buf[:len(buf)-size]
				}
			case 0x15: // ctrl+u
				buf = buf[:0]
			case 0x03: // ctrl+c
				return "", errAccInterrupt
			case 0x04: // ctrl+d
				if len(buf) == 0 {
					return "", io.EOF
				}
			case 0x1b:
				esc = 1
			default:
				if c >= 0x20 {
					buf = append(buf, c)
				}
			}
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(buf) > 0 {
				return string(buf), nil
			}
			return "", err
		}
	}
}

// ask prints a prompt (no newline) and reads the answer: "q" quits, "s"
// skips (the caller decides what a skip means there). A hidden answer is
// read without echo on a terminal; from a pipe it is a plain line, never
// echoed back.
func (a *accessible) ask(prompt string, hidden bool) (string, error) {
	var line string
	var err error
	if hidden && a.tty {
		line, err = a.readHidden(prompt)
	} else {
		fmt.Fprint(a.out, clean(prompt))
		line, err = a.readLine()
		if err == nil && !a.tty {
			// From a pipe nothing was echoed: the transcript shows the
			// answer after its prompt, as a terminal would (never a secret).
			if hidden {
				fmt.Fprintln(a.out)
			} else {
				fmt.Fprintln(a.out, clean(line))
			}
		}
	}
	if err != nil {
		return "", err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "q":
		return "", errAccQuit
	case "s":
		return "", errAccSkip
	}
	return line, nil
}

// askNoSkip is ask where there is no step to skip: "s" is an answer.
func (a *accessible) askNoSkip(prompt string, hidden bool) (string, error) {
	v, err := a.ask(prompt, hidden)
	if errors.Is(err, errAccSkip) {
		return "s", nil
	}
	return v, err
}

// runAccessible is runTUI in accessible mode: it opens or starts an
// incident with prompts, then walks its steps.
func runAccessible(cmd *cobra.Command, start tuiStart) error {
	b := newBackend()
	b.dryRun = start.dryRun
	if err := b.store.Check(); err != nil {
		return withCode(exitError, err)
	}
	a := newAccessible(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout())
	if start.drill {
		a.resume = "reclaim drill --accessible"
	}
	a.say("reclaim, accessible mode: plain prompts, one per line.")
	a.say("At any question: s skips the step (you give a reason), q quits (progress is saved).")
	if start.dryRun {
		a.say("DRY RUN: nothing will be changed on the account; each change is journaled as \"would …\".")
	}
	s, fresh, err := a.open(b, start)
	if err != nil {
		return a.exit(nil, err)
	}
	if s == nil {
		return nil // quit at the start
	}
	defer s.Close()
	a.brief(s.Engine, fresh)
	return a.exit(s.Engine, a.walk(s.Engine))
}

// exit turns how the run ended into the command's result.
func (a *accessible) exit(e *checklist.Engine, err error) error {
	switch {
	case err == nil:
		return nil
	case a.ctx.Err() != nil:
		return withCode(exitAborted, nil) // a signal: main says which
	case errors.Is(err, errAccInterrupt):
		if e != nil {
			_ = e.Save()
		}
		return withCode(exitAborted, errors.New("interrupted (ctrl+c); progress is saved: run \""+a.resume+"\" to resume"))
	case errors.Is(err, errAccQuit):
		a.blank()
		if a.eof {
			a.say("End of input.")
		}
		if e != nil {
			if serr := e.Save(); serr != nil {
				return withCode(exitError, serr)
			}
			a.say("Progress saved (incident %s). Run \"%s\" to resume.", provider.SanitizeN(e.Snapshot().ID, 60), a.resume)
		}
		return nil
	case errors.Is(err, checklist.ErrLocked):
		return withCode(exitLocked, err)
	}
	return withCode(exitError, err)
}

// open starts or resumes an incident as the start screen does. It returns
// a nil session when the owner quits there.
func (a *accessible) open(b *backend, start tuiStart) (*Session, bool, error) {
	list, lerr := b.List()
	if lerr != nil {
		a.say("! Could not read the state directory: %s", accDescribe(lerr))
	}
	if start.drill {
		if !start.fresh {
			for _, s := range list {
				if s.OK() && !s.Closed && s.Drill {
					return a.resumeIncident(b, s)
				}
			}
		}
		a.say("Creating the drill account.")
		s, err := b.NewDrill(start.scenario)
		return s, true, err
	}
	for {
		type item struct {
			label string
			run   func() (*Session, bool, error)
		}
		var items []item
		var broken []string
		for _, s := range list {
			if !s.OK() {
				name := s.Title
				if name == "" {
					name = s.ID
				}
				broken = append(broken, provider.SanitizeN(name, 60)+": "+provider.SanitizeN(s.Problem, 200))
				continue
			}
			if s.Closed || len(items) == 9 {
				continue
			}
			label := "Resume: " + provider.SanitizeN(s.Title, 60)
			if s.DryRun {
				label = "Resume (DRY RUN): " + provider.SanitizeN(s.Title, 60)
			}
			label += fmt.Sprintf(", %d of %d steps finished, updated %s", s.Done, s.Total, checklist.Age(time.Now(), s.Updated))
			s := s
			items = append(items, item{label, func() (*Session, bool, error) { return a.resumeIncident(b, s) }})
		}
		items = append(items, item{"Start a new drill (" + drill.About(start.scenario) + "; nothing real is touched)", func() (*Session, bool, error) {
			a.say("Creating the drill account.")
			a.resume = "reclaim drill --accessible"
			s, err := b.NewDrill(start.scenario)
			return s, true, err
		}})
		if len(realProviders()) > 0 {
			items = append(items, item{"Start a recovery on a real account", func() (*Session, bool, error) { return a.startReal(b) }})
		}
		items = append(items, item{"Quit", func() (*Session, bool, error) { return nil, false, nil }})
		a.blank()
		a.say("What do you want to do?")
		for i, it := range items {
			a.say("  %d. %s", i+1, it.label)
		}
		for _, l := range broken {
			a.say("  Cannot be opened (\"reclaim incidents\" says why): %s", l)
		}
		n, err := a.pick(len(items), fmt.Sprintf("Choose 1-%d: ", len(items)))
		if err != nil {
			return nil, false, err
		}
		s, fresh, err := items[n-1].run()
		if err != nil && !errors.Is(err, errAccQuit) && !errors.Is(err, errAccInterrupt) && !errors.Is(err, checklist.ErrLocked) && a.ctx.Err() == nil {
			a.say("! %s", accDescribe(err))
			continue // back to the start menu
		}
		return s, fresh, err
	}
}

// pick reads a number from 1 to n (no default).
func (a *accessible) pick(n int, prompt string) (int, error) {
	for {
		v, err := a.askNoSkip(prompt, false)
		if err != nil {
			return 0, err
		}
		if i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), ".")); err == nil && i >= 1 && i <= n {
			return i, nil
		}
		a.say("! Type a number from 1 to %d (q quits).", n)
	}
}

func realProviders() []provider.Info { return provider.Real() }

// resumeIncident opens a saved incident, asking for its credential when
// neither the environment nor the keyring has it.
func (a *accessible) resumeIncident(b *backend, s checklist.Summary) (*Session, bool, error) {
	if !s.Drill {
		a.resume = "reclaim --accessible"
	}
	sess, err := b.Open(s.ID, "")
	if errors.Is(err, ErrNeedCredential) {
		f, ok := provider.Lookup(s.Provider)
		if !ok {
			return nil, false, err
		}
		cred, cerr := a.credential(f.Info)
		if cerr != nil {
			return nil, false, cerr
		}
		sess, err = b.Open(s.ID, cred)
	}
	if err != nil {
		return nil, false, err
	}
	e := sess.Engine
	inc := e.Snapshot()
	a.blank()
	a.say("Resumed incident %s.", provider.SanitizeN(inc.ID, 60))
	if gaps := e.ReconcileWithJournal(); len(gaps) > 0 {
		a.say("! The journal does not back the saved progress (%d gaps). Steps it does not back were set back to open; the report lists this as a known gap:", len(gaps))
		for _, g := range gaps {
			a.say("  - %s", provider.SanitizeN(g, 300))
		}
	}
	return sess, false, nil
}

// startReal asks which provider and (unless the environment or keyring
// has it) the credential, then starts the recovery.
func (a *accessible) startReal(b *backend) (*Session, bool, error) {
	provs := realProviders()
	a.blank()
	a.say("Which provider's account was compromised?")
	for i, p := range provs {
		a.say("  %d. %s", i+1, provider.Sanitize(p.Name))
	}
	n, err := a.pick(len(provs), fmt.Sprintf("Choose 1-%d: ", len(provs)))
	if err != nil {
		return nil, false, err
	}
	info := provs[n-1]
	cred, source := b.Credential(info)
	if cred != "" {
		a.say("Using the credential from the %s.", source)
	} else if cred, err = a.credential(info); err != nil {
		return nil, false, err
	}
	a.say("Connecting to %s.", provider.Sanitize(info.Name))
	a.resume = "reclaim --accessible"
	s, err := b.NewRecovery(info.ID, cred)
	return s, true, err
}

// credential asks for each credential field: without echo on a terminal,
// as a plain line from a pipe; never printed, never saved.
func (a *accessible) credential(info provider.Info) (string, error) {
	var parts []string
	given := 0
	for _, c := range info.Credentials {
		a.say("%s. Never saved; set %s to skip this.", provider.Sanitize(c.Prompt), c.EnvHint())
		if c.Help != "" {
			a.say("  %s", provider.Sanitize(c.Help))
		}
		need := "required"
		if c.Optional {
			need = "optional: Enter leaves it out"
		}
		for {
			v, err := a.askNoSkip(a.secretPrompt(need), true)
			if err != nil {
				return "", err
			}
			if v = strings.TrimSpace(v); v != "" {
				parts = append(parts, v)
				given++
				break
			}
			if c.Optional {
				parts = append(parts, provider.CredentialAbsent)
				break
			}
			a.say("! Required (q quits).")
		}
	}
	if given == 0 {
		return "", errors.New("no credential given")
	}
	return strings.Join(parts, ":"), nil
}

// secretPrompt is the prompt of a secret input.
func (a *accessible) secretPrompt(enter string) string {
	how := "input hidden"
	if !a.tty {
		how = "read from standard input, never shown"
	}
	return fmt.Sprintf("Secret (%s) [Enter: %s]: ", how, enter)
}

// brief prints the drill's briefing, or what a real account's key allows.
func (a *accessible) brief(e *checklist.Engine, fresh bool) {
	if !fresh {
		return
	}
	if sim := e.Simulator(); sim != nil {
		a.blank()
		a.say("Drill briefing:")
		for _, l := range strings.Split(strings.TrimSpace(sim.Briefing()), "\n") {
			a.say("  %s", provider.Sanitize(l))
		}
		return
	}
	if rep := e.Perms; rep != nil {
		var ok, lack []string
		for _, p := range rep.Items {
			if p.Allowed {
				ok = append(ok, p.Action)
			} else {
				lack = append(lack, fmt.Sprintf("%s (needs %s)", p.Action, strings.Join(p.Missing, ", ")))
			}
		}
		a.blank()
		a.say("Connected to %s. reclaim can do %d of %d steps through the API with this key.", provider.Sanitize(e.Provider().Info().Name), len(ok), len(ok)+len(lack))
		if len(lack) > 0 {
			a.say("Guided in the console instead (or restart with a key that has the scope):")
			for _, l := range lack {
				a.say("  - %s", provider.SanitizeN(l, 300))
			}
		}
	}
}

// walk runs every step still to do, then closes the incident. A step the
// owner leaves open (it could not be finished) stays to do, so the report
// shows it open, and the walk goes on past it, as the terminal UI does.
func (a *accessible) walk(e *checklist.Engine) error {
	leftOpen := map[checklist.StepID]bool{}
	announced := map[checklist.StepID]bool{}
	var forced checklist.StepID
	last := -1 // index of the last step gone through
	for guard := 0; guard < 1000; guard++ {
		id := forced
		forced = ""
		views := e.Views()
		if id == "" {
			for _, v := range views {
				if v.State.Status == checklist.StatusTodo && !leftOpen[v.Def.ID] {
					id = v.Def.ID
					break
				}
			}
		}
		if id == "" {
			for i := last + 1; i < len(views); i++ {
				a.notApplicable(views, i, announced)
			}
			if len(leftOpen) > 0 {
				a.blank()
				a.say("Gone through every step; %d left open (the report lists them). Run \"%s\" to come back to them.", len(leftOpen), a.resume)
			}
			return a.finish(e)
		}
		idx := slices.IndexFunc(views, func(v checklist.StepView) bool { return v.Def.ID == id })
		for i := last + 1; i < idx; i++ {
			a.notApplicable(views, i, announced)
		}
		last = idx
		end, err := a.step(e, id)
		if err != nil {
			return err
		}
		switch {
		case end.back != "":
			delete(leftOpen, id)
			delete(leftOpen, end.back)
			forced = end.back
			last = slices.IndexFunc(views, func(v checklist.StepView) bool { return v.Def.ID == end.back }) - 1
		case end.leaveOpen:
			leftOpen[id] = true
			a.say("Left open: %s. Nothing is claimed for it; the report lists it as open.", checklist.StepByID(id).Title)
		default:
			delete(leftOpen, id)
		}
	}
	return errors.New("the procedure does not advance")
}

// notApplicable says, once, that step i does not apply (so the step
// numbers have no gap).
func (a *accessible) notApplicable(views []checklist.StepView, i int, announced map[checklist.StepID]bool) {
	v := views[i]
	if v.State.Status != checklist.StatusNA || announced[v.Def.ID] {
		return
	}
	announced[v.Def.ID] = true
	a.blank()
	a.say("Step %d of %d: %s \u2014 not applicable (%s).", i+1, len(views), v.Def.Title, provider.SanitizeN(v.State.Reason, 300))
}

// stepEnd is how the owner left a step that was not finished.
type stepEnd struct {
	// leaveOpen: it stays open (to do) and the walk goes on.
	leaveOpen bool
	// back: the step to go through first (the one this step needs).
	back checklist.StepID
}

// step runs one step until it is finished, skipped, left open, or the
// owner goes back to the step it needs.
func (a *accessible) step(e *checklist.Engine, id checklist.StepID) (stepEnd, error) {
	for {
		err := a.stepOnce(e, id)
		switch {
		case err == nil:
			return stepEnd{}, nil
		case errors.Is(err, errAccSkip):
			done, err := a.skip(e, id)
			if err != nil || done {
				return stepEnd{}, err
			}
			continue
		case errors.Is(err, errAccQuit), errors.Is(err, errAccInterrupt), a.ctx.Err() != nil:
			return stepEnd{}, err
		}
		a.say("! %s", accDescribe(err))
		back := neededStep(e, id, err)
		prompt := "Press Enter to leave this step open and go on, r to go through it again, "
		if back != "" {
			prompt += "b to go back to \u201c" + checklist.StepByID(back).Title + "\u201d, "
		}
		prompt += "s to skip it (with a reason), q to quit: "
	again:
		v, err := a.ask(prompt, false)
		switch {
		case errors.Is(err, errAccSkip):
			done, err := a.skip(e, id)
			if err != nil || done {
				return stepEnd{}, err
			}
		case err != nil:
			return stepEnd{}, err
		default:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "":
				return stepEnd{leaveOpen: true}, nil
			case "r":
			case "b":
				if back == "" {
					a.say("! There is no step to go back to: type r, s, q, or press Enter.")
					goto again
				}
				return stepEnd{back: back}, nil
			default:
				a.say("! Not a choice: press Enter, or type r, b, s or q.")
				goto again
			}
		}
	}
}

// neededStep is the step a step that could not be finished needs: the one
// its not-ready message names ("… (Rotate \u203a Create the replacement key)"
// or a phase, "(Preserve evidence)"), else the applicable step before it.
func neededStep(e *checklist.Engine, id checklist.StepID, err error) checklist.StepID {
	views := e.Views()
	idx := slices.IndexFunc(views, func(v checklist.StepView) bool { return v.Def.ID == id })
	if idx <= 0 {
		return ""
	}
	if errors.Is(err, checklist.ErrNotReady) {
		msg := err.Error()
		for rest := msg; ; {
			i := strings.IndexByte(rest, '(')
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i:], ')')
			if j < 0 {
				break
			}
			inner := rest[i+1 : i+j]
			rest = rest[i+j:]
			parts := strings.Split(inner, "\u203a")
			name := strings.TrimSpace(parts[len(parts)-1])
			for _, v := range views[:idx] {
				if v.State.Status != checklist.StatusNA && v.Def.Title == name {
					return v.Def.ID
				}
			}
			for _, v := range views[:idx] {
				if v.State.Status != checklist.StatusNA && string(v.Def.Phase) == name {
					return v.Def.ID
				}
			}
		}
	}
	for i := idx - 1; i >= 0; i-- {
		if views[i].State.Status != checklist.StatusNA {
			return views[i].Def.ID
		}
	}
	return ""
}

// skip asks why and skips the step; false when the owner went back.
func (a *accessible) skip(e *checklist.Engine, id checklist.StepID) (bool, error) {
	title := checklist.StepByID(id).Title
	for {
		why, err := a.askNoSkip("Why skip \u201c"+title+"\u201d? The report shows it (Enter alone goes back to the step): ", false)
		if err != nil {
			return false, err
		}
		if strings.TrimSpace(why) == "" {
			return false, nil
		}
		if err := e.Skip(id, strings.TrimSpace(why)); err != nil {
			a.say("! %s", accDescribe(err))
			continue
		}
		a.say("Result: skipped. %s", provider.SanitizeN(e.View(id).State.Statement, 600))
		return true, nil
	}
}

// stepOnce shows a step, asks its questions, proposes its changes,
// applies those the owner accepts and finishes it.
func (a *accessible) stepOnce(e *checklist.Engine, id checklist.StepID) error {
	if err := e.SetCursor(id); err != nil {
		return err
	}
	refreshErr := e.Refresh(a.ctx, id)
	a.header(e, id)
	if refreshErr != nil {
		a.say("! Could not read the account: %s", accDescribe(refreshErr))
	}
	var answers map[string]string
	for {
		qs := e.Questions(id)
		in, err := a.questions(e, id, qs)
		if err != nil {
			return err
		}
		answers = in.answers
		if err := e.Answer(id, answers); err != nil {
			return err
		}
		// A change that needs several secrets, only some of them typed (a
		// new password without the current one): ask again rather than
		// drop what was typed in silence.
		if why := partialInputs(e.Plan(id), qs, in.typed); why != "" {
			clear(in.inputs)
			a.say("! %s", why)
			continue
		}
		switch checklist.StepByID(id).Runner {
		case checklist.RunScan:
			a.scan(e, answers)
		case checklist.RunReportPreview:
			if err := a.fileReport(e); err != nil {
				return err
			}
		}
		err = a.changes(e, id, in.inputs)
		clear(in.inputs)
		if errors.Is(err, errAccAgain) {
			continue // the change needed typed secrets: ask for them again
		}
		if err != nil {
			return err
		}
		break
	}
	// Read back what the step changed before it is judged.
	_ = e.Refresh(a.ctx, id)
	if err := e.Complete(id, answers); err != nil {
		return err
	}
	st := e.View(id).State
	a.say("Result: %s. %s", st.Level, provider.SanitizeN(st.Statement, 1500))
	return nil
}

// partialInputs says which change was left out because only some of the
// secrets it needs were typed, as the UI does.
func partialInputs(plan []checklist.Action, qs []checklist.Question, typed map[string]bool) string {
	for _, act := range plan {
		var given, missing []string
		for _, n := range strings.Split(act.Params["needs"], ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			if typed[n] {
				given = append(given, n)
				continue
			}
			for _, q := range qs {
				if q.ID == n {
					missing = append(missing, "\u201c"+q.Prompt+"\u201d")
				}
			}
		}
		if len(given) > 0 && len(missing) > 0 {
			return fmt.Sprintf("%s: %s was left empty, so nothing was changed. Type it, or leave every field empty to do this later (the step then stays open).", act.Label, strings.Join(missing, " and "))
		}
	}
	return ""
}

// modeText says in words how a step is carried out.
func modeText(m checklist.Mode) string {
	switch m {
	case checklist.ModeAuto:
		return "automated: reclaim does it through the provider's API"
	case checklist.ModeGuided:
		return "guided: you do it in the provider's console; reclaim says where and what to record"
	}
	return string(m)
}

// header prints what the step is, why it matters, how it is known so far,
// the guide and the inventory context that matters.
func (a *accessible) header(e *checklist.Engine, id checklist.StepID) {
	views := e.Views()
	v := e.View(id)
	d := v.Def
	n := slices.IndexFunc(views, func(x checklist.StepView) bool { return x.Def.ID == id }) + 1
	a.blank()
	mark := ""
	if e.IsDryRun() {
		mark = "DRY RUN. "
	}
	a.say("%sStep %d of %d: %s", mark, n, len(views), d.Title)
	a.say("Phase: %s", d.Phase)
	a.say("How: %s", modeText(v.Mode))
	if v.Mode == checklist.ModeGuided && v.NAWhy != "" {
		a.say("Guided because: %s", provider.Sanitize(v.NAWhy))
	}
	a.say("Why: %s", d.Why)
	st := v.State
	if st.Level != "" {
		a.say("Known so far: %s. %s", st.Level, provider.SanitizeN(st.Statement, 600))
	} else {
		a.say("Known so far: nothing is recorded for this step yet.")
	}
	for _, ev := range st.Evidence {
		a.say("  Evidence at %s: %s", ev.At.UTC().Format("2006-01-02 15:04Z"), provider.SanitizeN(ev.Summary, 300))
	}
	if v.Mode == checklist.ModeGuided && v.Console != "" {
		a.say("Console: %s", provider.Sanitize(v.Console))
	}
	if v.Mode != checklist.ModeAuto {
		for _, l := range v.Guide.LookFor {
			a.say("Look for: %s", l)
		}
		for _, l := range v.Guide.Record {
			a.say("Record: %s", l)
		}
	}
	if sim := e.Simulator(); sim != nil && d.Item != "" && v.Mode == checklist.ModeGuided {
		if lines := sim.ConsoleView(d.Item); len(lines) > 0 {
			a.say("The simulated console shows:")
			for _, l := range lines {
				a.say("  %s", provider.SanitizeN(l, 300))
			}
		}
	}
	for _, l := range accContext(e, id) {
		a.say("%s", l)
	}
}

// accContext is what the inventory says that matters to a step, in words.
func accContext(e *checklist.Engine, id checklist.StepID) []string {
	acct := e.Snapshot().Account()
	if acct == nil {
		return nil
	}
	inv := acct.Current()
	if inv == nil {
		return nil
	}
	var out []string
	switch id {
	case checklist.StepInventory:
		out = append(out, fmt.Sprintf("Recorded at %s UTC, before any change:", inv.TakenAt.UTC().Format("2006-01-02 15:04:05")))
		out = append(out, fmt.Sprintf("  %d API keys, %d teammates and invites, %d subusers, %d webhooks and parse routes", len(inv.Keys), len(inv.Teammates), len(inv.Subusers), len(inv.Webhooks)))
		out = append(out, fmt.Sprintf("  %d mail settings, %d sender identities, %d allow-list entries, %d access records", len(inv.MailSettings), len(inv.Senders), len(inv.AllowList), len(inv.Activity)))
		if inv.Mail != nil {
			out = append(out, fmt.Sprintf("  %d messages sent in the last 30 days", inv.Mail.Total))
		}
		for _, sec := range sortedMapKeys(inv.Errors) {
			out = append(out, "  Warning: could not read "+sec+": "+provider.SanitizeN(inv.Errors[sec], 300))
		}
		for _, sec := range sortedMapKeys(inv.Truncated) {
			out = append(out, "  Warning: incomplete: "+sec+" "+provider.SanitizeN(inv.Truncated[sec], 200))
		}
		out = append(out, fmt.Sprintf("  %d open findings: review them in the next step.", openFindings(acct)))
	case checklist.StepReview:
		var fs []checklist.Finding
		for _, f := range acct.Findings {
			if !f.Resolved {
				fs = append(fs, f)
			}
		}
		rank := map[string]int{checklist.High: 0, checklist.Medium: 1, checklist.Low: 2}
		sort.SliceStable(fs, func(i, j int) bool { return rank[fs[i].Severity] < rank[fs[j].Severity] })
		if len(fs) > 0 {
			out = append(out, fmt.Sprintf("Open findings (%d):", len(fs)))
		}
		for i, f := range fs {
			if i == 40 {
				out = append(out, fmt.Sprintf("  and %d more (the report lists them all)", len(fs)-i))
				break
			}
			out = append(out, fmt.Sprintf("  %s severity: %s", f.Severity, provider.SanitizeN(f.Title, 200)))
		}
	case checklist.StepRevokeKeys, checklist.StepAuditKeys:
		out = append(out, fmt.Sprintf("API keys now (%d):", len(inv.Keys)))
		for _, k := range inv.Keys {
			tag := ""
			if k.ID == e.SessionKeyID {
				tag = " (reclaim is using it)"
			}
			for _, nk := range acct.NewKeys {
				if nk.ID == k.ID {
					tag = " (your replacement)"
				}
			}
			out = append(out, fmt.Sprintf("  key %s, id %s…%s", provider.SanitizeN(k.Name, 80), provider.SanitizeN(shortID(k.ID), 6), tag))
		}
	case checklist.StepAuditTeammates:
		out = append(out, fmt.Sprintf("Teammates and invites now (%d):", len(inv.Teammates)))
		for _, t := range inv.Teammates {
			who := "teammate " + provider.SanitizeN(t.Username, 60)
			if t.Pending {
				who = "pending invite"
			}
			role := ""
			if t.Admin {
				role = ", admin"
			}
			out = append(out, fmt.Sprintf("  %s <%s>%s", who, provider.SanitizeN(t.Email, 80), role))
		}
	case checklist.StepAuditWebhooks:
		out = append(out, fmt.Sprintf("Webhooks and parse routes now (%d):", len(inv.Webhooks)))
		for _, w := range inv.Webhooks {
			out = append(out, fmt.Sprintf("  %s to %s", provider.Sanitize(w.Kind), provider.SanitizeN(w.URL, 200)))
		}
	case checklist.StepAuditSubusers:
		out = append(out, fmt.Sprintf("Subusers now (%d):", len(inv.Subusers)))
		for _, su := range inv.Subusers {
			state := "enabled"
			if su.Disabled {
				state = "disabled"
			}
			out = append(out, fmt.Sprintf("  subuser %s <%s>, %s", provider.SanitizeN(su.Username, 60), provider.SanitizeN(su.Email, 80), state))
		}
	case checklist.StepAuditMailSetting:
		out = append(out, fmt.Sprintf("Mail settings now (%d):", len(inv.MailSettings)))
		for _, ms := range inv.MailSettings {
			on := "off"
			if ms.Enabled {
				on = "on"
			}
			val := ""
			if ms.Value != "" {
				val = ": " + provider.SanitizeN(ms.Value, 120)
			}
			out = append(out, fmt.Sprintf("  %s is %s%s", provider.SanitizeN(ms.Name, 60), on, val))
		}
	case checklist.StepAuditSenders:
		out = append(out, fmt.Sprintf("Sender identities now (%d):", len(inv.Senders)))
		for _, x := range inv.Senders {
			out = append(out, fmt.Sprintf("  %s %s", provider.Sanitize(x.Kind), provider.SanitizeN(x.Address, 120)))
		}
	case checklist.StepAuditIPAccess:
		if len(inv.AllowList) == 0 {
			out = append(out, "The allow list is empty: any address can log in or use a key.")
		} else {
			out = append(out, fmt.Sprintf("Allow list now (%d):", len(inv.AllowList)))
		}
		for _, r := range inv.AllowList {
			out = append(out, "  allow "+provider.SanitizeN(r.CIDR, 60))
		}
	case checklist.StepAuditMail:
		if ms := inv.Mail; ms != nil {
			out = append(out, fmt.Sprintf("%d messages since %s.", ms.Total, ms.Since.UTC().Format("2006-01-02")))
			busiest, most := "", -1
			for _, d := range sortedMapKeys(ms.PerDay) {
				if ms.PerDay[d] > most {
					busiest, most = d, ms.PerDay[d]
				}
			}
			if busiest != "" {
				out = append(out, fmt.Sprintf("  Busiest day: %s, %d messages.", provider.SanitizeN(busiest, 20), most))
			}
			for i, sc := range ms.Subjects {
				if i == 10 {
					break
				}
				out = append(out, fmt.Sprintf("  %d sent with the subject: %s", sc.Count, provider.SanitizeN(sc.Subject, 160)))
			}
		}
	}
	return out
}

func openFindings(acct *checklist.AccountState) int {
	n := 0
	for _, f := range acct.Findings {
		if !f.Resolved {
			n++
		}
	}
	return n
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func shortID(id string) string {
	if len(id) > 6 {
		return id[:6]
	}
	return id
}

// stepInput is what the owner gave on a step: the answers (saved), the
// secrets (used for this step only, never saved) and which of those
// secrets were typed (a drill's console key taken on Enter was not).
type stepInput struct {
	answers map[string]string
	inputs  map[string]string
	typed   map[string]bool
}

// lookup is another question's answer so far (for validators that compare
// answers: a confirmation, a code against its setup key).
func (in stepInput) lookup(id string) string {
	if v, ok := in.inputs[id]; ok {
		return v
	}
	return in.answers[id]
}

// questions asks a step's visible questions in order.
func (a *accessible) questions(e *checklist.Engine, id checklist.StepID, qs []checklist.Question) (stepInput, error) {
	in := stepInput{answers: map[string]string{}, inputs: map[string]string{}, typed: map[string]bool{}}
	prev := e.View(id).State.Answers
	setupGiven := func() bool {
		for _, q := range qs {
			if q.Kind == checklist.QOTPSetup && strings.TrimSpace(in.inputs[q.ID]) != "" {
				return true
			}
		}
		return false
	}
	hasSetup := slices.ContainsFunc(qs, func(q checklist.Question) bool { return q.Kind == checklist.QOTPSetup })
	for i := 0; i < len(qs); i++ {
		q := qs[i]
		if !q.Visible(in.answers) {
			continue
		}
		if q.Kind == checklist.QOTPCode && hasSetup && !setupGiven() {
			continue // no setup key: no codes to check
		}
		a.blank()
		a.say("Question: %s", provider.Sanitize(q.Prompt))
		if q.Help != "" {
			a.say("  %s", provider.Sanitize(q.Help))
		}
		if q.Hint != "" {
			a.say("  Drill script: %s", provider.SanitizeN(q.Hint, 120))
		}
		var err error
		switch q.Kind {
		case checklist.QSelect, checklist.QConfirm:
			in.answers[q.ID], err = a.askSelect(q, prev)
		case checklist.QMulti:
			in.answers[q.ID], err = a.askMulti(q)
		case checklist.QText:
			in.answers[q.ID], err = a.askText(q)
		case checklist.QSecret:
			var back string
			back, err = a.askSecret(q, in)
			if err == nil && back != "" {
				// the two entries differed: type both again
				if j := slices.IndexFunc(qs, func(x checklist.Question) bool { return x.ID == back }); j >= 0 {
					i = j - 1
				}
				continue
			}
		case checklist.QOTPSetup:
			err = a.askSetup(q, in)
		case checklist.QOTPCode:
			err = a.askCode(q, in)
		default:
			continue
		}
		if err != nil {
			clear(in.inputs)
			return stepInput{}, err
		}
	}
	return in, nil
}

// askSelect lists the options numbered, "No answer yet" first; an empty
// line chooses it. No other answer is ever preselected.
func (a *accessible) askSelect(q checklist.Question, prev map[string]string) (string, error) {
	opts := q.Options
	if !slices.ContainsFunc(opts, func(o checklist.Option) bool { return o.Value == "" }) {
		opts = append([]checklist.Option{checklist.NoAnswer}, opts...)
	} else if opts[0].Value != "" {
		j := slices.IndexFunc(opts, func(o checklist.Option) bool { return o.Value == "" })
		opts = append(append([]checklist.Option{opts[j]}, opts[:j]...), opts[j+1:]...)
	}
	for i, o := range opts {
		a.say("  %d. %s", i+1, provider.SanitizeN(o.Label, 300))
	}
	if q.Default != "" {
		if j := slices.IndexFunc(opts, func(o checklist.Option) bool { return o.Value == q.Default }); j > 0 {
			what := "Suggested"
			if _, ok := prev[q.ID]; ok {
				what = "Your earlier answer"
			}
			a.say("  %s: %d, %s (type %d to choose it).", what, j+1, provider.SanitizeN(opts[j].Label, 200), j+1)
		}
	}
	for {
		v, err := a.ask(fmt.Sprintf("Choose 1-%d [Enter: 1, %s]: ", len(opts), lowerFirst(opts[0].Label)), false)
		if err != nil {
			return "", err
		}
		v = strings.TrimSuffix(strings.TrimSpace(v), ".")
		if v == "" {
			return opts[0].Value, nil
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= len(opts) {
			return opts[n-1].Value, nil
		}
		a.say("! Not a choice: type a number from 1 to %d, or press Enter for %s (s skips the step, q quits).", len(opts), lowerFirst(opts[0].Label))
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// askMulti lists the options numbered; the answer is a comma-separated
// list of numbers (ranges such as 2-4 too); an empty line ticks none.
func (a *accessible) askMulti(q checklist.Question) (string, error) {
	if len(q.Options) == 0 {
		return "", nil
	}
	for i, o := range q.Options {
		a.say("  %d. %s", i+1, provider.SanitizeN(o.Label, 300))
	}
	for {
		v, err := a.ask(fmt.Sprintf("Numbers 1-%d, comma separated [Enter: none]: ", len(q.Options)), false)
		if err != nil {
			return "", err
		}
		picked, perr := parseNumbers(v, len(q.Options))
		if perr != nil {
			a.say("! %s (s skips the step, q quits).", perr)
			continue
		}
		var vals []string
		for _, n := range picked {
			vals = append(vals, q.Options[n-1].Value)
		}
		return strings.Join(vals, ","), nil
	}
}

// parseNumbers reads "1, 3 5-7" as 1,3,5,6,7 (each at most once, in order).
func parseNumbers(s string, max int) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		f = strings.TrimSuffix(f, ".")
		lo, hi, isRange := strings.Cut(f, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 1 || b > max || a > b {
			return nil, fmt.Errorf("%q is not a number from 1 to %d", f, max)
		}
		for n := a; n <= b; n++ {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// askText reads a line. A suggested value (or the owner's earlier
// answer) is kept on Enter; "-" clears it.
func (a *accessible) askText(q checklist.Question) (string, error) {
	prompt := "Text [Enter: leave empty]: "
	if q.Default != "" {
		prompt = fmt.Sprintf("Text [Enter: keep %q; - clears it]: ", provider.SanitizeN(q.Default, 200))
	}
	for {
		v, err := a.ask(prompt, false)
		if err != nil {
			return "", err
		}
		v = strings.TrimSpace(v)
		switch {
		case v == "" && q.Default != "":
			v = q.Default
		case v == "-":
			v = ""
		}
		if q.Validate != nil {
			if err := q.Validate(v, nil); err != nil {
				a.say("! %s", accDescribe(err))
				continue
			}
		}
		return v, nil
	}
}

// askSecret reads a password or pasted key: no echo on a terminal, never
// printed. back is true when the new password must be typed again.
func (a *accessible) askSecret(q checklist.Question, in stepInput) (back string, err error) {
	enter := "leave empty: the step stays open"
	if q.Validate != nil && q.Validate("", in.lookup) != nil {
		enter = "required"
	}
	for {
		v, err := a.ask(a.secretPrompt(enter), true)
		if err != nil {
			return "", err
		}
		if q.Validate != nil {
			if err := q.Validate(v, in.lookup); err != nil {
				var mm *checklist.MismatchError
				if errors.As(err, &mm) {
					// The confirmation differs: type both again.
					a.say("! %s", accDescribe(err))
					delete(in.inputs, mm.With)
					delete(in.typed, mm.With)
					return mm.With, nil
				}
				msg := accDescribe(err)
				if msg == "required" {
					msg = "required: paste it, or type s to skip the step"
				}
				a.say("! %s", msg)
				continue
			}
		}
		in.inputs[q.ID] = v
		in.typed[q.ID] = strings.TrimSpace(v) != ""
		return "", nil
	}
}

// askSetup reads a 2FA setup key (no echo on a terminal); a drill offers
// the key its simulated console shows.
func (a *accessible) askSetup(q checklist.Question, in stepInput) error {
	enter := "none: you enrol another way"
	if strings.TrimSpace(q.Default) != "" {
		enter = "use the key the simulated console shows (not printed)"
	}
	for {
		v, err := a.ask(a.secretPrompt(enter), true)
		if err != nil {
			return err
		}
		typed := strings.TrimSpace(v) != ""
		if !typed {
			v = q.Default
		}
		if strings.TrimSpace(v) == "" {
			return nil
		}
		if q.Validate != nil {
			if err := q.Validate(v, in.lookup); err != nil {
				a.say("! %s", accDescribe(err))
				continue
			}
		}
		in.inputs[q.ID], in.typed[q.ID] = v, typed
		in.answers[q.ID+".given"] = "yes"
		a.say("  Add this key to your authenticator app by hand (reclaim does not print it), then type two consecutive codes, or leave them empty to check later.")
		return nil
	}
}

// askCode reads an authenticator code and checks it against the setup key.
func (a *accessible) askCode(q checklist.Question, in stepInput) error {
	for {
		v, err := a.ask(a.secretPrompt("none: check later, the step stays open"), true)
		if err != nil {
			return err
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return nil
		}
		if q.Validate != nil {
			if err := q.Validate(v, in.lookup); err != nil {
				a.say("! %s", accDescribe(err))
				continue
			}
		}
		in.inputs[q.ID], in.typed[q.ID] = v, true
		in.answers[q.ID+".given"] = "yes"
		return nil
	}
}

// scan runs the leak scan over the folders answered.
func (a *accessible) scan(e *checklist.Engine, answers map[string]string) {
	roots := checklist.ScanPaths(answers)
	e.SetScanScope(checklist.ScanScopeOf(answers))
	a.say("Scanning. What is found is recorded as evidence.")
	n, err := e.Scan(a.ctx, roots, nil)
	if err != nil {
		a.say("! %s", accDescribe(err))
		return
	}
	line := fmt.Sprintf("Scan finished: %d findings recorded as evidence.", n)
	if acct := e.Snapshot().Account(); acct != nil && len(acct.Scans) > 0 {
		switch last := acct.Scans[len(acct.Scans)-1]; {
		case last.Partial:
			line = fmt.Sprintf("PARTIAL scan: %d findings recorded; %s", n, provider.SanitizeN(last.Error, 300))
		case last.Incomplete != "":
			line = fmt.Sprintf("INCOMPLETE scan: %d findings recorded; left out: %s", n, provider.SanitizeN(last.Incomplete, 300))
		}
	}
	a.say("%s", line)
}

// changes proposes the step's changes (those whose typed secrets were
// given), asks which to make and applies them.
func (a *accessible) changes(e *checklist.Engine, id checklist.StepID, inputs map[string]string) error {
	for {
		plan := slices.DeleteFunc(e.Plan(id), func(act checklist.Action) bool { return !checklist.HasInputs(act, inputs) })
		if len(plan) == 0 {
			return nil
		}
		var rec []int
		a.blank()
		if e.IsDryRun() {
			a.say("DRY RUN. Proposed changes (nothing will change; each is journaled as \"would …\"):")
		} else {
			a.say("Proposed changes:")
		}
		for i, act := range plan {
			var tags []string
			if act.Recommended {
				tags = append(tags, "recommended")
				rec = append(rec, i+1)
			} else {
				tags = append(tags, "not recommended")
			}
			if act.Destructive {
				tags = append(tags, "destructive")
			}
			a.say("  %d. %s (%s)", i+1, provider.SanitizeN(act.Label, 300), strings.Join(tags, ", "))
			if act.Reason != "" {
				a.say("     Because: %s", provider.SanitizeN(act.Reason, 300))
			}
			if u := act.Params["undo"]; u != "" {
				a.say("     Undo: %s", provider.SanitizeN(u, 300))
			}
		}
		var chosen []checklist.Action
		for {
			var prompt string
			if len(rec) > 0 {
				a.say("y applies the %d recommended; numbers such as 1,3 apply only those; Enter or n applies none.", len(rec))
				prompt = fmt.Sprintf("Apply these %d changes? [y/N]: ", len(rec))
			} else {
				a.say("Numbers such as 1,3 apply those changes; Enter or n applies none.")
				prompt = "Apply any of these changes? [numbers/N]: "
			}
			v, err := a.ask(prompt, false)
			if err != nil {
				return err
			}
			v = strings.ToLower(strings.TrimSpace(v))
			var nums []int
			switch v {
			case "", "n", "no":
			case "y", "yes":
				nums = rec
			default:
				var perr error
				if nums, perr = parseNumbers(v, len(plan)); perr != nil {
					a.say("! %s: type y, n, or the numbers of the changes to make.", perr)
					continue
				}
			}
			for _, n := range nums {
				chosen = append(chosen, plan[n-1])
			}
			break
		}
		left := 0
		for _, n := range rec {
			if !slices.ContainsFunc(chosen, func(c checklist.Action) bool { return c.Key == plan[n-1].Key }) {
				left++
			}
		}
		switch {
		case left == 1:
			a.say("1 recommended change left out: it stays open in the report.")
		case left > 1:
			a.say("%d recommended changes left out: they stay open in the report.", left)
		}
		if len(chosen) == 0 {
			return nil
		}
		failed, needSecrets := false, false
		for _, act := range chosen {
			res, err := e.Apply(a.ctx, id, act, inputs)
			if err != nil {
				if a.ctx.Err() != nil {
					return a.ctx.Err()
				}
				a.say("! Failed: %s: %s", provider.SanitizeN(act.Label, 200), accDescribe(err))
				failed = true
				needSecrets = needSecrets || act.Params["needs"] != ""
				break
			}
			switch res.Outcome {
			case "dry-run":
				a.say("  DRY RUN: %s", provider.SanitizeN(res.Detail, 300))
			default:
				line := fmt.Sprintf("  %s: %s", res.Outcome, provider.SanitizeN(act.Label, 300))
				if res.Detail != "" {
					line += " (" + provider.SanitizeN(res.Detail, 300) + ")"
				}
				a.say("%s", line)
			}
			if res.NewKey != nil {
				if err := a.newKey(e, res.NewKey); err != nil {
					return err
				}
			}
			if res.Rotated != nil {
				if err := a.rotated(res.Rotated); err != nil {
					return err
				}
			}
		}
		if !failed {
			return nil
		}
		if needSecrets {
			clear(inputs)
			return errAccAgain // ask for the secrets again
		}
		// re-plan: what is done is no longer proposed
	}
}

// newKey shows a new key once: masked, in full only on request and only
// to a terminal.
func (a *accessible) newKey(e *checklist.Engine, k *provider.NewKey) error {
	where := "memory only (no OS keyring here): it is gone when reclaim exits"
	if e.Secrets().InKeyring(k.ID) {
		where = "the OS keyring (service \"reclaim\")"
	}
	a.blank()
	a.say("New key created, shown once: name %s, id %s, scopes %s.", provider.SanitizeN(k.Name, 120), provider.SanitizeN(k.ID, 80), provider.SanitizeN(strings.Join(k.Scopes, ", "), 300))
	a.say("Masked: %s", maskKey(k.Secret))
	a.say("Kept in %s. It is never written to a file.", where)
	a.say("Store it in your secret manager now, then put it where the old key lived.")
	if !a.ttyOut {
		a.say("Standard output is not a terminal (a pipe or a file), so the key is not printed here: a log must not hold it. reclaim uses it for this session; to see it, run reclaim in a terminal, or create another key in the console.")
		return nil
	}
	return a.revealOnce(k.Secret)
}

// rotated shows a rotated secret's new value once, as newKey does; reclaim
// keeps it nowhere.
func (a *accessible) rotated(r *provider.RotatedSecret) error {
	a.blank()
	a.say("Secret rotated, new value shown once: %s %s, id %s.", provider.SanitizeN(r.Kind, 30), provider.SanitizeN(r.Name, 120), provider.SanitizeN(r.ID, 80))
	a.say("Masked: %s", maskKey(r.Value))
	if n := strings.TrimSpace(r.Note); n != "" {
		a.say("%s", provider.SanitizeN(n, 300))
	}
	a.say("reclaim does not keep it: it is never written to a file and is gone when you go on.")
	a.say("Store it in your secret manager now, then put it where the old value lived.")
	if !a.ttyOut {
		a.say("Standard output is not a terminal (a pipe or a file), so the value is not printed here: a log must not hold it. Rotate it again in the console from a terminal if you did not keep it.")
		return nil
	}
	return a.revealOnce(r.Value)
}

// revealOnce offers to print a secret in full once.
func (a *accessible) revealOnce(secret string) error {
	for {
		v, err := a.askNoSkip("Type v to print it in full once (it stays in the terminal's scrollback), or press Enter once you have stored it: ", false)
		if err != nil {
			return err
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "v":
			a.say("%s", provider.Sanitize(secret))
		case "":
			return nil
		default:
			a.say("! Type v, or press Enter.")
		}
	}
}

func maskKey(s string) string {
	n := len([]rune(s))
	if n <= 8 {
		return strings.Repeat("*", n)
	}
	r := []rune(provider.Sanitize(s))
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// fileReport offers to print the report, send it by email, or record a
// console filing with its ticket id, until the owner goes on.
func (a *accessible) fileReport(e *checklist.Engine) error {
	info := e.Provider().Info()
	for {
		a.blank()
		a.say("File the report with support. The step stays open until it is filed and signed off.")
		switch {
		case info.Support.Email != "":
			a.say("Support takes it at %s, or in your open ticket.", provider.Sanitize(info.Support.Email))
		case info.Support.URL != "":
			a.say("Open a ticket at %s and paste the report into it.", provider.Sanitize(info.Support.URL))
		}
		opts := []string{
			"Not now: go on",
			"Print the report here (to read it, or to copy it into a ticket)",
			"Send it by email (SMTP settings from RECLAIM_SMTP_HOST, RECLAIM_SMTP_PORT, RECLAIM_SMTP_USER, RECLAIM_SMTP_PASSWORD, RECLAIM_SMTP_TO)",
			"I filed it in the console: record the ticket id",
		}
		for i, o := range opts {
			a.say("  %d. %s", i+1, o)
		}
		v, err := a.ask(fmt.Sprintf("Choose 1-%d [Enter: 1, not now]: ", len(opts)), false)
		if err != nil {
			return err
		}
		switch strings.TrimSuffix(strings.TrimSpace(v), ".") {
		case "", "1":
			acct := e.Snapshot().Account()
			if !e.Snapshot().Filed() || acct == nil || strings.TrimSpace(acct.Step(checklist.StepReport).Answers[checklist.AnswerSignoffName]) == "" {
				a.say("Not filed with support yet, or no sign-off name: the step stays open in the report.")
			}
			return nil
		case "2":
			r := e.BuildReport()
			a.say("Report (Markdown) begins.")
			for _, l := range strings.Split(r.Markdown(), "\n") {
				a.say("%s", provider.Sanitize(l))
			}
			a.say("Report ends.")
		case "3":
			a.say("%s", a.sendReport(e))
		case "4":
			t, err := a.askNoSkip("The ticket id or URL support gave you (Enter alone goes back): ", false)
			if err != nil {
				return err
			}
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			if err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledInConsole, To: info.Support.URL, Ticket: t, Report: e.BuildReport()}); err != nil {
				a.say("! %s", accDescribe(err))
				continue
			}
			a.say("Recorded that you filed the report in the console as ticket %s.", provider.SanitizeN(t, 200))
		default:
			a.say("! Type a number from 1 to %d, or press Enter to go on.", len(opts))
		}
	}
}

// sendReport mails the report with the SMTP settings of the environment
// and journals the attempt; it returns what to say.
func (a *accessible) sendReport(e *checklist.Engine) string {
	if e.IsDryRun() {
		return "! This is a DRY RUN: nothing was changed on the account, so its report cannot be sent to support."
	}
	to := e.Provider().Info().Support.Email
	cfg, err := filing.ForSupport(os.Getenv, to)
	if err != nil {
		return "! " + accDescribe(err) + ". Set RECLAIM_SMTP_HOST, RECLAIM_SMTP_PORT, RECLAIM_SMTP_USER, RECLAIM_SMTP_PASSWORD and RECLAIM_SMTP_TO, or use \"reclaim report --send --to ADDRESS\"."
	}
	r := e.BuildReport()
	id, err := filing.Send(a.ctx, cfg, r)
	rcpt := strings.Join(cfg.To, ", ")
	_ = e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: rcpt, MessageID: id, Report: r, Err: err})
	if err != nil {
		return "! " + accDescribe(err) + ". The report is kept; nothing was lost."
	}
	return "Sent to " + provider.SanitizeN(rcpt, 300) + " (Message-ID " + provider.SanitizeN(id, 200) + "), recorded in the journal."
}

// finish closes the incident, writes the report and says what it holds.
func (a *accessible) finish(e *checklist.Engine) error {
	a.blank()
	for _, v := range e.Views() {
		if v.State.Status == checklist.StatusNA {
			a.say("Not applicable: %s, %s (%s).", v.Def.Phase, v.Def.Title, provider.SanitizeN(v.State.Reason, 300))
		}
	}
	a.say("Closing the incident and writing the report.")
	r, err := e.Close(a.ctx)
	if err != nil {
		return err
	}
	a.blank()
	if p := e.ReportPath(); p != "" {
		a.say("Report written to %s", provider.Sanitize(p))
	}
	for _, l := range r.Summary {
		a.say("%s", provider.SanitizeN(l, 2000))
	}
	if len(r.OpenItems) == 0 {
		a.say("Open items: none.")
		return nil
	}
	a.say("Open items (%d):", len(r.OpenItems))
	for _, it := range r.OpenItems {
		a.say("  - %s", provider.SanitizeN(it, 1000))
	}
	return nil
}
