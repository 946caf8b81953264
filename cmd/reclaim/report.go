package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"reclaim/checklist"
	"reclaim/checklist/filing"
	"reclaim/provider"
	"reclaim/provider/drill"
)

func init() {
	subcommands = append(subcommands, newReportCmd)
}

type reportFlags struct {
	incident string
	format   string
	output   string
	send     bool
	to       string
	copy     bool
	filed    bool
	ticket   string
	sign     string
}

func newReportCmd() *cobra.Command {
	var f reportFlags
	c := &cobra.Command{
		Use:   "report",
		Short: "Print, verify or file the completion report for support",
		Long: `Build the completion report of an incident: what happened and how it was
detected, the root cause, every action with its UTC time, the inventory
before and after, leak findings (redacted), what was confirmed dead,
preventive measures, open follow-ups and the sign-off. No secret is ever in
it: keys appear as their id and a few characters.

Without --send, --copy or --filed the report goes to standard output (or to
--output) and the incident is only read, so this works while the incident
is open in another reclaim. The most recent incident is used unless
--incident names one.

Filing:
  --send            email the report (Markdown text, HTML alternative, JSON
                    attached) to the provider's support address, or to --to
                    (your open ticket's reply address). It also writes
                    report.md, report.json and report.html into the incident
                    folder first, and records the send (with its Message-ID)
                    in the journal. SMTP settings come from the environment:
                    RECLAIM_SMTP_HOST, RECLAIM_SMTP_PORT, RECLAIM_SMTP_TLS
                    (tls, starttls, or none: loopback only), RECLAIM_SMTP_USER,
                    RECLAIM_SMTP_FROM, and the password from
                    RECLAIM_SMTP_PASSWORD, the keyring ("smtp/USER@HOST")
                    or a masked prompt. The report of a dry run is never
                    sent.
  --copy            copy the Markdown to the clipboard through the terminal
                    (OSC 52), for providers that take tickets only in their
                    web console.
  --filed --ticket ID
                    record that you filed the report in the console, with the
                    ticket id or URL support gave you (required).

Signing:
  --sign KEYFILE    sign each report file written (--output, and with --send
                    or --filed report.md, report.json and report.html in the
                    incident folder) with your SSH private key, writing
                    FILE.sig beside it in the OpenSSH signature format
                    (namespace "reclaim-report"), and print the
                    ssh-keygen -Y verify command support can run. An
                    encrypted key's passphrase comes from
                    RECLAIM_SIGN_PASSPHRASE or a masked prompt.

"reclaim report verify FILE" checks a report against its incident's journal
(and with --signer, its signature).`,
		Example: `  reclaim report
  reclaim report --format html --output report.html
  reclaim report --send --to 12345@support.example.com
  reclaim report --copy && reclaim report --filed
  reclaim report --output report.md --sign ~/.ssh/id_ed25519
  reclaim report verify ~/.local/state/reclaim/incidents/ID/report.md
  reclaim report verify report.md --signer ~/.ssh/id_ed25519.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runReport(cmd, f) },
	}
	c.Flags().StringVar(&f.incident, "incident", "", "incident id (default: the most recent)")
	c.Flags().StringVar(&f.format, "format", "md", "md, json or html")
	c.Flags().StringVarP(&f.output, "output", "o", "", "write the report to this file instead of standard output")
	c.Flags().BoolVar(&f.send, "send", false, "email the report to support (see SMTP settings above)")
	c.Flags().StringVar(&f.to, "to", "", "recipient address for --send (default: the provider's support address)")
	c.Flags().BoolVar(&f.copy, "copy", false, "copy the Markdown report to the clipboard (OSC 52)")
	c.Flags().BoolVar(&f.filed, "filed", false, "record that you filed the report in the provider's console (with --ticket)")
	c.Flags().StringVar(&f.ticket, "ticket", "", "the support ticket's id or URL, for --filed")
	c.Flags().StringVar(&f.sign, "sign", "", "sign each report file written with this SSH private key (writes FILE.sig)")
	c.AddCommand(newReportVerifyCmd())
	return c
}

type verifyFlags struct {
	signer string
	sig    string
}

func newReportVerifyCmd() *cobra.Command {
	var vf verifyFlags
	c := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a report (md, json or html) against its incident's journal",
		Long: `Check a report against its incident's journal: every step claim and journal
line is re-derived from the journal, the journal must have recorded this
report's digest when it was written or sent, nothing may stand outside the
sealed part, and the state must be backed by the journal. The incident is
looked up next to FILE, else under --state-dir.

What it proves: the report matches the journal in the incident folder. The
hash chain uses no secret, so anyone who can write that folder can rewrite
both; only a signature ties a report to the owner's key.

With --signer PUBKEY (a .pub file, or an allowed_signers file as
ssh-keygen -Y verify takes), also check FILE's SSH signature, FILE.sig (or
--sig PATH): it must be a "reclaim-report" signature by one of
those keys over exactly FILE's bytes.

Exits 0 when it matches, 2 when it does not.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runReportVerify(cmd, args[0], vf) },
	}
	c.Flags().StringVar(&vf.signer, "signer", "", "check FILE's signature against this public key or allowed_signers file")
	c.Flags().StringVar(&vf.sig, "sig", "", "the signature file (default: FILE.sig); goes with --signer")
	return c
}

