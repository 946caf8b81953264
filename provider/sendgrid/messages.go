package sendgrid

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"reclaim/provider"
)

// Neither Email Logs nor the Email Activity feed has a page token: both take
// a query and a limit (at most 1000). reclaim pages through time instead: it
// asks for a window [from, to), halves a window that comes back full, and
// sizes the next window from the density it saw, so each request returns
// close to a full page. The range is cut into lanes read concurrently.
const (
	messagesLimit  = 1000
	messagesTarget = 700 // aim below the limit so few windows come back full
	messageLanes   = 6
)

// messageSource fetches one window: at most limit messages decoded; n
// counts those the answer holds, size is its length in bytes.
type messageSource struct {
	name  string // for errors: "Email Logs"
	fetch func(ctx context.Context, from, to time.Time, limit int) (msgs []provider.Message, n, size int, err error)
}

type sgLogMessage struct {
	FromEmail string `json:"from_email"`
	ID        string `json:"sg_message_id"`
	Subject   string `json:"subject"`
	ToEmail   string `json:"to_email"`
	Status    string `json:"status"`
	CreatedAt string `json:"sg_message_id_created_at"`
}

type sgActivityMessage struct {
	FromEmail     string `json:"from_email"`
	ID            string `json:"msg_id"`
	Subject       string `json:"subject"`
	ToEmail       string `json:"to_email"`
	Status        string `json:"status"`
	LastEventTime string `json:"last_event_time"`
}

// message builds a provider.Message, clipping what it keeps.
func message(id, from, to, subject, status string, sent time.Time) provider.Message {
	return provider.Message{ID: provider.Clip(id, 200), From: provider.Clip(from, 256), To: provider.Clip(to, 256),
		Subject: provider.Clip(subject, 512), Status: provider.Clip(status, 64), Sent: sent}
}

const tsLayout = "2006-01-02T15:04:05Z"

func (c *Client) logsSource() messageSource {
	return messageSource{name: "Email Logs", fetch: func(ctx context.Context, from, to time.Time, limit int) ([]provider.Message, int, int, error) {
		q := fmt.Sprintf(`sg_message_id_created_at >= TIMESTAMP "%s" AND sg_message_id_created_at < TIMESTAMP "%s"`, from.UTC().Format(tsLayout), to.UTC().Format(tsLayout))
		k := call{op: "search Email Logs", method: "POST", route: "/v3/logs", path: "/v3/logs", idempotent: true,
			body: map[string]any{"query": q, "limit": limit}}
		page, n, size, err := listPage[sgLogMessage](ctx, c, k, "messages", limit)
		if err != nil {
			return nil, 0, 0, err
		}
		msgs := make([]provider.Message, 0, len(page))
		for _, m := range page {
			msgs = append(msgs, message(m.ID, m.FromEmail, m.ToEmail, m.Subject, m.Status, parseTime(m.CreatedAt)))
		}
		return msgs, n, size, nil
	}}
}

func (c *Client) activitySource() messageSource {
	return messageSource{name: "Email Activity", fetch: func(ctx context.Context, from, to time.Time, limit int) ([]provider.Message, int, int, error) {
		q := fmt.Sprintf(`last_event_time BETWEEN TIMESTAMP "%s" AND TIMESTAMP "%s"`, from.UTC().Format(tsLayout), to.UTC().Format(tsLayout))
		k := get("search Email Activity", "/v3/messages", "/v3/messages")
		k.query = url.Values{"query": {q}, "limit": {strconv.Itoa(limit)}}
		page, n, size, err := listPage[sgActivityMessage](ctx, c, k, "messages", limit)
		if err != nil {
			return nil, 0, 0, err
		}
		msgs := make([]provider.Message, 0, len(page))
		for _, m := range page {
			msgs = append(msgs, message(m.ID, m.FromEmail, m.ToEmail, m.Subject, m.Status, parseTime(m.LastEventTime)))
		}
		return msgs, n, size, nil
	}}
}

