package leakscan

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// cleanMember is a member's path as shown: forward slashes, no leading
// "./" or "/", at most 1 KiB (the rest of a longer name is cut).
func cleanMember(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	for strings.HasPrefix(name, "./") || strings.HasPrefix(name, "/") {
		name = strings.TrimPrefix(strings.TrimPrefix(name, "./"), "/")
	}
	if len(name) > 1024 {
		name = strings.ToValidUTF8(name[:1024], "") + "…"
	}
	if name == "" {
		name = "(unnamed)"
	}
	return name
}

// readTar reads the members of a tar stream.
func (s *fileScanner) readTar(job *archJob, src io.Reader, depth int, chain string) error {
	tr := tar.NewReader(src)
	for {
		if s.stop.Load() {
			return errStopped
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := job.entry(); err != nil {
			return err
		}
		if !h.FileInfo().Mode().IsRegular() || h.Size == 0 {
			continue
		}
		if err := s.member(job, tr, cleanMember(h.Name), depth, chain, false); err != nil {
			return err
		}
	}
}

// Zip archives are read as a stream, by their local file headers, so that
// a zip inside a tar.gz needs no random access and a zip of millions of
// entries no memory: the central directory at the end is not needed.
const (
	zipLocal    = 0x04034b50
	zipCentral  = 0x02014b50
	zipEnd      = 0x06054b50
	zipEnd64    = 0x06064b50
	zipEnd64Loc = 0x07064b50
	zipDigSig   = 0x05054b50
	zipDesc     = 0x08074b50
	zipSplit    = 0x08064b50
)

var (
	errZipHeader  = errors.New("zip: not a local file header where one should be")
	errZipUnknown = errors.New("zip: a member of unknown size that cannot be read (stored or encrypted, with a data descriptor)")
)

// limitedBR reads at most n bytes of r.
type limitedBR struct {
	r *bufio.Reader
	n int64
}

func (l *limitedBR) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	m, err := l.r.Read(p)
	l.n -= int64(m)
	if err == io.EOF && l.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	return m, err
}

func (l *limitedBR) ReadByte() (byte, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	c, err := l.r.ReadByte()
	if err == io.EOF {
		return 0, io.ErrUnexpectedEOF
	}
	if err == nil {
		l.n--
	}
	return c, err
}

