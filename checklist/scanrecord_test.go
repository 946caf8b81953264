package checklist_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/checklist/leakscan"
	"reclaim/provider/drill"
)

// scanEngine is a drill engine (not saved) whose scanner is the real leak
// scanner, and the drill's fake server tree (which holds a leaked key).
func scanEngine(t *testing.T) (*checklist.Engine, string) {
	t.Helper()
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	acct := drill.New(sc, now)
	tree := t.TempDir()
	if err := acct.WriteServerTree(tree); err != nil {
		t.Fatal(err)
	}
	inc := checklist.NewIncident(now, sc.Title, acct, true, sc.ID)
	e := checklist.NewEngine(inc, nil, acct, nil)
	clock := now
	e.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	e.Scanner = leakscan.NewLeakScanner([]string{tree}, leakscan.Options{})
	return e, tree
}

// lastScan returns the last scan journal entry and the incident's scan records.
func lastScan(t *testing.T, e *checklist.Engine) (checklist.JournalEntry, []checklist.ScanRecord) {
	t.Helper()
	inc := e.Snapshot()
	for i := len(inc.Journal) - 1; i >= 0; i-- {
		if j := inc.Journal[i]; j.Step == checklist.StepScan && j.Action == "scan" {
			return j, inc.Account().Scans
		}
	}
	t.Fatal("no scan in the journal")
	return checklist.JournalEntry{}, nil
}

func scanDone(e *checklist.Engine) bool {
	for _, j := range e.Snapshot().Journal {
		if j.Target == "scan" && j.Outcome == "ok" {
			return true
		}
	}
	return false
}

func TestEngineScanReadsRoots(t *testing.T) {
	e, tree := scanEngine(t)
	n, err := e.Scan(context.Background(), []string{tree}, nil)
	if err != nil || n == 0 {
		t.Fatalf("scan: %d findings, %v", n, err)
	}
	j, recs := lastScan(t, e)
	if j.Outcome != "ok" || !strings.HasPrefix(j.Detail, "scanned "+tree+" (") || !strings.Contains(j.Detail, " files, ") || !strings.Contains(j.Detail, " findings") {
		t.Fatalf("journal %q %q", j.Outcome, j.Detail)
	}
	if len(recs) != 1 {
		t.Fatalf("%d scan records", len(recs))
	}
	r := recs[0]
	if r.At.IsZero() || r.Findings != n || r.Partial || r.Failed || r.Error != "" || len(r.Roots) != 1 || r.Roots[0].Path != tree || r.Roots[0].Files == 0 || r.Roots[0].Bytes == 0 {
		t.Fatalf("record %+v", r)
	}
}

func TestEngineScanMissingRoot(t *testing.T) {
	e, _ := scanEngine(t)
	missing := filepath.Join(t.TempDir(), "srv", "www")
	n, err := e.Scan(context.Background(), []string{missing}, nil)
	want := "nothing was read: " + missing + ": no such file or folder"
	if err == nil || err.Error() != want || n != 0 {
		t.Fatalf("scan of a missing root: %d, %v; want error %q", n, err, want)
	}
	var se *checklist.ScanError
	if !errors.As(err, &se) || !se.Record.Failed {
		t.Errorf("error %T does not carry the failed record", err)
	}
	j, recs := lastScan(t, e)
	if j.Outcome != "failed" || j.Detail != want {
		t.Errorf("journal %q %q", j.Outcome, j.Detail)
	}
	if len(recs) != 1 || !recs[0].Failed || recs[0].Findings != 0 || recs[0].Roots[0].Error != "no such file or folder" || recs[0].Error != want {
		t.Errorf("record %+v", recs)
	}
	if scanDone(e) {
		t.Error("a scan that read nothing counts as done")
	}
}

func TestEngineScanEmptyAndUnreadable(t *testing.T) {
	e, _ := scanEngine(t)
	empty := t.TempDir()
	_, err := e.Scan(context.Background(), []string{empty}, nil)
	if err == nil || err.Error() != "nothing was read: "+empty+": holds no readable file" {
		t.Fatalf("empty folder: %v", err)
	}
	// a root that cannot be read: a named pipe (a chmod 000 folder would be
	// read anyway when the tests run as root)
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	_, err = e.Scan(context.Background(), []string{fifo, empty}, nil)
	want := "nothing was read: " + fifo + ": not a file or folder: a named pipe; " + empty + ": holds no readable file"
	if err == nil || err.Error() != want {
		t.Fatalf("pipe and empty folder: %v, want %q", err, want)
	}
	if j, recs := lastScan(t, e); j.Outcome != "failed" || len(recs) != 2 || !recs[1].Failed {
		t.Errorf("journal %q %q, records %+v", j.Outcome, j.Detail, recs)
	}
	if scanDone(e) {
		t.Error("a scan that read nothing counts as done")
	}
}

func TestEngineScanSymlinkRoot(t *testing.T) {
	e, tree := scanEngine(t)
	link := filepath.Join(t.TempDir(), "site")
	if err := os.Symlink(tree, link); err != nil {
		t.Fatal(err)
	}
	target, _ := filepath.EvalSymlinks(tree)
	n, err := e.Scan(context.Background(), []string{link}, nil)
	if err != nil || n == 0 {
		t.Fatalf("scan through a link: %d findings, %v", n, err)
	}
	j, recs := lastScan(t, e)
	if j.Outcome != "ok" || !strings.HasPrefix(j.Detail, "scanned "+link+" -> "+target+" (") {
		t.Fatalf("journal %q %q", j.Outcome, j.Detail)
	}
	if r := recs[0].Roots[0]; r.Target != target || r.Files == 0 {
		t.Fatalf("root %+v", r)
	}
}

