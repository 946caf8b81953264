package checklist

// What the Investigate step's leak scan reads besides the files of its
// folders (issue 16): the git history of the repositories found under
// them, and the inside of archives, compressed logs and container images.

import "strings"

// ScanScope is what a leak scan reads besides files.
type ScanScope struct {
	History  bool // git histories of repositories under the folders
	Archives bool // archives, compressed logs, container images
}

// Values of the scan step's "include" question.
const (
	ScanIncludeHistory  = "history"
	ScanIncludeArchives = "archives"
)

// scanIncludeQuestion asks what the scan reads besides files; both are
// ticked at first.
func scanIncludeQuestion() Question {
	return Question{
		ID: "include", Prompt: "Also read", Kind: QMulti, Default: ScanIncludeHistory + "," + ScanIncludeArchives,
		Help: "A key deleted from a file still lives in the git history of each repository in these folders, even in commits no branch reaches. Backups, rotated logs and saved container images are read without extracting them.",
		// labels short enough to be drawn whole at 70 columns
		Options: []Option{
			{ScanIncludeHistory, "git history: every commit, branch and stash, deleted too"},
			{ScanIncludeArchives, "inside archives: backup.zip, access.log.2.gz, images"},
		},
	}
}

// ScanScopeOf reads the scan step's answers: what was ticked, or both when
// the question was not asked (an older form, a script).
func ScanScopeOf(answers map[string]string) ScanScope {
	v, ok := answers["include"]
	if !ok {
		return ScanScope{History: true, Archives: true}
	}
	var s ScanScope
	for _, x := range strings.Split(v, ",") {
		switch strings.TrimSpace(x) {
		case ScanIncludeHistory:
			s.History = true
		case ScanIncludeArchives:
			s.Archives = true
		}
	}
	return s
}

// ScopeSetter is a LeakScanner whose scope can be set (leakscan's
// Adapter).
type ScopeSetter interface {
	SetScope(history, archives bool)
}

// SetScanScope sets what the next Scan reads besides files (a scanner
// that cannot widen its scan reads files only).
func (e *Engine) SetScanScope(s ScanScope) {
	if ss, ok := e.Scanner.(ScopeSetter); ok {
		ss.SetScope(s.History, s.Archives)
	}
}
