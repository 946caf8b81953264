// Package leakscan finds where email-provider credentials leaked on a
// server: credentials of every registered provider detector in any text file,
// exposed configuration (.env in a web root, wp-config backups, phpinfo
// pages, .git in a web root, Laravel debug mode), attack traces in web-server
// logs (/.env and /.git/config probes, AndroxGh0st) and the other secrets in
// the same files ("also exposed — rotate too").
//
// It never outputs a secret: findings carry the value redacted and a
// fingerprint, "sha256:" + the hex SHA-256 of the exact secret.
//
// How it is fast: one parallel walk in which each worker lists folders and
// reads files itself (no hand-off per file), with open/fstat/read/close as
// raw system calls relative to the open folder; media, fonts, executables
// and archives skipped by extension, or by their first bytes when a NUL in
// the first 8 KB makes a file look binary (other binary-looking files are
// decoded from UTF-16 or read for their printable text: binary.go); every
// buffer goes once through a case-insensitive prefilter of all detectors'
// anchors (a table of one rare byte pair per anchor, eight positions per
// step), and the detectors' validators run only in a small window around
// each hit; large files are streamed in 1 MiB chunks with an overlap;
// nothing is allocated per line.
//
// How it cannot be stalled or fooled by the tree it reads (the server may be
// the attacker's): the walk goes by file descriptor, each folder opened
// with openat(parent, name, O_DIRECTORY|O_NOFOLLOW) relative to its open
// parent, so the kernel never resolves more than one name and a folder
// swapped for a symbolic link during the scan is refused (counted as
// unreadable), never followed; symbolic links inside a tree are never
// followed (they are counted and the first are named); files are opened
// with O_NOFOLLOW|O_NONBLOCK and read only when fstat says they are
// regular, so a named pipe swapped in after the listing cannot block a
// read; /proc, /sys, /dev and other kernel file systems are not walked into
// unless named as a root; no more than Options.FileCap bytes are read from
// one file, and holes in sparse files are skipped, not read; the
// nginx/Apache configs that name the web roots are read the same way; a
// cancelled context stops the walk between folders, files and reads, and
// Scan returns (the report marked Partial) within a second even if a read
// is stuck in the kernel.
//
// What a cap, a limit or an error left out (files cut at the cap, folders
// past MaxPathLen, unreadable files and folders, findings over the caps)
// makes the report incomplete (Report.IncompleteReasons): never an
// all-clear.
package leakscan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"reclaim/provider"
)

// Finding is one credential (or, in Report.AlsoExposed, another secret)
// found in a file. It never holds the secret itself.
type Finding struct {
	File        string `json:"file"`
	Line        int    `json:"line"`
	Provider    string `json:"provider"`
	Kind        string `json:"kind"`
	Redacted    string `json:"redacted"`
	Fingerprint string `json:"fingerprint"` // "sha256:" + hex SHA-256 of the exact secret
	// KeyID is the provider's public key id when the credential has one
	// (SendGrid: the middle part of SG.<id>.<secret>).
	KeyID string `json:"key_id,omitempty"`
	// Count is how many times the secret occurs in the file, when more
	// than once (Line is the first).
	Count int `json:"count,omitempty"`
	// Pair is the kind of the credential this one pairs with (Twilio SID and
	// token, Mailjet key and secret), PairRedacted its redacted value.
	Pair         string `json:"pair,omitempty"`
	PairRedacted string `json:"pair_redacted,omitempty"`
	Detector     string `json:"detector,omitempty"`
	// InWebRoot is true when the file is under a web root (it could be
	// downloaded).
	InWebRoot bool `json:"in_web_root,omitempty"`

	// Where inside the file the value was (issue 16). Member is the path
	// inside an archive or compressed file, nested members joined with "!/"
	// (File "backup.zip", Member "site.tar.gz!/wp-config.php": shown as
	// "backup.zip!/site.tar.gz!/wp-config.php:12"). Layer names a container
	// image layer (its digest, short) or "config" for the image config.
	Member string `json:"member,omitempty"`
	Layer  string `json:"layer,omitempty"`
	// Git history: File is the repository, Path the file inside it, Commit
	// the commit that added the value (full hex id; "" for an object no
	// commit reaches), AuthorDate that commit's author date, Ref a ref or
	// "stash"/"unreachable" that reaches it, InHead whether HEAD still holds
	// it, Public whether the repository has a public remote.
	Commit     string    `json:"commit,omitempty"`
	Blob       string    `json:"blob,omitempty"` // git history: the blob (or tag) object id
	Path       string    `json:"path,omitempty"`
	AuthorDate time.Time `json:"author_date,omitzero"`
	Ref        string    `json:"ref,omitempty"`
	InHead     *bool     `json:"in_head,omitempty"`
	Public     bool      `json:"public,omitempty"`
	// Encoding names how the value was encoded where it was found
	// ("base64", "base64url", "url", "json-escape", "php-escape",
	// "basic-auth"); "" when it was in plain text.
	Encoding string `json:"encoding,omitempty"`
}

// Exposure is a path that is dangerous even without a key in it.
type Exposure struct {
	Path     string `json:"path"`
	Kind     string `json:"kind"` // env-in-webroot, env-backup, wp-config-backup, phpinfo, git-in-webroot, sql-dump-in-webroot, backup-archive-in-webroot, laravel-debug
	Severity string `json:"severity"`
	Detail   string `json:"detail"`
	Line     int    `json:"line,omitempty"`
}

