package main

import (
	"archive/zip"
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// `reclaim scan` reads inside archives by default and names the member;
// --archives=false skips them as binaries.
func TestScanArchivesFlag(t *testing.T) {
	isolateConfigs(t)
	r := rand.New(rand.NewPCG(41, 42))
	key := randKey(r)
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("site/wp-config.php")
	w.Write([]byte("<?php\n\ndefine('SENDGRID_API_KEY', '" + key + "');\n"))
	zw.Close()
	dir := t.TempDir()
	writeTree(t, map[string][]byte{filepath.Join(dir, "backup.zip"): zb.Bytes(), filepath.Join(dir, "index.php"): []byte("<?php echo 1;\n")})

	run := func(args ...string) (string, error) {
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append([]string{"scan"}, args...))
		err := root.Execute()
		return out.String(), err
	}
	out, err := run(dir)
	if err == nil || !strings.Contains(out, "backup.zip!/site/wp-config.php:3") {
		t.Errorf("default scan: err %v, the key in backup.zip not named as backup.zip!/site/wp-config.php:3:\n%s", err, out)
	}
	if strings.Contains(out, key) {
		t.Error("the key is printed")
	}
	out, err = run("--archives=false", dir)
	if err != nil || strings.Contains(out, "backup.zip!/") || !strings.Contains(out, "Skipped 1 binary file") {
		t.Errorf("--archives=false: err %v, output:\n%s", err, out)
	}
}
