package twilio_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/twilio"
	"reclaim/provider/twilio/twiliofake"
)

var bg = context.Background()

// client connects the adapter to the fake with short waits.
func client(t testing.TB, srv *twiliofake.Server, cred string, o twilio.Options, lim provider.Limits) *twilio.Client {
	t.Helper()
	if o.Backoff == 0 {
		o.Backoff = 5 * time.Millisecond
	}
	if o.AttemptTimeout == 0 {
		o.AttemptTimeout = 10 * time.Second
	}
	c, err := twilio.NewWithOptions(provider.Config{Credential: cred, BaseURL: srv.URL, Limits: lim}, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fake(t testing.TB, st twiliofake.State) *twiliofake.Server {
	t.Helper()
	srv := twiliofake.New(st)
	t.Cleanup(srv.Close)
	return srv
}

func TestNewRefusesBadCredentialsAndBaseURLs(t *testing.T) {
	tok := twiliofake.Token()
	sid := twiliofake.SID("AC")
	for _, cred := range []string{"", tok, "AC123:" + tok, sid, sid + ":", sid + ":" + twiliofake.SID("XX") + ":x", "user:" + tok, sid + ":to ken"} {
		_, err := twilio.New(provider.Config{Credential: cred, BaseURL: "http://127.0.0.1:1"})
		if err == nil {
			t.Errorf("credential %q accepted", cred)
			continue
		}
		if strings.Contains(err.Error(), tok) || !errors.Is(err, twilio.ErrNoCredential) {
			t.Errorf("credential %q: %v", cred, err)
		}
	}
	if _, err := twilio.New(provider.Config{Credential: sid + ":" + tok, BaseURL: "http://192.0.2.1"}); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http to a non-loopback host: %v", err)
	}
	for _, cred := range []string{sid + ":" + tok, " " + sid + " : " + twiliofake.SID("SK") + " : " + twiliofake.Secret() + "\n"} {
		if _, err := twilio.New(provider.Config{Credential: cred, BaseURL: "http://127.0.0.1:1"}); err != nil {
			t.Errorf("credential refused: %v", err)
		}
	}
	t.Setenv(twilio.BaseURLEnv, "http://localhost:9")
	if c, err := twilio.New(provider.Config{Credential: sid + ":" + tok}); err != nil || c == nil {
		t.Errorf("base URL from the environment: %v", err)
	}
}

func TestReadsTheCompromisedAccount(t *testing.T) {
	now := time.Now()
	st := twiliofake.Default(now)
	srv := fake(t, st)
	c := client(t, srv, st.Account.Credential(), twilio.Options{PageSize: 2}, provider.Limits{})

	a, err := c.Account(bg)
	if err != nil || a.Username != "Acme Notifications" || a.Type != "Full" {
		t.Fatalf("account %+v, %v", a, err)
	}

	keys, err := c.ListKeys(bg)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]provider.APIKey{}
	for _, k := range keys {
		byName[k.Name] = k
	}
	if len(keys) != 5 {
		t.Fatalf("%d keys: %+v", len(keys), keys)
	}
	if k := byName["prod-sms"]; !k.Master || !k.FullAccess || k.Subuser != "" {
		t.Errorf("main key %+v", k)
	}
	if k := byName["status reader"]; !slices.Equal(k.Scopes, []string{"/twilio/messaging/messages/read"}) || k.FullAccess {
		t.Errorf("restricted key %+v", k)
	}
	if k := byName[twiliofake.HostileKeyName]; k.Master || k.Created.Before(now.Add(-3*24*time.Hour)) {
		t.Errorf("attacker key %+v", k)
	}
	if k := byName["spam sender"]; k.Subuser != st.Subaccounts[1].SID {
		t.Errorf("subaccount key %+v", k)
	}
	for _, k := range keys {
		if len(k.Name) > 260 {
			t.Errorf("a %d-byte name was kept", len(k.Name))
		}
	}

	subs, err := c.ListSubusers(bg)
	if err != nil || len(subs) != 3 {
		t.Fatalf("subusers %+v, %v", subs, err)
	}
	if subs[0].Username != st.Subaccounts[0].SID+" (marketing)" || subs[0].Disabled || !subs[2].Disabled {
		t.Errorf("subusers %+v", subs)
	}

	hooks, err := c.ListWebhooks(bg)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, h := range hooks {
		urls = append(urls, h.Kind+" "+h.URL)
	}
	for _, want := range []string{"parse https://hooks.acme.example/sms", "event https://hooks.acme.example/status", "parse " + twiliofake.HostileWebhook, "parse " + twiliofake.HostileVoiceURL} {
		if !slices.Contains(urls, want) {
			t.Errorf("webhooks lack %q: %q", want, urls)
		}
	}
	if h := hooks[0]; h.ID != st.Numbers[0].SID+"/sms_url" || h.Hostname != "+15005550006 SMS" {
		t.Errorf("first webhook %+v", h)
	}

	act, err := c.ListActivity(bg)
	if err != nil {
		t.Fatal(err)
	}
	var attacker *provider.AccessEvent
	for i := range act {
		if act[i].IP == "198.51.100.23" {
			attacker = &act[i]
		}
		if act[i].IP == "" {
			t.Errorf("an event without an address was kept: %+v", act[i])
		}
	}
	if attacker == nil || attacker.Count != 3 || !strings.Contains(attacker.Method, "created key "+st.Keys[2].SID) ||
		!strings.Contains(attacker.Method, "login") || attacker.Location != "Console and API" || !attacker.Allowed {
		t.Fatalf("attacker activity %+v in %+v", attacker, act)
	}
	if len(act) != 3 { // the owner, the attacker, and the attacker's address with an escape code (sanitized)
		t.Errorf("%d addresses: %+v", len(act), act)
	}

	secrets, err := c.ListSecrets(bg)
	if err != nil || len(secrets) != 1 || secrets[0].Kind != provider.SecretAuthToken || !secrets[0].Session || secrets[0].ID != c.AuthTokenID() {
		t.Errorf("secrets %+v, %v", secrets, err)
	}
	if srv.Hits("GET /v1/Events") < 2 || srv.Hits("GET /2010-04-01/Accounts.json") < 2 {
		t.Errorf("lists were not paged: events %d, accounts %d", srv.Hits("GET /v1/Events"), srv.Hits("GET /2010-04-01/Accounts.json"))
	}
}