// ---- reading an incident ----

// incidentDir resolves --incident (or the most recent incident) to its
// folder, without locking it.
func incidentDir(store *checklist.Store, id string) (string, error) {
	if id == "" {
		list, err := store.List()
		if err != nil {
			return "", err
		}
		if len(list) == 0 {
			return "", fmt.Errorf("no incidents in %s: start one with \"reclaim\" or \"reclaim drill\"", store.Dir)
		}
		id = list[0].ID
	}
	if strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return "", fmt.Errorf("bad incident id %q", id)
	}
	dir := filepath.Join(store.Dir, "incidents", id)
	if _, err := os.Stat(filepath.Join(dir, checklist.StateFile)); err != nil {
		return "", fmt.Errorf("no incident %q in %s", id, filepath.Join(store.Dir, "incidents"))
	}
	return dir, nil
}

// reportProvider gives the incident's provider for describing steps, with
// no network and no credential: a drill account is restored from its saved
// state; a real adapter is built without a credential (its capabilities
// decide the step modes) or, failing that, stands as its static Info.
func reportProvider(dir string, inc *checklist.Incident) (provider.Info, provider.Provider) {
	a := inc.Account()
	if inc.Drill {
		if b, err := checklist.ReadPrivateFile(filepath.Join(dir, checklist.ProviderFile)); err == nil {
			if acct, err := drill.Restore(b); err == nil {
				return acct.Info(), acct
			}
		}
	}
	if a == nil {
		return provider.Info{}, nil
	}
	if f, ok := provider.Lookup(a.Provider); ok {
		if p, err := f.New(provider.Config{}); err == nil && p != nil {
			return f.Info, p
		}
		return f.Info, nil
	}
	return provider.Info{ID: a.Provider, Name: a.Label}, nil
}

func reportOptions(p provider.Provider) checklist.ReportOptions {
	opt := checklist.ReportOptions{Now: time.Now().UTC(), Provider: p}
	if s, ok := p.(provider.SessionKeyReporter); ok {
		opt.SessionKeyID = s.SessionKeyID()
	}
	return opt
}

// render returns the report in a format.
func render(r *checklist.Report, format string) ([]byte, error) {
	switch format {
	case "md", "markdown", "":
		return []byte(r.Markdown()), nil
	case "json":
		return r.JSON()
	case "html":
		return r.HTML()
	}
	return nil, fmt.Errorf("unknown --format %q: use md, json or html", format)
}

// ---- the command ----

