package checklist_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reclaim/checklist"
)

// newIncident makes a drill incident in a fresh state dir and returns the
// state dir and the incident's folder, unlocked.
func newIncident(t *testing.T) (state, dir string) {
	t.Helper()
	state = filepath.Join(t.TempDir(), "state")
	e, _, h := newDrill(t, state)
	if err := e.Save(); err != nil {
		t.Fatal(err)
	}
	h.Close()
	return state, h.Dir
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantUnsafe(t *testing.T, err error, wants ...string) {
	t.Helper()
	if !errors.Is(err, checklist.ErrUnsafe) {
		t.Fatalf("want an unsafe-state refusal, got %v", err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal lacks %q:\n%v", w, err)
		}
	}
	t.Logf("message: %v", err)
}

// Item 5: HOME unset falls back to no shared folder.
func TestStateDefaultDirNoSharedFallback(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	d, err := checklist.DefaultStateDir()
	if !errors.Is(err, checklist.ErrNoStateDir) || d != "" {
		t.Fatalf("HOME unset: got %q, %v; want ErrNoStateDir", d, err)
	}
	if !strings.Contains(err.Error(), "--state-dir") {
		t.Errorf("message does not name --state-dir: %v", err)
	}
	for _, st := range []*checklist.Store{{Dir: ""}} {
		if _, err := st.List(); !errors.Is(err, checklist.ErrNoStateDir) {
			t.Errorf("List with no dir: %v", err)
		}
		if _, _, _, err := st.Open("x"); err == nil {
			t.Error("Open with no dir succeeded")
		}
		if _, err := st.Create(&checklist.Incident{ID: "x"}, nil); !errors.Is(err, checklist.ErrNoStateDir) {
			t.Errorf("Create with no dir: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "reclaim-state")); err == nil {
		t.Logf("note: %s exists (not made by this test)", filepath.Join(os.TempDir(), "reclaim-state"))
	}

	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	if d, err := checklist.DefaultStateDir(); err != nil || d != filepath.Join(cache, "reclaim", "state") {
		t.Errorf("cache dir fallback: %q, %v", d, err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	if d, err := checklist.DefaultStateDir(); err != nil || d != filepath.Join(home, ".local", "state", "reclaim") {
		t.Errorf("HOME: %q, %v", d, err)
	}
	t.Setenv("XDG_STATE_HOME", "relative/dir")
	if d, _ := checklist.DefaultStateDir(); d != filepath.Join(home, ".local", "state", "reclaim") {
		t.Errorf("a relative XDG_STATE_HOME is ignored; got %q", d)
	}
}

// Item 5: folders 0700, files 0600.
func TestStateFreshModes(t *testing.T) {
	state, dir := newIncident(t)
	for p, want := range map[string]os.FileMode{
		state: 0o700, filepath.Join(state, "incidents"): 0o700, dir: 0o700,
		filepath.Join(dir, checklist.StateFile): 0o600, filepath.Join(dir, checklist.LockFile): 0o600,
	} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), want)
		}
	}
}

// Item 5: group- or world-writable state, or state owned by someone else,
// is refused with the fix spelled out.
func TestStateRefusesWritableOrForeign(t *testing.T) {
	t.Run("world-writable state dir", func(t *testing.T) {
		state, dir := newIncident(t)
		os.Chmod(state, 0o777)
		st := &checklist.Store{Dir: state}
		_, err := st.List()
		wantUnsafe(t, err, "writable by every user (mode 0777)", "chmod 700 "+state)
		_, _, _, err = st.Open(filepath.Base(dir))
		wantUnsafe(t, err, "chmod 700 "+state)
		_, err = st.Create(&checklist.Incident{ID: "20260101-000000-ab12"}, nil)
		wantUnsafe(t, err, "chmod 700 "+state)
	})
	t.Run("group-writable incidents folder", func(t *testing.T) {
		state, _ := newIncident(t)
		inc := filepath.Join(state, "incidents")
		os.Chmod(inc, 0o770)
		_, err := (&checklist.Store{Dir: state}).List()
		wantUnsafe(t, err, "writable by its group (mode 0770)", "chmod 700 "+inc)
	})
	t.Run("world-writable incident folder", func(t *testing.T) {
		state, dir := newIncident(t)
		os.Chmod(dir, 0o777)
		st := &checklist.Store{Dir: state}
		list, err := st.List()
		if err != nil || len(list) != 1 || list[0].State != checklist.StateRefused || !strings.Contains(list[0].Problem, "chmod 700 "+dir) {
			t.Fatalf("want it listed as refused with the fix: %+v, %v", list, err)
		}
		_, _, _, err = st.Open(filepath.Base(dir))
		wantUnsafe(t, err, "chmod 700 "+dir)
		_, err = checklist.LoadIncident(dir)
		wantUnsafe(t, err, "chmod 700 "+dir)
	})
	t.Run("0666 state.json", func(t *testing.T) {
		state, dir := newIncident(t)
		p := filepath.Join(dir, checklist.StateFile)
		os.Chmod(p, 0o666)
		_, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "writable by every user (mode 0666)", "chmod 600 "+p)
		_, err = checklist.LoadIncident(dir)
		wantUnsafe(t, err, "chmod 600 "+p)
		list, _ := (&checklist.Store{Dir: state}).List()
		if len(list) != 1 || list[0].State != checklist.StateRefused {
			t.Errorf("want it listed as refused: %+v", list)
		}
	})
	if os.Geteuid() != 0 {
		t.Log("not root: the other-owner cases need chown")
		return
	}
	t.Run("state dir owned by someone else", func(t *testing.T) {
		state, _ := newIncident(t)
		if err := os.Chown(state, 65534, 65534); err != nil {
			t.Skip(err)
		}
		_, err := (&checklist.Store{Dir: state}).List()
		wantUnsafe(t, err, "uid 65534", "not by you", "sudo chown -R", "--state-dir")
	})
	t.Run("incident folder owned by someone else", func(t *testing.T) {
		state, dir := newIncident(t)
		os.Chown(dir, 65534, 65534)
		_, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "uid 65534", "sudo chown -R")
	})
	t.Run("state.json owned by someone else", func(t *testing.T) {
		state, dir := newIncident(t)
		p := filepath.Join(dir, checklist.StateFile)
		os.Chown(p, 65534, 65534)
		_, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "uid 65534", "sudo chown ", p)
		_, err = checklist.LoadIncident(dir)
		wantUnsafe(t, err, "uid 65534")
	})
	t.Run("lock owned by someone else", func(t *testing.T) {
		state, dir := newIncident(t)
		lock := filepath.Join(dir, checklist.LockFile)
		os.Chown(lock, 65534, 65534)
		before := mustRead(t, lock)
		_, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "uid 65534")
		if !bytes.Equal(mustRead(t, lock), before) {
			t.Error("the foreign lock file was changed")
		}
	})
}

