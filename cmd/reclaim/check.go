package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"reclaim/checklist"
	"reclaim/checklist/filing"
	"reclaim/provider"
)

func init() {
	subcommands = append(subcommands, newCheckCmd)
}

// envNotifySecret holds the HMAC secret of --notify-url. There is no flag
// for it: a flag shows in ps, shell history and unit files.
const envNotifySecret = "RECLAIM_NOTIFY_SECRET"

type checkFlags struct {
	provider     string
	asJSON       bool
	notifyURL    string
	mailTo       []string
	signer       string
	timeout      time.Duration
	installTimer bool
	every        time.Duration
	caps         capFlags
}

func newCheckCmd() *cobra.Command {
	var f checkFlags
	c := &cobra.Command{
		Use:   "check --provider NAME [--json] [--notify-url URL] [--mail-to ADDR]",
		Short: "One-shot drift check against the newest baseline (cron, systemd timers)",
		Long: `Read the account as "reclaim audit" does and compare it with its newest
baseline (reclaim baseline): new, removed and changed keys, scopes,
teammates and invites, subusers, webhooks and parse routes, mail settings
(forwarding turned on), senders and domains, IP allow-list entries and
account secrets, and the sending profile: a day that sends far more than the
baseline's usual day, a from-address or a phishing-like subject it never
saw. Changes nothing.

Alerts, on drift only:
  --mail-to ADDR    mail the result with the report's SMTP settings
                    (RECLAIM_SMTP_HOST, RECLAIM_SMTP_PORT, RECLAIM_SMTP_TLS,
                    RECLAIM_SMTP_USER, RECLAIM_SMTP_FROM; the password from
                    RECLAIM_SMTP_PASSWORD or the keyring)
  --notify-url URL  POST the result as JSON (https, or http to this machine
                    only), signed: X-Reclaim-Signature is "sha256=" and the
                    hex HMAC-SHA256, keyed with $RECLAIM_NOTIFY_SECRET (at
                    least 16 bytes), of X-Reclaim-Timestamp, ".", and the body.

A baseline that was altered, or (with RECLAIM_BASELINE_SIGNER or --signer)
is not signed by an allowed key, is refused: exit 2.

--install-timer prints a systemd service and timer pair, a crontab line and
the environment they need, for this command with the flags given; it
installs nothing and changes nothing.

Exit: 0 no drift, 1 drift, 2 error (no baseline, a refused baseline, the
account or a section unreadable or read only in part, an alert not
delivered).`,
		Example: `  reclaim check --provider NAME
  reclaim check --provider NAME --json
  RECLAIM_NOTIFY_SECRET=… reclaim check --provider NAME --notify-url https://hooks.example.com/reclaim
  reclaim check --provider NAME --mail-to ops@example.com --install-timer`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runCheck(cmd, f) },
	}
	c.Flags().StringVar(&f.provider, "provider", "", "provider: "+strings.Join(provider.IDs(), ", "))
	c.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&f.notifyURL, "notify-url", "", "POST a signed JSON alert here on drift (secret from $"+envNotifySecret+")")
	c.Flags().StringArrayVar(&f.mailTo, "mail-to", nil, "mail the alert to this address on drift (the report's SMTP settings); repeatable")
	c.Flags().StringVar(&f.signer, "signer", "", "require a baseline signed by a key in this allowed_signers or .pub file (default $"+envBaselineSigner+")")
	c.Flags().DurationVar(&f.timeout, "timeout", DefaultAuditTimeout, "stop reading after this long (exit 2)")
	c.Flags().BoolVar(&f.installTimer, "install-timer", false, "print a systemd service and timer, and a crontab line, for this check; change nothing")
	c.Flags().DurationVar(&f.every, "every", time.Hour, "with --install-timer: how often to check (5m to 24h)")
	f.caps.add(c)
	return c
}

