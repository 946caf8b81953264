package leakscan

// A reader of a git repository's object store (issue 16: history scan): pack
// files through their .idx (v1 and v2), loose objects, alternates; SHA-1 and
// SHA-256 repositories. Nothing here trusts the repository: every length,
// offset, count and delta instruction is checked against what the files
// hold, objects held in memory are capped (gitMaxInMemory), delta chains are
// capped in depth and refused when they loop, and a bad object is counted
// and named (gitProblems), never fatal to the scan.

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// git object types, as in a pack's object headers.
const (
	objCommit   = 1
	objTree     = 2
	objBlob     = 3
	objTag      = 4
	objOfsDelta = 6
	objRefDelta = 7
	objBad      = 0xff // unreadable: corrupt header, missing base, delta loop
)

var objTypeNames = map[string]uint8{"commit": objCommit, "tree": objTree, "blob": objBlob, "tag": objTag}

const (
	// gitMaxInMemory is the largest object held in memory whole (a delta
	// base, a delta's result, a tree or a commit). Blobs that are no delta
	// and no delta's base are streamed, whatever their size (up to the
	// file cap); an object over this that must be held is counted as too
	// big and makes the result incomplete.
	gitMaxInMemory = 16 << 20
	// gitMaxDeltaDepth caps a delta chain (git itself writes at most 4,095);
	// a longer one is a loop or a hostile pack.
	gitMaxDeltaDepth = 4096
	// gitMaxPacks and gitMaxLoose cap what one repository may list.
	gitMaxPacks = 4096
	gitMaxLoose = 1 << 20
	// gitMaxAlternates caps the alternate object folders followed.
	gitMaxAlternates = 16
)

var (
	errGitCorrupt  = errors.New("corrupt object")
	errGitTooBig   = errors.New("object too big to hold in memory")
	errGitMissing  = errors.New("missing object")
	errGitLoop     = errors.New("delta chain loops or is deeper than 4,096")
	errGitWorkDone = errors.New("delta work limit reached")
)

// gitPack is one pack file and its index. Objects are numbered in offset
// order (rank); gid = base + rank.
type gitPack struct {
	path   string
	f      *os.File
	end    int64 // offset of the trailing checksum
	base   int32 // gid of rank 0
	n      int
	fanout [256]uint32
	oids   []byte  // idx order, n*hashLen, sorted
	i2r    []int32 // idx position -> rank
	r2i    []int32 // rank -> idx position
	offs   []int64 // by rank, ascending

	// from the header pass, by rank
	typ  []uint8  // pack type (1-4, 6, 7) or objBad
	kind []uint8  // resolved type (1-4) or objBad
	hdr  []uint8  // header length
	size []uint32 // declared size (delta: size of the delta data); saturated
	bgid []int32  // delta base gid, or -1 (none or missing)
}

// gitLooseObj is a loose object: its oid (in gitStore.looseOids) and type.
type gitStore struct {
	hashLen   int
	dirs      []string // objects folders: the repository's, then alternates
	packs     []*gitPack
	looseOids []byte   // sorted, hashLen each
	looseDir  []uint16 // index in dirs
	looseKind []uint8
	looseSize []uint32
	looseBase int32
	total     int32
	prob      *gitProblems
	// disk is the size on disk of the packs and loose objects: the
	// history scan expands at most gitExpandRatio times it
	disk int64
}

// gitProblems counts what could not be read, and names the first few.
type gitProblems struct {
	mu                                            sync.Mutex
	corrupt, missing, tooBig, loops, deep, cycles int64
	overBudget                                    int64 // objects not read: over the expansion budget
	first                                         []string
}

func (p *gitProblems) add(kind *int64, what string) {
	p.mu.Lock()
	*kind++
	if len(p.first) < 5 {
		p.first = append(p.first, what)
	}
	p.mu.Unlock()
}

func (p *gitProblems) count(err error, what string) {
	switch {
	case errors.Is(err, errGitTooBig):
		p.add(&p.tooBig, what+": "+err.Error())
	case errors.Is(err, errGitMissing):
		p.add(&p.missing, what+": "+err.Error())
	case errors.Is(err, errGitLoop), errors.Is(err, errGitWorkDone):
		p.add(&p.loops, what+": "+err.Error())
	default:
		p.add(&p.corrupt, what+": "+err.Error())
	}
}

func (st *gitStore) close() {
	for _, p := range st.packs {
		if p.f != nil {
			p.f.Close()
		}
	}
}