// Trace is an attack trace in a web-server access log: requests for one
// kind of probe, aggregated.
type Trace struct {
	File     string    `json:"file"`
	Probe    string    `json:"probe"` // "/.env", "/.git/config", "androxgh0st", ...
	Requests int       `json:"requests"`
	Served   int       `json:"served"` // answered 200: the file was served
	IPs      []string  `json:"ips"`    // source addresses (first 50)
	IPCount  int       `json:"ip_count"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	FirstLn  int       `json:"first_line"`
}

// Report is the outcome of a scan.
type Report struct {
	Roots    []string `json:"roots"`
	WebRoots []string `json:"web_roots,omitempty"`
	// Partial is set when the scan was stopped (ctrl+c, a cancelled
	// context) before it had read everything: the report covers only what
	// was read.
	Partial bool  `json:"partial"`
	Files   int64 `json:"files"`
	Bytes   int64 `json:"bytes"`
	// Binary counts the files skipped as media, fonts, executables or
	// archives (by extension, or by their first bytes); BinaryFirst names
	// the first of them in path order.
	Binary      int64  `json:"binary_skipped"`
	BinaryFirst string `json:"binary_skipped_first,omitempty"`
	// BinaryScanned counts the binary-looking files (a NUL in the first
	// 8 KB) that were read anyway: decoded from UTF-16, or for their
	// printable text (NUL-headed logs, SQLite files).
	BinaryScanned int64 `json:"binary_scanned"`
	// Symlinks counts the symbolic links inside the tree, which are not
	// followed; SymlinksFirst names the first few in path order.
	Symlinks      int64  `json:"symlinks_skipped"`
	SymlinksFirst []Link `json:"symlinks_skipped_first,omitempty"`
	// Special counts named pipes, sockets and devices, which are not read.
	Special int64 `json:"special_skipped,omitempty"`
	// FileCap is the most read from one file (0: no cap); Capped counts
	// the files read only up to it, CappedFirst names the first in path
	// order.
	FileCap int64 `json:"file_cap"`
	// PseudoFileCap is the cap for files of a kernel file system named as
	// a root (0 when there was none).
	PseudoFileCap int64  `json:"pseudo_file_cap,omitempty"`
	Capped        int64  `json:"capped,omitempty"`
	CappedFirst   string `json:"capped_first,omitempty"`
	// PseudoSkipped lists the kernel file systems (/proc, /sys, /dev …)
	// met inside a root and not walked into.
	PseudoSkipped []string `json:"pseudo_skipped,omitempty"`
	// NotListed counts findings left out of the lists above their caps
	// (MaxKeys, MaxFindings, MaxFindingsPerFile); KeysNotListed counts the
	// distinct credentials among them (over MaxKeys).
	NotListed     int64 `json:"findings_not_listed,omitempty"`
	KeysNotListed int64 `json:"keys_not_listed,omitempty"`
	// TooDeep counts the folders not walked into because their path is
	// longer than MaxPathLen; TooDeepFirst names the first in path order.
	TooDeep      int64  `json:"too_deep,omitempty"`
	TooDeepFirst string `json:"too_deep_first,omitempty"`
	// TooBig counts the files not read because they are bigger than
	// Options.MaxFileSize.
	TooBig int64 `json:"too_big,omitempty"`
	// Unreadable counts the files and folders, under every root, that
	// could not be read (RootStat.Unreadable, added up).
	Unreadable int64 `json:"unreadable,omitempty"`
	// Incomplete is set when something was left unread or unlisted by a
	// cap, a limit or an error: files cut at the per-file cap, files over
	// the size limit, folders too deep, unreadable files or folders,
	// findings not listed. IncompleteWhy says what, one reason each. Such
	// a report is never an all-clear (IncompleteReasons).
	Incomplete    bool          `json:"incomplete"`
	IncompleteWhy []string      `json:"incomplete_why,omitempty"`
	Findings      []Finding     `json:"findings"`
	AlsoExposed   []Finding     `json:"also_exposed"`
	Exposures     []Exposure    `json:"exposures"`
	Traces        []Trace       `json:"attack_traces"`
	Errors        []string      `json:"errors,omitempty"`
	Elapsed       time.Duration `json:"elapsed_ns"`
	// RootStats says, for each root in the order given, what was read from
	// it, or why nothing was.
	RootStats []RootStat `json:"root_stats"`
	// Repos says what the git history scan read from each repository
	// (githistory.go); Options.GitRepos come first.
	Repos []RepoStat `json:"repos,omitempty"`
	// HistoryNotRead are the repositories found under the roots whose
	// history was not read (no Options.History, not in GitRepos): a key
	// deleted from their files may still be in it (sorted, at most 1,000).
	HistoryNotRead []string `json:"history_not_read,omitempty"`
	// Archives is what was read inside archives, compressed files and
	// container images (archive.go); nil unless Options.Archives.
	Archives *ArchiveStats `json:"archives,omitempty"`
}

// Link is a symbolic link that was not followed, and where it points (as
// written in the link).
type Link struct {
	Path   string `json:"path"`
	Target string `json:"target,omitempty"`
}

// RootStat is what a scan read from one of its roots.
type RootStat struct {
	// Path is the root as given.
	Path string `json:"path"`
	// Target is where a root that is a symbolic link points (resolved);
	// the scan reads the target, and findings name files under it.
	Target string `json:"target,omitempty"`
	// Files and Bytes are what was read (a binary file counts once, with
	// the bytes read before it was recognised).
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
	// Skipped counts files not read by choice: binary by extension, or
	// over Options.MaxFileSize.
	Skipped int64 `json:"skipped,omitempty"`
	// Unreadable counts files and folders under the root that could not be
	// read (the first reason is in Report.Errors).
	Unreadable int64 `json:"unreadable,omitempty"`
	// Error is set when nothing was read from the root: it does not exist,
	// cannot be read, is not a file or folder, or holds no readable file.
	Error string `json:"error,omitempty"`
}

// Failed reports whether nothing could be read from the root.
func (r RootStat) Failed() bool { return r.Error != "" }

// Failed returns the roots nothing could be read from.
func (r *Report) Failed() []RootStat {
	var out []RootStat
	for _, s := range r.RootStats {
		if s.Failed() {
			out = append(out, s)
		}
	}
	return out
}

// RootsError is nil when every root was read; otherwise it names each
// root that was not, and why ("nothing was read: …" when no root was),
// sanitized for a terminal (paths may hold escape codes).
func (r *Report) RootsError() error {
	bad := r.Failed()
	if len(bad) == 0 && (r.Files > 0 || len(r.RootStats) == 0) {
		return nil
	}
	var parts []string
	for _, s := range bad {
		parts = append(parts, provider.Sanitize(s.describe()))
	}
	if len(bad) == len(r.RootStats) || r.Files == 0 {
		if len(parts) == 0 {
			return errors.New("nothing was read")
		}
		return errors.New("nothing was read: " + strings.Join(parts, "; "))
	}
	return fmt.Errorf("%d of %d roots not read: %s", len(bad), len(r.RootStats), strings.Join(parts, "; "))
}

// describe is "path: reason", or "path -> target: reason" for a link.
func (r RootStat) describe() string {
	p := r.Path
	if r.Target != "" {
		p += " -> " + r.Target
	}
	return p + ": " + r.Error
}

// reason is why a path could not be read, in a few words.
func reason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or folder"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// modeName names a file type that is neither a file nor a folder.
func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "an irregular file"
}

// Progress is a snapshot of a running scan.
type Progress struct {
	Files    int64
	Bytes    int64
	Findings int
}

// Options tune a scan. The zero value is fine.
type Options struct {
	// Workers is the number of workers that list folders and read files in
	// parallel (0: GOMAXPROCS).
	Workers int
	// Progress, when set, is called about ten times a second and once at
	// the end, from one goroutine.
	Progress func(Progress)
	// WebRoots adds web roots to those named in nginx/Apache configs and the
	// usual folder names (public, public_html, htdocs, www).
	WebRoots []string
	// MaxFileSize skips files bigger than this (0: no limit; big files are
	// streamed).
	MaxFileSize int64
	// FileCap is the most read from one file (0: DefaultFileCap; < 0: no
	// cap); files under a kernel file system named as a root are read up
	// to PseudoFileCap. Holes in sparse files are skipped and do not count.
	FileCap int64

	// ConfigRoot is the root of the system whose nginx/Apache configs name
	// the web roots ("" is "/"; tests point it at a folder of their own).
	ConfigRoot string

	// Archives reads inside archives and compressed files (zip, tar, gz,
	// bz2, ...) and container images, within bounded expansion. History
	// also scans the git history of every repository found under a root.
	Archives bool
	History  bool
	// GitRepos are repositories whose history is scanned (`--git PATH`):
	// each is also a root in Report.RootStats (after the folders).
	GitRepos []string

	// for tests: more folders to treat as kernel file systems, a call
	// before each file is opened, one before each folder is opened (to be
	// listed, or for a batch of its files), a cap on open folders (< 0: 0)
	testPseudo      []string
	testBeforeOpen  func(path string)
	testBeforeDir   func(path string)
	testMaxOpenDirs int
}

func (o *Options) configRoot() string {
	if o.ConfigRoot == "" {
		return systemRoot
	}
	return o.ConfigRoot
}

const (
	chunkSize  = 1 << 20 // read unit; larger files are streamed
	overlap    = 2048    // carried between chunks: longer than any window
	sniffBytes = 8 << 10 // NUL in the first 8 KB: binary-looking

	// DefaultFileCap is the most read from one file by default.
	DefaultFileCap = 256 << 20
	// PseudoFileCap is the most read from one file of /proc, /sys or
	// another kernel file system named as a root (/proc/*/pagemap and the
	// like claim terabytes).
	PseudoFileCap = 1 << 20
	// Findings are listed once per secret and file (Finding.Count says how
	// often it occurs there). Every distinct credential (a provider's key
	// id where it has one, else the secret's fingerprint) is listed, up to
	// MaxKeys; further places of a credential already listed are listed up
	// to MaxFindings in all. So a file or a tree stuffed with key-shaped
	// strings cannot exhaust memory, and a thousand copies or decoys
	// cannot push a distinct key out of the list. The "also exposed"
	// secrets are capped at MaxFindingsPerFile per file and MaxFindings in
	// all. Report.NotListed and Report.KeysNotListed count what was left
	// out, which makes the result incomplete.
	MaxKeys            = 20000
	MaxFindingsPerFile = 1000
	MaxFindings        = 20000
	// MaxPathLen is the longest folder path walked into (Linux's PATH_MAX):
	// folders are opened one name at a time, so the kernel would go
	// deeper, but paths are kept for the report; deeper folders are
	// counted (Report.TooDeep) and make the result incomplete.
	MaxPathLen = 4096
	// maxProbesPerFile caps the distinct probe paths kept for one log;
	// further ones count under the probe's family ("/.env").
	maxProbesPerFile = 64
	// cancelGrace is how long Scan waits, once its context ends, for the
	// workers to finish the read they are in; one stuck in the kernel (a
	// hung network mount) is left behind, and the report is returned.
	cancelGrace = 500 * time.Millisecond
	// firstLinks is how many links the summary names.
	firstLinks = 5
)

var (
	errLink       = errors.New("a symbolic link")
	errLinkNow    = errors.New("a symbolic link now, not followed (it was a folder when its parent was listed)")
	errNotDir     = errors.New("not a folder any more (it was one when its parent was listed)")
	errChanged    = errors.New("not the folder first opened here: it was moved or replaced during the scan")
	errSpecial    = errors.New("not a regular file")
	errWouldBlock = errors.New("the read would block")
	errStopped    = errors.New("stopped")
	errNoData     = errors.New("no data after this offset")
	errNoSeekData = errors.New("SEEK_DATA not supported")
)

// noReadNames are pseudo-files never read, even under a root named
// explicitly: reading /proc/kmsg or a trace pipe consumes what syslog or a
// tracer would have read, and /proc/kcore is the machine's memory.
var noReadNames = map[string]bool{"kmsg": true, "kcore": true, "trace_pipe": true, "trace_pipe_raw": true}

// engine holds what every worker shares: the detectors and the matcher.
type engine struct {
	dets    []provider.Detector
	byPat   [][]anchorRef // pattern index -> detectors or internal rules
	m       *matcher
	minLine int
}

type anchorRef struct {
	det      int // index in dets, or -1 for an internal rule
	internal int
}

// internal rules (anchors the scanner itself handles)
const (
	ruleProbeEnv = iota
	ruleProbeGit
	ruleAndrox
	rulePhpinfo
	ruleAppDebug
	ruleProbeAWS
)

var internalAnchors = []struct {
	lit  string
	rule int
}{
	{"/.env", ruleProbeEnv},
	{"/.git/", ruleProbeGit},
	{"androxgh0st", ruleAndrox},
	{"/.aws/credentials", ruleProbeAWS},
	{"phpinfo(", rulePhpinfo},
	{"app_debug", ruleAppDebug},
}

var (
	engOnce sync.Once
	eng     *engine
)

func getEngine() *engine {
	engOnce.Do(func() { eng = newEngine(provider.Detectors()) })
	return eng
}

func newEngine(dets []provider.Detector) *engine {
	e := &engine{dets: dets}
	idx := map[string]int{}
	var pats []string
	add := func(lit string, ref anchorRef) {
		lit = strings.ToLower(lit)
		i, ok := idx[lit]
		if !ok {
			i = len(pats)
			idx[lit] = i
			pats = append(pats, lit)
			e.byPat = append(e.byPat, nil)
		}
		e.byPat[i] = append(e.byPat[i], ref)
	}
	for di, d := range dets {
		for _, a := range d.Anchors {
			add(a, anchorRef{det: di})
		}
	}
	for _, ia := range internalAnchors {
		add(ia.lit, anchorRef{det: -1, internal: ia.rule})
	}
	e.m = newMatcher(pats)
	return e
}

// Fingerprint is "sha256:" + the lower-case hex SHA-256 of the secret.
func Fingerprint(secret []byte) string {
	sum := sha256.Sum256(secret)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Redact shows a secret as a few characters at each end: 4 and 3 for long
// secrets, fewer for short ones, never more than a quarter of it.
func Redact(secret []byte) string {
	n := len(secret)
	switch {
	case n <= 8:
		return strings.Repeat("*", n)
	case n < 24:
		return string(secret[:2]) + "…" + string(secret[n-2:])
	}
	return string(secret[:4]) + "…" + string(secret[n-3:])
}

// skipExt are file types never worth reading (media, fonts, archives,
// compiled objects): they are binary, and a key inside them is compressed.
var skipExt = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true, ".ico": true, ".bmp": true, ".tif": true, ".tiff": true, ".avif": true,
	".pdf": true, ".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".7z": true, ".rar": true, ".jar": true, ".war": true, ".wpress": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".webm": true, ".ogg": true, ".wav": true, ".flac": true,
	".so": true, ".node": true, ".o": true, ".a": true, ".exe": true, ".dll": true, ".dylib": true, ".class": true, ".pyc": true, ".mo": true,
}

// Scan walks roots (files or directories) and reports what it finds. It
// stops early, returning ctx.Err() with the partial report (Report.Partial
// set), when ctx ends; within cancelGrace even if a read is stuck.
// A root that is a symbolic link is read at its target. Report.RootStats
// says what was read from each root; one that does not exist, cannot be
// read or holds no readable file has its Error set, and Report.RootsError
// turns that into an error (Scan itself does not fail for it).
func Scan(ctx context.Context, roots []string, opt Options) (*Report, error) {
	start := time.Now()
	e := getEngine()
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fileCap := opt.FileCap
	switch {
	case fileCap == 0:
		fileCap = DefaultFileCap
	case fileCap < 0:
		fileCap = math.MaxInt64
	}
	rep := &Report{Findings: []Finding{}, AlsoExposed: []Finding{}, Exposures: []Exposure{}, Traces: []Trace{}}
	if opt.Archives {
		rep.Archives = &ArchiveStats{}
	}
	if fileCap != math.MaxInt64 {
		rep.FileCap = fileCap
	}
	var absRoots []string
	for _, r := range roots {
		a, err := filepath.Abs(r)
		if err != nil {
			return nil, err
		}
		absRoots = append(absRoots, a)
	}
	rep.Roots = absRoots
	// A root that is a symbolic link is read through its target.
	rep.RootStats = make([]RootStat, len(roots))
	targets := make([]string, len(roots))
	rootInfo := make([]fs.FileInfo, len(roots))
	rootErr := make([]error, len(roots))
	for i, r := range absRoots {
		rep.RootStats[i].Path = roots[i]
		targets[i] = r
		fi, err := os.Lstat(r)
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if t, terr := filepath.EvalSymlinks(r); terr != nil {
				rep.RootStats[i].Target, _ = os.Readlink(r)
				err = terr
			} else {
				rep.RootStats[i].Target, targets[i] = t, t
				fi, err = os.Lstat(t)
			}
		}
		rootInfo[i], rootErr[i] = fi, err
	}
	wr := newWebRoots(ctx, opt.configRoot(), targets, opt.WebRoots)
	rep.WebRoots = wr.configured()
	// kernel file systems: skipped inside a root, read with care as one
	ps := newPseudoSet()
	for _, p := range opt.testPseudo {
		ps.mounts[p] = true
	}
	rootPseudo := make([]bool, len(roots))
	for i, t := range targets {
		if rootPseudo[i] = ps.contains(t); rootPseudo[i] && rootErr[i] == nil {
			rep.PseudoFileCap = min(fileCap, PseudoFileCap)
		}
	}

	var (
		nFiles, nBytes atomic.Int64
		nFind          atomic.Int64
		mu             sync.Mutex
		closed         bool // under mu: the report is taken; late workers add nothing
		traces         = map[traceKey]*Trace{}
		total          workerStats
		lst            = newLister()
	)
	total.init(len(roots))
	var walkErrs []string
	addErr := func(s string) {
		mu.Lock()
		if !closed && len(walkErrs) < 100 {
			walkErrs = append(walkErrs, s)
		}
		mu.Unlock()
	}
	// per root: the first reason something under it could not be read
	rootFirstErr := make([]error, len(roots))
	rootTopErr := make([]error, len(roots))
	rootSkipWhy := make([]string, len(roots))
	unreadable := func(root int32, err error, top bool) {
		addErr(err.Error())
		mu.Lock()
		if !closed {
			if top {
				rootTopErr[root] = err
			}
			if rootFirstErr[root] == nil {
				rootFirstErr[root] = err
			}
		}
		mu.Unlock()
	}
	addExposure := func(x Exposure) {
		mu.Lock()
		if !closed {
			rep.Exposures = append(rep.Exposures, x)
		}
		mu.Unlock()
	}
	addPseudo := func(p string) {
		mu.Lock()
		if !closed && !slices.Contains(rep.PseudoSkipped, p) {
			rep.PseudoSkipped = append(rep.PseudoSkipped, p)
		}
		mu.Unlock()
	}

	// progress ticker
	stopTick := make(chan struct{})
	tickDone := make(chan struct{})
	go func() {
		defer close(tickDone)
		if opt.Progress == nil {
			return
		}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				opt.Progress(Progress{Files: nFiles.Load(), Bytes: nBytes.Load(), Findings: int(nFind.Load())})
			case <-stopTick:
				return
			}
		}
	}()

	stopped := &stopFlag{done: ctx.Done()}
	gitFound := &gitRepoSet{}

	w := &walker{workers: workers}
	w.cond = sync.NewCond(&w.mu)
	dt := newDirTable(opt.testMaxOpenDirs)

	// visitDir is what the walk does on reaching a directory: it reports a
	// .git folder in a web root, and says whether to go in.
	visitDir := func(p, name, parent string) bool {
		if ps.mounts[p] {
			addPseudo(p)
			return false
		}
		if name == ".git" || opt.History && strings.HasSuffix(name, ".git") {
			// issue 16: history of repos under the roots (without History,
			// the report names those whose history was not read)
			gitFound.found(p, name)
		}
		if name == ".git" {
			if wr.contains(p) {
				addExposure(Exposure{Path: p, Kind: "git-in-webroot", Severity: "high", Detail: "a .git folder in a web root: anyone can download the repository, its history and .git/config"})
			}
			return true
		}
		if name == "objects" && filepath.Base(parent) == ".git" {
			return false // compressed objects: nothing readable
		}
		return true
	}
	// fileOK is what the walk does on reaching a regular file: it reports a
	// dangerous path and says whether to read the file ("" to read it, or
	// why not: "binary" for a type skipped by its extension).
	fileOK := func(p, name string, root int32) string {
		if rootPseudo[root] {
			if noReadNames[name] {
				return "a kernel pseudo-file that reading would consume"
			}
			return ""
		}
		if x := pathExposure(p, name, wr); x != nil {
			addExposure(*x)
		}
		if ext := strings.ToLower(filepath.Ext(name)); skipExt[ext] && !(opt.Archives && archiveExts[ext]) {
			return skipBinary
		}
		return ""
	}

	for i, root := range targets {
		fi, err := rootInfo[i], rootErr[i]
		if err != nil {
			addErr(err.Error())
			rep.RootStats[i].Error = reason(err)
			continue
		}
		switch {
		case fi.IsDir():
			// a root named as /proc is read (visitDir would skip it)
			if ps.mounts[root] || visitDir(root, filepath.Base(root), filepath.Dir(root)) {
				w.stack = append(w.stack, walkItem{node: newRootNode(root, int32(i))})
			}
		case fi.Mode().IsRegular():
			if why := fileOK(root, filepath.Base(root), int32(i)); why == "" {
				// a root that is a file is opened by its path (resolved once)
				dir := filepath.Dir(root)
				n := &dirNode{name: dir, root: int32(i), fd: noDir, byPath: true, refs: 1, inWeb: wr.containsDir(dir), logDir: isLogDir(dir)}
				w.stack = append(w.stack, walkItem{node: n, files: []string{filepath.Base(root)}})
			} else {
				total.skipped[i]++
				rootSkipWhy[i] = why
				switch why {
				case skipBinary:
					total.binaryFile(root)
				case skipTooBig:
					total.tooBig++
				}
			}
		default:
			rep.RootStats[i].Error = "not a file or folder: " + modeName(fi.Mode())
		}
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := &fileScanner{e: e, buf: make([]byte, chunkSize+overlap), stop: stopped, maxSize: opt.MaxFileSize, archives: opt.Archives}
			var dirBuf []byte
			// what this worker read from each root, added up when it ends
			var ws workerStats
			ws.init(len(roots))
			defer func() {
				mu.Lock()
				if !closed {
					total.add(&ws)
					if sc.arch != nil {
						rep.Archives.add(&sc.arch.stats)
					}
				}
				mu.Unlock()
			}()
			// scanFiles reads a batch of the files of folder n (whose path
			// is dir), opened relative to it.
			scanFiles := func(n *dirNode, dir string, files []string) {
				defer dt.unref(n)
				root := n.root
				if opt.testBeforeDir != nil && !n.byPath {
					opt.testBeforeDir(dir)
				}
				fd, err := dt.acquire(n)
				if err != nil {
					// the folder could not be opened again: none of these
					// files is read
					ws.unread[root] += int64(len(files))
					unreadable(root, err, false)
					return
				}
				defer dt.release(n)
				sc.fileCap = fileCap
				if rootPseudo[root] {
					sc.fileCap = min(fileCap, PseudoFileCap)
				}
				for _, name := range files {
					if stopped.Load() {
						return
					}
					p := joinPath(dir, name)
					if opt.testBeforeOpen != nil {
						opt.testBeforeOpen(p)
					}
					res, err := sc.scanFile(fd, p, name, n.inWeb || wr.isRoot(p), n.logDir)
					switch {
					case err == errStopped:
						return
					case err == errLink:
						ws.link(p, fd, name)
						continue
					case err == errSpecial:
						ws.special++
						continue
					case err != nil:
						ws.unread[root]++
						unreadable(root, err, false)
						continue
					case res.skip != "":
						ws.skipped[root]++
						switch res.skip {
						case skipBinary:
							ws.binaryFile(p)
						case skipTooBig:
							ws.tooBig++
						}
						mu.Lock()
						if !closed && rootSkipWhy[root] == "" {
							rootSkipWhy[root] = res.skip
						}
						mu.Unlock()
						continue
					}
					ws.files[root]++
					ws.bytes[root] += res.bytes
					nFiles.Add(1)
					nBytes.Add(res.bytes)
					if res.binary {
						ws.binScanned++
					}
					if res.capped {
						ws.cappedFile(p)
					}
					ws.notListed += res.notListed
					ws.keysNotListed += res.keysNotListed
					if len(res.findings)+len(res.also)+len(res.exposures)+len(res.traces) == 0 {
						continue
					}
					nFind.Add(int64(len(res.findings)))
					mu.Lock()
					if !closed {
						rep.Findings = lst.add(rep.Findings, res.findings)
						rep.AlsoExposed, ws.notListed = appendCapped(rep.AlsoExposed, res.also, ws.notListed)
						rep.Exposures = append(rep.Exposures, res.exposures...)
						for _, t := range res.traces {
							mergeTrace(traces, t)
						}
					}
					mu.Unlock()
				}
			}
			for {
				it, ok := w.pop()
				if !ok {
					return
				}
				n := it.node
				if it.files != nil {
					if stopped.Load() {
						dt.unref(n)
						continue
					}
					scanFiles(n, n.path(), it.files)
					continue
				}
				if stopped.Load() {
					if n.parent != nil {
						dt.unref(n.parent)
					}
					continue
				}
				// a folder to list: opened relative to its parent's open
				// folder, one name at a time, never through a link
				dir := n.path()
				if opt.testBeforeDir != nil {
					opt.testBeforeDir(dir)
				}
				fd, err := dt.acquire(n)
				if n.parent != nil {
					dt.unref(n.parent)
				}
				root := n.root
				if err != nil {
					ws.unread[root]++
					unreadable(root, err, n.parent == nil)
					continue
				}
				n.inWeb, n.logDir = wr.containsDir(dir), isLogDir(dir)
				// folders and batches of files go on the stack, the first
				// batch is read here
				if dirBuf == nil {
					dirBuf = make([]byte, 32<<10)
				}
				var subdirs []walkItem
				var names []string
				err = listDir(fd, dir, dirBuf, stopped, func(name string, typ entryType) {
					p := joinPath(dir, name)
					if typ == typeUnknown {
						t, err := entryTypeAt(fd, name, p)
						if err != nil {
							ws.unread[root]++
							unreadable(root, err, false)
							return
						}
						typ = t
					}
					switch typ {
					case typeDir:
						if !visitDir(p, name, dir) {
							return
						}
						if len(p) > MaxPathLen {
							ws.tooDeepDir(root, p)
							return
						}
						subdirs = append(subdirs, walkItem{node: &dirNode{parent: n, name: name, root: root, fd: noDir}})
					case typeReg:
						switch why := fileOK(p, name, root); why {
						case "":
							names = append(names, name)
						case skipBinary:
							ws.skipped[root]++
							ws.binaryFile(p)
						default:
							ws.skipped[root]++
						}
					case typeLink:
						ws.link(p, fd, name)
					default:
						ws.special++
					}
				})
				if err != nil {
					dt.release(n)
					ws.unread[root]++
					unreadable(root, err, n.parent == nil)
					continue
				}
				var local []string
				batches := (len(names) + fileBatch - 1) / fileBatch
				// every subfolder not yet opened and every batch not yet read
				// keeps the folder open (dirTable)
				dt.ref(n, int32(len(subdirs)+batches))
				if len(names) > 0 {
					local = names[:min(len(names), fileBatch)]
					for i := fileBatch; i < len(names); i += fileBatch {
						subdirs = append(subdirs, walkItem{node: n, files: names[i:min(len(names), i+fileBatch)]})
					}
				}
				w.push(subdirs)
				if local != nil {
					scanFiles(n, dir, local)
				}
				dt.release(n)
			}
		}()
	}
	// Wait for the workers; once ctx ends, for cancelGrace at most: a
	// worker stuck in a read the kernel does not interrupt is left behind.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t := time.NewTimer(cancelGrace)
		select {
		case <-done:
		case <-t.C:
			w.abandon()
		}
		t.Stop()
	}
	// issue 16: git history, after the walk (githistory.go)
	var hist *gitHistoryResult
	if opt.History || len(opt.GitRepos) > 0 {
		found := gitFound
		if !opt.History {
			found = nil // --git alone: only those
		}
		hist = runGitHistories(ctx, stopped, opt, e, workers, found, fileCap, &nFiles, &nBytes, &nFind)
	}
	if !opt.History {
		rep.HistoryNotRead = gitFound.notRead(opt.GitRepos)
	}
	close(stopTick)
	<-tickDone

	mu.Lock()
	closed = true
	rep.Partial = ctx.Err() != nil
	rep.Files, rep.Bytes = nFiles.Load(), nBytes.Load()
	rep.Binary, rep.BinaryFirst, rep.BinaryScanned = total.binary, total.binFirst, total.binScanned
	rep.Special, rep.Capped, rep.CappedFirst = total.special, total.capped, total.cappedFirst
	rep.NotListed, rep.KeysNotListed = total.notListed+lst.notListed, total.keysNotListed+lst.keysNotListed
	rep.TooDeep, rep.TooDeepFirst, rep.TooBig = total.tooDeep, total.tooDeepFirst, total.tooBig
	rep.Symlinks = total.links
	rep.SymlinksFirst = total.firstLinks
	for _, t := range traces {
		rep.Traces = append(rep.Traces, *t)
	}
	rep.Errors = walkErrs
	sort.Strings(rep.PseudoSkipped)
	for i := range rep.RootStats {
		st := &rep.RootStats[i]
		st.Files, st.Bytes, st.Skipped, st.Unreadable = total.files[i], total.bytes[i], total.skipped[i], total.unread[i]
		rep.Unreadable += st.Unreadable
		switch {
		case st.Error != "" || st.Files > 0:
		case rootTopErr[i] != nil:
			st.Error = reason(rootTopErr[i])
		case rep.Partial:
			// stopped early: not read is not unreadable
		case rootInfo[i] != nil && !rootInfo[i].IsDir() && rootFirstErr[i] != nil:
			st.Error = reason(rootFirstErr[i])
		case rootInfo[i] != nil && !rootInfo[i].IsDir() && st.Skipped > 0:
			st.Error = "not read: " + skipWords(rootSkipWhy[i])
		case rootInfo[i] != nil && !rootInfo[i].IsDir() && total.special > 0:
			st.Error = "not read: not a regular file"
		default:
			st.Error = "holds no readable file"
			var why []string
			if st.Unreadable > 0 {
				why = append(why, fmt.Sprintf("%d unreadable: %s", st.Unreadable, reason(rootFirstErr[i])))
			}
			if st.Skipped > 0 {
				why = append(why, fmt.Sprintf("%d binary or too big, skipped", st.Skipped))
			}
			if d := total.tooDeepIn[i]; d > 0 {
				why = append(why, fmt.Sprintf("%d %s too deep, not read", d, plural(d, "folder", "folders")))
			}
			if len(why) > 0 {
				st.Error += " (" + strings.Join(why, "; ") + ")"
			}
		}
	}
	hist.merge(rep, lst) // issue 16: git history
	mu.Unlock()
	sortReport(rep)
	rep.IncompleteWhy = rep.IncompleteReasons()
	rep.Incomplete = len(rep.IncompleteWhy) > 0
	rep.Elapsed = time.Since(start)
	if opt.Progress != nil {
		opt.Progress(Progress{Files: rep.Files, Bytes: rep.Bytes, Findings: len(rep.Findings)})
	}
	return rep, ctx.Err()
}

// Reasons a file is not read (fileResult.skip, rootSkipWhy).
const (
	skipBinary = "binary"
	skipTooBig = "too big"
)

// skipWords says why a root that is one file was not read.
func skipWords(why string) string {
	switch why {
	case skipBinary, skipTooBig, "":
		return "a binary file or over the size limit"
	}
	return why
}

// appendCapped appends add to list up to MaxFindings, counting the rest.
func appendCapped(list, add []Finding, notListed int64) ([]Finding, int64) {
	room := max(0, MaxFindings-len(list))
	if len(add) > room {
		notListed += int64(len(add) - room)
		add = add[:room]
	}
	return append(list, add...), notListed
}

// credentialKey identifies a credential across files: the provider and its
// key id where it has one (a SendGrid key id names the key to revoke),
// else the secret's fingerprint.
func credentialKey(f *Finding) string {
	if f.KeyID != "" {
		return f.Provider + "\x00" + f.KeyID
	}
	return f.Fingerprint
}

// lister admits findings to the report (under the report's lock): a
// credential not yet listed always (up to MaxKeys distinct ones), another
// place of one already listed up to MaxFindings.
type lister struct {
	keys                     map[string]struct{}
	repeats                  int
	notListed, keysNotListed int64
}

func newLister() *lister { return &lister{keys: map[string]struct{}{}} }

func (l *lister) add(list, add []Finding) []Finding {
	for i := range add {
		k := credentialKey(&add[i])
		if _, ok := l.keys[k]; !ok {
			if len(l.keys) >= MaxKeys {
				l.keysNotListed++
				l.notListed++
				continue
			}
			l.keys[k] = struct{}{}
			list = append(list, add[i])
			continue
		}
		if l.repeats >= MaxFindings {
			l.notListed++
			continue
		}
		l.repeats++
		list = append(list, add[i])
	}
	return list
}

// workerStats is what one worker counted; the walk adds them up at the end.
type workerStats struct {
	// per root
	files, bytes, skipped, unread, tooDeepIn []int64

	binary, binScanned, links, special, capped, notListed, keysNotListed, tooDeep, tooBig int64
	binFirst, cappedFirst, tooDeepFirst                                                   string
	firstLinks                                                                            []Link // the first few in path order
}

func (s *workerStats) init(roots int) {
	s.files, s.bytes, s.skipped, s.unread, s.tooDeepIn = make([]int64, roots), make([]int64, roots), make([]int64, roots), make([]int64, roots), make([]int64, roots)
}

func firstPath(cur *string, p string) {
	if *cur == "" || p < *cur {
		*cur = p
	}
}

func (s *workerStats) binaryFile(p string) { s.binary++; firstPath(&s.binFirst, p) }
func (s *workerStats) cappedFile(p string) { s.capped++; firstPath(&s.cappedFirst, p) }
func (s *workerStats) tooDeepDir(root int32, p string) {
	s.tooDeep++
	s.tooDeepIn[root]++
	firstPath(&s.tooDeepFirst, p)
}

// link counts the link name (path p) in the open folder dir; where it
// points is read (relative to dir) only for the first few.
func (s *workerStats) link(p string, dir dirFD, name string) {
	s.links++
	if len(s.firstLinks) == firstLinks && p >= s.firstLinks[firstLinks-1].Path {
		return
	}
	s.addFirstLink(Link{Path: p, Target: readLinkAt(dir, name, p)})
}

func (s *workerStats) addFirstLink(l Link) {
	if len(s.firstLinks) == firstLinks && l.Path >= s.firstLinks[firstLinks-1].Path {
		return
	}
	i, found := slices.BinarySearchFunc(s.firstLinks, l.Path, func(a Link, p string) int { return strings.Compare(a.Path, p) })
	if found {
		return
	}
	s.firstLinks = slices.Insert(s.firstLinks, i, l)
	if len(s.firstLinks) > firstLinks {
		s.firstLinks = s.firstLinks[:firstLinks]
	}
}

// add adds o's counts to s.
func (s *workerStats) add(o *workerStats) {
	for i := range s.files {
		s.files[i] += o.files[i]
		s.bytes[i] += o.bytes[i]
		s.skipped[i] += o.skipped[i]
		s.unread[i] += o.unread[i]
		s.tooDeepIn[i] += o.tooDeepIn[i]
	}
	s.binary += o.binary
	s.binScanned += o.binScanned
	s.links += o.links
	s.special += o.special
	s.capped += o.capped
	s.notListed += o.notListed
	s.keysNotListed += o.keysNotListed
	s.tooDeep += o.tooDeep
	s.tooBig += o.tooBig
	if o.binFirst != "" {
		firstPath(&s.binFirst, o.binFirst)
	}
	if o.cappedFirst != "" {
		firstPath(&s.cappedFirst, o.cappedFirst)
	}
	if o.tooDeepFirst != "" {
		firstPath(&s.tooDeepFirst, o.tooDeepFirst)
	}
	for _, l := range o.firstLinks {
		s.addFirstLink(l)
	}
}

// pseudoSet is the kernel file systems of this machine: /proc, /sys and
// /dev always, and every mount of proc, sysfs, devpts, debugfs … listed in
// /proc/self/mountinfo.
type pseudoSet struct {
	mounts map[string]bool
}

func newPseudoSet() *pseudoSet {
	ps := &pseudoSet{mounts: map[string]bool{"/proc": true, "/sys": true, "/dev": true}}
	for _, m := range pseudoMounts() {
		if m != "/" {
			ps.mounts[m] = true
		}
	}
	return ps
}

// contains reports whether path is on a kernel file system.
func (ps *pseudoSet) contains(path string) bool {
	for m := range ps.mounts {
		if path == m || strings.HasPrefix(path, m+"/") {
			return true
		}
	}
	return false
}

// stopFlag says whether the scan's context has ended: checked between
// folders, files and reads, so it is a channel poll, set once seen.
type stopFlag struct {
	done <-chan struct{} // nil: never
	seen atomic.Bool
}

func (f *stopFlag) Load() bool {
	if f.seen.Load() {
		return true
	}
	select {
	case <-f.done:
		f.seen.Store(true)
		return true
	default:
		return false
	}
}

// fileBatch is how many files of one folder make one unit of work.
const fileBatch = 32

type entryType uint8

const (
	typeOther entryType = iota
	typeDir
	typeReg
	typeLink
	typeUnknown
)

// walkItem is a unit of work: a folder to list, or (files != nil) files of
// a folder to read.
type walkItem struct {
	node  *dirNode
	files []string
}

// dirNode is a folder of the walk. It is opened relative to its parent's
// open folder by its name alone (openat, O_NOFOLLOW|O_DIRECTORY), never by
// its path: the kernel never resolves more than one name, so a folder
// swapped for a symbolic link anywhere above cannot lead the walk out of
// the tree, and no path is too long to open. A folder stays open while
// work that needs it is pending (its subfolders not yet opened, its
// batches of files not yet read); past dirTable's cap an idle one is
// closed and opened again, name by name from the nearest open folder
// above it, when it is needed (and must then be the same folder).
type dirNode struct {
	parent *dirNode // nil for a root
	name   string   // its name in parent; for a root, its path
	root   int32    // index of the root it is under
	// set when listed (before any batch of its files is pushed)
	inWeb, logDir bool
	// a root that is a file: its folder is not opened, the file is opened
	// by its path
	byPath bool

	mu          sync.Mutex
	fd          dirFD
	closedEarly bool   // closed while work still needed it (over the cap)
	id          fileID // then, what it was: it must be that when opened again
	users       int32  // holders of fd now
	refs        int32  // pending work that needs it
}

func newRootNode(path string, root int32) *dirNode {
	return &dirNode{name: path, root: root, fd: noDir}
}

// path is the folder's path, built from the names above it (nodes do not
// keep it: a deep tree would hold every prefix).
func (n *dirNode) path() string {
	if n.parent == nil {
		return n.name
	}
	size := 0
	k := n
	for ; k.parent != nil; k = k.parent {
		size += len(k.name) + 1
	}
	size += len(k.name)
	b := make([]byte, size)
	i := size
	for k = n; k.parent != nil; k = k.parent {
		i -= len(k.name)
		copy(b[i:], k.name)
		i--
		b[i] = filepath.Separator
	}
	copy(b, k.name)
	if strings.HasSuffix(k.name, string(filepath.Separator)) {
		// a root such as "/": no doubled separator
		b = append(b[:len(k.name)], b[len(k.name)+1:]...)
	}
	return string(b)
}

// dirTable opens and closes the walk's folders and counts those open.
type dirTable struct {
	open atomic.Int64
	max  int64 // above it, a folder no one is using is closed
}

// maxOpenDirs caps the folders held open for pending work: a quarter of
// the open-file limit, at most 1,024.
const maxOpenDirs = 1024

func newDirTable(testMax int) *dirTable {
	m := int64(maxOpenDirs)
	if lim := openFileLimit(); lim > 0 && int64(lim/4) < m {
		m = max(int64(lim/4), 16)
	}
	if testMax != 0 {
		m = max(int64(testMax), 0)
	}
	return &dirTable{max: m}
}

// acquire returns n's open folder, opening it (relative to its parent,
// itself acquired) when it is not; release gives it back.
func (t *dirTable) acquire(n *dirNode) (dirFD, error) {
	if n.byPath {
		return noDir, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fd >= 0 {
		n.users++
		return n.fd, nil
	}
	var fd dirFD
	var err error
	if n.parent == nil {
		fd, err = openDir(noDir, n.name, n.path)
	} else {
		pfd, perr := t.acquire(n.parent)
		if perr != nil {
			return noDir, perr
		}
		fd, err = openDir(pfd, n.name, n.path)
		t.release(n.parent)
	}
	if err != nil {
		return noDir, err
	}
	if n.closedEarly {
		// opened again: it must be the folder that was closed
		if id, err := fd.id(); err != nil || id != n.id {
			fd.close()
			return noDir, &fs.PathError{Op: "open", Path: n.path(), Err: errChanged}
		}
	}
	n.fd = fd
	n.users++
	t.open.Add(1)
	return fd, nil
}

func (t *dirTable) release(n *dirNode) {
	if n.byPath {
		return
	}
	n.mu.Lock()
	n.users--
	if n.users == 0 && n.fd >= 0 && (n.refs <= 0 || t.open.Load() > t.max) {
		t.closeLocked(n)
	}
	n.mu.Unlock()
}

// ref adds k pieces of pending work that need n; unref ends one.
func (t *dirTable) ref(n *dirNode, k int32) {
	n.mu.Lock()
	n.refs += k
	n.mu.Unlock()
}

func (t *dirTable) unref(n *dirNode) {
	n.mu.Lock()
	n.refs--
	if n.refs <= 0 && n.users == 0 && n.fd >= 0 {
		t.closeLocked(n)
	}
	n.mu.Unlock()
}

func (t *dirTable) closeLocked(n *dirNode) {
	if n.refs > 0 && !n.closedEarly {
		// closed while work still needs it (over the cap): what it is, to
		// check when it is opened again
		id, err := n.fd.id()
		n.id, n.closedEarly = id, true
		if err != nil {
			n.id = fileID{}
		}
	}
	n.fd.close()
	n.fd = noDir
	t.open.Add(-1)
}

func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, string(filepath.Separator)) {
		return dir + name
	}
	return dir + string(filepath.Separator) + name
}

// walker is the parallel walk: a stack of work shared by the workers, each
// of which lists folders and reads files. It ends when the stack is empty
// and every worker waits for work.
type walker struct {
	mu      sync.Mutex
	cond    *sync.Cond
	stack   []walkItem
	idle    int
	workers int
	done    bool
}

func (w *walker) push(items []walkItem) {
	if len(items) == 0 {
		return
	}
	w.mu.Lock()
	w.stack = append(w.stack, items...)
	if w.idle > 0 {
		w.cond.Broadcast()
	}
	w.mu.Unlock()
}

// abandon ends the walk for the workers still waiting for work, when one
// of them is stuck and the scan returns without it.
func (w *walker) abandon() {
	w.mu.Lock()
	w.done = true
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (w *walker) pop() (walkItem, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.stack) == 0 {
		if w.done {
			return walkItem{}, false
		}
		w.idle++
		if w.idle == w.workers {
			w.done = true
			w.cond.Broadcast()
			return walkItem{}, false
		}
		w.cond.Wait()
		w.idle--
	}
	it := w.stack[len(w.stack)-1]
	w.stack[len(w.stack)-1] = walkItem{}
	w.stack = w.stack[:len(w.stack)-1]
	return it, true
}

func sortReport(r *Report) {
	byPos := func(a, b Finding) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return compareLocation(a, b) // issue 16: member, layer, path, commit
	}
	slices.SortFunc(r.Findings, byPos)
	slices.SortFunc(r.AlsoExposed, byPos)
	sort.Slice(r.Exposures, func(i, j int) bool {
		if r.Exposures[i].Path != r.Exposures[j].Path {
			return r.Exposures[i].Path < r.Exposures[j].Path
		}
		return r.Exposures[i].Kind < r.Exposures[j].Kind
	})
	r.Exposures = slices.CompactFunc(r.Exposures, func(a, b Exposure) bool { return a.Path == b.Path && a.Kind == b.Kind })
	sort.Slice(r.Traces, func(i, j int) bool {
		if r.Traces[i].File != r.Traces[j].File {
			return r.Traces[i].File < r.Traces[j].File
		}
		return r.Traces[i].Probe < r.Traces[j].Probe
	})
}

// fileScanner is one worker's state: its buffers are reused for every file.
type fileScanner struct {
	e    *engine
	buf  []byte
	stop *stopFlag
	// set per batch or scan
	fileCap, maxSize int64

	// per file
	path     string
	inWeb    bool
	isLog    bool
	isPHP    bool
	isHTML   bool
	gitConf  bool              // a .git/config: remote URL credentials (gitcreds.go)
	base     int64             // absolute offset of buf[0]
	baseLine int               // lines before buf[0]
	n        int               // valid bytes in buf
	final    bool              // this chunk ends the file
	seen     map[[2]int64]bool // matches at or after base, by span
	// the detector window of scanChunk and its callback
	win     provider.Window
	det     *provider.Detector
	limit   int
	onMatch func(provider.Match)
	fps     map[[32]byte]int32 // secrets found in this file: index in res.findings
	res     fileResult
	// line numbers in the current chunk: lnLines newlines before lnPos
	lnPos, lnLines int
	lastProbe      int64 // offset of the last log line read as a probe
	probes         map[traceKey]*Trace
	expKinds       uint8 // exposure kinds already reported for this file
	// UTF-16 files: the decoder and the decoded text (allocated on the
	// first such file)
	dec  utf16Decoder
	text []byte
	// archives: read inside them (Options.Archives); the worker's state
	// for them (archive.go), allocated on the first
	archives bool
	arch     *archState
	// encoded values (encoded.go)
	enc encState
}

type fileResult struct {
	bytes     int64
	skip      string // not read: skipBinary (by its first bytes), skipTooBig
	binary    bool   // binary-looking, read anyway (UTF-16 or printable runs)
	capped    bool   // read only up to the cap
	notListed int64  // findings over the per-file caps
	// distinct secrets among them (over MaxKeys in the file)
	keysNotListed int64
	findings      []Finding
	also          []Finding
	exposures     []Exposure
	traces        []Trace
	spans         [][2]int // findings' spans in a single-chunk file
}

// reader reads one file: a read system call at a time, stopping at the cap
// or when the scan stops, skipping the holes of a sparse file.
type reader struct {
	f      rfile
	path   string
	pos    int64 // file offset of the next read
	size   int64 // as fstat said (0 for most pseudo-files)
	sparse bool
	left   int64 // what the cap still allows
	read   int64 // bytes read
	capped bool
	stop   *stopFlag
}

// fill reads into b until it is full (final false) or the file ends, the
// cap is reached (final true). A hole skipped between data is one NUL in
// b, so that text on either side is not joined.
func (r *reader) fill(b []byte) (n int, final bool, err error) {
	for n < len(b) {
		if r.stop.Load() {
			return n, true, errStopped
		}
		if r.left <= 0 {
			r.capped = r.more()
			return n, true, nil
		}
		if r.sparse && useSeekData {
			d, err := r.f.seekData(r.pos)
			switch {
			case err == errNoData:
				return n, true, nil
			case err != nil:
				r.sparse = false
			case d > r.pos:
				r.pos = d
				if r.read > 0 {
					b[n] = 0
					n++
					continue
				}
			}
		}
		m, err := r.f.readOnce(r.path, b[n:n+int(min(int64(len(b)-n), r.left))])
		if err != nil {
			return n, true, err
		}
		if m == 0 {
			return n, true, nil
		}
		n += m
		r.pos += int64(m)
		r.read += int64(m)
		r.left -= int64(m)
		// fstat gave the size: once that much is read, the file is read as
		// it was when opened, and the read that would say "end of file" is
		// not needed (most files are small: one syscall in four). A file
		// that grew since is read on; a size of 0 (pseudo-files) says
		// nothing.
		if r.pos == r.size && n < len(b) {
			return n, true, nil
		}
	}
	return n, false, nil
}

// useSeekData is false in tests that read sparse files whole.
var useSeekData = true

// more reports whether the file goes on after the cap.
func (r *reader) more() bool {
	if r.size > 0 {
		if r.pos >= r.size {
			return false
		}
		if r.sparse && useSeekData {
			_, err := r.f.seekData(r.pos)
			return err != errNoData
		}
		return true
	}
	var one [1]byte
	m, err := r.f.readOnce(r.path, one[:])
	return err == nil && m > 0
}

func (s *fileScanner) scanFile(dir dirFD, path, name string, inWeb, logDir bool) (fileResult, error) {
	f, st, err := openRead(dir, name, path)
	if err != nil {
		return fileResult{}, err
	}
	defer f.close()
	s.res = fileResult{}
	if s.maxSize > 0 && st.size > s.maxSize {
		s.res.skip = skipTooBig
		return s.res, nil
	}
	s.path, s.inWeb = path, inWeb
	lname := strings.ToLower(name)
	s.isLog = isWebLogName(lname, logDir)
	ext := filepath.Ext(lname)
	s.isPHP = ext == ".php" || ext == ".phtml"
	s.isHTML = ext == ".html" || ext == ".htm"
	s.gitConf = isGitConfigPath(path, lname)
	s.base, s.baseLine, s.seen, s.fps, s.lastProbe, s.probes, s.expKinds = 0, 0, nil, nil, -1, nil, 0
	s.enc.reset()
	r := reader{f: f, path: path, size: st.size, sparse: st.sparse, left: s.fileCap, stop: s.stop}
	mode := modeText
	carry := 0
	for first := true; ; first = false {
		raw := s.buf[carry:]
		if mode >= modeUTF16LE {
			raw = s.buf[:chunkSize]
		}
		n, final, rerr := r.fill(raw)
		s.res.bytes = r.read
		if rerr != nil {
			return s.res, rerr
		}
		raw = raw[:n]
		if first && s.archives {
			// an archive, compressed file or image blob (archive.go)
			if res, err, ok := s.archiveFirst(&r, raw, final, path, inWeb, logDir); ok {
				return res, err
			}
		}
		if first {
			// a UTF-16 byte-order mark, or a NUL in the first 8 KB: media,
			// fonts, executables and archives are skipped, UTF-16 decoded,
			// the rest read as they are (binary.go)
			if m, ok := hasBOM16(raw); ok {
				mode = m
			} else if hasNUL(raw[:min(n, sniffBytes)]) {
				var kind string
				if mode, kind = sniffBinary(raw[:min(n, sniffBytes)]); kind != "" {
					s.res.skip = skipBinary
					return s.res, nil
				}
			}
			s.res.binary = mode != modeText
			if mode >= modeUTF16LE {
				s.dec.reset(mode)
				if s.text == nil {
					s.text = make([]byte, 0, chunkSize*3/2+overlap+8)
				}
			}
		}
		b := s.buf[:carry+n]
		if mode >= modeUTF16LE {
			s.text = s.dec.decode(s.text[:carry], raw, final)
			b = s.text
		}
		s.n, s.final = len(b), final
		s.scanChunk(b)
		if first && s.gitConf {
			s.addGitConfigFindings(b) // issue 16: credentials in remote URLs
		}
		if first && final && len(s.res.findings) > 0 {
			s.res.also = alsoExposed(b, path, s.res.spans, inWeb)
		}
		if first && final && len(s.res.findings) == 0 && exposedConfig(path, lname, inWeb) {
			s.res.also = alsoExposed(b, path, nil, inWeb)
		}
		if final {
			break
		}
		carry = s.carry(b)
	}
	s.res.capped = r.capped
	s.alsoLarge(f, st, path, lname, inWeb, mode) // files over one chunk (alsobig.go)
	if len(s.res.also) > MaxFindingsPerFile {
		s.res.notListed += int64(len(s.res.also) - MaxFindingsPerFile)
		s.res.also = s.res.also[:MaxFindingsPerFile]
	}
	for _, t := range s.probes {
		s.res.traces = append(s.res.traces, *t)
	}
	return s.res, nil
}

// lineAt is the line number of b[pos] (b the current chunk): it counts
// from the last position asked for, so that many hits in one big file cost
// one pass over it, not one per hit.
func (s *fileScanner) lineAt(b []byte, pos int) int {
	if pos >= s.lnPos {
		s.lnLines += bytes.Count(b[s.lnPos:pos], []byte{'\n'})
	} else {
		s.lnLines -= bytes.Count(b[pos:s.lnPos], []byte{'\n'})
	}
	s.lnPos = pos
	return s.baseLine + s.lnLines + 1
}

// carry moves the tail of the chunk b to its start, so that nothing across
// the boundary is lost, and returns its length. What the scan remembers of
// matches before the new chunk is dropped: no match there can be found again.
func (s *fileScanner) carry(b []byte) int {
	keep := min(overlap, len(b))
	s.baseLine += bytes.Count(b[:len(b)-keep], []byte{'\n'})
	s.base += int64(len(b) - keep)
	copy(b, b[len(b)-keep:])
	for k := range s.seen {
		if k[0] < s.base {
			delete(s.seen, k)
		}
	}
	return keep
}

func (s *fileScanner) scanChunk(b []byte) {
	e := s.e
	s.lnPos, s.lnLines = 0, 0
	// In a chunk that is not the last, a match that reaches the last bytes
	// may be cut short: the next chunk sees it whole (it is carried over).
	limit := len(b)
	if !s.final {
		limit = len(b) - overlap/2
	}
	if s.onMatch == nil {
		s.onMatch = s.match // one closure per worker, not one per hit
	}
	s.win = provider.Window{Buf: b}
	s.limit = limit
	w := &s.win
	e.m.scan(b, func(pat, end int) bool {
		start := end - len(e.m.pats[pat])
		if e.byPat[pat][0].det >= 0 {
			s.enc.noteHit(start) // encoded.go
		}
		for _, ref := range e.byPat[pat] {
			if ref.det < 0 {
				s.internal(b, ref.internal, start, end, limit)
				continue
			}
			d := &e.dets[ref.det]
			before, after := d.Before, d.After
			if before == 0 && after == 0 {
				before, after = 256, 256
			}
			w.Lo, w.Hi = max(0, start-before), min(len(b), end+after)
			w.HitStart, w.HitEnd, w.Anchor = start, end, e.m.pats[pat]
			s.det = d
			d.Find(w, s.onMatch)
		}
		return true
	})
	s.encPass(b, limit) // encoded values (encoded.go)
}

// match takes a detector's match in the window of scanChunk.
func (s *fileScanner) match(m provider.Match) {
	w := &s.win
	if m.Start < w.Lo || m.End > w.Hi || m.Start >= m.End || m.End > s.limit {
		return
	}
	s.addMatch(w.Buf, s.det, m)
}

func (s *fileScanner) addMatch(b []byte, d *provider.Detector, m provider.Match) {
	key := [2]int64{s.base + int64(m.Start), s.base + int64(m.End)}
	if s.seen == nil {
		s.seen = map[[2]int64]bool{}
	}
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	secret := b[m.Start:m.End]
	if s.base == 0 {
		s.res.spans = append(s.res.spans, [2]int{m.Start, m.End})
	}
	s.enc.noteSpan(key[0], key[1])
	// one finding per secret and file: a repeat is counted, not listed
	sum := sha256.Sum256(secret)
	if i, ok := s.fps[sum]; ok {
		f := &s.res.findings[i]
		f.Count = max(f.Count, 1) + 1
		return
	}
	if len(s.res.findings) >= MaxKeys {
		// more distinct secrets in one file than are listed in all
		s.res.notListed++
		s.res.keysNotListed++
		return
	}
	if s.fps == nil {
		s.fps = map[[32]byte]int32{}
	}
	s.fps[sum] = int32(len(s.res.findings))
	prov := m.Provider
	if prov == "" {
		prov = d.Provider
	}
	f := Finding{
		File:        s.path,
		Line:        s.lineAt(b, m.Start),
		Provider:    prov,
		Kind:        m.Kind,
		Redacted:    Redact(secret),
		Fingerprint: "sha256:" + hex.EncodeToString(sum[:]),
		KeyID:       m.KeyID,
		Pair:        m.Pair,
		Detector:    d.Name,
		InWebRoot:   s.inWeb,
	}
	if m.PairID != "" {
		f.PairRedacted = Redact([]byte(m.PairID))
	}
	s.res.findings = append(s.res.findings, f)
}

// lineBounds returns the line around [start,end) in b, at most 4 KB each way.
func lineBounds(b []byte, start, end int) (int, int) {
	lo := max(0, start-4096)
	ls := bytes.LastIndexByte(b[lo:start], '\n') + 1 + lo
	if ls < lo+1 && lo > 0 {
		ls = lo
	}
	hi := min(len(b), end+4096)
	le := bytes.IndexByte(b[end:hi], '\n')
	if le < 0 {
		le = hi
	} else {
		le += end
	}
	return ls, le
}

func (s *fileScanner) internal(b []byte, rule, start, end, limit int) {
	if end > limit {
		return
	}
	switch rule {
	case ruleProbeEnv, ruleProbeGit, ruleAndrox, ruleProbeAWS:
		if !s.isLog {
			return
		}
		ls, le := lineBounds(b, start, end)
		abs := s.base + int64(ls)
		// hits come in order: a line at or before the last one read as a
		// probe was read (by another anchor, or in the overlap)
		if abs <= s.lastProbe {
			return
		}
		t, ok := parseProbe(b[ls:le], rule, start-ls)
		if !ok {
			return
		}
		s.lastProbe = abs
		t.File = s.path
		t.FirstLn = s.lineAt(b, ls)
		// one trace per probe path in this file, merged as the log is read
		if s.probes == nil {
			s.probes = map[traceKey]*Trace{}
		}
		if _, ok := s.probes[traceKey{t.File, t.Probe}]; !ok && len(s.probes) >= maxProbesPerFile {
			t.Probe = probeFamily(rule)
		}
		mergeTrace(s.probes, t)
	case rulePhpinfo:
		if !s.isPHP && !s.isHTML {
			return
		}
		ls, le := lineBounds(b, start, end)
		line := bytes.TrimSpace(b[ls:le])
		ok := false
		if s.isPHP {
			// a call, not a mention: "phpinfo();" at the start of a statement
			i := start - ls
			pre := bytes.TrimSpace(b[ls:start])
			pre = bytes.TrimPrefix(pre, []byte("<?php"))
			pre = bytes.TrimSpace(pre)
			ok = (len(pre) == 0 || bytes.HasSuffix(pre, []byte(";")) || bytes.HasSuffix(pre, []byte("{"))) && i >= 0
			_ = line
		} else {
			ok = provider.ContainsFold(b[max(0, start-200):min(len(b), end+40)], "<title>") || provider.ContainsFold(b[max(0, start-200):start], "php version")
		}
		if ok && s.expKinds&1 == 0 {
			s.expKinds |= 1
			s.res.exposures = append(s.res.exposures, Exposure{Path: s.path, Kind: "phpinfo", Severity: sevIf(s.inWeb), Line: s.lineAt(b, start),
				Detail: "a phpinfo() page shows every environment variable, including keys, to anyone who requests it"})
		}
	case ruleAppDebug:
		lname := strings.ToLower(filepath.Base(s.path))
		if !strings.HasPrefix(lname, ".env") {
			return
		}
		ls, le := lineBounds(b, start, end)
		line := bytes.TrimSpace(b[ls:le])
		if !provider.HasPrefixFold(line, 0, "app_debug") {
			return
		}
		v := bytes.TrimSpace(line[bytes.IndexByte(line, '=')+1:])
		v = bytes.Trim(v, `"'`)
		if (bytes.EqualFold(v, []byte("true")) || bytes.Equal(v, []byte("1"))) && s.expKinds&2 == 0 {
			s.expKinds |= 2
			s.res.exposures = append(s.res.exposures, Exposure{Path: s.path, Kind: "laravel-debug", Severity: "high", Line: s.lineAt(b, start),
				Detail: "APP_DEBUG=true: Laravel error pages show the environment, including keys, to visitors"})
		}
	default:
		s.encGate(b, rule, start, end) // encoded.go
	}
}

// probeFamily is the probe a rule's traces count under once a log has
// maxProbesPerFile distinct ones.
func probeFamily(rule int) string {
	switch rule {
	case ruleProbeGit:
		return "/.git/"
	case ruleAndrox:
		return "androxgh0st"
	case ruleProbeAWS:
		return "/.aws/credentials"
	}
	return "/.env"
}

func sevIf(web bool) string {
	if web {
		return "high"
	}
	return "medium"
}
