package leakscan

import (
	"context"
	"os"
	"testing"
)

// BenchmarkGitHistory scans the history of the repository named by
// LEAKSCAN_GIT (a bench/genhistory output), for profiling:
// go test -run x -bench GitHistory -cpuprofile cpu.out ./checklist/leakscan
func BenchmarkGitHistory(b *testing.B) {
	repo := os.Getenv("LEAKSCAN_GIT")
	if repo == "" {
		b.Skip("set LEAKSCAN_GIT to a repository (go run ./bench/genhistory -out DIR)")
	}
	for b.Loop() {
		r, err := Scan(context.Background(), nil, Options{GitRepos: []string{repo}})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(r.Bytes)
	}
}
