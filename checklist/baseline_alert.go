package checklist

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"reclaim/provider"
)

// Drift alerts: a mail (through checklist/filing, with the report's SMTP
// settings) and a JSON webhook signed with an HMAC secret.

// DriftAlert is a drift check's result as an alert. It satisfies
// filing.Report, so the report's SMTP settings and sender carry it.
type DriftAlert struct {
	Drift *Drift
	// Check is this check's id ("check-20250102-150405").
	Check string
}

// NewDriftAlert wraps a drift for sending.
func NewDriftAlert(d *Drift) *DriftAlert {
	return &DriftAlert{Drift: d, Check: "check-" + d.CheckedAt.UTC().Format("20060102-150405")}
}

// MailSubject is the alert's subject line.
func (a *DriftAlert) MailSubject() string {
	d := a.Drift
	s := fmt.Sprintf("[reclaim] DRIFT: %s since the baseline of %s", plural(len(d.Changes), "change"), d.BaselineAt.UTC().Format("2006-01-02 15:04Z"))
	if len(d.Changes) == 0 {
		s = "[reclaim] no drift since the baseline of " + d.BaselineAt.UTC().Format("2006-01-02 15:04Z")
	}
	who := firstNonEmpty(d.ProviderName, d.Provider)
	if d.Account != "" {
		who += " account " + d.Account
	}
	return provider.SanitizeN(s+" on "+who, 250)
}

// AttachmentName is the JSON attachment's name.
func (a *DriftAlert) AttachmentName() string { return "reclaim-drift-" + a.Check + ".json" }

// IncidentID names the check (mail header X-Reclaim-Incident).
func (a *DriftAlert) IncidentID() string { return a.Check }

// JournalHead is the baseline's digest (mail header X-Reclaim-Journal-Hash).
func (a *DriftAlert) JournalHead() string { return a.Drift.BaselineDigest }

// Markdown is the plain-text body.
func (a *DriftAlert) Markdown() string { return ScrubSecrets(a.Drift.Text()) }

// HTML is the HTML alternative: the text, escaped.
func (a *DriftAlert) HTML() ([]byte, error) {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
	b.WriteString(html.EscapeString(a.MailSubject()))
	b.WriteString("</title></head><body><pre>")
	b.WriteString(html.EscapeString(a.Markdown()))
	b.WriteString("</pre></body></html>\n")
	return []byte(b.String()), nil
}

// JSON is the drift as JSON (the attachment and the webhook's payload).
func (a *DriftAlert) JSON() ([]byte, error) {
	doc := struct {
		Event string `json:"event"`
		Check string `json:"check"`
		*Drift
		Drifted bool `json:"drifted"`
	}{Event: "reclaim.drift", Check: a.Check, Drift: a.Drift, Drifted: a.Drift.Drifted()}
	if doc.Changes == nil {
		c := *a.Drift
		c.Changes = []Change{}
		doc.Drift = &c
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(escapeForTerminal([]byte(ScrubSecrets(string(b)))), '\n'), nil
}

// Webhook headers.
const (
	HeaderSignature = "X-Reclaim-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderTimestamp = "X-Reclaim-Timestamp" // Unix seconds, signed with the body
	HeaderDelivery  = "X-Reclaim-Delivery"  // random id, the same on every retry
	HeaderEvent     = "X-Reclaim-Event"
)

// MinWebhookSecret is the shortest HMAC secret accepted.
const MinWebhookSecret = 16

// SignWebhook is the signature header's value for a body sent at ts.
func SignWebhook(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks a received webhook's signature (receivers and tests):
// the HMAC over timestamp "." body, and a timestamp within maxAge of now.
func VerifyWebhook(secret []byte, tsHeader, sigHeader string, body []byte, now time.Time, maxAge time.Duration) error {
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return errors.New("bad or missing " + HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxAge || d < -maxAge {
		return errors.New("the timestamp is too old or in the future (a replay?)")
	}
	if !hmac.Equal([]byte(SignWebhook(secret, ts, body)), []byte(sigHeader)) {
		return errors.New("the signature does not match the body")
	}
	return nil
}

// WebhookOptions tune PostWebhook.
type WebhookOptions struct {
	Secret  []byte
	Client  *http.Client  // nil: a client with Timeout and no redirects
	Timeout time.Duration // per attempt (default 15s)
	Tries   int           // attempts (default 3): on a network error, 429 or 5xx
	Backoff time.Duration // the wait before the second attempt, doubled after (default 1s)
	Now     func() time.Time
	UA      string
}

// PostWebhook sends a JSON body to url (https, or http to loopback only),
// signed with an HMAC of the secret. It follows no redirect, reads at most
// 64 KiB of the answer (and shows none of it), and retries a network error,
// 429 or 5xx answer a few times with the same delivery id.
func PostWebhook(ctx context.Context, rawURL string, body []byte, o WebhookOptions) error {
	u, err := provider.CheckBaseURL(rawURL)
	if err != nil {
		return fmt.Errorf("--notify-url: %w", err)
	}
	if len(o.Secret) < MinWebhookSecret {
		return fmt.Errorf("the webhook secret is shorter than %d bytes", MinWebhookSecret)
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Tries <= 0 {
		o.Tries = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: o.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	idb := make([]byte, 12)
	_, _ = rand.Read(idb)
	delivery := hex.EncodeToString(idb)
	host := provider.Sanitize(u.Host)
	var last error
	for try := range o.Tries {
		if try > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("webhook to %s: %w (after: %v)", host, ctx.Err(), last)
			case <-time.After(o.Backoff << (try - 1)):
			}
		}
		ts := o.Now().Unix()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", firstNonEmpty(o.UA, "reclaim"))
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderSignature, SignWebhook(o.Secret, ts, body))
		req.Header.Set(HeaderDelivery, delivery)
		req.Header.Set(HeaderEvent, "reclaim.drift")
		resp, err := client.Do(req)
		if err != nil {
			last = fmt.Errorf("webhook to %s: %s", host, provider.SanitizeN(strings.ReplaceAll(err.Error(), u.String(), host), 200))
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("webhook to %s answered %d", host, resp.StatusCode)
			continue
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			return fmt.Errorf("webhook to %s answered %d (a redirect, which reclaim does not follow: give the final URL)", host, resp.StatusCode)
		}
		return fmt.Errorf("webhook to %s refused the alert: %d", host, resp.StatusCode)
	}
	return last
}
