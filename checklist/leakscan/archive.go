package leakscan

// Archives and compressed files (issue 16, item 2), read when
// Options.Archives is set: zip, tar, gzip (.gz, .tgz, .tar.gz), bzip2 and
// zstd, nested to maxArchiveDepth containers, each member streamed through
// the same chunk scanner as a file (scanChunk), so that a finding names its
// member: File "backup.zip", Member "site/wp-config.php", shown as
// "backup.zip!/site/wp-config.php:12". A rotated access.log.2.gz feeds the
// log forensics like access.log does.
//
// Nothing is extracted to disk and nothing is held whole in memory: every
// format is read as a stream (zip too, by its local headers: archive.zip
// needs random access and reads the whole central directory into memory,
// which a zip of millions of empty entries turns into gigabytes). Per
// archive on disk (all nesting levels together) at most maxArchiveBytes
// are expanded and maxArchiveEntries members opened; a member that
// expands more than bombRatio times its compressed size (declared or
// measured, past bombMinBytes) is a decompression bomb: reported
// (ArchiveStats.Bombs, an Exposure), not expanded further. Archives nested
// deeper than maxArchiveDepth, archives cut at a cap, and archives that
// turned out corrupt or truncated make the report incomplete.
//
// xz and 7z/rar are not read (ArchiveStats.Unsupported): the maintained
// pure-Go xz decoder (ulikunitz/xz) allocates the dictionary each block
// declares, up to 4 GiB, with no way to cap it, so a 100-byte file could
// claim gigabytes.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"compress/bzip2"
)

// Limits on what one archive on disk may cost (package variables so that
// tests can lower them).
var (
	// maxArchiveDepth is how many containers (zip, tar) deep a member is
	// read: backup.tar.gz → image.tar → layer.tar.gz → file is three. A
	// compression wrapper around a tar (tar.gz) is one level with it.
	maxArchiveDepth = 4
	// maxArchiveBytes caps the bytes expanded from one archive on disk,
	// all nesting levels together.
	maxArchiveBytes int64 = 4 << 30
	// maxArchiveEntries caps the members opened in one archive on disk.
	maxArchiveEntries int64 = 100_000
	// bombRatio and bombMinBytes: a member that expands to more than
	// bombMinBytes at more than bombRatio times its compressed size is a
	// decompression bomb (deflate's own limit is about 1,032:1; real logs
	// and backups stay under 100:1).
	bombRatio    int64 = 500
	bombMinBytes int64 = 32 << 20
	// maxConfigJSON is the most read of an image config or other JSON blob.
	maxConfigJSON int64 = 8 << 20
)

// ArchiveStats is what the scan read inside archives and compressed files
// (Report.Archives; nil when Options.Archives is off).
type ArchiveStats struct {
	// Read counts the archives and compressed files on disk opened.
	Read int64 `json:"read"`
	// Members counts the members read as text, Bytes their expanded bytes.
	Members int64 `json:"members"`
	Bytes   int64 `json:"bytes"`
	// Skipped counts members not read: media, fonts, executables.
	Skipped int64 `json:"members_skipped"`
	// Images counts container images (docker save tarballs, OCI layouts),
	// Layers their layers.
	Images int64 `json:"images,omitempty"`
	Layers int64 `json:"layers,omitempty"`
	// What was left out, each with the first archive (and member) it
	// happened in: decompression bombs (not expanded), archives cut at the
	// caps (expanded bytes, entries, the per-file cap of a member),
	// archives nested too deep, archives corrupt or truncated, encrypted
	// members, formats not read (xz, 7z, rar …).
	Bombs            int64  `json:"bombs,omitempty"`
	BombFirst        string `json:"bomb_first,omitempty"`
	Capped           int64  `json:"capped,omitempty"`
	CappedFirst      string `json:"capped_first,omitempty"`
	TooDeep          int64  `json:"too_deep,omitempty"`
	TooDeepFirst     string `json:"too_deep_first,omitempty"`
	Broken           int64  `json:"broken,omitempty"`
	BrokenFirst      string `json:"broken_first,omitempty"`
	Encrypted        int64  `json:"encrypted,omitempty"`
	EncryptedFirst   string `json:"encrypted_first,omitempty"`
	Unsupported      int64  `json:"unsupported,omitempty"`
	UnsupportedFirst string `json:"unsupported_first,omitempty"`
}

