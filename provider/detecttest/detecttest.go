// Package detecttest holds helpers the detector tests share: credentials are
// built at run time from a seeded generator, so no key-shaped literal sits
// in the source.
package detecttest

import "math/rand/v2"

// Rand returns n characters drawn from alpha.
func Rand(r *rand.Rand, alpha string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	return string(b)
}
