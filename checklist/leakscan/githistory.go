package leakscan

// The git history scan (issue 16, item 1): `reclaim scan --git PATH`, and
// with Options.History every repository found under a scanned root.
//
// How it is fast: it reads the object store itself (gitobj.go) and scans
// every blob once, whatever commits, branches, stashes or reflogs hold it,
// and whether anything reaches it at all: a key that lives only in an
// unreachable commit or a dangling blob is found like any other. Pack files
// are read in offset order, split between the workers in segments, each
// worker inflating its segment front to back; a delta's base is kept in
// memory until the last delta of it in the segment is done (git writes a
// base and its deltas near each other), and one out of reach is rebuilt
// through a small cache. Blobs come first; trees are read only when a blob
// matched, and reduced to their subfolders and the matching blobs; commits
// to their tree, parents and author date. Only then is each matching blob
// attributed: which commits hold each key at which path, the commit that
// added it (no parent holds it there), the first ref that reaches that
// commit (a branch, a tag, the stash, a reflog, or none: "unreachable"),
// and whether HEAD still holds it.
//
// How it stays bounded on a hostile repository: see gitobj.go (caps on
// object size, delta depth and delta work; every length checked), plus a
// cap on tree depth (gitMaxTreeDepth) with cycles refused, and a cap on the
// attribution work. What was not read is counted per repository
// (RepoStat) and makes the report incomplete.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// gitMaxTreeDepth caps how deep trees are followed (git's own
	// core.maxTreeDepth default is 4,096).
	gitMaxTreeDepth = 4096
	// gitMaxHits caps the (blob, key) pairs and the attribution lists kept
	// for one repository.
	gitMaxHits = 1 << 20
	// gitStreamOver: blobs bigger than this that no delta in their segment
	// needs are scanned as a stream, not held.
	gitStreamOver = 1 << 20
	// gitHeldMax caps the delta bases the workers keep for later deltas,
	// and gitCacheMax their caches of bases read out of order (in all,
	// shared out between the workers).
	gitHeldMax  = 16 << 20
	gitCacheMax = 8 << 20
	// gitMaxWorkers caps the workers of a history scan: each holds a
	// scan buffer, a read window and its share of the budgets above, so
	// that memory does not grow with the machine's cores.
	gitMaxWorkers = 4
)

// The history scan expands at most gitExpandRatio times the repository's
// objects' size on disk, and at least gitExpandFloor: a pack of deltas
// that each rebuild a large base, or zlib streams of zeros, would
// otherwise make a few KiB on disk into hours of scanning (variables for
// the tests).
var (
	gitExpandFloor int64 = 4 << 30
	gitExpandRatio int64 = 1000
)

