package mailjet

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"reclaim/provider"
)

// Capabilities this adapter implements.
var (
	_ provider.AccountReader  = (*Client)(nil)
	_ provider.KeyLister      = (*Client)(nil)
	_ provider.KeyCreator     = (*Client)(nil)
	_ provider.KeyRevoker     = (*Client)(nil)
	_ provider.KeyVerifier    = (*Client)(nil)
	_ provider.TeammateLister = (*Client)(nil)
	_ provider.WebhookLister  = (*Client)(nil)
	_ provider.WebhookDeleter = (*Client)(nil)
	_ provider.SenderLister   = (*Client)(nil)
	_ provider.ActivityLister = (*Client)(nil)
	_ provider.MessageLister  = (*Client)(nil)
)

// ---- wire shapes (the fields reclaim reads) ----

type mjUser struct {
	ID          int64  `json:"ID"`
	Username    string `json:"Username"`
	Email       string `json:"Email"`
	CreatedAt   mjTime `json:"CreatedAt"`
	FirstIP     string `json:"FirstIp"`
	LastIP      string `json:"LastIp"`
	LastLoginAt mjTime `json:"LastLoginAt"`
}

type mjProfile struct {
	CompanyName  string `json:"CompanyName"`
	BillingEmail string `json:"BillingEmail"`
	Firstname    string `json:"Firstname"`
	Lastname     string `json:"Lastname"`
}

type mjKey struct {
	ID        int64  `json:"ID"`
	APIKey    string `json:"APIKey"`
	SecretKey string `json:"SecretKey"`
	Name      string `json:"Name"`
	IsActive  bool   `json:"IsActive"`
	IsMaster  bool   `json:"IsMaster"`
	CreatedAt mjTime `json:"CreatedAt"`
	ACL       string `json:"ACL"`
	Runlevel  string `json:"Runlevel"`
}

type mjSubaccount struct {
	Email     string `json:"Email"`
	Firstname string `json:"Firstname"`
	Lastname  string `json:"Lastname"`
}

type mjAccess struct {
	ID             int64         `json:"ID"`
	AllowedAccess  string        `json:"AllowedAccess"`
	APIKeyID       int64         `json:"APIKeyID"`
	CreatedAt      mjTime        `json:"CreatedAt"`
	CustomName     string        `json:"CustomName"`
	IsActive       bool          `json:"IsActive"`
	LastActivityAt mjTime        `json:"LastActivityAt"`
	RealUserID     int64         `json:"RealUserID"`
	RealUserALT    string        `json:"RealUserALT"`
	UserID         int64         `json:"UserID"`
	Subaccount     *mjSubaccount `json:"Subaccount"`
}

type mjCallback struct {
	ID        int64  `json:"ID"`
	EventType string `json:"EventType"`
	URL       string `json:"Url"`
	Status    string `json:"Status"`
	IsBackup  bool   `json:"IsBackup"`
}

type mjParseRoute struct {
	ID    int64  `json:"ID"`
	Email string `json:"Email"`
	URL   string `json:"Url"`
}

type mjSender struct {
	ID        int64  `json:"ID"`
	Email     string `json:"Email"`
	Name      string `json:"Name"`
	Status    string `json:"Status"`
	DNSID     int64  `json:"DNSID"`
	CreatedAt mjTime `json:"CreatedAt"`
}

type mjMetasender struct {
	ID        int64  `json:"ID"`
	Email     string `json:"Email"`
	IsEnabled bool   `json:"IsEnabled"`
	CreatedAt mjTime `json:"CreatedAt"`
}

type mjDNS struct {
	ID         int64  `json:"ID"`
	Domain     string `json:"Domain"`
	DKIMStatus string `json:"DKIMStatus"`
	SPFStatus  string `json:"SPFStatus"`
}

