package mailgun

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"reclaim/provider"
)

// Page sizes: the Logs API answers at most 100 items a page, the Events
// API 300 (spec).
const (
	logsPage   = 100
	eventsPage = 300
)

type msgHeaders struct {
	To        string `json:"to"`
	From      string `json:"from"`
	Subject   string `json:"subject"`
	MessageID string `json:"message-id"`
}

type logEvent struct {
	ID        string `json:"id"`
	Event     string `json:"event"`
	Timestamp mgTime `json:"@timestamp"`
	Recipient string `json:"recipient"`
	Message   struct {
		Headers msgHeaders `json:"headers"`
	} `json:"message"`
}

type eventItem struct {
	ID        string `json:"id"`
	Event     string `json:"event"`
	Timestamp mgTime `json:"timestamp"`
	Recipient string `json:"recipient"`
	Message   struct {
		Headers msgHeaders `json:"headers"`
	} `json:"message"`
}

func message(id, event string, at time.Time, rcpt string, h msgHeaders) provider.Message {
	to := h.To
	if to == "" {
		to = rcpt
	}
	return provider.Message{
		ID: clip(id, maxID), From: clip(h.From, maxName), To: clip(to, maxName),
		Subject: clip(h.Subject, 1000), Sent: at, Status: clip(event, 40),
	}
}

// ListMessages implements provider.MessageLister: the mail accepted since
// a time, with subjects, page by page. It reads the Logs API (POST
// /v1/analytics/logs, account-wide, subaccounts included, oldest first);
// an account without it (404) is read through the Events API instead, one
// domain at a time, following its paging.next links only on Mailgun's own
// host.
func (c *Client) ListMessages(ctx context.Context, since time.Time, fn func([]provider.Message) error) error {
	sec := c.opts.Limits.MessageSection("messages")
	err := c.logs(ctx, sec, since, fn)
	var pe *provider.Error
	if errors.As(err, &pe) && errors.Is(err, provider.ErrNotFound) {
		return c.events(ctx, c.opts.Limits.MessageSection("messages"), since, fn)
	}
	return err
}

// logs pages through the Logs API.
func (c *Client) logs(ctx context.Context, sec *provider.Section, since time.Time, fn func([]provider.Message) error) error {
	const op = "list the last 30 days of mail"
	lst := sec.Listing()
	end := c.opts.Now().UTC()
	tok := ""
	offset := 0
	for lst.More() {
		pag := map[string]any{"sort": "timestamp:asc", "limit": logsPage}
		if tok != "" {
			pag["token"] = tok
		}
		body := map[string]any{
			"start": since.UTC().Format(time.RFC1123Z), "end": end.Format(time.RFC1123Z),
			"events": []string{"accepted"}, "include_subaccounts": true, "pagination": pag,
		}
		var (
			items   []logEvent
			n, size int
			next    string
			total   int
		)
		err := c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodPost, Path: "/v1/analytics/logs", JSON: body, ForceIdempotent: true}, func(_ int, data []byte) error {
			size = len(data)
			var err error
			if items, n, err = provider.DecodeList[logEvent](data, "items", sec.Remaining()); err != nil {
				return provider.MalformedJSON(op, "Mailgun", len(data), err)
			}
			var p struct {
				Pagination struct {
					Next  string `json:"next"`
					Total int    `json:"total"`
				} `json:"pagination"`
			}
			if err := provider.DecodeJSON(op, "Mailgun", data, &p); err != nil {
				return err
			}
			next, total = p.Pagination.Next, p.Pagination.Total
			return nil
		})
		if err != nil {
			if offset == 0 {
				return err // the caller may fall back to the Events API
			}
			if err := sec.Failed(ctx, err); err != nil {
				return errors.Join(err, sec.Err())
			}
			return sec.Err()
		}
		keep, more := lst.Page(size, n, len(items), func(i int) string { return items[i].ID })
		if keep > 0 {
			page := make([]provider.Message, keep)
			for i, e := range items[:keep] {
				page[i] = message(e.ID, e.Event, e.Timestamp.Time, e.Recipient, e.Message.Headers)
			}
			if err := fn(page); err != nil {
				return err
			}
		}
		offset += n
		if n == 0 || next == "" || !more || !lst.Total(offset, total) {
			return sec.Err()
		}
		if len(next) > 4096 {
			sec.Stop(provider.CauseSource, "Mailgun sent a page token over 4 KiB; reclaim does not send it back")
			return sec.Err()
		}
		tok = next
	}
	return sec.Err()
}

