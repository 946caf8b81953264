package pmfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

func init() {
	// ---- account API (X-Postmark-Account-Token) ----
	handle("GET", "/servers", account, func(q *req) {
		count, offset, ok := q.paging(false)
		if !ok {
			return
		}
		name := q.r.URL.Query().Get("name")
		q.srv.Mu.Lock()
		var all []Server
		for _, sv := range q.srv.St.Servers {
			if name == "" || sv.Name == name {
				all = append(all, sv)
			}
		}
		q.srv.Mu.Unlock()
		total := q.total(len(all), offset, count)
		from := offset
		if q.fault != nil && q.fault.GrowTotal {
			all = nil
			for i := range count {
				n := int64(offset + i)
				all = append(all, Server{ID: 1_000_000 + n, Name: fmt.Sprintf("grown %d", n), ApiTokens: []string{}})
			}
			from = 0
		}
		out := []map[string]any{}
		for _, sv := range page(all, from, count) {
			out = append(out, serverJSON(sv))
		}
		q.json(map[string]any{"TotalCount": total, "Servers": out})
	})
	handle("GET", "/servers/{serverid}", account, func(q *req) {
		i := q.serverByID()
		if i < 0 {
			return
		}
		q.srv.Mu.Lock()
		defer q.srv.Mu.Unlock()
		q.json(serverJSON(q.srv.St.Servers[i]))
	})
	handle("PUT", "/servers/{serverid}", account, func(q *req) {
		i := q.serverByID()
		if i < 0 {
			return
		}
		q.editServer(i)
	})
	handle("DELETE", "/servers/{serverid}", account, func(q *req) {
		i := q.serverByID()
		if i < 0 {
			return
		}
		q.srv.Mu.Lock()
		name := q.srv.St.Servers[i].Name
		q.srv.St.Servers = slices.Delete(q.srv.St.Servers, i, i+1)
		q.srv.Mu.Unlock()
		q.json(map[string]any{"ErrorCode": 0, "Message": "Server " + name + " removed."})
	})
	handle("GET", "/senders", account, func(q *req) {
		count, offset, ok := q.paging(false)
		if !ok {
			return
		}
		q.srv.Mu.Lock()
		all := slices.Clone(q.srv.St.Senders)
		q.srv.Mu.Unlock()
		out := []map[string]any{}
		for _, s := range page(all, offset, count) {
			out = append(out, map[string]any{"ID": s.ID, "Name": s.Name, "EmailAddress": s.EmailAddress,
				"ReplyToEmailAddress": s.ReplyToEmailAddress, "Domain": s.Domain, "Confirmed": s.Confirmed})
		}
		q.json(map[string]any{"TotalCount": q.total(len(all), offset, count), "SenderSignatures": out})
	})
	handle("GET", "/domains", account, func(q *req) {
		count, offset, ok := q.paging(false)
		if !ok {
			return
		}
		q.srv.Mu.Lock()
		all := slices.Clone(q.srv.St.Domains)
		q.srv.Mu.Unlock()
		out := []map[string]any{}
		for _, d := range page(all, offset, count) {
			out = append(out, map[string]any{"ID": d.ID, "Name": d.Name, "DKIMVerified": d.DKIMVerified,
				"ReturnPathDomainVerified": d.ReturnPathVerified, "SPFVerified": d.SPFVerified, "WeakDKIM": d.WeakDKIM})
		}
		q.json(map[string]any{"TotalCount": q.total(len(all), offset, count), "Domains": out})
	})

	// ---- server API (X-Postmark-Server-Token) ----
	handle("GET", "/server", server, func(q *req) {
		q.srv.Mu.Lock()
		defer q.srv.Mu.Unlock()
		q.json(serverJSON(q.srv.St.Servers[q.server]))
	})
	handle("PUT", "/server", server, func(q *req) { q.editServer(q.server) })

	// /webhooks is outside the 2019 spec: Postmark's current documentation
	// (../shared/reference/providers.md §5).
	handle("GET", "/webhooks", server, func(q *req) {
		q.srv.Mu.Lock()
		sv := q.srv.St.Servers[q.server]
		q.srv.Mu.Unlock()
		if sv.WebhooksStatus != 0 {
			q.fail(sv.WebhooksStatus, CodeNotFound, http.StatusText(sv.WebhooksStatus))
			return
		}
		stream := q.r.URL.Query().Get("MessageStream")
		out := []map[string]any{}
		for _, wh := range sv.Webhooks {
			if stream == "" || wh.MessageStream == stream {
				out = append(out, webhookJSON(wh))
			}
		}
		q.json(map[string]any{"Webhooks": out})
	})
	handle("DELETE", "/webhooks/{id}", server, func(q *req) {
		id, err := strconv.ParseInt(q.params["id"], 10, 64)
		q.srv.Mu.Lock()
		defer q.srv.Mu.Unlock()
		sv := &q.srv.St.Servers[q.server]
		i := slices.IndexFunc(sv.Webhooks, func(w Webhook) bool { return w.ID == id })
		if err != nil || i < 0 {
			q.fail(http.StatusUnprocessableEntity, CodeNotFound, "The webhook was not found.")
			return
		}
		sv.Webhooks = slices.Delete(sv.Webhooks, i, i+1)
		q.json(map[string]any{"ErrorCode": 0, "Message": fmt.Sprintf("Webhook %d removed.", id)})
	})

	handle("GET", "/messages/outbound", server, func(q *req) {
		count, offset, ok := q.paging(true)
		if !ok {
			return
		}
		lo, hi, ok := q.dateRange()
		if !ok {
			return
		}
		q.srv.Mu.Lock()
		sv := q.srv.St.Servers[q.server]
		q.srv.Mu.Unlock()
		m := sv.Mail
		first, last := m.window(lo, hi)
		n := last - first
		if q.fault != nil && q.fault.GrowTotal {
			// Fresh items on every page: messages of the past, newer first.
			n, first, last = offset+count, -offset-count, -offset
		}
		out := []map[string]any{}
		for k := offset; k < min(offset+count, n); k++ {
			i := last - 1 - k // newest first
			out = append(out, m.message(sv.ID, i))
		}
		q.json(map[string]any{"TotalCount": q.total(n, offset, count), "Messages": out})
	})
	handle("GET", "/bounces", server, func(q *req) {
		count, offset, ok := q.paging(true)
		if !ok {
			return
		}
		lo, hi, ok := q.dateRange()
		if !ok {
			return
		}
		typ := q.r.URL.Query().Get("type")
		q.srv.Mu.Lock()
		sv := q.srv.St.Servers[q.server]
		q.srv.Mu.Unlock()
		m := sv.Mail
		first, last := m.window(lo, hi)
		var all []map[string]any
		for i := last - 1; i >= first; i-- { // newest first
			kind := m.bounceType(i)
			if kind == "" || (typ != "" && typ != kind) {
				continue
			}
			all = append(all, m.bounce(sv.ID, i, kind))
		}
		q.json(map[string]any{"TotalCount": q.total(len(all), offset, count), "Bounces": orEmpty(page(all, offset, count))})
	})
	handle("GET", "/stats/outbound/bounces", server, func(q *req) {
		lo, hi, ok := q.dateRange()
		if !ok {
			return
		}
		q.srv.Mu.Lock()
		m := q.srv.St.Servers[q.server].Mail
		q.srv.Mu.Unlock()
		per, total := m.perDay(lo, hi, "HardBounce")
		days := []map[string]any{}
		for _, d := range sortedDays(per) {
			days = append(days, map[string]any{"Date": d, "HardBounce": per[d]})
		}
		q.json(map[string]any{"Days": days, "HardBounce": total, "SoftBounce": 0, "Transient": 0, "SMTPApiError": 0})
	})
	handle("GET", "/stats/outbound/spam", server, func(q *req) {
		lo, hi, ok := q.dateRange()
		if !ok {
			return
		}
		q.srv.Mu.Lock()
		m := q.srv.St.Servers[q.server].Mail
		q.srv.Mu.Unlock()
		per, total := m.perDay(lo, hi, "SpamComplaint")
		days := []map[string]any{}
		for _, d := range sortedDays(per) {
			days = append(days, map[string]any{"Date": d, "SpamComplaint": per[d]})
		}
		q.json(map[string]any{"Days": days, "SpamComplaint": total})
	})
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// serverByID finds {serverid}; -1 after answering 422 (Postmark answers a
// missing server with 422, not 404).
func (q *req) serverByID() int {
	id, err := strconv.ParseInt(q.params["serverid"], 10, 64)
	q.srv.Mu.Lock()
	defer q.srv.Mu.Unlock()
	i := slices.IndexFunc(q.srv.St.Servers, func(s Server) bool { return s.ID == id })
	if err != nil || i < 0 {
		q.fail(http.StatusUnprocessableEntity, CodeNotFound, "The server was not found.")
		return -1
	}
	return i
}

// editServer applies a PUT body's hook URLs and settings to server i and
// answers with the server.
func (q *req) editServer(i int) {
	var b map[string]json.RawMessage
	if err := json.Unmarshal(q.body, &b); err != nil {
		q.fail(http.StatusUnprocessableEntity, CodeInvalid, "The request body is not valid JSON.")
		return
	}
	q.srv.Mu.Lock()
	defer q.srv.Mu.Unlock()
	sv := &q.srv.St.Servers[i]
	str := map[string]*string{"Name": &sv.Name, "Color": &sv.Color, "BounceHookUrl": &sv.BounceHookUrl, "OpenHookUrl": &sv.OpenHookUrl,
		"DeliveryHookUrl": &sv.DeliveryHookUrl, "ClickHookUrl": &sv.ClickHookUrl, "InboundHookUrl": &sv.InboundHookUrl,
		"InboundDomain": &sv.InboundDomain, "TrackLinks": &sv.TrackLinks}
	boolean := map[string]*bool{"SmtpApiActivated": &sv.SmtpApiActivated, "RawEmailEnabled": &sv.RawEmailEnabled,
		"TrackOpens": &sv.TrackOpens, "PostFirstOpenOnly": &sv.PostFirstOpenOnly}
	for k, raw := range b {
		switch {
		case str[k] != nil:
			if err := json.Unmarshal(raw, str[k]); err != nil {
				q.fail(http.StatusUnprocessableEntity, CodeInvalid, k+" must be a string.")
				return
			}
		case boolean[k] != nil:
			if err := json.Unmarshal(raw, boolean[k]); err != nil {
				q.fail(http.StatusUnprocessableEntity, CodeInvalid, k+" must be a boolean.")
				return
			}
		case k == "InboundSpamThreshold":
			if err := json.Unmarshal(raw, &sv.InboundSpamThreshold); err != nil {
				q.fail(http.StatusUnprocessableEntity, CodeInvalid, k+" must be an integer.")
				return
			}
		}
	}
	q.json(serverJSON(*sv))
}

func serverJSON(sv Server) map[string]any {
	return map[string]any{
		"ID": sv.ID, "Name": sv.Name, "ApiTokens": orEmpty(sv.ApiTokens), "Color": sv.Color,
		"ServerLink":       fmt.Sprintf("https://postmarkapp.com/servers/%d/streams", sv.ID),
		"SmtpApiActivated": sv.SmtpApiActivated, "RawEmailEnabled": sv.RawEmailEnabled,
		"InboundAddress": sv.InboundAddress, "InboundHookUrl": sv.InboundHookUrl, "BounceHookUrl": sv.BounceHookUrl,
		"OpenHookUrl": sv.OpenHookUrl, "DeliveryHookUrl": sv.DeliveryHookUrl, "ClickHookUrl": sv.ClickHookUrl,
		"PostFirstOpenOnly": sv.PostFirstOpenOnly, "TrackOpens": sv.TrackOpens, "TrackLinks": sv.TrackLinks,
		"InboundDomain": sv.InboundDomain, "InboundHash": sv.InboundHash, "InboundSpamThreshold": sv.InboundSpamThreshold,
	}
}

func webhookJSON(wh Webhook) map[string]any {
	trig := map[string]any{}
	for _, t := range []string{"Open", "Click", "Delivery", "Bounce", "SpamComplaint", "SubscriptionChange"} {
		trig[t] = map[string]any{"Enabled": slices.Contains(wh.Triggers, t)}
	}
	headers := []map[string]string{}
	for k, v := range wh.Headers {
		headers = append(headers, map[string]string{"Name": k, "Value": v})
	}
	out := map[string]any{"ID": wh.ID, "Url": wh.URL, "MessageStream": wh.MessageStream, "HttpHeaders": headers, "Triggers": trig}
	if wh.HTTPAuthUser != "" {
		out["HttpAuth"] = map[string]string{"Username": wh.HTTPAuthUser, "Password": wh.HTTPAuthPass}
	}
	return out
}

// at is when message i was sent.
func (m Mail) at(i int) time.Time {
	span := m.Until.Sub(m.Since)
	return m.Since.Add(time.Duration(int64(span) / int64(max(m.Count, 1)) * int64(i))).Truncate(time.Second).UTC()
}

// window is the messages sent in [lo, hi]: indexes first..last-1.
func (m Mail) window(lo, hi time.Time) (first, last int) {
	first = sort.Search(m.Count, func(i int) bool { return !m.at(i).Before(lo) })
	last = sort.Search(m.Count, func(i int) bool { return m.at(i).After(hi) })
	return first, max(first, last)
}

func (m Mail) subject(i int) string {
	if len(m.Subjects) == 0 {
		return ""
	}
	return m.Subjects[i%len(m.Subjects)]
}

func messageID(server int64, i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", server, i)
}

func (m Mail) message(server int64, i int) map[string]any {
	to := []map[string]string{{"Email": m.To, "Name": ""}}
	return map[string]any{
		"Tag": "", "MessageID": messageID(server, i), "To": to, "Cc": []any{}, "Bcc": []any{},
		"Recipients": []string{m.To}, "ReceivedAt": m.at(i).Format(time.RFC3339), "From": m.From,
		"Subject": m.subject(i), "Attachments": []any{}, "Status": "Sent", "TrackOpens": false, "TrackLinks": "None",
		"MessageStream": "outbound",
	}
}

// bounceType is what became of message i: "HardBounce", "SpamComplaint"
// or "".
func (m Mail) bounceType(i int) string {
	switch {
	case m.SpamEvery > 0 && i%m.SpamEvery == m.SpamEvery-1:
		return "SpamComplaint"
	case m.BounceEvery > 0 && i%m.BounceEvery == 0:
		return "HardBounce"
	}
	return ""
}

func (m Mail) bounce(server int64, i int, kind string) map[string]any {
	code := 1
	if kind == "SpamComplaint" {
		code = 512
	}
	return map[string]any{
		"ID": strconv.FormatInt(server*10_000_000+int64(i), 10), "Type": kind, "TypeCode": code, "Name": kind,
		"Tag": "", "MessageID": messageID(server, i), "Description": "The message bounced.", "Details": "",
		"Email": m.To, "BouncedAt": m.at(i).Add(time.Minute).Format(time.RFC3339), "DumpAvailable": false,
		"Inactive": kind == "HardBounce", "CanActivate": true, "Subject": m.subject(i),
	}
}

// perDay counts the messages of a kind per day (YYYY-MM-DD) in [lo, hi].
func (m Mail) perDay(lo, hi time.Time, kind string) (map[string]int, int) {
	first, last := m.window(lo, hi)
	per := map[string]int{}
	total := 0
	for i := first; i < last; i++ {
		if m.bounceType(i) == kind {
			per[m.at(i).Format("2006-01-02")]++
			total++
		}
	}
	return per, total
}

func sortedDays(per map[string]int) []string {
	var ds []string
	for d := range per {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	return ds
}
