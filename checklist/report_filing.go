package checklist

import (
	"errors"
	"fmt"
	"strings"

	"reclaim/provider"
)

// Filing channels.
const (
	FiledByEmail   = "email"
	FiledInConsole = "console"
	// FiledByCopy: the report was copied for pasting into a ticket.
	FiledByCopy = "copy"
)

// Filing is one attempt to hand the report to support.
type Filing struct {
	// Channel is FiledByEmail or FiledInConsole.
	Channel string
	// To is the address the report was mailed to, or the support URL the
	// user filed it at.
	To string
	// MessageID is the sent message's Message-ID (email only).
	MessageID string
	// Ticket is the support ticket's id or URL (console filing; required).
	Ticket string
	// Report is the report that was filed (its journal head is recorded).
	Report *Report
	// Err is set for a failed attempt; it is journaled as failed.
	Err error
}

// Journal actions for filing.
const (
	ActionSendReport = "send report"
	ActionFileReport = "file report"
	ActionCopyReport = "copy report"
)

// RecordFiling journals a filing of the report and saves: a send by email
// with its Message-ID, a failed send with the reason, or the user's word
// that they filed it in the provider's console.
func (e *Engine) RecordFiling(f Filing) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	action, outcome := ActionSendReport, "ok"
	var detail string
	if e.inc.DryRun || e.DryRun {
		return errors.New("this incident is a DRY RUN: nothing was changed on the account, so its report cannot be filed with support")
	}
	switch f.Channel {
	case FiledInConsole:
		action = ActionFileReport
		if strings.TrimSpace(f.Ticket) == "" {
			return errors.New("give the ticket id or URL support gave you: a filing is recorded with it")
		}
		detail = "filed with " + e.prov.Info().Name + " support as ticket " + provider.SanitizeN(strings.TrimSpace(f.Ticket), 200)
		if f.To != "" {
			detail += " at " + f.To
		}
	case FiledByCopy:
		action = ActionCopyReport
		detail = "report copied to the clipboard (OSC 52) for the support ticket"
	default:
		detail = "report emailed to " + f.To
		if f.MessageID != "" {
			detail += "; Message-ID " + f.MessageID
		}
	}
	if f.Report != nil {
		detail += fmt.Sprintf("; report covers %d journal entries, head %s", f.Report.JournalEntries, shortHex(f.Report.JournalHash))
		if d, err := f.Report.Digests(); err == nil {
			detail += "; " + d
		}
	}
	if f.Err != nil {
		outcome = "failed"
		detail += ": " + strings.TrimSpace(f.Err.Error())
	}
	e.journalLocked(StepReport, action, "support", outcome, provider.SanitizeN(detail, 1200))
	return e.saveLocked()
}

// Filed reports whether the journal records a filing of the report (a send,
// a console filing or a copy).
func (inc *Incident) Filed() bool {
	if inc == nil {
		return false
	}
	for _, j := range inc.Journal {
		if j.Step == StepReport && j.Outcome == "ok" && (j.Action == ActionSendReport || j.Action == ActionFileReport || j.Action == ActionCopyReport) {
			return true
		}
	}
	return false
}
