package filing_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/checklist/filing"
	"reclaim/checklist/filing/mailpittest"
	"reclaim/provider/drill"
)

// drillReport runs the drill to its end and returns its report.
func drillReport(t *testing.T) (*checklist.Engine, *checklist.Report) {
	t.Helper()
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	acct := drill.New(sc, now)
	inc := checklist.NewIncident(now, sc.Title, acct, true, sc.ID)
	e := checklist.NewEngine(inc, nil, acct, nil)
	clock := now
	e.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	r, err := checklist.Autopilot(context.Background(), e, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	return e, r
}

func TestSendThroughMailpitWithStartTLSAndLogin(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{StartTLS: true, User: "owner@acme.example", Password: "correct-horse-battery"})
	e, r := drillReport(t)
	cfg := filing.Config{
		Host: "127.0.0.1", Port: srv.SMTPPort, Security: filing.StartTLS, RootCAs: srv.RootCAs,
		Username: "owner@acme.example", Password: "correct-horse-battery",
		To: []string{"support@provider.example"}, Timeout: 10 * time.Second,
	}
	id, err := filing.Send(context.Background(), cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	if id == "" || strings.ContainsAny(id, "<>") {
		t.Fatalf("Message-ID %q", id)
	}
	// As the UI and "reclaim report --send" do: the journal records the
	// send with the report's digests, which is what verify checks against.
	if err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: "support@provider.example", MessageID: "<" + id + ">", Report: r}); err != nil {
		t.Fatal(err)
	}
	ids := srv.Messages(t)
	if len(ids) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", len(ids))
	}
	m := srv.Message(t, ids[0])
	if m.MessageID != id {
		t.Errorf("Message-ID %q, sent %q", m.MessageID, id)
	}
	if m.From == nil || m.From.Address != "owner@acme.example" || len(m.To) != 1 || m.To[0].Address != "support@provider.example" {
		t.Errorf("from %+v to %+v", m.From, m.To)
	}
	if m.Subject != filing.Subject(r) || !strings.HasPrefix(m.Subject, "[DRILL] Account recovery report") || !strings.Contains(m.Subject, r.Incident) {
		t.Errorf("subject %q", m.Subject)
	}
	// Text part: the Markdown, which still verifies against the journal.
	if !strings.Contains(m.Text, "## Root cause") || !strings.Contains(m.Text, "Journal chain hash: `"+r.JournalHash+"`") {
		t.Errorf("text part is not the Markdown report:\n%.300s", m.Text)
	}
	if _, err := checklist.VerifyReport([]byte(m.Text), e.Snapshot()); err != nil {
		t.Errorf("the mailed Markdown does not verify: %v", err)
	}
	// HTML alternative.
	if !strings.Contains(m.HTML, "<h1>Drill account recovery report</h1>") || !strings.Contains(m.HTML, "@media print") {
		t.Errorf("HTML part missing or wrong:\n%.300s", m.HTML)
	}
	// JSON attachment.
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments %+v", m.Attachments)
	}
	a := m.Attachments[0]
	if a.FileName != filing.AttachmentName(r) || !strings.HasPrefix(a.ContentType, "application/json") {
		t.Errorf("attachment %+v", a)
	}
	js := srv.Part(t, m.ID, a.PartID)
	var back checklist.Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("attachment is not JSON: %v", err)
	}
	if back.Incident != r.Incident || back.JournalHash != r.JournalHash {
		t.Errorf("attachment is another report: %s %s", back.Incident, back.JournalHash)
	}
	if _, err := checklist.VerifyReport(js, e.Snapshot()); err != nil {
		t.Errorf("the attached JSON does not verify: %v", err)
	}
	// Headers and structure.
	h := srv.Headers(t, m.ID)
	if got := first(h, "X-Reclaim-Incident"); got != r.Incident {
		t.Errorf("X-Reclaim-Incident %q", got)
	}
	if got := first(h, "X-Reclaim-Journal-Hash"); got != r.JournalHash {
		t.Errorf("X-Reclaim-Journal-Hash %q", got)
	}
	if got := first(h, "Content-Type"); !strings.HasPrefix(got, "multipart/mixed") {
		t.Errorf("Content-Type %q", got)
	}
	if first(h, "Date") == "" || first(h, "Mime-Version")+first(h, "MIME-Version") == "" {
		t.Errorf("headers %v", h)
	}
	raw := string(srv.Raw(t, m.ID))
	for _, want := range []string{"multipart/alternative", "text/plain", "text/html", "application/json"} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw message lacks %s", want)
		}
	}
	if strings.Contains(raw, "correct-horse-battery") {
		t.Error("the SMTP password is in the message")
	}
	// The send is journaled with its Message-ID.
	if err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: cfg.To[0], MessageID: "<" + id + ">", Report: r}); err != nil {
		t.Fatal(err)
	}
	j := e.Snapshot().Journal
	if last := j[len(j)-1]; last.Action != checklist.ActionSendReport || !strings.Contains(last.Detail, id) || last.Outcome != "ok" {
		t.Errorf("journal: %+v", last)
	}
}

