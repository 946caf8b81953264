package drill

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"reclaim/provider"
)

// DefaultStyle is the provider a scenario imitates when it names none.
const DefaultStyle = "sendgrid"

// style is a scenario's provider style, resolved from the registry: the
// adapter declares it (provider.RegisterDrillStyle) and the drill never
// imports the adapter.
type style struct {
	id   string
	s    provider.DrillStyle
	info provider.Info // the adapter's own Info
	// probe has the style's method set (a view with no account behind it):
	// what the imitated API can do. nil: everything the drill simulates.
	probe provider.Provider
}

// lookupStyle resolves a scenario's "provider:" value.
func lookupStyle(id string) (*style, error) {
	if id == "" {
		id = DefaultStyle
	}
	s, info, ok := provider.LookupDrillStyle(id)
	if !ok {
		return nil, fmt.Errorf("%q is not a provider the drill imitates in this build (known: %s)", provider.SanitizeN(id, 40), strings.Join(provider.DrillStyles(), ", "))
	}
	st := &style{id: id, s: s, info: info}
	if s.View != nil {
		st.probe = s.View(nil)
	}
	return st, nil
}

// offers reports whether the imitated provider's API has capability T.
func offers[T any](st *style) bool {
	if st.probe == nil {
		_, ok := any((*Account)(nil)).(T)
		return ok
	}
	return provider.Has[T](st.probe)
}

// drillInfo is the adapter's Info as a drill shows it: under the drill's
// registry key (a saved drill resumes as one), with no credential, the
// drill's support instructions and its notice first among the quirks.
func (st *style) drillInfo() provider.Info {
	i := st.info
	i.ID = Info.ID
	i.Name = "Drill account (simulated " + st.s.Name + ")"
	i.Credentials, i.BaseURLEnv = nil, ""
	if st.s.Support != "" {
		i.Support.Instructions = st.s.Support
	}
	q := st.s.Quirks
	if q == nil {
		q = st.info.Quirks
	}
	i.Quirks = append([]string{"This is a drill: a simulated " + st.s.Name + " account. Nothing you do here touches a real provider."}, q...)
	return i
}

// unsupportedErr is what a capability the imitated API lacks returns when
// the whole account is called directly (the styled view has no such
// method).
func (st *style) unsupportedErr(op string) error {
	return &provider.Error{Kind: provider.ErrUnsupported, Op: op, Message: st.s.Name + "'s API cannot do this: use the console"}
}

// Style is the id of the provider the account imitates.
func (a *Account) Style() string { return a.style.id }

func (a *Account) unsupported(op string) error { return a.style.unsupportedErr(op) }

func short(id string) string {
	if len(id) > 6 {
		return id[:6]
	}
	return id
}