type mjMessage struct {
	ID         int64  `json:"ID"`
	ArrivedAt  mjTime `json:"ArrivedAt"`
	Subject    string `json:"Subject"`
	Status     string `json:"Status"`
	ContactAlt string `json:"ContactAlt"`
	FromID     int64  `json:"FromID"`
	SenderID   int64  `json:"SenderID"`
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// ---- AccountReader ----

func (c *Client) user(ctx context.Context, op string) (mjUser, error) {
	var u mjUser
	err := c.getOne(ctx, op, "user", &u)
	return u, err
}

// Account implements provider.AccountReader from /user and /myprofile.
func (c *Client) Account(ctx context.Context) (provider.Account, error) {
	u, err := c.user(ctx, "read the account user")
	if err != nil {
		return provider.Account{}, err
	}
	a := provider.Account{Username: provider.Clip(u.Username, maxField), Email: provider.Clip(u.Email, maxField), Created: u.CreatedAt.Time}
	var p mjProfile
	if err := c.getOne(ctx, "read the account profile", "myprofile", &p); err == nil {
		a.Company = provider.Clip(p.CompanyName, maxField)
	} else if errors.Is(err, provider.ErrBadCredentials) {
		return provider.Account{}, err
	}
	return a, nil
}

// ---- keys ----

// keys lists the keys; a truncated listing comes back with its
// *provider.Truncation.
func (c *Client) keys(ctx context.Context, op string) ([]mjKey, error) {
	ks, err := listAll(ctx, c, c.section("API keys"), op, "apikey", nil, func(k mjKey) string { return id(k.ID) + "/" + k.APIKey })
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return nil, err
	}
	c.mu.Lock()
	for _, k := range ks {
		if k.APIKey != "" {
			c.keyNo[k.APIKey] = k.ID
		}
	}
	c.mu.Unlock()
	return ks, err
}

func toAPIKey(k mjKey) provider.APIKey {
	out := provider.APIKey{ID: provider.Clip(k.APIKey, maxField), Name: provider.Clip(k.Name, maxField), Created: k.CreatedAt.Time, Inactive: !k.IsActive, Master: k.IsMaster}
	if out.ID == "" {
		out.ID = id(k.ID)
	}
	for _, s := range strings.SplitN(provider.Clip(k.ACL, 4096), ",", 200) {
		if s = strings.TrimSpace(s); s != "" {
			out.Scopes = append(out.Scopes, s)
		}
	}
	return out
}

// ListKeys implements provider.KeyLister: the master key and every
// sub-account key, active or not. A key's ID is its public API key, the
// string a leaked .env holds.
func (c *Client) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	ks, err := c.keys(ctx, "list API keys")
	if ks == nil && err != nil {
		return nil, err
	}
	out := make([]provider.APIKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, toAPIKey(k))
	}
	return out, err
}

// CreateKey implements provider.KeyCreator: a new sub-account key. Mailjet
// keys have no scopes, so scopes are ignored. The secret ("apikey:secret")
// is returned once.
func (c *Client) CreateKey(ctx context.Context, name string, scopes []string) (provider.NewKey, error) {
	const op = "create a sub-account key"
	if strings.TrimSpace(name) == "" {
		return provider.NewKey{}, &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "a name is required"}
	}
	var ks []mjKey
	err := c.do(ctx, call{op: op, method: http.MethodPost, path: "apikey", body: map[string]any{"Name": name, "IsActive": true}}, func(body []byte) error {
		var err error
		if ks, _, err = provider.DecodeList[mjKey](body, "Data", 1); err != nil {
			return decodeErr(op, len(body), err)
		}
		return nil
	})
	if err != nil {
		return provider.NewKey{}, err
	}
	if len(ks) == 0 || ks[0].APIKey == "" || ks[0].SecretKey == "" {
		return provider.NewKey{}, &provider.Error{Kind: provider.ErrUnavailable, Op: op, Message: "Mailjet's answer lacks the new key or its secret: look for the key in the console"}
	}
	k := ks[0]
	c.mu.Lock()
	c.keyNo[k.APIKey] = k.ID
	c.mu.Unlock()
	ak := toAPIKey(k)
	if ak.Created.IsZero() {
		ak.Created = time.Now().UTC().Truncate(time.Second)
	}
	return provider.NewKey{APIKey: ak, Secret: k.APIKey + ":" + k.SecretKey}, nil
}

// ErrMasterKey is returned when asked to deactivate the master key.
var ErrMasterKey = errors.New("this is the master key: Mailjet cannot deactivate it; reset its secret in the console (" + APIKeysPage + ")")

