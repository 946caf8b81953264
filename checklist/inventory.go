package checklist

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"time"

	"reclaim/provider"
)

// Inventory is a snapshot of an account, taken before anything changes (and
// again at the end, to show the result). It holds metadata only.
type Inventory struct {
	TakenAt time.Time `json:"taken_at"`
	// OwnerDomains are domains the owner named as theirs (reclaim audit
	// --domain), for providers whose API names none (Twilio): webhooks,
	// forwarding and addresses are judged against them too.
	OwnerDomains []string               `json:"owner_domains,omitempty"`
	Account      *provider.Account      `json:"account,omitempty"`
	Keys         []provider.APIKey      `json:"keys"`
	Teammates    []provider.Teammate    `json:"teammates"`
	Subusers     []provider.Subuser     `json:"subusers"`
	Webhooks     []provider.Webhook     `json:"webhooks"`
	MailSettings []provider.MailSetting `json:"mail_settings"`
	Senders      []provider.Sender      `json:"senders"`
	AllowList    []provider.AllowRule   `json:"allow_list"`
	Activity     []provider.AccessEvent `json:"activity"`
	Mail         *MailSummary           `json:"mail,omitempty"`
	// Secrets are the account-level secrets that are not API keys (auth
	// tokens, SMTP credentials, signing keys), from provider.SecretLister:
	// names and dates only, never a value.
	Secrets []provider.AccountSecret `json:"secrets,omitempty"`
	// Read lists the sections that were read; Errors those that failed
	// (with the reason); a section in neither the provider cannot read.
	Read   []string          `json:"read"`
	Errors map[string]string `json:"errors,omitempty"`
	// Truncated names the sections whose reading stopped at a cap, or at
	// the time limit, before the provider's list ended (see
	// provider.Limits), with the reason, e.g. "subusers" -> "truncated at
	// 5000 items (item cap)", "teammates" -> "truncated at 1500 items:
	// teammates truncated at 500 items (repeated page: …)". Such a section
	// is also in Read (what was read is kept) and must never be shown as
	// complete.
	Truncated map[string]string `json:"truncated,omitempty"`

	// failedForNow are the sections in Errors whose read failed for a
	// reason that may pass (see FailedForNow); set by TakeInventory.
	failedForNow map[string]bool
}

// FailedForNow lists the sections (sorted) whose read failed for a reason
// that may pass on another try: the provider unavailable or rate limiting,
// the network, a damaged answer, the time limit. It leaves out those the
// provider refuses to read (a missing scope, a feature the account or its
// plan lacks). Only an inventory TakeInventory made knows them.
func (inv *Inventory) FailedForNow() []string {
	var out []string
	for sec := range inv.failedForNow {
		out = append(out, sec)
	}
	sort.Strings(out)
	return out
}

