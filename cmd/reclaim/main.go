// Command reclaim walks the owner of a hijacked email-sending account through
// recovery: triage, evidence, leak investigation, key rotation, password,
// 2FA, audit and the completion report for support.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"reclaim/checklist"
	"reclaim/provider"
)

// Set by the build (-ldflags "-X main.version=…").
var version = "dev"

// Exit codes, documented in --help.
const (
	exitOK       = 0
	exitFindings = 1   // audit/scan: findings to act on
	exitError    = 2   // error (bad flags, provider failure, I/O)
	exitLocked   = 3   // the incident is open in another reclaim
	exitHangup   = 129 // SIGHUP (the terminal or SSH session went away)
	exitAborted  = 130 // SIGINT (ctrl+c)
	exitTerm     = 143 // SIGTERM
)

const exitCodesHelp = `Exit codes:
  0    success (audit/scan: nothing found)
  1    audit/scan: findings to act on
  2    error: bad usage, provider failure, unreadable state
  3    the incident is open in another reclaim process
  129  stopped by SIGHUP (terminal or SSH session closed)
  130  interrupted (SIGINT, ctrl+c)
  143  stopped by SIGTERM
On 129, 130 and 143 the incident's state is saved first, and the drill's
temporary files are removed; run reclaim again to resume.`

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
		Long: wrapText("reclaim walks you through recovering a compromised email-sending account ("+providerNames()+"): triage, preserve evidence, investigate the leak, rotate keys, reset the password, enrol 2FA, audit the account, and report to support. Progress is saved after every step; run reclaim again to resume.", 75) + `

Start with the built-in drill:  reclaim drill`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTUI(cmd, tuiStart{dryRun: rootDryRun})
		},
		PersistentPreRunE: beforeCommand,
	}
	root.Flags().BoolVar(&rootDryRun, "dry-run", false, "show what each change would do; change nothing")
	root.Flags().BoolVar(&accessibleMode, "accessible", false, "plain line-by-line prompts for screen readers and serial consoles (also RECLAIM_ACCESSIBLE=1)")
	root.SetHelpTemplate(root.HelpTemplate() + "\n" + exitCodesHelp + "\n")
	setVersion(root) // --version, -v: the same text as reclaim version
	root.PersistentFlags().StringVar(&g.stateDir, "state-dir", "", "where incidents are kept (default "+defaultStateDirHelp()+")")
	root.PersistentFlags().BoolVar(&g.noColor, "no-color", false, "no colours (also: NO_COLOR=1)")
	for _, c := range subcommands {
		root.AddCommand(c())
	}
	return root
}

// subcommands are registered by the files that define them.
var subcommands []func() *cobra.Command

// stateDir is --state-dir, else the default. It is "" when there is no
// private default (HOME unset): beforeCommand refuses the commands that
// keep state then, and a Store with no Dir refuses to work.
func stateDir() string {
	if g.stateDir != "" {
		return g.stateDir
	}
	d, err := checklist.DefaultStateDir()
	if err != nil {
		return ""
	}
	return d
}

func defaultStateDirHelp() string {
	if d, err := checklist.DefaultStateDir(); err == nil {
		return d
	}
	return "$XDG_STATE_HOME/reclaim or ~/.local/state/reclaim; none now, as HOME is unset"
}

// needsState are the commands that read or write incidents.
var needsState = map[string]bool{"reclaim": true, "drill": true, "report": true, "incidents": true, "baseline": true, "check": true}

// beforeCommand refuses a command that keeps state when there is no
// private state directory, and sweeps what a killed reclaim left behind.
func beforeCommand(cmd *cobra.Command, args []string) error {
	dir := stateDir()
	if dir == "" && needsState[cmd.Name()] {
		return withCode(exitError, checklist.ErrNoStateDir)
	}
	checklist.SweepLeftovers(dir)
	return nil
}

// ---- exit paths ----

// exitHooks run once on every way out: a normal return, an error, or a
// signal (SIGINT, SIGHUP, SIGTERM). Sessions register one that saves the
// incident, releases its lock and removes the drill's temporary tree.
var exitHooks = struct {
	sync.Mutex
	next int
	fns  map[int]func()
}{fns: map[int]func(){}}

