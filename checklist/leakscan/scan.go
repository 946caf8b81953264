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
// reads files itself (no hand-off per file), with open/read/close as raw
// system calls relative to the open folder; binaries skipped by extension or
// by a NUL byte in the first 8 KB; every buffer goes once through a
// case-insensitive prefilter of all detectors' anchors (a table of one rare
// byte pair per anchor, eight positions per step), and the detectors'
// validators run only in a small window around each hit; large files are
// streamed in 1 MiB chunks with an overlap; nothing is allocated per line.
package leakscan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	// Pair is the kind of the credential this one pairs with (Twilio SID and
	// token, Mailjet key and secret), PairRedacted its redacted value.
	Pair         string `json:"pair,omitempty"`
	PairRedacted string `json:"pair_redacted,omitempty"`
	Detector     string `json:"detector,omitempty"`
	// InWebRoot is true when the file is under a web root (it could be
	// downloaded).
	InWebRoot bool `json:"in_web_root,omitempty"`
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
	Roots       []string      `json:"roots"`
	WebRoots    []string      `json:"web_roots,omitempty"`
	Files       int64         `json:"files"`
	Bytes       int64         `json:"bytes"`
	Binary      int64         `json:"binary_skipped"`
	Findings    []Finding     `json:"findings"`
	AlsoExposed []Finding     `json:"also_exposed"`
	Exposures   []Exposure    `json:"exposures"`
	Traces      []Trace       `json:"attack_traces"`
	Errors      []string      `json:"errors,omitempty"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	// RootStats says, for each root in the order given, what was read from
	// it, or why nothing was.
	RootStats []RootStat `json:"root_stats"`
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
// root that was not, and why ("nothing was read: …" when no root was).
func (r *Report) RootsError() error {
	bad := r.Failed()
	if len(bad) == 0 && (r.Files > 0 || len(r.RootStats) == 0) {
		return nil
	}
	var parts []string
	for _, s := range bad {
		parts = append(parts, s.describe())
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
}

const (
	chunkSize  = 1 << 20 // read unit; larger files are streamed
	overlap    = 2048    // carried between chunks: longer than any window
	sniffBytes = 8 << 10 // NUL in the first 8 KB: binary
)

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
// stops early, returning ctx.Err() with the partial report, when ctx ends.
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
	rep := &Report{Findings: []Finding{}, AlsoExposed: []Finding{}, Exposures: []Exposure{}, Traces: []Trace{}}
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
	wr := newWebRoots(targets, opt.WebRoots)
	rep.WebRoots = wr.configured()

	var (
		nFiles, nBytes, nBin atomic.Int64
		nFind                atomic.Int64
		mu                   sync.Mutex
		traces               = map[traceKey]*Trace{}
	)
	var walkErrs []string
	addErr := func(s string) {
		mu.Lock()
		if len(walkErrs) < 100 {
			walkErrs = append(walkErrs, s)
		}
		mu.Unlock()
	}
	// per root: what each worker read, added up when it ends; the first
	// reason something under it could not be read
	rootFiles := make([]int64, len(roots))
	rootBytes := make([]int64, len(roots))
	rootSkipped := make([]int64, len(roots))
	rootUnread := make([]int64, len(roots))
	rootFirstErr := make([]error, len(roots))
	rootTopErr := make([]error, len(roots))
	unreadable := func(root int32, err error, top bool) {
		addErr(err.Error())
		mu.Lock()
		if top {
			rootTopErr[root] = err
		}
		if rootFirstErr[root] == nil {
			rootFirstErr[root] = err
		}
		mu.Unlock()
	}
	addExposure := func(x Exposure) {
		mu.Lock()
		rep.Exposures = append(rep.Exposures, x)
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

	var stopped atomic.Bool
	stopWatch := context.AfterFunc(ctx, func() { stopped.Store(true) })
	defer stopWatch()
	if ctx.Err() != nil {
		stopped.Store(true)
	}

	w := &walker{workers: workers}
	w.cond = sync.NewCond(&w.mu)

	// visitDir is what the walk does on reaching a directory: it reports a
	// .git folder in a web root, and says whether to go in.
	visitDir := func(p, name, parent string) bool {
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
	// dangerous path and says whether to read the file.
	fileOK := func(p, name string) bool {
		if x := pathExposure(p, name, wr); x != nil {
			addExposure(*x)
		}
		ext := strings.ToLower(filepath.Ext(name))
		if skipExt[ext] {
			nBin.Add(1)
			return false
		}
		if opt.MaxFileSize > 0 {
			if fi, err := os.Lstat(p); err == nil && fi.Size() > opt.MaxFileSize {
				return false
			}
		}
		return true
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
			if visitDir(root, filepath.Base(root), filepath.Dir(root)) {
				w.stack = append(w.stack, walkItem{dir: root, root: int32(i)})
			}
		case fi.Mode().IsRegular():
			if fileOK(root, filepath.Base(root)) {
				dir := filepath.Dir(root)
				w.stack = append(w.stack, walkItem{dir: dir, files: []string{filepath.Base(root)}, info: newDirInfo(dir, wr, noDir, 1), root: int32(i)})
			} else {
				rootSkipped[i]++
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
			sc := &fileScanner{e: e, buf: make([]byte, chunkSize+overlap)}
			var dirBuf []byte
			// what this worker read from each root
			files, nbytes, skipped, unread := make([]int64, len(roots)), make([]int64, len(roots)), make([]int64, len(roots)), make([]int64, len(roots))
			defer func() {
				mu.Lock()
				for i := range roots {
					rootFiles[i] += files[i]
					rootBytes[i] += nbytes[i]
					rootSkipped[i] += skipped[i]
					rootUnread[i] += unread[i]
				}
				mu.Unlock()
			}()
			scanFiles := func(it walkItem) {
				defer it.info.batchDone()
				for _, name := range it.files {
					if stopped.Load() {
						return
					}
					p := joinPath(it.dir, name)
					res, err := sc.scanFile(it.info.fd, p, name, it.info.inWeb || wr.isRoot(p), it.info.logDir)
					if err != nil {
						unread[it.root]++
						unreadable(it.root, err, false)
						continue
					}
					files[it.root]++
					nbytes[it.root] += res.bytes
					nFiles.Add(1)
					nBytes.Add(res.bytes)
					if res.binary {
						nBin.Add(1)
					}
					if len(res.findings)+len(res.also)+len(res.exposures)+len(res.traces) == 0 {
						continue
					}
					nFind.Add(int64(len(res.findings)))
					mu.Lock()
					rep.Findings = append(rep.Findings, res.findings...)
					rep.AlsoExposed = append(rep.AlsoExposed, res.also...)
					rep.Exposures = append(rep.Exposures, res.exposures...)
					for _, t := range res.traces {
						mergeTrace(traces, t)
					}
					mu.Unlock()
				}
			}
			for {
				it, ok := w.pop()
				if !ok {
					return
				}
				if stopped.Load() {
					if it.files != nil {
						it.info.batchDone()
					}
					continue
				}
				if it.files != nil {
					scanFiles(it)
					continue
				}
				// list a directory: folders and batches of files go on the
				// stack, the first batch is read here
				if dirBuf == nil {
					dirBuf = make([]byte, 32<<10)
				}
				dir, root := it.dir, it.root
				var subdirs []walkItem
				var names []string
				fd, err := listDir(dir, dirBuf, func(name string, typ entryType) {
					p := joinPath(dir, name)
					if typ == typeUnknown {
						fi, err := os.Lstat(p)
						if err != nil {
							unread[root]++
							unreadable(root, err, false)
							return
						}
						switch {
						case fi.IsDir():
							typ = typeDir
						case fi.Mode().IsRegular():
							typ = typeReg
						default:
							typ = typeOther
						}
					}
					switch typ {
					case typeDir:
						if visitDir(p, name, dir) {
							subdirs = append(subdirs, walkItem{dir: p, root: root})
						}
					case typeReg:
						if fileOK(p, name) {
							names = append(names, name)
						} else {
							skipped[root]++
						}
					}
				})
				if err != nil {
					unread[root]++
					unreadable(root, err, dir == targets[root])
					continue
				}
				var local walkItem
				if len(names) == 0 {
					fd.close()
				} else {
					info := newDirInfo(dir, wr, fd, (len(names)+fileBatch-1)/fileBatch)
					local = walkItem{dir: dir, files: names[:min(len(names), fileBatch)], info: info, root: root}
					for i := fileBatch; i < len(names); i += fileBatch {
						subdirs = append(subdirs, walkItem{dir: dir, files: names[i:min(len(names), i+fileBatch)], info: info, root: root})
					}
				}
				w.push(subdirs)
				if local.files != nil {
					scanFiles(local)
				}
			}
		}()
	}
	wg.Wait()
	close(stopTick)
	<-tickDone

	rep.Files, rep.Bytes, rep.Binary = nFiles.Load(), nBytes.Load(), nBin.Load()
	for _, t := range traces {
		rep.Traces = append(rep.Traces, *t)
	}
	rep.Errors = walkErrs
	for i := range rep.RootStats {
		st := &rep.RootStats[i]
		st.Files, st.Bytes, st.Skipped, st.Unreadable = rootFiles[i], rootBytes[i], rootSkipped[i], rootUnread[i]
		switch {
		case st.Error != "" || st.Files > 0:
		case rootTopErr[i] != nil:
			st.Error = reason(rootTopErr[i])
		case ctx.Err() != nil:
			// stopped early: not read is not unreadable
		case rootInfo[i] != nil && !rootInfo[i].IsDir() && rootFirstErr[i] != nil:
			st.Error = reason(rootFirstErr[i])
		case rootInfo[i] != nil && !rootInfo[i].IsDir() && st.Skipped > 0:
			st.Error = "not read: a binary file or over the size limit"
		default:
			st.Error = "holds no readable file"
			var why []string
			if st.Unreadable > 0 {
				why = append(why, fmt.Sprintf("%d unreadable: %s", st.Unreadable, reason(rootFirstErr[i])))
			}
			if st.Skipped > 0 {
				why = append(why, fmt.Sprintf("%d binary or too big, skipped", st.Skipped))
			}
			if len(why) > 0 {
				st.Error += " (" + strings.Join(why, "; ") + ")"
			}
		}
	}
	sortReport(rep)
	rep.Elapsed = time.Since(start)
	if opt.Progress != nil {
		opt.Progress(Progress{Files: rep.Files, Bytes: rep.Bytes, Findings: len(rep.Findings)})
	}
	return rep, ctx.Err()
}

// fileBatch is how many files of one folder make one unit of work.
const fileBatch = 32

type entryType uint8

const (
	typeOther entryType = iota
	typeDir
	typeReg
	typeUnknown
)

// walkItem is a unit of work: a folder to list, or (files != nil) files of
// a folder to read.
type walkItem struct {
	dir   string
	files []string
	info  *dirInfo
	root  int32 // index of the root it is under
}

// dirInfo is what the files of one folder share.
type dirInfo struct {
	inWeb  bool  // the folder is in a web root
	logDir bool  // an nginx/Apache/httpd log folder
	fd     dirFD // the folder, open, or noDir
	// batches of its files not yet read: the last one closes fd
	pending atomic.Int32
}

func newDirInfo(dir string, wr *webRoots, fd dirFD, batches int) *dirInfo {
	d := &dirInfo{inWeb: wr.containsDir(dir), logDir: isLogDir(dir), fd: fd}
	d.pending.Store(int32(batches))
	return d
}

// batchDone is called when one batch of the folder's files is read.
func (d *dirInfo) batchDone() {
	if d.pending.Add(-1) == 0 {
		d.fd.close()
	}
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
		return strings.Compare(a.Kind, b.Kind)
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

// fileScanner is one worker's state: its buffer is reused for every file.
type fileScanner struct {
	e   *engine
	buf []byte

	// per file
	path     string
	inWeb    bool
	isLog    bool
	isPHP    bool
	isHTML   bool
	base     int64 // absolute offset of buf[0]
	baseLine int   // lines before buf[0]
	n        int   // valid bytes in buf
	final    bool  // this chunk ends the file
	seen     map[[2]int64]bool
	res      fileResult
	// line numbers in the current chunk: lnLines newlines before lnPos
	lnPos, lnLines int
	probeSeen      map[int64]bool
}

type fileResult struct {
	bytes     int64
	binary    bool
	findings  []Finding
	also      []Finding
	exposures []Exposure
	traces    []Trace
	spans     [][2]int // findings' spans in a single-chunk file
}

func (s *fileScanner) scanFile(dir dirFD, path, name string, inWeb, logDir bool) (fileResult, error) {
	f, err := openRead(dir, name, path)
	if err != nil {
		return fileResult{}, err
	}
	defer f.close()
	s.path, s.inWeb = path, inWeb
	lname := strings.ToLower(name)
	s.isLog = isWebLogName(lname, logDir)
	ext := filepath.Ext(lname)
	s.isPHP = ext == ".php" || ext == ".phtml"
	s.isHTML = ext == ".html" || ext == ".htm"
	s.base, s.baseLine, s.seen, s.probeSeen = 0, 0, nil, nil
	s.res = fileResult{}
	carry := 0
	first := true
	for {
		n, rerr := f.readFull(path, s.buf[carry:])
		total := carry + n
		s.res.bytes += int64(n)
		if first {
			sniff := s.buf[:min(total, sniffBytes)]
			if bytes.IndexByte(sniff, 0) >= 0 {
				s.res.binary = true
				return s.res, nil
			}
		}
		s.n = total
		s.final = rerr != nil // EOF or ErrUnexpectedEOF: the last chunk
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return s.res, rerr
		}
		s.scanChunk(s.buf[:total])
		if first && s.final && len(s.res.findings) > 0 {
			s.res.also = alsoExposed(s.buf[:total], path, s.res.spans, inWeb)
		}
		if first && s.final && len(s.res.findings) == 0 && exposedConfig(path, lname, inWeb) {
			s.res.also = alsoExposed(s.buf[:total], path, nil, inWeb)
		}
		if s.final {
			return s.res, nil
		}
		first = false
		// carry the tail so that nothing across the boundary is lost
		keep := min(overlap, total)
		s.baseLine += bytes.Count(s.buf[:total-keep], []byte{'\n'})
		s.base += int64(total - keep)
		copy(s.buf, s.buf[total-keep:total])
		carry = keep
	}
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

func (s *fileScanner) scanChunk(b []byte) {
	e := s.e
	s.lnPos, s.lnLines = 0, 0
	// In a chunk that is not the last, a match that reaches the last bytes
	// may be cut short: the next chunk sees it whole (it is carried over).
	limit := len(b)
	if !s.final {
		limit = len(b) - overlap/2
	}
	w := provider.Window{Buf: b}
	e.m.scan(b, func(pat, end int) bool {
		start := end - len(e.m.pats[pat])
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
			d.Find(&w, func(m provider.Match) {
				if m.Start < w.Lo || m.End > w.Hi || m.Start >= m.End {
					return
				}
				if m.End > limit {
					return
				}
				s.addMatch(b, d, m)
			})
		}
		return true
	})
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
	prov := m.Provider
	if prov == "" {
		prov = d.Provider
	}
	secret := b[m.Start:m.End]
	f := Finding{
		File:        s.path,
		Line:        s.lineAt(b, m.Start),
		Provider:    prov,
		Kind:        m.Kind,
		Redacted:    Redact(secret),
		Fingerprint: Fingerprint(secret),
		KeyID:       m.KeyID,
		Pair:        m.Pair,
		Detector:    d.Name,
		InWebRoot:   s.inWeb,
	}
	if m.PairID != "" {
		f.PairRedacted = Redact([]byte(m.PairID))
	}
	s.res.findings = append(s.res.findings, f)
	if s.base == 0 {
		s.res.spans = append(s.res.spans, [2]int{m.Start, m.End})
	}
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
		if s.probeSeen == nil {
			s.probeSeen = map[int64]bool{}
		}
		if s.probeSeen[abs] {
			return
		}
		t, ok := parseProbe(b[ls:le], rule, start-ls)
		if !ok {
			return
		}
		s.probeSeen[abs] = true
		t.File = s.path
		t.FirstLn = s.lineAt(b, ls)
		s.res.traces = append(s.res.traces, t)
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
		if ok {
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
		if bytes.EqualFold(v, []byte("true")) || bytes.Equal(v, []byte("1")) {
			s.res.exposures = append(s.res.exposures, Exposure{Path: s.path, Kind: "laravel-debug", Severity: "high", Line: s.lineAt(b, start),
				Detail: "APP_DEBUG=true: Laravel error pages show the environment, including keys, to visitors"})
		}
	}
}

func sevIf(web bool) string {
	if web {
		return "high"
	}
	return "medium"
}
