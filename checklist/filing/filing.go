// Package filing sends the completion report to a provider's support by
// email over SMTP: Markdown as the text part, HTML as the alternative, the
// JSON report attached. It has no terminal: the caller resolves the
// settings (environment, keyring, prompt) and records the send in the
// incident journal (checklist.Engine.RecordFiling).
package filing

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Security is how the connection to the SMTP server is protected.
type Security string

const (
	// ImplicitTLS connects with TLS from the first byte (usually port 465).
	ImplicitTLS Security = "tls"
	// StartTLS upgrades a plain connection and refuses to go on without it
	// (usually port 587).
	StartTLS Security = "starttls"
	// None sends in the clear: allowed only for a loopback server.
	None Security = "none"
)

// Environment variables Config reads.
const (
	EnvHost     = "RECLAIM_SMTP_HOST"
	EnvPort     = "RECLAIM_SMTP_PORT"
	EnvUser     = "RECLAIM_SMTP_USER"
	EnvPassword = "RECLAIM_SMTP_PASSWORD"
	EnvTLS      = "RECLAIM_SMTP_TLS"
	EnvFrom     = "RECLAIM_SMTP_FROM"
)

// Config is where and how to send. Password is held in memory only.
type Config struct {
	Host     string
	Port     int // 0: 465 for tls, 587 for starttls, 25 for none
	Security Security
	Username string
	Password string
	// From is the sender address (default: Username when it is an address).
	From string
	// To are the recipients: the provider's support address or the reply
	// address of the user's open ticket.
	To []string
	// Timeout bounds connecting and each SMTP exchange (default 30s).
	Timeout time.Duration
	// RootCAs, when set, replaces the system roots (tests, private relays).
	RootCAs *x509.CertPool
}

// FromEnv reads the SMTP settings from the environment (getenv is
// os.Getenv in production). Missing values stay empty for the caller to ask.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Host:     strings.TrimSpace(getenv(EnvHost)),
		Username: strings.TrimSpace(getenv(EnvUser)),
		Password: getenv(EnvPassword),
		Security: Security(strings.ToLower(strings.TrimSpace(getenv(EnvTLS)))),
		From:     strings.TrimSpace(getenv(EnvFrom)),
	}
	if p := strings.TrimSpace(getenv(EnvPort)); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return c, fmt.Errorf("%s=%q is not a port number", EnvPort, p)
		}
		c.Port = n
	}
	return c, nil
}

