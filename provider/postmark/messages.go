package postmark

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"sort"
	"strings"
	"time"

	"reclaim/provider"
)

// pmMessage is one entry of GET /messages/outbound (the spec's fields that
// reclaim keeps).
type pmMessage struct {
	MessageID  string `json:"MessageID"`
	From       string `json:"From"`
	Recipients []string
	To         []struct {
		Email string `json:"Email"`
	} `json:"To"`
	Subject    string `json:"Subject"`
	ReceivedAt string `json:"ReceivedAt"`
	Status     string `json:"Status"`
}

// pmBounce is one entry of GET /bounces.
type pmBounce struct {
	ID        flexID `json:"ID"`
	Type      string `json:"Type"`
	MessageID string `json:"MessageID"`
}

// searchLimit is Postmark's cap on a message or bounce search: count +
// offset may not pass 10,000 ("Count + Offset cannot exceed 10000").
const searchLimit = 10_000

// errSplit ends a whole-window search whose TotalCount passes searchLimit:
// the server is then read a day at a time.
var errSplit = errors.New("more than 10,000 messages: read by day")

// ListMessages implements provider.MessageLister: each server's outbound
// messages since a time (GET /messages/outbound with the server's token),
// newest first, one page at a time. A server is searched over the whole
// window when it sent 10,000 messages or fewer, else a day at a time; a day
// over 10,000 keeps its newest 10,000 and marks the listing incomplete.
//
// Status is Postmark's ("Sent", "Queued"), and, for a message that bounced
// or drew a spam complaint in the window, "bounced (HardBounce)" or "spam
// complaint": read from GET /bounces first (best effort, within the caps of
// a "bounces" section; BounceStats gives the complete per-day counts).
func (c *Client) ListMessages(ctx context.Context, since time.Time, fn func([]provider.Message) error) error {
	sl, err := c.servers(ctx)
	if err != nil {
		return err
	}
	sec := c.limits.MessageSection("messages")
	bsec := c.limits.Section("bounces")
	now := c.now()
	// Postmark reads dates in its own time zone: a day either side, the
	// exact bounds kept here.
	from, to := since.Add(-24*time.Hour), now.Add(24*time.Hour)
	var errs []error
	var overDays, noToken []string
	for _, s := range sl.servers {
		auth, ok := c.serverAuthFor(s)
		if !ok {
			noToken = append(noToken, s.label)
			continue
		}
		if !sec.Room() {
			break
		}
		bounced := c.bounces(ctx, bsec, s, auth, from, to)
		emit := func(page []pmMessage) error {
			out := make([]provider.Message, 0, len(page))
			for _, m := range page {
				msg := toMessage(m, bounced)
				if !msg.Sent.IsZero() && msg.Sent.Before(since) {
					continue
				}
				out = append(out, msg)
			}
			if len(out) == 0 {
				return nil
			}
			return fn(out)
		}
		call := listCall{op: "list outbound messages (GET /messages/outbound)", path: "/messages/outbound", key: "Messages",
			query: dateQuery(from, to), auth: auth, maxOffset: searchLimit,
			check: func(total int) error {
				if total > searchLimit {
					return errSplit
				}
				return nil
			}}
		msgID := func(m pmMessage) string { return m.MessageID }
		over, err := list(ctx, c, sec, call, msgID, emit)
		if errors.Is(err, errSplit) {
			over, err = false, nil
			for day := to.UTC().Truncate(24 * time.Hour); !day.Before(from.UTC().Truncate(24 * time.Hour)); day = day.Add(-24 * time.Hour) {
				if !sec.Room() {
					break
				}
				call.query, call.check = dateQuery(day, day), nil
				o, derr := list(ctx, c, sec, call, msgID, emit)
				if o {
					overDays = append(overDays, s.label+" on "+day.Format("2006-01-02"))
				}
				if derr != nil {
					err = derr
					break
				}
			}
		}
		if over {
			overDays = append(overDays, s.label)
		}
		if err != nil {
			var pe *provider.Error
			if !errors.As(err, &pe) {
				return err // fn's own error: stop as told
			}
			errs = append(errs, serverErr(s, err))
		}
	}
	if len(overDays) > 0 {
		sec.Stop(provider.CauseSource, "Postmark serves at most 10,000 messages per search; more were sent by "+strings.Join(clip(overDays, 5), ", "))
	}
	if len(noToken) > 0 {
		sec.Stop(provider.CauseSource, "no usable API token to read the messages of "+strings.Join(clip(noToken, 5), ", "))
	}
	sourceCut(sec, sl)
	return join(append(errs, sec.Err())...)
}

