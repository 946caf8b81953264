package leakscan

// Where a repository keeps its objects, refs, reflogs and config (issue 16:
// history scan). Read with the same care as the object store: small files
// only, no link followed in the last name, caps on counts and sizes.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	gitMaxRefs       = 200000   // refs and reflog entries read, in all
	gitMaxRefFile    = 64 << 20 // packed-refs, a reflog
	gitMaxRefDepth   = 32       // folders under refs/
	gitMaxConfigSize = 1 << 20
)

// gitLayout is where a repository's parts are.
type gitLayout struct {
	path      string // as found: the work tree, or the git folder of a bare repository
	gitDir    string // HEAD, index, logs/HEAD (per work tree)
	commonDir string // objects, refs, packed-refs, config (shared by work trees)
	bare      bool
}

var errNotRepo = errors.New("not a git repository (no .git here, and no HEAD and objects/ folder)")

// findGitLayout finds the repository at path: a work tree with .git (a
// folder, or a file "gitdir: …" as in linked work trees and submodules),
// or a bare repository (path is the git folder).
func findGitLayout(path string) (gitLayout, error) {
	l := gitLayout{path: path}
	dotGit := filepath.Join(path, ".git")
	fi, err := os.Lstat(dotGit)
	switch {
	case err == nil && fi.IsDir():
		l.gitDir = dotGit
	case err == nil && fi.Mode().IsRegular():
		b, err := readSmall(dotGit, 4096)
		if err != nil {
			return l, err
		}
		s := strings.TrimSpace(string(b))
		if !strings.HasPrefix(s, "gitdir:") {
			return l, errors.New(".git is a file without a gitdir: line")
		}
		d := strings.TrimSpace(strings.TrimPrefix(s, "gitdir:"))
		if !filepath.IsAbs(d) {
			d = filepath.Join(path, d)
		}
		l.gitDir = filepath.Clean(d)
	case isGitDir(path):
		l.gitDir, l.bare = path, true
	case err != nil && !os.IsNotExist(err):
		return l, err
	default:
		if _, serr := os.Stat(path); serr != nil {
			return l, serr
		}
		return l, errNotRepo
	}
	if !isGitDir(l.gitDir) && !fileExists(filepath.Join(l.gitDir, "commondir")) {
		return l, errNotRepo
	}
	l.commonDir = l.gitDir
	if b, err := readSmall(filepath.Join(l.gitDir, "commondir"), 4096); err == nil {
		d := strings.TrimSpace(string(b))
		if !filepath.IsAbs(d) {
			d = filepath.Join(l.gitDir, d)
		}
		l.commonDir = filepath.Clean(d)
	}
	if fi, err := os.Stat(filepath.Join(l.commonDir, "objects")); err != nil || !fi.IsDir() {
		return l, errors.New("no objects folder in " + l.commonDir)
	}
	return l, nil
}

func fileExists(p string) bool { _, err := os.Lstat(p); return err == nil }

// isGitDir: a HEAD file and an objects folder.
func isGitDir(p string) bool {
	hi, err := os.Lstat(filepath.Join(p, "HEAD"))
	if err != nil || !hi.Mode().IsRegular() {
		return false
	}
	oi, err := os.Stat(filepath.Join(p, "objects"))
	return err == nil && oi.IsDir()
}

// gitConfig is what the scan needs from a repository's config.
type gitConfig struct {
	hashLen   int    // 20, or 32 for objectformat = sha256
	origin    string // remote.origin.url, credentials removed
	public    string // "GitHub", "GitLab", "Bitbucket" when origin is there
	reftable  bool
	rawConfig []byte
}

// readGitConfig reads config (values are matched by name, case-insensitive
// for sections and keys, as git does).
func readGitConfig(commonDir string) gitConfig {
	c := gitConfig{hashLen: 20}
	b, err := readSmall(filepath.Join(commonDir, "config"), gitMaxConfigSize)
	if err != nil {
		return c
	}
	c.rawConfig = b
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				continue
			}
			sec := strings.TrimSpace(line[1:end])
			if sp := strings.IndexAny(sec, " \t"); sp >= 0 {
				name := strings.ToLower(sec[:sp])
				sub := strings.Trim(strings.TrimSpace(sec[sp:]), `"`)
				section = name + "." + sub
			} else {
				section = strings.ToLower(sec)
			}
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch {
		case section == "extensions" && k == "objectformat" && strings.EqualFold(v, "sha256"):
			c.hashLen = 32
		case section == "extensions" && k == "refstorage" && strings.EqualFold(v, "reftable"):
			c.reftable = true
		case section == "remote.origin" && k == "url" && c.origin == "":
			c.origin = stripURLCredentials(v)
			c.public = publicHost(v)
		}
	}
	return c
}