func runCheck(cmd *cobra.Command, f checkFlags) error {
	out := cmd.OutOrStdout()
	if f.provider == "" {
		return withCode(exitError, errors.New("--provider NAME is required (known: "+strings.Join(provider.IDs(), ", ")+")"))
	}
	if _, ok := provider.Lookup(f.provider); !ok {
		return withCode(exitError, fmt.Errorf("unknown provider %q (known: %s)", provider.SanitizeN(f.provider, 40), strings.Join(provider.IDs(), ", ")))
	}
	for _, to := range f.mailTo {
		if _, err := mail.ParseAddress(to); err != nil {
			return withCode(exitError, fmt.Errorf("--mail-to %q is not an email address", provider.SanitizeN(to, 80)))
		}
	}
	if f.notifyURL != "" {
		if _, err := provider.CheckBaseURL(f.notifyURL); err != nil {
			return withCode(exitError, fmt.Errorf("--notify-url: %w", err))
		}
	}
	if f.installTimer {
		changed := func(name string) (string, bool) {
			if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
				return fl.Value.String(), true
			}
			return "", false
		}
		return printTimer(out, f, changed)
	}
	secret := os.Getenv(envNotifySecret)
	if f.notifyURL != "" && len(secret) < checklist.MinWebhookSecret {
		return withCode(exitError, fmt.Errorf("--notify-url needs the HMAC secret in $%s, at least %d bytes (e.g. openssl rand -hex 32); nothing was checked", envNotifySecret, checklist.MinWebhookSecret))
	}
	var smtp filing.Config
	if len(f.mailTo) > 0 {
		var err error
		if smtp, err = filing.FromEnv(os.Getenv); err != nil {
			return withCode(exitError, err)
		}
		smtp.To = f.mailTo
		smtp.Normalize()
		if err := smtp.Validate(); err != nil {
			return withCode(exitError, fmt.Errorf("--mail-to: %w; nothing was checked", err))
		}
	}
	store, err := baselineStore(f.signer)
	if err != nil {
		return withCode(exitError, err)
	}
	// the store is checked before the provider is read: a state directory
	// that cannot be used costs no API call
	fac, _ := provider.Lookup(f.provider)
	if list, err := store.List(f.provider); err != nil {
		return withCode(exitError, fmt.Errorf("nothing checked: %w", err))
	} else if len(list) == 0 && !fac.Simulated {
		_, err := store.Latest(f.provider, "")
		return withCode(exitError, fmt.Errorf("nothing checked: %w", err))
	}
	_, p, inv, err := readAccount(cmd.Context(), cmd.ErrOrStderr(), f.provider, f.timeout, f.caps.get(), false)
	if err != nil && inv == nil {
		return withCode(exitError, fmt.Errorf("nothing checked: %w", err))
	}
	// the newest baseline of the account read (a state directory may
	// serve two accounts of one provider)
	base, berr := store.Latest(f.provider, checklist.AccountLabel(inv))
	if berr != nil {
		if fac.Simulated && errors.Is(berr, checklist.ErrNoBaseline) {
			base, berr = drillBaseline()
		}
		if berr != nil {
			return withCode(exitError, fmt.Errorf("nothing checked: %w", berr))
		}
	}
	opt := checklist.CompareOptions{}
	if s, ok := p.(provider.SessionKeyReporter); ok {
		opt.SessionKeyID = s.SessionKeyID()
	}
	d := checklist.CheckDrift(base, inv, time.Now(), opt)
	alert := checklist.NewDriftAlert(d)
	if f.asJSON {
		js, jerr := alert.JSON()
		if jerr != nil {
			return withCode(exitError, jerr)
		}
		if _, werr := out.Write(js); werr != nil {
			return withCode(exitError, werr)
		}
	} else {
		fmt.Fprint(out, d.Text())
	}
	if err != nil {
		// Read in part: what was read was compared; the rest is an error.
		return withCode(exitError, err)
	}
	var failed []string
	if d.Drifted() {
		failed = sendAlerts(cmd, out, alert, f, smtp, []byte(secret))
	}
	switch {
	case len(failed) > 0:
		return withCode(exitError, fmt.Errorf("drift found, but the alert was not delivered: %s", strings.Join(failed, "; ")))
	case d.Drifted():
		return withCode(exitFindings, nil)
	case len(d.Partial()) > 0:
		msg := fmt.Sprintf("no drift in what was compared, but not all of the account was: %s", strings.Join(d.Partial(), ", "))
		if len(d.Incomplete) > 0 {
			msg += " (read only in part: " + capAdvice + ", and check again)"
		}
		return withCode(exitError, errors.New(msg))
	}
	return nil
}