func TestKeyTypeWithoutTypeFlags(t *testing.T) {
	st := twiliofake.Default(time.Now())
	srv := fake(t, st)
	srv.NoTypeFlags = true
	c := client(t, srv, st.Account.Credential(), twilio.Options{}, provider.Limits{})
	keys, err := c.ListKeys(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Master {
			t.Errorf("key %q is Master without a flag saying so", k.Name)
		}
		if k.Name == "status reader" && len(k.Scopes) != 1 {
			t.Errorf("the restricted key's policy was not read: %+v", k)
		}
	}
	if n := srv.Hits("GET /v1/Keys/{Sid}"); n != len(keys) {
		t.Errorf("%d policy reads for %d keys", n, len(keys))
	}
}

func TestInventoryAndFindings(t *testing.T) {
	now := time.Now()
	st := twiliofake.Default(now)
	srv := fake(t, st)
	c := client(t, srv, st.Account.Credential(), twilio.Options{}, provider.Limits{})
	inv, err := checklist.TakeInventory(bg, c, now)
	if err != nil || len(inv.Errors) > 0 || len(inv.Truncated) > 0 {
		t.Fatalf("inventory: %v, errors %v, truncated %v", err, inv.Errors, inv.Truncated)
	}
	for _, sec := range []string{checklist.SecAccount, checklist.SecKeys, checklist.SecSubusers, checklist.SecWebhooks, checklist.SecActivity} {
		if !slices.Contains(inv.Read, sec) {
			t.Errorf("section %s not read: %v", sec, inv.Read)
		}
	}
	ids := map[string]bool{}
	for _, f := range checklist.Analyze(inv, checklist.AnalysisInput{SessionKeyID: c.SessionKeyID()}) {
		ids[f.ID] = true
	}
	for _, want := range []string{"key-recent:" + st.Keys[2].SID, "key-name:" + st.Keys[2].SID, "key-full:" + st.Keys[0].SID,
		"subuser-recent:" + st.Subaccounts[1].SID + " (" + twiliofake.HostileSubName + ")", "access-new-ip:198.51.100.23"} {
		if !ids[want] {
			t.Errorf("no finding %q in %v", want, ids)
		}
	}
}

