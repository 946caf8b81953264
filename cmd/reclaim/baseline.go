package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
)

func init() {
	subcommands = append(subcommands, newBaselineCmd)
}

// envBaselineSigner names an allowed-signers (or .pub) file: when set,
// every baseline reclaim uses must be signed by one of its keys.
const envBaselineSigner = "RECLAIM_BASELINE_SIGNER"

type baselineFlags struct {
	provider string
	list     bool
	diff     bool
	asJSON   bool
	sign     string
	signer   string
	timeout  time.Duration
	caps     capFlags
}

func newBaselineCmd() *cobra.Command {
	var f baselineFlags
	c := &cobra.Command{
		Use:   "baseline --provider NAME | --list | --diff A B",
		Short: "Record a known-good snapshot of an account, list snapshots, compare two",
		Long: `Record what the account looks like while it is healthy: keys (ids, names,
scopes), teammates and invites, subusers, webhooks and parse routes, mail
settings, senders and domains, the IP allow list, account secrets' names,
and the sending profile (daily volume, the usual subjects and from-addresses
over 30 days). It is read through the same API calls as "reclaim audit",
changes nothing, and holds no secret.

The snapshot is kept in the state directory (baselines/ID.json, mode 0600)
and sealed like a report: a digest of its content, so an edit is refused.
With --sign KEY it is also signed with your SSH key (ID.json.sig, namespace
"reclaim-baseline", checkable with ssh-keygen -Y verify); set
RECLAIM_BASELINE_SIGNER (or --signer) to an allowed_signers or .pub file to
require that signature wherever a baseline is used.

"reclaim check" compares the account with its newest baseline; an incident
started afterwards marks what is unchanged since as "known at baseline" and
what was added or changed as findings. Record a new baseline after you
change the account yourself.

  --list          the snapshots (--provider narrows it), newest first, each
                  with what it holds or why it cannot be used
  --diff A B      what changed from baseline A to baseline B

Exit: 0 recorded (--diff: no difference), 1 --diff: differences, 2 error.`,
		Example: `  reclaim baseline --provider NAME
  reclaim baseline --provider NAME --sign ~/.ssh/id_ed25519
  reclaim baseline --list
  reclaim baseline --diff 20250101-090000-ab12-NAME 20250301-090000-cd34-NAME`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBaseline(cmd, f, args) },
	}
	c.Flags().StringVar(&f.provider, "provider", "", "provider: "+strings.Join(provider.IDs(), ", "))
	c.Flags().BoolVar(&f.list, "list", false, "list the recorded baselines")
	c.Flags().BoolVar(&f.diff, "diff", false, "compare two baselines: --diff A B")
	c.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&f.sign, "sign", "", "sign the baseline with this SSH private key (writes ID.json.sig)")
	c.Flags().StringVar(&f.signer, "signer", "", "require baselines signed by a key in this allowed_signers or .pub file (default $"+envBaselineSigner+")")
	c.Flags().DurationVar(&f.timeout, "timeout", DefaultAuditTimeout, "stop reading after this long (the baseline is then not recorded)")
	f.caps.add(c)
	return c
}

// capFlags are the audit's caps on what is read of an account (a list cut
// at one is marked, and is no baseline), for baseline and check.
type capFlags struct {
	limits provider.Limits
	maxMiB int
}

// capFlagNames are the flags capFlags adds.
var capFlagNames = []string{"max-pages", "max-items", "max-bytes", "max-messages", "max-message-pages"}

const capAdvice = "raise the caps (--max-items, --max-pages, --max-bytes, --max-messages, --max-message-pages) or --timeout"

func (c *capFlags) add(cmd *cobra.Command) {
	cmd.Flags().IntVar(&c.limits.MaxPages, "max-pages", provider.DefaultMaxPages, "pages read per section at most")
	cmd.Flags().IntVar(&c.limits.MaxItems, "max-items", provider.DefaultMaxItems, "items kept per section at most")
	cmd.Flags().IntVar(&c.maxMiB, "max-bytes", provider.DefaultMaxBytes>>20, "MiB of answers read per section at most")
	cmd.Flags().IntVar(&c.limits.MaxMessages, "max-messages", provider.DefaultMaxMessages, "messages of the last 30 days read at most")
	cmd.Flags().IntVar(&c.limits.MaxMessagePages, "max-message-pages", provider.DefaultMaxMessagePages, "requests for the last 30 days of mail at most")
}