// openGitStore lists the objects of objectsDir and its alternates: packs
// through their indexes, loose objects by name (their types are read from
// their headers). hashLen is 20 (SHA-1) or 32 (SHA-256).
func openGitStore(objectsDir string, hashLen int, stop *stopFlag) (*gitStore, error) {
	st := &gitStore{hashLen: hashLen, prob: &gitProblems{}}
	st.dirs = append(st.dirs, objectsDir)
	st.addAlternates(objectsDir, 0)
	var gid int64
	type loose struct {
		oid []byte
		dir uint16
	}
	var looseList []loose
	for di, dir := range st.dirs {
		if stop.Load() {
			return st, errStopped
		}
		packs, _ := filepath.Glob(filepath.Join(dir, "pack", "*.pack"))
		sort.Strings(packs)
		for _, pp := range packs {
			if len(st.packs) >= gitMaxPacks {
				st.prob.add(&st.prob.corrupt, fmt.Sprintf("more than %d packs: %s and later not read", gitMaxPacks, pp))
				break
			}
			p, err := openPack(pp, hashLen, int32(gid), stop)
			if err != nil {
				st.prob.add(&st.prob.corrupt, pp+": "+err.Error())
				continue
			}
			if gid+int64(p.n) > 1<<31-1 {
				p.f.Close()
				st.prob.add(&st.prob.corrupt, pp+": too many objects")
				continue
			}
			gid += int64(p.n)
			st.packs = append(st.packs, p)
			st.disk += p.end
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if len(e.Name()) != 2 || !isHex(e.Name()) || !e.IsDir() {
				continue
			}
			files, _ := os.ReadDir(filepath.Join(dir, e.Name()))
			for _, f := range files {
				name := e.Name() + f.Name()
				if len(name) != 2*hashLen || !isHex(name) || !f.Type().IsRegular() {
					continue
				}
				if len(looseList) >= gitMaxLoose {
					st.prob.add(&st.prob.corrupt, fmt.Sprintf("more than %d loose objects: the rest not read", gitMaxLoose))
					break
				}
				oid, _ := hex.DecodeString(name)
				looseList = append(looseList, loose{oid, uint16(di)})
			}
		}
	}
	slices.SortFunc(looseList, func(a, b loose) int { return bytes.Compare(a.oid, b.oid) })
	looseList = slices.CompactFunc(looseList, func(a, b loose) bool { return bytes.Equal(a.oid, b.oid) })
	st.looseBase = int32(gid)
	st.looseOids = make([]byte, 0, len(looseList)*hashLen)
	for _, l := range looseList {
		st.looseOids = append(st.looseOids, l.oid...)
		st.looseDir = append(st.looseDir, l.dir)
	}
	st.looseKind = make([]uint8, len(looseList))
	st.looseSize = make([]uint32, len(looseList))
	st.total = st.looseBase + int32(len(looseList))
	// loose objects' types, from their headers
	var z io.ReadCloser
	hdr := make([]byte, 64)
	for i := range looseList {
		if i%256 == 0 && stop.Load() {
			return st, errStopped
		}
		k, size, err := st.looseHeader(i, &z, hdr)
		if err != nil {
			st.looseKind[i] = objBad
			st.prob.count(err, "loose object "+st.oidHex(st.looseBase+int32(i)))
			continue
		}
		st.looseKind[i], st.looseSize[i] = k, size
	}
	// packs: object headers, then delta types resolved
	for _, p := range st.packs {
		if stop.Load() {
			return st, errStopped
		}
		st.readHeaders(p)
	}
	for _, p := range st.packs {
		st.resolveKinds(p)
	}
	return st, nil
}

func (st *gitStore) addAlternates(dir string, depth int) {
	if depth > 4 {
		return
	}
	b, err := readSmall(filepath.Join(dir, "info", "alternates"), 64<<10)
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !filepath.IsAbs(line) {
			line = filepath.Join(dir, line)
		}
		line = filepath.Clean(line)
		if slices.Contains(st.dirs, line) {
			continue
		}
		if len(st.dirs) > gitMaxAlternates {
			st.prob.add(&st.prob.missing, "more than 16 alternate object folders: the rest not read")
			return
		}
		if fi, err := os.Stat(line); err != nil || !fi.IsDir() {
			st.prob.add(&st.prob.missing, "alternate object folder "+line+" not readable")
			continue
		}
		st.dirs = append(st.dirs, line)
		st.addAlternates(line, depth+1)
	}
}

// openRegular opens p for reading if it is a regular file (a symbolic
// link, a FIFO or a device is refused without blocking on it).
func openRegular(p string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|openNoFollow|openNonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errSpecial
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// readSmall reads a small regular file, at most max bytes.
func readSmall(p string, max int64) ([]byte, error) {
	f, _, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max))
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// openPack reads a pack's index (the .idx next to it) and sorts its objects
// by offset.
func openPack(path string, hashLen int, base int32, stop *stopFlag) (*gitPack, error) {
	idxPath := strings.TrimSuffix(path, ".pack") + ".idx"
	f, fi, err := openRegular(path)
	if errors.Is(err, errSpecial) {
		return nil, errors.New("not a regular file")
	}
	if err != nil {
		return nil, err
	}
	var head [12]byte
	if _, err := f.ReadAt(head[:], 0); err != nil || string(head[:4]) != "PACK" {
		f.Close()
		return nil, errors.New("not a pack file (bad header)")
	}
	if v := binary.BigEndian.Uint32(head[4:]); v != 2 && v != 3 {
		f.Close()
		return nil, fmt.Errorf("pack version %d not supported", v)
	}
	p := &gitPack{path: path, f: f, base: base, end: fi.Size() - int64(hashLen)}
	if p.end < 12 {
		f.Close()
		return nil, errors.New("pack file truncated")
	}
	idx, err := readIdx(idxPath, hashLen, stop)
	if err == errStopped {
		f.Close()
		return nil, err
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("no usable index (%s): %v", filepath.Base(idxPath), reason(err))
	}
	if err := p.parseIdx(idx, hashLen); err != nil {
		f.Close()
		return nil, fmt.Errorf("index %s: %v", filepath.Base(idxPath), err)
	}
	if n := binary.BigEndian.Uint32(head[8:]); int(n) != p.n {
		f.Close()
		return nil, fmt.Errorf("the pack holds %d objects, its index %d", n, p.n)
	}
	return p, nil
}

