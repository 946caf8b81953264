package leakscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"reclaim/provider"
)

// The JSON and SARIF reports are written a finding at a time (so that
// 20,000 findings are never held as one buffer): the JSON must be exactly
// what marshalling the whole report gives, hostile names included, and the
// SARIF must be one valid, indented document with every result.
func TestStreamedOutputIsTheWholeDocument(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 40 {
		// names with escapes, bidi and a line break: the escaping must be
		// the same, element by element
		name := fmt.Sprintf("app\x1b[2J\u202e%02d\n\"results\": []", i)
		writeFile(t, filepath.Join(dir, name, ".env"), []byte("SENDGRID_API_KEY="+sgKey(r)+"\nDB_PASSWORD=Xk29ak2kdl3lZmq0pQ\n"))
	}
	writeFile(t, filepath.Join(dir, "empty.txt"), []byte("nothing"))
	for _, roots := range [][]string{{dir}, {filepath.Join(dir, "empty.txt")}} {
		rep := guardedScan(t, roots, Options{})
		var got bytes.Buffer
		if err := WriteJSON(&got, rep); err != nil {
			t.Fatal(err)
		}
		want, _ := json.MarshalIndent(rep, "", "  ")
		want = append(provider.TerminalSafeJSON(want), '\n')
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("%d findings: the streamed JSON differs from the whole document:\n%s", len(rep.Findings), got.Bytes())
		}
		got.Reset()
		if err := WriteSARIF(&got, rep, "test"); err != nil {
			t.Fatal(err)
		}
		var compact, indented bytes.Buffer
		if err := json.Compact(&compact, got.Bytes()); err != nil {
			t.Fatalf("SARIF is not JSON: %v\n%s", err, got.Bytes())
		}
		json.Indent(&indented, compact.Bytes(), "", "  ")
		indented.WriteByte('\n')
		if !bytes.Equal(indented.Bytes(), got.Bytes()) {
			t.Fatalf("SARIF is not one indented document:\n%s", got.Bytes())
		}
		var doc struct {
			Runs []struct {
				Results []json.RawMessage `json:"results"`
			} `json:"runs"`
		}
		json.Unmarshal(got.Bytes(), &doc)
		if n := len(rep.Findings) + len(rep.AlsoExposed) + len(rep.Exposures) + len(rep.Traces); len(doc.Runs) != 1 || len(doc.Runs[0].Results) != n {
			t.Fatalf("SARIF results: %d runs, want %d results", len(doc.Runs), n)
		}
		if bytes.ContainsAny(got.Bytes(), "\x1b\u202e") {
			t.Fatal("an escape or bidi character reached the SARIF output")
		}
		t.Logf("%d findings, %d also exposed: JSON and SARIF streamed", len(rep.Findings), len(rep.AlsoExposed))
	}
}
