package leakscan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"reclaim/provider"
)

// Encoded values (issue 16, item 3, and the Basic-auth half of item 4).
//
// A credential is sometimes stored encoded: base64 in a Kubernetes Secret's
// data, a Docker config.json auth, an .npmrc _auth, a CI variable, a data:
// URI or an "Authorization: Basic" header (of any provider: key:secret,
// AC…:token, api:key-…, apikey:SG.…); percent-encoded in a DSN or a logged
// URL; JSON- or PHP-escaped inside a string (escaped quotes hide the name a
// value is assigned to). The scanner decodes such values one level, in a
// bounded way, and runs every detector over the decoded text. A finding in
// decoded text is reported at the place of the encoded value, with
// Finding.Encoding naming the encoding; its fingerprint is that of the
// decoded secret (so it matches the same key found in plain text).
//
// Decoding is gated, so that text with no encoded value costs nothing more:
//   - literals the one pass over each buffer already looks for (each keyed
//     on a byte pair rare in web trees, see pairHints): "authorization"
//     (a Basic header, or a bare base64 user:secret), `"auth"` (Docker's
//     config.json), "_auth=" (.npmrc), "data:" at the end of a line (a
//     Kubernetes data block), ";base64," (a data: URI of a text type), and
//     the base64 of the key prefixes SG., xkeysib-, xsmtpsib- and key- at
//     the start of a value (U0cu…);
//   - around the hits of the detectors' anchors: an escape in a hit's
//     window (\" \' \\ \$ \u00XX \xXX, or %XX of a quote, separator or key
//     byte) has the window unescaped, and a base64 value of plausible
//     length right after a provider's word on its line
//     ("MAILJET_SECRET_B64=…", a CI variable) is decoded in place.
//
// The decoded text is a view of the chunk: the detectors run over it, and
// the context rules of the providers the value's line (a header's block
// of lines, a Kubernetes document) names read a decoded user:secret or a
// data entry under its key's name. A value a detector read as it is (the
// Mailjet detector's Basic header) is not decoded again.
//
// Bounds: one level (a decoded value is not decoded again; a JSON escape
// of a base64 value is read as part of the value); a value is read up to
// maxEncValue bytes, a data block up to maxEncBlock, a data: URI up to
// maxEncBlock decoded; one view of a group of hits spans at most
// maxEncGroup; a file may cost at most encBudget bytes of decoded or
// unescaped text, beyond which its encoded values are not decoded. A
// value that runs past a chunk's end is left to the next chunk (which
// holds it if it is shorter than the overlap).
//
// Not decoded: base64 inside base64 (a .dockerconfigjson in a Secret), a
// Kubernetes Secret written as JSON (its values are read when a provider's
// name or a key prefix points at them), base64 of a context-only key
// (Mailjet, Postmark, Twilio, Mandrill) under a name that does not name
// the provider and outside a data block or an auth.

const (
	maxEncValue = 64 << 10  // longest base64 value decoded whole
	maxEncBlock = 256 << 10 // longest Kubernetes data block read
	encBudget   = 4 << 20   // decoded and unescaped bytes per file
	maxEncHits  = 1 << 16   // anchor hits per chunk looked at for escapes
	maxEncGroup = 64 << 10  // the most one view of a group of hits spans
	// the window around an anchor hit that is unescaped (the largest
	// window a detector looks at)
	encBefore = 420
	encAfter  = 720
)

// internal rules of the encoding gates (after the scanner's own)
const (
	ruleAuthz = 100 + iota
	ruleAuthJSON
	ruleAuthNpm
	ruleDataYAML
	ruleDataURI
	ruleB64 // ruleB64 + i: b64Anchors[i]
)

// Encodings named in Finding.Encoding.
const (
	EncBase64     = "base64"
	EncBasicAuth  = "basic-auth"
	EncURL        = "url"
	EncJSONEscape = "json-escape"
	EncPHPEscape  = "php-escape"
)

// b64Anchor is the base64 form of a key prefix in one alignment: lit (exact
// case) starts gofs characters into a 4-character group.
type b64Anchor struct {
	lit  string
	gofs int
}

// b64Anchors are the base64 of the key prefixes SG., xkeysib-, xsmtpsib-
// and key- where a value starts with them (TestB64Anchors derives them
// again): the other two alignments are read where a gate or a provider's
// word points at the value.
var b64Anchors = []b64Anchor{{"U0cu", 0}, {"eGtleXNpYi", 0}, {"eHNtdHBzaWIt", 0}, {"a2V5L", 0}}

func init() {
	type anchor = struct {
		lit  string
		rule int
	}
	internalAnchors = append(internalAnchors,
		anchor{"authorization", ruleAuthz}, anchor{`"auth"`, ruleAuthJSON}, anchor{"_auth=", ruleAuthNpm},
		anchor{"data:\n", ruleDataYAML}, anchor{";base64,", ruleDataURI})
	for i, a := range b64Anchors {
		internalAnchors = append(internalAnchors, anchor{a.lit, ruleB64 + i})
	}
	// pairs that are rare in web trees (see pairHints)
	for lit, pair := range map[string]string{"authorization": "za", ";base64,": ";b",
		"egtlexnpyi": "xn", "ehntdhbzawit": "za", "a2v5l": "5l"} {
		pairHints[lit] = pair
	}
}