// atExit registers fn; the returned func unregisters it.
func atExit(fn func()) (remove func()) {
	exitHooks.Lock()
	defer exitHooks.Unlock()
	exitHooks.next++
	id := exitHooks.next
	exitHooks.fns[id] = fn
	return func() {
		exitHooks.Lock()
		delete(exitHooks.fns, id)
		exitHooks.Unlock()
	}
}

// runExitHooks runs the registered hooks, newest first, each once.
func runExitHooks() {
	exitHooks.Lock()
	ids := make([]int, 0, len(exitHooks.fns))
	for id := range exitHooks.fns {
		ids = append(ids, id)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ids)))
	fns := make([]func(), 0, len(ids))
	for _, id := range ids {
		fns = append(fns, exitHooks.fns[id])
		delete(exitHooks.fns, id)
	}
	exitHooks.Unlock()
	for _, fn := range fns {
		fn()
	}
	checklist.RemoveTempFiles()
}

// signalGrace is how long a command has to wind down after a signal
// before the handler cleans up and exits on its own.
const signalGrace = 3 * time.Second

// caughtSignal is the first SIGINT, SIGHUP or SIGTERM received.
var caughtSignal atomic.Value // os.Signal

func signalCode(s os.Signal) int {
	switch s {
	case syscall.SIGHUP:
		return exitHangup
	case syscall.SIGTERM:
		return exitTerm
	}
	return exitAborted
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return "SIGINT"
}

// watchSignals returns a context cancelled on SIGINT, SIGHUP or SIGTERM.
// The command sees it and returns; if it has not within signalGrace (or a
// second signal comes), the handler runs the exit hooks and exits itself.
func watchSignals() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var s os.Signal
		select {
		case s = <-ch:
		case <-done:
			return
		}
		caughtSignal.Store(s)
		cancel()
		select {
		case <-ch:
		case <-time.After(signalGrace):
		case <-done:
			return
		}
		runExitHooks()
		fmt.Fprintln(os.Stderr, stoppedMessage(s))
		os.Exit(signalCode(s))
	}()
	return ctx, func() { close(done); signal.Stop(ch); cancel() }
}

// sessionsOpened counts the incidents this process opened.
var sessionsOpened atomic.Int32

// stoppedMessage is what reclaim says when a signal stopped it.
func stoppedMessage(s os.Signal) string {
	msg := fmt.Sprintf("reclaim: stopped by %s (exit %d); temporary files removed", signalName(s), signalCode(s))
	if sessionsOpened.Load() > 0 {
		msg += "; the incident is saved: run reclaim again to resume"
	}
	return msg
}

func main() { os.Exit(run()) }

// run executes the command and returns the exit code, after the exit hooks
// have run on every path.
func run() int {
	ctx, stop := watchSignals()
	err := newRoot().ExecuteContext(ctx)
	runExitHooks()
	stop()
	code := exitOK
	var ee *exitErr
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "reclaim:", safeLines(ee.err.Error()))
		}
		code = ee.code
	default:
		fmt.Fprintln(os.Stderr, "reclaim:", safeLines(err.Error()))
		code = exitError
		if errors.Is(err, checklist.ErrLocked) {
			code = exitLocked
		}
	}
	// A signal decides the code (whatever the command made of it): 129,
	// 130 or 143, as --help says.
	if s, ok := caughtSignal.Load().(os.Signal); ok && s != nil {
		fmt.Fprintln(os.Stderr, stoppedMessage(s))
		return signalCode(s)
	}
	return code
}

// safeLines sanitizes an error for the terminal line by line: paths, ids and
// provider text inside it may be hostile; its own line breaks stay.
func safeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = provider.Sanitize(l)
	}
	return strings.Join(lines, "\n")
}

// providerNames lists the real providers this build supports, by name.
func providerNames() string {
	var names []string
	for _, i := range provider.Real() {
		names = append(names, i.Name)
	}
	return strings.Join(names, ", ")
}

// wrapText breaks s into lines of at most width columns, at spaces.
func wrapText(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		switch {
		case n == 0:
		case n+1+len(w) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
