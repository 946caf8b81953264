package postmark

import (
	"reflect"
	"strings"
	"testing"

	"reclaim/provider"
)

// TestDrillViewMatchesAdapter: the drill imitates exactly what this
// adapter's API can do. Every capability the view embeds is one the real
// client has, and every capability the client has (among those the drill
// simulates) is in the view.
func TestDrillViewMatchesAdapter(t *testing.T) {
	client := reflect.TypeOf((*Client)(nil))
	view := reflect.TypeOf(drillView{})
	embedded := map[reflect.Type]bool{}
	for i := range view.NumField() {
		f := view.Field(i).Type
		embedded[f] = true
		if f == reflect.TypeOf((*provider.Simulator)(nil)).Elem() {
			continue
		}
		if !client.Implements(f) {
			t.Errorf("the drill view has %s, the adapter does not", f)
		}
	}
	for _, c := range []any{
		(*provider.AccountReader)(nil), (*provider.KeyLister)(nil), (*provider.KeyCreator)(nil), (*provider.KeyRevoker)(nil),
		(*provider.KeyVerifier)(nil), (*provider.TeammateLister)(nil), (*provider.TeammateRemover)(nil), (*provider.SubuserLister)(nil),
		(*provider.SubuserDisabler)(nil), (*provider.WebhookLister)(nil), (*provider.WebhookDeleter)(nil), (*provider.MailSettingsLister)(nil),
		(*provider.MailSettingDisabler)(nil), (*provider.SenderLister)(nil), (*provider.AllowListReader)(nil), (*provider.AllowListWriter)(nil),
		(*provider.ActivityLister)(nil), (*provider.MessageLister)(nil), (*provider.PasswordChanger)(nil),
	} {
		it := reflect.TypeOf(c).Elem()
		if client.Implements(it) && !embedded[it] {
			t.Errorf("the adapter has %s, the drill view does not", it)
		}
	}
}

// TestDrillCredentialShape: a drill token is a UUID the leak scan finds
// beside the adapter's first credential variable.
func TestDrillCredentialShape(t *testing.T) {
	cred := DrillStyle.Keys.Format("5e1a7c3d", "0123456789ab")
	if !IsUUID([]byte(cred), 0, len(cred)) || len(cred) != 36 {
		t.Fatalf("drill credential %q is not a UUID", cred)
	}
	env := Info.Credentials[0].Env + "=" + cred
	ms := Detector.Run([]byte(env))
	if len(ms) != 1 || env[ms[0].Start:ms[0].End] != cred || !strings.Contains(ms[0].Kind, "token") {
		t.Errorf("the detector does not find %q: %+v", env, ms)
	}
}