// encState is a worker's state for encoded values, reset per file.
type encState struct {
	hits  []int32   // detector anchor hits in the chunk (their starts)
	gates []encGate // gate hits in the chunk
	used  int       // bytes this file decoded or unescaped (up to encBudget)
	// the findings' spans in the file (absolute), for the also-exposed
	// pass of a large file: spans of plain findings (a value a detector
	// read as it is is not decoded), encSpans of encoded values
	spans, encSpans [][2]int64
	// the view: text built from the chunk with encoded parts decoded;
	// vmap[i] is the chunk offset view[i] came from (len(view)+1 entries)
	view []byte
	vmap []int32
	segs []encSeg
	// viewEnc names the escapes unescaped in the view ("" for none)
	viewEnc string
	tmp     []byte // a cleaned base64 value
	dec     []byte // decoded bytes
	// the window last found free of escapes
	cleanLo, cleanHi int
	// base64 values after anchor hits, to decode in the view
	b64s [][2]int
}

type encGate struct{ rule, start, end int32 }

// encSeg is a decoded value in the view: view[vlo:vhi] decodes chunk[rlo:rhi].
type encSeg struct {
	vlo, vhi, rlo, rhi int
	enc                string
}

func (st *encState) reset() {
	st.hits, st.gates, st.spans, st.encSpans = st.hits[:0], st.gates[:0], st.spans[:0], st.encSpans[:0]
	st.used = 0
}

// noteSpan keeps the span of a finding (a few thousand at most).
func (st *encState) noteSpan(s, e int64) {
	if len(st.spans) < MaxFindingsPerFile*4 {
		st.spans = append(st.spans, [2]int64{s, e})
	}
}

// covered reports whether a finding overlaps [s,e) (absolute).
func (st *encState) covered(s, e int64) bool {
	for _, sp := range st.spans {
		if s < sp[1] && sp[0] < e {
			return true
		}
	}
	return false
}

// noteHit is called for every hit of a detector's anchor.
func (st *encState) noteHit(start int) {
	if len(st.hits) < maxEncHits {
		st.hits = append(st.hits, int32(start))
	}
}

// encGate is called for a hit of a gate's literal (before the limit).
func (s *fileScanner) encGate(b []byte, rule, start, end int) {
	if rule >= ruleB64 {
		a := b64Anchors[rule-ruleB64]
		if string(b[start:end]) != a.lit { // the matcher ignores case
			return
		}
	}
	if len(s.enc.gates) < maxEncHits {
		s.enc.gates = append(s.enc.gates, encGate{int32(rule), int32(start), int32(end)})
	}
}

// encPass decodes what the chunk's gates and anchor hits point at, after
// the chunk's plain pass (so a value found in plain text is reported
// plain).
func (s *fileScanner) encPass(b []byte, limit int) {
	st := &s.enc
	defer func() { st.hits, st.gates = st.hits[:0], st.gates[:0] }()
	st.cleanLo, st.cleanHi = 0, -1
	if encOff {
		return
	}
	done := 0 // chunk offset up to which gates decoded
	for _, g := range st.gates {
		if st.used >= encBudget {
			return
		}
		start, end := int(g.start), int(g.end)
		if start < done {
			continue
		}
		var to int
		switch r := int(g.rule); {
		case r == ruleAuthz:
			i, enc := authzValue(b, end)
			to = s.encAuth(b, i, limit, enc, 0, true)
		case r == ruleAuthJSON:
			to = s.encAuth(b, jsonValue(b, end), limit, EncBase64, '"', false)
		case r == ruleAuthNpm:
			i := end
			for i < len(b) && (b[i] == ' ' || b[i] == '"' || b[i] == '\'') {
				i++
			}
			to = s.encAuth(b, i, limit, EncBase64, 0, false)
		case r == ruleDataYAML:
			to = s.encData(b, start, end, limit)
		case r == ruleDataURI:
			to = s.encDataURI(b, start, end, limit)
		case r >= ruleB64:
			to = s.encB64At(b, start, b64Anchors[r-ruleB64].gofs, limit)
		}
		done = max(done, to)
	}
	// the anchor hits, in groups whose windows overlap: one view each (at
	// most maxEncGroup bytes), built when a window holds an escape or a
	// base64 value follows a hit
	hits := st.hits
	for k := 0; k < len(hits) && int(hits[k]) < limit; {
		if st.used >= encBudget {
			return
		}
		lo, hi := max(0, int(hits[k])-encBefore), min(len(b), int(hits[k])+encAfter)
		j := k + 1
		for j < len(hits) && int(hits[j]) < hi && int(hits[j]) < limit && hi-lo < maxEncGroup {
			hi = min(len(b), int(hits[j])+encAfter)
			j++
		}
		// the part of the group not already found free of escapes
		from, joined := lo, st.cleanLo <= lo && st.cleanHi >= lo
		if joined {
			from = max(lo, st.cleanHi)
		}
		esc := from < hi && hasEscape(b[from:hi])
		if !esc {
			if !joined {
				st.cleanLo = lo
			}
			st.cleanHi = hi
		}
		st.b64s = st.b64s[:0]
		for _, h := range hits[k:j] {
			vs, ve := b64After(b, int(h), hi)
			if vs < 0 || st.covered(s.base+int64(vs), s.base+int64(ve)) {
				continue // none, or a detector read it (Mailjet's Basic header)
			}
			if n := len(st.b64s); n == 0 || vs >= st.b64s[n-1][1] {
				st.b64s = append(st.b64s, [2]int{vs, ve})
			}
		}
		k = j
		if !esc && len(st.b64s) == 0 {
			continue
		}
		s.buildView(b, lo, hi, esc)
		s.scanView(b, limit)
		for si := range st.segs {
			// a base64 user:secret named by its line ("MAILJET_AUTH=…")
			sg := &st.segs[si]
			ls, le := lineAround(b, sg.rlo, sg.rhi, 512)
			s.classifyPair(b, limit, b[ls:le], sg)
		}
	}
}