// RepoStat is what the history scan read from one repository.
type RepoStat struct {
	// Path is the repository as found or given (its work tree, or the git
	// folder of a bare repository).
	Path string `json:"path"`
	// Origin is remote.origin.url without credentials; Public names the
	// public host it is on ("GitHub", "GitLab", "Bitbucket"), "" otherwise.
	Origin string `json:"origin,omitempty"`
	Public string `json:"public,omitempty"`
	// What was read: packs, loose objects, objects of each type, blob bytes.
	Packs   int   `json:"packs"`
	Loose   int   `json:"loose_objects"`
	Objects int64 `json:"objects"`
	Commits int64 `json:"commits"`
	Trees   int64 `json:"trees"`
	Blobs   int64 `json:"blobs"`
	Bytes   int64 `json:"bytes"`
	// BinarySkipped counts blobs skipped as media, fonts, executables or
	// archives by their first bytes.
	BinarySkipped int64 `json:"binary_skipped,omitempty"`
	// Unreachable counts the commits no ref, stash or reflog reaches.
	Unreachable int64 `json:"unreachable_commits,omitempty"`
	// Refs counts the refs, pseudo-refs and reflog entries read.
	Refs int `json:"refs"`
	// What could not be read: objects that are corrupt, missing (named by
	// a tree, a commit or a delta but not in the repository), too big to
	// hold, in a delta chain that loops or is too deep (or past the delta
	// work limit), trees too deep or in a cycle, and attribution left out
	// over the caps. Problems names the first few.
	Corrupt    int64 `json:"corrupt,omitempty"`
	Missing    int64 `json:"missing,omitempty"`
	TooBig     int64 `json:"too_big,omitempty"`
	DeltaLoops int64 `json:"delta_loops,omitempty"`
	TooDeep    int64 `json:"too_deep,omitempty"`
	Capped     int64 `json:"capped,omitempty"`
	// OverBudget counts the objects not read once the history expanded
	// gitExpandRatio times its size on disk (a delta or zlib bomb).
	OverBudget int64 `json:"over_budget,omitempty"`
	// NotListed counts further places of keys already listed, over
	// MaxFindings.
	NotListed int64    `json:"not_listed,omitempty"`
	Problems  []string `json:"problems,omitempty"`
	// Notes say what about the repository limits the result without being
	// an error (a shallow clone, reftable refs).
	Notes []string `json:"notes,omitempty"`
	// Error is set when nothing could be read (not a repository ...).
	Error   string        `json:"error,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// incomplete says what the scan of this repository left out, one reason
// each (nil: nothing).
func (s RepoStat) incomplete() []string {
	var out []string
	p := abbrev(s.Path)
	add := func(n int64, one, many string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("git history of %s: %d %s", p, n, plural(n, one, many)))
		}
	}
	if s.Error != "" {
		out = append(out, fmt.Sprintf("git history of %s not read: %s", p, s.Error))
	}
	add(s.Corrupt, "corrupt object or file not read", "corrupt objects or files not read")
	add(s.Missing, "missing object", "missing objects")
	add(s.TooBig, "object too big to hold in memory not read", "objects too big to hold in memory not read")
	add(s.DeltaLoops, "object in a looping or too deep delta chain not read", "objects in looping or too deep delta chains not read")
	add(s.TooDeep, "tree too deep or in a cycle not followed", "trees too deep or in a cycle not followed")
	add(s.Capped, "place of a key not attributed (over the caps)", "places of keys not attributed (over the caps)")
	ratio := strconv.FormatInt(gitExpandRatio, 10)
	if len(ratio) > 3 {
		ratio = ratio[:len(ratio)-3] + "," + ratio[len(ratio)-3:]
	}
	add(s.OverBudget, "object not read: the history expands to more than "+ratio+" times its size on disk (a delta or zlib bomb?)",
		"objects not read: the history expands to more than "+ratio+" times its size on disk (a delta or zlib bomb?)")
	add(s.NotListed, "more place of a listed key not listed (over the caps)", "more places of listed keys not listed (over the caps)")
	return out
}

// Summary is one line about the repository for the text report.
func (s RepoStat) Summary() string {
	if s.Error != "" {
		return "git history of " + san(s.Path) + ": NOT READ: " + san(s.Error)
	}
	out := fmt.Sprintf("git history of %s: %d %s, %d %s (%s), %d %s", san(s.Path), s.Commits, plural(s.Commits, "commit", "commits"), s.Blobs, plural(s.Blobs, "blob", "blobs"), humanBytes(s.Bytes), s.Refs, plural(int64(s.Refs), "ref or reflog entry", "refs and reflog entries"))
	if s.Unreachable > 0 {
		out += fmt.Sprintf(", %d unreachable %s", s.Unreachable, plural(s.Unreachable, "commit", "commits"))
	}
	if s.Public != "" {
		out += "; origin on a public code host, " + s.Public + " (" + san(s.Origin) + ")"
	}
	return out
}

// gitCommit is a commit reduced to what attribution needs.
type gitCommit struct {
	gid        int32
	tree       int32 // gid, or -1
	pStart, pN int32 // parents, in gitHist.parents (gids, -1 missing)
	when       int64 // author date
	tz         int32 // its zone, seconds east of UTC
}

// blobHit is a key found in a blob (or a commit or tag's text).
type blobHit struct {
	secret int32
	line   int32
}

// treeEdge is a subfolder of a tree, or a blob in it that holds a key.
type treeEdge struct {
	child   int32 // gid (-1: missing)
	name    uint32
	nameLen uint16
	hit     bool
}

type treeRec struct {
	gid          int32
	arena        int32 // worker whose arenas hold the edges
	start, count int32
}

// gitHist scans one repository.
type gitHist struct {
	e       *engine
	lay     gitLayout
	cfg     gitConfig
	refs    *gitRefs
	st      *gitStore
	stat    *RepoStat
	stop    *stopFlag
	workers int
	fileCap int64
	nFiles  *atomic.Int64
	nBytes  *atomic.Int64
	nFind   *atomic.Int64

	mu        sync.Mutex
	secrets   []Finding // one per distinct key: provider, kind, redacted, fingerprint …
	secretIdx map[string]int32
	blobHits  map[int32][]blobHit
	nHits     int
	msgHits   map[int32][]blobHit // commits' and tags' own text
	commits   []gitCommit
	parents   []int32
	tagTarget map[int32]int32
	matched   map[string]int32 // oid (bytes as string) of blobs with keys -> gid
	trees     []treeRec
	edges     [][]treeEdge
	names     [][]byte
	binary    atomic.Int64
	blobs     atomic.Int64
	bytes     atomic.Int64
	nCommits  atomic.Int64
	nTrees    atomic.Int64
	// expanded is what was inflated and rebuilt for blobs, commits and
	// tags; budget the most it may be (gitExpandRatio)
	expanded atomic.Int64
	budget   int64
}

// gitWork is a unit of work: a segment of a pack (ranks lo to hi) or of
// the loose objects.
type gitWork struct {
	p      *gitPack
	lo, hi int
}

// scanGitRepo scans the history of the repository at path.
func scanGitRepo(ctx context.Context, path string, e *engine, workers int, fileCap int64, stop *stopFlag, nFiles, nBytes, nFind *atomic.Int64) (*RepoStat, []Finding) {
	start := time.Now()
	stat := &RepoStat{Path: path}
	defer func() { stat.Elapsed = time.Since(start) }()
	lay, err := findGitLayout(path)
	if err != nil {
		stat.Error = reason(err)
		return stat, nil
	}
	h := &gitHist{e: e, lay: lay, stat: stat, stop: stop, workers: min(max(1, workers), gitMaxWorkers), fileCap: fileCap, nFiles: nFiles, nBytes: nBytes, nFind: nFind,
		secretIdx: map[string]int32{}, blobHits: map[int32][]blobHit{}, msgHits: map[int32][]blobHit{}, tagTarget: map[int32]int32{}}
	h.cfg = readGitConfig(lay.commonDir)
	stat.Origin, stat.Public = h.cfg.origin, h.cfg.public
	h.refs = readGitRefs(lay, h.cfg)
	stat.Refs = h.refs.count
	stat.Notes = append(stat.Notes, h.refs.notes...)
	st, err := openGitStore(filepath.Join(lay.commonDir, "objects"), h.cfg.hashLen, stop)
	if st != nil {
		defer st.close()
		h.st = st
		stat.Packs, stat.Loose = len(st.packs), len(st.looseKind)
		stat.Objects = int64(st.total)
	}
	if err == nil {
		h.budget = max(gitExpandFloor, gitExpandRatio*st.disk)
		h.run(ctx)
	}
	if st != nil {
		h.problems()
	}
	if err == nil && st.total == 0 {
		stat.Notes = append(stat.Notes, "no objects: an empty repository")
	}
	if stop.Load() {
		return stat, nil
	}
	return stat, h.attribute()
}

func (h *gitHist) problems() {
	p := h.st.prob
	p.mu.Lock()
	defer p.mu.Unlock()
	s := h.stat
	s.Corrupt, s.Missing, s.TooBig, s.DeltaLoops, s.TooDeep = p.corrupt, p.missing, p.tooBig, p.loops, p.deep+p.cycles
	s.OverBudget = p.overBudget
	s.Problems = slices.Clone(p.first)
	s.Commits, s.Trees, s.Blobs, s.Bytes, s.BinarySkipped = h.nCommits.Load(), h.nTrees.Load(), h.blobs.Load(), h.bytes.Load(), h.binary.Load()
}

// segments cuts every pack into runs of about size compressed bytes, and
// the loose objects into runs of 256.
func (h *gitHist) segments() []gitWork {
	var out []gitWork
	for _, p := range h.st.packs {
		per := max(2<<20, (p.end-12)/int64(h.workers*4))
		lo := 0
		for r := 0; r < p.n; r++ {
			if p.nextOff(r)-p.offs[lo] >= per || r == p.n-1 {
				out = append(out, gitWork{p: p, lo: lo, hi: r + 1})
				lo = r + 1
			}
		}
	}
	for i := 0; i < len(h.st.looseKind); i += 256 {
		out = append(out, gitWork{lo: i, hi: min(i+256, len(h.st.looseKind))})
	}
	return out
}

// gitWorker is one worker's state.
type gitWorker struct {
	h         *gitHist
	id        int
	sc        *fileScanner
	rd        *gitReader
	held      map[int32]heldObj
	heldBytes int
	heldMax   int
	free      [][]byte // buffers to reuse (getBuf)
	kids      []int32
	// local results, merged after the phase
	commits []gitCommit
	parents []int32
	edges   []treeEdge
	names   []byte
	trees   []treeRec
}

type heldObj struct {
	b    []byte
	refs int32
}

// phases
const (
	phaseBlobs = iota // blobs, commits, tags
	phaseTrees
)

func wanted(phase int, k uint8) bool {
	if phase == phaseTrees {
		return k == objTree
	}
	return k == objBlob || k == objCommit || k == objTag
}

func (h *gitHist) run(ctx context.Context) {
	segs := h.segments()
	var workMax int64 = 256 << 20
	for _, p := range h.st.packs {
		workMax += 4 * p.end
	}
	ws := make([]*gitWorker, h.workers)
	cacheMax := max(2<<20, gitCacheMax/h.workers)
	for i := range ws {
		ws[i] = &gitWorker{h: h, id: i, held: map[int32]heldObj{}, heldMax: gitHeldMax / h.workers,
			sc: &fileScanner{e: h.e, buf: make([]byte, chunkSize+overlap), stop: h.stop},
			rd: newGitReader(h.st, cacheMax, workMax)}
	}
	h.runPhase(segs, ws, phaseBlobs)
	for _, w := range ws {
		base := int32(len(h.parents))
		for _, c := range w.commits {
			c.pStart += base
			h.commits = append(h.commits, c)
		}
		h.parents = append(h.parents, w.parents...)
		w.commits, w.parents = nil, nil
	}
	slices.SortFunc(h.commits, func(a, b gitCommit) int { return int(a.gid) - int(b.gid) })
	if len(h.blobHits) == 0 || h.stop.Load() {
		return
	}
	h.matched = make(map[string]int32, len(h.blobHits))
	for g := range h.blobHits {
		h.matched[string(h.st.oid(g))] = g
	}
	for _, w := range ws {
		w.rd.cache = newObjCache(cacheMax)
	}
	h.runPhase(segs, ws, phaseTrees)
	for _, w := range ws {
		h.trees = append(h.trees, w.trees...)
		h.edges = append(h.edges, w.edges)
		h.names = append(h.names, w.names)
	}
	slices.SortFunc(h.trees, func(a, b treeRec) int { return int(a.gid) - int(b.gid) })
}

func (h *gitHist) runPhase(segs []gitWork, ws []*gitWorker, phase int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(segs) || h.stop.Load() {
					return
				}
				if segs[i].p == nil {
					w.runLoose(segs[i].lo, segs[i].hi, phase)
				} else {
					w.runSegment(segs[i].p, segs[i].lo, segs[i].hi, phase)
				}
			}
		}()
	}
	wg.Wait()
}

// runSegment reads the objects of one phase in ranks lo to hi of p, front
// to back.
func (w *gitWorker) runSegment(p *gitPack, lo, hi, phase int) {
	st := w.h.st
	if cap(w.kids) < hi-lo {
		w.kids = make([]int32, hi-lo)
	}
	kids := w.kids[:hi-lo]
	clear(kids)
	for r := lo; r < hi; r++ {
		if b := p.bgid[r]; b >= 0 && wanted(phase, p.kind[r]) {
			if pb, br := st.pack(b); pb == p && br >= lo && br < r {
				kids[br-lo]++
			}
		}
	}
	defer func() {
		for _, h := range w.held {
			w.recycle(h.b)
		}
		clear(w.held)
		w.heldBytes = 0
	}()
	for r := lo; r < hi; r++ {
		k := p.kind[r]
		if !wanted(phase, k) {
			continue
		}
		if (r-lo)%64 == 0 && w.h.stop.Load() {
			return
		}
		gid := p.base + int32(r)
		if phase == phaseBlobs && w.h.overBudget(gid) {
			continue
		}
		t := p.typ[r]
		var content []byte
		var err error
		if t == objOfsDelta || t == objRefDelta {
			base, ok := w.held[p.bgid[r]]
			last := false // the base's last delta here: its buffer is free after
			if ok {
				base.refs--
				if base.refs <= 0 {
					delete(w.held, p.bgid[r])
					w.heldBytes -= len(base.b)
					last = true
				} else {
					w.held[p.bgid[r]] = base
				}
			} else {
				// out of reach (another segment, or over the budget): the
				// cache's copy, not ours to reuse
				_, base.b, err = w.rd.read(p.bgid[r])
			}
			var d []byte
			if err == nil {
				d, err = w.rd.deltaData(p, r)
			}
			if err == nil {
				content, err = applyDelta(base.b, d, w.getBuf(deltaResultSize(d)))
			}
			if last {
				w.recycle(base.b)
			}
		} else if k == objBlob && (int64(p.size[r]) > gitMaxInMemory || kids[r-lo] == 0 && p.size[r] > gitStreamOver) {
			if st.dup(gid) {
				continue
			}
			zr, serr := w.rd.stream(p, r)
			if serr == nil {
				serr = w.scanBlobStream(gid, zr, int64(p.size[r]))
			}
			if serr != nil {
				st.prob.count(serr, "blob "+st.oidHex(gid))
			}
			continue
		} else if p.size[r] <= gitMaxInMemory {
			content, err = w.rd.readRaw(p, r, w.getBuf(int(p.size[r])))
		} else {
			content, err = w.rd.readRaw(p, r, nil) // too big: the error says so
		}
		if err != nil {
			st.prob.count(err, typeName(k)+" "+st.oidHex(gid))
			continue
		}
		w.process(gid, k, content)
		if n := kids[r-lo]; n > 0 && w.heldBytes+len(content) <= w.heldMax {
			w.held[gid] = heldObj{b: content, refs: n}
			w.heldBytes += len(content)
		} else {
			w.recycle(content)
		}
	}
}

// deltaResultSize is the result size a delta declares (0 when unreadable:
// applyDelta says why).
func deltaResultSize(d []byte) int {
	_, i, ok := deltaVarint(d, 0)
	if !ok {
		return 0
	}
	n, _, ok := deltaVarint(d, i)
	if !ok || n > gitMaxInMemory {
		return 0
	}
	return int(n)
}

// getBuf returns a buffer of n bytes, reused when one is free: each object
// is inflated or rebuilt into one, and most are done with at once.
func (w *gitWorker) getBuf(n int) []byte {
	for i, b := range w.free {
		if cap(b) >= n {
			w.free[i] = w.free[len(w.free)-1]
			w.free = w.free[:len(w.free)-1]
			return b[:n]
		}
	}
	c := 4096
	for c < n {
		c *= 2
	}
	return make([]byte, n, c)
}

// recycle keeps b for getBuf (a few buffers of up to 4 MiB).
func (w *gitWorker) recycle(b []byte) {
	if cap(b) == 0 || cap(b) > 4<<20 {
		return
	}
	if len(w.free) < 8 {
		w.free = append(w.free, b)
		return
	}
	for i, f := range w.free {
		if cap(f) < cap(b) {
			w.free[i] = b
			return
		}
	}
}

func typeName(k uint8) string {
	switch k {
	case objCommit:
		return "commit"
	case objTree:
		return "tree"
	case objBlob:
		return "blob"
	case objTag:
		return "tag"
	}
	return "object"
}

// runLoose reads loose objects lo to hi of one phase.
func (w *gitWorker) runLoose(lo, hi, phase int) {
	st := w.h.st
	for i := lo; i < hi; i++ {
		k := st.looseKind[i]
		if !wanted(phase, k) {
			continue
		}
		if w.h.stop.Load() {
			return
		}
		gid := st.looseBase + int32(i)
		if phase == phaseBlobs && w.h.overBudget(gid) {
			continue
		}
		if k == objBlob && st.looseSize[i] > gitStreamOver {
			if st.dup(gid) {
				continue
			}
			zr, done, err := w.rd.looseStream(i)
			if err == nil {
				err = w.scanBlobStream(gid, zr, int64(st.looseSize[i]))
				done()
			}
			if err != nil {
				st.prob.count(err, "blob "+st.oidHex(gid))
			}
			continue
		}
		_, b, err := w.rd.readLoose(i)
		if err != nil {
			st.prob.count(err, typeName(k)+" "+st.oidHex(gid))
			continue
		}
		w.process(gid, k, b)
	}
}

// overBudget reports whether the history expanded its budget (counting
// object gid, which is then not read).
func (h *gitHist) overBudget(gid int32) bool {
	if h.expanded.Load() < h.budget {
		return false
	}
	p := h.st.prob
	p.mu.Lock()
	p.overBudget++
	if p.overBudget == 1 && len(p.first) < 5 {
		p.first = append(p.first, fmt.Sprintf("%s expanded from %s on disk: %s and later objects not read", humanBytes(h.expanded.Load()), humanBytes(h.st.disk), h.st.oidHex(gid)))
	}
	p.mu.Unlock()
	return true
}

// process handles one object's content.
func (w *gitWorker) process(gid int32, k uint8, b []byte) {
	h := w.h
	if h.st.dup(gid) {
		return
	}
	if k != objTree {
		h.expanded.Add(int64(len(b)))
	}
	switch k {
	case objBlob:
		h.blobs.Add(1)
		h.bytes.Add(int64(len(b)))
		h.nFiles.Add(1)
		h.nBytes.Add(int64(len(b)))
		fs, binary := w.sc.scanObject(b)
		if binary {
			h.binary.Add(1)
		}
		h.recordHits(gid, fs, false)
	case objCommit:
		h.nCommits.Add(1)
		w.parseCommit(gid, b)
		if fs, _ := w.sc.scanObject(b); len(fs) > 0 {
			h.recordHits(gid, fs, true)
		}
	case objTag:
		w.parseTag(gid, b)
		if fs, _ := w.sc.scanObject(b); len(fs) > 0 {
			h.recordHits(gid, fs, true)
		}
	case objTree:
		h.nTrees.Add(1)
		w.parseTree(gid, b)
	}
}

// scanBlobStream scans a blob read as a stream, of the declared size: up
// to the file cap, and never past its size (a stream that inflates to more,
// or to less, is corrupt: a zlib bomb is not expanded).
func (w *gitWorker) scanBlobStream(gid int32, r io.Reader, size int64) error {
	h := w.h
	limit := min(h.fileCap, size)
	fs, n, binary, more, err := w.sc.scanObjectStream(r, limit)
	h.expanded.Add(n)
	capped := more && limit < size
	if err == nil && !binary && (more && limit == size || !more && n < limit) {
		err = fmt.Errorf("%w: the blob inflates to another size than its header says (%s)", errGitCorrupt, humanBytes(size))
	}
	h.blobs.Add(1)
	h.bytes.Add(n)
	h.nFiles.Add(1)
	h.nBytes.Add(n)
	if binary {
		h.binary.Add(1)
	}
	h.recordHits(gid, fs, false)
	if capped {
		h.st.prob.add(&h.st.prob.tooBig, fmt.Sprintf("blob %s: read only up to the per-file cap (%s)", h.st.oidHex(gid), humanBytes(h.fileCap)))
	}
	return err
}

func (h *gitHist) recordHits(gid int32, fs []Finding, msg bool) {
	if len(fs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range fs {
		si, ok := h.secretIdx[f.Fingerprint]
		if !ok {
			if len(h.secrets) >= MaxKeys {
				h.stat.Capped++
				continue
			}
			t := f
			t.Line, t.Count = 0, 0
			si = int32(len(h.secrets))
			h.secrets = append(h.secrets, t)
			h.secretIdx[f.Fingerprint] = si
			h.nFind.Add(1)
		}
		if h.nHits >= gitMaxHits {
			h.stat.Capped++
			continue
		}
		h.nHits++
		if msg {
			h.msgHits[gid] = append(h.msgHits[gid], blobHit{si, int32(f.Line)})
		} else {
			h.blobHits[gid] = append(h.blobHits[gid], blobHit{si, int32(f.Line)})
		}
	}
}

// parseCommit reads tree, parents and author date.
func (w *gitWorker) parseCommit(gid int32, b []byte) {
	st := w.h.st
	c := gitCommit{gid: gid, tree: -1, pStart: int32(len(w.parents))}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) == 0 {
			break // the message
		}
		key, val, _ := bytes.Cut(line, []byte(" "))
		switch string(key) {
		case "tree":
			c.tree = st.lookupHex(string(val))
			if c.tree < 0 {
				st.prob.add(&st.prob.missing, fmt.Sprintf("commit %s: tree %s missing", st.oidHex(gid), shortText(val)))
			}
		case "parent":
			p := st.lookupHex(string(val))
			if p < 0 && !w.h.refs.shallow {
				st.prob.add(&st.prob.missing, fmt.Sprintf("commit %s: parent %s missing", st.oidHex(gid), shortText(val)))
			}
			w.parents = append(w.parents, p)
			c.pN++
		case "author":
			c.when, c.tz = parseSignatureTime(val)
		}
	}
	w.commits = append(w.commits, c)
}

// shortText is at most 80 bytes of b, for a problem's description.
func shortText(b []byte) string { return string(b[:min(len(b), 80)]) }

// parseSignatureTime reads "Name <email> 1700000000 +0100".
func parseSignatureTime(v []byte) (int64, int32) {
	gt := bytes.LastIndexByte(v, '>')
	if gt < 0 {
		return 0, 0
	}
	f := strings.Fields(string(v[gt+1:]))
	if len(f) == 0 {
		return 0, 0
	}
	sec, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, 0
	}
	var tz int32
	if len(f) > 1 && len(f[1]) == 5 && (f[1][0] == '+' || f[1][0] == '-') {
		if n, err := strconv.Atoi(f[1][1:]); err == nil {
			tz = int32(n/100*3600 + n%100*60)
			if f[1][0] == '-' {
				tz = -tz
			}
		}
	}
	return sec, tz
}

// parseTag records what an annotated tag points to.
func (w *gitWorker) parseTag(gid int32, b []byte) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	v, ok := bytes.CutPrefix(line, []byte("object "))
	if !ok {
		return
	}
	if t := w.h.st.lookupHex(string(v)); t >= 0 {
		w.h.mu.Lock()
		w.h.tagTarget[gid] = t
		w.h.mu.Unlock()
	}
}

// parseTree keeps a tree's subfolders and its blobs that hold keys.
func (w *gitWorker) parseTree(gid int32, b []byte) {
	h := w.h
	st := h.st
	hl := st.hashLen
	rec := treeRec{gid: gid, arena: int32(w.id), start: int32(len(w.edges))}
	for len(b) > 0 {
		sp := bytes.IndexByte(b, ' ')
		nul := bytes.IndexByte(b, 0)
		if sp <= 0 || nul < sp || nul+1+hl > len(b) {
			st.prob.add(&st.prob.corrupt, fmt.Sprintf("tree %s: malformed entry", st.oidHex(gid)))
			break
		}
		mode, name, oid := b[:sp], b[sp+1:nul], b[nul+1:nul+1+hl]
		b = b[nul+1+hl:]
		var e treeEdge
		switch {
		case bytes.Equal(mode, []byte("40000")) || bytes.Equal(mode, []byte("040000")):
			e.child = st.lookup(oid)
			if e.child < 0 {
				st.prob.add(&st.prob.missing, fmt.Sprintf("tree %s: subtree %x missing", st.oidHex(gid), oid))
				continue
			}
		case bytes.Equal(mode, []byte("160000")):
			continue // a submodule's commit: in another repository
		default:
			g, ok := h.matched[string(oid)]
			if !ok {
				continue
			}
			e.child, e.hit = g, true
		}
		if len(name) > 0xffff || len(w.names) > 1<<31 {
			continue
		}
		e.name, e.nameLen = uint32(len(w.names)), uint16(len(name))
		w.names = append(w.names, name...)
		w.edges = append(w.edges, e)
		rec.count++
	}
	w.trees = append(w.trees, rec)
}

// ---- attribution ----

// pathNode is a path inside a tree as a list: its first name, then the
// rest (tail, -1 at the end). Interned: the same path is the same index.
type pathNode struct {
	name string
	tail int32
}

type relHit struct {
	path int32
	blob int32
}

type attrib struct {
	h      *gitHist
	nodes  []pathNode
	intern map[pathNode]int32
	memo   map[int32][2]int32 // tree gid -> hits (start, count) in arena; count -1: in progress
	arena  []relHit
	seen   map[int32]bool // blobs some commit holds
	capped bool
}

func (a *attrib) node(name string, tail int32) int32 {
	k := pathNode{name, tail}
	if i, ok := a.intern[k]; ok {
		return i
	}
	i := int32(len(a.nodes))
	a.nodes = append(a.nodes, k)
	a.intern[k] = i
	return i
}

func (a *attrib) pathString(p int32) string {
	var parts []string
	for p >= 0 && len(parts) <= gitMaxTreeDepth {
		parts = append(parts, a.nodes[p].name)
		p = a.nodes[p].tail
	}
	return strings.Join(parts, "/")
}

// hitsOf lists the blobs with keys under tree gid, with their paths.
func (a *attrib) hitsOf(gid int32, depth int) []relHit {
	if gid < 0 {
		return nil
	}
	if m, ok := a.memo[gid]; ok {
		if m[1] < 0 {
			a.h.st.prob.add(&a.h.st.prob.cycles, "tree "+a.h.st.oidHex(gid)+" contains itself")
			return nil
		}
		return a.arena[m[0] : m[0]+m[1]]
	}
	if depth > gitMaxTreeDepth {
		a.h.st.prob.add(&a.h.st.prob.deep, fmt.Sprintf("tree %s: deeper than %d levels, not followed", a.h.st.oidHex(gid), gitMaxTreeDepth))
		return nil
	}
	h := a.h
	i, ok := slices.BinarySearchFunc(h.trees, gid, func(t treeRec, g int32) int { return int(t.gid) - int(g) })
	if !ok {
		// not a tree that was read (missing or corrupt: counted there)
		a.memo[gid] = [2]int32{0, 0}
		return nil
	}
	a.memo[gid] = [2]int32{0, -1}
	t := h.trees[i]
	edges := h.edges[t.arena][t.start : t.start+t.count]
	names := h.names[t.arena]
	var out []relHit
	for _, e := range edges {
		name := string(names[e.name : e.name+uint32(e.nameLen)])
		if e.hit {
			out = append(out, relHit{a.node(name, -1), e.child})
			a.seen[e.child] = true
			continue
		}
		for _, sub := range a.hitsOf(e.child, depth+1) {
			out = append(out, relHit{a.node(name, sub.path), sub.blob})
		}
	}
	if len(a.arena)+len(out) > gitMaxHits {
		a.capped = true
		out = nil
	}
	a.memo[gid] = [2]int32{int32(len(a.arena)), int32(len(out))}
	a.arena = append(a.arena, out...)
	return out
}

// intro is the commit that added a key at a path, so far.
type intro struct {
	commit int32 // index in h.commits
	blob   int32
	line   int32
}

// attribute turns what matched into findings.
func (h *gitHist) attribute() []Finding {
	if len(h.secrets) == 0 {
		return nil
	}
	st := h.st
	a := &attrib{h: h, intern: map[pathNode]int32{}, memo: map[int32][2]int32{}, seen: map[int32]bool{}}
	commitOf := make(map[int32]int32, len(h.commits))
	for i, c := range h.commits {
		commitOf[c.gid] = int32(i)
	}
	has := func(blob, secret int32) (int32, bool) {
		for _, x := range h.blobHits[blob] {
			if x.secret == secret {
				return x.line, true
			}
		}
		return 0, false
	}
	// each commit: the keys it holds at each path that no parent holds there
	intros := map[[2]int32]intro{}
	var work int64
	for ci := range h.commits {
		if ci%256 == 0 && h.stop.Load() {
			return nil
		}
		c := &h.commits[ci]
		hc := a.hitsOf(c.tree, 0)
		if len(hc) == 0 {
			continue
		}
		var ph [][]relHit
		same := false
		for _, pg := range h.parents[c.pStart : c.pStart+c.pN] {
			pi, ok := commitOf[pg]
			if !ok {
				continue
			}
			pt := h.commits[pi].tree
			if pt == c.tree {
				same = true
				break
			}
			ph = append(ph, a.hitsOf(pt, 0))
		}
		if same {
			continue
		}
		for _, x := range hc {
			for _, s := range h.blobHits[x.blob] {
				held := false
				for _, list := range ph {
					for _, y := range list {
						work++
						if y.path == x.path {
							if _, ok := has(y.blob, s.secret); ok || y.blob == x.blob {
								held = true
							}
						}
					}
				}
				if held {
					continue
				}
				k := [2]int32{s.secret, x.path}
				cur, ok := intros[k]
				if !ok || h.earlier(int32(ci), cur.commit) {
					intros[k] = intro{commit: int32(ci), blob: x.blob, line: s.line}
				}
			}
		}
		if work > 1<<32 {
			a.capped = true
			break
		}
	}
	// labels: the first ref (by priority) that reaches each commit
	labels, label := h.label(commitOf)
	var unreach int64
	for _, l := range label {
		if l < 0 {
			unreach++
		}
	}
	h.stat.Unreachable = unreach
	labelOf := func(ci int32) string {
		if l := label[ci]; l >= 0 {
			return labels[l]
		}
		return "unreachable"
	}
	// keys in HEAD
	inHead := map[int32]bool{}
	if hg := st.lookupHex(h.refs.head); hg >= 0 {
		if ci, ok := commitOf[h.peel(hg)]; ok {
			for _, x := range a.hitsOf(h.commits[ci].tree, 0) {
				for _, s := range h.blobHits[x.blob] {
					inHead[s.secret] = true
				}
			}
		}
	}
	public := h.cfg.public != ""
	mk := func(secret int32, line int32) Finding {
		f := h.secrets[secret]
		f.File, f.Line, f.Public = h.lay.path, int(line), public
		in := inHead[secret]
		f.InHead = &in
		return f
	}
	date := func(ci int32) time.Time {
		c := h.commits[ci]
		return time.Unix(c.when, 0).In(time.FixedZone("", int(c.tz)))
	}
	// every key once, further places up to MaxFindings (a repository
	// with a key in a million places cannot fill memory with findings)
	var out []Finding
	listed := map[int32]bool{}
	repeats := 0
	emit := func(secret int32, f Finding) {
		if listed[secret] {
			if repeats >= MaxFindings {
				h.stat.NotListed++
				return
			}
			repeats++
		}
		listed[secret] = true
		out = append(out, f)
	}
	keys := make([][2]int32, 0, len(intros))
	for k := range intros {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return a.pathString(keys[i][1]) < a.pathString(keys[j][1])
	})
	for _, k := range keys {
		in := intros[k]
		f := mk(k[0], in.line)
		f.Path = a.pathString(k[1])
		f.Commit = st.oidHex(h.commits[in.commit].gid)
		f.AuthorDate = date(in.commit)
		f.Ref = labelOf(in.commit)
		f.Blob = st.oidHex(in.blob)
		emit(k[0], f)
	}
	// blobs no commit holds
	var dangling []int32
	for g := range h.blobHits {
		if !a.seen[g] {
			dangling = append(dangling, g)
		}
	}
	slices.Sort(dangling)
	for _, g := range dangling {
		for _, s := range h.blobHits[g] {
			f := mk(s.secret, s.line)
			f.Ref, f.Blob = "unreachable", st.oidHex(g)
			emit(s.secret, f)
		}
	}
	// commit messages and tags
	var msgs []int32
	for g := range h.msgHits {
		msgs = append(msgs, g)
	}
	slices.Sort(msgs)
	for _, g := range msgs {
		for _, s := range h.msgHits[g] {
			f := mk(s.secret, s.line)
			if ci, ok := commitOf[g]; ok {
				f.Commit, f.AuthorDate, f.Ref = st.oidHex(g), date(ci), labelOf(ci)
				f.Path = "(commit message)"
			} else {
				f.Ref, f.Blob, f.Path = "tag", st.oidHex(g), "(tag message)"
			}
			emit(s.secret, f)
		}
	}
	if a.capped {
		h.stat.Capped++
	}
	// problems found while attributing (cycles, depth)
	h.problems()
	return out
}

// earlier reports whether commit i was authored before commit j (ties:
// by id, so the choice does not depend on the order of the packs).
func (h *gitHist) earlier(i, j int32) bool {
	a, b := h.commits[i], h.commits[j]
	if a.when != b.when {
		return a.when < b.when
	}
	return bytes.Compare(h.st.oid(a.gid), h.st.oid(b.gid)) < 0
}

// peel follows annotated tags to what they name.
func (h *gitHist) peel(g int32) int32 {
	for range 16 {
		t, ok := h.tagTarget[g]
		if !ok {
			return g
		}
		g = t
	}
	return g
}

// label gives each commit the label of the first ref (by priority) that
// reaches it: labels, and per commit an index in it or -1.
func (h *gitHist) label(commitOf map[int32]int32) ([]string, []int32) {
	label := make([]int32, len(h.commits))
	for i := range label {
		label[i] = -1
	}
	tips := slices.Clone(h.refs.tips)
	slices.SortStableFunc(tips, func(a, b gitRefTip) int { return a.prio - b.prio })
	var labels []string
	idx := map[string]int32{}
	var queue []int32
	for _, t := range tips {
		g := h.st.lookupHex(t.oid)
		if g < 0 {
			if t.prio < prioReflog {
				// a ref to nothing (a reflog may name what gc pruned)
				h.st.prob.add(&h.st.prob.missing, "ref "+t.label+": commit "+t.oid+" missing")
			}
			continue
		}
		ci, ok := commitOf[h.peel(g)]
		if !ok || label[ci] >= 0 {
			continue
		}
		li, ok := idx[t.label]
		if !ok {
			li = int32(len(labels))
			labels = append(labels, t.label)
			idx[t.label] = li
		}
		label[ci] = li
		queue = append(queue[:0], ci)
		for len(queue) > 0 {
			c := h.commits[queue[len(queue)-1]]
			queue = queue[:len(queue)-1]
			for _, pg := range h.parents[c.pStart : c.pStart+c.pN] {
				if pi, ok := commitOf[pg]; ok && label[pi] < 0 {
					label[pi] = li
					queue = append(queue, pi)
				}
			}
		}
	}
	return labels, label
}

// ---- scanning object text ----

// scanObject scans an object's bytes whole: binary blobs (media, fonts,
// executables, archives, by their first bytes) are skipped, UTF-16 is
// decoded. Findings have no File; Line is the line in the object.
func (s *fileScanner) scanObject(b []byte) ([]Finding, bool) {
	s.resetObject()
	head := b[:min(len(b), sniffBytes)]
	mode := modeText
	if m, ok := hasBOM16(head); ok {
		mode = m
	} else if hasNUL(head) {
		var kind string
		if mode, kind = sniffBinary(head); kind != "" {
			return nil, true
		}
	}
	if mode >= modeUTF16LE {
		s.dec.reset(mode)
		s.text = s.dec.decode(s.text[:0], b, true)
		b = s.text
	}
	s.n, s.final = len(b), true
	s.scanChunk(b)
	return s.res.findings, false
}

func (s *fileScanner) resetObject() {
	s.res = fileResult{}
	s.path, s.inWeb, s.isLog, s.isPHP, s.isHTML, s.gitConf = "", false, false, false, false, false
	s.base, s.baseLine, s.seen, s.fps, s.lastProbe, s.probes, s.expKinds = 0, 0, nil, nil, -1, nil, 0
}

// scanObjectStream is scanObject for an object read as a stream, up to limit
// bytes (capped says there was more).
func (s *fileScanner) scanObjectStream(r io.Reader, limit int64) (fs []Finding, n int64, binary, capped bool, err error) {
	s.resetObject()
	left := limit
	mode := modeText
	carry := 0
	for first := true; ; first = false {
		raw := s.buf[carry:]
		if mode >= modeUTF16LE {
			raw = s.buf[:chunkSize]
		}
		if int64(len(raw)) > left {
			raw = raw[:left]
		}
		m, rerr := io.ReadFull(r, raw)
		n += int64(m)
		left -= int64(m)
		final := rerr != nil
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return s.res.findings, n, false, false, fmt.Errorf("%w: %v", errGitCorrupt, rerr)
		}
		if !final && left <= 0 {
			var one [1]byte
			if k, _ := r.Read(one[:]); k > 0 {
				capped = true
			}
			final = true
		}
		raw = raw[:m]
		if s.stop != nil && s.stop.Load() {
			return s.res.findings, n, false, capped, errStopped
		}
		if first {
			head := raw[:min(m, sniffBytes)]
			if md, ok := hasBOM16(head); ok {
				mode = md
			} else if hasNUL(head) {
				var kind string
				if mode, kind = sniffBinary(head); kind != "" {
					return nil, n, true, false, nil
				}
			}
			if mode >= modeUTF16LE {
				s.dec.reset(mode)
			}
		}
		b := s.buf[:carry+m]
		if mode >= modeUTF16LE {
			s.text = s.dec.decode(s.text[:carry], raw, final)
			b = s.text
		}
		s.n, s.final = len(b), final
		s.scanChunk(b)
		if final {
			return s.res.findings, n, false, capped, nil
		}
		carry = s.carry(b)
	}
}

// ---- running from Scan ----

// gitRepoSet collects the repositories found during the walk.
type gitRepoSet struct {
	mu    sync.Mutex
	paths []string
}

// found notes a folder named .git (its parent is the repository) or a
// bare repository's folder (name ends in .git), checked when scanned.
func (g *gitRepoSet) found(p, name string) {
	repo := p
	if name == ".git" {
		repo = filepath.Dir(p)
	}
	g.mu.Lock()
	if len(g.paths) < 1000 && !slices.Contains(g.paths, repo) {
		g.paths = append(g.paths, repo)
	}
	g.mu.Unlock()
}

// notRead lists the repositories found, sorted, but those named in
// explicit (read with --git).
func (g *gitRepoSet) notRead(explicit []string) []string {
	g.mu.Lock()
	paths := slices.Clone(g.paths)
	g.mu.Unlock()
	same := func(a, b string) bool {
		if a == b {
			return true
		}
		ra, err1 := filepath.EvalSymlinks(a)
		rb, err2 := filepath.EvalSymlinks(b)
		return err1 == nil && err2 == nil && ra == rb
	}
	var out []string
	for _, p := range paths {
		if !slices.ContainsFunc(explicit, func(x string) bool {
			a, err := filepath.Abs(x)
			return err == nil && same(a, p)
		}) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// gitHistoryResult is what the history scans add to a report.
type gitHistoryResult struct {
	repos    []RepoStat
	findings []Finding
	explicit int // the first explicit repos are roots (RootStats)
}

// runGitHistories scans the explicit repositories, then those found under
// the roots (bare-looking folders that are not repositories are dropped
// silently).
func runGitHistories(ctx context.Context, stop *stopFlag, opt Options, e *engine, workers int, found *gitRepoSet, fileCap int64, nFiles, nBytes, nFind *atomic.Int64) *gitHistoryResult {
	res := &gitHistoryResult{}
	seen := map[string]bool{}
	var list []string
	for _, p := range opt.GitRepos {
		a, err := filepath.Abs(p)
		if err != nil {
			a = p
		}
		list = append(list, a)
	}
	res.explicit = len(list)
	if found != nil {
		found.mu.Lock()
		fp := slices.Clone(found.paths)
		found.mu.Unlock()
		sort.Strings(fp)
		list = append(list, fp...)
	}
	for i, p := range list {
		key := p
		if r, err := filepath.EvalSymlinks(p); err == nil {
			key = r
		}
		if seen[key] && i >= res.explicit {
			continue
		}
		seen[key] = true
		if stop.Load() {
			break
		}
		if i >= res.explicit {
			if _, err := findGitLayout(p); err != nil {
				continue // a folder named *.git that is no repository
			}
		}
		stat, fs := scanGitRepo(ctx, p, e, workers, fileCap, stop, nFiles, nBytes, nFind)
		if i < res.explicit {
			// named as given in its summary; its findings name it by its
			// absolute path, like the walk's (SARIF file URIs, and
			// locations that do not change with the working folder)
			stat.Path = opt.GitRepos[i]
			// the config's remote URLs (a root's walk reads them itself)
			fs = append(fs, gitConfigFile(p)...)
		}
		res.repos = append(res.repos, *stat)
		res.findings = append(res.findings, fs...)
	}
	return res
}

// merge adds the history scans to the report: findings (through the
// lister's caps), per-repository stats, and a root stat for each
// repository named with --git.
func (g *gitHistoryResult) merge(rep *Report, lst *lister) {
	if g == nil {
		return
	}
	rep.Findings = lst.add(rep.Findings, g.findings)
	rep.Repos = append(rep.Repos, g.repos...)
	for i := range min(g.explicit, len(g.repos)) {
		s := g.repos[i]
		rs := RootStat{Path: s.Path, Files: s.Blobs, Bytes: s.Bytes, Error: s.Error}
		if s.Error == "" && s.Objects == 0 {
			rs.Error = "holds no object"
		}
		rep.RootStats = append(rep.RootStats, rs)
	}
}
