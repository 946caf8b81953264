package provider

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"sync"
)

// Provider context (issue 16, item 4). Mailjet, Postmark, Twilio and
// Mandrill credentials carry no prefix: a 32-hex value, a UUID or 22
// random characters is a credential only where its context says whose it
// is. Besides the names that say it outright (MAILJET_APISECRET,
// X-Postmark-Server-Token), which the providers' own detectors read, a
// value with one of the provider's key shapes assigned to a generic name
// (token, key, secret, password, user, …) on a line or in a block that
// names the provider is that provider's credential:
//
//	postmark:                     [mailjet]            {"twilio": {"password": "<hex32>"}}
//	  token: <uuid>               secret = <hex32>     smtp://<key>:<secret>@in-v3.mailjet.com
//	MAIL_MAILER=mailjet           You can find a postmark secret <uuid> within …
//	MAIL_PASSWORD=<hex32>         mandrill+api://<key>@default
//
// A provider package declares such a rule with RegisterContext: the words
// that name it, the lengths of its key shapes and a Classify that turns a
// generic name and a value into a credential kind. RegisterContext also
// registers a detector ("<provider>/context") that applies the rule around
// every occurrence of the words; the leak scanner applies the same rules
// to decoded values whose context is a whole document (a Kubernetes
// Secret, a Basic-auth header).

// Name is what a generic name says about the value assigned to it: a set
// of the credential words found in it.
type Name uint16

// Words a generic name may hold.
const (
	NameKey     Name = 1 << iota // key, apikey, api_key
	NameToken                    // token
	NameSecret                   // secret
	NamePass                     // password, passwd, pass, pwd
	NameUser                     // user, username, login, curl -u
	NameAuth                     // auth
	NamePublic                   // public
	NamePrivate                  // private
	NameAccount                  // account
	NameCred                     // credential(s), creds
	NameBearer                   // bearer
	NameURLUser                  // the user part of scheme://user[:pass]@host
	NameURLPass                  // the password part of scheme://user:pass@host
)

// Has reports whether n holds any of f.
func (n Name) Has(f Name) bool { return n&f != 0 }

// secretNames are the words at least one of which a generic name holds.
const secretNames = NameKey | NameToken | NameSecret | NamePass | NameUser | NameAuth | NamePublic | NamePrivate | NameCred | NameBearer | NameURLUser | NameURLPass

// ContextRule recognises a provider's credentials by context.
type ContextRule struct {
	Provider string
	// Words name the provider on a line (lower case): "mailjet". They are
	// the anchors of the rule's detector.
	Words []string
	// Lens are the lengths of the provider's key shapes, as runs of
	// [A-Za-z0-9_-]: only runs of these lengths are offered to Classify.
	Lens []int
	// Classify returns the credential (Kind, and KeyID, Pair, Public where
	// they apply; the caller fills in Start, End and Provider) that v is
	// when assigned to a generic name saying n, or false. w is the window
	// (for w.Placeholder); v is not always inside w.Buf.
	Classify func(n Name, v []byte, w *Window) (Match, bool)

	lenMask uint64 // bit l set for each l in Lens
}

var (
	ctxMu    sync.RWMutex
	ctxRules []ContextRule
)

// RegisterContext adds a provider-context rule and its detector, named
// "<provider>/context", with samples (texts its detector must find). Provider
// packages call it from init.
func RegisterContext(r ContextRule, samples func(*rand.Rand) []Sample) {
	if r.Classify == nil || len(r.Words) == 0 || len(r.Lens) == 0 {
		panic("provider: context rule for " + r.Provider + " has no words, lengths or Classify")
	}
	for _, l := range r.Lens {
		if l <= 0 || l >= 64 {
			panic("provider: context rule for " + r.Provider + ": a length out of 1..63")
		}
		r.lenMask |= 1 << l
	}
	ctxMu.Lock()
	ctxRules = append(ctxRules, r)
	ctxMu.Unlock()
	RegisterDetectors(Detector{
		Name:     r.Provider + "/context",
		Provider: r.Provider,
		Anchors:  r.Words,
		Before:   contextBefore,
		After:    contextAfter,
		Find:     r.find,
		Samples:  samples,
	})
}

