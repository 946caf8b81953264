package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"reclaim/checklist/leakscan"
)

func init() {
	subcommands = append(subcommands, newScanCmd)
}

func newScanCmd() *cobra.Command {
	var format string
	var webRoots []string
	c := &cobra.Command{
		Use:   "scan [PATH…] [--format text|json|sarif]",
		Short: "Find where provider credentials leaked on this server (files, web roots, logs)",
		Long: `Scan files for the credentials of every provider reclaim knows (SendGrid,
Mailjet, Mailgun, Postmark, Brevo, Twilio, Mailchimp, Mandrill), exposed
configuration (.env in a web root, wp-config.php backups, phpinfo pages,
.git in a web root, Laravel APP_DEBUG=true), attack traces in web-server logs
(/.env and /.git/config probes, AndroxGh0st) and the other secrets in the same
files ("also exposed — rotate too").

With no PATH it scans the web roots named by the local nginx/Apache configs,
else the current directory. node_modules, vendor and .git/config are scanned;
.git/objects and binary files are not.

Secrets are never printed: each finding shows the value redacted and a
fingerprint, "sha256:" + the hex SHA-256 of the exact secret. SendGrid
findings show the key id, as listed in the account.

The summary names each PATH with the files and bytes read from it (and,
for a symbolic link, the target it was read through). A PATH that does not
exist, cannot be read, or holds no readable file is an error: the report is
still written (its per-root stats say why), and reclaim exits 2 naming it.

Progress goes to standard error, and only when it is a terminal.

Exit: 0 no findings, 1 findings, 2 error (including a PATH not read).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, format, webRoots)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif (SARIF 2.1.0)")
	c.Flags().StringSliceVar(&webRoots, "web-root", nil, "extra web root(s), besides those in nginx/Apache configs")
	return c
}

func runScan(ctx context.Context, stdout, stderr io.Writer, paths []string, format string, webRoots []string) error {
	if format != "text" && format != "json" && format != "sarif" {
		return withCode(exitError, fmt.Errorf("unknown --format %q (text, json, sarif)", format))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if len(paths) == 0 {
		paths = leakscan.DefaultRoots()
	}
	opt := leakscan.Options{WebRoots: webRoots}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(f.Fd()) {
		start := time.Now()
		opt.Progress = func(p leakscan.Progress) {
			secs := time.Since(start).Seconds()
			mbs := 0.0
			if secs > 0 {
				mbs = float64(p.Bytes) / 1e6 / secs
			}
			fmt.Fprintf(stderr, "\r%d files, %.1f MB, %d findings, %.0f MB/s ", p.Files, float64(p.Bytes)/1e6, p.Findings, mbs)
		}
		defer fmt.Fprint(stderr, "\r\033[K")
	}
	rep, err := leakscan.Scan(ctx, paths, opt)
	if err != nil {
		return withCode(exitError, err)
	}
	switch format {
	case "json":
		err = leakscan.WriteJSON(stdout, rep)
	case "sarif":
		err = leakscan.WriteSARIF(stdout, rep, version)
	default:
		err = leakscan.WriteText(stdout, rep)
	}
	if err != nil {
		return withCode(exitError, err)
	}
	// A root not read is an error, never "no findings".
	if err := rep.RootsError(); err != nil {
		return withCode(exitError, err)
	}
	if len(rep.Findings)+len(rep.AlsoExposed)+len(rep.Exposures)+len(rep.Traces) > 0 {
		return withCode(exitFindings, nil)
	}
	return nil
}
