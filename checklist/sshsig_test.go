package checklist

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// needSSHKeygen skips when OpenSSH's ssh-keygen is missing, unless
// RECLAIM_E2E=1 (CI), where it fails.
func needSSHKeygen(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ssh-keygen")
	if err != nil {
		if os.Getenv("RECLAIM_E2E") == "1" {
			t.Fatalf("ssh-keygen (OpenSSH) is required under RECLAIM_E2E=1 but is not installed")
		}
		t.Skipf("skipping: ssh-keygen (OpenSSH) is not installed")
	}
	return p
}

type sshKey struct {
	file   string // private key
	signer ssh.Signer
	pub    ssh.PublicKey
}

// genSSHKey makes a key with ssh-keygen in dir.
func genSSHKey(t *testing.T, dir, name string, args ...string) sshKey {
	t.Helper()
	file := filepath.Join(dir, name)
	cmd := exec.Command("ssh-keygen", append([]string{"-q", "-N", "", "-C", name + "@test", "-f", file}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ParseSigningKey(pem, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	pubText, err := os.ReadFile(file + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pubText)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub.Marshal(), signer.PublicKey().Marshal()) {
		t.Fatalf("%s: private and public keys differ", name)
	}
	return sshKey{file: file, signer: signer, pub: pub}
}

// sshVerify runs ssh-keygen -Y verify with data on standard input.
func sshVerify(t *testing.T, allowed, namespace, sigFile string, data []byte) error {
	t.Helper()
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", "owner", "-n", namespace, "-s", sigFile)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.New(strings.TrimSpace(string(out)))
	}
	if !strings.Contains(string(out), `Good "`+namespace+`" signature for owner`) {
		t.Fatalf("ssh-keygen verify succeeded without saying so: %s", out)
	}
	return nil
}

func TestSSHSigRoundTripsWithOpenSSH(t *testing.T) {
	needSSHKeygen(t)
	dir := t.TempDir()
	other := genSSHKey(t, dir, "other", "-t", "ed25519")
	data := []byte("# account recovery report\n\nreclaim-seal: v1 incident=x entries=3 head=ab digest=" + strings.Repeat("0", 64) + "\n")
	tampered := bytes.Replace(data, []byte("entries=3"), []byte("entries=4"), 1)
	otherAllowed := filepath.Join(dir, "other_allowed")
	if err := os.WriteFile(otherAllowed, []byte(AllowedSignersLine("owner", other.pub)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		args    []string
		sigAlgo string
	}{
		{"ed25519", []string{"-t", "ed25519"}, ssh.KeyAlgoED25519},
		{"ecdsa", []string{"-t", "ecdsa"}, ssh.KeyAlgoECDSA256},
		{"ecdsa521", []string{"-t", "ecdsa", "-b", "521"}, ssh.KeyAlgoECDSA521},
		{"rsa", []string{"-t", "rsa", "-b", "2048"}, ssh.KeyAlgoRSASHA512},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			k := genSSHKey(t, dir, "id_"+tc.name, tc.args...)
			allowed := filepath.Join(dir, "allowed_signers")
			if err := os.WriteFile(allowed, []byte(AllowedSignersLine("owner", k.pub)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "report.md")
			if err := os.WriteFile(file, data, 0o600); err != nil {
				t.Fatal(err)
			}

			// reclaim signs, ssh-keygen verifies.
			sig, err := SignReport(data, k.signer)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(sig, []byte("-----BEGIN SSH SIGNATURE-----\n")) || !bytes.HasSuffix(sig, []byte("-----END SSH SIGNATURE-----\n")) {
				t.Fatalf("armor:\n%s", sig)
			}
			if w, _, s, err := parseSSHSig(sig); err != nil || s.Format != tc.sigAlgo || w.HashAlgorithm != "sha512" || w.Namespace != ReportSigNamespace {
				t.Fatalf("our signature: %+v %+v %v", w, s, err)
			}
			sigFile := file + ReportSigExt
			if err := os.WriteFile(sigFile, sig, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := sshVerify(t, allowed, ReportSigNamespace, sigFile, data); err != nil {
				t.Fatalf("ssh-keygen rejects reclaim's signature: %v", err)
			}
			if err := sshVerify(t, allowed, ReportSigNamespace, sigFile, tampered); err == nil {
				t.Error("ssh-keygen accepts reclaim's signature over a tampered file")
			}
			if err := sshVerify(t, otherAllowed, ReportSigNamespace, sigFile, data); err == nil {
				t.Error("ssh-keygen accepts reclaim's signature for another key")
			}
			if err := sshVerify(t, allowed, "file", sigFile, data); err == nil {
				t.Error("ssh-keygen accepts reclaim's signature in namespace file")
			}

			// ssh-keygen signs, reclaim verifies.
			sshSig := sshSign(t, k.file, ReportSigNamespace, file)
			got, err := VerifyReportSignature(data, sshSig, []ssh.PublicKey{other.pub, k.pub})
			if err != nil {
				t.Fatalf("reclaim rejects ssh-keygen's signature: %v\n%s", err, sshSig)
			}
			if !bytes.Equal(got.Marshal(), k.pub.Marshal()) {
				t.Error("VerifyReportSignature returned another key")
			}
			if tc.name == "ed25519" && !bytes.Equal(sshSig, sig) {
				// Ed25519 signatures are deterministic: the two must be identical.
				t.Errorf("ed25519 signatures differ:\nreclaim:\n%s\nssh-keygen:\n%s", sig, sshSig)
			}
			if _, err := VerifyReportSignature(tampered, sshSig, []ssh.PublicKey{k.pub}); !errors.Is(err, ErrSigMismatch) {
				t.Errorf("tampered file: %v", err)
			}
			if _, err := VerifyReportSignature(data, sshSig, []ssh.PublicKey{other.pub}); !errors.Is(err, ErrSigUnknownKey) {
				t.Errorf("another key: %v", err)
			}
			if _, err := VerifyReportSignature(data, sshSig, nil); !errors.Is(err, ErrSigUnknownKey) {
				t.Errorf("no allowed key: %v", err)
			}
			fileSig := sshSign(t, k.file, "file", file)
			if _, err := VerifyReportSignature(data, fileSig, []ssh.PublicKey{k.pub}); !errors.Is(err, ErrSigNamespace) {
				t.Errorf("namespace file: %v", err)
			}
			// And our own round trip, through the allowed-signers parser.
			signers, err := ParseAllowedSigners([]byte("# support's file\n" + AllowedSignersLine("owner", k.pub) + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyReportSignature(data, sig, AllowedReportKeys(signers, time.Time{})); err != nil {
				t.Errorf("reclaim rejects its own signature: %v", err)
			}
		})
	}
}

// sshSign runs ssh-keygen -Y sign and returns the signature it wrote.
func sshSign(t *testing.T, key, namespace, file string) []byte {
	t.Helper()
	_ = os.Remove(file + ".sig")
	if out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", key, "-n", namespace, file).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	b, err := os.ReadFile(file + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(file + ".sig")
	return b
}

func TestSSHSigMalformed(t *testing.T) {
	needSSHKeygen(t)
	k := genSSHKey(t, t.TempDir(), "id", "-t", "ed25519")
	data := []byte("report\n")
	sig, err := SignReport(data, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	allowed := []ssh.PublicKey{k.pub}
	// Re-wrapped and CRLF armor still verifies.
	rewrapped := strings.ReplaceAll(string(sig), "\n", "\r\n")
	if _, err := VerifyReportSignature(data, []byte(rewrapped), allowed); err != nil {
		t.Errorf("CRLF armor: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(sig)), "\n")
	body := strings.Join(lines[1:len(lines)-1], "")
	for name, bad := range map[string]string{
		"empty":      "",
		"garbage":    "not a signature",
		"no end":     strings.Join(lines[:len(lines)-1], "\n"),
		"bad base64": lines[0] + "\n!!!!\n" + lines[len(lines)-1],
		"truncated":  lines[0] + "\n" + body[:40] + "\n" + lines[len(lines)-1],
		"pgp":        strings.ReplaceAll(string(sig), "SSH SIGNATURE", "PGP SIGNATURE"),
	} {
		if _, err := VerifyReportSignature(data, []byte(bad), allowed); !errors.Is(err, ErrSigMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A flipped bit in the signature itself.
	blob, _ := dearmorSSHSig(sig)
	blob[len(blob)-3] ^= 1
	if _, err := VerifyReportSignature(data, armorSSHSig(blob), allowed); !errors.Is(err, ErrSigMismatch) {
		t.Errorf("flipped bit: %v", err)
	}
	// The version and the magic are checked.
	blob, _ = dearmorSSHSig(sig)
	blob[9] = 2
	if _, err := VerifyReportSignature(data, armorSSHSig(blob), allowed); !errors.Is(err, ErrSigMalformed) {
		t.Errorf("version 2: %v", err)
	}
	blob, _ = dearmorSSHSig(sig)
	blob[0] = 'X'
	if _, err := VerifyReportSignature(data, armorSSHSig(blob), allowed); !errors.Is(err, ErrSigMalformed) {
		t.Errorf("bad magic: %v", err)
	}
}

func TestSSHSigRSARefusesSHA1(t *testing.T) {
	needSSHKeygen(t)
	k := genSSHKey(t, t.TempDir(), "id_rsa", "-t", "rsa", "-b", "2048")
	data := []byte("report\n")
	// Build a well-formed signature with an ssh-rsa (SHA-1) inner signature.
	msg, err := sshsigMessage(ReportSigNamespace, "sha512", data)
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.signer.(ssh.AlgorithmSigner).SignWithAlgorithm(nil, msg, ssh.KeyAlgoRSA)
	if err != nil {
		t.Fatal(err)
	}
	blob := append([]byte(sshsigMagic), ssh.Marshal(sshsigWrapper{Version: 1, PublicKey: k.pub.Marshal(), Namespace: ReportSigNamespace, HashAlgorithm: "sha512", Signature: ssh.Marshal(s)})...)
	if _, err := VerifyReportSignature(data, armorSSHSig(blob), []ssh.PublicKey{k.pub}); !errors.Is(err, ErrSigMalformed) || !strings.Contains(err.Error(), "ssh-rsa") {
		t.Errorf("ssh-rsa signature: %v", err)
	}
}

func TestSigningKeyEncrypted(t *testing.T) {
	needSSHKeygen(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "id_enc")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "correct horse", "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pem, _ := os.ReadFile(file)
	if _, err := ParseSigningKey(pem, nil); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("no passphrase: %v", err)
	}
	asked := 0
	if _, err := ParseSigningKey(pem, func() ([]byte, error) { asked++; return []byte("wrong"), nil }); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Errorf("wrong passphrase: %v", err)
	}
	s, err := ParseSigningKey(pem, func() ([]byte, error) { asked++; return []byte("correct horse"), nil })
	if err != nil || asked != 2 {
		t.Fatalf("right passphrase: %v (asked %d)", err, asked)
	}
	sig, err := SignReport([]byte("x"), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyReportSignature([]byte("x"), sig, []ssh.PublicKey{s.PublicKey()}); err != nil {
		t.Error(err)
	}
	// An unencrypted key never asks; a public key is refused with a hint.
	k := genSSHKey(t, dir, "id_plain", "-t", "ed25519")
	pem, _ = os.ReadFile(k.file)
	if _, err := ParseSigningKey(pem, func() ([]byte, error) { t.Error("asked for a passphrase"); return nil, nil }); err != nil {
		t.Error(err)
	}
	pub, _ := os.ReadFile(k.file + ".pub")
	if _, err := ParseSigningKey(pub, nil); err == nil || !strings.Contains(err.Error(), "public key") {
		t.Errorf("public key: %v", err)
	}
	if _, err := ParseSigningKey([]byte("hello"), nil); err == nil {
		t.Error("garbage accepted as a key")
	}
}

func TestSSHSigAllowedSignersFile(t *testing.T) {
	needSSHKeygen(t)
	dir := t.TempDir()
	a := genSSHKey(t, dir, "a", "-t", "ed25519")
	b := genSSHKey(t, dir, "b", "-t", "ecdsa")
	c := genSSHKey(t, dir, "c", "-t", "ed25519")
	d := genSSHKey(t, dir, "d", "-t", "ed25519")
	authorized := func(k sshKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.pub))) }

	// A plain .pub file.
	pub, _ := os.ReadFile(a.file + ".pub")
	signers, err := ParseAllowedSigners(pub)
	if err != nil || len(signers) != 1 || signers[0].Principals != "" || signers[0].Comment != "a@test" || !bytes.Equal(signers[0].Key.Marshal(), a.pub.Marshal()) {
		t.Fatalf(".pub: %+v %v", signers, err)
	}

	file := strings.Join([]string{
		"# allowed signers",
		"",
		"owner@acme.example,ops@acme.example " + authorized(a) + " laptop",
		`owner namespaces="git,reclaim-*" ` + authorized(b),
		`owner namespaces="git" ` + authorized(c),
		`owner cert-authority ` + authorized(d),
		`old valid-after="20200101",valid-before="20210101Z" ` + authorized(d),
	}, "\n")
	signers, err = ParseAllowedSigners([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(signers) != 5 || signers[0].Principals != "owner@acme.example,ops@acme.example" || signers[0].Comment != "laptop" || signers[0].Line != 3 {
		t.Fatalf("%+v", signers)
	}
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	keys := AllowedReportKeys(signers, at)
	if len(keys) != 2 || !bytes.Equal(keys[0].Marshal(), a.pub.Marshal()) || !bytes.Equal(keys[1].Marshal(), b.pub.Marshal()) {
		t.Errorf("allowed keys: %d", len(keys))
	}
	if !signers[4].Allows(ReportSigNamespace, time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)) || signers[4].Allows(ReportSigNamespace, at) {
		t.Error("valid-after/valid-before")
	}

	// What ssh-keygen accepts from this file, reclaim accepts too.
	data := []byte("report\n")
	allowed := filepath.Join(dir, "allowed_signers")
	_ = os.WriteFile(allowed, []byte(file+"\n"), 0o600)
	report := filepath.Join(dir, "report.md")
	_ = os.WriteFile(report, data, 0o600)
	for _, tc := range []struct {
		k         sshKey
		principal string
		want      bool
	}{{a, "ops@acme.example", true}, {b, "owner", true}, {c, "owner", false}, {d, "owner", false}, {d, "old", false}} {
		sig := sshSign(t, tc.k.file, ReportSigNamespace, report)
		_ = os.WriteFile(report+".sig", sig, 0o600)
		cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed, "-I", tc.principal, "-n", ReportSigNamespace, "-s", report+".sig")
		cmd.Stdin = bytes.NewReader(data)
		out, sshErr := cmd.CombinedOutput()
		_, ourErr := VerifyReportSignature(data, sig, AllowedReportKeys(signers, time.Now()))
		if (sshErr == nil) != tc.want || (ourErr == nil) != tc.want {
			t.Errorf("%s as %s: want ok=%v; ssh-keygen %v (%s), reclaim %v", filepath.Base(tc.k.file), tc.principal, tc.want, sshErr, bytes.TrimSpace(out), ourErr)
		}
	}

	for name, bad := range map[string]string{
		"empty":          "# nothing\n\n",
		"no key":         "owner ssh-ed25519 notbase64\n",
		"unknown option": "owner frobnicate " + authorized(a) + "\n",
		"bad time":       `owner valid-before="tomorrow" ` + authorized(a) + "\n",
		"open quote":     `owner namespaces="git ` + authorized(a) + "\n",
	} {
		if _, err := ParseAllowedSigners([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSSHSigPatterns(t *testing.T) {
	for _, tc := range []struct {
		s    string
		pats []string
		want bool
	}{
		{"reclaim-report", []string{"reclaim-report"}, true},
		{"reclaim-report", []string{"git", "reclaim-*"}, true},
		{"reclaim-report", []string{"reclaim-repor?"}, true},
		{"reclaim-report", []string{"*"}, true},
		{"reclaim-report", []string{"*", "!reclaim-*"}, false},
		{"reclaim-report", []string{"git"}, false},
		{"reclaim-report", []string{"reclaim"}, false},
		{"reclaim-report", []string{"reclaim-report?"}, false},
	} {
		if got := matchPatternList(tc.s, tc.pats); got != tc.want {
			t.Errorf("%q %v: %v", tc.s, tc.pats, got)
		}
	}
}
