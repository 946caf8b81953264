package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
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
	var archives bool
	var gitRepos []string
	var history bool
	c := &cobra.Command{
		Use:   "scan [PATH…] [--git REPO]… [--history] [--format text|json|sarif]",
		Short: "Find where provider credentials leaked on this server (files, web roots, logs)",
		Long: wrapText("Scan files for the credentials of every provider reclaim knows ("+detectorNames()+"), exposed configuration (.env in a web root, wp-config.php backups, phpinfo pages, .git in a web root, Laravel APP_DEBUG=true), attack traces in web-server logs (/.env and /.git/config probes, AndroxGh0st) and the other secrets in the same files (\"also exposed — rotate too\").", 75) + `

With no PATH it scans the web roots named by the local nginx/Apache configs,
else the current directory. The configs are read like scanned files (no
named pipe, device or other special file is opened for reading; a link is
read at its target only when that is a regular file; at most 1 MiB each),
and ctrl+c stops that phase too. RECLAIM_SCAN_CONFIG_ROOT names another
root to read etc/nginx and etc/apache2 under (a server image; tests); the
web roots they name are taken under it as well.

node_modules, vendor and .git/config are scanned;
.git/objects is not. Media, fonts and executables are skipped by type
(extension or first bytes); other binary-looking files are read for their
text (UTF-16 is decoded; NUL-headed logs and SQLite files are read for
their printable runs). The summary counts the skipped binaries and names
the first.

Archives and compressed files are read too (--archives, on by default;
--archives=false skips them as binaries): zip, tar, .gz/.tgz, .bz2 and
.zst, nested up to 4 archives deep, each member streamed like a file, so
a key in a backup is named "backup.zip!/site/wp-config.php:12". Rotated
logs (access.log.2.gz) are read for attack traces like access.log. Docker
images saved with "docker save" and OCI image layouts are read layer by
layer, with the ENV, labels and build history of the image config; such
findings name their layer. Nothing is extracted to disk. Per archive at
most 4 GiB are expanded and 100,000 members opened; a member that expands
more than 500 times its size is a decompression bomb: reported (an
exposure) and not expanded. A bomb, an archive cut at a cap, one nested
deeper than 4, or one corrupt or truncated makes the result incomplete.
xz, 7z and rar archives are counted, not read.

Symbolic links inside a tree are not followed (the summary counts them and
names the first); a PATH that is a link is read at its target. Folders are
opened one name at a time relative to their open parent, never by path, so
a folder swapped for a link during the scan is refused and counted as
unreadable, not followed. Named pipes, sockets and devices are never read,
and /proc, /sys, /dev and other kernel file systems are not walked into
unless named as a PATH. At most --file-cap MiB is read from one file (holes
in sparse files are skipped); folders whose path is longer than 4,096 bytes
are not walked into.

Each secret is listed once per file, with how often it occurs there. Every
distinct credential (the key id, for providers whose keys name it; for
others the key or secret itself) is listed, up to 20,000, so copies or decoys cannot push a
real key out of the list; further places of a listed credential are listed
up to 20,000 in all.

A scan that left something out (files cut at --file-cap, folders too deep,
unreadable files or folders, findings over the caps) is INCOMPLETE: the
report says so first and names what was left out, never "No provider
credentials found." as an all-clear ("No provider credentials found in what
was read, but the result is incomplete (…): not an all-clear."), and
reclaim exits 1.

Secrets are never printed: each finding shows the value redacted and a
fingerprint, "sha256:" + the hex SHA-256 of the exact secret. A key that
names its id shows the key id, as listed in the account.

The summary names each PATH with the files and bytes read from it (and,
for a symbolic link, the target it was read through). A PATH that does not
exist, cannot be read, or holds no readable file is an error: the report is
still written (its per-root stats say why), and reclaim exits 2 naming it.

Paths, log fields and every other string from the server are sanitized in
the text output (escape and control characters, bidi and zero-width
characters become U+FFFD) and escaped in JSON and SARIF; SARIF file URIs
are percent-encoded segment by segment, so they parse back to the exact
path.

Progress goes to standard error, and only when it is a terminal. ctrl+c
stops the scan within a second: the report of what was read so far is
written, marked partial, and reclaim exits 130.

Git history (--git REPO, and --history for every repository found under
a PATH): every object of the repository is read once, from its pack files
and loose objects, so a key is found wherever it lives: in a commit of any
branch or tag, in a stash, only in a reflog, in a commit no ref reaches, or
in a blob no commit holds. Each finding names the commit that added the key
(REPO@commit:path:line), its author date, the first ref that reaches it
("stash", "reflog" or "unreachable" when no branch or tag does) and whether
HEAD still holds it. When origin is on GitHub, GitLab or Bitbucket the
finding is marked PUBLIC: rewriting the history does not un-leak a key, so
revoke it. Credentials in the repository's remote URLs are found too. A
corrupt pack, a missing object, a delta chain that loops, a tree too deep or
an object over 16 MiB in a delta chain is counted and named, and makes the
result incomplete; so do the objects left unread once a history expanded
to 1,000 times its size on disk (at least 4 GiB are read): a pack of
deltas that each rebuild a large base would otherwise take hours.
--git REPO alone scans only the history (no web roots). Without
--history, the summary names the repositories found under the PATHs
whose history was not read.

Exit: 0 no findings and nothing left out, 1 findings or an incomplete
result (or both), 2 error (including a PATH not read), 130 interrupted
(the report is partial).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			fileCap := fileCapMiB << 20
			if fileCapMiB <= 0 {
				fileCap = -1 // no cap
			}
			var more []scanOption
			if !archives {
				more = append(more, func(o *leakscan.Options) { o.Archives = false })
			}
			if len(gitRepos) > 0 || history {
				more = append(more, gitOption(gitRepos, history))
			}
			return runScan(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, format, webRoots, fileCap, more...)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif (SARIF 2.1.0)")
	c.Flags().StringSliceVar(&webRoots, "web-root", nil, "extra web root(s), besides those in nginx/Apache configs")
	c.Flags().Int64Var(&fileCapMiB, "file-cap", leakscan.DefaultFileCap>>20, "read at most this many MiB of one file (0: no cap)")
	c.Flags().BoolVar(&archives, "archives", true, "read inside archives, compressed files and container images (--archives=false: skip them)")
	c.Flags().StringArrayVar(&gitRepos, "git", nil, "scan the git history of this repository (work tree or bare; repeatable)")
	c.Flags().BoolVar(&history, "history", false, "also scan the git history of every repository found under the PATHs")
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

// scanOption changes the scan's options after runScan set them from its
// arguments (flags added later: --archives=false, --git, --history ...).
type scanOption func(*leakscan.Options)

// gitOption scans the history of repos (--git) and, with all, of every
// repository found under the scanned folders (--history).
func gitOption(repos []string, all bool) scanOption {
	return func(o *leakscan.Options) {
		o.GitRepos = append(o.GitRepos, repos...)
		o.History = o.History || all
	}
}

// runScan runs `reclaim scan`; fileCap is the most read from one file, in
// bytes (0: leakscan.DefaultFileCap, < 0: no cap). Archives are read
// unless an option turns them off. With no PATH and no --git repository,
// the web roots of the local configs are scanned.
func runScan(ctx context.Context, stdout, stderr io.Writer, paths []string, format string, webRoots []string, fileCap int64, more ...scanOption) error {
	if format != "text" && format != "json" && format != "sarif" {
		return scanErr(exitError, fmt.Errorf("unknown --format %q (text, json, sarif)", format))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	configRoot := os.Getenv(scanConfigRootEnv)
	opt := leakscan.Options{WebRoots: webRoots, FileCap: fileCap, ConfigRoot: configRoot, Archives: true}
	for _, f := range more {
		f(&opt)
	}
	if len(paths) == 0 && len(opt.GitRepos) == 0 {
		// the web roots of the local configs; stopped by ctrl+c like the
		// scan (then Scan below returns at once, with a partial report of
		// no folder or of the roots found so far)
		paths, _ = leakscan.DefaultRootsContext(ctx, configRoot)
	}
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
	// Something left out by a cap, a limit or an error: never an all-clear.
	if why := rep.IncompleteReasons(); len(why) > 0 {
		return scanErr(exitFindings, fmt.Errorf("incomplete: %s (exit 1: findings or an incomplete result)", strings.Join(why, "; ")))
	}
	if len(rep.Findings)+len(rep.AlsoExposed)+len(rep.Exposures)+len(rep.Traces) > 0 {
		return withCode(exitFindings, nil)
	}
	return nil
}

// scanConfigRootEnv names the root under which `reclaim scan` reads the
// nginx/Apache configs ("" or unset: "/").
const scanConfigRootEnv = "RECLAIM_SCAN_CONFIG_ROOT"

// detectorNames lists the providers whose credentials the scan detects, by
// name where an adapter is registered.
func detectorNames() string {
	var names []string
	seen := map[string]bool{}
	for _, d := range provider.Detectors() {
		if d.Provider == "" || seen[d.Provider] {
			continue
		}
		seen[d.Provider] = true
		name := d.Provider
		if f, ok := provider.Lookup(d.Provider); ok {
			name = f.Info.Name
		} else {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}