// drillBaseline is the default drill scenario's known-good state, for
// "reclaim check --provider drill" without a recorded baseline: the
// rehearsal of what a check shows when an account was taken over.
func drillBaseline() (*checklist.Baseline, error) {
	fac, _ := provider.Lookup("drill")
	_, p, inv, err := readAccount(context.Background(), io.Discard, fac.Info.ID, 0, provider.Limits{}, true)
	if err != nil {
		return nil, err
	}
	b := checklist.NewBaseline(inv, provider.Info{ID: fac.Info.ID, Name: p.Info().Name}, inv.TakenAt)
	b.Drill = true
	if _, err := b.Encode(); err != nil {
		return nil, err
	}
	return b, nil
}

// sendAlerts delivers the alert by mail and webhook; it returns what failed.
func sendAlerts(cmd *cobra.Command, out io.Writer, alert *checklist.DriftAlert, f checkFlags, smtp filing.Config, secret []byte) []string {
	var failed []string
	ctx := cmd.Context()
	if len(f.mailTo) > 0 {
		if smtp.Username != "" && smtp.Password == "" {
			pw, err := smtpPassword(cmd, newBackend(), smtp)
			if err != nil {
				failed = append(failed, "mail: "+provider.Sanitize(err.Error()))
			}
			smtp.Password = pw
		}
		if smtp.Password != "" || smtp.Username == "" {
			id, err := filing.Send(ctx, smtp, alert)
			if err != nil {
				failed = append(failed, "mail: "+provider.Sanitize(err.Error()))
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "alert mailed to %s (Message-ID <%s>)\n", strings.Join(smtp.To, ", "), provider.Sanitize(id))
			}
		}
	}
	if f.notifyURL != "" {
		body, err := alert.JSON()
		if err == nil {
			err = checklist.PostWebhook(ctx, f.notifyURL, body, checklist.WebhookOptions{Secret: secret, UA: "reclaim/" + version})
		}
		if err != nil {
			failed = append(failed, provider.Sanitize(err.Error()))
		} else {
			fmt.Fprintf(cmd.ErrOrStderr(), "alert posted to %s\n", provider.Sanitize(hostOfURL(f.notifyURL)))
		}
	}
	return failed
}

func hostOfURL(raw string) string {
	if u, err := provider.CheckBaseURL(raw); err == nil {
		return u.Host
	}
	return "(the URL)"
}

// ---- --install-timer ----