func TestCreateVerifyAndRevokeKeys(t *testing.T) {
	st := twiliofake.Default(time.Now())
	srv := fake(t, st)
	c := client(t, srv, st.Account.Credential(), twilio.Options{}, provider.Limits{})
	if _, err := c.ListKeys(bg); err != nil {
		t.Fatal(err)
	}

	// No scopes: a restricted key that may send messages only.
	k, err := c.CreateKey(bg, strings.Repeat("n", 80), nil)
	if err != nil {
		t.Fatal(err)
	}
	sid, secret, _ := strings.Cut(k.Secret, ":")
	if sid != k.ID || len(secret) != 32 || !slices.Equal(k.Scopes, twilio.DefaultPolicy) || len(k.Name) != 64 {
		t.Errorf("new key %+v (secret %d bytes)", k.APIKey, len(secret))
	}
	forms := srv.Forms("POST /v1/Keys")
	if len(forms) != 1 || forms[0].Get("KeyType") != "restricted" || forms[0].Get("AccountSid") != st.Account.SID {
		t.Fatalf("create form %v", forms)
	}
	var pol struct{ Allow []string }
	if err := json.Unmarshal([]byte(forms[0].Get("Policy")), &pol); err != nil || !slices.Equal(pol.Allow, twilio.DefaultPolicy) {
		t.Errorf("policy %q", forms[0].Get("Policy"))
	}
	// A restricted key that may not read the account is still live.
	if err := c.VerifyKey(bg, k.Secret); err != nil {
		t.Errorf("verify the new restricted key: %v", err)
	}

	std, err := c.CreateKey(bg, "standard one", []string{twilio.ScopeStandard})
	if err != nil || std.Scopes != nil {
		t.Fatalf("standard key %+v, %v", std.APIKey, err)
	}
	if f := srv.Forms("POST /v1/Keys")[1]; f.Has("KeyType") || f.Has("Policy") {
		t.Errorf("standard key form %v", f)
	}
	two, err := c.CreateKey(bg, "two", []string{twilio.PermSendMessages + "," + twilio.PermReadMessages})
	if err != nil || len(two.Scopes) != 2 {
		t.Errorf("two permissions: %+v, %v", two.APIKey, err)
	}
	before := srv.Hits("POST /v1/Keys")
	for _, bad := range [][]string{{"mail.send"}, {twilio.ScopeStandard, twilio.PermSendMessages}, {"main"}} {
		_, err := c.CreateKey(bg, "bad", bad)
		if !errors.Is(err, provider.ErrInvalid) && !errors.Is(err, provider.ErrUnsupported) {
			t.Errorf("scopes %q: %v", bad, err)
		}
	}
	if srv.Hits("POST /v1/Keys") != before {
		t.Error("invalid scopes reached Twilio")
	}

	// Revoke the attacker's key, and a subaccount's: each once, then dead.
	attacker, subKey := st.Keys[2], st.Keys[4]
	for _, k := range []twiliofake.Key{attacker, subKey} {
		if err := c.VerifyKey(bg, k.SID+":"+k.Secret); err != nil {
			t.Fatalf("verify live key: %v", err)
		}
		if err := c.RevokeKey(bg, k.SID); err != nil {
			t.Fatal(err)
		}
		if err := c.VerifyKey(bg, k.SID+":"+k.Secret); !errors.Is(err, provider.ErrBadCredentials) {
			t.Errorf("revoked key: %v", err)
		}
	}
	if srv.Hits("DELETE /v1/Keys/{Sid}") != 1 || srv.Hits("DELETE /2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json") != 1 {
		t.Errorf("deletes: v1 %d, 2010 %d", srv.Hits("DELETE /v1/Keys/{Sid}"), srv.Hits("DELETE /2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json"))
	}
	if err := c.RevokeKey(bg, attacker.SID); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("revoke twice: %v", err)
	}
	if err := c.VerifyKey(bg, "no-sid-secret"); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("a secret without its SID: %v", err)
	}

	// A key session cannot revoke itself.
	main := st.Keys[0]
	kc := client(t, srv, main.Credential(st.Account.SID), twilio.Options{}, provider.Limits{})
	if kc.SessionKeyID() != main.SID {
		t.Errorf("session key %q", kc.SessionKeyID())
	}
	if err := kc.RevokeKey(bg, main.SID); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("revoke the session key: %v", err)
	}
}