// stripURLCredentials removes user:password@ from a URL.
func stripURLCredentials(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		return u[:i+3] + rest[at+1:]
	}
	return u
}

// publicHost names the public hosting service a remote URL is on (https,
// ssh:// or scp-like git@host:path), or "".
func publicHost(u string) string {
	host := ""
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			rest = rest[:end]
		}
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			rest = rest[at+1:]
		}
		host = rest
	} else if at := strings.IndexByte(u, '@'); at >= 0 {
		if c := strings.IndexByte(u[at:], ':'); c > 0 {
			host = u[at+1 : at+c]
		}
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	switch {
	case host == "github.com" || host == "www.github.com" || host == "ssh.github.com" || host == "gist.github.com":
		return "GitHub"
	case host == "gitlab.com" || host == "www.gitlab.com":
		return "GitLab"
	case host == "bitbucket.org" || host == "www.bitbucket.org":
		return "Bitbucket"
	}
	return ""
}

// gitRefTip is a commit (or tag) a ref, pseudo-ref or reflog entry names.
type gitRefTip struct {
	oid   string // hex
	label string // what a finding reached through it says (Finding.Ref)
	prio  int    // lower first: the label of a commit is its first ref's
}

// Label priorities: HEAD's branch, branches, remote branches, tags, other
// refs, pseudo-refs, other work trees, the stash, reflogs.
const (
	prioHead = iota
	prioBranch
	prioRemote
	prioTag
	prioOther
	prioPseudo
	prioWorktree
	prioStash
	prioReflog
)

// gitRefs is what a repository's refs name.
type gitRefs struct {
	tips     []gitRefTip
	head     string // HEAD's commit (hex), "" when unborn
	headRef  string // HEAD's branch, "" when detached
	shallow  bool
	reftable bool
	notes    []string // what was not read
	count    int
}

func (r *gitRefs) add(oid, label string, prio int) {
	if r.count >= gitMaxRefs {
		return
	}
	r.count++
	r.tips = append(r.tips, gitRefTip{oid: strings.ToLower(oid), label: label, prio: prio})
}

// refLabel is how findings name a ref: "stash" for the stash, else its
// full name.
func refPrio(name string) int {
	switch {
	case name == "refs/stash":
		return prioStash
	case strings.HasPrefix(name, "refs/heads/"):
		return prioBranch
	case strings.HasPrefix(name, "refs/remotes/"):
		return prioRemote
	case strings.HasPrefix(name, "refs/tags/"):
		return prioTag
	}
	return prioOther
}

func refLabel(name string) string {
	if name == "refs/stash" {
		return "stash"
	}
	return name
}