func TestEngineScanPartialRoots(t *testing.T) {
	e, tree := scanEngine(t)
	missing := filepath.Join(t.TempDir(), "old")
	n, err := e.Scan(context.Background(), []string{tree, missing}, nil)
	if err != nil || n == 0 {
		t.Fatalf("scan: %d, %v", n, err)
	}
	j, recs := lastScan(t, e)
	if j.Outcome != "ok" || !strings.Contains(j.Detail, ", "+missing+" (no such file or folder): ") || !strings.HasSuffix(j.Detail, "; partial: 1 of 2 roots unreadable") {
		t.Fatalf("journal %q %q", j.Outcome, j.Detail)
	}
	r := recs[0]
	if !r.Partial || r.Failed || r.Roots[0].Files == 0 || r.Roots[1].Error != "no such file or folder" || r.Error != "1 of 2 roots unreadable: "+missing+": no such file or folder" {
		t.Fatalf("record %+v", r)
	}
	if !scanDone(e) {
		t.Error("a partial scan with findings is not recorded as a scan")
	}
}

func TestEngineScanCancelled(t *testing.T) {
	e, tree := scanEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Scan(ctx, []string{tree}, nil)
	if err == nil || !errors.Is(err, context.Canceled) || err.Error() != "scan cancelled before any file was read" {
		t.Fatalf("cancelled scan: %v", err)
	}
	if _, recs := lastScan(t, e); !recs[0].Partial || !recs[0].Failed {
		t.Errorf("record %+v", recs[0])
	}
}

// fakeScanner stands for a scan stopped part way, with what it read.
type fakeScanner struct {
	findings []leakscan.Finding
	roots    []leakscan.RootStat
	err      error
	set      []string
}

func (f *fakeScanner) Scan(ctx context.Context, progress func(files, bytes int64, findings int)) (*leakscan.Report, error) {
	return &leakscan.Report{Findings: f.findings, RootStats: f.roots}, f.err
}

func (f *fakeScanner) DefaultRoots() []string  { return []string{"/srv/www"} }
func (f *fakeScanner) SetRoots(roots []string) { f.set = roots }

func TestEngineScanCancelledPartWay(t *testing.T) {
	e, _ := scanEngine(t)
	read := []leakscan.RootStat{{Path: "/srv/www", Files: 412, Bytes: 3_100_000}, {Path: "/var/log"}}
	e.Scanner = &fakeScanner{roots: read, err: context.Canceled,
		findings: []leakscan.Finding{{File: "/srv/www/.env", Line: 3, Provider: "sendgrid", Kind: "api_key", Redacted: "SG.xx…", Fingerprint: "sha256:01"}}}
	n, err := e.Scan(context.Background(), nil, nil)
	if err != nil || n != 1 {
		t.Fatalf("cancelled scan with a finding: %d, %v", n, err)
	}
	j, recs := lastScan(t, e)
	if want := "scanned /srv/www (412 files, 3.1 MB), /var/log (0 files, 0 B): 1 finding; partial: cancelled before the end"; j.Outcome != "ok" || j.Detail != want {
		t.Fatalf("journal %q %q, want %q", j.Outcome, j.Detail, want)
	}
	if r := recs[0]; !r.Partial || r.Failed || r.Error != "cancelled before the end" {
		t.Fatalf("record %+v", r)
	}
	// stopped part way with nothing found: it proves nothing
	e.Scanner = &fakeScanner{roots: read, err: context.Canceled}
	if _, err := e.Scan(context.Background(), nil, nil); err == nil || !strings.HasSuffix(err.Error(), "; cancelled before the end: no result") {
		t.Fatalf("cancelled scan without findings: %v", err)
	}
	if j, recs := lastScan(t, e); j.Outcome != "failed" || !recs[1].Failed || !recs[1].Partial {
		t.Fatalf("journal %q, record %+v", j.Outcome, recs[1])
	}
	// the journal's sizes
	fs := []leakscan.Finding{{File: "a", Provider: "mailgun", Kind: "api_key", Fingerprint: "sha256:a"}, {File: "b", Provider: "mailgun", Kind: "api_key", Fingerprint: "sha256:b"}, {File: "c", Provider: "mailgun", Kind: "api_key", Fingerprint: "sha256:c"}}
	sc := &fakeScanner{roots: []leakscan.RootStat{{Path: "/srv/www", Files: 412, Bytes: 3_100_000}, {Path: "/var/log", Files: 20, Bytes: 88_000_000}}, findings: fs}
	e.Scanner = sc
	if _, err := e.Scan(context.Background(), []string{"/srv/www", "/var/log"}, nil); err != nil {
		t.Fatal(err)
	}
	if j, _ := lastScan(t, e); j.Detail != "scanned /srv/www (412 files, 3.1 MB), /var/log (20 files, 88 MB): 3 findings" {
		t.Fatalf("journal %q", j.Detail)
	}
	if len(sc.set) != 2 || sc.set[1] != "/var/log" {
		t.Errorf("roots given to the scanner: %v", sc.set)
	}
}
