package checklist

import (
	"fmt"
	"strings"

	"reclaim/provider"
)

// Filing channels.
const (
	FiledByEmail   = "email"
	FiledInConsole = "console"
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
	// Report is the report that was filed (its journal head is recorded).
	Report *Report
	// Err is set for a failed attempt; it is journaled as failed.
	Err error
}

// Journal actions for filing.
const (
	ActionSendReport = "send report"
	ActionFileReport = "file report"
)

// RecordFiling journals a filing of the report and saves: a send by email
// with its Message-ID, a failed send with the reason, or the user's word
// that they filed it in the provider's console.
func (e *Engine) RecordFiling(f Filing) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	action, outcome := ActionSendReport, "ok"
	var detail string
	switch f.Channel {
	case FiledInConsole:
		action = ActionFileReport
		detail = "the user filed the completion report with " + e.prov.Info().Name + " support"
		if f.To != "" {
			detail += " at " + f.To
		}
	default:
		detail = "report emailed to " + f.To
		if f.MessageID != "" {
			detail += "; Message-ID " + f.MessageID
		}
	}
	if f.Report != nil {
		detail += fmt.Sprintf("; report covers %d journal entries, head %s", f.Report.JournalEntries, shortHex(f.Report.JournalHash))
	}
	if f.Err != nil {
		outcome = "failed"
		detail += ": " + strings.TrimSpace(f.Err.Error())
	}
	e.journalLocked(StepReport, action, "support", outcome, provider.SanitizeN(detail, 600))
	return e.saveLocked()
}