// skipN reads past n bytes of r.
func skipN(r io.Reader, n int64) error {
	if n <= 0 {
		return nil
	}
	m, err := io.CopyN(io.Discard, r, n)
	if m < n && err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// readZip reads the members of a zip stream.
func (s *fileScanner) readZip(job *archJob, src io.Reader, depth int, chain string) error {
	a := s.arch
	lv := a.push()
	defer a.pop()
	cnt := &countIn{r: src}
	br := lv.bufio(cnt)
	pos := func() int64 { return cnt.n - int64(br.Buffered()) }
	var hdr [30]byte
	var nameBuf []byte
	for {
		if s.stop.Load() {
			return errStopped
		}
		if _, err := io.ReadFull(br, hdr[:4]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // a zip ends with its central directory
			}
			return err
		}
		switch binary.LittleEndian.Uint32(hdr[:4]) {
		case zipLocal:
		case zipCentral, zipEnd, zipEnd64, zipEnd64Loc, zipDigSig:
			return nil // the members are done
		case zipSplit:
			continue // a split archive's marker before the first header
		default:
			return errZipHeader
		}
		if _, err := io.ReadFull(br, hdr[4:30]); err != nil {
			return err
		}
		flags := binary.LittleEndian.Uint16(hdr[6:])
		method := binary.LittleEndian.Uint16(hdr[8:])
		csize := uint64(binary.LittleEndian.Uint32(hdr[18:]))
		usize := uint64(binary.LittleEndian.Uint32(hdr[22:]))
		nlen := int(binary.LittleEndian.Uint16(hdr[26:]))
		elen := int(binary.LittleEndian.Uint16(hdr[28:]))
		if cap(nameBuf) < nlen+elen {
			nameBuf = make([]byte, nlen+elen)
		}
		nb := nameBuf[:nlen+elen]
		if _, err := io.ReadFull(br, nb); err != nil {
			return err
		}
		name := cleanMember(string(nb[:nlen]))
		zip64 := false
		for ex := nb[nlen:]; len(ex) >= 4; {
			id, sz := binary.LittleEndian.Uint16(ex), int(binary.LittleEndian.Uint16(ex[2:]))
			ex = ex[4:]
			if sz > len(ex) {
				break
			}
			if id == 0x0001 {
				zip64 = true
				f := ex[:sz]
				if usize == math.MaxUint32 && len(f) >= 8 {
					usize, f = binary.LittleEndian.Uint64(f), f[8:]
				}
				if csize == math.MaxUint32 && len(f) >= 8 {
					csize = binary.LittleEndian.Uint64(f)
				}
			}
			ex = ex[sz:]
		}
		if err := job.entry(); err != nil {
			return err
		}
		desc := flags&8 != 0
		known := !desc || csize > 0
		where := chain + name
		if csize > math.MaxInt64/2 {
			return errZipHeader
		}
		lim := &limitedBR{r: br, n: int64(csize)}
		if !known {
			lim.n = math.MaxInt64
		}
		var content io.Reader
		var closer func()
		start := pos()
		deflated := false
		switch {
		case flags&1 != 0:
			if !job.encrypted {
				job.encrypted = true
				a.stats.Encrypted++
				firstPath(&a.stats.EncryptedFirst, job.path+"!/"+where)
			}
		case known && usize > uint64(bombMinBytes) && usize/max(csize, 1) > uint64(bombRatio):
			s.bombAt(job, where) // by its declared sizes: not expanded at all
		case method == 0 && known:
			content = lim
		case method == 8:
			// straight from the zip's buffer: deflate ends by itself
			deflated = true
			content = &expander{r: lv.flate(br), job: job, in: func() int64 { return pos() - start }, stop: s.stop}
		case method == 12 && known:
			in := &countIn{r: lim}
			content = &expander{r: bzip2.NewReader(in), job: job, in: func() int64 { return in.n }, stop: s.stop}
		case method == 93 && known:
			in := &countIn{r: lim}
			d, err := zstd.NewReader(in, zstdOptions()...)
			if err != nil {
				return err
			}
			closer = d.Close
			content = &expander{r: d, job: job, in: func() int64 { return in.n }, stop: s.stop}
		case method != 0:
			// lzma, xz, ppmd …: not read
			a.stats.Unsupported++
			firstPath(&a.stats.UnsupportedFirst, job.path+"!/"+where)
		}
		switch {
		case content == nil && !known:
			// its end cannot be found without reading it
			return errZipUnknown
		case content == nil:
			if err := skipN(br, lim.n); err != nil {
				return err
			}
		default:
			bomb := false
			if !strings.HasSuffix(name, "/") {
				err := s.member(job, content, name, depth, chain, false)
				bomb = bombOf(err, content)
				switch {
				case bomb:
					s.bombAt(job, where)
				case err != nil:
					return err
				}
			}
			// the rest of the member: skipped, or (size unknown) read to its end
			switch {
			case known && deflated:
				rest := int64(csize) - (pos() - start)
				if rest < 0 {
					return errZipHeader // the deflate stream ran past the member
				}
				if err := skipN(br, rest); err != nil {
					return err
				}
			case known:
				if err := skipN(br, lim.n); err != nil {
					return err
				}
			case bomb:
				return nil // its end is past the bomb: the rest is not read
			default:
				if _, err := io.Copy(io.Discard, content); err != nil {
					if bombOf(err, content) {
						s.bombAt(job, where)
						return nil
					}
					return err
				}
			}
		}
		if closer != nil {
			closer()
		}
		if desc {
			// the data descriptor: [signature] crc, sizes (8 bytes each in zip64)
			var d [24]byte
			if _, err := io.ReadFull(br, d[:4]); err != nil {
				return err
			}
			n := 8
			if zip64 {
				n = 16
			}
			if binary.LittleEndian.Uint32(d[:4]) == zipDesc {
				n += 4
			}
			if _, err := io.ReadFull(br, d[:n]); err != nil {
				return err
			}
		}
	}
}
