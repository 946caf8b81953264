package leakscan

// How findings with the locations of issue 16 (git history, archive
// members, container image layers, encodings) read in the text, JSON and
// SARIF outputs, and what the history scan adds to a report's summary.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
)

// InHistory reports whether f was found in a repository's history (not in
// a file on disk).
func (f *Finding) InHistory() bool { return f.Commit != "" || f.Blob != "" || f.Ref != "" }

// Severity is "critical" for a key in the history of a repository whose
// origin is on a public code host (anyone may have a copy), else "high".
func (f *Finding) Severity() string {
	if f.Public && f.InHistory() {
		return "critical"
	}
	return "high"
}

// PublicAdvice is what a key in the history of a repository whose origin
// is on a public code host calls for (reclaim cannot see whether the
// repository itself is public: it says so).
const PublicAdvice = "The repository's origin is on a public code host (GitHub, GitLab or Bitbucket): unless the repository has always been private, treat the key as public (clones, forks, caches and secret scanners have it). Rewriting the history does not un-leak it: revoke it."

// Where is where f was found, for people (not sanitized: pass it through
// provider.Sanitize before a terminal):
//
//	/srv/app/.env:12
//	/srv/backup.zip!/site.tar.gz!/wp-config.php:12        (an archive member: Place)
//	/srv/repo@1a2b3c4d5e6f:config/mail.php:3              (git history: commit, path)
//	/srv/repo@1a2b3c4d5e6f:(commit message):2
//	/srv/repo (blob 9f8e7d6c5b4a, in no commit):1
//
// An image layer is said apart (findingText: "[image layer …]").
func Where(f Finding) string {
	var b strings.Builder
	b.WriteString(f.Place())
	switch {
	case f.Commit != "":
		b.WriteString("@" + shortID(f.Commit) + ":" + f.Path)
	case f.Blob != "" && f.Path != "":
		b.WriteString(" (" + f.Path + " " + shortID(f.Blob) + ")")
	case f.Blob != "":
		b.WriteString(" (blob " + shortID(f.Blob) + ", in no commit)")
	}
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d", f.Line)
	}
	return b.String()
}