// gitMaxPackObjects caps the objects of one pack (an index of 2^25
// objects is over a GiB; the scan keeps tens of bytes for each).
const gitMaxPackObjects = 1 << 25

// readIdx reads a pack index whose size is that of an index of the object
// count its fan-out table claims (as git checks it), in chunks, checking
// that the object ids are sorted as they come: an index padded with a
// hole, or one that claims millions of objects it does not hold, is
// refused by its size or at its first chunk, never read into memory whole.
func readIdx(p string, hashLen int, stop *stopFlag) ([]byte, error) {
	f, fi, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := fi.Size()
	head := make([]byte, min(size, 8+1024))
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), head); err != nil {
		return nil, err
	}
	v2 := len(head) >= 8 && string(head[:4]) == "\xfftOc"
	// where the fan-out table and the first object id are, and the step
	// between ids: v2 lists the ids one after another, v1 (offset, id)
	// entries
	fan, first, ent := 0, int64(1024+4), 4+hashLen
	if v2 {
		fan, first, ent = 8, 8+1024, hashLen
	}
	if len(head) < fan+1024 {
		return nil, errors.New("truncated")
	}
	n := int64(binary.BigEndian.Uint32(head[fan+1020:]))
	var lo, hi int64
	if v2 {
		lo = 8 + 1024 + n*int64(hashLen+8) + 2*int64(hashLen)
		hi = lo + 8*max(n-1, 0)
	} else {
		lo = 1024 + n*int64(4+hashLen) + 2*int64(hashLen)
		hi = lo
	}
	if size < lo || size > hi {
		return nil, fmt.Errorf("%s, not the size of an index of the %d objects it lists", humanBytes(size), n)
	}
	if n > gitMaxPackObjects {
		return nil, fmt.Errorf("%d objects in one pack, more than %d", n, gitMaxPackObjects)
	}
	b := make([]byte, 0, min(size, 1<<20))
	b = append(b, head...)
	checked := int64(0) // object ids checked to be in order
	for int64(len(b)) < size {
		if stop.Load() {
			return nil, errStopped
		}
		k := min(size-int64(len(b)), 1<<20)
		at := len(b)
		b = append(b, make([]byte, k)...)
		if _, err := f.ReadAt(b[at:], int64(at)); err != nil {
			return nil, err
		}
		for ; checked+1 < n && first+(checked+1)*int64(ent)+int64(hashLen) <= int64(len(b)); checked++ {
			a := first + checked*int64(ent)
			c := a + int64(ent)
			if bytes.Compare(b[a:a+int64(hashLen)], b[c:c+int64(hashLen)]) >= 0 {
				return nil, errors.New("object ids not sorted")
			}
		}
	}
	return b, nil
}

func (p *gitPack) parseIdx(b []byte, hashLen int) error {
	v2 := len(b) >= 8 && string(b[:4]) == "\xfftOc"
	var fan []byte
	if v2 {
		if binary.BigEndian.Uint32(b[4:]) != 2 {
			return errors.New("index version not supported")
		}
		fan = b[8:]
	} else {
		fan = b
	}
	if len(fan) < 1024 {
		return errors.New("truncated")
	}
	prev := uint32(0)
	for i := range 256 {
		p.fanout[i] = binary.BigEndian.Uint32(fan[i*4:])
		if p.fanout[i] < prev {
			return errors.New("fan-out table not sorted")
		}
		prev = p.fanout[i]
	}
	n := int(p.fanout[255])
	rest := fan[1024:]
	// the count is checked against the file before anything is allocated
	// for it (a hostile index claims 4 billion objects)
	if v2 && n > len(rest)/(hashLen+8) || !v2 && n > len(rest)/(4+hashLen) {
		return errors.New("truncated (object count larger than the file)")
	}
	offs := make([]int64, n)
	if v2 {
		// oids, crc32s, 4-byte offsets, 8-byte offsets
		p.oids = rest[:n*hashLen]
		o4 := rest[n*hashLen+n*4 : n*hashLen+n*8]
		o8 := rest[n*hashLen+n*8:]
		for i := range n {
			v := binary.BigEndian.Uint32(o4[i*4:])
			if v&0x80000000 == 0 {
				offs[i] = int64(v)
				continue
			}
			k := int(v & 0x7fffffff)
			if k >= len(o8)/8 {
				return errors.New("large-offset entry out of range")
			}
			offs[i] = int64(binary.BigEndian.Uint64(o8[k*8:]))
		}
	} else {
		ent := 4 + hashLen
		p.oids = make([]byte, n*hashLen)
		for i := range n {
			offs[i] = int64(binary.BigEndian.Uint32(rest[i*ent:]))
			copy(p.oids[i*hashLen:], rest[i*ent+4:i*ent+ent])
		}
	}
	// a copy, so the rest of the index file can be freed
	p.oids = bytes.Clone(p.oids)
	for i := 1; i < n; i++ {
		if bytes.Compare(p.oids[(i-1)*hashLen:i*hashLen], p.oids[i*hashLen:(i+1)*hashLen]) >= 0 {
			return errors.New("object ids not sorted")
		}
	}
	p.n = n
	p.r2i = make([]int32, n)
	for i := range p.r2i {
		p.r2i[i] = int32(i)
	}
	slices.SortFunc(p.r2i, func(a, b int32) int {
		switch {
		case offs[a] < offs[b]:
			return -1
		case offs[a] > offs[b]:
			return 1
		}
		return 0
	})
	p.i2r = make([]int32, n)
	p.offs = make([]int64, n)
	for r, i := range p.r2i {
		p.i2r[i] = int32(r)
		p.offs[r] = offs[i]
		if offs[i] < 12 || offs[i] >= p.end || (r > 0 && p.offs[r-1] == offs[i]) {
			return errors.New("object offset out of range")
		}
	}
	return nil
}

