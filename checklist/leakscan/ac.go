package leakscan

import "sort"

// matcher is a case-insensitive multi-literal matcher: an Aho-Corasick
// automaton compiled to a dense DFA (one uint16 per state and byte, with
// ASCII case folding built into the table), so the hot loop is one table load
// and one compare per byte, with no lower-cased copy of the input. States are
// numbered so that every accepting state is >= firstAccept.
type matcher struct {
	pats        []string // lower case
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

// scan calls hit(pattern, end) for every occurrence of every pattern in b,
// end being the index just past the occurrence. It returns early when hit
// returns false.
func (m *matcher) scan(b []byte, hit func(pat, end int) bool) {
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