func (a *ArchiveStats) add(o *ArchiveStats) {
	a.Read += o.Read
	a.Members += o.Members
	a.Bytes += o.Bytes
	a.Skipped += o.Skipped
	a.Images += o.Images
	a.Layers += o.Layers
	addFirst := func(n *int64, first *string, on int64, ofirst string) {
		*n += on
		if ofirst != "" {
			firstPath(first, ofirst)
		}
	}
	addFirst(&a.Bombs, &a.BombFirst, o.Bombs, o.BombFirst)
	addFirst(&a.Capped, &a.CappedFirst, o.Capped, o.CappedFirst)
	addFirst(&a.TooDeep, &a.TooDeepFirst, o.TooDeep, o.TooDeepFirst)
	addFirst(&a.Broken, &a.BrokenFirst, o.Broken, o.BrokenFirst)
	addFirst(&a.Encrypted, &a.EncryptedFirst, o.Encrypted, o.EncryptedFirst)
	addFirst(&a.Unsupported, &a.UnsupportedFirst, o.Unsupported, o.UnsupportedFirst)
}

// incompleteReasons are the reasons archives make a report incomplete.
func (a *ArchiveStats) incompleteReasons() []string {
	if a == nil {
		return nil
	}
	var out []string
	if a.Bombs > 0 {
		out = append(out, fmt.Sprintf("%d decompression %s not expanded", a.Bombs, plural(a.Bombs, "bomb", "bombs")))
	}
	if a.Capped > 0 {
		out = append(out, fmt.Sprintf("%d %s read only up to the caps (%s expanded, %d entries per archive, a %s zstd window)", a.Capped, plural(a.Capped, "archive", "archives"), humanBytes(maxArchiveBytes), maxArchiveEntries, humanBytes(maxZstdWindow)))
	}
	if a.TooDeep > 0 {
		out = append(out, fmt.Sprintf("%d %s nested deeper than %d levels not read", a.TooDeep, plural(a.TooDeep, "archive", "archives"), maxArchiveDepth))
	}
	if a.Broken > 0 {
		out = append(out, fmt.Sprintf("%d %s corrupt or truncated, not read to the end", a.Broken, plural(a.Broken, "archive", "archives")))
	}
	return out
}

// notes are the summary lines about archives (sanitized).
func (a *ArchiveStats) notes() []string {
	if a == nil {
		return nil
	}
	var out []string
	if a.Read > 0 {
		n := fmt.Sprintf("Read inside %d %s and compressed %s: %d %s, %s expanded", a.Read, plural(a.Read, "archive", "archives"), plural(a.Read, "file", "files"), a.Members, plural(a.Members, "member", "members"), humanBytes(a.Bytes))
		if a.Skipped > 0 {
			n += fmt.Sprintf(" (%d binary %s skipped)", a.Skipped, plural(a.Skipped, "member", "members"))
		}
		if a.Images > 0 {
			n += fmt.Sprintf("; %d container %s, %d %s", a.Images, plural(a.Images, "image", "images"), a.Layers, plural(a.Layers, "layer", "layers"))
		}
		out = append(out, n)
	}
	first := func(n int64, what, f string) {
		if n == 0 {
			return
		}
		s := fmt.Sprintf("%d %s", n, what)
		if f != "" {
			s += ", first: " + san(abbrev(f))
		}
		out = append(out, s)
	}
	first(a.Bombs, "decompression "+plural(a.Bombs, "bomb", "bombs")+" reported and not expanded", a.BombFirst)
	first(a.Capped, plural(a.Capped, "archive", "archives")+" read only up to the caps", a.CappedFirst)
	first(a.TooDeep, plural(a.TooDeep, "archive", "archives")+fmt.Sprintf(" nested deeper than %d levels not read", maxArchiveDepth), a.TooDeepFirst)
	first(a.Broken, plural(a.Broken, "archive", "archives")+" corrupt or truncated (read up to the damage)", a.BrokenFirst)
	first(a.Encrypted, "encrypted archive "+plural(a.Encrypted, "member", "members")+" not read", a.EncryptedFirst)
	first(a.Unsupported, plural(a.Unsupported, "archive", "archives")+" in a format not read (xz, 7z, rar …)", a.UnsupportedFirst)
	return out
}