// historyNote says when and through what a history finding was committed,
// and whether HEAD still holds it: "2021-03-04, refs/heads/main, no longer
// in HEAD" (the encoding is said apart: findingText, sarifFindingMessage).
func historyNote(f Finding) string {
	var parts []string
	if !f.AuthorDate.IsZero() {
		parts = append(parts, f.AuthorDate.Format("2006-01-02"))
	}
	if f.Ref != "" {
		parts = append(parts, f.Ref)
	}
	if f.InHead != nil {
		if *f.InHead {
			parts = append(parts, "still in HEAD")
		} else {
			parts = append(parts, "no longer in HEAD")
		}
	}
	return strings.Join(parts, ", ")
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// compareLocation orders findings at the same file, line and kind.
func compareLocation(a, b Finding) int {
	for _, c := range [][2]string{{a.Member, b.Member}, {a.Layer, b.Layer}, {a.Path, b.Path}, {a.Commit, b.Commit}, {a.Blob, b.Blob}, {a.Fingerprint, b.Fingerprint}} {
		if x := strings.Compare(c[0], c[1]); x != 0 {
			return x
		}
	}
	return 0
}

// locationHash identifies where a finding is, stably across runs (not the
// line, which moves as a file is edited, nor the commit): the file, the
// archive member, the layer, the path in a repository.
func locationHash(f Finding) string {
	sum := sha256.Sum256([]byte(f.File + "\x00" + f.Member + "\x00" + f.Layer + "\x00" + f.Path))
	return hex.EncodeToString(sum[:16])
}

// findingText is a finding's line in the text report.
func findingText(f Finding) string {
	extra := ""
	if f.KeyID != "" {
		extra += " key id " + san(f.KeyID)
	}
	if f.Pair != "" && f.PairRedacted != "" {
		extra += fmt.Sprintf(" (pairs with %s %s)", san(f.Pair), san(f.PairRedacted))
	}
	if f.Count > 1 {
		extra += fmt.Sprintf(" (%d times in this file)", f.Count)
	}
	if f.Encoding != "" {
		extra += " (encoded: " + san(f.Encoding) + ")"
	}
	if f.InWebRoot {
		extra += " [in a web root]"
	}
	if f.Layer != "" {
		extra += " [image layer " + san(f.Layer) + "]"
	}
	if n := historyNote(f); n != "" {
		extra += " (" + san(n) + ")"
	}
	if f.Public && f.InHistory() {
		extra += " [PUBLIC remote]"
	}
	return fmt.Sprintf("  %s  %s %s  %s  %s%s", san(Where(f)), san(displayName(f.Provider)), san(f.Kind), san(f.Redacted), short(f.Fingerprint), extra)
}

// repoLines are the history scan's summary lines for the text report.
func (r *Report) repoLines() []string {
	var out []string
	for _, s := range r.Repos {
		out = append(out, s.Summary())
		for _, n := range s.Notes {
			out = append(out, "  "+san(n))
		}
	}
	return out
}

// publicNote is said once under the findings when some come from a public
// repository's history.
func (r *Report) publicNote() string {
	for i := range r.Findings {
		if f := &r.Findings[i]; f.Public && f.InHistory() {
			return PublicAdvice
		}
	}
	return ""
}

// repoIncomplete are the history scan's reasons for an incomplete result.
func (r *Report) repoIncomplete() []string {
	var out []string
	for _, s := range r.Repos {
		out = append(out, s.incomplete()...)
	}
	return out
}

// sarifWhere is a finding's SARIF location: the file on disk (the
// archive, the image, or the file's place in the repository's work tree
// for a history finding), with a line only when it is a line of that file;
// properties carry the rest.
func sarifWhere(f Finding) (uri string, line int, props map[string]any) {
	props = map[string]any{}
	set := func(k, v string) {
		if v != "" {
			props[k] = v
		}
	}
	set("member", f.Member)
	set("layer", f.Layer)
	set("encoding", f.Encoding)
	uri, line = fileURI(f.File), f.Line
	if f.InHistory() {
		set("repository", f.File)
		set("commit", f.Commit)
		set("blob", f.Blob)
		set("path", f.Path)
		set("ref", f.Ref)
		if !f.AuthorDate.IsZero() {
			props["authorDate"] = f.AuthorDate.Format("2006-01-02T15:04:05Z07:00")
		}
		if f.InHead != nil {
			props["inHead"] = *f.InHead
		}
		if f.Path != "" && !strings.HasPrefix(f.Path, "(") {
			uri = fileURI(filepath.Join(f.File, filepath.FromSlash(f.Path)))
		}
		props["lineInCommit"] = f.Line
		line = 0
	}
	if f.Member != "" || f.Layer != "" {
		props["lineInMember"] = f.Line
		line = 0
	}
	if f.Public {
		props["public"] = true
	}
	props["severity"] = f.Severity()
	return uri, line, props
}

// sarifFindingMessage is a finding's SARIF message.
func sarifFindingMessage(f Finding) string {
	msg := fmt.Sprintf("%s %s %s exposed", displayName(f.Provider), f.Kind, f.Redacted)
	if f.KeyID != "" {
		msg += " (key id " + f.KeyID + ")"
	}
	if f.Member != "" || f.Layer != "" || f.InHistory() {
		msg += " in " + Where(f)
	}
	if n := historyNote(f); n != "" {
		msg += " (" + n + ")"
	}
	if f.Encoding != "" {
		msg += " (" + f.Encoding + "-encoded)"
	}
	if f.Public && f.InHistory() {
		msg += ". " + PublicAdvice
	}
	return msg
}
