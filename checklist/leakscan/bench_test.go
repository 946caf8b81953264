package leakscan

import (
	"context"
	"os"
	"testing"
)

// BenchmarkCorpus scans the tree named by LEAKSCAN_CORPUS (a gencorpus
// output), for profiling: go test -run x -bench Corpus -cpuprofile cpu.out
func BenchmarkCorpus(b *testing.B) {
	dir := os.Getenv("LEAKSCAN_CORPUS")
	if dir == "" {
		b.Skip("set LEAKSCAN_CORPUS to a gencorpus tree")
	}
	for b.Loop() {
		r, err := Scan(context.Background(), []string{dir}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(r.Bytes)
	}
}