// printTimer prints the systemd user units, a crontab line and the
// environment file they read, for this check. It writes nothing.
func printTimer(w io.Writer, f checkFlags, changed func(flag string) (string, bool)) error {
	if f.every < 5*time.Minute || f.every > 24*time.Hour || f.every%time.Minute != 0 {
		return withCode(exitError, errors.New("--every must be whole minutes from 5m to 24h"))
	}
	fac, _ := provider.Lookup(f.provider)
	exe, err := os.Executable()
	if err != nil {
		exe = "reclaim"
	} else if abs, err := filepath.EvalSymlinks(exe); err == nil {
		exe = abs
	}
	args := []string{exe, "check", "--provider", f.provider}
	if g.stateDir != "" {
		if abs, err := filepath.Abs(g.stateDir); err == nil {
			args = append(args, "--state-dir", abs)
		}
	}
	if f.notifyURL != "" {
		args = append(args, "--notify-url", f.notifyURL)
	}
	for _, to := range f.mailTo {
		args = append(args, "--mail-to", to)
	}
	if f.signer != "" {
		if abs, err := filepath.Abs(f.signer); err == nil {
			args = append(args, "--signer", abs)
		}
	}
	for _, n := range append([]string{"timeout"}, capFlagNames...) {
		if v, ok := changed(n); ok {
			args = append(args, "--"+n, v)
		}
	}
	name := "reclaim-check-" + f.provider
	envFile := "%h/.config/reclaim/" + f.provider + ".env"
	// systemd reads "%" as a specifier and "$" as a variable; cron turns
	// "%" into a newline: each line escapes them its own way.
	var unit, cron []string
	for _, a := range args {
		unit = append(unit, systemdQuote(a))
		cron = append(cron, strings.ReplaceAll(shellQuote(a), "%", `\%`))
	}
	cmdline, cronline := strings.Join(unit, " "), strings.Join(cron, " ")

	fmt.Fprintf(w, "# reclaim check --install-timer: nothing was installed or changed. To install:\n")
	fmt.Fprintf(w, "#   mkdir -p ~/.config/systemd/user ~/.config/reclaim && chmod 700 ~/.config/reclaim\n")
	fmt.Fprintf(w, "#   save the three parts below, then: systemctl --user daemon-reload && systemctl --user enable --now %s.timer\n", name)
	fmt.Fprintf(w, "#   (loginctl enable-linger $USER keeps it running while you are logged out)\n\n")

	fmt.Fprintf(w, "# ---- ~/.config/reclaim/%s.env (chmod 600) ----\n", f.provider)
	fmt.Fprintf(w, "# The credential is read from the OS keyring when it is not set here; set it here\n")
	fmt.Fprintf(w, "# only where no keyring runs (a headless server), and keep this file 0600.\n")
	for _, c := range fac.Info.Credentials {
		fmt.Fprintf(w, "#%s=\n", c.Env)
	}
	if fac.Info.BaseURLEnv != "" {
		fmt.Fprintf(w, "#%s=\n", fac.Info.BaseURLEnv)
	}
	if len(f.mailTo) > 0 {
		for _, e := range []string{filing.EnvHost, filing.EnvPort, filing.EnvTLS, filing.EnvUser, filing.EnvFrom, filing.EnvPassword} {
			fmt.Fprintf(w, "%s=\n", e)
		}
	}
	if f.notifyURL != "" {
		fmt.Fprintf(w, "# the webhook's HMAC secret, at least %d bytes (openssl rand -hex 32)\n%s=\n", checklist.MinWebhookSecret, envNotifySecret)
	}
	fmt.Fprintf(w, "#%s=/path/to/allowed_signers\n\n", envBaselineSigner)

	fmt.Fprintf(w, "# ---- ~/.config/systemd/user/%s.service ----\n", name)
	fmt.Fprintf(w, "[Unit]\nDescription=reclaim drift check of the %s account against its baseline\nAfter=network-online.target\n\n", fac.Info.Name)
	fmt.Fprintf(w, "[Service]\nType=oneshot\nEnvironmentFile=-%s\nExecStart=%s\n# exit 1 is drift (alerted above), 2 an error: both show as failed in systemctl --user status\nNoNewPrivileges=yes\n\n", envFile, cmdline)

	fmt.Fprintf(w, "# ---- ~/.config/systemd/user/%s.timer ----\n", name)
	fmt.Fprintf(w, "[Unit]\nDescription=Run %s every %s\n\n[Timer]\nOnBootSec=5min\nOnUnitActiveSec=%s\nRandomizedDelaySec=%s\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n\n", name, systemdSpan(f.every), systemdSpan(f.every), systemdSpan(min(f.every/10, 5*time.Minute)))

	fmt.Fprintf(w, "# ---- or a crontab line (crontab -e); cron mails what it prints when MAILTO is set ----\n")
	fmt.Fprintf(w, "%s set -a; . \"$HOME/.config/reclaim/%s.env\"; set +a; %s\n", cronSpec(f.every), f.provider, cronline)
	return nil
}

// systemdQuote makes one word of a systemd command line: "%" and "$"
// doubled (a specifier, a variable), and a word with anything but plain
// characters in double quotes with "\" and '"' escaped.
func systemdQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@+=:,./_-") == "" {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$").Replace(s) + `"`
}

func systemdSpan(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d >= time.Minute:
		return fmt.Sprintf("%dmin", int(d.Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

// cronSpec is a crontab schedule for an interval (rounded to what cron can
// say: every N minutes within an hour, every N hours, or daily).
func cronSpec(d time.Duration) string {
	m := int(d.Minutes())
	switch {
	case m < 60:
		return fmt.Sprintf("*/%d * * * *", m)
	case m < 24*60:
		return fmt.Sprintf("17 */%d * * *", max(m/60, 1))
	}
	return "17 6 * * *"
}
