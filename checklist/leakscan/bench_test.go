package leakscan

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// BenchmarkMatcher runs the anchor prefilter alone over up to 64 MB of the
// text files of LEAKSCAN_CORPUS (go test -run x -bench Matcher).
func BenchmarkMatcher(b *testing.B) {
	dir := os.Getenv("LEAKSCAN_CORPUS")
	if dir == "" {
		b.Skip("set LEAKSCAN_CORPUS to a gencorpus tree")
	}
	var text []byte
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(text) >= 64<<20 || !d.Type().IsRegular() || skipExt[strings.ToLower(filepath.Ext(p))] {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil && bytes.IndexByte(data[:min(len(data), sniffBytes)], 0) < 0 {
			text = append(text, data...)
		}
		return nil
	})
	m := getEngine().m
	b.SetBytes(int64(len(text)))
	hits := 0
	for b.Loop() {
		m.scan(text, func(pat, end int) bool { hits++; return true })
	}
}

// BenchmarkScanHugeInputs is the time TestScanHugeInputs used to assert
// (2 s per buffer): huge lines, dense anchors, binary data and dense
// assignments must stay linear (MB/s about that of plain text).
func BenchmarkScanHugeInputs(b *testing.B) {
	for name, data := range hugeInputs() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				scanOnce(data, true)
				scanOnce(data, false)
			}
		})
	}
}