// ContextRules returns every registered provider-context rule.
func ContextRules() []ContextRule {
	ctxMu.RLock()
	defer ctxMu.RUnlock()
	return append([]ContextRule(nil), ctxRules...)
}

// Named reports whether text names the rule's provider (one of its Words,
// any case).
func (r *ContextRule) Named(text []byte) bool {
	for _, w := range r.Words {
		if ContainsFold(text, w) {
			return true
		}
	}
	return false
}

// how far around a provider word the rule looks: back for the lines of a
// block the word sits in, forward for the block it opens
const (
	contextBefore = 300
	contextAfter  = 500
)

// providerWords are the words that name a provider (or another service)
// in a name: a name holding one that is not the rule's own belongs to
// someone else.
var providerWords = map[string]string{
	"mailjet": "mailjet", "mj": "mailjet",
	"postmark": "postmark", "postmarkapp": "postmark",
	"twilio":   "twilio",
	"mandrill": "mandrill", "mandrillapp": "mandrill",
	"mailgun": "mailgun", "sendgrid": "sendgrid", "brevo": "brevo", "sendinblue": "brevo",
	"mailchimp": "mailchimp", "sparkpost": "other", "ses": "other", "aws": "other", "stripe": "other", "pusher": "other",
	"github": "other", "gitlab": "other", "slack": "other", "google": "other", "facebook": "other", "algolia": "other",
	"sentry": "other", "db": "other", "database": "other", "mysql": "other", "postgres": "other", "redis": "other",
	"jwt": "other", "session": "other", "cookie": "other", "csrf": "other", "encryption": "other", "recaptcha": "other",
	"paypal": "other", "oauth": "other", "s3": "other", "azure": "other", "openai": "other",
}

// otherWords are the words that name another provider in a line, which
// ends the reach of a rule's word.
var otherWords = []string{"mailjet", "postmark", "twilio", "mandrill", "mailgun", "sendgrid", "brevo", "sendinblue", "mailchimp", "sparkpost", "stripe", "pusher"}

// nameWords maps the other words a generic name may hold to what they say
// (0: neutral).
var nameWords = map[string]Name{
	"key": NameKey, "keys": NameKey, "apikey": NameKey, "apikeys": NameKey,
	"token": NameToken, "tokens": NameToken, "apitoken": NameToken, "servertoken": NameToken, "accesstoken": NameToken,
	"authtoken": NameAuth | NameToken,
	"secret":    NameSecret, "secrets": NameSecret, "apisecret": NameSecret, "secretkey": NameSecret | NameKey,
	"password": NamePass, "passwd": NamePass, "pass": NamePass, "pwd": NamePass, "passphrase": NamePass,
	"user": NameUser, "username": NameUser, "login": NameUser, "u": NameUser, "usr": NameUser,
	"auth": NameAuth, "public": NamePublic, "publickey": NamePublic | NameKey, "private": NamePrivate, "privatekey": NamePrivate | NameKey,
	"account": NameAccount, "credential": NameCred, "credentials": NameCred, "creds": NameCred, "cred": NameCred,
	"bearer": NameBearer,
	// neutral
	"api": 0, "server": 0, "access": 0, "client": 0, "app": 0, "application": 0, "mail": 0, "mailer": 0, "smtp": 0,
	"transactional": 0, "sms": 0, "live": 0, "prod": 0, "production": 0, "default": 0, "my": 0, "the": 0, "x": 0,
	"header": 0, "v3": 0, "v31": 0, "v4": 0, "http": 0, "service": 0, "services": 0, "main": 0, "master": 0, "b64": 0,
	"base64": 0, "encoded": 0, "env": 0, "config": 0, "settings": 0,
}

