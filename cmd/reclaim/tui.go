package main

import (
	"errors"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
	"reclaim/tui"
)

type tuiStart struct {
	drill    bool
	scenario string
	fresh    bool
	dryRun   bool
}

// tuiBackend adapts the backend to the UI's interface.
type tuiBackend struct{ b *backend }

func (t tuiBackend) List() ([]checklist.Summary, error) { return t.b.List() }

func (t tuiBackend) NewDrill(scenario string) (*checklist.Engine, func(), error) {
	s, err := t.b.NewDrill(scenario)
	if err != nil {
		return nil, nil, err
	}
	return s.Engine, s.Close, nil
}

func (t tuiBackend) Open(id string) (*checklist.Engine, func(), error) {
	s, err := t.b.Open(id, "")
	if err != nil {
		return nil, nil, err
	}
	return s.Engine, s.Close, nil
}

func (t tuiBackend) Providers() []provider.Info { return provider.Real() }

func (t tuiBackend) Credential(info provider.Info) string {
	c, _ := t.b.Credential(info)
	return c
}

func (t tuiBackend) NewRecovery(id, cred string) (*checklist.Engine, func(), error) {
	s, err := t.b.NewRecovery(id, cred)
	if err != nil {
		return nil, nil, err
	}
	return s.Engine, s.Close, nil
}

func runTUI(cmd *cobra.Command, start tuiStart) error {
	if accessibleRequested() {
		return runAccessible(cmd, start) // plain prompts: accessible.go
	}
	if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
		return withCode(exitError, errors.New("the interactive UI needs a terminal; for scripts use \"reclaim drill --autopilot\" or \"reclaim audit\""))
	}
	b := newBackend()
	b.dryRun = start.dryRun
	// An unsafe state directory is refused before the UI starts, so the
	// whole message (with its fix) is printed.
	if err := b.store.Check(); err != nil {
		return withCode(exitError, err)
	}
	noColor := g.noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb"
	m := tui.New(tuiBackend{b}, tui.Options{Drill: start.drill, Scenario: start.scenario, DrillAbout: drill.About(start.scenario), Fresh: start.fresh, NoColor: noColor})
	// SIGINT, SIGHUP and SIGTERM cancel the command's context (see
	// watchSignals): the program stops and restores the terminal, and the
	// exit hooks save the incident and remove the drill's temporary tree.
	opts := []tea.ProgramOption{tea.WithContext(cmd.Context()), tea.WithoutSignalHandler()}
	if noColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	final, err := tea.NewProgram(m, opts...).Run()
	m.Close() // after a signal too: the lock is released, a drill's tree removed
	if err != nil && cmd.Context().Err() != nil {
		return withCode(exitAborted, nil) // a signal: main says which
	}
	if err != nil {
		return withCode(exitError, err)
	}
	if fm, ok := final.(*tui.Model); ok {
		if err := fm.ExitErr(); err != nil {
			if errors.Is(err, tui.ErrInterrupted) { // ctrl+c: saved, exit 130
				if msg := fm.ExitMessage(); msg != "" {
					fmt.Fprintln(cmd.OutOrStdout(), msg)
				}
				return withCode(exitAborted, nil)
			}
			if errors.Is(err, checklist.ErrLocked) {
				return withCode(exitLocked, err)
			}
			return withCode(exitError, err)
		}
		if msg := fm.ExitMessage(); msg != "" {
			fmt.Fprintln(cmd.OutOrStdout(), msg)
		}
	}
	return nil
}
