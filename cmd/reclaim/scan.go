package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"reclaim/checklist/leakscan"
	"reclaim/provider"
)

func init() {
	subcommands = append(subcommands, newScanCmd)
}

func newScanCmd() *cobra.Command {
	var format string
	var webRoots []string
	var fileCapMiB int64
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
.git/objects is not. Media, fonts, executables and archives are skipped by
type (extension or first bytes); other binary-looking files are read for
their text (UTF-16 is decoded; NUL-headed logs and SQLite files are read
for their printable runs). The summary counts the skipped binaries and
names the first.

Symbolic links inside a tree are not followed (the summary counts them and
names the first); a PATH that is a link is read at its target. Named pipes,
sockets and devices are never read, and /proc, /sys, /dev and other kernel
file systems are not walked into unless named as a PATH. At most
--file-cap MiB is read from one file (holes in sparse files are skipped).

Secrets are never printed: each finding shows the value redacted and a
fingerprint, "sha256:" + the hex SHA-256 of the exact secret. SendGrid
findings show the key id, as listed in the account.

The summary names each PATH with the files and bytes read from it (and,
for a symbolic link, the target it was read through). A PATH that does not
exist, cannot be read, or holds no readable file is an error: the report is
still written (its per-root stats say why), and reclaim exits 2 naming it.

Paths, log fields and every other string from the server are sanitized in
the text output (escape and control characters, bidi and zero-width
characters become U+FFFD) and escaped in JSON and SARIF.

Progress goes to standard error, and only when it is a terminal. ctrl+c
stops the scan within a second: the report of what was read so far is
written, marked partial, and reclaim exits 130.

Exit: 0 no findings, 1 findings, 2 error (including a PATH not read),
130 interrupted (the report is partial).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			fileCap := fileCapMiB << 20
			if fileCapMiB <= 0 {
				fileCap = -1 // no cap
			}
			return runScan(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, format, webRoots, fileCap)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif (SARIF 2.1.0)")
	c.Flags().StringSliceVar(&webRoots, "web-root", nil, "extra web root(s), besides those in nginx/Apache configs")
	c.Flags().Int64Var(&fileCapMiB, "file-cap", leakscan.DefaultFileCap>>20, "read at most this many MiB of one file (0: no cap)")
	return c
}

// scanErr is err with its text sanitized: errors name paths, and a path
// on this server may hold escape codes.
func scanErr(code int, err error) error {
	if err == nil {
		return withCode(code, nil)
	}
	return withCode(code, errors.New(provider.Sanitize(err.Error())))
}

// runScan runs `reclaim scan`; fileCap is the most read from one file, in
// bytes (0: leakscan.DefaultFileCap, < 0: no cap).
func runScan(ctx context.Context, stdout, stderr io.Writer, paths []string, format string, webRoots []string, fileCap int64) error {
	if format != "text" && format != "json" && format != "sarif" {
		return scanErr(exitError, fmt.Errorf("unknown --format %q (text, json, sarif)", format))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if len(paths) == 0 {
		paths = leakscan.DefaultRoots()
	}
	opt := leakscan.Options{WebRoots: webRoots, FileCap: fileCap}
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
	if rep == nil {
		return scanErr(exitError, err)
	}
	// interrupted: the report of what was read, marked partial
	interrupted := rep.Partial || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	rep.Partial = interrupted
	switch format {
	case "json":
		err = leakscan.WriteJSON(stdout, rep)
	case "sarif":
		err = leakscan.WriteSARIF(stdout, rep, version)
	default:
		err = leakscan.WriteText(stdout, rep)
	}
	if err != nil {
		return scanErr(exitError, err)
	}
	if interrupted {
		return scanErr(exitAborted, fmt.Errorf("interrupted: the report covers only the %d files read before the scan stopped", rep.Files))
	}
	// A root not read is an error, never "no findings".
	if err := rep.RootsError(); err != nil {
		return scanErr(exitError, err)
	}
	if len(rep.Findings)+len(rep.AlsoExposed)+len(rep.Exposures)+len(rep.Traces) > 0 {
		return withCode(exitFindings, nil)
	}
	return nil
}