// Place is where a finding is, for people: the file, and the archive
// member inside it ("backup.zip!/site/wp-config.php").
func (f *Finding) Place() string {
	if f.Member != "" {
		return f.File + "!/" + f.Member
	}
	return f.File
}

// archive kinds
const (
	kindNone = iota
	kindGzip
	kindBzip2
	kindZstd
	kindZip
	kindTar
	kindUnsupported // xz, 7z, rar, lz4, zlib: not read
)

// archiveExts are the names opened when archives are read (those of
// formats not read are opened to be counted by their magic bytes).
var archiveExts = map[string]bool{".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".tbz2": true, ".tbz": true, ".zst": true, ".tzst": true, ".tar": true, ".jar": true, ".war": true,
	".xz": true, ".txz": true, ".7z": true, ".rar": true}

// archiveKind says what archive b (the first bytes of a file or member)
// is, by its magic bytes.
func archiveKind(b []byte) int {
	switch {
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		return kindGzip
	case len(b) >= 4 && string(b[:4]) == "PK\x03\x04", len(b) >= 4 && string(b[:4]) == "PK\x05\x06":
		return kindZip
	case len(b) >= 4 && string(b[:3]) == "BZh" && b[3] >= '1' && b[3] <= '9':
		return kindBzip2
	case len(b) >= 4 && string(b[:4]) == "\x28\xb5\x2f\xfd":
		return kindZstd
	case isTarHeader(b):
		return kindTar
	case len(b) >= 6 && string(b[:6]) == "\xfd7zXZ\x00", len(b) >= 6 && string(b[:6]) == "7z\xbc\xaf\x27\x1c",
		len(b) >= 6 && string(b[:6]) == "Rar!\x1a\x07", len(b) >= 4 && string(b[:4]) == "\x04\x22\x4d\x18":
		return kindUnsupported
	}
	return kindNone
}

// isTarHeader reports whether b starts with a tar header: the ustar magic,
// or (old v7 archives) a valid header checksum.
func isTarHeader(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	if string(b[257:262]) == "ustar" {
		return true
	}
	// v7: octal checksum of the header with its checksum field as spaces
	var sum int64
	for i := 0; i < 512; i++ {
		if i >= 148 && i < 156 {
			sum += ' '
			continue
		}
		sum += int64(b[i])
	}
	f := bytes.TrimRight(bytes.TrimLeft(b[148:156], " \x00"), " \x00")
	if len(f) == 0 || b[0] == 0 {
		return false
	}
	var v int64
	for _, c := range f {
		if c < '0' || c > '7' {
			return false
		}
		v = v*8 + int64(c-'0')
	}
	return v == sum
}

var (
	errArchiveCap = errors.New("over the archive caps")
	errBomb       = errors.New("a decompression bomb")
)

// archState is a worker's state for archives: its buffers, decoders kept
// for reuse, and what it counted.
type archState struct {
	stats    ArchiveStats
	mbuf     []byte // a member's text, as buf is a file's
	levels   []*archLevel
	top      int // levels in use
	zstd     *zstd.Decoder
	zstdBusy bool
}

// archLevel is what one open archive or member being sniffed uses, kept
// for reuse: a stack, one level per archive or member open at once.
type archLevel struct {
	sniff []byte
	br    *bufio.Reader
	gz    *gzip.Reader
	fl    io.ReadCloser
}

func (a *archState) push() *archLevel {
	if a.top == len(a.levels) {
		a.levels = append(a.levels, &archLevel{})
	}
	a.top++
	return a.levels[a.top-1]
}

func (a *archState) pop() { a.top-- }

// bufio is the level's read buffer, reset onto r.
func (l *archLevel) bufio(r io.Reader) *bufio.Reader {
	if l.br == nil {
		l.br = bufio.NewReaderSize(r, 64<<10)
	} else {
		l.br.Reset(r)
	}
	return l.br
}

// flate is the level's deflate decoder, reset onto r (a *bufio.Reader:
// the decoder's fast path, and it reads exactly to the end of its stream).
func (l *archLevel) flate(r *bufio.Reader) io.ReadCloser {
	if l.fl != nil && l.fl.(flate.Resetter).Reset(r, nil) == nil {
		return l.fl
	}
	l.fl = flate.NewReader(r)
	return l.fl
}

