package leakscan

import (
	"bytes"
	"sync"

	"reclaim/provider"
)

// "Also exposed" secrets in files over one chunk (issue 16, item 6b). A
// file read in one chunk has its other secrets listed from that chunk
// (alsoExposed) when it holds a provider credential or is an exposed
// config. A larger file is streamed, and whether it holds a credential is
// known only at its end: then, and only then, it is read again from the
// start, chunk by chunk, and only the lines holding a word that a secret
// name or a secret shape needs (password, secret, token, key, salt, dsn,
// credential, private, -----BEGIN, AKIA, sk_live_, rk_live_, found by one
// case-insensitive multi-literal pass) go through alsoExposed. Values
// overlapping a finding are left out; the usual caps apply.

// alsoWords are the literals without which alsoExposed finds nothing on a
// line (every secret name holds one of them; "key" covers _key, apikey,
// api_key and app_key).
var alsoWords = []string{"password", "passwd", "secret", "token", "salt", "private", "key", "credential", "dsn", "-----begin ", "akia", "sk_live_", "rk_live_"}

// alsoNameWords is how many of alsoWords are words of a name (the rest
// are shapes of values).
const alsoNameWords = 9

// assignedAfter reports whether a name ending at i is followed by an
// assignment, as alsoExposed reads one (=, : or , among the first
// separators).
func assignedAfter(b []byte, i int) bool {
	for n := 0; i < len(b) && n < 8; n++ {
		switch b[i] {
		case '=', ':', ',':
			return true
		case '\'', '"', ' ', '\t', '>':
			i++
			continue
		}
		return false
	}
	return false
}

var (
	alsoOnce sync.Once
	alsoM    *matcher
)

func init() {
	// pairs that are rare in logs (see pairHints)
	for w, p := range map[string]string{"key": "ey", "credential": "ia", "akia": "ak", "-----begin ": "-b", "dsn": "sn"} {
		pairHints[w] = p
	}
}

func alsoMatcher() *matcher {
	alsoOnce.Do(func() { alsoM = newMatcher(alsoWords) })
	return alsoM
}

// alsoLarge lists the other secrets of a file read in several chunks, when
// it holds a credential or is an exposed config, by reading it again.
func (s *fileScanner) alsoLarge(f rfile, st fileStat, path, lname string, inWeb bool, mode textMode) {
	if s.base == 0 || mode >= modeUTF16LE || s.stop.Load() {
		return
	}
	if len(s.res.findings) == 0 && !exposedConfig(path, lname, inWeb) {
		return
	}
	if f.rewind() != nil {
		return
	}
	r := reader{f: f, path: path, size: st.size, sparse: st.sparse, left: s.fileCap, stop: s.stop}
	var base int64 // file offset of buf[0]
	lines := 0     // newlines before buf[0]
	carry := 0
	seen := map[string]bool{}
	for _, fd := range s.res.findings {
		seen[fd.Fingerprint] = true // a credential is not listed again
	}
	for {
		n, final, err := r.fill(s.buf[carry : carry+chunkSize])
		if err != nil {
			return
		}
		b := s.buf[:carry+n]
		end := len(b)
		if !final {
			// whole lines only; the last one goes on with the next chunk,
			// unless it is longer than the overlap (alsoExposed skips lines
			// over 4 KB)
			if k := bytes.LastIndexByte(b, '\n'); k >= 0 && len(b)-k-1 <= overlap {
				end = k + 1
			}
		}
		s.alsoLines(b[:end], base, lines, path, inWeb, seen)
		if final {
			return
		}
		lines += bytes.Count(b[:end], []byte{'\n'})
		base += int64(end)
		carry = copy(s.buf, b[end:])
	}
}

// alsoLines runs alsoExposed over each line of b (at file offset base,
// after lines newlines) that holds one of alsoWords.
func (s *fileScanner) alsoLines(b []byte, base int64, lines int, path string, inWeb bool, seen map[string]bool) {
	pos, ln, lastEnd := 0, lines, -1
	var skip [][2]int
	alsoMatcher().scan(b, func(pat, end int) bool {
		if end <= lastEnd {
			return true
		}
		if pat < alsoNameWords && !assignedAfter(b, provider.RunEnd(b, end, min(len(b), end+64), &provider.NameChar)) {
			return true // a word of a name no value is assigned to
		}
		ls := bytes.LastIndexByte(b[:end], '\n') + 1
		le := bytes.IndexByte(b[end:], '\n')
		if le < 0 {
			le = len(b)
		} else {
			le += end
		}
		ln += bytes.Count(b[pos:ls], []byte{'\n'})
		pos, lastEnd = ls, le
		if le-ls > 4096 {
			return true
		}
		skip = skip[:0]
		for _, spans := range [][][2]int64{s.enc.spans, s.enc.encSpans} {
			for _, sp := range spans {
				if sp[0] < base+int64(le) && base+int64(ls) < sp[1] {
					skip = append(skip, [2]int{int(sp[0] - base - int64(ls)), int(sp[1] - base - int64(ls))})
				}
			}
		}
		for _, f := range alsoExposed(b[ls:le], path, skip, inWeb) {
			if seen[f.Fingerprint] {
				continue
			}
			if len(s.res.also) > MaxFindingsPerFile {
				// over the cap: counted (scanFile), and no more read
				return false
			}
			seen[f.Fingerprint] = true
			f.Line = ln + 1
			s.res.also = append(s.res.also, f)
		}
		return !s.stop.Load()
	})
}