// nextOff is where object r's data ends: the next object or the checksum.
func (p *gitPack) nextOff(r int) int64 {
	if r+1 < p.n {
		return p.offs[r+1]
	}
	return p.end
}

// window serves reads of a file through one buffer, refilled at the
// offset asked for when it is not inside.
type window struct {
	f   *os.File
	buf []byte
	off int64 // file offset of buf[0]
	n   int
}

func newWindow(size int) *window { return &window{buf: make([]byte, size), off: -1} }

// at returns up to want bytes at off (fewer at the end of the file).
func (w *window) at(f *os.File, off int64, want int) ([]byte, error) {
	if want > len(w.buf) {
		want = len(w.buf)
	}
	if f != w.f || off < w.off || off+int64(want) > w.off+int64(w.n) {
		w.f = f
		n, err := f.ReadAt(w.buf, off)
		if n == 0 && err != nil {
			w.off, w.n = -1, 0
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		w.off, w.n = off, n
	}
	s := int(off - w.off)
	return w.buf[s:min(w.n, s+want)], nil
}

// readHeaders reads every object header of p, in offset order.
func (st *gitStore) readHeaders(p *gitPack) {
	p.typ = make([]uint8, p.n)
	p.kind = make([]uint8, p.n)
	p.hdr = make([]uint8, p.n)
	p.size = make([]uint32, p.n)
	p.bgid = make([]int32, p.n)
	w := newWindow(256 << 10)
	for r := 0; r < p.n; r++ {
		p.bgid[r] = -1
		off := p.offs[r]
		lim := p.nextOff(r) - off
		b, err := w.at(p.f, off, int(min(lim, 64)))
		if err != nil {
			p.typ[r] = objBad
			st.prob.add(&st.prob.corrupt, fmt.Sprintf("%s: object at %d: %v", filepath.Base(p.path), off, err))
			continue
		}
		typ, size, base, hl, err := st.parseHeader(p, r, b)
		if err != nil {
			p.typ[r] = objBad
			st.prob.add(&st.prob.corrupt, fmt.Sprintf("%s: object %s at %d: %v", filepath.Base(p.path), st.oidHex(p.base+int32(r)), off, err))
			continue
		}
		p.typ[r], p.hdr[r], p.bgid[r] = typ, uint8(hl), base
		p.size[r] = uint32(min(size, 1<<32-1))
	}
}

// parseHeader decodes the header of object r from b (its first bytes).
func (st *gitStore) parseHeader(p *gitPack, r int, b []byte) (typ uint8, size uint64, base int32, hl int, err error) {
	base = -1
	if len(b) == 0 {
		return 0, 0, -1, 0, errGitCorrupt
	}
	c := b[0]
	typ = (c >> 4) & 7
	size = uint64(c & 15)
	shift := uint(4)
	i := 1
	for c&0x80 != 0 {
		if i >= len(b) || shift > 60 {
			return 0, 0, -1, 0, errors.New("bad size in header")
		}
		c = b[i]
		i++
		size |= uint64(c&0x7f) << shift
		shift += 7
	}
	switch typ {
	case objCommit, objTree, objBlob, objTag:
	case objOfsDelta:
		if i >= len(b) {
			return 0, 0, -1, 0, errors.New("truncated delta header")
		}
		c = b[i]
		i++
		ofs := uint64(c & 0x7f)
		for c&0x80 != 0 {
			if i >= len(b) || ofs > 1<<55 {
				return 0, 0, -1, 0, errors.New("bad delta offset")
			}
			c = b[i]
			i++
			ofs = ((ofs + 1) << 7) | uint64(c&0x7f)
		}
		bo := p.offs[r] - int64(ofs)
		if ofs == 0 || bo < 12 || ofs > uint64(p.offs[r]) {
			return 0, 0, -1, 0, errors.New("delta base offset out of range")
		}
		br, ok := slices.BinarySearch(p.offs, bo)
		if !ok {
			return 0, 0, -1, 0, errors.New("delta base is not an object of the pack")
		}
		base = p.base + int32(br)
	case objRefDelta:
		if i+st.hashLen > len(b) {
			return 0, 0, -1, 0, errors.New("truncated delta header")
		}
		oid := b[i : i+st.hashLen]
		i += st.hashLen
		base = st.lookup(oid)
		if base < 0 {
			st.prob.add(&st.prob.missing, fmt.Sprintf("%s: object %s: delta base %x missing", filepath.Base(p.path), st.oidHex(p.base+int32(r)), oid))
			return objBad, size, -1, i, nil
		}
	default:
		return 0, 0, -1, 0, fmt.Errorf("unknown object type %d", typ)
	}
	if int64(i) >= p.nextOff(r)-p.offs[r] {
		return 0, 0, -1, 0, errors.New("header runs into the next object")
	}
	return typ, size, base, i, nil
}

// resolveKinds sets each object's type, following delta chains to their
// base (a chain that loops or is too deep, or ends at a bad object, is bad).
func (st *gitStore) resolveKinds(p *gitPack) {
	var chain []int32
	for r := 0; r < p.n; r++ {
		if p.kind[r] != 0 {
			continue
		}
		chain = chain[:0]
		g := p.base + int32(r)
		var k uint8
		for {
			pk, rk := st.pack(g)
			if pk == nil {
				if g >= st.looseBase && g < st.total {
					k = st.looseKind[g-st.looseBase]
					if k > objTag {
						k = objBad
					}
				} else {
					k = objBad
				}
				break
			}
			if pk.kind != nil && pk.kind[rk] != 0 {
				k = pk.kind[rk]
				break
			}
			t := pk.typ
			if t == nil { // a pack whose headers were not read
				k = objBad
				break
			}
			if t[rk] >= objCommit && t[rk] <= objTag {
				k = t[rk]
				break
			}
			if t[rk] == objBad || pk.bgid[rk] < 0 {
				k = objBad
				break
			}
			chain = append(chain, g)
			if len(chain) > gitMaxDeltaDepth {
				k = objBad
				st.prob.add(&st.prob.loops, fmt.Sprintf("%s: object %s: %v", filepath.Base(p.path), st.oidHex(p.base+int32(r)), errGitLoop))
				break
			}
			g = pk.bgid[rk]
		}
		for _, c := range chain {
			if pk, rk := st.pack(c); pk != nil && pk.kind != nil {
				pk.kind[rk] = k
			}
		}
		if p.kind[r] == 0 {
			p.kind[r] = k
		}
	}
}

// pack returns the pack and rank of gid (nil for a loose object).
func (st *gitStore) pack(gid int32) (*gitPack, int) {
	if gid < 0 || gid >= st.looseBase {
		return nil, 0
	}
	i := sort.Search(len(st.packs), func(i int) bool { return st.packs[i].base > gid }) - 1
	if i < 0 {
		return nil, 0
	}
	p := st.packs[i]
	return p, int(gid - p.base)
}

// dup reports whether gid is a second copy of an object (in another pack,
// or loose as well as packed): only the copy lookup finds is read.
func (st *gitStore) dup(gid int32) bool {
	if len(st.packs) <= 1 && len(st.looseKind) == 0 {
		return false
	}
	return st.lookup(st.oid(gid)) != gid
}

// kindOf is gid's type (objBad when unreadable).
func (st *gitStore) kindOf(gid int32) uint8 {
	if p, r := st.pack(gid); p != nil {
		return p.kind[r]
	}
	if gid >= st.looseBase && gid < st.total {
		return st.looseKind[gid-st.looseBase]
	}
	return objBad
}

// lookup finds an object by id: its gid, or -1.
func (st *gitStore) lookup(oid []byte) int32 {
	if len(oid) != st.hashLen {
		return -1
	}
	for _, p := range st.packs {
		lo, hi := 0, int(p.fanout[oid[0]])
		if oid[0] > 0 {
			lo = int(p.fanout[oid[0]-1])
		}
		hl := st.hashLen
		i := lo + sort.Search(hi-lo, func(i int) bool { return bytes.Compare(p.oids[(lo+i)*hl:(lo+i+1)*hl], oid) >= 0 })
		if i < hi && bytes.Equal(p.oids[i*hl:(i+1)*hl], oid) {
			return p.base + p.i2r[i]
		}
	}
	n := len(st.looseKind)
	hl := st.hashLen
	i := sort.Search(n, func(i int) bool { return bytes.Compare(st.looseOids[i*hl:(i+1)*hl], oid) >= 0 })
	if i < n && bytes.Equal(st.looseOids[i*hl:(i+1)*hl], oid) {
		return st.looseBase + int32(i)
	}
	return -1
}

// lookupHex is lookup of a hex id.
func (st *gitStore) lookupHex(s string) int32 {
	if len(s) != 2*st.hashLen || !isHex(s) {
		return -1
	}
	var b [32]byte
	hex.Decode(b[:], []byte(s))
	return st.lookup(b[:st.hashLen])
}

// oid returns gid's object id.
func (st *gitStore) oid(gid int32) []byte {
	hl := st.hashLen
	if p, r := st.pack(gid); p != nil {
		i := int(p.r2i[r])
		return p.oids[i*hl : (i+1)*hl]
	}
	if gid >= st.looseBase && gid < st.total {
		i := int(gid - st.looseBase)
		return st.looseOids[i*hl : (i+1)*hl]
	}
	return nil
}

func (st *gitStore) oidHex(gid int32) string { return hex.EncodeToString(st.oid(gid)) }

func (st *gitStore) loosePath(i int) string {
	h := hex.EncodeToString(st.looseOids[i*st.hashLen : (i+1)*st.hashLen])
	return filepath.Join(st.dirs[st.looseDir[i]], h[:2], h[2:])
}

// looseHeader reads a loose object's type and size from its first bytes.
func (st *gitStore) looseHeader(i int, z *io.ReadCloser, hdr []byte) (uint8, uint32, error) {
	f, err := os.OpenFile(st.loosePath(i), os.O_RDONLY|openNoFollow|openNonBlock, 0)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		st.disk += fi.Size()
	}
	var head [512]byte
	n, _ := io.ReadFull(f, head[:])
	zr, err := zreader(z, bytes.NewReader(head[:n]))
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", errGitCorrupt, err)
	}
	m, _ := io.ReadFull(zr, hdr)
	k, size, _, err := parseLooseHeader(hdr[:m])
	return k, size, err
}