// readGitRefs reads every ref (loose and packed), HEAD, the pseudo-refs,
// other work trees' HEADs and every reflog entry.
func readGitRefs(l gitLayout, cfg gitConfig) *gitRefs {
	r := &gitRefs{reftable: cfg.reftable}
	named := map[string]string{} // ref name -> oid or "ref: target"
	// packed, then loose (a loose ref wins)
	if b, err := readSmall(filepath.Join(l.commonDir, "packed-refs"), gitMaxRefFile); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if line == "" || line[0] == '#' || line[0] == '^' {
				continue
			}
			oid, name, ok := strings.Cut(line, " ")
			if ok && isHex(strings.ToLower(oid)) && strings.HasPrefix(name, "refs/") {
				named[name] = oid
			}
		}
	}
	r.walkLooseRefs(filepath.Join(l.commonDir, "refs"), "refs", named, 0)
	if fileExists(filepath.Join(l.commonDir, "reftable")) {
		r.reftable = true
	}
	if r.reftable {
		r.notes = append(r.notes, "refs are in the reftable format, which is not read: every object was scanned, but findings name no ref")
	}
	resolve := func(v string) string {
		for range 8 {
			t, ok := strings.CutPrefix(v, "ref:")
			if !ok {
				return strings.TrimSpace(v)
			}
			v = named[strings.TrimSpace(t)]
		}
		return ""
	}
	// HEAD
	if b, err := readSmall(filepath.Join(l.gitDir, "HEAD"), 4096); err == nil {
		v := strings.TrimSpace(string(b))
		if t, ok := strings.CutPrefix(v, "ref:"); ok {
			r.headRef = strings.TrimSpace(t)
		}
		r.head = strings.ToLower(resolve(v))
		if r.head != "" {
			lbl := "HEAD"
			if r.headRef != "" {
				lbl = refLabel(r.headRef)
			}
			r.add(r.head, lbl, prioHead)
		}
	}
	names := make([]string, 0, len(named))
	for n := range named {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if oid := resolve(named[n]); oid != "" {
			r.add(oid, refLabel(n), refPrio(n))
		}
	}
	for _, p := range []string{"ORIG_HEAD", "FETCH_HEAD", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "BISECT_HEAD", "AUTO_MERGE"} {
		b, err := readSmall(filepath.Join(l.gitDir, p), 1<<20)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 0 && isHex(strings.ToLower(f[0])) {
				r.add(f[0], p, prioPseudo)
			}
		}
	}
	// other work trees
	if ents, err := os.ReadDir(filepath.Join(l.commonDir, "worktrees")); err == nil {
		for _, e := range ents {
			wt := filepath.Join(l.commonDir, "worktrees", e.Name())
			if b, err := readSmall(filepath.Join(wt, "HEAD"), 4096); err == nil {
				if oid := resolve(strings.TrimSpace(string(b))); oid != "" {
					r.add(oid, "worktrees/"+e.Name()+"/HEAD", prioWorktree)
				}
			}
			r.readReflog(filepath.Join(wt, "logs", "HEAD"), "reflog", prioReflog)
		}
	}
	// reflogs: the stash's list, then the rest
	r.readReflog(filepath.Join(l.commonDir, "logs", "refs", "stash"), "stash", prioStash)
	r.readReflog(filepath.Join(l.gitDir, "logs", "HEAD"), "reflog", prioReflog)
	r.walkReflogs(filepath.Join(l.commonDir, "logs", "refs"), 0)
	if fileExists(filepath.Join(l.commonDir, "shallow")) {
		r.shallow = true
		r.notes = append(r.notes, "a shallow clone: the history before its shallow boundary is not in the repository")
	}
	if r.count >= gitMaxRefs {
		r.notes = append(r.notes, "more than 200,000 refs and reflog entries: the rest were not read (findings reached only through them say \"unreachable\")")
	}
	return r
}

func (r *gitRefs) walkLooseRefs(dir, prefix string, named map[string]string, depth int) {
	if depth > gitMaxRefDepth || r.count >= gitMaxRefs {
		return
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		name := prefix + "/" + e.Name()
		switch {
		case e.IsDir():
			r.walkLooseRefs(p, name, named, depth+1)
		case e.Type().IsRegular():
			b, err := readSmall(p, 4096)
			if err != nil {
				continue
			}
			v := strings.TrimSpace(string(b))
			if strings.HasPrefix(v, "ref:") || isHex(strings.ToLower(v)) {
				named[name] = v
			}
		}
	}
}

func (r *gitRefs) walkReflogs(dir string, depth int) {
	if depth > gitMaxRefDepth || r.count >= gitMaxRefs {
		return
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			r.walkReflogs(p, depth+1)
		case e.Type().IsRegular() && !(depth == 0 && e.Name() == "stash"):
			r.readReflog(p, "reflog", prioReflog)
		}
	}
}

// readReflog adds both commits of every entry ("old new who time\tmsg").
func (r *gitRefs) readReflog(p, label string, prio int) {
	f, _, err := openRegular(p)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, gitMaxRefFile))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() && r.count < gitMaxRefs {
		line := sc.Bytes()
		a, rest, ok := bytes.Cut(line, []byte(" "))
		if !ok {
			continue
		}
		b, _, _ := bytes.Cut(rest, []byte(" "))
		for _, oid := range [][]byte{b, a} {
			s := strings.ToLower(string(oid))
			if isHex(s) && strings.Trim(s, "0") != "" {
				r.add(s, label, prio)
			}
		}
	}
}
