package leakscan

import (
	"sort"
	"strings"
)

// matcher is a case-insensitive multi-literal matcher: an Aho-Corasick
// automaton compiled to a dense DFA (one uint16 per state and byte, with
// ASCII case folding built into the table), so the hot loop is one table load
// and one compare per byte, with no lower-cased copy of the input. States are
// numbered so that every accepting state is >= firstAccept.
type matcher struct {
	pats []string // lower case
	// the prefilter: one rare byte pair per pattern (see scan). pairTab maps
	// every two-byte sequence (first byte in the low half) to 0, or to 1 +
	// the index in pairCands of the patterns whose rare pair it is, in any
	// case.
	pairTab     *[1 << 16]uint8
	pairCands   [][]pairCand
	trans       []uint16 // state<<8 | byte -> state
	out         [][]int  // accepting state - firstAccept -> pattern indexes
	firstAccept uint16
	maxLen      int
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func newMatcher(pats []string) *matcher {
	type node struct {
		next map[byte]int
		fail int
		out  []int
	}
	nodes := []node{{next: map[byte]int{}}}
	maxLen := 0
	for pi, p := range pats {
		maxLen = max(maxLen, len(p))
		s := 0
		for i := 0; i < len(p); i++ {
			c := lower(p[i])
			n, ok := nodes[s].next[c]
			if !ok {
				n = len(nodes)
				nodes = append(nodes, node{next: map[byte]int{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, pi)
	}
	// BFS for failure links and the full transition function.
	n := len(nodes)
	if n >= 1<<16 {
		panic("leakscan: too many anchor states")
	}
	delta := make([][256]int, n)
	queue := []int{}
	for c := 0; c < 256; c++ {
		if t, ok := nodes[0].next[byte(c)]; ok {
			delta[0][c] = t
			nodes[t].fail = 0
			queue = append(queue, t)
		}
	}
	order := []int{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
		nodes[s].out = append(nodes[s].out, nodes[nodes[s].fail].out...)
		for c := 0; c < 256; c++ {
			if t, ok := nodes[s].next[byte(c)]; ok {
				delta[s][c] = t
				nodes[t].fail = delta[nodes[s].fail][c]
				queue = append(queue, t)
			} else {
				delta[s][c] = delta[nodes[s].fail][c]
			}
		}
	}
	// Renumber: non-accepting states first (root = 0), accepting after.
	sort.SliceStable(order, func(i, j int) bool {
		return len(nodes[order[i]].out) == 0 && len(nodes[order[j]].out) != 0
	})
	id := make([]int, n)
	first := n
	for newID, old := range order {
		id[old] = newID
		if len(nodes[old].out) != 0 && newID < first {
			first = newID
		}
	}
	m := &matcher{pats: pats, trans: make([]uint16, n*256), firstAccept: uint16(first), maxLen: maxLen}
	m.pairTab = new([1 << 16]uint8)
	for pi, p := range pats {
		k := rarePair(p)
		x := uint16(lower(p[k])) | uint16(lower(p[k+1]))<<8
		if m.pairTab[x] == 0 {
			if len(m.pairCands) == 255 {
				panic("leakscan: too many anchor pairs")
			}
			m.pairCands = append(m.pairCands, nil)
			id := uint8(len(m.pairCands))
			for _, a := range caseVariants(p[k]) {
				for _, b := range caseVariants(p[k+1]) {
					m.pairTab[uint16(a)|uint16(b)<<8] = id
				}
			}
		}
		id := m.pairTab[x] - 1
		m.pairCands[id] = append(m.pairCands[id], pairCand{pat: pi, off: k})
	}
	m.out = make([][]int, n-first)
	for old := 0; old < n; old++ {
		for c := 0; c < 256; c++ {
			m.trans[id[old]<<8|c] = uint16(id[delta[old][lower(byte(c))]])
		}
		if id[old] >= first {
			m.out[id[old]-first] = nodes[old].out
		}
	}
	return m
}

type pairCand struct{ pat, off int }

// byteFreq is how often each printable ASCII byte (32 to 126, letters
// folded) occurs in source code, configs and logs, per 10,000 bytes.
var byteFreq = [95]int{1352, 3, 53, 8, 86, 1, 1, 137, 119, 119, 20, 31, 80, 63, 108, 48, 60, 52, 59, 44, 48, 42, 36, 36, 36, 36, 49, 127, 5, 74, 49, 13, 8, 431, 136, 304, 250, 729, 162, 142, 194, 425, 51, 85, 288, 181, 397, 454, 222, 57, 518, 334, 553, 228, 96, 111, 83, 127, 45, 23, 13, 23, 1, 46, 14, 431, 136, 304, 250, 729, 162, 142, 194, 425, 51, 85, 288, 181, 397, 454, 222, 57, 518, 334, 553, 228, 96, 111, 83, 127, 45, 58, 12, 57, 1}

func freq(c byte) int {
	c = lower(c)
	if c < 32 || c > 126 {
		return 1
	}
	return byteFreq[c-32]
}

// commonPairs are frequent English letter pairs (in words and in
// identifiers; "ai" and "il" of mail, everywhere in mail settings): the
// product of two byte frequencies underrates them.
var commonPairs = map[string]bool{}

func init() {
	for _, p := range strings.Fields("th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur il ai") {
		commonPairs[p] = true
	}
}

// pairHints names the pair to key some patterns on, where the estimate
// from single-byte frequencies picks a pair that is common in web trees
// (counts per 135 MB of the generated corpus's text: "ph" of phpinfo(
// 202,000, "o(" 1; "wi" of twilio 112,000, "tw" 19,000; "gu" of mailgun
// 72,000, "lg" 24,000; "rk" of postmark 139,000, "tm" 112,000; "t(" of
// apiconnect( 110,000, "nn" 90,000; "xk" of xkeysib- 17,000, "b-" 13,000
// and shared with xsmtpsib-; "d-" of md- 24,000, "md" 17,000; "64" of
// ;base64, 73,000, ";b" 8,000).
var pairHints = map[string]string{
	"phpinfo(": "o(", "twilio": "tw", "mailgun": "lg", "postmark": "tm", "apiconnect(": "nn",
	"xkeysib-": "b-", "md-": "md",
}

// rarePair picks the offset of the byte pair of p least likely to occur in
// ordinary text, so that the prefilter stops rarely.
func rarePair(p string) int {
	if h, ok := pairHints[p]; ok {
		if k := strings.Index(p, h); k >= 0 {
			return k
		}
	}
	best, bestCost := 0, -1
	for k := 0; k+1 < len(p); k++ {
		c := freq(p[k]) * freq(p[k+1])
		if commonPairs[strings.ToLower(p[k:k+2])] {
			c *= 4
		}
		if bestCost < 0 || c < bestCost {
			best, bestCost = k, c
		}
	}
	return best
}

var foldTab = func() (t [256]byte) {
	for i := range t {
		t[i] = lower(byte(i))
	}
	return t
}()

// scan calls hit(pattern, end) for every occurrence of every pattern in b
// (end is the index just past it), returning early when hit returns false.
// It looks up every two-byte sequence of b in a 64 KB table of the
// patterns' rare pairs, eight positions per step (nextBlock: the eight
// lookups do not depend on each other, and only their OR is tested), and
// checks the candidate patterns only where a pair hits: with pairs chosen by
// rarePair that is about 1 position in 200. Patterns must be at least 2
// bytes long.
func (m *matcher) scan(b []byte, hit func(pat, end int) bool) {
	t := m.pairTab
	i := 0
	for {
		i = nextBlock(t, b, i)
		if i+9 > len(b) {
			break
		}
		for j := i; j < i+8; j++ {
			if id := t[uint16(b[j])|uint16(b[j+1])<<8]; id != 0 && !m.check(b, j, id, hit) {
				return
			}
		}
		i += 8
	}
	for ; i+1 < len(b); i++ {
		if id := t[uint16(b[i])|uint16(b[i+1])<<8]; id != 0 && !m.check(b, i, id, hit) {
			return
		}
	}
}

// check tries the patterns whose rare pair (pair id id) is at b[i:i+2].
func (m *matcher) check(b []byte, i int, id uint8, hit func(pat, end int) bool) bool {
	for _, cd := range m.pairCands[id-1] {
		p := m.pats[cd.pat]
		s := i - cd.off
		if s < 0 || s+len(p) > len(b) || !equalFold(b[s:s+len(p)], p) {
			continue
		}
		if !hit(cd.pat, s+len(p)) {
			return false
		}
	}
	return true
}

func caseVariants(c byte) []byte {
	c = lower(c)
	if 'a' <= c && c <= 'z' {
		return []byte{c, c - 'a' + 'A'}
	}
	return []byte{c}
}

func equalFold(b []byte, lowerPat string) bool {
	for k := 0; k < len(lowerPat); k++ {
		if foldTab[b[k]] != lowerPat[k] {
			return false
		}
	}
	return true
}

// scanDFA is the reference automaton (same contract as scan, hits in order
// of their end): the prefilter is tested against it. for every occurrence of every pattern in b,
// end being the index just past the occurrence. It returns early when hit
// returns false.
func (m *matcher) scanDFA(b []byte, hit func(pat, end int) bool) {
	trans, fa := m.trans, m.firstAccept
	s := uint16(0)
	for i := 0; i < len(b); i++ {
		s = trans[int(s)<<8|int(b[i])]
		if s >= fa {
			for _, p := range m.out[s-fa] {
				if !hit(p, i+1) {
					return
				}
			}
		}
	}
}