// get is the limits the flags set.
func (c capFlags) get() provider.Limits {
	l := c.limits
	if c.maxMiB > 0 {
		l.MaxBytes = int64(c.maxMiB) << 20
	}
	return l
}

func runBaseline(cmd *cobra.Command, f baselineFlags, args []string) error {
	switch {
	case f.list && f.diff:
		return withCode(exitError, errors.New("--list and --diff go alone"))
	case f.diff && len(args) != 2:
		return withCode(exitError, errors.New("--diff takes two baseline ids: --diff A B (see reclaim baseline --list)"))
	case !f.diff && len(args) > 0:
		return withCode(exitError, fmt.Errorf("unexpected argument %q", provider.SanitizeN(args[0], 60)))
	case !f.list && !f.diff && f.provider == "":
		return withCode(exitError, errors.New("--provider NAME is required to record a baseline (known: "+strings.Join(provider.IDs(), ", ")+")"))
	case f.sign != "" && (f.list || f.diff):
		return withCode(exitError, errors.New("--sign goes with recording a baseline (--provider NAME)"))
	}
	store, err := baselineStore(f.signer)
	if err != nil {
		return withCode(exitError, err)
	}
	switch {
	case f.list:
		return listBaselines(cmd.OutOrStdout(), store, f)
	case f.diff:
		return diffBaselines(cmd.OutOrStdout(), store, args[0], args[1], f.asJSON)
	}
	return recordBaseline(cmd, store, f)
}

