package checklist

// The report's mail envelope: what checklist/filing needs from a Report,
// kept here so the filing package does not import checklist (it takes a
// filing.Report, which *Report satisfies).

// MailSubject is the subject line of a message carrying the report.
func (r *Report) MailSubject() string {
	s := "Account recovery report"
	if r.Account != "" {
		s += " for " + r.Account
	}
	s += " (" + r.Provider + ", incident " + r.Incident + ")"
	if r.Drill {
		s = "[DRILL] " + s
	}
	return s
}

// AttachmentName is the file name of the report's JSON attachment.
func (r *Report) AttachmentName() string { return "reclaim-report-" + r.Incident + ".json" }

// IncidentID is the incident the report covers.
func (r *Report) IncidentID() string { return r.Incident }

// JournalHead is the hash of the last journal entry the report covers.
func (r *Report) JournalHead() string { return r.JournalHash }