// encOff turns decoding off (tests compare with and without).
var encOff = false

// ---- base64 ----

var b64val = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = int8(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// b64Class is the standard and URL-safe base64 alphabets (no padding).
var b64Class = func() (c provider.ByteClass) {
	for i := range 256 {
		c[i] = b64val[i] >= 0
	}
	return c
}()

// b64Decode appends the decoding of src (either alphabet, no padding) to
// dst; a trailing single character is dropped.
func b64Decode(dst, src []byte) []byte {
	i := 0
	for ; i+4 <= len(src); i += 4 {
		v := uint32(b64val[src[i]])<<18 | uint32(b64val[src[i+1]])<<12 | uint32(b64val[src[i+2]])<<6 | uint32(b64val[src[i+3]])
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch len(src) - i {
	case 2:
		v := uint32(b64val[src[i]])<<18 | uint32(b64val[src[i+1]])<<12
		dst = append(dst, byte(v>>16))
	case 3:
		v := uint32(b64val[src[i]])<<18 | uint32(b64val[src[i+1]])<<12 | uint32(b64val[src[i+2]])<<6
		dst = append(dst, byte(v>>16), byte(v>>8))
	}
	return dst
}

// sanitize turns the bytes of decoded text that are not printable ASCII
// (or tab, CR, LF) into spaces, so that binary parts separate tokens, and
// returns how many it changed.
func sanitize(d []byte) int {
	bad := 0
	for i, c := range d {
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f {
			d[i] = ' '
			bad++
		}
	}
	return bad
}

// b64Value reads a base64 value starting at i (up to hi and max
// characters): both alphabets; JSON's \/ and \u002b-style escapes and
// %2B %2F %3D decoded; trailing '=' padding. It returns the value's
// characters without padding (in st.tmp) and the end of the raw value.
func (st *encState) b64Value(b []byte, i, hi, max int) ([]byte, int) {
	t := st.tmp[:0]
	for i < hi && len(t) < max {
		c := b[i]
		if b64Class[c] {
			t = append(t, c)
			i++
			continue
		}
		if c == '\\' && i+1 < hi && b[i+1] == '/' {
			t = append(t, '/')
			i += 2
			continue
		}
		if c == '\\' && i+5 < hi && (b[i+1] == 'u' || b[i+1] == 'U') && b[i+2] == '0' && b[i+3] == '0' {
			if x, ok := hexByte(b[i+4], b[i+5]); ok && (x == '+' || x == '/' || x == '=') {
				if x != '=' {
					t = append(t, x)
				}
				i += 6
				if x == '=' {
					break
				}
				continue
			}
		}
		if c == '%' && i+2 < hi {
			if x, ok := hexByte(b[i+1], b[i+2]); ok && (x == '+' || x == '/' || x == '=') {
				i += 3
				if x == '=' {
					for i+2 < hi && b[i] == '%' && b[i+1] == '3' && (b[i+2] == 'D' || b[i+2] == 'd') {
						i += 3
					}
					break
				}
				t = append(t, x)
				continue
			}
		}
		break
	}
	for i < hi && b[i] == '=' {
		i++
	}
	st.tmp = t
	return t, i
}

func hexByte(a, b byte) (byte, bool) {
	x, ok1 := hexVal(a)
	y, ok2 := hexVal(b)
	return x<<4 | y, ok1 && ok2
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// jsonValue returns where the string value of `"name": "…"` starts, name
// ending at i, or -1.
func jsonValue(b []byte, i int) int {
	hi := min(len(b), i+16)
	for i < hi && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i >= hi || b[i] != ':' {
		return -1
	}
	i++
	for i < hi && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i >= hi || b[i] != '"' {
		return -1
	}
	return i + 1
}

// authzValue returns where the value of an Authorization header (name
// ending at i) starts, after the separator (": ", "\":\"", "%3A%20", "=")
// and the scheme "Basic" (then EncBasicAuth) if there is one; -1 for
// another scheme or no value.
func authzValue(b []byte, i int) (int, string) {
	hi := min(len(b), i+24)
	for n := 0; i < hi && n < 12; n++ {
		switch c := b[i]; {
		case c == '"' || c == '\'' || c == ':' || c == ' ' || c == '\t' || c == '=' || c == '>' || c == ',' || c == '\\':
			i++
			continue
		case c == '%' && i+2 < hi && (b[i+1] == '3' && (b[i+2] == 'A' || b[i+2] == 'a') || b[i+1] == '2' && (b[i+2] == '0' || b[i+2] == '2')):
			i += 3
			continue
		}
		break
	}
	if !provider.HasPrefixFold(b, i, "basic") {
		return i, EncBase64
	}
	i += 5
	switch {
	case i < len(b) && (b[i] == ' ' || b[i] == '+'):
		i++
	case i+2 < len(b) && b[i] == '%' && b[i+1] == '2' && b[i+2] == '0':
		i += 3
	default:
		return -1, ""
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i, EncBasicAuth
}

// encAuth decodes the base64 user:secret at i (a Basic header's, a Docker
// or npm auth's) and looks for credentials in it: every detector over the
// decoded text in its line (in its block of lines for a header), then the
// user and the secret by the context rules of the providers those lines
// name (and Twilio's for a SID user). quote, when set, must end the value.
// It returns the end of the value.
func (s *fileScanner) encAuth(b []byte, i, limit int, enc string, quote byte, header bool) int {
	if i < 0 || i >= limit {
		return 0
	}
	st := &s.enc
	v, e := st.b64Value(b, i, min(len(b), i+4096), 1024)
	if len(v) < 8 || e > limit || (quote != 0 && (e >= len(b) || b[e] != quote)) {
		return e // too short, or read whole by the next chunk
	}
	if st.covered(s.base+int64(i), s.base+int64(e)) {
		return e // a detector read it (Mailjet's Basic header)
	}
	st.dec = b64Decode(st.dec[:0], v)
	if sanitize(st.dec) > 0 || !containsByte(st.dec, ':') {
		return e
	}
	// a header's block of lines ("Host: api.mailgun.net" above it), else
	// the value's line
	cl, ch := lineAround(b, i, e, 512)
	if header {
		cl, ch = linesAround(b, i, e, 4, 1, 512)
	}
	s.spliceView(b, cl, ch, i, e, st.dec, enc)
	s.scanView(b, limit)
	s.classifyPair(b, limit, b[cl:ch], &st.segs[0])
	return e
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// lineAround returns the line around [i,e), at most n bytes each way.
func lineAround(b []byte, i, e, n int) (int, int) {
	lo, hi := i, e
	for lo > 0 && lo > i-n && b[lo-1] != '\n' {
		lo--
	}
	for hi < len(b) && hi < e+n && b[hi] != '\n' {
		hi++
	}
	return lo, hi
}

// linesAround returns up to before lines before [i,e) and after lines
// after it, at most n bytes each way (a header block: "Host:
// api.mailjet.com" above "Authorization: Basic …").
func linesAround(b []byte, i, e, before, after, n int) (int, int) {
	lo, hi := i, e
	for k := 0; k <= before; k++ {
		for lo > 0 && lo > i-n && b[lo-1] != '\n' {
			lo--
		}
		if k < before && lo > 0 && lo > i-n {
			lo--
		}
	}
	for k := 0; k <= after; k++ {
		for hi < len(b) && hi < e+n && b[hi] != '\n' {
			hi++
		}
		if k < after && hi < len(b) && hi < e+n {
			hi++
		}
	}
	return lo, hi
}

// classifyPair reads the decoded user:secret of seg (in the view) by the
// context rules of the providers ctx names, and by Twilio's when the user
// is an account or API key SID.
func (s *fileScanner) classifyPair(b []byte, limit int, ctx []byte, seg *encSeg) {
	st := &s.enc
	d := st.view[seg.vlo:seg.vhi]
	colon := -1
	for k, c := range d {
		if c == ':' {
			colon = k
			break
		}
	}
	if colon < 0 {
		return
	}
	user, pass := trimSpace(d, 0, colon), trimSpace(d, colon+1, len(d))
	sid := user[1]-user[0] == 34 && (d[user[0]] == 'A' && d[user[0]+1] == 'C' || d[user[0]] == 'S' && d[user[0]+1] == 'K') && isHexLower(d[user[0]+2:user[1]])
	for ri := range ctxRules() {
		r := &ctxRules()[ri]
		if !r.Named(ctx) && !(sid && r.Provider == "twilio") {
			continue
		}
		s.classifyValue(b, limit, r, provider.NameUser, seg, user)
		s.classifyValue(b, limit, r, provider.NamePass, seg, pass)
	}
}

func trimSpace(d []byte, lo, hi int) [2]int {
	for lo < hi && (d[lo] == ' ' || d[lo] == '\n' || d[lo] == '\r' || d[lo] == '\t') {
		lo++
	}
	for hi > lo && (d[hi-1] == ' ' || d[hi-1] == '\n' || d[hi-1] == '\r' || d[hi-1] == '\t') {
		hi--
	}
	return [2]int{lo, hi}
}

func isHexLower(v []byte) bool {
	for _, c := range v {
		if !provider.HexLower[c] {
			return false
		}
	}
	return true
}

// classifyValue offers the decoded value at span (relative to seg) to rule
// r under the name n, and reports what it makes of it.
func (s *fileScanner) classifyValue(b []byte, limit int, r *provider.ContextRule, n provider.Name, seg *encSeg, span [2]int) {
	st := &s.enc
	v := st.view[seg.vlo+span[0] : seg.vlo+span[1]]
	if len(v) == 0 || provider.RunEnd(v, 0, len(v), &provider.TokenChar) != len(v) {
		return
	}
	ok := false
	for _, l := range r.Lens {
		ok = ok || l == len(v)
	}
	if !ok {
		return
	}
	w := provider.Window{Buf: v, Lo: 0, Hi: len(v)}
	m, ok := r.Classify(n, v, &w)
	if !ok {
		return
	}
	m.Start, m.End = seg.vlo+span[0], seg.vlo+span[1]
	if m.Provider == "" {
		m.Provider = r.Provider
	}
	s.addViewMatch(b, limit, contextDetector(r.Provider), m, "")
}

var (
	ctxOnce sync.Once
	ctxList []provider.ContextRule
	ctxDets map[string]*provider.Detector
)

func ctxRules() []provider.ContextRule {
	ctxOnce.Do(func() {
		ctxList = provider.ContextRules()
		ctxDets = map[string]*provider.Detector{}
		e := getEngine()
		for i := range e.dets {
			ctxDets[e.dets[i].Name] = &e.dets[i]
		}
	})
	return ctxList
}

// contextDetector is the detector of provider p's context rule.
func contextDetector(p string) *provider.Detector {
	ctxRules()
	if d := ctxDets[p+"/context"]; d != nil {
		return d
	}
	return &provider.Detector{Name: p + "/context", Provider: p}
}

// encB64At decodes the base64 run holding a key prefix's base64 form (an
// anchor starting gofs characters into its group at hit): the whole run
// when it is short enough, else the part around the hit. It returns the
// end of what it decoded.
func (s *fileScanner) encB64At(b []byte, hit, gofs, limit int) int {
	g := hit - gofs // the start of the anchor's 4-character group
	if g < 0 || hit >= limit {
		return 0
	}
	rs := provider.RunStart(b, g, max(0, g-maxEncValue/2), &b64Class)
	re := provider.RunEnd(b, hit, min(len(b), hit+maxEncValue/2), &b64Class)
	if re-rs > maxEncValue {
		rs, re = max(rs, g-4096), min(re, g+4096)
	}
	rs += (g - rs) % 4 // aligned with the anchor's group
	if re-rs < 8 || re > limit || s.enc.covered(s.base+int64(rs), s.base+int64(re)) {
		return re
	}
	st := &s.enc
	st.dec = b64Decode(st.dec[:0], b[rs:re])
	sanitize(st.dec)
	e := re
	for e < len(b) && b[e] == '=' {
		e++
	}
	ctxLo, ctxHi := lineAround(b, rs, e, 256)
	s.spliceView(b, ctxLo, ctxHi, rs, e, st.dec, EncBase64)
	s.scanView(b, limit)
	return e
}

// ---- Kubernetes data blocks and data: URIs ----

// encData handles "data:" and a line break at [start,end): a YAML data
// block when only blanks come before it on its line ("metadata:" or
// "userdata:" are not).
func (s *fileScanner) encData(b []byte, start, end, limit int) int {
	ls := start
	for ls > 0 && (b[ls-1] == ' ' || b[ls-1] == '\t') {
		ls--
	}
	if ls > 0 && b[ls-1] != '\n' {
		return 0
	}
	return s.encDataBlock(b, ls, start-ls, end, limit)
}

// encDataURI decodes data:<mime>[;params];base64,<value> (";base64," at
// [start,end)) when mime is a text type (text/*, JSON, JavaScript, YAML,
// XML, shell, PHP, form data).
func (s *fileScanner) encDataURI(b []byte, start, end, limit int) int {
	k := start
	for k > 0 && k > start-100 && b[k-1] != ':' && b[k-1] != '\n' && b[k-1] != '"' && b[k-1] != '\'' && b[k-1] != '(' && b[k-1] != ' ' {
		k--
	}
	if k < 5 || b[k-1] != ':' || !provider.HasPrefixFold(b, k-5, "data:") {
		return 0
	}
	mime := b[k:start]
	if j := indexByte(mime, ';'); j >= 0 {
		mime = mime[:j]
	}
	if !textMime(mime) {
		return end
	}
	st := &s.enc
	v, e := st.b64Value(b, end, min(len(b), end+maxEncBlock*4/3), maxEncBlock*4/3)
	if len(v) < 8 || e > limit || st.covered(s.base+int64(end), s.base+int64(e)) {
		return e
	}
	st.dec = b64Decode(st.dec[:0], v)
	sanitize(st.dec)
	s.spliceView(b, end, e, end, e, st.dec, EncBase64)
	s.scanView(b, limit)
	return e
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func textMime(m []byte) bool {
	if provider.HasPrefixFold(m, 0, "text/") {
		return true
	}
	if !provider.HasPrefixFold(m, 0, "application/") {
		return false
	}
	sub := m[len("application/"):]
	for _, t := range []string{"json", "javascript", "x-javascript", "ecmascript", "yaml", "x-yaml", "xml", "x-sh", "x-httpd-php", "x-php", "x-www-form-urlencoded", "toml", "x-properties"} {
		if len(sub) == len(t) && provider.HasPrefixFold(sub, 0, t) {
			return true
		}
	}
	return false
}

// dataEntry is one key: value of a data block, the value decoded at
// view segment seg.
type dataEntry struct {
	ks, ke int // the key in the chunk
	seg    int // index in st.segs, -1: not decoded
}

// encDataBlock reads the entries of a YAML data block (the "data:" line at
// ls, indented ind; entries from i): "key: base64", decodes each and looks
// for credentials in the document with the values decoded.
func (s *fileScanner) encDataBlock(b []byte, ls, ind, i, limit int) int {
	var ents [][4]int // key start, key end, value start, value end
	end := i
	for j := i; j < len(b) && j-i < maxEncBlock && len(ents) < 256; {
		e := j
		for e < len(b) && b[e] != '\n' {
			e++
		}
		n, blank := indentLen(b, j, e)
		if blank {
			j = e + 1
			continue
		}
		if n <= ind {
			break
		}
		ks := j + n
		ke := provider.RunEnd(b, ks, e, &provider.NameChar)
		if ke < e && b[ke] == ':' && ke > ks {
			vs := ke + 1
			for vs < e && (b[vs] == ' ' || b[vs] == '\t' || b[vs] == '"' || b[vs] == '\'') {
				vs++
			}
			ve := e
			for ve > vs && (b[ve-1] == ' ' || b[ve-1] == '\r' || b[ve-1] == '"' || b[ve-1] == '\'') {
				ve--
			}
			if ve > vs {
				ents = append(ents, [4]int{ks, ke, vs, ve})
			}
		}
		end = e
		j = e + 1
	}
	if len(ents) == 0 {
		return end
	}
	s.encEntries(b, docStart(b, ls), end, ents, limit)
	return end
}

func indentLen(b []byte, ls, le int) (int, bool) {
	i := ls
	for i < le && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i - ls, i == le || (i+1 == le && b[i] == '\r')
}

// docStart is where the YAML document holding line ls starts: after the
// last "---" line, at most 2 KB before.
func docStart(b []byte, ls int) int {
	lo := max(0, ls-2048)
	for k := ls; k > lo; {
		ps := k - 1
		for ps > lo && b[ps-1] != '\n' {
			ps--
		}
		if k-1-ps >= 3 && b[ps] == '-' && b[ps+1] == '-' && b[ps+2] == '-' {
			return k
		}
		k = ps
	}
	for lo > 0 && lo < len(b) && b[lo-1] != '\n' {
		lo++
	}
	return lo
}

// encEntries decodes the values of a data block's entries [key start, key
// end, value start, value end) into a view of the document [docLo, end),
// runs the detectors over it, and offers each decoded value to the context
// rules of the providers the document names, under its key's name.
func (s *fileScanner) encEntries(b []byte, docLo, end int, ents [][4]int, limit int) {
	st := &s.enc
	st.dec = st.dec[:0]
	type dv struct{ rs, re, ds, de int }
	var vals []dv
	for _, en := range ents {
		v, e := st.b64Value(b, en[2], en[3], maxEncValue)
		if e != en[3] || len(v) < 4 || len(v)%4 == 1 {
			continue // not (only) base64
		}
		ds := len(st.dec)
		st.dec = b64Decode(st.dec, v)
		vals = append(vals, dv{en[2], en[3], ds, len(st.dec)})
	}
	if len(vals) == 0 {
		return
	}
	sanitize(st.dec)
	// the view: the document, each value replaced by its decoding
	st.resetView()
	at := docLo
	for _, x := range vals {
		s.viewCopy(b, at, x.rs)
		st.addSeg(x.rs, x.re, st.dec[x.ds:x.de], EncBase64)
		at = x.re
	}
	s.viewCopy(b, at, end)
	st.vmap = append(st.vmap, int32(end))
	s.scanView(b, limit)
	// the document names a provider: its rule reads each value under the
	// key's name
	doc := b[docLo:end]
	rules := ctxRules()
	for ri := range rules {
		r := &rules[ri]
		if !r.Named(doc) {
			continue
		}
		si := 0
		for _, en := range ents {
			for si < len(st.segs) && st.segs[si].rlo < en[2] {
				si++
			}
			if si >= len(st.segs) || st.segs[si].rlo != en[2] {
				continue
			}
			n, ok := provider.ParseName(b[en[0]:en[1]], r.Provider)
			if !ok {
				continue
			}
			seg := &st.segs[si]
			s.classifyValue(b, limit, r, n, seg, trimSpace(st.view[seg.vlo:seg.vhi], 0, seg.vhi-seg.vlo))
		}
	}
}

// ---- escapes and base64 values around anchor hits ----

// hasEscape reports whether w holds an escape that can hide a name or cut
// a value: \" \' \\ \$ \u00XX \xXX, or %XX of a quote, separator or key
// character.
func hasEscape(w []byte) bool {
	for i := 0; i < len(w); {
		k := bytes.IndexByte(w[i:], '\\')
		if k < 0 {
			break
		}
		i += k + 1
		if i+1 >= len(w) {
			break
		}
		switch w[i] {
		case '"', '\'', '\\', '$':
			return true
		case 'u':
			if i+4 < len(w) && w[i+1] == '0' && w[i+2] == '0' {
				if _, ok := hexByte(w[i+3], w[i+4]); ok {
					return true
				}
			}
		case 'x':
			if i+2 < len(w) {
				if _, ok := hexByte(w[i+1], w[i+2]); ok {
					return true
				}
			}
		}
	}
	for i := 0; i < len(w); {
		k := bytes.IndexByte(w[i:], '%')
		if k < 0 {
			break
		}
		i += k + 1
		if i+1 >= len(w) {
			break
		}
		if x, ok := hexByte(w[i], w[i+1]); ok {
			switch x {
			case '"', '\'', '+', '-', '.', '/', ':', '=', '@', '_':
				return true
			}
		}
	}
	return false
}

// b64After finds a base64 value of plausible length assigned right after
// the anchor hit at hit (on its line, within 96 bytes): a run of the base64
// alphabets of at least 16 characters after a separator that decodes to
// printable text. It returns the run, or -1.
func b64After(b []byte, hit, hi int) (int, int) {
	i := provider.RunEnd(b, hit, hi, &provider.Word)
	if i < hi && (b[i] == '.' || b[i] == '-') {
		return -1, -1 // a key's prefix (SG., key-), not a provider's word
	}
	lim := min(hi, i+96)
	for i < lim && b[i] != '\n' {
		if !b64Class[b[i]] {
			i++
			continue
		}
		e := provider.RunEnd(b, i, min(hi, i+4096), &b64Class)
		if e-i >= 16 && i > 0 {
			switch b[i-1] {
			case '=', ':', '"', '\'', ' ', '\t', ',', '>':
				if printableB64(b[i:e]) {
					for e < hi && b[e] == '=' {
						e++
					}
					return i, e
				}
			}
		}
		i = e
	}
	return -1, -1
}

// printableB64 reports whether v decodes to printable ASCII text (tab and
// line breaks allowed) of at least 8 bytes.
func printableB64(v []byte) bool {
	if len(v)%4 == 1 || len(v) > 4096 {
		return false
	}
	var buf [64]byte
	n := 0
	for i := 0; i < len(v); i += 64 {
		d := b64Decode(buf[:0], v[i:min(len(v), i+64)])
		if i+64 < len(v) && len(d) != 48 {
			return false
		}
		for _, c := range d {
			if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f {
				return false
			}
		}
		n += len(d)
	}
	return n >= 8
}

// ---- views ----

func (st *encState) resetView() {
	st.view, st.vmap, st.segs, st.viewEnc = st.view[:0], st.vmap[:0], st.segs[:0], ""
}

// viewCopy appends chunk[lo:hi] to the view as it is.
func (s *fileScanner) viewCopy(b []byte, lo, hi int) {
	st := &s.enc
	for k := lo; k < hi; k++ {
		st.view = append(st.view, b[k])
		st.vmap = append(st.vmap, int32(k))
	}
	st.used += max(0, hi-lo)
}

// addSeg appends decoded text d (decoding chunk[rlo:rhi]) to the view,
// set apart by spaces.
func (st *encState) addSeg(rlo, rhi int, d []byte, enc string) {
	st.view = append(st.view, ' ')
	st.vmap = append(st.vmap, int32(rlo))
	vlo := len(st.view)
	st.view = append(st.view, d...)
	for range d {
		st.vmap = append(st.vmap, int32(rlo))
	}
	st.segs = append(st.segs, encSeg{vlo: vlo, vhi: len(st.view), rlo: rlo, rhi: rhi, enc: enc})
	st.view = append(st.view, ' ')
	st.vmap = append(st.vmap, int32(rhi))
	st.used += len(d)
}

// spliceView builds the view of chunk[lo:hi] with [rlo,rhi) replaced by d.
func (s *fileScanner) spliceView(b []byte, lo, hi, rlo, rhi int, d []byte, enc string) {
	st := &s.enc
	st.resetView()
	s.viewCopy(b, lo, rlo)
	st.addSeg(rlo, rhi, d, enc)
	s.viewCopy(b, rhi, hi)
	st.vmap = append(st.vmap, int32(hi))
}

// buildView builds the view of chunk[lo:hi] unescaped (when esc: JSON,
// PHP and percent escapes decoded) and with the base64 values st.b64s
// decoded.
func (s *fileScanner) buildView(b []byte, lo, hi int, esc bool) {
	st := &s.enc
	st.resetView()
	kind := ""
	next := 0 // the next value of st.b64s
	for next < len(st.b64s) && st.b64s[next][0] < lo {
		next++
	}
	for i := lo; i < hi; {
		if next < len(st.b64s) && i == st.b64s[next][0] {
			vs, ve := st.b64s[next][0], min(hi, st.b64s[next][1])
			next++
			v, _ := st.b64Value(b, vs, ve, maxEncValue)
			st.dec = b64Decode(st.dec[:0], v)
			sanitize(st.dec)
			st.addSeg(vs, ve, st.dec, EncBase64)
			i = ve
			continue
		}
		c := b[i]
		if esc && c == '\\' && i+1 < hi {
			if x, n, k := unescapeAt(b, i, hi); n > 0 {
				st.view = append(st.view, x)
				st.vmap = append(st.vmap, int32(i))
				if k == EncPHPEscape || kind == "" {
					kind = k
				}
				i += n
				continue
			}
		}
		if esc && c == '%' && i+2 < hi {
			if x, ok := hexByte(b[i+1], b[i+2]); ok {
				st.view = append(st.view, x)
				st.vmap = append(st.vmap, int32(i))
				if kind != EncURL {
					kind = EncURL
				}
				i += 3
				continue
			}
		}
		st.view = append(st.view, c)
		st.vmap = append(st.vmap, int32(i))
		i++
	}
	st.vmap = append(st.vmap, int32(hi))
	st.used += hi - lo
	if kind == EncJSONEscape && s.isPHP {
		kind = EncPHPEscape // \" in a PHP string
	}
	st.viewEnc = kind
}

// unescapeAt decodes the backslash escape at b[i]: the byte, the length
// of the escape, and whether it is a JSON or a PHP escape; n = 0 when it
// is none.
func unescapeAt(b []byte, i, hi int) (byte, int, string) {
	switch c := b[i+1]; c {
	case '"', '/', '\\':
		return c, 2, EncJSONEscape
	case '\'', '$':
		return c, 2, EncPHPEscape
	case 'n':
		return '\n', 2, EncJSONEscape
	case 'r':
		return '\r', 2, EncJSONEscape
	case 't':
		return '\t', 2, EncJSONEscape
	case 'u':
		if i+5 < hi && b[i+2] == '0' && b[i+3] == '0' {
			if x, ok := hexByte(b[i+4], b[i+5]); ok && x < 0x80 {
				return x, 6, EncJSONEscape
			}
		}
	case 'x':
		if i+3 < hi {
			if x, ok := hexByte(b[i+2], b[i+3]); ok {
				return x, 4, EncPHPEscape
			}
		}
	}
	return 0, 0, ""
}

// scanView runs every detector over the view and reports what it finds
// (addViewMatch).
func (s *fileScanner) scanView(b []byte, limit int) {
	st := &s.enc
	e := s.e
	vb := st.view
	if len(vb) == 0 {
		return
	}
	w := provider.Window{Buf: vb}
	e.m.scan(vb, func(pat, end int) bool {
		start := end - len(e.m.pats[pat])
		for _, ref := range e.byPat[pat] {
			if ref.det < 0 {
				continue
			}
			d := &e.dets[ref.det]
			before, after := d.Before, d.After
			if before == 0 && after == 0 {
				before, after = 256, 256
			}
			w.Lo, w.Hi = max(0, start-before), min(len(vb), end+after)
			w.HitStart, w.HitEnd, w.Anchor = start, end, e.m.pats[pat]
			d.Find(&w, func(m provider.Match) {
				if m.Start < w.Lo || m.End > w.Hi || m.Start >= m.End {
					return
				}
				s.addViewMatch(b, limit, d, m, st.viewEnc)
			})
		}
		return true
	})
}

// addViewMatch reports a match in the view at the place in the chunk it
// came from: for a value inside a decoded segment, the encoded value (a
// finding of its own for each place in it); otherwise the span the
// unescaped text came from, which the plain pass may have reported
// already.
func (s *fileScanner) addViewMatch(b []byte, limit int, d *provider.Detector, m provider.Match, esc string) {
	st := &s.enc
	secret := st.view[m.Start:m.End]
	for _, sg := range st.segs {
		if m.Start >= sg.vhi || sg.vlo >= m.End {
			continue
		}
		if m.Start < sg.vlo || m.End > sg.vhi || sg.rhi > limit {
			return // part decoded, part not; or read whole by the next chunk
		}
		if st.covered(s.base+int64(sg.rlo), s.base+int64(sg.rhi)) {
			return // a detector read the encoded value as it is
		}
		key := [2]int64{s.base + int64(sg.rlo), -1 - (int64(m.Start-sg.vlo)<<24 | int64(m.End-m.Start))}
		s.addEnc(b, secret, sg.rlo, sg.rhi, key, d, m, sg.enc)
		return
	}
	rs, re := int(st.vmap[m.Start]), int(st.vmap[m.End])
	if re > limit {
		return // the next chunk reads it whole
	}
	enc := esc
	if enc == "" && len(st.segs) > 0 {
		enc = st.segs[0].enc
	}
	s.addEnc(b, secret, rs, re, [2]int64{s.base + int64(rs), s.base + int64(re)}, d, m, enc)
}

// addEnc is addMatch for a value found in a view: secret is the decoded
// value, [rlo,rhi) the chunk bytes it came from, key what the scan
// remembers it by.
func (s *fileScanner) addEnc(b, secret []byte, rlo, rhi int, key [2]int64, d *provider.Detector, m provider.Match, enc string) {
	if s.seen == nil {
		s.seen = map[[2]int64]bool{}
	}
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	if s.base == 0 {
		s.res.spans = append(s.res.spans, [2]int{rlo, rhi})
	}
	if len(s.enc.encSpans) < MaxFindingsPerFile*4 {
		s.enc.encSpans = append(s.enc.encSpans, [2]int64{s.base + int64(rlo), s.base + int64(rhi)})
	}
	sum := sha256.Sum256(secret)
	if i, ok := s.fps[sum]; ok {
		f := &s.res.findings[i]
		f.Count = max(f.Count, 1) + 1
		return
	}
	if len(s.res.findings) >= MaxKeys {
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
		Line:        s.lineAt(b, rlo),
		Provider:    prov,
		Kind:        m.Kind,
		Redacted:    Redact(secret),
		Fingerprint: "sha256:" + hex.EncodeToString(sum[:]),
		KeyID:       m.KeyID,
		Pair:        m.Pair,
		Detector:    d.Name,
		InWebRoot:   s.inWeb,
		Encoding:    enc,
	}
	if m.PairID != "" {
		f.PairRedacted = Redact([]byte(m.PairID))
	}
	s.res.findings = append(s.res.findings, f)
}