// Item 5: a lock that is a symbolic link (to a file reclaim did not create,
// e.g. a root-owned one) is refused and the file it points at is untouched;
// so are a hard link and a lock file reclaim did not write.
func TestStateLockNeverTruncatesForeignFile(t *testing.T) {
	victimDir := t.TempDir()
	victim := filepath.Join(victimDir, "shadow")
	content := []byte("root:precious:19000:0:99999:7:::\n")

	t.Run("symlink", func(t *testing.T) {
		state, dir := newIncident(t)
		os.WriteFile(victim, content, 0o644)
		lock := filepath.Join(dir, checklist.LockFile)
		os.Remove(lock)
		if err := os.Symlink(victim, lock); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "symbolic link", victim, "rm "+lock)
		if got := mustRead(t, victim); !bytes.Equal(got, content) {
			t.Fatalf("the file the lock points at was changed: %q", got)
		}
	})
	t.Run("dangling symlink", func(t *testing.T) {
		state, dir := newIncident(t)
		target := filepath.Join(victimDir, "new-file")
		lock := filepath.Join(dir, checklist.LockFile)
		os.Remove(lock)
		os.Symlink(target, lock)
		_, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "symbolic link")
		if _, err := os.Lstat(target); err == nil {
			t.Fatal("opening the lock created the file its link points at")
		}
	})
	t.Run("hard link", func(t *testing.T) {
		state, dir := newIncident(t)
		os.WriteFile(victim, content, 0o600)
		lock := filepath.Join(dir, checklist.LockFile)
		os.Remove(lock)
		if err := os.Link(victim, lock); err != nil {
			t.Skip(err)
		}
		_, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "hard links")
		if got := mustRead(t, victim); !bytes.Equal(got, content) {
			t.Fatalf("the hard-linked file was changed: %q", got)
		}
	})
	t.Run("content reclaim did not write", func(t *testing.T) {
		state, dir := newIncident(t)
		lock := filepath.Join(dir, checklist.LockFile)
		os.WriteFile(lock, content, 0o600)
		_, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "did not write")
		if got := mustRead(t, lock); !bytes.Equal(got, content) {
			t.Fatalf("the lock file was overwritten: %q", got)
		}
	})
	t.Run("state.json symlink", func(t *testing.T) {
		state, dir := newIncident(t)
		p := filepath.Join(dir, checklist.StateFile)
		real := filepath.Join(victimDir, "state-elsewhere.json")
		os.Rename(p, real)
		before := mustRead(t, real)
		os.Symlink(real, p)
		_, err := checklist.LoadIncident(dir)
		wantUnsafe(t, err, "symbolic link")
		_, _, _, err = (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		wantUnsafe(t, err, "symbolic link")
		if !bytes.Equal(mustRead(t, real), before) {
			t.Fatal("the linked state was changed")
		}
	})
	t.Run("own lock is reused", func(t *testing.T) {
		state, dir := newIncident(t)
		h, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
		if err != nil {
			t.Fatal(err)
		}
		h.Close()
		if b := mustRead(t, filepath.Join(dir, checklist.LockFile)); !strings.HasPrefix(string(b), "pid ") {
			t.Errorf("lock holds %q", b)
		}
	})
}