// parseLooseHeader parses "type size\x00" at the start of b; it returns
// the header's length.
func parseLooseHeader(b []byte) (uint8, uint32, int, error) {
	sp := bytes.IndexByte(b, ' ')
	nul := bytes.IndexByte(b, 0)
	if sp <= 0 || nul <= sp+1 {
		return 0, 0, 0, fmt.Errorf("%w: bad loose object header", errGitCorrupt)
	}
	k, ok := objTypeNames[string(b[:sp])]
	if !ok {
		return 0, 0, 0, fmt.Errorf("%w: bad loose object type", errGitCorrupt)
	}
	var size uint64
	for _, c := range b[sp+1 : nul] {
		if c < '0' || c > '9' || size > 1<<40 {
			return 0, 0, 0, fmt.Errorf("%w: bad loose object size", errGitCorrupt)
		}
		size = size*10 + uint64(c-'0')
	}
	return k, uint32(min(size, 1<<32-1)), nul + 1, nil
}

// zreader resets *z (or makes it) to inflate r.
func zreader(z *io.ReadCloser, r io.Reader) (io.ReadCloser, error) {
	if *z != nil {
		if err := (*z).(zlib.Resetter).Reset(r, nil); err != nil {
			return nil, err
		}
		return *z, nil
	}
	zr, err := zlib.NewReader(r)
	if err != nil {
		return nil, err
	}
	*z = zr
	return zr, nil
}