// baselineStore is the state directory's baselines, requiring signatures
// by the keys of --signer (or $RECLAIM_BASELINE_SIGNER) when given.
func baselineStore(signerFile string) (*checklist.BaselineStore, error) {
	dir := stateDir()
	if dir == "" {
		return nil, checklist.ErrNoStateDir
	}
	s := &checklist.BaselineStore{Dir: dir}
	from := "--signer"
	if signerFile == "" {
		signerFile, from = os.Getenv(envBaselineSigner), envBaselineSigner
	}
	if signerFile == "" {
		return s, nil
	}
	data, err := os.ReadFile(signerFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	signers, err := checklist.ParseAllowedSigners(data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", from, signerFile, err)
	}
	for _, sg := range signers {
		if sg.Allows(checklist.BaselineSigNamespace, time.Now()) {
			s.Allowed = append(s.Allowed, sg.Key)
		}
	}
	if len(s.Allowed) == 0 {
		return nil, fmt.Errorf("%s %s: no key in it may sign %q (see its namespaces and validity options)", from, signerFile, checklist.BaselineSigNamespace)
	}
	return s, nil
}

// incidentBaselines is where an incident looks for the account's
// baseline: the state directory, with the signature RECLAIM_BASELINE_SIGNER
// requires. When that signer file cannot be read, every baseline is
// refused, with the reason (the incident then has a finding saying so).
func incidentBaselines() *checklist.BaselineStore {
	s, err := baselineStore("")
	if err != nil {
		// Required signatures that cannot be checked: nothing passes.
		return &checklist.BaselineStore{Dir: stateDir(), Err: fmt.Errorf("%w: the required signers cannot be read: %v", checklist.ErrBaselineUnsigned, err)}
	}
	return s
}

// readAccount connects to a provider the way the audit does (credential
// from the environment, the keyring or a masked prompt; never a flag),
// proves the credential where the adapter can, and takes the inventory
// within the timeout and the audit's memory limit. A simulated provider
// (the drill) is read as its scenario's account: knownGood picks the
// state before the compromise.
func readAccount(ctx context.Context, stderr io.Writer, providerID string, timeout time.Duration, limits provider.Limits, knownGood bool) (provider.Factory, provider.Provider, *checklist.Inventory, error) {
	f, ok := provider.Lookup(providerID)
	if !ok {
		return f, nil, nil, fmt.Errorf("unknown provider %q (known: %s)", provider.SanitizeN(providerID, 40), strings.Join(provider.IDs(), ", "))
	}
	if timeout <= 0 {
		timeout = DefaultAuditTimeout
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(auditMemoryLimit))
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	b := newBackend()
	var p provider.Provider
	now := time.Now().UTC()
	if f.Simulated {
		raw, err := f.New(provider.Config{})
		if err != nil {
			return f, nil, nil, err
		}
		acct := drill.Of(raw)
		if acct == nil {
			return f, nil, nil, fmt.Errorf("%s is simulated but no drill account", f.Info.Name)
		}
		if knownGood {
			acct, now = acct.KnownGood(), acct.BaselineAt()
		}
		p = acct.Styled()
	} else {
		cred, _ := b.Credential(f.Info)
		if cred == "" {
			var err error
			if cred, err = promptCredential(f.Info, stderr); err != nil {
				return f, nil, nil, err
			}
		}
		cfg := b.providerConfig(f.Info, cred)
		cfg.Limits = limits
		var err error
		if p, err = f.New(cfg); err != nil {
			return f, nil, nil, err
		}
	}
	progress := term.IsTerminal(os.Stderr.Fd())
	if n, ok := p.(provider.RateLimitNotifier); ok && progress {
		n.OnRateLimit(rateLimitProgress(stderr))
	}
	if r, ok := p.(provider.PermissionReporter); ok {
		if _, err := r.Permissions(ctx); err != nil {
			return f, p, nil, fmt.Errorf("%s — %s", provider.Sanitize(err.Error()), provider.Advice(err))
		}
	}
	if progress {
		fmt.Fprintf(stderr, "reading %s account…\n", f.Info.Name)
	}
	inv, err := checklist.TakeInventory(ctx, p, now)
	if err != nil {
		return f, p, inv, fmt.Errorf("%s — %s", provider.Sanitize(err.Error()), provider.Advice(err))
	}
	return f, p, inv, nil
}

func recordBaseline(cmd *cobra.Command, store *checklist.BaselineStore, f baselineFlags) error {
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var signer ssh.Signer
	if f.sign != "" {
		var err error
		if signer, err = loadSigningKey(cmd, f.sign); err != nil {
			return withCode(exitError, err)
		}
	}
	fac, p, inv, err := readAccount(cmd.Context(), errw, f.provider, f.timeout, f.caps.get(), true)
	if err != nil {
		return withCode(exitError, fmt.Errorf("no baseline recorded: %w", err))
	}
	if len(inv.Truncated) > 0 {
		// A snapshot cut short would report everything past the cut as
		// removed, or hide it: it is no baseline.
		var parts []string
		for _, sec := range sortedSections(inv.Truncated) {
			parts = append(parts, sec+": "+provider.Sanitize(inv.Truncated[sec]))
		}
		return withCode(exitError, fmt.Errorf("no baseline recorded: the account was read only in part (%s); %s, and try again", strings.Join(parts, "; "), capAdvice))
	}
	if secs := slices.DeleteFunc(inv.FailedForNow(), func(s string) bool { return s == checklist.SecActivity }); len(secs) > 0 {
		// Recorded as unreadable, a section that failed for now would be
		// left out of every later check: it is no baseline either.
		var parts []string
		for _, sec := range secs {
			parts = append(parts, sec+": "+provider.SanitizeN(inv.Errors[sec], 200))
		}
		return withCode(exitError, fmt.Errorf("no baseline recorded: part of the account could not be read just now (%s); a baseline without it would leave it unwatched: try again in a few minutes", strings.Join(parts, "; ")))
	}
	info := p.Info()
	if fac.Simulated {
		info.ID = fac.Info.ID
	}
	at := inv.TakenAt
	b := checklist.NewBaseline(inv, info, at)
	if a := drill.Of(p); a != nil {
		b.Drill, b.Scenario = true, a.Scenario().ID
	}
	path, err := store.Save(b, signer)
	if err != nil {
		return withCode(exitError, fmt.Errorf("the baseline could not be saved: %w", err))
	}
	if f.asJSON {
		doc := map[string]any{"id": b.ID, "provider": b.Provider, "account": b.Account, "taken_at": b.TakenAt, "path": path, "digest": b.Seal.Digest,
			"signer": b.Signer, "read": inv.Read, "errors": inv.Errors, "counts": b.Counts()}
		return writeJSONDoc(out, doc)
	}
	fmt.Fprintf(out, "Baseline %s recorded for %s", b.ID, provider.Sanitize(info.Name))
	if b.Account != "" {
		fmt.Fprintf(out, " (%s)", provider.Sanitize(b.Account))
	}
	fmt.Fprintf(out, ": %s.\n", b.Counts())
	fmt.Fprintf(out, "File: %s (0600), sha256 %s\n", path, b.Seal.Digest)
	if signer != nil {
		fmt.Fprintf(out, "Signed with %s key %s: %s%s\n", signer.PublicKey().Type(), ssh.FingerprintSHA256(signer.PublicKey()), path, checklist.ReportSigExt)
		fmt.Fprintf(out, "Require it: export %s=FILE, FILE holding: %s\n", envBaselineSigner, shellQuote("owner namespaces=\""+checklist.BaselineSigNamespace+"\" "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))))
	}
	if len(inv.Errors) > 0 {
		fmt.Fprintf(out, "Not read (not compared by checks): %s\n", strings.Join(sortedSections(inv.Errors), ", "))
	}
	dir := ""
	if g.stateDir != "" {
		dir = " --state-dir " + shellQuote(g.stateDir) // the baseline is there, not in the default
	}
	fmt.Fprintf(out, "Check for drift with: reclaim%s check --provider %s\n", dir, shellQuote(f.provider))
	return nil
}