func runReport(cmd *cobra.Command, f reportFlags) error {
	if _, err := render(&checklist.Report{}, f.format); err != nil && strings.Contains(err.Error(), "unknown --format") {
		return withCode(exitError, err)
	}
	if f.to != "" && !f.send {
		return withCode(exitError, errors.New("--to goes with --send"))
	}
	if f.filed && strings.TrimSpace(f.ticket) == "" {
		return withCode(exitError, errors.New("--filed needs --ticket ID: the ticket id or URL support gave you, which the journal records with the filing"))
	}
	if f.sign != "" && !f.send && !f.filed && (f.output == "" || f.copy) {
		return withCode(exitError, errors.New("--sign signs the files a report is written to: use it with --output FILE, --send or --filed"))
	}
	store := &checklist.Store{Dir: stateDir()}
	dir, err := incidentDir(store, f.incident)
	if err != nil {
		return withCode(exitError, err)
	}
	if f.send || f.filed {
		return fileReport(cmd, store, dir, f)
	}
	// The key is read (and its passphrase asked) before anything is written.
	var signer ssh.Signer
	if f.sign != "" && !f.copy {
		if signer, err = loadSigningKey(cmd, f.sign); err != nil {
			return withCode(exitError, err)
		}
	}
	// Read-only: no lock, so it works while the TUI has the incident open.
	inc, err := checklist.LoadIncident(dir)
	if err != nil {
		return withCode(exitError, err)
	}
	info, p := reportProvider(dir, inc)
	r := checklist.BuildReport(inc, info, reportOptions(p))
	if f.copy {
		return copyReport(cmd, r)
	}
	out, err := render(r, f.format)
	if err != nil {
		return withCode(exitError, err)
	}
	if f.output != "" {
		if err := checklist.WriteFileAtomic(f.output, out); err != nil {
			return withCode(exitError, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "report written to %s\n", f.output)
		if signer != nil {
			if err := signFiles(cmd.ErrOrStderr(), signer, f.output); err != nil {
				return withCode(exitError, err)
			}
		}
	} else if _, err := cmd.OutOrStdout().Write(out); err != nil {
		return withCode(exitError, err)
	}
	recordRendered(cmd, store, dir, r, f.output)
	if r.Support.TicketOnly && r.Support.Email == "" && isTerminal(os.Stderr) {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s takes this report only as a ticket in its console: %s\n(reclaim report --copy copies it; reclaim report --filed --ticket ID records that you filed it)\n", r.Provider, link(os.Stderr, r.Support.URL))
	}
	return nil
}

// recordRendered journals the digests of a report this command wrote or
// printed, so report verify accepts it. While another reclaim holds the
// incident the journal cannot be written: it says so, and the report will
// not verify until it is written again.
func recordRendered(cmd *cobra.Command, store *checklist.Store, dir string, r *checklist.Report, output string) {
	h, inc, _, err := store.Open(filepath.Base(dir))
	if errors.Is(err, checklist.ErrLocked) {
		fmt.Fprintln(cmd.ErrOrStderr(), "note: the incident is open in another reclaim, so this report is not recorded in its journal and \"reclaim report verify\" will not accept it; write it again once that reclaim has quit")
		return
	}
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: this report is not recorded in the incident's journal, so \"reclaim report verify\" will not accept it: %v\n", err)
		return
	}
	defer h.Close()
	info, p := reportProvider(dir, inc)
	if p == nil {
		p = checklist.InfoProvider(info)
	}
	where := "printed by reclaim report"
	if output != "" {
		where = "written to " + output
	}
	e := checklist.NewEngine(inc, h, p, nil)
	if err := e.RecordReport(r, where); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: could not record the report in the journal: %v\n", err)
	}
}