func parseTime(s string) time.Time {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// unavailable says an error means "this source is not there for this key".
func unavailable(err error) bool {
	return errors.Is(err, provider.ErrNotFound) || errors.Is(err, provider.ErrPermission) ||
		errors.Is(err, provider.ErrInvalid) || errors.Is(err, provider.ErrUnsupported)
}

// ListMessages implements provider.MessageLister: Email Logs, else the Email
// Activity feed. When neither is available to this key it returns an
// ErrPermission (a scope is missing) or ErrUnsupported error, and the
// checklist falls back to its guided console step. The requests, messages
// and bytes are capped (provider.Limits' message caps); a cap reached, or a
// window that repeats the messages of one already read, ends the listing
// with a *provider.Truncation after the pages already handed to fn.
func (c *Client) ListMessages(ctx context.Context, since time.Time, fn func([]provider.Message) error) error {
	end := c.opts.Now().UTC().Truncate(time.Second).Add(time.Second)
	since = since.UTC().Truncate(time.Second)
	if !since.Before(end) {
		return nil
	}
	sec := c.opts.Limits.MessageSection("messages")
	// Probe with a one-message query to pick the source.
	var src messageSource
	var probeErrs []error
	for _, s := range []messageSource{c.logsSource(), c.activitySource()} {
		_, _, _, err := s.fetch(ctx, since, end, 1)
		if err == nil {
			src = s
			break
		}
		if !unavailable(err) {
			if err := sec.Failed(ctx, err); err != nil {
				return err
			}
			return sec.Err()
		}
		probeErrs = append(probeErrs, err)
	}
	if src.fetch == nil {
		kind := provider.ErrUnsupported
		for _, e := range probeErrs {
			if errors.Is(e, provider.ErrPermission) {
				kind = provider.ErrPermission
			}
		}
		pe := &provider.Error{Kind: kind, Op: "list the last 30 days of mail",
			Message: "neither Email Logs (POST /v3/logs) nor the Email Activity feed (GET /v3/messages) is available to this key; review the last 30 days in the console",
			Err:     errors.Join(probeErrs...)}
		if kind == provider.ErrPermission {
			pe.Scope = ScopeFor("POST", "/v3/logs")
		}
		return pe
	}

	outer := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	emit := func(page []provider.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fn(page)
	}
	// One listing for all lanes: their windows never overlap, so a page
	// seen twice, in any lane, is the provider repeating itself.
	lst := sec.Listing()
	total := end.Sub(since)
	lanes := max(1, min(messageLanes, int(total/time.Hour)))
	step := (total / time.Duration(lanes)).Truncate(time.Second)
	errs := make([]error, lanes)
	var wg sync.WaitGroup
	for i := range lanes {
		lo := since.Add(time.Duration(i) * step)
		hi := lo.Add(step)
		if i == lanes-1 {
			hi = end
		}
		wg.Go(func() {
			if err := c.scanMessages(ctx, src, sec, lst, lo, hi, step, i == lanes-1, emit); err != nil {
				errs[i] = err
				cancel()
			}
		})
	}
	wg.Wait()
	// Past the time limit, the lanes it stopped leave the messages read so
	// far, truncated (time limit); a failure before it still fails.
	timedOut := provider.TimedOut(outer)
	for i, e := range errs {
		if e == nil || errors.Is(e, context.Canceled) || (timedOut && isCtxErr(e)) {
			errs[i] = nil
			continue
		}
		return e
	}
	if timedOut {
		sec.Stop(provider.CauseTime, "")
	}
	return errors.Join(append(errs, sec.Err())...)
}

// scanMessages reads [lo, hi) window by window.
// last says hi is the end of the whole range (its messages at hi count).
// Every request counts against sec; a stopped section ends the scan (the
// caller reports sec.Err()).
func (c *Client) scanMessages(ctx context.Context, src messageSource, sec *provider.Section, lst *provider.Listing, lo, hi time.Time, w time.Duration, last bool, emit func([]provider.Message) error) error {
	w = min(w, 6*time.Hour)
	for cur := lo; cur.Before(hi); {
		if !sec.Next() {
			return nil
		}
		to := cur.Add(w)
		if to.After(hi) {
			to = hi
		}
		span := to.Sub(cur)
		msgs, n, size, err := src.fetch(ctx, cur, to, messagesLimit)
		if err != nil {
			return err
		}
		if n >= messagesLimit && span > time.Second {
			if !sec.Read(size) {
				return nil
			}
			w = max(time.Second, (span / 2).Truncate(time.Second))
			continue
		}
		// Keep the window's own messages (BETWEEN is inclusive; a message
		// with no parsable time is kept).
		kept := msgs[:0]
		for _, m := range msgs {
			if m.Sent.IsZero() || (!m.Sent.Before(cur) && (m.Sent.Before(to) || (last && to.Equal(hi)))) {
				kept = append(kept, m)
			}
		}
		keep, more := lst.Page(size, len(kept), len(kept), func(i int) string { return kept[i].ID })
		if keep > 0 {
			if err := emit(kept[:keep]); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		cur = to
		if n > 0 {
			w = span * messagesTarget / time.Duration(min(n, messagesLimit))
		} else {
			w = span * 4
		}
		w = max(time.Second, min(w, hi.Sub(lo))).Truncate(time.Second)
	}
	return nil
}