func TestRevokeIsSentOnceAndReadBack(t *testing.T) {
	st := twiliofake.Default(time.Now())
	srv := fake(t, st)
	c := client(t, srv, st.Account.Credential(), twilio.Options{AttemptTimeout: 300 * time.Millisecond}, provider.Limits{})
	attacker, status, subKey := st.Keys[2], st.Keys[1], st.Keys[4] // (the fake shares st's slices)

	// A 500: not retried, and the key is still there.
	srv.Inject(twiliofake.Fault{Method: "DELETE", Path: "/v1/Keys/*", Status: 500})
	if err := c.RevokeKey(bg, attacker.SID); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("revoke after a 500: %v", err)
	}
	if n := srv.Hits("DELETE /v1/Keys/{Sid}"); n != 1 {
		t.Errorf("the delete was sent %d times", n)
	}
	// The answer is lost but the key was deleted: read back, revoked.
	srv.Inject(twiliofake.Fault{Method: "DELETE", Path: "/v1/Keys/*", Hold: 600 * time.Millisecond})
	if err := c.RevokeKey(bg, status.SID); err != nil {
		t.Fatalf("revoke with a lost answer: %v", err)
	}
	if n := srv.Hits("DELETE /v1/Keys/{Sid}"); n != 2 {
		t.Errorf("the deletes were sent %d times", n)
	}
	// A subaccount's key (2010 API): a 500 is not mistaken for success.
	if _, err := c.ListKeys(bg); err != nil {
		t.Fatal(err)
	}
	srv.Inject(twiliofake.Fault{Method: "DELETE", Path: "/2010-04-01/*", Status: 500})
	if err := c.RevokeKey(bg, subKey.SID); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("revoke a subaccount's key after a 500: %v", err)
	}
	if err := c.VerifyKey(bg, subKey.SID+":"+subKey.Secret); err != nil {
		t.Errorf("the key is still live: %v", err)
	}
	srv.Inject(twiliofake.Fault{Method: "DELETE", Path: "/2010-04-01/*", Hold: 600 * time.Millisecond})
	if err := c.RevokeKey(bg, subKey.SID); err != nil {
		t.Fatalf("revoke a subaccount's key with a lost answer: %v", err)
	}
	if err := c.VerifyKey(bg, subKey.SID+":"+subKey.Secret); !errors.Is(err, provider.ErrBadCredentials) {
		t.Errorf("revoked subaccount key: %v", err)
	}
}

func TestRotateTheAuthToken(t *testing.T) {
	st := twiliofake.Default(time.Now())
	st.Secondary = twiliofake.Token() // the attacker's
	attackerSecondary := st.Secondary
	srv := fake(t, st)
	old := st.Account.Token
	c := client(t, srv, st.Account.Credential(), twilio.Options{}, provider.Limits{})
	secrets, _ := c.ListSecrets(bg)
	rs, err := c.RotateSecret(bg, secrets[0])
	if err != nil {
		t.Fatal(err)
	}
	srv.Mu.Lock()
	primary, secondary := srv.St.Account.Token, srv.St.Secondary
	srv.Mu.Unlock()
	if rs.Value == old || rs.Value != primary || secondary != "" || !rs.Session || rs.Note == "" {
		t.Fatalf("rotated %+v: primary changed %v, secondary left %q", rs.AccountSecret, primary != old, secondary)
	}
	// The rotation claims the old token dead only because a read with it
	// was refused.
	if !strings.Contains(rs.Note, "The old auth token was refused (401) at ") {
		t.Errorf("note without the proof: %q", rs.Note)
	}
	// The session moved to the new token; the old one and the attacker's
	// secondary are dead; the new one works.
	if _, err := c.ListKeys(bg); err != nil {
		t.Errorf("the session after rotation: %v", err)
	}
	for _, dead := range []string{old, attackerSecondary} {
		if err := c.VerifyKey(bg, dead); !errors.Is(err, provider.ErrBadCredentials) {
			t.Errorf("old token: %v", err)
		}
	}
	if err := c.VerifyKey(bg, st.Account.SID+":"+rs.Value); err != nil {
		t.Errorf("new token: %v", err)
	}
	for _, route := range []string{"DELETE /v1/AuthTokens/Secondary", "POST /v1/AuthTokens/Secondary", "POST /v1/AuthTokens/Promote"} {
		if n := srv.Hits(route); n != 1 {
			t.Errorf("%s: %d requests", route, n)
		}
	}
	if _, err := c.RotateSecret(bg, provider.AccountSecret{Kind: provider.SecretSMTP}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("another kind of secret: %v", err)
	}

	// Connected with a Main key: the session is not the token's.
	kc := client(t, srv, st.Keys[0].Credential(st.Account.SID), twilio.Options{}, provider.Limits{})
	ks, _ := kc.ListSecrets(bg)
	if ks[0].Session {
		t.Error("a key session marked the auth token as its own")
	}
	rs2, err := kc.RotateSecret(bg, ks[0])
	if err != nil || rs2.Value == rs.Value {
		t.Fatalf("rotate from a key session: %v", err)
	}
	if _, err := kc.ListKeys(bg); err != nil {
		t.Errorf("the key session after rotation: %v", err)
	}
	if !strings.Contains(rs2.Note, "was not checked") || strings.Contains(rs2.Note, "refused (401)") {
		t.Errorf("a key session cannot prove the old token dead: %q", rs2.Note)
	}
}

