package provider

import "testing"

func TestHelpers(t *testing.T) {
	b := []byte(`FOO_TOKEN = 'abc'`)
	if got := string(NameBefore(b, 13, 0)); got != "FOO_TOKEN" {
		t.Fatalf("NameBefore = %q", got)
	}
	if !HasPrefixFold([]byte("xKeYsib-"), 0, "xkeysib-") || HasPrefixFold([]byte("xke"), 0, "xkeysib-") {
		t.Fatal("HasPrefixFold")
	}
	for _, p := range []string{"xxxxxxxxxxxxxxxxxxxxxx", "00000000000000000000", "your_api_key_here", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"} {
		if !LooksPlaceholder([]byte(p)) {
			t.Errorf("%q is a placeholder", p)
		}
	}
	if LooksPlaceholder([]byte("9f3Kq0LmZ2vX7pT4bN8cR1sW")) {
		t.Error("random value flagged as placeholder")
	}
}