// ParseName reads the name a value is assigned to ("MAIL_PASSWORD",
// "apiKey", "X-Postmark-Server-Token", "--user") for the rule of provider
// prov: the credential words it holds, or false when it holds a word that
// is not a credential word, a neutral word or prov's own name, or no
// credential word at all. Words are split at non-letters and at camel-case
// humps.
func ParseName(name []byte, prov string) (Name, bool) {
	var n Name
	var buf [24]byte
	words := 0
	i := 0
	for i < len(name) {
		for i < len(name) && !Alnum[name[i]] {
			i++
		}
		if i >= len(name) {
			break
		}
		s := i
		i++
		for i < len(name) && Alnum[name[i]] {
			c, p := name[i], name[i-1]
			if upperCase[c] && (lowerCase[p] || digits[p]) {
				break // fooBar, key2Token
			}
			if upperCase[c] && upperCase[p] && i+1 < len(name) && lowerCase[name[i+1]] {
				break // APIToken
			}
			i++
		}
		w := name[s:i]
		if len(w) > len(buf) {
			return 0, false
		}
		for k, c := range w {
			buf[k] = lower(c)
		}
		lw := buf[:len(w)]
		words++
		if p, ok := providerWords[string(lw)]; ok {
			if p != prov {
				return 0, false
			}
			continue
		}
		f, ok := nameWords[string(lw)]
		if !ok {
			return 0, false
		}
		n |= f
	}
	if words == 0 || n&secretNames == 0 {
		return 0, false
	}
	return n, true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// find is the rule's detector: values of the rule's lengths in the region
// of the word hit (contextRegion), assigned to a generic name (or the user
// and password of a URL or a `-u user:secret`), with no other provider's
// word between the hit and the value.
func (r *ContextRule) find(w *Window, emit func(Match)) {
	b := w.Buf
	lo, hi := contextRegion(w)
	// runs of at least minLen token bytes, found by looking at every
	// minLen-th byte: a run that long holds one of them
	minLen := bits.TrailingZeros64(r.lenMask)
	for i := lo; i+minLen <= hi; {
		j := i + minLen - 1
		if !TokenChar[b[j]] {
			i = j + 1
			continue
		}
		s := j
		for s > i && TokenChar[b[s-1]] {
			s--
		}
		e := RunEnd(b, j+1, hi, &TokenChar)
		i = e + 1
		if s == lo && s > 0 && TokenChar[b[s-1]] {
			continue // the run starts before the region
		}
		// a run cut by the window could be part of a longer one
		if (s == w.Lo && w.Lo > 0) || (e == w.Hi && w.Hi < len(b)) || !r.hasLen(e-s) {
			continue
		}
		name, ok := contextName(b, s, e, lo, hi, r.Provider)
		if ok && !r.otherBetween(b, w, s, e) {
			if m, ok := r.Classify(name, b[s:e], w); ok {
				m.Start, m.End = s, e
				if m.Provider == "" {
					m.Provider = r.Provider
				}
				emit(m)
			}
		}
	}
}

func (r *ContextRule) hasLen(n int) bool { return n < 64 && r.lenMask&(1<<n) != 0 }

// otherBetween reports whether another provider's word sits between the
// hit and the value [i,e).
func (r *ContextRule) otherBetween(b []byte, w *Window, i, e int) bool {
	return OtherWordBetween(b, w.HitStart, w.HitEnd, i, e, r.Provider)
}

// OtherWordBetween reports whether a word naming a provider other than own
// sits between a hit of own's word [hs,he) and a value [i,e): the value
// is then the other provider's ("mailjet": {…}, "twilio": {"token": v}).
func OtherWordBetween(b []byte, hs, he, i, e int, own string) bool {
	lo, hi := he, i
	if e <= hs {
		lo, hi = e, hs
	}
	if hi <= lo {
		return false
	}
	seg := b[lo:hi]
	for _, o := range otherWords {
		if o != own && ContainsFold(seg, o) {
			return true
		}
	}
	return false
}

// contextRegion is where a rule looks around a word hit, inside the
// window: the hit's line; then, when the lines after it are indented
// deeper (the line opens a block: "postmark:", "'mailjet' => [",
// "[twilio]" followed by indented lines), that block; otherwise the lines
// around it with at least its indentation up to a blank line or a line
// indented less (the block it sits in: a .env paragraph, the other keys
// of "mail: {driver: mailjet, …}").
func contextRegion(w *Window) (int, int) {
	b := w.Buf
	ls := bytes.LastIndexByte(b[w.Lo:w.HitStart], '\n') + 1 + w.Lo
	le := lineEnd(b, w.HitEnd, w.Hi)
	ind, _ := indentOf(b, ls, le)
	lo, hi := ls, le
	opens := false
	for j := le + 1; j < w.Hi; {
		e := lineEnd(b, j, w.Hi)
		n, blank := indentOf(b, j, e)
		if blank || n <= ind {
			break
		}
		opens, hi, j = true, e, e+1
	}
	if opens {
		return lo, hi
	}
	// the block the line sits in
	for lo > w.Lo {
		pe := lo - 1 // the newline ending the line before
		ps := bytes.LastIndexByte(b[w.Lo:pe], '\n') + 1 + w.Lo
		if ps == w.Lo && w.Lo > 0 {
			break // a line cut by the window
		}
		n, blank := indentOf(b, ps, pe)
		if blank || n < ind {
			break
		}
		lo = ps
	}
	for j := hi + 1; j < w.Hi; {
		e := lineEnd(b, j, w.Hi)
		n, blank := indentOf(b, j, e)
		if blank || n < ind {
			break
		}
		hi, j = e, e+1
	}
	return lo, hi
}

// lineEnd is the index of the first newline at or after i, or hi.
func lineEnd(b []byte, i, hi int) int {
	if i >= hi {
		return hi
	}
	if k := bytes.IndexByte(b[i:hi], '\n'); k >= 0 {
		return i + k
	}
	return hi
}

// indentOf counts the spaces and tabs that start the line [ls,le), and says
// whether the line holds nothing else.
func indentOf(b []byte, ls, le int) (int, bool) {
	i := ls
	for i < le && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i - ls, i == le || (i+1 == le && b[i] == '\r')
}

// contextName is what the name a value [i,e) is assigned to says, for
// provider prov: the user or password part of a URL (scheme://user:pass@)
// or of "-u user:pass", else the name before it (see nameBefore). lo and
// hi bound the look around.
func contextName(b []byte, i, e, lo, hi int, prov string) (Name, bool) {
	// scheme://user[:pass]@host
	if i-3 >= lo && b[i-1] == '/' && b[i-2] == '/' && b[i-3] == ':' && e < hi && (b[e] == ':' || b[e] == '@') {
		return NameURLUser | NameUser, true
	}
	if i-1 > lo && b[i-1] == ':' {
		us := RunStart(b, i-1, lo, &TokenChar)
		if us < i-1 {
			if us-3 >= lo && b[us-1] == '/' && b[us-2] == '/' && b[us-3] == ':' && e < hi && b[e] == '@' {
				return NameURLPass | NamePass, true
			}
			// -u user:pass, --user user:pass, Basic user:pass
			if n, ok := nameBefore(b, us, lo, prov); ok && n.Has(NameUser) {
				return NamePass, true
			}
		}
	}
	if e+1 < hi && b[e] == ':' && TokenChar[b[e+1]] {
		// the user of "-u user:pass"
		if n, ok := nameBefore(b, i, lo, prov); ok && n.Has(NameUser) {
			return NameUser, true
		}
	}
	return nameBefore(b, i, lo, prov)
}

// nameBefore finds the name a value at start is assigned to and parses it
// (ParseName). It skips back over the assignment: quotes, spaces, one line
// break, and the operators of configs and code (=, :, =>, :=, ::=, ?=, .=,
// +=, ??=, <-, ||, ",", "(", "[", "{", YAML's "|" and ">", escaped quotes),
// then takes the identifier before them. In JSON's {"key": "NAME",
// "value": "v"} the name is NAME.
func nameBefore(b []byte, start, lo int, prov string) (Name, bool) {
	i := start
	newlines := 0
	for n := 0; i > lo && n < 16; n++ {
		c := b[i-1]
		switch c {
		case '\'', '"', '`', ' ', '\t', '=', ':', '>', '<', '(', ',', '[', '{', '|', '?', '+', '\\', '!', '\r':
			i--
			continue
		case '\n':
			if newlines == 0 {
				newlines++
				i--
				continue
			}
		case '.':
			if i < start && b[i] == '=' { // .=
				i--
				continue
			}
		case '-':
			if i >= 2 && b[i-2] == '<' { // <-
				i--
				continue
			}
		}
		break
	}
	end := i
	s := RunStart(b, end, lo, &NameChar)
	if typeNames[string(b[s:end])] {
		// "var token string = …", "var token: String = …": the name is
		// before its type
		i = s
		for n := 0; i > lo && n < 4 && (b[i-1] == ' ' || b[i-1] == ':'); n++ {
			i--
		}
		end = i
		s = RunStart(b, end, lo, &NameChar)
	}
	for s < end && (b[s] == '-' || b[s] == '.') {
		s++ // -u, --user, .token
	}
	// "\nNAME=…" inside an escaped string: the n of \n is not the name's
	if s > lo && b[s-1] == '\\' && s < end && (b[s] == 'n' || b[s] == 't' || b[s] == 'r') {
		s++
	}
	name := b[s:end]
	if len(name) == 0 {
		return 0, false
	}
	if nm, ok := serializedKey(b, s, end, lo); ok {
		name = nm
	}
	if len(name) == 5 && HasPrefixFold(name, 0, "value") {
		if nm, ok := jsonKeyName(b, s, lo); ok {
			name = nm
		}
	}
	return ParseName(name, prov)
}

// typeNames are the types a declaration may put between a name and its
// value.
var typeNames = map[string]bool{"string": true, "String": true, "str": true, "[]byte": true, "const": false}

// serializedKey finds NAME in PHP's serialized `s:4:"NAME";s:32:"v"`
// (quotes possibly escaped, as in an SQL dump), where the name found
// before v is the length [s,end) of "s:32:".
func serializedKey(b []byte, s, end, lo int) ([]byte, bool) {
	for k := s; k < end; k++ {
		if !digits[b[k]] {
			return nil, false
		}
	}
	if s-2 < lo || b[s-1] != ':' || (b[s-2] != 's' && b[s-2] != 'S') {
		return nil, false
	}
	i := s - 2
	if i-1 < lo || b[i-1] != ';' {
		return nil, false
	}
	i--
	for n := 0; i > lo && n < 2 && (b[i-1] == '"' || b[i-1] == '\\'); n++ {
		i--
	}
	ks := RunStart(b, i, lo, &NameChar)
	if ks == i || ks < 1 || (b[ks-1] != '"' && b[ks-1] != '\\') {
		return nil, false
	}
	return b[ks:i], true
}

// jsonKeyName finds NAME in `"key": "NAME", "value"` (or "name":) before
// the word "value" at v, in the same object.
func jsonKeyName(b []byte, v, lo int) ([]byte, bool) {
	i := v
	for i > lo && i > v-200 && b[i-1] != '{' && b[i-1] != '}' {
		i--
		if b[i] != '"' || i < 1 {
			continue
		}
		// b[i] closes a string: is it the value of "key" or "name"?
		ne := i
		ns := RunStart(b, ne, lo, &NameChar)
		if ns == ne || ns < 1 || b[ns-1] != '"' {
			continue
		}
		k := ns - 1
		for k > lo && (b[k-1] == ' ' || b[k-1] == ':') {
			k--
		}
		if k >= lo+5 && b[k-1] == '"' && (HasPrefixFold(b, k-4, "key\"") || k >= lo+6 && HasPrefixFold(b, k-5, "name\"")) {
			return b[ns:ne], true
		}
		return nil, false
	}
	return nil, false
}
