//go:build amd64 || arm64 || 386 || ppc64le

package leakscan

import "unsafe"

// nextBlock returns the first i+8k (k >= 0) such that a pair of t starts in
// b[i+8k:i+8k+8], or the first such index with fewer than 9 bytes left
// from it. On these little-endian machines with cheap unaligned loads, each
// pair is one 16-bit load (first byte low) and one table load.
func nextBlock(t *[1 << 16]uint8, b []byte, i int) int {
	p := unsafe.Pointer(unsafe.SliceData(b))
	ld := func(k int) uint16 { return *(*uint16)(unsafe.Add(p, k)) }
	for ; i+9 <= len(b); i += 8 {
		if t[ld(i)]|t[ld(i+1)]|t[ld(i+2)]|t[ld(i+3)]|t[ld(i+4)]|t[ld(i+5)]|t[ld(i+6)]|t[ld(i+7)] != 0 {
			return i
		}
	}
	return i
}
