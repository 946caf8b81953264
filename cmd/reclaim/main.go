// Command reclaim walks the owner of a hijacked email-sending account through
// recovery: triage, evidence, leak investigation, key rotation, password,
// 2FA, audit and the completion report for support.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"reclaim/checklist"
)

// Set by the build (-ldflags "-X main.version=…").
var version = "dev"

// Exit codes, documented in --help.
const (
	exitOK       = 0
	exitFindings = 1 // audit/scan: findings to act on
	exitError    = 2 // error (bad flags, provider failure, I/O)
	exitLocked   = 3 // the incident is open in another reclaim
	exitAborted  = 130
)

const exitCodesHelp = `Exit codes:
  0    success (audit/scan: nothing found)
  1    audit/scan: findings to act on
  2    error: bad usage, provider failure, unreadable state
  3    the incident is open in another reclaim process
  130  interrupted`

// globals are the flags every command shares.
type globals struct {
	stateDir string
	noColor  bool
}

var g globals

var rootDryRun bool

// exitError carries an exit code through cobra.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func withCode(code int, err error) error { return &exitErr{code: code, err: err} }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "reclaim",
		Short: "Take back a hijacked email-sending account, step by step",
		Long: `reclaim walks you through recovering a compromised SendGrid (or other
email-sending) account: triage, preserve evidence, investigate the leak,
rotate keys, reset the password, enrol 2FA, audit the account, and report
to support. Progress is saved after every step; run reclaim again to resume.

Start with the built-in drill:  reclaim drill`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTUI(cmd, tuiStart{dryRun: rootDryRun})
		},
	}
	root.Flags().BoolVar(&rootDryRun, "dry-run", false, "show what each change would do; change nothing")
	root.SetHelpTemplate(root.HelpTemplate() + "\n" + exitCodesHelp + "\n")
	root.PersistentFlags().StringVar(&g.stateDir, "state-dir", "", "where incidents are kept (default "+checklist.DefaultStateDir()+")")
	root.PersistentFlags().BoolVar(&g.noColor, "no-color", false, "no colours (also: NO_COLOR=1)")
	for _, c := range subcommands {
		root.AddCommand(c())
	}
	return root
}

// subcommands are registered by the files that define them.
var subcommands []func() *cobra.Command

func stateDir() string {
	if g.stateDir != "" {
		return g.stateDir
	}
	return checklist.DefaultStateDir()
}

func main() {
	err := newRoot().Execute()
	if err == nil {
		os.Exit(exitOK)
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "reclaim:", ee.err)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "reclaim:", err)
	if errors.Is(err, checklist.ErrLocked) {
		os.Exit(exitLocked)
	}
	os.Exit(exitError)
}
