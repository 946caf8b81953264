package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"reclaim/provider/drill"
)

// serverTree writes the drill's fake server (a web root with a leaked key).
func serverTree(t *testing.T) string {
	t.Helper()
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := drill.New(sc, time.Now()).WriteServerTree(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// scanCLI runs `reclaim scan` and returns its exit code, output and error.
func scanCLI(t *testing.T, format string, paths ...string) (int, string, error) {
	t.Helper()
	isolateConfigs(t)
	var out, errb bytes.Buffer
	err := runScan(context.Background(), &out, &errb, paths, format, nil, 0)
	code := exitOK
	var ee *exitErr
	if errors.As(err, &ee) {
		code, err = ee.code, ee.err
	} else if err != nil {
		t.Fatalf("error without an exit code: %v", err)
	}
	return code, out.String(), err
}

func TestScanCLIRootErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "srv", "www")
	empty := t.TempDir()
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		fifo = ""
	}
	cases := []struct{ name, path, want string }{
		{"missing", missing, "nothing was read: " + missing + ": no such file or folder"},
		{"empty", empty, "nothing was read: " + empty + ": holds no readable file"},
		{"fifo", fifo, "nothing was read: " + fifo + ": not a file or folder: a named pipe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.path == "" {
				t.Skip("no named pipes here")
			}
			code, out, err := scanCLI(t, "text", c.path)
			if code != exitError || err == nil || err.Error() != c.want {
				t.Fatalf("exit %d, %v; want 2, %q", code, err, c.want)
			}
			if strings.Contains(out, "No provider credentials found") || !strings.Contains(out, "Nothing was read") {
				t.Errorf("the report claims a result:\n%s", out)
			}
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root, which reads a chmod 000 folder anyway (the named pipe case stands for it)")
		}
		dir := filepath.Join(t.TempDir(), "locked")
		if err := os.Mkdir(dir, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		if code, _, err := scanCLI(t, "text", dir); code != exitError || err == nil || err.Error() != "nothing was read: "+dir+": permission denied" {
			t.Fatalf("exit %d, %v", code, err)
		}
	})
}

func TestScanCLISymlinkAndMix(t *testing.T) {
	tree := serverTree(t)
	target, _ := filepath.EvalSymlinks(tree)
	link := filepath.Join(t.TempDir(), "site")
	if err := os.Symlink(tree, link); err != nil {
		t.Fatal(err)
	}
	code, out, err := scanCLI(t, "text", link)
	if code != exitFindings || err != nil {
		t.Fatalf("scan through a link: exit %d, %v\n%s", code, err, out)
	}
	if !strings.Contains(out, "\n  "+link+" -> "+target+": ") || !strings.Contains(out, " files, ") || !strings.Contains(out, "Provider credentials found") {
		t.Fatalf("summary does not name the link's target and what was read:\n%s", out)
	}

	// a good root and a missing one: the report is written, the exit is 2
	missing := filepath.Join(t.TempDir(), "old")
	code, out, err = scanCLI(t, "json", tree, missing)
	if code != exitError || err == nil || err.Error() != "1 of 2 roots not read: "+missing+": no such file or folder" {
		t.Fatalf("mixed roots: exit %d, %v", code, err)
	}
	var rep struct {
		Roots     []string `json:"roots"`
		Files     int64    `json:"files"`
		Findings  []json.RawMessage
		RootStats []struct {
			Path  string `json:"path"`
			Files int64  `json:"files"`
			Bytes int64  `json:"bytes"`
			Error string `json:"error"`
		} `json:"root_stats"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if len(rep.Roots) != 2 || len(rep.Findings) == 0 || len(rep.RootStats) != 2 ||
		rep.RootStats[0].Path != tree || rep.RootStats[0].Files != rep.Files || rep.RootStats[0].Bytes == 0 ||
		rep.RootStats[1].Path != missing || rep.RootStats[1].Error != "no such file or folder" {
		t.Fatalf("JSON per-root stats: %+v", rep)
	}

	code, out, _ = scanCLI(t, "sarif", tree, missing)
	if code != exitError || !strings.Contains(out, `"toolExecutionNotifications"`) || !strings.Contains(out, `"executionSuccessful": false`) || !strings.Contains(out, `"roots": [`) || !strings.Contains(out, `"error": "no such file or folder"`) {
		t.Fatalf("SARIF: exit %d\n%s", code, out)
	}
}