// RevokeKey implements provider.KeyRevoker by deactivating a sub-account key
// (PUT IsActive false): Mailjet has no delete. It refuses the master key.
// id is the public API key (or Mailjet's numeric ID).
func (c *Client) RevokeKey(ctx context.Context, keyID string) error {
	const op = "deactivate API key"
	ks, err := c.keys(ctx, op)
	if ks == nil && err != nil {
		return err
	}
	var k *mjKey
	for i := range ks {
		if ks[i].APIKey == keyID || id(ks[i].ID) == keyID {
			k = &ks[i]
			break
		}
	}
	if k == nil {
		if err != nil {
			// The listing was truncated: the key may lie beyond it.
			return err
		}
		return &provider.Error{Kind: provider.ErrNotFound, Op: op, Status: 404, Message: "no key " + provider.SanitizeN(keyID, 40)}
	}
	if k.IsMaster {
		return &provider.Error{Kind: provider.ErrUnsupported, Op: op, Err: ErrMasterKey}
	}
	if !k.IsActive {
		return nil
	}
	return c.do(ctx, call{op: op, method: http.MethodPut, path: "apikey/" + id(k.ID), body: map[string]any{"IsActive": false}}, nil)
}

// VerifyKey implements provider.KeyVerifier with a harmless read (the user
// record) made with the given credential: "apikey:secret", or a secret
// alone, paired with the API key reclaim is connected with (a master secret
// reset keeps the API key). nil: the credential works; ErrBadCredentials:
// Mailjet refused it (401). A 403 means it authenticated: it still works.
func (c *Client) VerifyKey(ctx context.Context, secret string) error {
	const op = "verify a credential"
	key, sec, ok := splitPair(secret)
	if !ok {
		key, sec = c.key, strings.TrimSpace(secret)
		if strings.Contains(sec, ":") {
			key, sec, _ = strings.Cut(sec, ":")
		}
	}
	if key == "" || sec == "" {
		return &provider.Error{Kind: provider.ErrInvalid, Op: op, Message: "give the credential as apikey:secret, or the secret alone"}
	}
	q := url.Values{"Limit": {"1"}}
	err := c.do(ctx, call{op: op, method: http.MethodGet, path: "user", query: q, key: key, secret: sec}, nil)
	if errors.Is(err, provider.ErrPermission) {
		return nil
	}
	return err
}

// ---- TeammateLister ----

// ListTeammates implements provider.TeammateLister from /apikeyaccess: the
// users who can access the account's keys, one entry per user. Mailjet's API
// cannot invite or remove them.
func (c *Client) ListTeammates(ctx context.Context) ([]provider.Teammate, error) {
	rows, err := listAll(ctx, c, c.section("users with access"), "list users with access", "apikeyaccess", nil, func(r mjAccess) string { return id(r.ID) })
	if rows == nil && err != nil {
		return nil, err
	}
	byUser := map[int64]*provider.Teammate{}
	var order []int64
	for _, r := range rows {
		if !r.IsActive {
			continue
		}
		uid := r.RealUserID
		t, ok := byUser[uid]
		if !ok {
			t = &provider.Teammate{Username: provider.Clip(r.RealUserALT, maxField), Name: provider.Clip(r.CustomName, maxField), Created: r.CreatedAt.Time, Owner: uid != 0 && uid == r.UserID}
			if t.Username == "" {
				t.Username = "user " + id(uid)
			}
			if r.Subaccount != nil {
				t.Email = provider.Clip(r.Subaccount.Email, maxField)
				if t.Name == "" {
					t.Name = provider.Clip(strings.TrimSpace(r.Subaccount.Firstname+" "+r.Subaccount.Lastname), maxField)
				}
			}
			if t.Email == "" && strings.Contains(r.RealUserALT, "@") {
				t.Email = t.Username
			}
			byUser[uid] = t
			order = append(order, uid)
		}
		if !r.CreatedAt.IsZero() && (t.Created.IsZero() || r.CreatedAt.Before(t.Created)) {
			t.Created = r.CreatedAt.Time
		}
		if acc := provider.Clip(r.AllowedAccess, 4096); hasAccess(acc, "account") || hasAccess(acc, "api") {
			t.Admin = true
		}
	}
	out := make([]provider.Teammate, 0, len(order))
	for _, uid := range order {
		out = append(out, *byUser[uid])
	}
	return out, err
}