// events pages through the Events API, domain by domain (the account's
// and its subaccounts'), sharing one section.
func (c *Client) events(ctx context.Context, sec *provider.Section, since time.Time, fn func([]provider.Message) error) error {
	ds, derr := c.domainList(ctx)
	var errs []error
	for _, d := range ds {
		if ctx.Err() != nil || sec.Truncated() {
			break
		}
		if err := c.domainEvents(ctx, sec, d, since, fn); err != nil {
			if _, rest := provider.SplitTruncated(err); rest != nil {
				errs = append(errs, rest)
				if provider.TimedOut(ctx) {
					break
				}
			}
		}
	}
	if derr != nil {
		if errors.Is(derr, provider.ErrTruncated) {
			sec.Stop(provider.CauseSource, "the domain list was incomplete")
		} else {
			errs = append(errs, derr)
		}
	}
	return errors.Join(append(errs, sec.Err())...)
}

// domainEvents reads one domain's accepted events from since, following
// paging.next until a page comes back empty.
func (c *Client) domainEvents(ctx context.Context, sec *provider.Section, d domain, since time.Time, fn func([]provider.Message) error) error {
	const op = "list the last 30 days of mail"
	lst := sec.Listing()
	path := "/v3/" + seg(d.name) + "/events"
	q := url.Values{
		"begin": {strconv.FormatInt(since.Unix(), 10)}, "end": {strconv.FormatInt(c.opts.Now().Unix(), 10)},
		"ascending": {"yes"}, "limit": {strconv.Itoa(eventsPage)}, "event": {"accepted"},
	}
	for lst.More() {
		var (
			items   []eventItem
			n, size int
			next    string
		)
		err := c.http.Do(ctx, provider.Request{Op: op, Path: path, Route: "/v3/{domain}/events", Query: q, Header: onBehalfOf(d.sub)}, func(_ int, data []byte) error {
			size = len(data)
			var err error
			if items, n, err = provider.DecodeList[eventItem](data, "items", sec.Remaining()); err != nil {
				return provider.MalformedJSON(op, "Mailgun", len(data), err)
			}
			var p struct {
				Paging struct {
					Next string `json:"next"`
				} `json:"paging"`
			}
			if err := provider.DecodeJSON(op, "Mailgun", data, &p); err != nil {
				return err
			}
			next = p.Paging.Next
			return nil
		})
		if errors.Is(err, provider.ErrNotFound) {
			return nil // the domain is gone
		}
		if err != nil {
			if err := sec.Failed(ctx, err); err != nil {
				return err
			}
			return sec.Err()
		}
		keep, more := lst.Page(size, n, len(items), func(i int) string { return items[i].ID })
		if keep > 0 {
			page := make([]provider.Message, keep)
			for i, e := range items[:keep] {
				page[i] = message(e.ID, e.Event, e.Timestamp.Time, e.Recipient, e.Message.Headers)
			}
			if err := fn(page); err != nil {
				return err
			}
		}
		if n == 0 || !more || next == "" {
			return sec.Err()
		}
		p, nq, err := c.http.SameOrigin(next)
		if err != nil {
			// A link elsewhere never gets the key: the listing stops here.
			sec.Stop(provider.CauseSource, provider.SanitizeN(err.Error(), 200))
			return sec.Err()
		}
		path, q = p, nq
	}
	return sec.Err()
}
