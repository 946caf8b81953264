package main

import (
	"bufio"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"reclaim/checklist"
	"reclaim/provider"
)

func init() {
	subcommands = append(subcommands, newAuditCmd)
}

// auditOptions are the audit's tuning flags.
type auditOptions struct {
	domains []string
	limits  provider.Limits
	maxMiB  int
	timeout time.Duration
}

// DefaultAuditTimeout bounds a whole audit, a guard against a provider that
// answers every page just before each request's own deadline (30 s) or
// holds answers back: the benchmark account (2,000 subusers, 100,000
// messages) reads in about 11 s at 200 requests a second and 30 ms a
// request (BenchmarkSendGridInventory). When it
// passes, every list keeps the pages it read and is marked "truncated at N
// (time limit)"; --timeout raises it.
const DefaultAuditTimeout = 5 * time.Minute

// auditMemoryLimit is the Go runtime's soft memory limit during an audit
// (unless GOMEMLIMIT is set; the GC also runs at GOGC=50 unless GOGC is
// set): with the list caps it keeps the process well under 150 MB whatever
// the provider answers.
const auditMemoryLimit = 96 << 20

func newAuditCmd() *cobra.Command {
	var providerID string
	var asJSON bool
	var o auditOptions
	c := &cobra.Command{
		Use:   "audit --provider NAME [--json]",
		Short: "Read-only inventory and findings for a provider account (scripts, cron)",
		Long: `Read everything the provider's API allows — keys, teammates, subusers,
webhooks, mail settings, senders, IP allow list, access activity, the last 30
days of mail — and report what looks wrong. Changes nothing.

The credential comes from the provider's environment variable, the OS
keyring, or a masked prompt when standard input is a terminal; never a flag.
Progress goes to standard error, and only when it is a terminal.

Every list is read within caps, per section: 200 pages, 5,000 items and
8 MiB of answers (the last 30 days of mail: 2,000 requests, 250,000
messages, 512 MiB); a section that reads several lists (teammates and
invites, the kinds of senders) gives each a share, and one list cut short
never stops the others. A list also stops when a page repeats or when the
provider's claimed total keeps changing. A section stopped early is marked
"truncated at N" in the text and under "truncated" in the JSON, with every
list that was cut or not read, never shown as complete; the flags below
raise the caps. A rate-limit wait longer than 60 s is not waited out: the
section fails with the wait the provider asked. A request with no complete
answer within 30 s fails and is not retried; the whole audit stops after
--timeout (5 minutes), keeping what it read, the lists it stopped marked
"truncated at N (time limit)".

Exit: 0 no findings, 1 findings or a truncated (incomplete) inventory,
2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.maxMiB > 0 {
				o.limits.MaxBytes = int64(o.maxMiB) << 20
			}
			return runAudit(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), providerID, asJSON, o)
		},
	}
	c.Flags().StringVar(&providerID, "provider", "", "provider: "+strings.Join(provider.IDs(), ", "))
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().IntVar(&o.limits.MaxPages, "max-pages", provider.DefaultMaxPages, "pages read per section at most")
	c.Flags().IntVar(&o.limits.MaxItems, "max-items", provider.DefaultMaxItems, "items kept per section at most")
	c.Flags().IntVar(&o.maxMiB, "max-bytes", provider.DefaultMaxBytes>>20, "MiB of answers read per section at most")
	c.Flags().IntVar(&o.limits.MaxMessages, "max-messages", provider.DefaultMaxMessages, "messages of the last 30 days read at most")
	c.Flags().IntVar(&o.limits.MaxMessagePages, "max-message-pages", provider.DefaultMaxMessagePages, "requests for the last 30 days of mail at most")
	c.Flags().DurationVar(&o.timeout, "timeout", DefaultAuditTimeout, "stop reading after this long, keeping what was read (lists cut are marked \"time limit\")")
	c.Flags().StringSliceVar(&o.domains, "domain", nil, "your own domain(s), for providers whose API names none: webhooks and forwarding elsewhere become findings")
	_ = c.MarkFlagRequired("provider")
	return c
}

// auditResult is the audit's JSON document.
type auditResult struct {
	Provider  string               `json:"provider"`
	Generated time.Time            `json:"generated"`
	Inventory *checklist.Inventory `json:"inventory"`
	Findings  []checklist.Finding  `json:"findings"`
	// Permissions says which steps the credential allows (providers that
	// can tell, e.g. SendGrid from GET /v3/scopes).
	Permissions *provider.PermissionReport `json:"permissions,omitempty"`
}

func runAudit(ctx context.Context, stdout, stderr io.Writer, providerID string, asJSON bool, o auditOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if o.timeout <= 0 {
		o.timeout = DefaultAuditTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(auditMemoryLimit))
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	f, ok := provider.Lookup(providerID)
	if !ok {
		return withCode(exitError, fmt.Errorf("unknown provider %q (known: %s)", providerID, strings.Join(provider.IDs(), ", ")))
	}
	b := newBackend()
	var p provider.Provider
	var err error
	if f.Simulated {
		// The drill's default scenario; it needs no credential.
		if p, err = f.New(provider.Config{}); err != nil {
			return withCode(exitError, err)
		}
		if sim, ok := p.(provider.Simulator); ok {
			p = sim.Styled() // what the imitated provider's API can read
		}
	} else {
		cred, _ := b.Credential(f.Info)
		if cred == "" {
			cred, err = promptCredential(f.Info, stderr)
			if err != nil {
				return withCode(exitError, err)
			}
		}
		cfg := b.providerConfig(f.Info, cred)
		cfg.Limits = o.limits
		p, err = f.New(cfg)
		if err != nil {
			return withCode(exitError, err)
		}
	}
	progress := term.IsTerminal(os.Stderr.Fd())
	if n, ok := p.(provider.RateLimitNotifier); ok && progress {
		n.OnRateLimit(rateLimitProgress(stderr))
	}
	var perms *provider.PermissionReport
	if r, ok := p.(provider.PermissionReporter); ok {
		// First call: it also proves the credential works.
		rep, err := r.Permissions(ctx)
		if err != nil {
			return withCode(exitError, fmt.Errorf("%s — %s", provider.Sanitize(err.Error()), provider.Advice(err)))
		}
		perms = &rep
	}
	if progress {
		fmt.Fprintf(stderr, "reading %s account…\n", f.Info.Name)
	}
	now := time.Now().UTC()
	inv, err := checklist.TakeInventory(ctx, p, now)
	if err != nil && inv == nil {
		return withCode(exitError, fmt.Errorf("%s — %s", provider.Sanitize(err.Error()), provider.Advice(err)))
	}
	// When nothing could be read the report still lists why, section by
	// section, before the audit exits 2.
	readErr := err
	for _, d := range o.domains {
		if d = strings.TrimSpace(d); d != "" && !strings.ContainsAny(d, "/@ \t") {
			inv.OwnerDomains = append(inv.OwnerDomains, d)
		}
	}
	in := checklist.AnalysisInput{}
	if s, ok := p.(provider.SessionKeyReporter); ok {
		in.SessionKeyID = s.SessionKeyID()
	}
	findings := checklist.Analyze(inv, in)
	if asJSON {
		if err := writeAuditJSON(stdout, auditResult{Provider: f.Info.ID, Generated: now, Inventory: inv, Findings: findings, Permissions: perms}); err != nil {
			return withCode(exitError, err)
		}
	} else {
		writeAuditText(stdout, f.Info, inv, findings)
		writePermissions(stdout, perms)
	}
	if readErr != nil {
		return withCode(exitError, fmt.Errorf("%s — %s", provider.Sanitize(readErr.Error()), provider.Advice(readErr)))
	}
	if len(inv.Errors) > 0 && len(inv.Read) == 0 {
		return withCode(exitError, nil)
	}
	// A section that could not be read is no all-clear: the audit is
	// incomplete, like a list cut short.
	if len(findings) > 0 || len(inv.Truncated) > 0 || len(inv.Errors) > 0 {
		return withCode(exitFindings, nil)
	}
	return nil
}

func writeAuditText(w io.Writer, info provider.Info, inv *checklist.Inventory, findings []checklist.Finding) {
	s := provider.Sanitize
	fmt.Fprintf(w, "%s audit, %s\n\n", info.Name, inv.TakenAt.Format("2006-01-02 15:04:05Z"))
	if inv.Account != nil {
		fmt.Fprintf(w, "Account: %s <%s>\n", s(inv.Account.Username), s(inv.Account.Email))
	}
	// head prints a section's heading when the section was read; sections
	// the provider's API cannot read are named once at the end instead.
	var notRead []string
	head := func(sec, title string, n int) bool {
		if !slices.Contains(inv.Read, sec) {
			if _, failed := inv.Errors[sec]; !failed {
				notRead = append(notRead, title)
			}
			return false
		}
		if title == "Access activity" {
			fmt.Fprintf(w, "%s (%d addresses):\n", title, n)
		} else {
			fmt.Fprintf(w, "%s (%d):\n", title, n)
		}
		if why, ok := inv.Truncated[sec]; ok {
			fmt.Fprintf(w, "  ! incomplete: %s\n", s(why))
		}
		return true
	}

	if head(checklist.SecKeys, "API keys", len(inv.Keys)) {
		for _, k := range inv.Keys {
			scope := fmt.Sprintf("%d scopes", len(k.Scopes))
			switch {
			case k.FullAccess:
				scope = "full access"
			case k.Master:
				scope = "master key"
			case len(k.Scopes) == 0:
				scope = "sub-key"
			}
			if k.Inactive {
				scope += ", inactive"
			}
			owner := ""
			if k.Subuser != "" {
				owner = ", subuser " + s(k.Subuser)
			}
			fmt.Fprintf(w, "  - %s (id %s, %s%s, created %s)\n", s(k.Name), s(k.ID), scope, owner, checklist.Age(inv.TakenAt, k.Created))
		}
	}
	if head(checklist.SecTeammates, "Teammates and invites", len(inv.Teammates)) {
		for _, t := range inv.Teammates {
			role := "teammate"
			switch {
			case t.Owner:
				role = "owner"
			case t.Pending:
				role = "pending invite"
			case t.Admin:
				role = "admin"
			}
			if t.Username == "" {
				fmt.Fprintf(w, "  - <%s> (%s)\n", s(t.Email), role)
				continue
			}
			fmt.Fprintf(w, "  - %s <%s> (%s)\n", s(t.Username), s(t.Email), role)
		}
	}
	if head(checklist.SecSecrets, "Account secrets", len(inv.Secrets)) {
		for _, x := range inv.Secrets {
			extra := ""
			if x.Domain != "" {
				extra = ", " + s(x.Domain)
			}
			if x.Session {
				extra += ", reclaim is connected with it"
			}
			fmt.Fprintf(w, "  - %s (%s%s)\n", s(x.Name), s(x.Kind), extra)
		}
	}
	if head(checklist.SecSubusers, "Subusers", len(inv.Subusers)) {
		for _, su := range inv.Subusers {
			st := ""
			if su.Disabled {
				st = " (disabled)"
			}
			fmt.Fprintf(w, "  - %s <%s>%s\n", s(su.Username), s(su.Email), st)
		}
	}
	if head(checklist.SecWebhooks, "Webhooks and parse routes", len(inv.Webhooks)) {
		for _, h := range inv.Webhooks {
			extra := ""
			if h.Domain != "" {
				extra = " (domain " + s(h.Domain) + ")"
			}
			if h.Filter != "" {
				extra += " matching " + s(h.Filter)
			}
			fmt.Fprintf(w, "  - %s %s%s\n", h.Kind, s(h.URL), extra)
		}
	}
	if head(checklist.SecMail, "Mail settings", len(inv.MailSettings)) {
		for _, m := range inv.MailSettings {
			on := "off"
			if m.Enabled {
				on = "on"
			}
			fmt.Fprintf(w, "  - %s: %s %s\n", s(m.Name), on, s(m.Value))
		}
	}
	if head(checklist.SecSenders, "Sender identities", len(inv.Senders)) {
		for _, x := range inv.Senders {
			fmt.Fprintf(w, "  - %s %s\n", x.Kind, s(x.Address))
		}
	}
	if head(checklist.SecAllow, "IP allow list", len(inv.AllowList)) {
		for _, r := range inv.AllowList {
			fmt.Fprintf(w, "  - %s\n", s(r.CIDR))
		}
	}
	if head(checklist.SecActivity, "Access activity", len(inv.Activity)) {
		for _, a := range inv.Activity {
			fmt.Fprintf(w, "  - %s %s: %d (%v)\n", s(a.IP), s(a.Location), a.Count, map[bool]string{true: "allowed", false: "refused"}[a.Allowed])
		}
	}
	if inv.Mail != nil {
		fmt.Fprintf(w, "Messages in the last 30 days: %d\n", inv.Mail.Total)
		if why, ok := inv.Truncated[checklist.SecMessages]; ok {
			fmt.Fprintf(w, "  ! incomplete: %s\n", s(why))
		}
		for _, sc := range inv.Mail.Subjects[:min(len(inv.Mail.Subjects), 10)] {
			fmt.Fprintf(w, "  - %d × %s (from %s)\n", sc.Count, provider.SanitizeN(sc.Subject, 80), s(sc.From))
		}
	}
	sectionList(w, inv.Errors, "Could not read", "review it in the console instead", info, s)
	if len(inv.Truncated) > 0 {
		sectionList(w, inv.Truncated, "Incomplete: stopped before the provider's list ended", "review the rest in the console", info, s)
		fmt.Fprintf(w, "  (the caps: --max-pages, --max-items, --max-bytes, --max-messages)\n")
	}
	if len(notRead) > 0 {
		fmt.Fprintf(w, "Not available through %s's API: %s\n", info.Name, strings.Join(notRead, ", "))
	}
	fmt.Fprintf(w, "\nFindings (%d):\n", len(findings))
	for _, f := range findings {
		fmt.Fprintf(w, "  [%s] %s\n", f.Severity, s(f.Title))
	}
}

// sectionItems maps inventory sections to the checklist item whose console
// page shows the same thing.
var sectionItems = map[string]provider.Item{
	checklist.SecAccount:   provider.ItemAccount,
	checklist.SecKeys:      provider.ItemAPIKeys,
	checklist.SecTeammates: provider.ItemTeammates,
	checklist.SecSubusers:  provider.ItemSubusers,
	checklist.SecWebhooks:  provider.ItemWebhooks,
	checklist.SecMail:      provider.ItemMailSettings,
	checklist.SecSenders:   provider.ItemSenders,
	checklist.SecAllow:     provider.ItemIPAccess,
	checklist.SecActivity:  provider.ItemActivity,
	checklist.SecMessages:  provider.ItemMessages,
}

// writePermissions lists which steps the credential allows and, for the
// others, the permission each needs.
func writePermissions(w io.Writer, rep *provider.PermissionReport) {
	if rep == nil {
		return
	}
	allowed := 0
	for _, it := range rep.Items {
		if it.Allowed {
			allowed++
		}
	}
	fmt.Fprintf(w, "\nWhat this key allows (%d of %d steps):\n", allowed, len(rep.Items))
	for _, it := range rep.Items {
		if it.Allowed {
			fmt.Fprintf(w, "  [ok] %s\n", it.Action)
			continue
		}
		fmt.Fprintf(w, "  [no] %s: needs %s\n", it.Action, provider.Sanitize(strings.Join(it.Missing, ", ")))
	}
}

// rateLimitProgress reports rate-limit waits on a terminal, at most one line
// every few seconds (many requests wait for the same reset).
func rateLimitProgress(w io.Writer) func(time.Duration) {
	var mu sync.Mutex
	var last time.Time
	return func(d time.Duration) {
		if d < time.Second {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < 3*time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "waiting %s for the provider's rate limit…\n", d.Round(time.Second))
	}
}

// writeAuditJSON writes the audit's JSON document to w, streamed: the bytes
// json.MarshalIndent (two-space indent) and terminalSafeJSON would give,
// followed by a newline, but written field by field and list element by
// list element through a small buffer, so that a large inventory is never
// copied into one JSON buffer (three, with the indent and the escaping).
func writeAuditJSON(w io.Writer, doc auditResult) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	ts := &terminalSafeWriter{w: bw}
	if err := streamJSON(ts, reflect.ValueOf(doc), ""); err != nil {
		return err
	}
	if _, err := ts.Write([]byte("\n")); err != nil {
		return err
	}
	if err := ts.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

const jsonIndent = "  "

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether t (or *t) encodes itself.
func marshals(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonMarshaler) || t.Implements(textMarshaler) || pt.Implements(jsonMarshaler) || pt.Implements(textMarshaler)
}

// streamJSON writes v as json.MarshalIndent(v, prefix, "  ") would, one
// piece at a time: plain structs field by field, slices element by
// element, anything else (strings, maps, times, small values) through
// json.MarshalIndent.
func streamJSON(w io.Writer, v reflect.Value, prefix string) error {
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct && !marshals(v.Type()) {
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Struct && plainStruct(v.Type()):
		return streamStruct(w, v, prefix)
	case v.Kind() == reflect.Slice && !v.IsNil() && v.Len() > 0 && v.Type().Elem().Kind() != reflect.Uint8 && !marshals(v.Type()):
		inner := prefix + jsonIndent
		if _, err := io.WriteString(w, "[\n"); err != nil {
			return err
		}
		for i := range v.Len() {
			if _, err := io.WriteString(w, inner); err != nil {
				return err
			}
			if err := streamJSON(w, v.Index(i), inner); err != nil {
				return err
			}
			sep := ",\n"
			if i == v.Len()-1 {
				sep = "\n"
			}
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, prefix+"]")
		return err
	}
	var x any
	if v.CanAddr() {
		x = v.Addr().Interface() // pointer-receiver MarshalJSON, as json would
	} else {
		x = v.Interface()
	}
	b, err := json.MarshalIndent(x, prefix, jsonIndent)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// plainStruct reports whether streamStruct writes t exactly as
// encoding/json would: no custom encoding, no embedded fields, no tag
// options besides omitempty.
func plainStruct(t reflect.Type) bool {
	if marshals(t) {
		return false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return false
		}
		if !f.IsExported() {
			continue
		}
		_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if opts != "" && opts != "omitempty" {
			return false
		}
	}
	return true
}

func streamStruct(w io.Writer, v reflect.Value, prefix string) error {
	t := v.Type()
	inner := prefix + jsonIndent
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if opts == "omitempty" && emptyJSON(fv) {
			continue
		}
		key, err := json.Marshal(name)
		if err != nil {
			return err
		}
		lead := ",\n"
		if n == 0 {
			lead = "{\n"
		}
		n++
		if _, err := io.WriteString(w, lead+inner+string(key)+": "); err != nil {
			return err
		}
		if err := streamJSON(w, fv, inner); err != nil {
			return err
		}
	}
	end := "\n" + prefix + "}"
	if n == 0 {
		end = "{}"
	}
	_, err := io.WriteString(w, end)
	return err
}

// emptyJSON is encoding/json's test for omitempty.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// terminalSafeWriter passes JSON through terminalSafeJSON as it is
// written, holding back an incomplete UTF-8 sequence at the end of a write
// until the next one completes it. Close writes what is left.
type terminalSafeWriter struct {
	w       io.Writer
	pending []byte
}

func (t *terminalSafeWriter) Write(b []byte) (int, error) {
	n := len(b)
	if len(t.pending) > 0 {
		b = append(t.pending, b...)
		t.pending = nil
	}
	// Hold back a trailing rune that may still be incomplete.
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	t.pending = append(t.pending[:0], b[cut:]...)
	if _, err := t.w.Write(terminalSafeJSON(b[:cut])); err != nil {
		return 0, err
	}
	return n, nil
}

// Close writes a held-back partial sequence as it is.
func (t *terminalSafeWriter) Close() error {
	if len(t.pending) == 0 {
		return nil
	}
	_, err := t.w.Write(terminalSafeJSON(t.pending))
	t.pending = nil
	return err
}

// terminalSafeJSON is provider.TerminalSafeJSON: every character Sanitize would
// remove that encoding/json leaves raw is escaped as \uXXXX.
func terminalSafeJSON(b []byte) []byte { return provider.TerminalSafeJSON(b) }

// sectionList prints sections with a reason each (unreadable or cut short),
// in name order, each with its console link.
func sectionList(w io.Writer, reasons map[string]string, title, linkText string, info provider.Info, s func(string) string) {
	if len(reasons) == 0 {
		return
	}
	secs := make([]string, 0, len(reasons))
	for k := range reasons {
		secs = append(secs, k)
	}
	sort.Strings(secs)
	fmt.Fprintf(w, "%s (%d):\n", title, len(secs))
	for _, k := range secs {
		fmt.Fprintf(w, "  - %s: %s\n", k, s(reasons[k]))
		if link := info.ConsoleLink(sectionItems[k]); link != "" {
			fmt.Fprintf(w, "    %s: %s\n", linkText, link)
		}
	}
}