func hasAccess(list, want string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(s), want) {
			return true
		}
	}
	return false
}

// ---- webhooks ----

// ListWebhooks implements provider.WebhookLister: event callback URLs and
// parse routes (the parse route's receiving address goes in Hostname), two
// parts of one section (provider.Section.Parts): one cut short never stops
// the other, and the truncation names each part cut or not read.
func (c *Client) ListWebhooks(ctx context.Context) ([]provider.Webhook, error) {
	sec := c.section("webhooks")
	parts := sec.Parts("event callback URLs", "parse routes")
	cbs, err := listAll(ctx, c, parts[0], "list event callback URLs", "eventcallbackurl", nil, func(x mjCallback) string { return id(x.ID) })
	parts[0].Done()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return nil, err
	}
	prs, err := listAll(ctx, c, parts[1], "list parse routes", "parseroute", nil, func(x mjParseRoute) string { return id(x.ID) })
	parts[1].Done()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return nil, err
	}
	var out []provider.Webhook
	for _, cb := range cbs {
		out = append(out, provider.Webhook{ID: id(cb.ID), Kind: provider.WebhookEvent, URL: provider.Clip(cb.URL, maxField), Enabled: !strings.EqualFold(cb.Status, "dead")})
	}
	for _, pr := range prs {
		out = append(out, provider.Webhook{ID: id(pr.ID), Kind: provider.WebhookParse, URL: provider.Clip(pr.URL, maxField), Hostname: provider.Clip(pr.Email, maxField), Enabled: true})
	}
	return out, sec.Err()
}

// DeleteWebhook implements provider.WebhookDeleter.
func (c *Client) DeleteWebhook(ctx context.Context, w provider.Webhook) error {
	if _, err := strconv.ParseInt(w.ID, 10, 64); err != nil {
		return &provider.Error{Kind: provider.ErrInvalid, Op: "delete webhook", Message: "not a Mailjet id: " + provider.SanitizeN(w.ID, 40)}
	}
	path, op := "eventcallbackurl/"+w.ID, "delete event callback URL"
	if w.Kind == provider.WebhookParse {
		path, op = "parseroute/"+w.ID, "delete parse route"
	}
	return c.do(ctx, call{op: op, method: http.MethodDelete, path: path}, nil)
}

// ---- SenderLister ----

// ListSenders implements provider.SenderLister from /sender, /metasender and
// /dns, three parts of one section (provider.Section.Parts): each has its
// share of the caps, one cut short never stops the others, and the
// truncation names each part cut or not read. A sender "*@domain" is a
// domain sender; a DNS record takes the creation time of the oldest sender
// that uses it.
func (c *Client) ListSenders(ctx context.Context) ([]provider.Sender, error) {
	sec := c.section("senders")
	parts := sec.Parts("senders", "metasenders", "sender domains")
	ss, err := listAll(ctx, c, parts[0], "list senders", "sender", nil, func(x mjSender) string { return id(x.ID) })
	parts[0].Done()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return nil, err
	}
	ms, err := listAll(ctx, c, parts[1], "list metasenders", "metasender", nil, func(x mjMetasender) string { return id(x.ID) })
	parts[1].Done()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return nil, err
	}
	ds, err := listAll(ctx, c, parts[2], "list sender domains", "dns", nil, func(x mjDNS) string { return id(x.ID) })
	parts[2].Done()
	if err != nil && !errors.Is(err, provider.ErrTruncated) {
		return nil, err
	}
	var out []provider.Sender
	oldest := map[int64]time.Time{}
	for _, s := range ss {
		kind, addr := senderKind(provider.Clip(s.Email, maxField))
		out = append(out, provider.Sender{ID: "sender-" + id(s.ID), Kind: kind, Address: addr, Verified: strings.EqualFold(s.Status, "Active"), Created: s.CreatedAt.Time})
		if s.DNSID != 0 && !s.CreatedAt.IsZero() {
			if t, ok := oldest[s.DNSID]; !ok || s.CreatedAt.Before(t) {
				oldest[s.DNSID] = s.CreatedAt.Time
			}
		}
	}
	for _, m := range ms {
		kind, addr := senderKind(provider.Clip(m.Email, maxField))
		out = append(out, provider.Sender{ID: "metasender-" + id(m.ID), Kind: kind, Address: addr, Verified: m.IsEnabled, Created: m.CreatedAt.Time})
	}
	for _, d := range ds {
		out = append(out, provider.Sender{ID: "dns-" + id(d.ID), Kind: "domain", Address: provider.Clip(d.Domain, maxField), Verified: strings.EqualFold(d.DKIMStatus, "OK") && strings.EqualFold(d.SPFStatus, "OK"), Created: oldest[d.ID]})
	}
	return out, sec.Err()
}