// bounces reads a server's bounces and spam complaints in [from, to] into
// message id -> type, best effort: a failure or a cap leaves the map
// partial (the statuses are a hint; BounceStats counts).
func (c *Client) bounces(ctx context.Context, sec *provider.Section, s server, auth func(*http.Request), from, to time.Time) map[string]string {
	out := map[string]string{}
	if !sec.Room() {
		return out
	}
	_, _ = list(ctx, c, sec, listCall{op: "list bounces (GET /bounces)", path: "/bounces", key: "Bounces", query: dateQuery(from, to), auth: auth, maxOffset: searchLimit},
		func(b pmBounce) string { return string(b.ID) },
		func(page []pmBounce) error {
			for _, b := range page {
				if b.MessageID != "" {
					out[provider.Clip(b.MessageID, 64)] = clean(b.Type, 40)
				}
			}
			return nil
		})
	return out
}

func toMessage(m pmMessage, bounced map[string]string) provider.Message {
	msg := provider.Message{ID: clean(m.MessageID, 64), From: clean(address(m.From), maxAddress), Subject: clean(m.Subject, maxSubject),
		Status: clean(m.Status, 40)}
	var to []string
	for _, r := range m.To {
		to = append(to, r.Email)
	}
	if len(to) == 0 {
		to = m.Recipients
	}
	if len(to) > 0 {
		msg.To = clean(address(to[0]), maxAddress)
		if len(to) > 1 {
			msg.To += fmt.Sprintf(" (+%d)", len(to)-1)
		}
	}
	if t, err := time.Parse(time.RFC3339, m.ReceivedAt); err == nil {
		msg.Sent = t.UTC()
	}
	switch b := bounced[m.MessageID]; {
	case b == "SpamComplaint":
		msg.Status = "spam complaint"
	case b != "":
		msg.Status = "bounced (" + b + ")"
	}
	return msg
}

// address is the bare address of `"Name" <a@b>` (or the text as it is).
func address(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	if i, j := strings.LastIndexByte(s, '<'), strings.LastIndexByte(s, '>'); i >= 0 && j > i {
		return strings.TrimSpace(s[i+1 : j])
	}
	return strings.TrimSpace(s)
}

// DayCount is one day's bounces and spam complaints on a server.
type DayCount struct {
	Date           string `json:"date"` // YYYY-MM-DD, as Postmark names it
	Bounces        int    `json:"bounces"`
	SpamComplaints int    `json:"spam_complaints"`
}

// ServerStats is a server's bounce and spam-complaint counts per day.
type ServerStats struct {
	Server string     `json:"server"` // "name (#id)"
	Days   []DayCount `json:"days"`
	// Bounces and SpamComplaints are Postmark's totals over the window.
	Bounces        int `json:"bounces"`
	SpamComplaints int `json:"spam_complaints"`
}

// Spike is a day whose bounces or spam complaints stand out: evidence that
// the account sent mail its owner did not (a spam run to bought lists
// bounces and draws complaints).
type Spike struct {
	Server string `json:"server"`
	Date   string `json:"date"`
	Kind   string `json:"kind"` // "bounces" or "spam complaints"
	Count  int    `json:"count"`
	Usual  int    `json:"usual"` // the median day's count over the window
}

// Title is the spike as one line, e.g. "120 spam complaints on 2026-11-02
// on server Production (#101) (usual day: 0)".
func (s Spike) Title() string {
	return fmt.Sprintf("%d %s on %s on server %s (usual day: %d)", s.Count, s.Kind, s.Date, s.Server, s.Usual)
}

// Spike thresholds: a day counts as a spike when it has at least this many
// and more than SpikeFactor times the median day.
const (
	SpikeMinBounces = 50
	SpikeMinSpam    = 5
	SpikeFactor     = 3
)

// pmStatDays is GET /stats/outbound/bounces and /stats/outbound/spam.
type pmStatDays struct {
	Days []struct {
		Date          string `json:"Date"`
		HardBounce    int    `json:"HardBounce"`
		SoftBounce    int    `json:"SoftBounce"`
		Transient     int    `json:"Transient"`
		SMTPApiError  int    `json:"SMTPApiError"`
		SpamComplaint int    `json:"SpamComplaint"`
	} `json:"Days"`
	HardBounce    int `json:"HardBounce"`
	SoftBounce    int `json:"SoftBounce"`
	Transient     int `json:"Transient"`
	SMTPApiError  int `json:"SMTPApiError"`
	SpamComplaint int `json:"SpamComplaint"`
}