// IsLoopback reports whether host names this machine (localhost or a
// loopback address). Names other than "localhost" are not resolved.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Normalize fills in defaults (security, port, sender).
func (c *Config) Normalize() {
	if c.Security == "" {
		c.Security = StartTLS
		if c.Port == 465 {
			c.Security = ImplicitTLS
		}
	}
	if c.Port == 0 {
		switch c.Security {
		case ImplicitTLS:
			c.Port = 465
		case None:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.From == "" && strings.Contains(c.Username, "@") {
		c.From = c.Username
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
}

// Validate checks the settings without connecting.
func (c Config) Validate() error {
	if c.Host == "" {
		return cfgErr("no SMTP server: set %s (and %s, %s, %s, %s)", EnvHost, EnvPort, EnvTLS, EnvUser, EnvPassword)
	}
	switch c.Security {
	case ImplicitTLS, StartTLS:
	case None:
		if !IsLoopback(c.Host) {
			return cfgErr("%s=none sends in the clear and is allowed only for a server on this machine (localhost); %s is not: use tls or starttls", EnvTLS, c.Host)
		}
	default:
		return cfgErr("%s=%q: use tls (implicit TLS, port 465), starttls (port 587) or none (loopback only)", EnvTLS, c.Security)
	}
	if c.Port <= 0 || c.Port > 65535 {
		return cfgErr("bad SMTP port %d", c.Port)
	}
	if c.From == "" {
		return cfgErr("no sender address: set %s (or use an email address as %s)", EnvFrom, EnvUser)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return cfgErr("sender %q is not an email address", c.From)
	}
	if len(c.To) == 0 {
		return cfgErr("no recipient: the provider names no support address; give one with --to (your open ticket's reply address)")
	}
	for _, t := range c.To {
		if _, err := mail.ParseAddress(t); err != nil {
			return cfgErr("recipient %q is not an email address", t)
		}
	}
	if c.Password != "" && c.Username == "" {
		return cfgErr("an SMTP password without a user name: set %s", EnvUser)
	}
	return nil
}

// Addr is host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// ErrorKind classifies a failed send.
type ErrorKind string

const (
	KindConfig   ErrorKind = "config"   // the settings are wrong; nothing was sent
	KindConnect  ErrorKind = "connect"  // the server could not be reached
	KindTLS      ErrorKind = "tls"      // TLS failed or is not offered
	KindAuth     ErrorKind = "auth"     // the server refused the login
	KindRejected ErrorKind = "rejected" // the server refused the message or a recipient
)

// Error is a failed send, with a message meant for the user.
type Error struct {
	Kind ErrorKind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + " (" + e.Err.Error() + ")"
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func cfgErr(format string, a ...any) error {
	return &Error{Kind: KindConfig, Msg: fmt.Sprintf(format, a...)}
}

// Report is what is filed: a reclaim report (*checklist.Report) with its
// envelope and its three renderings. The filing package does not import
// checklist, so it knows the report only through this.
type Report interface {
	MailSubject() string
	AttachmentName() string
	IncidentID() string
	JournalHead() string
	Markdown() string
	HTML() ([]byte, error)
	JSON() ([]byte, error)
}

// Subject is the message's subject line for a report.
func Subject(r Report) string { return r.MailSubject() }

// AttachmentName is the JSON attachment's file name.
func AttachmentName(r Report) string { return r.AttachmentName() }

// BuildMessage makes the message: Markdown text part, HTML alternative,
// JSON attachment, a fresh Message-ID.
func BuildMessage(cfg Config, r Report) (*gomail.Msg, error) {
	js, err := r.JSON()
	if err != nil {
		return nil, err
	}
	html, err := r.HTML()
	if err != nil {
		return nil, err
	}
	m := gomail.NewMsg()
	if err := m.From(cfg.From); err != nil {
		return nil, cfgErr("sender %q: %v", cfg.From, err)
	}
	if err := m.To(cfg.To...); err != nil {
		return nil, cfgErr("recipient: %v", err)
	}
	m.Subject(Subject(r))
	m.SetDate()
	m.SetMessageID()
	m.SetUserAgent("reclaim")
	m.SetGenHeader("X-Reclaim-Incident", r.IncidentID())
	m.SetGenHeader("X-Reclaim-Journal-Hash", r.JournalHead())
	m.SetBodyString(gomail.TypeTextPlain, r.Markdown())
	m.AddAlternativeString(gomail.TypeTextHTML, string(html))
	if err := m.AttachReader(AttachmentName(r), bytes.NewReader(js), gomail.WithFileContentType("application/json")); err != nil {
		return nil, err
	}
	return m, nil
}

// idleConn gives every read and write a deadline of timeout from its start.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(b []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(b)
}

func (c *idleConn) Write(b []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(b)
}

// Send mails the report and returns its Message-ID (without angle
// brackets). A failure is an *Error saying what went wrong; the report on
// disk is untouched either way.
func Send(ctx context.Context, cfg Config, r Report) (string, error) {
	cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	m, err := BuildMessage(cfg, r)
	if err != nil {
		return "", err
	}
	tc := &tls.Config{ServerName: strings.Trim(cfg.Host, "[]"), MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs}
	// Our own dialer: every read and write on the connection gets the
	// timeout. The library reads the server's greeting with no deadline,
	// so a server that accepts and never speaks held Send for good.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn := net.Conn(&idleConn{Conn: raw, timeout: cfg.Timeout})
		if cfg.Security == ImplicitTLS {
			tconn := tls.Client(conn, tc)
			if err := tconn.HandshakeContext(ctx); err != nil {
				raw.Close()
				return nil, err
			}
			conn = tconn
		}
		return conn, nil
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout), gomail.WithTLSConfig(tc), gomail.WithDialContextFunc(dial)}
	switch cfg.Security {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case None:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	// PLAIN over TLS is what submission servers take; a server that offers
	// only LOGIN (Office 365) gets LOGIN. Over plain text (loopback only)
	// the same, without the library's refusal to send a password in clear.
	auths := []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
	if cfg.Security == None {
		auths = []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout+5*time.Second)
	defer cancel()
	var c *gomail.Client
	for i, auth := range auths {
		o := opts
		if cfg.Username != "" {
			o = append(o, gomail.WithSMTPAuth(auth), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
		}
		c, err = gomail.NewClient(cfg.Host, o...)
		if err != nil {
			return "", cfgErr("SMTP settings: %v", err)
		}
		err = c.DialWithContext(ctx)
		if err == nil {
			break
		}
		if cfg.Username == "" || i == len(auths)-1 || !(errors.Is(err, gomail.ErrPlainAuthNotSupported) || errors.Is(err, gomail.ErrLoginAuthNotSupported)) {
			return "", classifyDial(cfg, err)
		}
	}
	defer c.Close()
	if err := c.Send(m); err != nil {
		return "", &Error{Kind: KindRejected, Msg: fmt.Sprintf("the SMTP server %s refused the message", cfg.Addr()), Err: scrub(err, cfg)}
	}
	_ = c.Close()
	return strings.Trim(m.GetMessageID(), "<>"), nil
}

// classifyDial turns a connect/TLS/auth failure into a clear message.
func classifyDial(cfg Config, err error) error {
	err = scrub(err, cfg)
	msg := err.Error()
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case strings.Contains(msg, "does not support STARTTLS"):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("the SMTP server %s does not offer STARTTLS, and reclaim will not send the report unencrypted; use %s=tls if it takes implicit TLS (port 465)", cfg.Addr(), EnvTLS)}
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("TLS with the SMTP server %s failed", cfg.Addr()), Err: err}
	case strings.Contains(msg, "does not support SMTP AUTH"), errors.Is(err, gomail.ErrPlainAuthNotSupported), errors.Is(err, gomail.ErrLoginAuthNotSupported):
		return &Error{Kind: KindAuth, Msg: fmt.Sprintf("the SMTP server %s offers no login reclaim can use (PLAIN or LOGIN)", cfg.Addr()), Err: err}
	case strings.Contains(msg, "SMTP AUTH failed"), strings.Contains(msg, " 535"), strings.Contains(msg, " 534"):
		return &Error{Kind: KindAuth, Msg: fmt.Sprintf("the SMTP server %s refused the login for %q: check %s and %s (or the keyring entry)", cfg.Addr(), cfg.Username, EnvUser, EnvPassword), Err: err}
	case errors.As(err, &opErr) && (opErr.Op == "read" || opErr.Op == "write") && opErr.Timeout():
		// connected, then silence (a tarpit, a wrong port, a firewall
		// that accepts and drops)
		return &Error{Kind: KindConnect, Msg: fmt.Sprintf("the SMTP server %s took the connection but did not answer in time: check the host and port (%s, %s)", cfg.Addr(), EnvHost, EnvPort), Err: err}
	case errors.As(err, &opErr), errors.Is(err, context.DeadlineExceeded), strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"), strings.Contains(msg, "i/o timeout"):
		return &Error{Kind: KindConnect, Msg: fmt.Sprintf("cannot reach the SMTP server %s", cfg.Addr()), Err: err}
	}
	return &Error{Kind: KindConnect, Msg: fmt.Sprintf("the SMTP conversation with %s failed", cfg.Addr()), Err: err}
}

// scrub keeps the password out of an error message, whatever the library
// or the server put in it.
func scrub(err error, cfg Config) error {
	if err == nil || cfg.Password == "" || !strings.Contains(err.Error(), cfg.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), cfg.Password, "********"))
}

// ForSupport is the SMTP configuration for sending the report to support:
// the environment's settings (FromEnv), addressed to RECLAIM_SMTP_TO when
// set, else to the provider's support address; normalized and validated.
func ForSupport(getenv func(string) string, supportEmail string) (Config, error) {
	cfg, err := FromEnv(getenv)
	if err != nil {
		return cfg, err
	}
	to := supportEmail
	if v := strings.TrimSpace(getenv("RECLAIM_SMTP_TO")); v != "" {
		to = v
	}
	if len(cfg.To) == 0 && to != "" {
		cfg.To = []string{to}
	}
	cfg.Normalize()
	return cfg, cfg.Validate()
}