// maxField caps a provider string reclaim keeps (a name, an address); a
// longer one is cut and marked with "…".
const maxField = 1024

func senderKind(email string) (kind, addr string) {
	if d, ok := strings.CutPrefix(email, "*@"); ok {
		return "domain", d
	}
	return "single", email
}

// ---- ActivityLister ----

// ListActivity implements provider.ActivityLister from the user record:
// Mailjet keeps only the first and last login address and the last login
// time, so this is one or two entries, not a history.
func (c *Client) ListActivity(ctx context.Context) ([]provider.AccessEvent, error) {
	u, err := c.user(ctx, "read the last login")
	if err != nil {
		return nil, err
	}
	var out []provider.AccessEvent
	if u.LastIP != "" {
		u.LastIP, u.FirstIP = provider.Clip(u.LastIP, maxField), provider.Clip(u.FirstIP, maxField)
		ev := provider.AccessEvent{IP: u.LastIP, Location: "last login", Method: "last login", Allowed: true, First: u.LastLoginAt.Time, Last: u.LastLoginAt.Time, Count: 1}
		if u.FirstIP == u.LastIP {
			ev.Method, ev.Location, ev.First = "first and last login", "first and last login", u.CreatedAt.Time
		}
		out = append(out, ev)
	}
	if u.FirstIP != "" && u.FirstIP != u.LastIP {
		out = append(out, provider.AccessEvent{IP: u.FirstIP, Location: "first login", Method: "first login", Allowed: true, First: u.CreatedAt.Time, Last: u.CreatedAt.Time, Count: 1})
	}
	return out, nil
}

// ---- MessageLister ----

// ListMessages implements provider.MessageLister: /message with subjects,
// from since to now (a fixed window, so paging by Offset is stable), page by
// page. The sender address comes from the sender list when Mailjet gives a
// sender id. The requests, messages and bytes are capped (provider.Limits'
// message caps); a cap reached, a repeated page or a changing Total ends
// the listing with a *provider.Truncation after the pages handed to fn.
func (c *Client) ListMessages(ctx context.Context, since time.Time, fn func([]provider.Message) error) error {
	from := map[int64]string{}
	ss, err := listAll(ctx, c, c.section("senders"), "list senders", "sender", nil, func(x mjSender) string { return id(x.ID) })
	if errors.Is(err, provider.ErrBadCredentials) {
		return err
	}
	for _, s := range ss {
		from[s.ID] = provider.Clip(s.Email, 256)
	}
	q := url.Values{
		"ShowSubject":    {"true"},
		"ShowContactAlt": {"true"},
		"FromTS":         {since.UTC().Format(time.RFC3339)},
		"ToTS":           {time.Now().UTC().Format(time.RFC3339)},
	}
	return list(ctx, c, c.Limits.MessageSection("messages"), "list messages", "message", q, func(m mjMessage) string { return id(m.ID) }, func(page []mjMessage) error {
		out := make([]provider.Message, 0, len(page))
		for _, m := range page {
			sid := m.SenderID
			if sid == 0 {
				sid = m.FromID
			}
			out = append(out, provider.Message{ID: id(m.ID), From: from[sid], To: provider.Clip(m.ContactAlt, 256), Subject: provider.Clip(m.Subject, 512), Sent: m.ArrivedAt.Time, Status: provider.Clip(m.Status, 64)})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Sent.Before(out[j].Sent) })
		return fn(out)
	})
}

// String never shows the secret.
func (c *Client) String() string {
	return fmt.Sprintf("mailjet client for key %s… at %s", short(c.key), c.base.Host)
}

func short(s string) string {
	if len(s) > 6 {
		return s[:6]
	}
	return s
}