func randomOf(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

func randomHex(n int) string { return randomOf(provider.AlphabetHex, n) }

func (k keyShape) make() string { return k.Prefix + randomOf(k.Alphabet, k.Len) }

type keyShape provider.KeyShape

// newKey makes a key id and its credential in the style's shape.
func (st *style) newKey() (id, credential string) {
	id = keyShape(st.s.Keys.ID).make()
	return id, st.s.Keys.Format(id, keyShape(st.s.Keys.Secret).make())
}

// credentialFor writes a made-up credential for a scenario's key id (a
// leaked file's content).
func (st *style) credentialFor(id string) string {
	return st.s.Keys.Format(id, keyShape(st.s.Keys.Secret).make())
}

// credentialEnv is the environment variable an app keeps the imitated
// provider's credential in (the adapter's first credential field).
func (st *style) credentialEnv() string {
	if c := st.info.Credentials; len(c) > 0 && c[0].Env != "" {
		return c[0].Env
	}
	return "API_KEY"
}

// fitsID reports whether id has the shape of the style's key ids, so a
// leaked file's credential is one the leak scan recognises.
func (st *style) fitsID(id string) bool {
	k := st.s.Keys.ID
	rest, ok := strings.CutPrefix(id, k.Prefix)
	if !ok || len(rest) != k.Len {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !strings.ContainsRune(k.Alphabet, rune(rest[i])) {
			return false
		}
	}
	return true
}

// idShape describes the style's key ids.
func (st *style) idShape() string {
	k := st.s.Keys.ID
	what := map[string]string{provider.AlphabetHex: "hex digits", provider.AlphabetBase64URL: "letters, digits, - or _", provider.AlphabetAlnum: "letters or digits"}[k.Alphabet]
	if what == "" {
		what = "characters of " + strconvQuote(k.Alphabet)
	}
	s := fmt.Sprintf("%d %s", k.Len, what)
	if k.Prefix != "" {
		s = strconvQuote(k.Prefix) + " then " + s
	}
	return s
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// masterLocked returns the master key's id, or "".
func (a *Account) masterLocked() string {
	if !a.style.s.MasterKey {
		return ""
	}
	for _, k := range a.st.Keys {
		if k.Master {
			return k.ID
		}
	}
	return ""
}

// leakedMasterSecret is the drill's simulated leaked master secret. It is
// derived from the drill's start time, so it survives a resume without ever
// being written down, and it is not in any real provider's key format.
func (a *Account) leakedMasterSecret() string {
	h := sha256.Sum256([]byte("reclaim drill leaked secret " + a.st.Scenario + " " + a.st.Epoch.Format(time.RFC3339)))
	return "drill-secret-" + hex.EncodeToString(h[:8])
}

// leakedSecretFor is the made-up secret of a leaked key: derived from the
// drill's start, so it survives a resume without being written down.
func (a *Account) leakedSecretFor(id string) string {
	h := sha256.Sum256([]byte("reclaim drill leaked key " + a.st.Scenario + " " + id + " " + a.st.Epoch.Format(time.RFC3339)))
	return "drill-secret-" + hex.EncodeToString(h[:8])
}

// LeakedCredential implements provider.Simulator: the credential the
// attacker holds, in the style's credential form: the master key's while
// the style has one, else the first leaked key's (attacker.leaked_keys);
// "" when the scenario has neither. The dead-credential check tries it.
func (a *Account) LeakedCredential() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if m := a.masterLocked(); m != "" {
		return a.style.s.Keys.Format(m, a.leakedMasterSecret())
	}
	if at := a.st.Attacker; at != nil && len(at.Leaked) > 0 {
		return a.style.s.Keys.Format(at.Leaked[0], a.leakedSecretFor(at.Leaked[0]))
	}
	return ""
}

// revokeLocked deletes a key, or deactivates it in a style whose API has no
// delete; a master key is refused.
func (a *Account) revokeLocked(id string) error {
	op := "revoke key"
	if a.style.s.DeactivateKeys {
		op = "deactivate API key"
	}
	i := slices.IndexFunc(a.st.Keys, func(k provider.APIKey) bool { return k.ID == id })
	if i < 0 {
		return notFound(op, "key "+id)
	}
	if a.st.Keys[i].Master && a.style.s.MasterKey {
		e := &provider.Error{Kind: provider.ErrUnsupported, Op: op, Err: a.style.s.MasterKeyError}
		if e.Err == nil {
			e.Message = "the master key cannot be revoked through the API: reset its secret in the console"
		}
		return e
	}
	if a.style.s.DeactivateKeys {
		a.st.Keys[i].Inactive = true
	} else {
		a.st.Keys = slices.Delete(a.st.Keys, i, i+1)
	}
	a.trackLocked("")
	return nil
}

// verifyLocked accepts a drill-made key's credential while the key is
// listed and active, and the leaked master credential (or its secret
// alone) until the master secret is reset.
func (a *Account) verifyLocked(cred string) error {
	bad := &provider.Error{Kind: provider.ErrBadCredentials, Op: "verify key", Status: 401, Message: "authorization required"}
	cred = strings.TrimSpace(cred)
	if cred == "" {
		return bad
	}
	if m := a.masterLocked(); m != "" {
		leaked := a.leakedMasterSecret()
		if cred == a.style.s.Keys.Format(m, leaked) || cred == leaked {
			if a.st.MasterReset.IsZero() {
				return nil
			}
			return bad
		}
	}
	if at := a.st.Attacker; at != nil {
		// A leaked key's credential works while the key is listed and
		// active.
		for _, id := range at.Leaked {
			if cred != a.style.s.Keys.Format(id, a.leakedSecretFor(id)) {
				continue
			}
			if i := slices.IndexFunc(a.st.Keys, func(k provider.APIKey) bool { return k.ID == id }); i >= 0 && !a.st.Keys[i].Inactive && !a.st.Keys[i].Master {
				return nil
			}
			return bad
		}
	}
	h := hashSecret(cred)
	for id, kh := range a.st.KeyHashes {
		if kh != h {
			continue
		}
		i := slices.IndexFunc(a.st.Keys, func(k provider.APIKey) bool { return k.ID == id })
		if i >= 0 && !a.st.Keys[i].Inactive {
			return nil
		}
	}
	return bad
}