func TestRotationFailuresChangeNothing(t *testing.T) {
	st := twiliofake.Default(time.Now())
	srv := fake(t, st)
	old := st.Account.Token
	c := client(t, srv, st.Account.Credential(), twilio.Options{AttemptTimeout: 300 * time.Millisecond}, provider.Limits{})
	tokenSecret := provider.AccountSecret{ID: c.AuthTokenID(), Kind: provider.SecretAuthToken}
	state := func() (string, string) {
		srv.Mu.Lock()
		defer srv.Mu.Unlock()
		return srv.St.Account.Token, srv.St.Secondary
	}

	// The promotion fails: not retried; the secondary is deleted; the old
	// token still works.
	srv.Inject(twiliofake.Fault{Method: "POST", Path: "/v1/AuthTokens/Promote", Status: 500})
	_, err := c.RotateSecret(bg, tokenSecret)
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "still works") {
		t.Fatalf("promotion failure: %v", err)
	}
	if p, s := state(); p != old || s != "" || srv.Hits("POST /v1/AuthTokens/Promote") != 1 {
		t.Errorf("after a failed promotion: primary changed %v, secondary %q, promotions %d", p != old, s, srv.Hits("POST /v1/AuthTokens/Promote"))
	}

	// The new token does not work: never promoted.
	srv.Inject(twiliofake.Fault{Method: "GET", Path: "/2010-04-01/Accounts/" + st.Account.SID + ".json", Status: 401})
	if _, err := c.RotateSecret(bg, tokenSecret); !errors.Is(err, provider.ErrBadCredentials) || !strings.Contains(err.Error(), "not promoted") {
		t.Fatalf("secondary refused: %v", err)
	}
	if p, s := state(); p != old || s != "" || srv.Hits("POST /v1/AuthTokens/Promote") != 1 {
		t.Errorf("after a refused secondary: primary changed %v, secondary %q", p != old, s)
	}
	if err := c.VerifyKey(bg, old); err != nil {
		t.Errorf("the old token after failed rotations: %v", err)
	}

	// The promotion's answer is lost but it happened: the old token is
	// refused, so the rotation went through.
	srv.Inject(twiliofake.Fault{Method: "POST", Path: "/v1/AuthTokens/Promote", Hold: 600 * time.Millisecond})
	rs, err := c.RotateSecret(bg, tokenSecret)
	if err != nil {
		t.Fatalf("lost promotion answer: %v", err)
	}
	if p, _ := state(); p != rs.Value || p == old {
		t.Error("the promoted token is not the one returned")
	}
	if _, err := c.Account(bg); err != nil {
		t.Errorf("session after a lost promotion answer: %v", err)
	}
}

func TestSuspendAndReactivateSubaccounts(t *testing.T) {
	st := twiliofake.Default(time.Now())
	srv := fake(t, st)
	c := client(t, srv, st.Account.Credential(), twilio.Options{}, provider.Limits{})
	subs, err := c.ListSubusers(bg)
	if err != nil {
		t.Fatal(err)
	}
	spam := subs[1].Username
	status := func() string {
		srv.Mu.Lock()
		defer srv.Mu.Unlock()
		return srv.St.Subaccounts[1].Status
	}
	if err := c.DisableSubuser(bg, spam); err != nil || status() != "suspended" {
		t.Fatalf("suspend: %v, %s", err, status())
	}
	if subs, _ := c.ListSubusers(bg); !subs[1].Disabled {
		t.Error("the suspended subaccount is listed enabled")
	}
	if err := c.EnableSubuser(bg, spam); err != nil || status() != "active" {
		t.Fatalf("reactivate: %v, %s", err, status())
	}
	if err := c.EnableSubuser(bg, subs[2].Username); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("reopen a closed subaccount: %v", err)
	}
	if err := c.DisableSubuser(bg, st.Account.SID); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("suspend the main account: %v", err)
	}
	if err := c.DisableSubuser(bg, "spam"); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("suspend by name: %v", err)
	}
}