// archJob is one archive on disk being read.
type archJob struct {
	path          string // the file on disk
	inWeb, logDir bool
	entries       int64
	expanded      int64
	layer         string // the image layer being read ("" outside images)
	stop          error  // a cap ended the whole archive
	// each is counted once per archive on disk
	bomb, capped, tooDeep, broken, encrypted bool

	res fileResult // what the members yielded
}

func (s *fileScanner) archState() *archState {
	if s.arch == nil {
		s.arch = &archState{mbuf: make([]byte, chunkSize+overlap)}
	}
	return s.arch
}

// archiveFirst is called with the first chunk of a file when archives are
// read. When the file's first bytes say it is an archive or compressed
// file (or it is the config blob of an OCI image layout), it reads it as
// one and returns ok; the file's result names each member.
func (s *fileScanner) archiveFirst(r *reader, raw []byte, final bool, path string, inWeb, logDir bool) (fileResult, error, bool) {
	kind := archiveKind(raw)
	layer := blobLayer(path)
	if kind == kindNone && !(layer != "" && looksJSON(raw)) {
		return fileResult{}, nil, false
	}
	a := s.archState()
	if kind == kindUnsupported {
		a.stats.Unsupported++
		firstPath(&a.stats.UnsupportedFirst, path)
		return fileResult{skip: skipBinary, bytes: r.read}, nil, true
	}
	a.stats.Read++
	job := &archJob{path: path, inWeb: inWeb, logDir: logDir, layer: layer}
	src := &fileStream{r: r, buf: s.buf, n: len(raw), final: final}
	var err error
	if kind == kindNone {
		// the config blob of an OCI image layout
		err = s.imageConfig(job, src, "")
	} else {
		if layer != "" {
			a.stats.Layers++
		}
		err = s.openArchive(job, kind, src, "", 1, "")
	}
	switch {
	case err == errStopped || s.stop.Load():
		out := job.res
		out.bytes = r.read
		return out, errStopped, true
	case errors.Is(err, errBomb): // (not met below: cannot happen)
		s.bombAt(job, "")
	case errors.Is(err, errArchiveCap), overZstdWindow(err):
		s.markCapped(job, "")
	case err != nil && !r.capped:
		s.markBroken(job, "")
	}
	out := job.res
	if len(out.also) > MaxFindingsPerFile {
		out.notListed += int64(len(out.also) - MaxFindingsPerFile)
		out.also = out.also[:MaxFindingsPerFile]
	}
	out.bytes, out.capped = r.read, r.capped
	return out, nil, true
}

// strippedName is the name of the file a single-file compressed file
// holds: access.log.2.gz → access.log.2, site.tgz → site.tar.
func strippedName(p string) string {
	b := path.Base(p)
	lb := strings.ToLower(b)
	for _, sfx := range []string{".tgz", ".tbz2", ".tbz", ".tzst"} {
		if strings.HasSuffix(lb, sfx) {
			return b[:len(b)-len(sfx)] + ".tar"
		}
	}
	for _, sfx := range []string{".gz", ".bz2", ".zst", ".z"} {
		if strings.HasSuffix(lb, sfx) && len(b) > len(sfx) {
			return b[:len(b)-len(sfx)]
		}
	}
	return b
}

// fileStream reads the file being scanned as a stream: the chunk already
// read (buf[pos:n]), then more of the file into buf (the per-file cap and
// the stop flag apply, as to any file).
type fileStream struct {
	r      *reader
	buf    []byte
	pos, n int
	final  bool
	err    error
}

func (f *fileStream) refill() bool {
	if f.final || f.err != nil {
		return false
	}
	n, final, err := f.r.fill(f.buf)
	f.pos, f.n, f.final, f.err = 0, n, final, err
	return n > 0
}

func (f *fileStream) Read(p []byte) (int, error) {
	if f.pos >= f.n && !f.refill() {
		if f.err != nil {
			return 0, f.err
		}
		return 0, io.EOF
	}
	k := copy(p, f.buf[f.pos:f.n])
	f.pos += k
	return k, nil
}

func (f *fileStream) ReadByte() (byte, error) {
	if f.pos >= f.n && !f.refill() {
		if f.err != nil {
			return 0, f.err
		}
		return 0, io.EOF
	}
	c := f.buf[f.pos]
	f.pos++
	return c, nil
}

// countIn counts the bytes read from r.
type countIn struct {
	r io.Reader
	n int64
}