// ---- reading objects ----

// gitReader reads objects for one worker: its own window on the pack
// files, inflater, and a cache of resolved delta bases.
type gitReader struct {
	st    *gitStore
	win   *window
	z     io.ReadCloser
	br    *bufio.Reader
	delta []byte // scratch for delta data
	cache *objCache
	// work done resolving bases out of order, in bytes; capped so that a
	// hostile pack cannot make the scan quadratic
	work, workMax int64
	chain         []int32
}

func newGitReader(st *gitStore, cacheBytes int, workMax int64) *gitReader {
	return &gitReader{st: st, win: newWindow(1 << 20), cache: newObjCache(cacheBytes), workMax: workMax}
}

// inflateTo inflates the zlib stream at [off, end) of p into dst, which
// must be exactly the declared size: a stream that is shorter or longer,
// or fails its checksum, is corrupt.
func (rd *gitReader) inflateTo(p *gitPack, off, end int64, dst []byte) error {
	var src io.Reader
	if end-off <= int64(len(rd.win.buf)) {
		b, err := rd.win.at(p.f, off, int(end-off))
		if err != nil {
			return err
		}
		src = bytes.NewReader(b)
	} else {
		sr := io.NewSectionReader(p.f, off, end-off)
		if rd.br == nil {
			rd.br = bufio.NewReaderSize(sr, 64<<10)
		} else {
			rd.br.Reset(sr)
		}
		src = rd.br
	}
	zr, err := zreader(&rd.z, src)
	if err != nil {
		return fmt.Errorf("%w: %v", errGitCorrupt, err)
	}
	return readExact(zr, dst)
}

// readExact fills dst from zr and checks that the stream ends there (and
// its checksum is right).
func readExact(zr io.Reader, dst []byte) error {
	if _, err := io.ReadFull(zr, dst); err != nil {
		return fmt.Errorf("%w: %v", errGitCorrupt, err)
	}
	var one [1]byte
	n, err := zr.Read(one[:])
	if n > 0 {
		return fmt.Errorf("%w: longer than its declared size", errGitCorrupt)
	}
	if err != io.EOF {
		if err == nil {
			// a reader may return 0, nil once; ask again
			n, err = zr.Read(one[:])
			if n == 0 && err == io.EOF {
				return nil
			}
		}
		return fmt.Errorf("%w: %v", errGitCorrupt, err)
	}
	return nil
}

