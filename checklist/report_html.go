package checklist

import (
	"bytes"
	"html/template"
	"time"

	"reclaim/provider"
)

// HTML renders the report as one self-contained page (no external assets,
// no script) that prints cleanly. Every value is escaped by html/template.
func (r *Report) HTML() ([]byte, error) {
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
{{if .Drill}}<p class="drill">DRILL — simulated account, not a real incident</p>{{end}}
<h1>{{if .Drill}}Drill account recovery report{{else}}Account recovery report{{end}}</h1>
<ul class="meta">
<li>Incident: <code>{{.Incident}}</code> — {{s .Title}}</li>
<li>Provider: {{s .Provider}}</li>
{{if .Account}}<li>Account: {{s .Account}}</li>{{end}}
<li>Opened: {{utc .Opened}}</li>
{{if not (zeroTime .Closed)}}<li>Closed: {{utc .Closed}}</li>{{end}}
<li>Report generated: {{utc .Generated}}</li>
</ul>
</header>

<h2>What happened and how it was detected</h2>
<ul>{{range .WhatHappened}}<li>{{s .}}</li>{{end}}{{range .Summary}}<li>{{s .}}</li>{{end}}</ul>

<h2>Root cause</h2>
<p>{{if .RootCause}}{{s .RootCause}}{{else}}Not established yet.{{end}}</p>
{{if .Investigation}}<p>Investigation findings:</p>
<table><tr><th>Question</th><th>Answer</th></tr>
{{range .Investigation}}<tr><td>{{s .Question}}</td><td>{{s .Answer}}</td></tr>
{{end}}</table>{{end}}
{{if .Notes}}<p>Notes: {{s .Notes}}</p>{{end}}

{{if .SupportChecklist}}<h2>{{s .Provider}}'s checklist</h2>
<table><tr><th>What {{s .Provider}} asks for</th><th>Status</th></tr>
{{range .SupportChecklist}}<tr><td>{{s .Item}}</td><td>{{s .Status}}</td></tr>
{{end}}</table>{{end}}

<h2>Steps</h2>
<table><tr><th>Phase</th><th>Step</th><th>How</th><th>Status</th><th>Finished (UTC)</th></tr>
{{range .Steps}}<tr><td>{{.Phase}}</td><td>{{s .Title}}</td><td>{{.Mode}}</td><td>{{s (status .)}}</td><td>{{utcOr .Finished ""}}</td></tr>
{{end}}</table>

<h2>Actions taken (UTC)</h2>
{{if .Actions}}<table><tr><th>Time (UTC)</th><th>Action</th><th>Detail</th><th>Outcome</th></tr>
{{range .Actions}}<tr><td class="mono">{{utc .At}}</td><td>{{s .Action}}</td><td>{{s .Detail}}</td><td>{{s .Outcome}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>Old credentials: revoked and confirmed dead</h2>
{{if or .Revoked .ConfirmedDead}}<ul>
{{range .Revoked}}<li>Revoked {{utc .At}}: {{s .Detail}}</li>
{{end}}{{range .ConfirmedDead}}<li>{{utc .At}} {{s .Action}}: {{s .Detail}} ({{s .Outcome}})</li>
{{end}}{{if and .Revoked (not .ConfirmedDead)}}<li>Not yet confirmed that the old keys fail.</li>{{end}}
</ul>{{else}}<p>None recorded.</p>{{end}}

<h2>Leak findings (redacted)</h2>
{{if .LeakFindings}}<ul>{{range .LeakFindings}}<li class="sev-{{.Severity}}">[{{.Severity}}] {{s .Title}} — <span class="{{state .}}">{{state .}}</span> (evidence: {{s .Evidence}})</li>
{{end}}</ul>{{else}}<p>None.</p>{{end}}

<h2>All findings</h2>
{{if .Findings}}<ul>{{range .Findings}}<li class="sev-{{.Severity}}">[{{.Severity}}] {{s .Title}} — <span class="{{state .}}">{{state .}}</span> (evidence: {{s .Evidence}})</li>
{{end}}</ul>{{else}}<p>None.</p>{{end}}

{{if .NewKeys}}<h2>Replacement keys</h2>
<ul>{{range .NewKeys}}<li>{{s (newKey .)}}</li>{{end}}</ul>{{end}}

<h2>Inventory before and after</h2>
{{with rows .Before .After}}<table><tr><th></th><th>Before</th><th>After</th></tr>
{{range .}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td><td>{{index . 2}}</td></tr>
{{end}}</table>{{else}}<p>No inventory was taken.</p>{{end}}
{{with .Before}}{{with .Mail}}<p>Mail in the last 30 days: {{.Total}} messages. Most frequent subjects:</p>
<ul>{{range first10 .Subjects}}<li>{{.Count}} × {{s .Subject}} (from {{s .From}})</li>{{end}}</ul>{{end}}{{end}}

<h2>Preventive measures</h2>
{{if .Preventive}}<ul>{{range .Preventive}}<li>{{s .}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}

<h2>Open follow-ups</h2>
{{if .FollowUps}}<ul class="plain">{{range .FollowUps}}<li>☐ {{s .}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}

<h2>Support</h2>
<p>{{s .SupportLine}}</p>

<h2>Sign-off</h2>
<table><tr><th>Name</th><td>{{s (orBlank .SignOff.Name)}}</td></tr>
<tr><th>Role</th><td>{{s (orBlank .SignOff.Role)}}</td></tr>
<tr><th>Signed (UTC)</th><td>{{utcOr .SignOff.At "—"}}</td></tr></table>

<h2>Timeline (UTC)</h2>
<table><tr><th>#</th><th>Time (UTC)</th><th>Step</th><th>Action</th><th>Outcome</th><th>Detail</th></tr>
{{range .Timeline}}<tr><td>{{.Seq}}</td><td class="mono">{{utc .At}}</td><td>{{.Step}}</td><td>{{s .Action}}</td><td>{{s .Outcome}}</td><td>{{s .Detail}}</td></tr>
{{end}}</table>

<footer>
<p>Journal chain hash: <code>{{.JournalHash}}</code> ({{.JournalEntries}} entries). Check this report against the incident's journal with <code>reclaim report verify FILE</code>.</p>
</footer>
</body>
</html>
`