func TestFaultsGiveClearErrorsAndLoseNothing(t *testing.T) {
	st := twiliofake.Default(time.Now())
	cred := st.Account.Credential()
	cases := []struct {
		name  string
		fault twiliofake.Fault
		opts  twilio.Options
		kind  error
		text  string
	}{
		{"short 429 is waited out", twiliofake.Fault{Path: "/v1/Keys", Status: 429, RetryAfter: time.Second}, twilio.Options{}, nil, ""},
		{"long 429 is reported", twiliofake.Fault{Path: "/v1/Keys", Status: 429, RetryAfter: 2 * time.Hour}, twilio.Options{}, provider.ErrRateLimited, "retry in 2h0m0s"},
		{"one 500 is retried", twiliofake.Fault{Path: "/v1/Keys", Status: 500}, twilio.Options{}, nil, ""},
		{"500s", twiliofake.Fault{Path: "/v1/Keys", Status: 500, Times: 5}, twilio.Options{}, provider.ErrUnavailable, "Internal Server Error (Twilio error 20500)"},
		{"huge body", twiliofake.Fault{Path: "/v1/Keys", Huge: 9 << 20}, twilio.Options{}, provider.ErrUnavailable, "larger than 8 MiB"},
		{"malformed JSON", twiliofake.Fault{Path: "/v1/Keys", Truncate: true}, twilio.Options{}, provider.ErrUnavailable, "malformed JSON"},
		{"trickling body", twiliofake.Fault{Path: "/v1/Keys", Trickle: 50 * time.Millisecond}, twilio.Options{AttemptTimeout: 300 * time.Millisecond}, provider.ErrUnavailable, "no complete answer within"},
		{"slow first byte", twiliofake.Fault{Path: "/v1/Keys", Delay: time.Second}, twilio.Options{AttemptTimeout: 300 * time.Millisecond}, provider.ErrUnavailable, "within"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fake(t, st)
			srv.Inject(tc.fault)
			c := client(t, srv, cred, tc.opts, provider.Limits{})
			keys, err := c.ListKeys(bg)
			if tc.kind == nil {
				if err != nil || len(keys) != 5 {
					t.Fatalf("%d keys, %v", len(keys), err)
				}
				return
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v, want %v with %q", err, tc.kind, tc.text)
			}
			checkSafe(t, err.Error(), st)
			if provider.Advice(err) == "" {
				t.Error("no advice")
			}
			// Nothing was lost: the next read works (after a long rate
			// limit the client rightly waits it out: a new one reads).
			if errors.Is(err, provider.ErrRateLimited) {
				c = client(t, srv, cred, tc.opts, provider.Limits{})
			}
			if keys, err := c.ListKeys(bg); err != nil || len(keys) != 5 {
				t.Errorf("after the fault: %d keys, %v", len(keys), err)
			}
		})
	}

	srv := fake(t, st)
	bad := client(t, srv, st.Account.SID+":"+twiliofake.Token(), twilio.Options{}, provider.Limits{})
	_, err := bad.Account(bg)
	if !errors.Is(err, provider.ErrBadCredentials) || !strings.Contains(err.Error(), "Authenticate (Twilio error 20003)") {
		t.Errorf("bad token: %v", err)
	}
	// A standard key may not read keys or subaccounts: a permission error.
	std := client(t, srv, st.Keys[2].Credential(st.Account.SID), twilio.Options{}, provider.Limits{})
	if _, err := std.ListKeys(bg); !errors.Is(err, provider.ErrPermission) {
		t.Errorf("standard key lists keys: %v", err)
	}
	if hooks, err := std.ListWebhooks(bg); err != nil || len(hooks) != 5 {
		t.Errorf("standard key lists webhooks: %d, %v", len(hooks), err)
	}
}

