package main

import (
	"context"
	"fmt"
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
	var autopilot, dryRun, fresh bool
	var scenario string
	c := &cobra.Command{
		Use:   "drill",
		Short: "Rehearse a recovery on a built-in simulated compromised account",
		Long: `Walk the whole recovery procedure against a simulated compromised account.
Nothing touches a real provider. Progress is saved after every step; run
"reclaim drill" again to resume an unfinished drill.

Scenarios: ` + strings.Join(drill.Scenarios(), ", ") + `

--autopilot runs without the terminal UI: it takes the recommended action at
every step, prints one line per step, writes the report and exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := drill.LoadScenario(scenario); err != nil {
				return withCode(exitError, err)
			}
			if autopilot {
				return runAutopilot(cmd, scenario, dryRun)
			}
			return runTUI(cmd, tuiStart{drill: true, scenario: scenario, fresh: fresh, dryRun: dryRun})
		},
	}
	c.Flags().BoolVar(&autopilot, "autopilot", false, "no terminal UI: take the recommended action at every step and write the report")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print what each change would do; change nothing")
	c.Flags().BoolVar(&fresh, "new", false, "start a new drill even if one is unfinished")
	c.Flags().BoolVar(&accessibleMode, "accessible", false, "plain line-by-line prompts for screen readers and serial consoles (also RECLAIM_ACCESSIBLE=1)")
	c.Flags().StringVar(&scenario, "scenario", drill.DefaultScenario, "drill scenario")
	return c
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
	fmt.Fprintf(out, "%sreclaim drill (autopilot) — incident %s\n", mark, provider.SanitizeN(inc.ID, 60))
	if dryRun {
		fmt.Fprintln(out, "DRY RUN: nothing will be changed; each change is printed as \"would …\"")
	}
	r, err := checklist.Autopilot(ctx, s.Engine, func(line string) { fmt.Fprintln(out, line) })
	if err != nil {
		if ctx.Err() != nil {
			return withCode(exitAborted, fmt.Errorf("interrupted; progress is saved: run \"reclaim drill\" to resume"))
		}
		return withCode(exitError, err)
	}
	if dryRun && !strings.HasPrefix(r.Summary[0], "DRY RUN") {
		r.Summary[0] = "DRY RUN " + r.Summary[0]
	}
	fmt.Fprintln(out, r.Summary[0])
	fmt.Fprintln(out, mark+r.Summary[1])
	fmt.Fprintf(out, "%sreport: %s\n", mark, s.Engine.ReportPath())
	return nil
}