// fileReport sends the report or records a console filing. Both write the
// journal, so they lock the incident.
func fileReport(cmd *cobra.Command, store *checklist.Store, dir string, f reportFlags) error {
	out := cmd.OutOrStdout()
	h, inc, _, err := store.Open(filepath.Base(dir))
	if err != nil {
		if errors.Is(err, checklist.ErrLocked) {
			return withCode(exitLocked, fmt.Errorf("%w\n(reporting without --send or --filed works while it is open)", err))
		}
		return withCode(exitError, err)
	}
	defer h.Close()
	if f.send && inc.DryRun {
		return withCode(exitError, errors.New("this incident was a dry run: nothing was changed on the account, so its report cannot be sent to support"))
	}
	var signer ssh.Signer
	if f.sign != "" {
		if signer, err = loadSigningKey(cmd, f.sign); err != nil {
			return withCode(exitError, err)
		}
	}
	info, p := reportProvider(dir, inc)
	if p == nil {
		p = checklist.InfoProvider(info)
	}
	b := newBackend()
	e := checklist.NewEngine(inc, h, p, b.secrets)
	r := e.BuildReport()
	// The report is on disk before anything is sent, and stays there
	// whatever happens to the send.
	if err := r.WriteFiles(h.Dir); err != nil {
		return withCode(exitError, fmt.Errorf("writing the report: %w", err))
	}
	kept := filepath.Join(h.Dir, checklist.ReportMD)
	if f.output != "" {
		data, err := render(r, f.format)
		if err == nil {
			err = checklist.WriteFileAtomic(f.output, data)
		}
		if err != nil {
			return withCode(exitError, err)
		}
		kept = f.output
	}
	if signer != nil {
		files := []string{filepath.Join(h.Dir, checklist.ReportMD), filepath.Join(h.Dir, checklist.ReportJSON), filepath.Join(h.Dir, checklist.ReportHTML)}
		if f.output != "" {
			files = append(files, f.output)
		}
		if err := signFiles(out, signer, files...); err != nil {
			return withCode(exitError, err)
		}
	}
	if f.filed {
		if err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledInConsole, To: r.Support.URL, Ticket: f.ticket, Report: r}); err != nil {
			return withCode(exitError, err)
		}
		fmt.Fprintf(out, "Recorded in the journal of %s: you filed the report with %s support.\n", provider.SanitizeN(inc.ID, 60), provider.Sanitize(r.Provider))
		judgeReportStep(out, e)
		if !f.send {
			return nil
		}
	}
	to := f.to
	if to == "" {
		to = r.Support.Email
	}
	if to == "" {
		fmt.Fprintf(out, "%s takes reports only as a ticket in its web console: %s\n", r.Provider, link(os.Stdout, r.Support.URL))
		fmt.Fprintf(out, "The report is at %s. Paste it into the ticket (reclaim report --copy copies it), then run: reclaim report --filed --ticket ID\n", kept)
		fmt.Fprintln(out, "If support has already answered you by email, send it to that address with --send --to ADDRESS.")
		return withCode(exitError, errors.New("nothing sent: no support address to send to"))
	}
	cfg, err := filing.FromEnv(os.Getenv)
	if err != nil {
		return withCode(exitError, fmt.Errorf("%w; the report is kept at %s", err, kept))
	}
	cfg.To = []string{to}
	cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		return withCode(exitError, fmt.Errorf("%w; nothing sent, the report is kept at %s", err, kept))
	}
	if cfg.Username != "" && cfg.Password == "" {
		pw, err := smtpPassword(cmd, b, cfg)
		if err != nil {
			return withCode(exitError, fmt.Errorf("%w; nothing sent, the report is kept at %s", err, kept))
		}
		cfg.Password = pw
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	fmt.Fprintf(out, "Sending the report to %s through %s (%s)…\n", to, cfg.Addr(), cfg.Security)
	id, err := filing.Send(ctx, cfg, r)
	if err != nil {
		_ = e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: to, Report: r, Err: err})
		return withCode(exitError, fmt.Errorf("not sent: %w\nThe report is kept at %s", err, kept))
	}
	if err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: to, MessageID: "<" + id + ">", Report: r}); err != nil {
		return withCode(exitError, fmt.Errorf("sent (Message-ID <%s>) but the journal could not be saved: %w", id, err))
	}
	fmt.Fprintf(out, "Sent. Message-ID <%s>, recorded in the journal of %s.\nThe report is at %s.\n", provider.Sanitize(id), provider.SanitizeN(inc.ID, 60), kept)
	judgeReportStep(out, e)
	return nil
}

// judgeReportStep re-judges the "Report to support" step after a filing:
// it is done only with a sign-off name and a root cause too, and says what
// is still missing when it is not.
func judgeReportStep(out io.Writer, e *checklist.Engine) {
	if err := e.Complete(checklist.StepReport, nil); err != nil {
		fmt.Fprintf(out, "Note: the report step could not be updated: %v\n", err)
		return
	}
	st := e.View(checklist.StepReport).State
	fmt.Fprintf(out, "Report to support: %s — %s\n", st.Level, provider.SanitizeN(st.Statement, 300))
}

// smtpPassword finds the SMTP password in the keyring, else asks for it
// with echo off. It is never written anywhere.
func smtpPassword(cmd *cobra.Command, b *backend, cfg filing.Config) (string, error) {
	key := "smtp/" + cfg.Username + "@" + cfg.Host
	if pw, ok := b.secrets.Get(cmd.Context(), key); ok && pw != "" {
		return pw, nil
	}
	if !term.IsTerminal(os.Stdin.Fd()) {
		return "", fmt.Errorf("no SMTP password: set %s or store it in the keyring as %q (standard input is not a terminal, so reclaim cannot ask)", filing.EnvPassword, key)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "SMTP password for %s at %s (input hidden): ", cfg.Username, cfg.Host)
	pw, err := term.ReadPassword(os.Stdin.Fd())
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", err
	}
	if len(pw) == 0 {
		return "", errors.New("no SMTP password given")
	}
	return string(pw), nil
}

