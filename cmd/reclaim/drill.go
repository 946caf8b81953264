package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
)

func init() {
	subcommands = append(subcommands, newDrillCmd)
}

func newDrillCmd() *cobra.Command {
	var autopilot, dryRun, fresh, list bool
	var scenario string
	c := &cobra.Command{
		Use:   "drill",
		Short: "Rehearse a recovery on a simulated compromised account",
		Long: `Walk the whole recovery procedure against a simulated compromised account.
Nothing touches a real provider. Progress is saved after every step; run
"reclaim drill" again to resume an unfinished drill.

Built-in scenarios (--list shows what each teaches): ` + strings.Join(drill.Scenarios(), ", ") + `

--scenario takes a built-in's name or a scenario file (a path containing /,
or a name ending in .yaml or .yml); the format is in docs/scenarios.md. A
file is checked before the drill starts, and each problem is reported as
FILE:LINE: field: message.

--autopilot runs without the terminal UI: it plays a step a minute on the
drill's clock, takes the recommended action at every step, goes back to the
steps an inject names when it strikes, writes the report and the
after-action report, prints the score and exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				return listScenarios(cmd.OutOrStdout())
			}
			if _, err := drill.LoadScenario(scenario); err != nil {
				return withCode(exitError, err)
			}
			if autopilot {
				return runAutopilot(cmd, scenario, dryRun)
			}
			return runTUI(cmd, tuiStart{drill: true, scenario: scenario, fresh: fresh, dryRun: dryRun})
		},
	}
	c.Flags().BoolVar(&autopilot, "autopilot", false, "no terminal UI: take the recommended action at every step, write the reports and print the score")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print what each change would do; change nothing")
	c.Flags().BoolVar(&fresh, "new", false, "start a new drill even if one is unfinished")
	c.Flags().BoolVar(&list, "list", false, "list the built-in scenarios and what each teaches")
	c.Flags().BoolVar(&accessibleMode, "accessible", false, "plain line-by-line prompts for screen readers and serial consoles (also RECLAIM_ACCESSIBLE=1)")
	c.Flags().StringVar(&scenario, "scenario", drill.DefaultScenario, "a built-in scenario's name, or a scenario file (.yaml)")
	return c
}

// listScenarios prints each built-in with its title and lesson.
func listScenarios(out io.Writer) error {
	for _, name := range drill.Scenarios() {
		sc, err := drill.LoadScenario(name)
		if err != nil {
			return withCode(exitError, err)
		}
		mark := ""
		if name == drill.DefaultScenario {
			mark = " (default)"
		}
		fmt.Fprintf(out, "%s%s — %s (%s)\n", provider.SanitizeN(name, 60), mark, provider.SanitizeN(sc.Title, 100), provider.SanitizeN(sc.Style, 20))
		for _, l := range wrap("Lesson: "+provider.SanitizeN(sc.Lesson, 600), 74) {
			fmt.Fprintf(out, "    %s\n", l)
		}
	}
	return nil
}

// wrap breaks s into lines of at most width runes, at spaces.
func wrap(s string, width int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > width {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

func runAutopilot(cmd *cobra.Command, scenario string, dryRun bool) error {
	b := newBackend()
	b.drillLatency = 0
	b.dryRun = dryRun
	s, err := b.NewDrill(scenario)
	if err != nil {
		return withCode(exitError, err)
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := cmd.OutOrStdout()
	inc := s.Engine.Snapshot()
	// Every line of a dry run says so (the step lines carry it already).
	mark := ""
	if dryRun {
		mark = "DRY RUN "
	}
	fmt.Fprintf(out, "%sreclaim drill (autopilot) — incident %s — scenario %s\n", mark, provider.SanitizeN(inc.ID, 60), provider.SanitizeN(inc.Scenario, 60))
	if dryRun {
		fmt.Fprintln(out, "DRY RUN: nothing will be changed; each change is printed as \"would …\"")
	}
	say := func(line string) { fmt.Fprintln(out, provider.Sanitize(line)) }
	r, db, err := checklist.DrillAutopilot(ctx, s.Engine, say, checklist.DrillRun{})
	if err != nil {
		if ctx.Err() != nil {
			return withCode(exitAborted, fmt.Errorf("interrupted; progress is saved: run \"reclaim drill\" to resume"))
		}
		return withCode(exitError, err)
	}
	if dryRun && !strings.HasPrefix(r.Summary[0], "DRY RUN") {
		r.Summary[0] = "DRY RUN " + r.Summary[0]
	}
	say(r.Summary[0])
	say(mark + r.Summary[1])
	fmt.Fprintf(out, "%sreport: %s\n", mark, provider.Sanitize(s.Engine.ReportPath()))
	fmt.Fprintf(out, "%safter-action report: %s\n", mark, provider.Sanitize(s.Engine.AfterActionPath()))
	for _, l := range db.Summary() {
		say(l)
	}
	return nil
}