// damagedCases are state files an incident must survive being listed with.
func damagedCases(t *testing.T, good []byte) map[string][]byte {
	var v map[string]any
	if err := json.Unmarshal(good, &v); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(map[string]any)) []byte {
		c := map[string]any{}
		for k, x := range v {
			c[k] = x
		}
		f(c)
		b, _ := json.MarshalIndent(c, "", "  ")
		return b
	}
	return map[string][]byte{
		"empty":       {},
		"whitespace":  []byte("\n  \n"),
		"truncated":   good[:len(good)/2],
		"garbage":     []byte("\x00\x00\x00\x7fELF garbage \xff\xfe"),
		"wrong shape": []byte(`[1, 2, 3]`),
		"newer":       mutate(func(c map[string]any) { c["schema"] = checklist.SchemaVersion + 1 }),
		"no accounts": mutate(func(c map[string]any) { delete(c, "accounts") }),
		"no steps": mutate(func(c map[string]any) {
			a := c["accounts"].([]any)[0].(map[string]any)
			delete(a, "steps")
		}),
	}
}

// Item 6: no incident vanishes; a damaged state is kept byte for byte with a
// copy, never reused, and the message says what was recoverable.
func TestStateDamagedIsListedKeptAndCopied(t *testing.T) {
	// A state with progress: the drill run by the autopilot.
	e, _, gh := newDrill(t, t.TempDir())
	if _, err := checklist.Autopilot(context.Background(), e, func(string) {}); err != nil {
		t.Fatal(err)
	}
	good := mustRead(t, filepath.Join(gh.Dir, checklist.StateFile))
	for name, bad := range damagedCases(t, good) {
		t.Run(name, func(t *testing.T) {
			state, dir := newIncident(t)
			id := filepath.Base(dir)
			p := filepath.Join(dir, checklist.StateFile)
			if err := os.WriteFile(p, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			st := &checklist.Store{Dir: state}
			list, err := st.List()
			if err != nil || len(list) != 1 {
				t.Fatalf("list: %+v, %v", list, err)
			}
			s := list[0]
			want := checklist.StateDamaged
			if name == "newer" {
				want = checklist.StateNewer
			}
			if s.ID != id || s.State != want || s.Problem == "" || s.OK() {
				t.Fatalf("listed as %+v, want %s with a reason", s, want)
			}
			t.Logf("%s: %s | %s | %s", name, s.Problem, s.Quarantine, s.Recovered)

			// The message of report --incident (LoadIncident) and of Open.
			_, lerr := checklist.LoadIncident(dir)
			if !errors.Is(lerr, checklist.ErrDamaged) {
				t.Fatalf("LoadIncident: %v", lerr)
			}
			if !strings.Contains(lerr.Error(), s.Problem) {
				t.Errorf("LoadIncident's message lacks the reason: %v", lerr)
			}
			if _, _, _, err := st.Open(id); !errors.Is(err, checklist.ErrDamaged) {
				t.Errorf("Open: %v", err)
			}

			if want == checklist.StateNewer {
				if s.Quarantine != "" || s.Title == "" || s.Total == 0 {
					t.Errorf("a newer state is listed read-only with its title and progress, no copy: %+v", s)
				}
				if !strings.Contains(lerr.Error(), "upgrade reclaim") {
					t.Errorf("message: %v", lerr)
				}
			} else {
				if s.Quarantine == "" || !strings.HasPrefix(filepath.Base(s.Quarantine), checklist.QuarantinePrefix) {
					t.Fatalf("no quarantine copy: %+v", s)
				}
				if !bytes.Equal(mustRead(t, s.Quarantine), bad) {
					t.Error("the copy is not byte for byte")
				}
				if !strings.Contains(lerr.Error(), s.Quarantine) {
					t.Errorf("message does not name the copy: %v", lerr)
				}
				if fi, _ := os.Stat(s.Quarantine); fi.Mode().Perm() != 0o600 {
					t.Errorf("copy mode %04o", fi.Mode().Perm())
				}
				// Listing again does not pile up copies.
				st.List()
				checklist.LoadIncident(dir)
				if copies, _ := filepath.Glob(filepath.Join(dir, checklist.QuarantinePrefix+"*")); len(copies) != 1 {
					t.Errorf("copies: %v", copies)
				}
			}
			switch name {
			case "truncated":
				if s.Title == "" || !strings.Contains(s.Problem, "truncated") || !strings.Contains(s.Recovered, "Only its title") {
					t.Errorf("truncated: %+v", s)
				}
			case "garbage", "empty", "whitespace", "wrong shape":
				if !strings.Contains(s.Recovered, "Nothing could be recovered") {
					t.Errorf("%s: %+v", name, s)
				}
			case "no accounts", "no steps":
				if !strings.Contains(s.Recovered, "rebuilt from the journal") || s.Done == 0 || s.Total == 0 || s.Title == "" {
					t.Errorf("%s: %+v", name, s)
				}
			}

			// A new incident goes beside it; the damaged file is untouched.
			e, _, h := newDrill(t, state)
			if h.Dir == dir {
				t.Fatal("a new incident reused the damaged folder")
			}
			if err := e.Save(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mustRead(t, p), bad) {
				t.Fatal("the damaged state.json changed")
			}
			list, _ = st.List()
			if len(list) != 2 || !list[0].OK() || list[1].ID != id {
				t.Errorf("want the usable incident first, then the damaged one: %+v", list)
			}
		})
	}
}

// Item 6: a folder whose state.json is missing is listed, not dropped.
func TestStateMissingStateListed(t *testing.T) {
	state, dir := newIncident(t)
	os.Remove(filepath.Join(dir, checklist.StateFile))
	list, err := (&checklist.Store{Dir: state}).List()
	if err != nil || len(list) != 1 || list[0].State != checklist.StateDamaged || !strings.Contains(list[0].Problem, "missing") {
		t.Fatalf("%+v, %v", list, err)
	}
}
