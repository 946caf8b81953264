package sendgrid

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// Page sizes: each endpoint's maximum where the spec gives one.
const (
	teammatesPage = 500 // spec maximum
	subusersPage  = 500
	settingsPage  = 100
	sendersPage   = 100
	domainsPage   = 100
	keysLimit     = 500 // an account holds at most 100 keys; no offset exists
	activityLimit = 1000
	subuserCache  = time.Minute
)

// listPage fetches one page and decodes the array at key ("": the body is
// the array), at most max elements; n counts them all and size is the
// body's length.
func listPage[T any](ctx context.Context, c *Client, k call, key string, max int) (items []T, n, size int, err error) {
	err = c.do(ctx, k, func(data []byte) error {
		size = len(data)
		var derr error
		items, n, derr = provider.DecodeList[T](data, key, max)
		return derr
	})
	return items, n, size, err
}

func get(op, route, path string) call {
	return call{op: op, method: "GET", route: route, path: path, idempotent: true}
}

func esc(s string) string { return url.PathEscape(s) }

func unix(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// Account implements provider.AccountReader from the profile, account type,
// email and username endpoints. A part the key may not read is left empty;
// it fails only when nothing could be read or on a non-permission error.
func (c *Client) Account(ctx context.Context) (provider.Account, error) {
	var (
		a       provider.Account
		profile struct {
			Company   string `json:"company"`
			FirstName string `json:"first_name"`
			LastName  string `json:"last_name"`
		}
		acct struct {
			Type string `json:"type"`
		}
		email struct {
			Email string `json:"email"`
		}
		user struct {
			Username string `json:"username"`
		}
	)
	parts := []struct {
		c   call
		out any
	}{
		{get("read the account profile", "/v3/user/profile", "/v3/user/profile"), &profile},
		{get("read the account type", "/v3/user/account", "/v3/user/account"), &acct},
		{get("read the account email", "/v3/user/email", "/v3/user/email"), &email},
		{get("read the account username", "/v3/user/username", "/v3/user/username"), &user},
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() { errs[i] = c.do(ctx, p.c, p.out) })
	}
	wg.Wait()
	read := 0
	for _, err := range errs {
		if err == nil {
			read++
			continue
		}
		if !errors.Is(err, provider.ErrPermission) {
			return a, err
		}
	}
	if read == 0 {
		return a, errors.Join(errs...)
	}
	a.Username, a.Email, a.Company, a.Type = provider.Clip(user.Username, maxField), provider.Clip(email.Email, maxField), provider.Clip(profile.Company, maxField), provider.Clip(acct.Type, maxField)
	return a, nil
}