// copyReport puts the Markdown on the clipboard through the terminal
// (OSC 52): it works over SSH, and only when asked.
func copyReport(cmd *cobra.Command, r *checklist.Report) error {
	if !isTerminal(os.Stdout) {
		return withCode(exitError, errors.New("--copy needs a terminal on standard output (it asks the terminal to set the clipboard); use --output FILE instead"))
	}
	md := r.Markdown()
	if err := osc52(cmd.OutOrStdout(), md); err != nil {
		return withCode(exitError, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Copied the report (%d bytes of Markdown) to the clipboard, if your terminal allows OSC 52 (tmux needs set-clipboard on).\n", len(md))
	if r.DryRun {
		fmt.Fprintln(cmd.OutOrStdout(), "DRY RUN: nothing was changed on the account, so this report cannot be filed with support.")
		return nil
	}
	if r.Support.URL != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "File it at %s, then run: reclaim report --filed --ticket ID\n", link(os.Stdout, r.Support.URL))
	}
	return nil
}

func osc52(w io.Writer, s string) error {
	_, err := fmt.Fprintf(w, "\x1b]52;c;%s\x07", base64.StdEncoding.EncodeToString([]byte(s)))
	return err
}

// link renders a URL as an OSC 8 hyperlink when f is a terminal.
func link(f *os.File, url string) string {
	url = provider.Sanitize(url)
	if url == "" {
		return "(no support URL recorded)"
	}
	if !isTerminal(f) || os.Getenv("TERM") == "dumb" {
		return url
	}
	return "\x1b]8;;" + url + "\x1b\\" + url + "\x1b]8;;\x1b\\"
}

func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }

// ---- verify ----

