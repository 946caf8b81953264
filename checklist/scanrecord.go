package checklist

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"reclaim/provider"
)

// ScanRecord is one leak scan of the Investigate step: when it ran, each
// root with what was read from it, and how it ended.
type ScanRecord struct {
	At       time.Time  `json:"at"`
	Roots    []ScanRoot `json:"roots"`
	Findings int        `json:"findings"`
	// Partial is set when the scan was cancelled or stopped early, or when
	// some of its roots could not be read.
	Partial bool `json:"partial,omitempty"`
	// Failed is set when the scan proves nothing (no root could be read,
	// nothing was read at all, or it was stopped before finding anything):
	// Engine.Scan returned an error and journaled "failed".
	Failed bool `json:"failed,omitempty"`
	// Error says what went wrong when Failed or Partial: "nothing was
	// read: /srv/www: no such file or folder", "1 of 2 roots unreadable:
	// /srv/old: no such file or folder", "cancelled before the end".
	Error string `json:"error,omitempty"`
	// Incomplete says what the scan left out when it ran to its end but
	// not everything was read or listed (an archive nested too deep, a
	// decompression bomb, a corrupt repository, files cut at the cap): the
	// result is no all-clear, and the "scan-incomplete" finding says so.
	Incomplete string `json:"incomplete,omitempty"`
}

// ScanRoot is one folder (or file) a scan was asked to read.
type ScanRoot struct {
	Path string `json:"path"`
	// Target is where a root that is a symbolic link points.
	Target string `json:"target,omitempty"`
	Files  int64  `json:"files"`
	Bytes  int64  `json:"bytes"`
	// Skipped counts files left unread by choice (binary, too big).
	Skipped int64 `json:"skipped,omitempty"`
	// Unreadable counts files and folders under it that could not be read.
	Unreadable int64 `json:"unreadable,omitempty"`
	// Error says why nothing was read from it ("no such file or folder",
	// "permission denied", "holds no readable file", …).
	Error string `json:"error,omitempty"`
}

// Failed reports whether nothing could be read from the root.
func (r ScanRoot) Failed() bool { return r.Error != "" }

// String is "/srv/www (412 files, 3.1 MB)", "/srv/site -> /data/site (…)"
// for a link, "/srv/old (no such file or folder)" when nothing was read.
func (r ScanRoot) String() string {
	p := r.name()
	if r.Error != "" {
		return p + " (" + r.Error + ")"
	}
	s := fmt.Sprintf("%s (%s, %s", p, scanCount(r.Files, "file"), scanBytes(r.Bytes))
	if r.Unreadable > 0 {
		s += fmt.Sprintf(", %d unreadable", r.Unreadable)
	}
	return s + ")"
}

func (r ScanRoot) name() string {
	if r.Target != "" {
		return r.Path + " -> " + r.Target
	}
	return r.Path
}

// scanBytes is a size in decimal units: "512 B", "3.1 MB", "88 MB".
func scanBytes(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	units := []string{"kB", "MB", "GB", "TB", "PB"}
	u := -1
	for f >= 1000 && u < len(units)-1 {
		f /= 1000
		u++
	}
	if f >= 9.95 {
		return fmt.Sprintf("%.0f %s", f, units[u])
	}
	return fmt.Sprintf("%.1f %s", f, units[u])
}

func scanCount(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// ScanError is the error of a scan that proves nothing; the Record says
// what each root gave.
type ScanError struct {
	Msg    string
	Record ScanRecord
	Err    error // the scanner's own error (e.g. context.Canceled), if any
}

func (e *ScanError) Error() string { return e.Msg }
func (e *ScanError) Unwrap() error { return e.Err }

// scanOutcome judges a finished scan for Engine.Scan: the record to keep,
// the journal detail, and an error when the scan proves nothing (no root
// read, nothing read at all, or cancelled before finding anything). roots
// is what the report says it read from each root (scanRoots; nil when it
// does not say), given the roots Scan was asked for (used then); nFindings
// is the findings it gave, nKeyIDs the distinct key ids its detectors read
// from leaked credentials.
func scanOutcome(roots []ScanRoot, given []string, nFindings, nKeyIDs int, scanErr error) (ScanRecord, string, error) {
	known := len(roots) > 0
	if !known {
		for _, p := range given {
			roots = append(roots, ScanRoot{Path: p})
		}
	}
	rec := ScanRecord{Roots: roots, Findings: nFindings}
	var files int64
	var failed []ScanRoot
	for _, r := range roots {
		files += r.Files
		if r.Failed() {
			failed = append(failed, r)
		}
	}
	stopped := ""
	switch {
	case scanErr == nil:
	case errors.Is(scanErr, context.Canceled):
		stopped = "cancelled"
	case errors.Is(scanErr, context.DeadlineExceeded):
		stopped = "timed out"
	default:
		stopped = "stopped: " + provider.Sanitize(scanErr.Error())
	}
	fail := func(msg string) (ScanRecord, string, error) {
		msg = provider.Sanitize(msg)
		rec.Error, rec.Failed, rec.Partial = msg, true, stopped != "" || len(failed) > 0
		return rec, msg, &ScanError{Msg: msg, Record: rec, Err: scanErr}
	}
	if known && (files == 0 || len(failed) == len(roots)) && nFindings == 0 {
		if len(failed) == 0 && stopped != "" {
			return fail("scan " + stopped + " before any file was read")
		}
		var parts []string
		for _, r := range roots {
			switch {
			case r.Failed():
				parts = append(parts, r.name()+": "+r.Error)
			case stopped != "":
				parts = append(parts, r.name()+": not reached ("+stopped+")")
			default:
				parts = append(parts, r.name()+": nothing read")
			}
		}
		return fail("nothing was read: " + strings.Join(parts, "; "))
	}
	if !known && scanErr != nil && nFindings == 0 {
		return fail("scan " + stopped + ": " + strings.Join(given, ", "))
	}
	names := make([]string, len(roots))
	for i, r := range roots {
		names[i] = r.String()
		if !known {
			names[i] = r.Path
		}
	}
	detail := fmt.Sprintf("scanned %s: %s", strings.Join(names, ", "), scanCount(int64(nFindings), "finding"))
	if nKeyIDs > 0 {
		detail += ", " + scanCount(int64(nKeyIDs), "leaked key id")
	}
	var why []string
	if len(failed) > 0 {
		rec.Partial = true
		detail += fmt.Sprintf("; partial: %d of %d roots unreadable", len(failed), len(roots))
		var parts []string
		for _, r := range failed {
			parts = append(parts, r.name()+": "+r.Error)
		}
		why = append(why, fmt.Sprintf("%d of %d roots unreadable: %s", len(failed), len(roots), strings.Join(parts, "; ")))
	}
	if stopped != "" {
		rec.Partial = true
		why = append(why, stopped+" before the end")
	}
	rec.Error = provider.Sanitize(strings.Join(why, "; "))
	if stopped != "" {
		if nFindings == 0 {
			// a scan stopped early that found nothing proves nothing
			return fail(detail + "; " + stopped + " before the end: no result")
		}
		detail += "; partial: " + stopped + " before the end"
	}
	return rec, provider.Sanitize(detail), nil
}