// stream returns a reader of the inflated object r of p (not a delta), for
// scanning a big blob without holding it.
func (rd *gitReader) stream(p *gitPack, r int) (io.Reader, error) {
	off := p.offs[r] + int64(p.hdr[r])
	sr := io.NewSectionReader(p.f, off, p.nextOff(r)-off)
	if rd.br == nil {
		rd.br = bufio.NewReaderSize(sr, 64<<10)
	} else {
		rd.br.Reset(sr)
	}
	return zreader(&rd.z, rd.br)
}

// readRaw returns object r of p inflated: a full object, or a delta's data
// (into rd.delta, valid until the next call).
func (rd *gitReader) readRaw(p *gitPack, r int, into []byte) ([]byte, error) {
	size := int64(p.size[r])
	if size > gitMaxInMemory {
		return nil, fmt.Errorf("%w (%s)", errGitTooBig, humanBytes(size))
	}
	var dst []byte
	if into != nil {
		dst = into[:size]
	} else {
		dst = make([]byte, size)
	}
	off := p.offs[r] + int64(p.hdr[r])
	if err := rd.inflateTo(p, off, p.nextOff(r), dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// deltaData reads the delta data of object r of p into rd.delta.
func (rd *gitReader) deltaData(p *gitPack, r int) ([]byte, error) {
	size := int(p.size[r])
	if size > gitMaxInMemory {
		return nil, fmt.Errorf("%w (delta of %s)", errGitTooBig, humanBytes(int64(size)))
	}
	if cap(rd.delta) < size {
		rd.delta = make([]byte, size, max(size, 64<<10))
	}
	return rd.readRaw(p, r, rd.delta[:size])
}

// readLoose reads loose object i whole (its type and content).
func (rd *gitReader) readLoose(i int) (uint8, []byte, error) {
	size := int64(rd.st.looseSize[i])
	if size > gitMaxInMemory {
		return 0, nil, fmt.Errorf("%w (%s)", errGitTooBig, humanBytes(size))
	}
	f, err := os.OpenFile(rd.st.loosePath(i), os.O_RDONLY|openNoFollow|openNonBlock, 0)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	if rd.br == nil {
		rd.br = bufio.NewReaderSize(f, 64<<10)
	} else {
		rd.br.Reset(f)
	}
	zr, err := zreader(&rd.z, rd.br)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", errGitCorrupt, err)
	}
	// the header, then exactly size bytes
	var hdr [64]byte
	n := 0
	for n < len(hdr) {
		if _, err := io.ReadFull(zr, hdr[n:n+1]); err != nil {
			return 0, nil, fmt.Errorf("%w: %v", errGitCorrupt, err)
		}
		n++
		if hdr[n-1] == 0 {
			break
		}
	}
	k, sz, _, err := parseLooseHeader(hdr[:n])
	if err != nil {
		return 0, nil, err
	}
	if sz > gitMaxInMemory { // it changed since it was listed
		return 0, nil, fmt.Errorf("%w (%s)", errGitTooBig, humanBytes(int64(sz)))
	}
	buf := make([]byte, sz)
	if err := readExact(zr, buf); err != nil {
		return 0, nil, err
	}
	return k, buf, nil
}

// looseStream opens loose object i for streaming (past its header).
func (rd *gitReader) looseStream(i int) (io.Reader, func(), error) {
	f, err := os.OpenFile(rd.st.loosePath(i), os.O_RDONLY|openNoFollow|openNonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	zr, err := zlib.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %v", errGitCorrupt, err)
	}
	var hdr [64]byte
	for n := 0; n < len(hdr); n++ {
		if _, err := io.ReadFull(zr, hdr[n:n+1]); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: %v", errGitCorrupt, err)
		}
		if hdr[n] == 0 {
			break
		}
	}
	return zr, func() { f.Close() }, nil
}

// read returns gid's type and content, resolving delta chains through the
// cache (random access, for bases not at hand and for trees and commits
// read out of order). The content may be shared with the cache: read only.
func (rd *gitReader) read(gid int32) (uint8, []byte, error) {
	st := rd.st
	if b, ok := rd.cache.get(gid); ok {
		return st.kindOf(gid), b, nil
	}
	p, r := st.pack(gid)
	if p == nil {
		if gid < st.looseBase || gid >= st.total {
			return 0, nil, errGitMissing
		}
		k, b, err := rd.readLoose(int(gid - st.looseBase))
		if err == nil {
			rd.cache.put(gid, b)
		}
		return k, b, err
	}
	if p.typ[r] == objBad || p.kind[r] == objBad {
		return 0, nil, errGitCorrupt
	}
	// walk down to a base at hand (cached, or not a delta)
	rd.chain = rd.chain[:0]
	var base []byte
	g := gid
	for {
		if b, ok := rd.cache.get(g); ok {
			base = b
			break
		}
		pk, rk := st.pack(g)
		if pk == nil {
			_, b, err := rd.read(g) // a loose base
			if err != nil {
				return 0, nil, err
			}
			base = b
			break
		}
		if pk.typ[rk] == objBad {
			return 0, nil, errGitCorrupt
		}
		if pk.typ[rk] != objOfsDelta && pk.typ[rk] != objRefDelta {
			b, err := rd.readRaw(pk, rk, nil)
			if err != nil {
				return 0, nil, err
			}
			rd.work += int64(len(b))
			base = b
			break
		}
		rd.chain = append(rd.chain, g)
		if len(rd.chain) > gitMaxDeltaDepth {
			return 0, nil, errGitLoop
		}
		g = pk.bgid[rk]
		if g < 0 {
			return 0, nil, errGitMissing
		}
	}
	if len(rd.chain) == 0 {
		rd.cache.put(g, base)
		return p.kind[r], base, nil
	}
	for i := len(rd.chain) - 1; i >= 0; i-- {
		if rd.workMax > 0 && rd.work > rd.workMax {
			return 0, nil, errGitWorkDone
		}
		c := rd.chain[i]
		pk, rk := st.pack(c)
		d, err := rd.deltaData(pk, rk)
		if err != nil {
			return 0, nil, err
		}
		out, err := applyDelta(base, d, nil)
		if err != nil {
			return 0, nil, err
		}
		rd.work += int64(len(out))
		base = out
		// keep every few steps of a long chain, so that reading its
		// neighbours does not start from the bottom again
		if i == 0 || i%8 == 0 {
			rd.cache.put(c, out)
		}
	}
	return p.kind[r], base, nil
}