func runReportVerify(cmd *cobra.Command, file string, vf verifyFlags) error {
	if vf.sig != "" && vf.signer == "" {
		return withCode(exitError, errors.New("--sig goes with --signer (the public key to check the signature against)"))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return withCode(exitError, err)
	}
	seal, _, err := checklist.CheckReport(data)
	if err != nil {
		return withCode(exitError, fmt.Errorf("%s FAILED verification: %w", file, err))
	}
	dir := filepath.Dir(file)
	inc, lerr := checklist.LoadIncident(dir)
	if lerr != nil || inc.ID != seal.Incident {
		dir = filepath.Join(stateDir(), "incidents", seal.Incident)
		if strings.ContainsAny(seal.Incident, `/\`) {
			return withCode(exitError, fmt.Errorf("%s names a bad incident id", file))
		}
		inc, lerr = checklist.LoadIncident(dir)
	}
	if lerr != nil {
		return withCode(exitError, fmt.Errorf("%s is a report of incident %s, which is neither next to it nor in %s (use --state-dir): %v", provider.Sanitize(file), provider.SanitizeN(seal.Incident, 80), stateDir(), lerr))
	}
	v, err := checklist.VerifyReport(data, inc)
	if err != nil {
		return withCode(exitError, fmt.Errorf("%s FAILED verification against %s: %w", file, filepath.Join(dir, checklist.StateFile), err))
	}
	out := cmd.OutOrStdout()
	// The signature first: nothing says OK before every check has passed.
	var signed bytes.Buffer
	if vf.signer != "" {
		if err := verifySignature(&signed, file, data, vf); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "OK: %s (%s) matches incident %s: %d journal entries, chain hash %s.\n", provider.Sanitize(file), v.Format, provider.Sanitize(inc.ID), v.Seal.Entries, v.Seal.Head)
	fmt.Fprintln(out, "Every step claim and journal line in it was re-derived from the journal, and the journal recorded this report's digest when it was written.")
	fmt.Fprintln(out, "What this proves: the report matches the journal in the incident folder. The chain uses no secret, so anyone who can write that folder can rewrite both; only a signature (reclaim report --sign, checked with --signer) ties a report to the owner's key.")
	if v.Later > 0 {
		fmt.Fprintf(out, "The journal has %d later entries (recorded after this report):\n", v.Later)
		for _, j := range inc.Journal[v.Seal.Entries:] {
			fmt.Fprintf(out, "  %s %s — %s\n", j.At.UTC().Format("2006-01-02 15:04:05Z"), provider.Sanitize(j.Action), provider.SanitizeN(j.Detail, 120))
		}
	}
	_, err = out.Write(signed.Bytes())
	return err
}

// ---- signatures ----

// envSignPassphrase holds the passphrase of an encrypted --sign key. There
// is deliberately no flag for it: a flag shows in ps and shell history.
const envSignPassphrase = "RECLAIM_SIGN_PASSPHRASE"

// loadSigningKey reads the --sign private key, asking for its passphrase
// (RECLAIM_SIGN_PASSPHRASE, else a masked prompt) only when it is encrypted.
func loadSigningKey(cmd *cobra.Command, file string) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--sign: %w", err)
	}
	signer, err := checklist.ParseSigningKey(pem, func() ([]byte, error) {
		if pw, ok := os.LookupEnv(envSignPassphrase); ok && pw != "" {
			return []byte(pw), nil
		}
		pw, err := promptCredential(provider.Info{Credentials: []provider.CredentialField{{
			Env:    envSignPassphrase,
			Prompt: "Passphrase for " + file,
		}}}, cmd.ErrOrStderr())
		if err != nil {
			return nil, fmt.Errorf("%s is encrypted: %w", file, err)
		}
		return []byte(pw), nil
	})
	if err != nil {
		return nil, fmt.Errorf("--sign %s: %w", file, err)
	}
	return signer, nil
}

// signFiles writes FILE.sig beside each file, signed over the bytes on
// disk, then prints how support checks them with stock OpenSSH.
func signFiles(w io.Writer, signer ssh.Signer, files ...string) error {
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("signing: %w", err)
		}
		sig, err := checklist.SignReport(data, signer)
		if err != nil {
			return fmt.Errorf("signing %s: %w", file, err)
		}
		if err := checklist.WriteFileAtomic(file+checklist.ReportSigExt, sig); err != nil {
			return fmt.Errorf("writing the signature of %s: %w", file, err)
		}
	}
	pub := signer.PublicKey()
	fmt.Fprintf(w, "Signed with %s key %s:\n", pub.Type(), ssh.FingerprintSHA256(pub))
	for _, file := range files {
		fmt.Fprintf(w, "  %s\n", file+checklist.ReportSigExt)
	}
	fmt.Fprintln(w, "Send the .sig with its report. Support can check it with stock OpenSSH, in the folder holding both:")
	fmt.Fprintf(w, "  echo %s > allowed_signers\n", shellQuote(checklist.AllowedSignersLine(checklist.ReportSigPrincipal, pub)))
	for _, file := range files {
		fmt.Fprintf(w, "  %s\n", verifyCommand(filepath.Base(file)))
	}
	return nil
}

// verifyCommand is the ssh-keygen command that checks name.sig, run in the
// folder holding name, name.sig and allowed_signers.
func verifyCommand(name string) string {
	return fmt.Sprintf("ssh-keygen -Y verify -f allowed_signers -I %s -n %s -s %s < %s",
		checklist.ReportSigPrincipal, checklist.ReportSigNamespace, shellQuote(name+checklist.ReportSigExt), shellQuote(name))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// verifySignature checks FILE.sig (or --sig) against the --signer keys.
func verifySignature(out io.Writer, file string, data []byte, vf verifyFlags) error {
	pubs, err := os.ReadFile(vf.signer)
	if err != nil {
		return withCode(exitError, fmt.Errorf("--signer: %w", err))
	}
	signers, err := checklist.ParseAllowedSigners(pubs)
	if err != nil {
		return withCode(exitError, fmt.Errorf("--signer %s: %w", vf.signer, err))
	}
	allowed := checklist.AllowedReportKeys(signers, time.Now())
	if len(allowed) == 0 {
		return withCode(exitError, fmt.Errorf("--signer %s: no key in it may sign %q reports (see its namespaces, cert-authority and validity options)", vf.signer, checklist.ReportSigNamespace))
	}
	sigFile := vf.sig
	if sigFile == "" {
		sigFile = file + checklist.ReportSigExt
	}
	sig, err := os.ReadFile(sigFile)
	if errors.Is(err, os.ErrNotExist) {
		return withCode(exitError, fmt.Errorf("%s FAILED signature check: no signature %s (sign with reclaim report --sign KEY, or name it with --sig)", file, sigFile))
	} else if err != nil {
		return withCode(exitError, err)
	}
	key, err := checklist.VerifyReportSignature(data, sig, allowed)
	if err != nil {
		return withCode(exitError, fmt.Errorf("%s FAILED signature check with %s: %w", file, sigFile, err))
	}
	who := ""
	for _, s := range signers {
		if s.Principals != "" && string(s.Key.Marshal()) == string(key.Marshal()) {
			who = " (" + s.Principals + ")"
			break
		}
	}
	fmt.Fprintf(out, "OK: %s is signed by %s key %s%s from %s.\n", sigFile, key.Type(), ssh.FingerprintSHA256(key), who, vf.signer)
	return nil
}