func (c *countIn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// expander counts what a decoder expands to, against the archive's caps
// and the bomb ratio (in: the compressed bytes it read); it also stops
// when the scan does.
type expander struct {
	r    io.Reader
	job  *archJob
	in   func() int64
	out  int64
	stop *stopFlag
}

func (e *expander) Read(p []byte) (int, error) {
	if e.stop.Load() {
		return 0, errStopped
	}
	n, err := e.r.Read(p)
	e.out += int64(n)
	e.job.expanded += int64(n)
	if e.job.expanded > maxArchiveBytes {
		e.job.stop = errArchiveCap
		return n, errArchiveCap
	}
	// once an archive has shown a bomb, every member of it is held to
	// the ratio early
	minOut := bombMinBytes
	if e.job.bomb {
		minOut = min(minOut, 64<<10)
	}
	if e.out > minOut && e.out > bombRatio*max(e.in(), 1) {
		return n, &bombError{at: e}
	}
	return n, err
}

// bombError is a decompression bomb met by the expander at: the code that
// made that expander reports it (a bomb further up is passed on).
type bombError struct{ at *expander }

func (b *bombError) Error() string   { return errBomb.Error() }
func (b *bombError) Is(t error) bool { return t == errBomb }

// bombOf reports whether err is a bomb met by the expander ex.
func bombOf(err error, ex io.Reader) bool {
	var b *bombError
	return errors.As(err, &b) && io.Reader(b.at) == ex
}

// openArchive reads src, an archive or compressed stream of kind, at depth
// (1: the file on disk). self is its member path in the file on disk (""
// for the file itself), chain the prefix of its members' paths ("" or
// self + "!/").
func (s *fileScanner) openArchive(job *archJob, kind int, src io.Reader, self string, depth int, chain string) error {
	switch kind {
	case kindTar:
		return s.readTar(job, src, depth, chain)
	case kindZip:
		return s.readZip(job, src, depth, chain)
	case kindGzip, kindBzip2, kindZstd:
	default:
		return nil
	}
	a := s.arch
	lv := a.push()
	defer a.pop()
	cnt := &countIn{r: src}
	in := lv.bufio(cnt)
	var dec io.Reader
	switch kind {
	case kindGzip:
		if lv.gz == nil {
			zr, err := gzip.NewReader(in)
			if err != nil {
				return err
			}
			lv.gz = zr
		} else if err := lv.gz.Reset(in); err != nil {
			return err
		}
		dec = lv.gz
	case kindBzip2:
		dec = bzip2.NewReader(in)
	case kindZstd:
		opts := zstdOptions()
		if a.zstdBusy {
			// the worker's decoder is in use further up: one of its own
			d, err := zstd.NewReader(in, opts...)
			if err != nil {
				return err
			}
			defer d.Close()
			dec = d
			break
		}
		if a.zstd == nil {
			d, err := zstd.NewReader(nil, opts...)
			if err != nil {
				return err
			}
			a.zstd = d
		}
		if err := a.zstd.Reset(in); err != nil {
			return err
		}
		a.zstdBusy = true
		defer func() { a.zstdBusy = false; a.zstd.Reset(nil) }()
		dec = a.zstd
	}
	ex := &expander{r: dec, job: job, in: func() int64 { return cnt.n - int64(in.Buffered()) }, stop: s.stop}
	name := strippedName(self)
	if self == "" {
		name = strippedName(job.path)
	}
	// what the stream holds: a tar (one level with it: tar.gz), or one
	// member
	err := s.member(job, ex, name, depth, chain, true)
	if bombOf(err, ex) {
		s.bombAt(job, self)
		return nil
	}
	return err
}

// member reads one member of an archive: r is its content, name its path
// in the archive, depth the depth of the archive holding it, chain the
// prefix of that archive's members' paths. wrapper is set when the archive
// is a single compressed stream (a tar it holds is read at the same depth).
func (s *fileScanner) member(job *archJob, r io.Reader, name string, depth int, chain string, wrapper bool) error {
	a := s.arch
	if job.stop != nil {
		return job.stop
	}
	if s.stop.Load() {
		return errStopped
	}
	lname := strings.ToLower(path.Base(name))
	if ext := path.Ext(lname); skipExt[ext] && !archiveExts[ext] && !wrapper {
		a.stats.Skipped++
		return nil
	}
	lv := a.push()
	defer a.pop()
	if lv.sniff == nil {
		lv.sniff = make([]byte, sniffBytes)
	}
	sniff := lv.sniff
	n, err := io.ReadFull(r, sniff)
	eof := false
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		eof = true
	case err != nil:
		return err
	}
	sniff = sniff[:n]
	where := chain + name
	k := archiveKind(sniff)
	switch {
	case k == kindUnsupported:
		a.stats.Unsupported++
		firstPath(&a.stats.UnsupportedFirst, job.path+"!/"+where)
		return nil
	case k != kindNone:
		next, self, nchain := depth+1, where, where+"!/"
		if wrapper && k == kindTar {
			// tar.gz: the tar is the compressed file's content
			next, self, nchain = depth, strings.TrimSuffix(chain, "!/"), chain
		}
		if next > maxArchiveDepth {
			if !job.tooDeep {
				job.tooDeep = true
				a.stats.TooDeep++
				firstPath(&a.stats.TooDeepFirst, job.path+"!/"+where)
			}
			return nil
		}
		saved := job.layer
		if l := memberLayer(name); l != "" {
			job.layer = l
			a.stats.Layers++
		}
		err := s.openArchive(job, k, io.MultiReader(bytes.NewReader(sniff), r), self, next, nchain)
		job.layer = saved
		switch {
		case err == nil, err == errStopped, errors.Is(err, errArchiveCap), errors.Is(err, errBomb):
			// (a bomb further up: the code that met it reports it)
			return err
		}
		if overZstdWindow(err) {
			s.markCapped(job, "!/"+where)
			return nil
		}
		// this nested archive is damaged: its parent goes on
		s.markBroken(job, "!/"+where)
		return nil
	case isImageConfigName(name) || (memberLayer(name) != "" && looksJSON(sniff)):
		return s.imageConfig(job, io.MultiReader(bytes.NewReader(sniff), r), where)
	}
	return s.scanText(job, where, sniff, r, eof)
}