func sortedSections(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func listBaselines(w io.Writer, store *checklist.BaselineStore, f baselineFlags) error {
	list, err := store.List(f.provider)
	if err != nil {
		return withCode(exitError, err)
	}
	if f.asJSON {
		if list == nil {
			list = []checklist.BaselineEntry{}
		}
		return writeJSONDoc(w, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "No baselines yet: record one with reclaim baseline --provider NAME.")
		return nil
	}
	for _, e := range list {
		when := "?"
		if !e.TakenAt.IsZero() {
			when = e.TakenAt.UTC().Format("2006-01-02 15:04Z")
		}
		fmt.Fprintf(w, "%s  %s  %s", provider.Sanitize(e.ID), when, provider.Sanitize(e.Provider))
		if e.Account != "" {
			fmt.Fprintf(w, "  %s", provider.Sanitize(e.Account))
		}
		if e.Drill {
			fmt.Fprint(w, "  [drill]")
		}
		fmt.Fprintln(w)
		if e.Problem != "" {
			fmt.Fprintf(w, "    CANNOT BE USED: %s\n", safeLines(e.Problem))
			continue
		}
		fmt.Fprintf(w, "    %s\n", provider.Sanitize(e.Counts))
		if e.Signed != "" {
			fmt.Fprintf(w, "    signed by %s\n", provider.Sanitize(e.Signed))
		}
	}
	return nil
}

func diffBaselines(w io.Writer, store *checklist.BaselineStore, a, b string, asJSON bool) error {
	ba, err := store.Load(a)
	if err != nil {
		return withCode(exitError, err)
	}
	bb, err := store.Load(b)
	if err != nil {
		return withCode(exitError, err)
	}
	if ba.Provider != bb.Provider {
		return withCode(exitError, fmt.Errorf("%s is a %s baseline and %s a %s one: compare baselines of one provider", a, provider.Sanitize(ba.Provider), b, provider.Sanitize(bb.Provider)))
	}
	d := checklist.CheckDrift(ba, bb.Inventory, bb.TakenAt, checklist.CompareOptions{})
	if asJSON {
		if err := writeJSONDoc(w, map[string]any{"from": ba.ID, "to": bb.ID, "from_taken_at": ba.TakenAt, "to_taken_at": bb.TakenAt, "changes": nonNil(d.Changes), "unchecked": d.Unchecked, "incomplete": d.Incomplete, "not_in_baseline": d.NotInBaseline}); err != nil {
			return withCode(exitError, err)
		}
	} else {
		fmt.Fprintf(w, "From baseline %s (%s) to %s (%s):\n", ba.ID, ba.Date(), bb.ID, bb.Date())
		if len(d.Changes) == 0 {
			fmt.Fprintln(w, "  no differences")
		}
		for _, c := range d.Changes {
			fmt.Fprintf(w, "  [%s] %s\n", c.Severity, provider.Sanitize(c.Title))
		}
		for _, sec := range sortedSections(d.Unchecked) {
			fmt.Fprintf(w, "  ! %s not compared: %s\n", sec, provider.Sanitize(d.Unchecked[sec]))
		}
		for _, sec := range sortedSections(d.NotInBaseline) {
			fmt.Fprintf(w, "  - %s not compared: in %s only\n", sec, bb.ID)
		}
	}
	if len(d.Changes) > 0 {
		return withCode(exitFindings, nil)
	}
	return nil
}

func nonNil(cs []checklist.Change) []checklist.Change {
	if cs == nil {
		return []checklist.Change{}
	}
	return cs
}

// writeJSONDoc prints indented JSON, escaped for terminals.
func writeJSONDoc(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(checklist.EscapeJSONForTerminal(b), '\n'))
	return err
}