// BounceStats reads, per server, the bounces and spam complaints per day
// since a time (GET /stats/outbound/bounces and /stats/outbound/spam: two
// calls a server), and the spikes among them. It is the evidence a
// bounce or complaint spike gives; a capability for it is proposed
// (provider.go has none yet), so the engine does not call it on its own.
func (c *Client) BounceStats(ctx context.Context, since time.Time) ([]ServerStats, []Spike, error) {
	sl, err := c.servers(ctx)
	if err != nil {
		return nil, nil, err
	}
	sec := c.limits.Section("bounce statistics")
	q := dateQuery(since, c.now())
	var stats []ServerStats
	var spikes []Spike
	var errs []error
	for _, s := range sl.servers {
		auth, ok := c.serverAuthFor(s)
		if !ok || !sec.Room() {
			continue
		}
		st := ServerStats{Server: s.label}
		per := map[string]*DayCount{}
		day := func(d string) *DayCount {
			d = clean(d, 10)
			if len(d) > 10 {
				d = d[:10]
			}
			if per[d] == nil {
				if len(per) >= 400 { // a window is 31 days; bound hostile answers
					return &DayCount{}
				}
				per[d] = &DayCount{Date: d}
			}
			return per[d]
		}
		var failed bool
		for _, path := range []string{"/stats/outbound/bounces", "/stats/outbound/spam"} {
			lst := sec.Listing()
			if !lst.More() {
				failed = true
				break
			}
			op := "read bounce statistics (GET " + path + ")"
			var p pmStatDays
			size := 0
			err := c.hc.Do(ctx, provider.Request{Op: op, Method: http.MethodGet, Path: path, Query: q, Auth: auth}, func(_ int, body []byte) error {
				size = len(body)
				return provider.DecodeJSON(op, "Postmark", body, &p)
			})
			if err != nil {
				if err := sec.Failed(ctx, err); err != nil {
					errs = append(errs, serverErr(s, err))
				}
				failed = true
				break
			}
			lst.Page(size, 0, 0, nil)
			for _, d := range p.Days {
				if path == "/stats/outbound/spam" {
					day(d.Date).SpamComplaints += d.SpamComplaint
				} else {
					day(d.Date).Bounces += d.HardBounce + d.SoftBounce + d.Transient + d.SMTPApiError
				}
			}
			if path == "/stats/outbound/spam" {
				st.SpamComplaints = p.SpamComplaint
			} else {
				st.Bounces = p.HardBounce + p.SoftBounce + p.Transient + p.SMTPApiError
			}
		}
		if failed && len(per) == 0 {
			continue
		}
		for _, d := range per {
			st.Days = append(st.Days, *d)
		}
		sort.Slice(st.Days, func(i, j int) bool { return st.Days[i].Date < st.Days[j].Date })
		stats = append(stats, st)
		spikes = append(spikes, findSpikes(st, since, c.now())...)
	}
	sourceCut(sec, sl)
	return stats, spikes, join(append(errs, sec.Err())...)
}

// findSpikes flags the days of st with at least the minimum count and
// more than SpikeFactor times the median day; days the answer omits count
// as zero.
func findSpikes(st ServerStats, since, now time.Time) []Spike {
	n := int(now.Sub(since)/(24*time.Hour)) + 1
	n = max(n, len(st.Days))
	median := func(get func(DayCount) int) int {
		v := make([]int, n)
		for i, d := range st.Days {
			if i < n {
				v[i] = get(d)
			}
		}
		sort.Ints(v)
		return v[len(v)/2]
	}
	var out []Spike
	for _, k := range []struct {
		kind string
		get  func(DayCount) int
		min  int
	}{
		{"bounces", func(d DayCount) int { return d.Bounces }, SpikeMinBounces},
		{"spam complaints", func(d DayCount) int { return d.SpamComplaints }, SpikeMinSpam},
	} {
		med := median(k.get)
		for _, d := range st.Days {
			if c := k.get(d); c >= k.min && c > SpikeFactor*med {
				out = append(out, Spike{Server: st.Server, Date: d.Date, Kind: k.kind, Count: c, Usual: med})
			}
		}
	}
	return out
}