// bombAt reports a decompression bomb found at member where ("" for the
// file itself).
func (s *fileScanner) bombAt(job *archJob, where string) {
	a := s.arch
	p := job.path
	if where != "" {
		p += "!/" + where
	}
	if !job.bomb {
		job.bomb = true
		a.stats.Bombs++
		firstPath(&a.stats.BombFirst, p)
	}
	if n := len(job.res.exposures); n < maxProbesPerFile && (n == 0 || job.res.exposures[n-1].Path != p) {
		job.res.exposures = append(job.res.exposures, Exposure{Path: p, Kind: "decompression-bomb", Severity: "medium",
			Detail: fmt.Sprintf("expands to more than %d times its size (a decompression bomb: an attack on scanners, antivirus and backup tools); not expanded", bombRatio)})
	}
}

// maxZstdWindow is the largest zstd window read (zstd's levels 1 to 19
// use at most 8 MiB; --long and --ultra more): each level of nesting holds
// one window, so a hostile archive cannot make a worker hold 64 MiB a level.
const maxZstdWindow = 8 << 20

func zstdOptions() []zstd.DOption {
	return []zstd.DOption{zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderMaxMemory(64 << 20)}
}

// overZstdWindow: a zstd stream with a larger window than maxZstdWindow
// (a cap, not damage).
func overZstdWindow(err error) bool {
	return errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded)
}

// markCapped records that the archive was cut at a cap (where: "" or
// "!/member").
func (s *fileScanner) markCapped(job *archJob, where string) {
	if !job.capped {
		job.capped = true
		s.arch.stats.Capped++
		firstPath(&s.arch.stats.CappedFirst, job.path+where)
	}
}

// markBroken records that (part of) the archive is corrupt or truncated.
func (s *fileScanner) markBroken(job *archJob, where string) {
	if !job.broken {
		job.broken = true
		s.arch.stats.Broken++
		firstPath(&s.arch.stats.BrokenFirst, job.path+where)
	}
}

// entry counts one member against the entries cap.
func (job *archJob) entry() error {
	job.entries++
	if job.entries > maxArchiveEntries {
		job.stop = errArchiveCap
		return errArchiveCap
	}
	return nil
}