func first(h map[string][]string, k string) string {
	for name, v := range h {
		if strings.EqualFold(name, k) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func TestSendPlainToLoopbackOnly(t *testing.T) {
	srv := mailpittest.Start(t, mailpittest.Options{AcceptAnyAuth: true})
	_, r := drillReport(t)
	cfg := filing.Config{Host: "localhost", Port: srv.SMTPPort, Security: filing.None, Username: "u@acme.example", Password: "pw", To: []string{"support@provider.example"}, Timeout: 10 * time.Second}
	if _, err := filing.Send(context.Background(), cfg, r); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages(t)); n != 1 {
		t.Fatalf("%d messages", n)
	}
}

func kindOf(err error) filing.ErrorKind {
	var fe *filing.Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return ""
}

func TestSendFailuresAreClear(t *testing.T) {
	_, r := drillReport(t)
	base := filing.Config{Host: "127.0.0.1", From: "owner@acme.example", To: []string{"support@provider.example"}, Timeout: 5 * time.Second}

	t.Run("server down", func(t *testing.T) {
		c := base
		c.Port, c.Security = mailpittest.FreePort(t), filing.None
		_, err := filing.Send(context.Background(), c, r)
		if kindOf(err) != filing.KindConnect || !strings.Contains(err.Error(), "cannot reach the SMTP server 127.0.0.1:") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("TLS required but not offered", func(t *testing.T) {
		srv := mailpittest.Start(t, mailpittest.Options{})
		c := base
		c.Port, c.Security = srv.SMTPPort, filing.StartTLS
		_, err := filing.Send(context.Background(), c, r)
		if kindOf(err) != filing.KindTLS || !strings.Contains(err.Error(), "does not offer STARTTLS") {
			t.Fatalf("%v", err)
		}
		if n := len(srv.Messages(t)); n != 0 {
			t.Fatalf("%d messages went out in the clear", n)
		}
	})
	t.Run("auth refused", func(t *testing.T) {
		srv := mailpittest.Start(t, mailpittest.Options{StartTLS: true, User: "owner@acme.example", Password: "right-password"})
		c := base
		c.Port, c.Security, c.RootCAs = srv.SMTPPort, filing.StartTLS, srv.RootCAs
		c.Username, c.Password = "owner@acme.example", "wrong-password-1234"
		_, err := filing.Send(context.Background(), c, r)
		if kindOf(err) != filing.KindAuth || !strings.Contains(err.Error(), "refused the login") {
			t.Fatalf("%v", err)
		}
		if strings.Contains(err.Error(), "wrong-password-1234") {
			t.Error("the password is in the error")
		}
		if n := len(srv.Messages(t)); n != 0 {
			t.Fatalf("%d messages", n)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := mailpittest.Start(t, mailpittest.Options{StartTLS: true})
		c := base
		c.Port, c.Security = srv.SMTPPort, filing.StartTLS
		_, err := filing.Send(context.Background(), c, r)
		if kindOf(err) != filing.KindTLS {
			t.Fatalf("%v", err)
		}
	})
}

func TestConfigValidation(t *testing.T) {
	ok := filing.Config{Host: "smtp.example.com", Security: filing.StartTLS, From: "a@example.com", To: []string{"b@example.com"}}
	ok.Normalize()
	if err := ok.Validate(); err != nil || ok.Port != 587 {
		t.Fatalf("%v port %d", err, ok.Port)
	}
	for name, mod := range map[string]func(*filing.Config){
		"plain to a remote server": func(c *filing.Config) { c.Security = filing.None },
		"unknown security":         func(c *filing.Config) { c.Security = "ssl3" },
		"no host":                  func(c *filing.Config) { c.Host = "" },
		"no recipient":             func(c *filing.Config) { c.To = nil },
		"bad sender":               func(c *filing.Config) { c.From = "not an address" },
		"password without user":    func(c *filing.Config) { c.Password = "x" },
	} {
		c := ok
		mod(&c)
		if err := c.Validate(); kindOf(err) != filing.KindConfig {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, h := range []string{"localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]"} {
		if !filing.IsLoopback(h) {
			t.Errorf("%s is loopback", h)
		}
	}
	for _, h := range []string{"smtp.example.com", "10.0.0.1", "localhost.example.com", "0.0.0.0"} {
		if filing.IsLoopback(h) {
			t.Errorf("%s is not loopback", h)
		}
	}
	env := map[string]string{filing.EnvHost: "smtp.example.com", filing.EnvPort: "465", filing.EnvUser: "me@example.com", filing.EnvPassword: "p", filing.EnvTLS: "TLS"}
	c, err := filing.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c.Normalize()
	if c.Security != filing.ImplicitTLS || c.Port != 465 || c.From != "me@example.com" {
		t.Fatalf("%+v", c)
	}
	env[filing.EnvPort] = "smtp"
	if _, err := filing.FromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a bad port was accepted")
	}
}

// An SMTP server that accepts the connection and never greets (a tarpit, a
// wedged relay) gets the timeout like every other exchange: the library
// read its greeting with no deadline, and a drift check's alert or a
// report's filing hung for good.
func TestSendToASilentServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never written to
		}
	}()
	r := testReport{}
	for _, sec := range []filing.Security{filing.None, filing.ImplicitTLS} {
		c := filing.Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Security: sec, From: "owner@acme.example", To: []string{"support@provider.example"}, Timeout: 300 * time.Millisecond}
		done := make(chan error, 1)
		go func() { _, err := filing.Send(context.Background(), c, r); done <- err }()
		select {
		case err := <-done:
			if err == nil || kindOf(err) != filing.KindConnect {
				t.Errorf("%s: %v (%s)", sec, err, kindOf(err))
			} else if sec == filing.None && !strings.Contains(err.Error(), "did not answer in time") {
				// it was reached: "cannot reach" would send the owner
				// to the wrong fix
				t.Errorf("%s: %v", sec, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Send to a server that never greets still waits after 10s (timeout 300ms)", sec)
		}
	}
}

type testReport struct{}

func (testReport) MailSubject() string    { return "subject" }
func (testReport) AttachmentName() string { return "a.json" }
func (testReport) IncidentID() string     { return "20250102-150405-ab12" }
func (testReport) JournalHead() string    { return "abc" }
func (testReport) Markdown() string       { return "body" }
func (testReport) HTML() ([]byte, error)  { return []byte("<p>body</p>"), nil }
func (testReport) JSON() ([]byte, error)  { return []byte("{}"), nil }