func TestHostilePaging(t *testing.T) {
	st := twiliofake.Big(time.Now(), 300, 0, 0, 0)
	// A page that repeats: the listing stops, the first page is kept.
	srv := fake(t, st)
	srv.Inject(twiliofake.Fault{Path: "/v1/Keys", RepeatNext: true, Times: 2})
	c := client(t, srv, st.Account.Credential(), twilio.Options{PageSize: 50}, provider.Limits{})
	keys, err := c.ListKeys(bg)
	var tr *provider.Truncation
	if !errors.As(err, &tr) || tr.Cause != provider.CauseRepeat || len(keys) != 50 {
		t.Fatalf("repeated page: %d keys, %v", len(keys), err)
	}
	// A next link to another host: never followed, the list is marked.
	srv.Inject(twiliofake.Fault{Path: "/v1/Keys", ForeignNext: true})
	keys, err = c.ListKeys(bg)
	if !errors.As(err, &tr) || !strings.Contains(err.Error(), "another host (evil.example)") || len(keys) != 50 {
		t.Fatalf("foreign next link: %d keys, %v", len(keys), err)
	}
	checkSafe(t, err.Error(), st)
	// The caps.
	c = client(t, srv, st.Account.Credential(), twilio.Options{PageSize: 50}, provider.Limits{MaxPages: 2})
	keys, err = c.ListKeys(bg)
	if !errors.As(err, &tr) || tr.Cause != provider.CausePages || len(keys) != 100 {
		t.Fatalf("page cap: %d keys, %v", len(keys), err)
	}
	c = client(t, srv, st.Account.Credential(), twilio.Options{PageSize: 50}, provider.Limits{MaxItems: 120})
	keys, err = c.ListKeys(bg)
	if !errors.As(err, &tr) || tr.Cause != provider.CauseItems || len(keys) != 120 {
		t.Fatalf("item cap: %d keys, %v", len(keys), err)
	}
	// A truncated section still counts as read in an inventory.
	inv, _ := checklist.TakeInventory(bg, c, time.Now(), checklist.SecKeys)
	if !slices.Contains(inv.Read, checklist.SecKeys) || inv.Truncated[checklist.SecKeys] == "" {
		t.Errorf("inventory of a capped list: read %v, truncated %v", inv.Read, inv.Truncated)
	}
}

func TestMatchLeaks(t *testing.T) {
	st := twiliofake.Default(time.Now())
	srv := fake(t, st)
	c := client(t, srv, st.Account.Credential(), twilio.Options{}, provider.Limits{})
	keys, err := c.ListKeys(bg)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := c.MatchLeak(provider.Leak{Provider: "twilio", Kind: "api_key_secret", KeyID: st.Keys[2].SID}, keys); !ok || id != st.Keys[2].SID {
		t.Errorf("leaked key: %q %v", id, ok)
	}
	for _, l := range []provider.Leak{
		{Provider: "twilio", Kind: "api_key_secret", KeyID: twiliofake.SID("SK")},
		{Provider: "sendgrid", Kind: "api_key", KeyID: st.Keys[2].SID},
		{Provider: "twilio", Kind: "auth_token", KeyID: st.Account.SID},
	} {
		if id, ok := c.MatchLeak(l, keys); ok {
			t.Errorf("leak %+v matched key %q", l, id)
		}
	}
	if s, ok := c.MatchSecret(provider.Leak{Provider: "twilio", Kind: "auth_token", KeyID: st.Account.SID}); !ok || s.ID != c.AuthTokenID() {
		t.Errorf("leaked auth token: %+v %v", s, ok)
	}
	for _, l := range []provider.Leak{{Provider: "twilio", Kind: "auth_token"}, {Provider: "twilio", Kind: "auth_token", KeyID: st.Subaccounts[0].SID}} {
		if _, ok := c.MatchSecret(l); ok {
			t.Errorf("leak %+v matched the auth token", l)
		}
	}
}

// checkSafe fails when s carries a credential of st or a character a
// terminal would act on.
func checkSafe(t testing.TB, s string, st twiliofake.State) {
	t.Helper()
	if s != provider.Sanitize(s) {
		t.Errorf("unsanitized text: %q", s)
	}
	secrets := []string{st.Account.Token, st.Secondary}
	for _, k := range st.Keys {
		secrets = append(secrets, k.Secret)
	}
	for _, a := range st.Subaccounts {
		secrets = append(secrets, a.Token)
	}
	for _, x := range secrets {
		if x != "" && strings.Contains(s, x) {
			t.Errorf("a secret leaked into %q", s)
		}
	}
}
