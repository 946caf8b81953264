package checklist

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"reclaim/provider"
)

// HTML renders the report as one self-contained page (no external assets,
// no script) that prints cleanly. Every value is escaped by html/template.
func (r *Report) HTML() ([]byte, error) {
	for len(r.Summary) < 2 {
		r.Summary = append(r.Summary, "")
	}
	var b bytes.Buffer
	if err := reportTmpl.Execute(&b, r); err != nil {
		return nil, err
	}
	body := []byte(ScrubSecrets(b.String()))
	seal := r.seal(digestOf(body))
	return append(body, []byte("<!-- "+seal.Line()+" -->\n")...), nil
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"s":        provider.Sanitize,
	"utc":      utc,
	"utcOr":    utcOr,
	"status":   stepStatus,
	"state":    findingState,
	"newKey":   newKeyLine,
	"orBlank":  orBlank,
	"rows":     inventoryRows,
	"stepTag":  stepTag,
	"zeroTime": func(t time.Time) bool { return t.IsZero() },
	"claims":   claimsHTML,
	"journal":  journalHTML,
	"isLeak":   isLeakFinding,
	"bytes":    HumanBytes,
	"first10": func(sc []SubjectCount) []SubjectCount {
		if len(sc) > 10 {
			return sc[:10]
		}
		return sc
	},
}).Parse(reportHTML))

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="reclaim">
<title>{{s .Title}} — {{.Incident}}</title>
<style>
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; background: #fff; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
code, .mono { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .9em; word-break: break-all; }
.drill { border: 2px solid #b00; color: #b00; padding: .3rem .6rem; display: inline-block; font-weight: bold; }
.meta li, ul.plain { list-style: none; padding-left: 0; }
.sev-high { font-weight: bold; }
.open { color: #900; }
.resolved { color: #060; }
footer { margin-top: 2rem; border-top: 1px solid #ccc; padding-top: .5rem; font-size: .85em; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; }
  tr, li { break-inside: avoid; }
  th { background: none; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<header>
{{if .DryRun}}<p class="drill">DRY RUN — nothing was changed on the account; this report cannot be sent to support</p>{{end}}
{{if .Drill}}<p class="drill">DRILL — simulated account, not a real incident</p>{{end}}
<h1>{{if .Drill}}Drill account recovery report{{else}}Account recovery report{{end}}</h1>
<ul class="meta">
<li>Incident: <code>{{.Incident}}</code> — {{s .Title}}</li>
<li>Provider: {{s .Provider}}</li>
{{if .Account}}<li>Account: {{s .Account}}</li>{{end}}
{{if .Baseline}}<li>Baseline: {{s .Baseline.Line}}</li>{{end}}
<li>Opened: {{utc .Opened}}</li>
{{if not (zeroTime .Closed)}}<li>Closed: {{utc .Closed}}</li>{{end}}
{{if not (zeroTime .GoneThrough)}}<li>Gone through: {{utc .GoneThrough}}, with {{len .OpenItems}} open items; not closed</li>{{end}}
<li>Report generated: {{utc .Generated}}</li>
</ul>
</header>

<h2>Summary for support</h2>
<p>Each line says how it is known: <b>verified</b> (reclaim read it back from the provider), <b>attested</b> (the owner said so), {{with .Baseline}}{{if not .Refused}}<b>known at baseline</b> (unchanged since the owner's snapshot of the healthy account: whose it is, not read back), {{end}}{{end}}<b>open</b>, <b>skipped</b> or <b>n/a</b>.</p>
<table><tr><th>What {{s .Provider}} asks for</th><th>Evidence</th><th>When (UTC)</th></tr>
{{range .SupportChecklist}}<tr><td>{{s .Item}}</td><td>{{s .Status}}</td><td class="mono">{{utcOr .At ""}}</td></tr>
{{end}}</table>
<p>{{s (index .Summary 0)}}</p>
<h3>Open items</h3>
{{if .OpenItems}}<ul class="plain">{{range .OpenItems}}<li>☐ {{s .}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}

<h2>What happened and how it was detected</h2>
<ul>{{range .WhatHappened}}<li>{{s .}}</li>{{end}}<li>{{s (index .Summary 1)}}</li></ul>

<h2>Root cause</h2>
<p>{{if .RootCause}}{{s .RootCause}}{{else}}Not established yet.{{end}}</p>
{{if .Investigation}}<p>{{if .Autopilot}}The autopilot's answers to the investigation (the drill's script, not a person's):{{else}}The owner's answers to the investigation:{{end}}</p>
<table><tr><th>Question</th><th>Answer</th></tr>
{{range .Investigation}}<tr><td>{{s .Question}}</td><td>{{s .Answer}}</td></tr>
{{end}}</table>{{end}}
{{if .Notes}}<p>Notes: {{s .Notes}}</p>{{end}}

{{claims .Claims}}

<h2>Old credentials: revoked and confirmed dead</h2>
{{if or .Revoked .ConfirmedDead}}<ul>
{{range .Revoked}}<li>Revoked {{utc .At}}: {{s .Detail}}</li>
{{end}}{{range .ConfirmedDead}}<li>{{utc .At}} {{s .Action}}: {{s .Detail}} ({{s .Outcome}})</li>
{{end}}{{if and .Revoked (not .ConfirmedDead)}}<li>Not yet confirmed that the old keys fail.</li>{{end}}
</ul>{{else}}<p>None recorded.</p>{{end}}

<h2>Leak investigation (redacted)</h2>
{{if .Scans}}<ul>{{range .Scans}}<li>Scan at {{utc .At}}{{if .Partial}} (PARTIAL){{end}}, {{.Findings}} findings:<ul>{{range .Roots}}<li>{{s .Path}}{{if .Target}} (a link to {{s .Target}}){{end}}: {{.Files}} files, {{bytes .Bytes}} read{{if .Error}}; {{s .Error}}{{end}}</li>{{end}}</ul></li>{{end}}</ul>{{else}}<p>No file scan was recorded.</p>{{end}}
{{if .LeakFindings}}<ul>{{range .LeakFindings}}<li class="sev-{{.Severity}}">[{{.Severity}}] {{s .Title}} — <span class="{{state .}}">{{state .}}</span> (evidence: {{s .Evidence}})</li>
{{end}}</ul>{{end}}

<h2>Account findings</h2>
<ul>{{range .Findings}}{{if not (isLeak .)}}<li class="sev-{{.Severity}}">[{{.Severity}}] {{s .Title}} — <span class="{{state .}}">{{state .}}</span> (evidence: {{s .Evidence}})</li>
{{end}}{{end}}</ul>
{{with .Baseline}}{{if .Known}}<h2>Known at baseline</h2>
<p>Unchanged since the baseline <code>{{s .ID}}</code> of {{utc .TakenAt}} (evidence: <b>known at baseline</b>). That says the object was there when the account was healthy, so it is the owner's, not that it is safe: what else was found on it is named.</p>
<ul>{{range .KnownLines}}<li>{{s .}}</li>{{end}}</ul>{{end}}{{end}}

{{if .NewKeys}}<h2>Replacement keys</h2>
<ul>{{range .NewKeys}}<li>{{s (newKey .)}}</li>{{end}}</ul>{{end}}

<h2>Inventory before and after</h2>
{{with rows .Before .After}}<table><tr><th></th><th>Before</th><th>After</th></tr>
{{range .}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td><td>{{index . 2}}</td></tr>
{{end}}</table>{{else}}<p>No inventory was taken.</p>{{end}}
{{if .Incomplete}}<ul>{{range .Incomplete}}<li class="open">{{s .}}</li>{{end}}</ul>{{end}}
{{with .Before}}{{with .Mail}}<p>Mail in the last 30 days: {{.Total}} messages. Most frequent subjects:</p>
<ul>{{range first10 .Subjects}}<li>{{.Count}} × {{s .Subject}} (from {{s .From}})</li>{{end}}</ul>{{end}}{{end}}

<h2>Preventive measures</h2>
{{if .Preventive}}<ul>{{range .Preventive}}<li>{{s .}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}

<h2>Support</h2>
<p>{{s .SupportLine}}</p>

<h2>Sign-off</h2>
<table><tr><th>Name</th><td>{{s (orBlank .SignOff.Name)}}</td></tr>
<tr><th>Role</th><td>{{s (orBlank .SignOff.Role)}}</td></tr>
<tr><th>Signed (UTC)</th><td>{{utcOr .SignOff.At "—"}}</td></tr></table>

{{journal .Timeline}}

<footer>
<p>Journal chain hash: <code>{{.JournalHash}}</code> ({{.JournalEntries}} entries). Check this report against the incident's journal with <code>reclaim report verify FILE</code>. It proves the report matches the journal in the incident folder; the chain uses no secret, so whoever can write that folder can rewrite both. Only a signature (reclaim report --sign) ties the report to the owner's key.</p>
</footer>
</body>
</html>
`

// claimsHTML renders the step claims (re-derived by report verify).
func claimsHTML(cs []Claim) template.HTML {
	var b strings.Builder
	b.WriteString("<h2>Steps and their evidence</h2>\n<table><tr><th>Phase</th><th>Step</th><th>Evidence</th><th>Statement</th><th>Recorded (UTC)</th></tr>\n")
	for _, c := range cs {
		ref := ""
		if c.Seq > 0 {
			ref = fmt.Sprintf("%s (#%d)", utc(c.At), c.Seq)
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"mono\">%s</td></tr>\n", esc(string(c.Phase)), esc(c.Title), esc(string(c.Level)), esc(c.Statement), ref)
	}
	fmt.Fprintf(&b, "</table>\n<p>%s.</p>\n", esc(LevelCounts(cs)))
	return template.HTML(b.String())
}

// journalHTML renders the journal appendix (re-derived by report verify).
func journalHTML(js []JournalEntry) template.HTML {
	var b strings.Builder
	b.WriteString("<h2>Journal (UTC)</h2>\n<table><tr><th>#</th><th>Time (UTC)</th><th>Step</th><th>Action</th><th>Outcome</th><th>Detail</th></tr>\n")
	for _, j := range js {
		fmt.Fprintf(&b, "<tr><td>%d</td><td class=\"mono\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", j.Seq, utc(j.At), esc(string(j.Step)), esc(j.Action), esc(j.Outcome), esc(j.Detail))
	}
	b.WriteString("</table>\n")
	return template.HTML(b.String())
}

func esc(s string) string { return html.EscapeString(provider.Sanitize(s)) }