// applyDelta applies git delta data d to base, into dst (reused when big
// enough). Every instruction is checked: a copy outside the base, a result
// of another size than declared, or a result over gitMaxInMemory is an
// error.
func applyDelta(base, d, dst []byte) ([]byte, error) {
	src, i, ok := deltaVarint(d, 0)
	if !ok || src != uint64(len(base)) {
		return nil, fmt.Errorf("%w: delta base size does not match", errGitCorrupt)
	}
	size, i, ok := deltaVarint(d, i)
	if !ok {
		return nil, fmt.Errorf("%w: bad delta header", errGitCorrupt)
	}
	if size > gitMaxInMemory {
		return nil, fmt.Errorf("%w (%s)", errGitTooBig, humanBytes(int64(size)))
	}
	if uint64(cap(dst)) < size {
		dst = make([]byte, 0, size)
	}
	out := dst[:0]
	for i < len(d) {
		op := d[i]
		i++
		switch {
		case op&0x80 != 0:
			var off, n uint64
			for k := range 4 {
				if op&(1<<k) != 0 {
					if i >= len(d) {
						return nil, fmt.Errorf("%w: truncated delta", errGitCorrupt)
					}
					off |= uint64(d[i]) << (8 * k)
					i++
				}
			}
			for k := range 3 {
				if op&(0x10<<k) != 0 {
					if i >= len(d) {
						return nil, fmt.Errorf("%w: truncated delta", errGitCorrupt)
					}
					n |= uint64(d[i]) << (8 * k)
					i++
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > uint64(len(base)) || uint64(len(out))+n > size {
				return nil, fmt.Errorf("%w: delta copies out of range", errGitCorrupt)
			}
			out = append(out, base[off:off+n]...)
		case op != 0:
			n := int(op)
			if i+n > len(d) || uint64(len(out)+n) > size {
				return nil, fmt.Errorf("%w: delta inserts out of range", errGitCorrupt)
			}
			out = append(out, d[i:i+n]...)
			i += n
		default:
			return nil, fmt.Errorf("%w: reserved delta instruction", errGitCorrupt)
		}
	}
	if uint64(len(out)) != size {
		return nil, fmt.Errorf("%w: delta result size does not match", errGitCorrupt)
	}
	return out, nil
}

func deltaVarint(d []byte, i int) (uint64, int, bool) {
	var v uint64
	shift := uint(0)
	for {
		if i >= len(d) || shift > 56 {
			return 0, i, false
		}
		c := d[i]
		i++
		v |= uint64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			return v, i, true
		}
	}
}

// ---- a small cache of resolved objects ----

// objCache keeps resolved objects up to a byte budget, the least recently
// used dropped first.
type objCache struct {
	max, used int
	m         map[int32]*cacheEnt
	head      cacheEnt // sentinel of a circular list, most recent first
}

type cacheEnt struct {
	gid        int32
	b          []byte
	prev, next *cacheEnt
}

func newObjCache(max int) *objCache {
	c := &objCache{max: max, m: map[int32]*cacheEnt{}}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

func (c *objCache) get(gid int32) ([]byte, bool) {
	e, ok := c.m[gid]
	if !ok {
		return nil, false
	}
	c.unlink(e)
	c.pushFront(e)
	return e.b, true
}

func (c *objCache) put(gid int32, b []byte) {
	if len(b) > c.max/4 {
		return
	}
	if e, ok := c.m[gid]; ok {
		c.unlink(e)
		c.used -= len(e.b)
		e.b = b
		c.used += len(b)
		c.pushFront(e)
		return
	}
	e := &cacheEnt{gid: gid, b: b}
	c.m[gid] = e
	c.pushFront(e)
	c.used += len(b)
	for c.used > c.max && c.head.prev != &c.head {
		old := c.head.prev
		c.unlink(old)
		delete(c.m, old.gid)
		c.used -= len(old.b)
	}
}

func (c *objCache) unlink(e *cacheEnt) { e.prev.next, e.next.prev = e.next, e.prev }
func (c *objCache) pushFront(e *cacheEnt) {
	e.next, e.prev = c.head.next, &c.head
	c.head.next.prev = e
	c.head.next = e
}