type keyRecord struct {
	ID     string   `json:"api_key_id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// listKeysOf lists one user's keys with each key's scopes (sub: subuser, or
// "" for the account itself), within the keys section's budget.
func (c *Client) listKeysOf(ctx context.Context, sub string, sec *provider.Section) ([]provider.APIKey, error) {
	op := "list API keys"
	if sub != "" {
		op = "list API keys of subuser " + provider.SanitizeN(sub, 60)
	}
	if !sec.Room() {
		return nil, nil
	}
	k := get(op, "/v3/api_keys", "/v3/api_keys")
	k.query = url.Values{"limit": {strconv.Itoa(keysLimit)}}
	k.onBehalfOf = sub
	list, n, size, err := listPage[keyRecord](ctx, c, k, "result", min(keysLimit, sec.Remaining()))
	if err != nil {
		return nil, err
	}
	if n >= keysLimit {
		return nil, &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: fmt.Sprintf("SendGrid returned %d keys, more than one page can hold", n)}
	}
	sec.Read(size)
	list = list[:min(sec.Keep(n), len(list))]
	keys := make([]provider.APIKey, len(list))
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, r := range list {
		keys[i] = provider.APIKey{ID: provider.Clip(r.ID, maxField), Name: provider.Clip(r.Name, maxField), Subuser: sub}
		wg.Go(func() {
			d := get("read the scopes of key "+provider.SanitizeN(r.ID, 30), "/v3/api_keys/{api_key_id}", "/v3/api_keys/"+esc(r.ID))
			d.onBehalfOf = sub
			det, _, size, err := listPage[keyRecord](ctx, c, d, "result", 4)
			if err != nil {
				if errors.Is(err, provider.ErrNotFound) {
					return // revoked meanwhile: keep it listed, without scopes
				}
				errs[i] = err
				return
			}
			sec.Read(size)
			for _, x := range det {
				if x.ID == r.ID || len(det) == 1 {
					keys[i].Scopes = clipAll(x.Scopes)
					keys[i].FullAccess = isFullAccess(x.Scopes)
				}
			}
		})
	}
	wg.Wait()
	c.mu.Lock()
	for _, k := range keys {
		c.keyOwner[k.ID] = sub
	}
	c.mu.Unlock()
	return keys, errors.Join(errs...)
}

// maxField caps a provider string reclaim keeps (a name, an address); a
// longer one is cut and marked with "…".
const maxField = 1024

// maxScopes caps the scopes kept per key (SendGrid has about 300).
const maxScopes = 1000

func clipAll(xs []string) []string {
	xs = xs[:min(len(xs), maxScopes)]
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = provider.Clip(x, 200)
	}
	return out
}

// ListKeys implements provider.KeyLister: the account's keys and every
// subuser's keys (through on-behalf-of), each with its scopes. When some
// subusers cannot be read it returns what it read and an error naming them.
// The section's item and byte caps (provider.Limits) count every key list
// and key read; subusers come from ListSubusers and its caps. A cap reached
// returns the keys read with a *provider.Truncation.
func (c *Client) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	sec := c.opts.Limits.Section("API keys")
	keys, err := c.listKeysOf(ctx, "", sec)
	if err != nil && keys == nil {
		if err := sec.Failed(ctx, err); err != nil {
			return nil, err
		}
		return nil, sec.Err()
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	subs, serr := c.ListSubusers(ctx)
	var subTrunc []*provider.Truncation
	if serr != nil {
		subTrunc, serr = provider.SplitTruncated(serr)
	}
	if serr != nil {
		if errors.Is(serr, provider.ErrPermission) || errors.Is(serr, provider.ErrNotFound) {
			// No subusers feature or no scope: the account's own keys stand.
			return keys, errors.Join(append(errs, sec.Err())...)
		}
		return keys, errors.Join(append(errs, serr, sec.Err())...)
	}
	type res struct {
		keys []provider.APIKey
		err  error
	}
	results := make([]res, len(subs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(c.opts.Concurrency, len(subs)) {
		wg.Go(func() {
			for i := range work {
				k, err := c.listKeysOf(ctx, subs[i].Username, sec)
				results[i] = res{k, err}
			}
		})
	}
	for i := range subs {
		if ctx.Err() != nil || !sec.Room() {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	// Past the time limit, the reads it stopped are the section's
	// truncation, not failures; those that failed before it still count.
	timedOut := provider.TimedOut(ctx)
	if timedOut {
		sec.Stop(provider.CauseTime, "")
		errs = slices.DeleteFunc(errs, isCtxErr)
	}
	var failed []string
	var firstErr error
	for i, r := range results {
		keys = append(keys, r.keys...)
		if r.err != nil && !(timedOut && isCtxErr(r.err)) {
			failed = append(failed, subs[i].Username)
			if firstErr == nil {
				firstErr = r.err
			}
		}
	}
	if ctx.Err() != nil && !timedOut {
		return keys, &provider.Error{Kind: provider.ErrUnavailable, Op: "list subusers' API keys", Err: ctx.Err()}
	}
	if len(failed) > 0 {
		names := failed
		if len(names) > 5 {
			names = append(slices.Clone(names[:5]), fmt.Sprintf("and %d more", len(failed)-5))
		}
		errs = append(errs, fmt.Errorf("could not read the keys of %d subuser(s) (%s): %w", len(failed), provider.SanitizeN(strings.Join(names, ", "), 200), firstErr))
	}
	if err := sec.Err(); err != nil {
		errs = append(errs, err)
	} else if len(subTrunc) > 0 {
		errs = append(errs, &provider.Truncation{What: "API keys", Cause: provider.CauseSource, Items: len(keys),
			Detail: fmt.Sprintf("only the keys of the first %d subusers were read (subusers %s)", len(subs), subTrunc[0].Reason())})
	}
	return keys, errors.Join(errs...)
}

// isCtxErr says err is (or wraps) a context's end.
func isCtxErr(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

type sgTeammate struct {
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	UserType  string `json:"user_type"`
	IsAdmin   bool   `json:"is_admin"`
}

type sgInvite struct {
	Email          string `json:"email"`
	IsAdmin        bool   `json:"is_admin"`
	Token          string `json:"token"`
	ExpirationDate int64  `json:"expiration_date"`
}

// ListTeammates implements provider.TeammateLister: teammates (paged by
// limit and offset) and pending invites, two parts of one section
// (provider.Section.Parts): teammates cut short (a cap, a repeated page, the
// time limit) still leave the invites read, and the truncation names every
// part that was cut or not read. What was read comes back with the
// *provider.Truncation.
func (c *Client) ListTeammates(ctx context.Context) ([]provider.Teammate, error) {
	var out []provider.Teammate
	sec := c.opts.Limits.Section("teammates")
	parts := sec.Parts("teammates", "pending invites")
	mates, invites := parts[0], parts[1]
	lst := mates.Listing()
	for offset := 0; lst.More(); offset += teammatesPage {
		k := get("list teammates", "/v3/teammates", "/v3/teammates")
		k.query = url.Values{"limit": {strconv.Itoa(teammatesPage)}, "offset": {strconv.Itoa(offset)}}
		page, n, size, err := listPage[sgTeammate](ctx, c, k, "result", mates.Remaining())
		if err != nil {
			if err := mates.Failed(ctx, err); err != nil {
				return out, err
			}
			break
		}
		keep, more := lst.Page(size, n, len(page), func(i int) string { return page[i].Username + "\x00" + page[i].Email })
		for _, t := range page[:keep] {
			out = append(out, provider.Teammate{
				Username: provider.Clip(t.Username, maxField), Email: provider.Clip(t.Email, maxField),
				Name:  provider.Clip(strings.TrimSpace(t.FirstName+" "+t.LastName), maxField),
				Admin: t.IsAdmin || t.UserType == "admin" || t.UserType == "owner",
				Owner: t.UserType == "owner",
			})
		}
		if n < teammatesPage || !more {
			break
		}
	}
	mates.Done()
	defer invites.Done()
	if !invites.Next() {
		return out, sec.Err()
	}
	k := get("list pending teammate invites", "/v3/teammates/pending", "/v3/teammates/pending")
	pending, n, size, err := listPage[sgInvite](ctx, c, k, "result", invites.Remaining())
	if err != nil {
		if err := invites.Failed(ctx, err); err != nil {
			return out, errors.Join(err, sec.Err())
		}
		return out, sec.Err()
	}
	invites.Read(size)
	for _, p := range pending[:min(invites.Keep(n), len(pending))] {
		t := provider.Teammate{Email: provider.Clip(p.Email, maxField), Admin: p.IsAdmin, Pending: true, Token: provider.Clip(p.Token, maxField)}
		if exp := unix(p.ExpirationDate); !exp.IsZero() {
			// Invites expire seven days after they are sent.
			t.Created = exp.Add(-7 * 24 * time.Hour)
		}
		out = append(out, t)
	}
	return out, sec.Err()
}

type sgSubuser struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Disabled bool   `json:"disabled"`
}

// ListSubusers implements provider.SubuserLister (paged by limit and
// offset, within the section's caps: a cap reached returns the subusers read
// with a *provider.Truncation). The list is cached for a minute: ListKeys
// needs it too.
func (c *Client) ListSubusers(ctx context.Context) ([]provider.Subuser, error) {
	c.mu.Lock()
	if c.subusers != nil && c.opts.Now().Sub(c.subusersT) < subuserCache {
		s, err := slices.Clone(c.subusers), c.subusersE
		c.mu.Unlock()
		return s, err
	}
	c.mu.Unlock()
	out := []provider.Subuser{}
	sec := c.opts.Limits.Section("subusers")
	lst := sec.Listing()
	for offset := 0; lst.More(); offset += subusersPage {
		k := get("list subusers", "/v3/subusers", "/v3/subusers")
		k.query = url.Values{"limit": {strconv.Itoa(subusersPage)}, "offset": {strconv.Itoa(offset)}}
		page, n, size, err := listPage[sgSubuser](ctx, c, k, "", sec.Remaining())
		if err != nil {
			if err := sec.Failed(ctx, err); err != nil {
				return nil, err
			}
			break
		}
		keep, more := lst.Page(size, n, len(page), func(i int) string { return page[i].Username })
		for _, s := range page[:keep] {
			out = append(out, provider.Subuser{Username: provider.Clip(s.Username, maxField), Email: provider.Clip(s.Email, maxField), Disabled: s.Disabled})
		}
		if n < subusersPage || !more {
			break
		}
	}
	terr := sec.Err()
	c.mu.Lock()
	c.subusers, c.subusersE, c.subusersT = out, terr, c.opts.Now()
	c.mu.Unlock()
	return slices.Clone(out), terr
}

type sgEventWebhook struct {
	ID          string     `json:"id"`
	URL         string     `json:"url"`
	Enabled     bool       `json:"enabled"`
	CreatedDate *time.Time `json:"created_date"`
}

type sgParse struct {
	URL      string `json:"url"`
	Hostname string `json:"hostname"`
}

// ListWebhooks implements provider.WebhookLister: every event webhook and
// every inbound-parse setting, two parts of one section (a part cut short
// leaves the other read; what was read comes back with a
// *provider.Truncation naming each part cut or not read).
func (c *Client) ListWebhooks(ctx context.Context) ([]provider.Webhook, error) {
	sec := c.opts.Limits.Section("webhooks")
	parts := sec.Parts("event webhooks", "inbound-parse settings")
	events, parses := parts[0], parts[1]
	var out []provider.Webhook
	if events.Next() {
		ev, n, size, err := listPage[sgEventWebhook](ctx, c, get("list event webhooks", "/v3/user/webhooks/event/settings/all", "/v3/user/webhooks/event/settings/all"), "webhooks", events.Remaining())
		if err != nil {
			if err := events.Failed(ctx, err); err != nil {
				return nil, err
			}
		}
		events.Read(size)
		for _, w := range ev[:min(events.Keep(n), len(ev))] {
			h := provider.Webhook{ID: provider.Clip(w.ID, maxField), Kind: provider.WebhookEvent, URL: provider.Clip(w.URL, maxField), Enabled: w.Enabled}
			if w.CreatedDate != nil {
				h.Created = w.CreatedDate.UTC()
			}
			out = append(out, h)
		}
	}
	events.Done()
	defer parses.Done()
	if !parses.Next() {
		return out, sec.Err()
	}
	parse, n, size, err := listPage[sgParse](ctx, c, get("list inbound-parse settings", "/v3/user/webhooks/parse/settings", "/v3/user/webhooks/parse/settings"), "result", parses.Remaining())
	if err != nil {
		if err := parses.Failed(ctx, err); err != nil {
			return out, errors.Join(err, sec.Err())
		}
		return out, sec.Err()
	}
	parses.Read(size)
	for _, p := range parse[:min(parses.Keep(n), len(parse))] {
		host := provider.Clip(p.Hostname, maxField)
		out = append(out, provider.Webhook{ID: host, Kind: provider.WebhookParse, URL: provider.Clip(p.URL, maxField), Hostname: host, Enabled: true})
	}
	return out, sec.Err()
}

// detailedSettings are the mail settings read one by one for their values;
// forwarding ones copy mail to an address.
type mailSettingSpec struct {
	name     string
	forwards bool
}

var detailedSettings = []mailSettingSpec{
	{"forward_bounce", true},
	{"forward_spam", true},
	{"address_whitelist", false},
	{"footer", false},
	{"template", false},
}

const maxValue = 200

func clip(s string) string {
	s = strings.TrimSpace(provider.Clip(s, 4*maxValue))
	if r := []rune(s); len(r) > maxValue {
		return string(r[:maxValue-1]) + "…"
	}
	return s
}

type sgMailSetting struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

// ListMailSettings implements provider.MailSettingsLister: the list (paged
// by limit and offset, within the section's caps) and the values of
// forward_bounce, forward_spam, address_whitelist, footer and template.
func (c *Client) ListMailSettings(ctx context.Context) ([]provider.MailSetting, error) {
	var out []provider.MailSetting
	idx := map[string]int{}
	sec := c.opts.Limits.Section("mail settings")
	lst := sec.Listing()
	for offset := 0; lst.More(); offset += settingsPage {
		k := get("list mail settings", "/v3/mail_settings", "/v3/mail_settings")
		k.query = url.Values{"limit": {strconv.Itoa(settingsPage)}, "offset": {strconv.Itoa(offset)}}
		page, n, size, err := listPage[sgMailSetting](ctx, c, k, "result", sec.Remaining())
		if err != nil {
			if err := sec.Failed(ctx, err); err != nil {
				return nil, err
			}
			break
		}
		keep, more := lst.Page(size, n, len(page), func(i int) string { return page[i].Name })
		for _, s := range page[:keep] {
			name := provider.Clip(s.Name, maxField)
			idx[name] = len(out)
			out = append(out, provider.MailSetting{Name: name, Enabled: s.Enabled})
		}
		if n < settingsPage || !more {
			break
		}
	}
	details := make([]provider.MailSetting, len(detailedSettings))
	errs := make([]error, len(detailedSettings))
	var wg sync.WaitGroup
	for i, d := range detailedSettings {
		wg.Go(func() {
			route := "/v3/mail_settings/" + d.name
			var v struct {
				Enabled      bool       `json:"enabled"`
				Email        *string    `json:"email"`
				List         cappedList `json:"list"`
				HTMLContent  string     `json:"html_content"`
				PlainContent string     `json:"plain_content"`
			}
			if err := c.do(ctx, get("read mail setting "+d.name, route, route), &v); err != nil {
				errs[i] = err
				return
			}
			m := provider.MailSetting{Name: d.name, Enabled: v.Enabled, Forwards: d.forwards}
			switch {
			case v.Email != nil:
				m.Value = clip(*v.Email)
			case v.List != nil:
				m.Value = clip(strings.Join(v.List, ", "))
			case v.PlainContent != "":
				m.Value = clip(v.PlainContent)
			default:
				m.Value = clip(v.HTMLContent)
			}
			details[i] = m
		})
	}
	wg.Wait()
	// Past the time limit, the values it stopped leave the section
	// truncated (time limit), not failed.
	timedOut := provider.TimedOut(ctx)
	if timedOut {
		sec.Stop(provider.CauseTime, "")
	}
	var failed []error
	for i, m := range details {
		if errs[i] != nil {
			if !(timedOut && isCtxErr(errs[i])) {
				failed = append(failed, errs[i])
			}
			if j, ok := idx[detailedSettings[i].name]; ok {
				out[j].Forwards = detailedSettings[i].forwards
			}
			continue
		}
		if j, ok := idx[m.Name]; ok {
			out[j] = m
		} else {
			out = append(out, m)
		}
	}
	return out, errors.Join(append(failed, sec.Err())...)
}

// cappedList is a JSON list of strings of which only the first 100 are
// decoded: a mail setting's list is shown clipped anyway.
type cappedList []string

func (l *cappedList) UnmarshalJSON(b []byte) error {
	xs, _, err := provider.DecodeList[string](b, "", 100)
	if xs == nil && err == nil {
		xs = []string{}
	}
	*l = xs
	return err
}

// ListSenders implements provider.SenderLister: verified senders (cursor
// lastSeenID), legacy sender identities, Marketing Campaigns senders and
// authenticated domains (limit and offset), read at once as four parts of
// one section (provider.Section.Parts): each has its share of the caps, a
// part cut short (a cap, a repeated page, the time limit) never stops the
// others, and what was read comes back with a *provider.Truncation naming
// every part cut or not read. An endpoint the account lacks (404) counts as
// empty.
func (c *Client) ListSenders(ctx context.Context) ([]provider.Sender, error) {
	sec := c.opts.Limits.Section("senders")
	readers := []func(context.Context, *provider.Section) ([]provider.Sender, error){c.verifiedSenders, c.legacySenders, c.marketingSenders, c.domains}
	parts := sec.Parts("verified senders", "sender identities", "marketing senders", "authenticated domains")
	res := make([][]provider.Sender, len(readers))
	errs := make([]error, len(readers)+1)
	var wg sync.WaitGroup
	for i, f := range readers {
		wg.Go(func() {
			defer parts[i].Done()
			res[i], errs[i] = f(ctx, parts[i])
			if errors.Is(errs[i], provider.ErrNotFound) {
				errs[i] = nil
			}
		})
	}
	wg.Wait()
	var out []provider.Sender
	for _, r := range res {
		out = append(out, r...)
	}
	errs[len(readers)] = sec.Err()
	return out, errors.Join(errs...)
}

type sgVerifiedSender struct {
	ID        int64  `json:"id"`
	FromEmail string `json:"from_email"`
	Verified  bool   `json:"verified"`
}

func (c *Client) verifiedSenders(ctx context.Context, sec *provider.Section) ([]provider.Sender, error) {
	var out []provider.Sender
	last := int64(-1)
	lst := sec.Listing()
	for lst.More() {
		k := get("list verified senders", "/v3/verified_senders", "/v3/verified_senders")
		k.query = url.Values{"limit": {strconv.Itoa(sendersPage)}}
		if last >= 0 {
			k.query.Set("lastSeenID", strconv.FormatInt(last, 10))
		}
		page, n, size, err := listPage[sgVerifiedSender](ctx, c, k, "results", sec.Remaining())
		if err != nil {
			return out, sec.Failed(ctx, err)
		}
		keep, more := lst.Page(size, n, len(page), func(i int) string { return strconv.FormatInt(page[i].ID, 10) })
		next := last
		for _, s := range page[:keep] {
			out = append(out, provider.Sender{ID: "verified:" + strconv.FormatInt(s.ID, 10), Kind: "single", Address: provider.Clip(s.FromEmail, maxField), Verified: s.Verified})
			next = max(next, s.ID)
		}
		if n < sendersPage || next == last || !more {
			return out, nil
		}
		last = next
	}
	return out, nil
}

type senderRecord struct {
	ID   int64 `json:"id"`
	From struct {
		Email string `json:"email"`
	} `json:"from"`
	Verified  bool  `json:"verified"`
	CreatedAt int64 `json:"created_at"`
}

// singleSenders reads an unpaged sender list (key: its array's key).
func (c *Client) singleSenders(ctx context.Context, sec *provider.Section, k call, key, prefix string) ([]provider.Sender, error) {
	if !sec.Next() {
		return nil, nil
	}
	list, n, size, err := listPage[senderRecord](ctx, c, k, key, sec.Remaining())
	if err != nil {
		return nil, sec.Failed(ctx, err)
	}
	sec.Read(size)
	var out []provider.Sender
	for _, s := range list[:min(sec.Keep(n), len(list))] {
		out = append(out, provider.Sender{ID: prefix + strconv.FormatInt(s.ID, 10), Kind: "single", Address: provider.Clip(s.From.Email, maxField), Verified: s.Verified, Created: unix(s.CreatedAt)})
	}
	return out, nil
}

func (c *Client) legacySenders(ctx context.Context, sec *provider.Section) ([]provider.Sender, error) {
	return c.singleSenders(ctx, sec, get("list sender identities", "/v3/senders", "/v3/senders"), "result", "sender:")
}

func (c *Client) marketingSenders(ctx context.Context, sec *provider.Section) ([]provider.Sender, error) {
	return c.singleSenders(ctx, sec, get("list marketing senders", "/v3/marketing/senders", "/v3/marketing/senders"), "results", "marketing:")
}

type sgDomain struct {
	ID     int64  `json:"id"`
	Domain string `json:"domain"`
	Valid  bool   `json:"valid"`
}

func (c *Client) domains(ctx context.Context, sec *provider.Section) ([]provider.Sender, error) {
	var out []provider.Sender
	lst := sec.Listing()
	for offset := 0; lst.More(); offset += domainsPage {
		k := get("list authenticated domains", "/v3/whitelabel/domains", "/v3/whitelabel/domains")
		k.query = url.Values{"limit": {strconv.Itoa(domainsPage)}, "offset": {strconv.Itoa(offset)}}
		page, n, size, err := listPage[sgDomain](ctx, c, k, "", sec.Remaining())
		if err != nil {
			return out, sec.Failed(ctx, err)
		}
		keep, more := lst.Page(size, n, len(page), func(i int) string { return strconv.FormatInt(page[i].ID, 10) })
		for _, d := range page[:keep] {
			out = append(out, provider.Sender{ID: "domain:" + strconv.FormatInt(d.ID, 10), Kind: "domain", Address: provider.Clip(d.Domain, maxField), Verified: d.Valid})
		}
		if n < domainsPage || !more {
			return out, nil
		}
	}
	return out, nil
}

// ListAllowRules implements provider.AllowListReader (one page, within the
// section's caps).
func (c *Client) ListAllowRules(ctx context.Context) ([]provider.AllowRule, error) {
	sec := c.opts.Limits.Section("IP allow list")
	sec.Next()
	list, n, size, err := listPage[allowRecord](ctx, c, get("read the IP allow list", "/v3/access_settings/whitelist", "/v3/access_settings/whitelist"), "result", sec.Remaining())
	if err != nil {
		if err := sec.Failed(ctx, err); err != nil {
			return nil, err
		}
		return nil, sec.Err()
	}
	sec.Read(size)
	return allowRules(list[:min(sec.Keep(n), len(list))]), sec.Err()
}

type allowRecord struct {
	ID        int64  `json:"id"`
	IP        string `json:"ip"`
	CreatedAt int64  `json:"created_at"`
}

func allowRules(rs []allowRecord) []provider.AllowRule {
	out := make([]provider.AllowRule, 0, len(rs))
	for _, r := range rs {
		out = append(out, provider.AllowRule{ID: strconv.FormatInt(r.ID, 10), CIDR: provider.Clip(r.IP, maxField), Created: unix(r.CreatedAt)})
	}
	return out
}

type sgActivity struct {
	Allowed    bool   `json:"allowed"`
	AuthMethod string `json:"auth_method"`
	FirstAt    int64  `json:"first_at"`
	LastAt     int64  `json:"last_at"`
	IP         string `json:"ip"`
	Location   string `json:"location"`
}

// ListActivity implements provider.ActivityLister: recent access attempts,
// aggregated by IP and outcome, most recent first (one page of at most
// 1,000, within the section's caps).
func (c *Client) ListActivity(ctx context.Context) ([]provider.AccessEvent, error) {
	sec := c.opts.Limits.Section("access activity")
	sec.Next()
	k := get("read access activity", "/v3/access_settings/activity", "/v3/access_settings/activity")
	k.query = url.Values{"limit": {strconv.Itoa(activityLimit)}}
	var list struct{ Result []sgActivity }
	rows, n, size, err := listPage[sgActivity](ctx, c, k, "result", sec.Remaining())
	if err != nil {
		if err := sec.Failed(ctx, err); err != nil {
			return nil, err
		}
		return nil, sec.Err()
	}
	sec.Read(size)
	list.Result = rows[:min(sec.Keep(n), len(rows))]
	type key struct {
		ip      string
		allowed bool
	}
	idx := map[key]int{}
	var out []provider.AccessEvent
	for _, r := range list.Result {
		first, last := unix(r.FirstAt), unix(r.LastAt)
		k := key{r.IP, r.Allowed}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, provider.AccessEvent{IP: provider.Clip(r.IP, maxField), Location: provider.Clip(r.Location, maxField), Method: provider.Clip(r.AuthMethod, 200), Allowed: r.Allowed, First: first, Last: last, Count: 1})
			continue
		}
		e := &out[i]
		e.Count++
		if !first.IsZero() && (e.First.IsZero() || first.Before(e.First)) {
			e.First = first
		}
		if last.After(e.Last) {
			e.Last = last
		}
		if r.AuthMethod != "" && len(e.Method) < 500 && !strings.Contains(e.Method, r.AuthMethod) {
			e.Method = strings.TrimPrefix(e.Method+", "+r.AuthMethod, ", ")
		}
	}
	slices.SortStableFunc(out, func(a, b provider.AccessEvent) int { return b.Last.Compare(a.Last) })
	return out, sec.Err()
}