// scanText reads a member as a file: sniff is its first bytes (eof: all
// of it), r the rest. It mirrors scanFile's loop (and so must a change to
// it), with the member's own per-file state.
func (s *fileScanner) scanText(job *archJob, where string, sniff []byte, r io.Reader, eof bool) error {
	a := s.arch
	lname := strings.ToLower(path.Base(where))
	mode := modeText
	head := sniff[:min(len(sniff), sniffBytes)]
	if m, ok := hasBOM16(head); ok {
		mode = m
	} else if hasNUL(head) {
		var kind string
		if mode, kind = sniffBinary(head); kind != "" {
			a.stats.Skipped++
			return nil
		}
	}
	s.res = fileResult{}
	s.path, s.inWeb = job.path, job.inWeb
	s.isLog = isWebLogName(lname, job.logDir || isLogDir("/"+path.Dir(where)))
	ext := path.Ext(lname)
	s.isPHP = ext == ".php" || ext == ".phtml"
	s.isHTML = ext == ".html" || ext == ".htm"
	s.base, s.baseLine, s.seen, s.fps, s.lastProbe, s.probes, s.expKinds = 0, 0, nil, nil, -1, nil, 0
	if mode >= modeUTF16LE {
		s.dec.reset(mode)
		if s.text == nil {
			s.text = make([]byte, 0, chunkSize*3/2+overlap+8)
		}
	}
	buf := a.mbuf
	left := s.fileCap
	var read int64
	carry := 0
	pending := sniff // the sniffed bytes come first
	capped := false
	var rerr error
	for first := true; ; first = false {
		raw := buf[carry:chunkSize]
		if mode >= modeUTF16LE {
			raw = buf[:chunkSize]
		}
		raw = raw[:min(int64(len(raw)), max(left, 0))]
		n := copy(raw, pending)
		pending = pending[n:]
		final := eof && len(pending) == 0
		if !final && n < len(raw) {
			m, err := io.ReadFull(r, raw[n:])
			n += m
			switch {
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				final = true
			case err != nil:
				final, rerr = true, err
			}
		}
		read += int64(n)
		left -= int64(n)
		if left <= 0 && !final {
			final, capped = true, true
		}
		raw = raw[:n]
		b := buf[:carry+n]
		if mode >= modeUTF16LE {
			s.text = s.dec.decode(s.text[:carry], raw, final)
			b = s.text
		}
		s.n, s.final = len(b), final
		s.scanChunk(b)
		if first && final && len(s.res.findings) > 0 {
			s.res.also = alsoExposed(b, job.path, s.res.spans, job.inWeb)
		}
		if first && final && len(s.res.findings) == 0 && exposedConfig(where, lname, job.inWeb) {
			s.res.also = alsoExposed(b, job.path, nil, job.inWeb)
		}
		if final {
			break
		}
		carry = s.carry(b)
	}
	a.stats.Members++
	a.stats.Bytes += read
	if capped {
		s.markCapped(job, "!/"+where)
	}
	s.collect(job, where)
	return rerr
}

// collect moves what a member yielded (s.res) into the archive's result,
// naming the member.
func (s *fileScanner) collect(job *archJob, where string) {
	place := job.path
	if where != "" {
		place += "!/" + where
	}
	for i := range s.res.findings {
		s.res.findings[i].Member, s.res.findings[i].Layer = where, job.layer
	}
	for i := range s.res.also {
		s.res.also[i].Member, s.res.also[i].Layer = where, job.layer
	}
	for _, x := range s.res.exposures {
		x.Path = place
		job.res.exposures = append(job.res.exposures, x)
	}
	for _, t := range s.probes {
		t.File = place
		job.res.traces = append(job.res.traces, *t)
	}
	add := s.res.findings
	if room := MaxKeys - len(job.res.findings); len(add) > room {
		job.res.notListed += int64(len(add) - room)
		job.res.keysNotListed += int64(len(add) - room)
		add = add[:room]
	}
	job.res.findings = append(job.res.findings, add...)
	if room := MaxFindingsPerFile - len(job.res.also); len(s.res.also) > room {
		job.res.notListed += int64(len(s.res.also) - room)
		s.res.also = s.res.also[:room]
	}
	job.res.also = append(job.res.also, s.res.also...)
	job.res.notListed += s.res.notListed
	job.res.keysNotListed += s.res.keysNotListed
	s.res = fileResult{}
}

// looksJSON reports whether b starts (after blanks) with '{'.
func looksJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}