// refusedToRead reports whether a read failed because the provider will
// not let it happen (rather than for now).
func refusedToRead(err error) bool {
	for _, k := range []error{provider.ErrPermission, provider.ErrUnsupported, provider.ErrNotFound, provider.ErrBadCredentials, provider.ErrInvalid} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// MailSummary condenses the last 30 days of mail: per-day volume and subject
// counts, so that 100,000 messages need not sit in the state file.
type MailSummary struct {
	Since    time.Time      `json:"since"`
	Total    int            `json:"total"`
	PerDay   map[string]int `json:"per_day"`  // "2006-01-02" -> count
	Subjects []SubjectCount `json:"subjects"` // most frequent first, capped
	// From are the from-addresses, most frequent first, capped: with the
	// subjects and the per-day volume, the account's sending profile.
	From []AddressCount `json:"from,omitempty"`
}

// AddressCount is one from-address and how many messages it sent.
type AddressCount struct {
	Address string `json:"address"`
	Count   int    `json:"count"`
}

// SubjectCount is one subject line and how often it was sent.
type SubjectCount struct {
	Subject   string    `json:"subject"`
	Count     int       `json:"count"`
	From      string    `json:"from,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
}

const maxSubjects = 50

// Section names, used in Inventory.Read and Errors.
const (
	SecAccount   = "account"
	SecKeys      = "api_keys"
	SecTeammates = "teammates"
	SecSubusers  = "subusers"
	SecWebhooks  = "webhooks"
	SecMail      = "mail_settings"
	SecSenders   = "senders"
	SecAllow     = "ip_allow_list"
	SecActivity  = "access_activity"
	SecMessages  = "messages_30d"
	SecSecrets   = "account_secrets"
)

// TakeInventory reads everything the provider can read, concurrently. A
// section that fails is recorded in Errors; the rest is still returned.
// It fails only when nothing at all could be read.
// With sections given, it reads only those.
//
// When ctx's deadline passes (the audit's --timeout), every list keeps what
// it read and is marked "truncated at N items (time limit)" (adapters do so
// with provider.Section.Failed; a list that failed without saying so is
// marked here); a section that is no list, such as the account, records
// that the time limit stopped it.
func TakeInventory(ctx context.Context, p provider.Provider, now time.Time, sections ...string) (*Inventory, error) {
	inv := &Inventory{TakenAt: now.UTC(), Errors: map[string]string{}, Truncated: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	run := func(sec string, f func() error) {
		if len(sections) > 0 && !slices.Contains(sections, sec) {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f()
			mu.Lock()
			defer mu.Unlock()
			// A list stopped at a cap comes back with what was read and a
			// *provider.Truncation: the section counts as read, marked.
			truncs, err := provider.SplitTruncated(err)
			if err != nil && provider.TimedOut(ctx) {
				// The time limit stopped the read: keep what it read.
				if n, list := sectionLen(inv, sec); list {
					truncs, err = append(truncs, provider.TimeLimit(sec, n, "items")), nil
				} else {
					err = errors.New("not read: the time limit passed first")
				}
			}
			if len(truncs) > 0 {
				inv.Truncated[sec] = provider.TruncationReason(truncs)
			}
			if err != nil {
				inv.Errors[sec] = provider.Sanitize(err.Error())
				if !refusedToRead(err) {
					if inv.failedForNow == nil {
						inv.failedForNow = map[string]bool{}
					}
					inv.failedForNow[sec] = true
				}
				return
			}
			inv.Read = append(inv.Read, sec)
		}()
	}
	if r, ok := p.(provider.AccountReader); ok {
		run(SecAccount, func() error {
			a, err := r.Account(ctx)
			if err == nil {
				inv.Account = &a
			}
			return err
		})
	}
	if r, ok := p.(provider.KeyLister); ok {
		run(SecKeys, func() (err error) { inv.Keys, err = r.ListKeys(ctx); return })
	}
	if r, ok := p.(provider.TeammateLister); ok {
		run(SecTeammates, func() (err error) { inv.Teammates, err = r.ListTeammates(ctx); return })
	}
	if r, ok := p.(provider.SubuserLister); ok {
		run(SecSubusers, func() (err error) { inv.Subusers, err = r.ListSubusers(ctx); return })
	}
	if r, ok := p.(provider.WebhookLister); ok {
		run(SecWebhooks, func() (err error) { inv.Webhooks, err = r.ListWebhooks(ctx); return })
	}
	if r, ok := p.(provider.MailSettingsLister); ok {
		run(SecMail, func() (err error) { inv.MailSettings, err = r.ListMailSettings(ctx); return })
	}
	if r, ok := p.(provider.SenderLister); ok {
		run(SecSenders, func() (err error) { inv.Senders, err = r.ListSenders(ctx); return })
	}
	if r, ok := p.(provider.AllowListReader); ok {
		run(SecAllow, func() (err error) { inv.AllowList, err = r.ListAllowRules(ctx); return })
	}
	if r, ok := p.(provider.ActivityLister); ok {
		run(SecActivity, func() (err error) { inv.Activity, err = r.ListActivity(ctx); return })
	}
	if r, ok := p.(provider.SecretLister); ok {
		run(SecSecrets, func() (err error) { inv.Secrets, err = r.ListSecrets(ctx); return })
	}
	if r, ok := p.(provider.MessageLister); ok {
		run(SecMessages, func() error {
			s, err := SummarizeMail(ctx, r, now.Add(-30*24*time.Hour))
			if s != nil {
				inv.Mail = s
			}
			return err
		})
	}
	wg.Wait()
	sort.Strings(inv.Read)
	if len(inv.Read) == 0 && len(inv.Errors) > 0 {
		var first error = errors.New("could not read anything from the account")
		for sec, msg := range inv.Errors {
			first = errors.New(sec + ": " + msg)
			break
		}
		return inv, first
	}
	return inv, nil
}

// sectionLen is how many items a list section holds; list is false for a
// section that is no list (the account, the messages' summary).
func sectionLen(inv *Inventory, sec string) (n int, list bool) {
	switch sec {
	case SecKeys:
		return len(inv.Keys), true
	case SecTeammates:
		return len(inv.Teammates), true
	case SecSubusers:
		return len(inv.Subusers), true
	case SecWebhooks:
		return len(inv.Webhooks), true
	case SecMail:
		return len(inv.MailSettings), true
	case SecSenders:
		return len(inv.Senders), true
	case SecAllow:
		return len(inv.AllowList), true
	case SecActivity:
		return len(inv.Activity), true
	case SecSecrets:
		return len(inv.Secrets), true
	}
	return 0, false
}

// SummarizeMail pages through the messages since a time and condenses them.
// A listing stopped at a cap gives the summary of what was read along with
// the *provider.Truncation.
func SummarizeMail(ctx context.Context, r provider.MessageLister, since time.Time) (*MailSummary, error) {
	s := &MailSummary{Since: since.UTC(), PerDay: map[string]int{}}
	type agg struct {
		count int
		from  string
		first time.Time
	}
	subjects := map[string]*agg{}
	froms := map[string]int{}
	err := r.ListMessages(ctx, since, func(page []provider.Message) error {
		for _, m := range page {
			s.Total++
			if _, ok := froms[m.From]; ok || len(froms) < 10000 { // bounded, as the subjects
				froms[m.From]++
			}
			s.PerDay[m.Sent.UTC().Format("2006-01-02")]++
			a, ok := subjects[m.Subject]
			if !ok {
				if len(subjects) >= 10000 { // bound memory on hostile data
					continue
				}
				a = &agg{from: m.From, first: m.Sent}
				subjects[m.Subject] = a
			}
			a.count++
			if m.Sent.Before(a.first) {
				a.first = m.Sent
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		if !provider.TimedOut(ctx) {
			return nil, err
		}
		// The time limit stopped the listing: summarise what was read.
		err = provider.TimeLimit("messages", s.Total, "messages")
	}
	for subj, a := range subjects {
		s.Subjects = append(s.Subjects, SubjectCount{Subject: subj, Count: a.count, From: a.from, FirstSeen: a.first.UTC()})
	}
	sort.Slice(s.Subjects, func(i, j int) bool {
		if s.Subjects[i].Count != s.Subjects[j].Count {
			return s.Subjects[i].Count > s.Subjects[j].Count
		}
		return s.Subjects[i].Subject < s.Subjects[j].Subject
	})
	if len(s.Subjects) > maxSubjects {
		s.Subjects = s.Subjects[:maxSubjects]
	}
	for a, n := range froms {
		s.From = append(s.From, AddressCount{Address: a, Count: n})
	}
	sort.Slice(s.From, func(i, j int) bool {
		if s.From[i].Count != s.From[j].Count {
			return s.From[i].Count > s.From[j].Count
		}
		return s.From[i].Address < s.From[j].Address
	})
	if len(s.From) > maxSubjects {
		s.From = s.From[:maxSubjects]
	}
	return s, err
}
