//go:build !(amd64 || arm64 || 386 || ppc64le)

package leakscan

// nextBlock returns the first i+8k (k >= 0) such that a pair of t starts in
// b[i+8k:i+8k+8], or the first such index with fewer than 9 bytes left
// from it.
func nextBlock(t *[1 << 16]uint8, b []byte, i int) int { return nextBlockPortable(t, b, i) }
