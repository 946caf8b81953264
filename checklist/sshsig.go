package checklist

// Report signatures in the OpenSSH signature format (PROTOCOL.sshsig), so
// that support can check with stock OpenSSH that a report came from the
// owner's key:
//
//	ssh-keygen -Y verify -f allowed_signers -I owner -n reclaim-report -s report.md.sig < report.md
//
// and the owner can sign with either reclaim (reclaim report --sign KEY) or
// ssh-keygen -Y sign -f KEY -n reclaim-report report.md.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// ReportSigNamespace is the sshsig namespace of report signatures. A
// signature made for another purpose (git commits sign as "git", files as
// "file") never verifies as a report signature, and the reverse. It is the
// -n argument of ssh-keygen -Y sign and ssh-keygen -Y verify.
const ReportSigNamespace = "reclaim-report"

// ReportSigPrincipal is the principal reclaim puts in the allowed-signers
// line it prints for support (the -I argument of ssh-keygen -Y verify).
const ReportSigPrincipal = "owner"

// ReportSigExt is appended to a report's file name to name its signature.
const ReportSigExt = ".sig"

const (
	sshsigMagic   = "SSHSIG"
	sshsigVersion = 1
	sshsigBegin   = "-----BEGIN SSH SIGNATURE-----"
	sshsigEnd     = "-----END SSH SIGNATURE-----"
	// ssh-keygen wraps the armored base64 at 70 columns.
	sshsigWrap = 70
)

// Errors of VerifyReportSignature, for errors.Is.
var (
	// ErrSigMalformed: not an armored SSH signature, or a damaged one.
	ErrSigMalformed = errors.New("not a valid SSH signature")
	// ErrSigNamespace: a signature made for another purpose.
	ErrSigNamespace = errors.New("signature namespace is not " + ReportSigNamespace)
	// ErrSigUnknownKey: signed by a key that is not among the allowed ones.
	ErrSigUnknownKey = errors.New("signed by a key that is not an allowed signer")
	// ErrSigMismatch: the signature does not match the data (the file was
	// changed after it was signed, or the signature belongs to another file).
	ErrSigMismatch = errors.New("signature does not match the file's contents")
)

// sshsigWrapper is the signature blob (before armoring).
type sshsigWrapper struct {
	Version       uint32
	PublicKey     []byte
	Namespace     string
	Reserved      string
	HashAlgorithm string
	Signature     []byte
}

// sshsigSignedData is what the key signs.
type sshsigSignedData struct {
	Namespace     string
	Reserved      string
	HashAlgorithm string
	Hash          []byte
}

func sshsigMessage(namespace, hashAlg string, data []byte) ([]byte, error) {
	var h []byte
	switch hashAlg {
	case "sha512":
		s := sha512.Sum512(data)
		h = s[:]
	case "sha256":
		s := sha256.Sum256(data)
		h = s[:]
	default:
		return nil, fmt.Errorf("%w: unsupported hash algorithm %q", ErrSigMalformed, hashAlg)
	}
	return append([]byte(sshsigMagic), ssh.Marshal(sshsigSignedData{Namespace: namespace, HashAlgorithm: hashAlg, Hash: h})...), nil
}

// SignReport signs data with signer in the ReportSigNamespace and returns
// the armored signature (-----BEGIN SSH SIGNATURE----- …), byte for byte
// what ssh-keygen -Y sign -n reclaim-report writes: SHA-512 of the data,
// and for an RSA key an rsa-sha2-512 signature.
func SignReport(data []byte, signer ssh.Signer) ([]byte, error) {
	return signSSHSig(data, signer, ReportSigNamespace)
}

// signSSHSig is SignReport in any namespace.
func signSSHSig(data []byte, signer ssh.Signer, namespace string) ([]byte, error) {
	if signer == nil {
		return nil, errors.New("no signing key")
	}
	msg, err := sshsigMessage(namespace, "sha512", data)
	if err != nil {
		return nil, err
	}
	pub := signer.PublicKey()
	if _, ok := pub.(*ssh.Certificate); ok {
		return nil, errors.New("signing with a certificate is not supported: use the plain key")
	}
	var sig *ssh.Signature
	switch pub.Type() {
	case ssh.KeyAlgoRSA:
		as, ok := signer.(ssh.AlgorithmSigner)
		if !ok {
			return nil, errors.New("this RSA key cannot sign with rsa-sha2-512")
		}
		sig, err = as.SignWithAlgorithm(rand.Reader, msg, ssh.KeyAlgoRSASHA512)
	default:
		sig, err = signer.Sign(rand.Reader, msg)
	}
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	blob := append([]byte(sshsigMagic), ssh.Marshal(sshsigWrapper{
		Version:       sshsigVersion,
		PublicKey:     pub.Marshal(),
		Namespace:     namespace,
		HashAlgorithm: "sha512",
		Signature:     ssh.Marshal(sig),
	})...)
	return armorSSHSig(blob), nil
}

func armorSSHSig(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(sshsigBegin + "\n")
	for len(enc) > sshsigWrap {
		b.WriteString(enc[:sshsigWrap] + "\n")
		enc = enc[sshsigWrap:]
	}
	b.WriteString(enc + "\n")
	b.WriteString(sshsigEnd + "\n")
	return b.Bytes()
}

func dearmorSSHSig(armored []byte) ([]byte, error) {
	s := strings.ReplaceAll(string(armored), "\r\n", "\n")
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, sshsigBegin) {
		return nil, fmt.Errorf("%w: no %q line", ErrSigMalformed, sshsigBegin)
	}
	s = strings.TrimPrefix(s, sshsigBegin)
	body, ok := strings.CutSuffix(s, sshsigEnd)
	if !ok {
		return nil, fmt.Errorf("%w: no %q line at its end", ErrSigMalformed, sshsigEnd)
	}
	body = strings.Join(strings.Fields(body), "")
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64: %v", ErrSigMalformed, err)
	}
	return blob, nil
}

// ParseReportSignature decodes an armored signature without checking it:
// the key that made it and its namespace.
func ParseReportSignature(armored []byte) (key ssh.PublicKey, namespace string, err error) {
	w, key, _, err := parseSSHSig(armored)
	if err != nil {
		return nil, "", err
	}
	return key, w.Namespace, nil
}

func parseSSHSig(armored []byte) (*sshsigWrapper, ssh.PublicKey, *ssh.Signature, error) {
	blob, err := dearmorSSHSig(armored)
	if err != nil {
		return nil, nil, nil, err
	}
	rest, ok := bytes.CutPrefix(blob, []byte(sshsigMagic))
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: no SSHSIG magic", ErrSigMalformed)
	}
	var w sshsigWrapper
	if err := ssh.Unmarshal(rest, &w); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrSigMalformed, err)
	}
	if w.Version != sshsigVersion {
		return nil, nil, nil, fmt.Errorf("%w: version %d (want %d)", ErrSigMalformed, w.Version, sshsigVersion)
	}
	key, err := ssh.ParsePublicKey(w.PublicKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: its public key: %v", ErrSigMalformed, err)
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(w.Signature, &sig); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: its signature: %v", ErrSigMalformed, err)
	}
	return &w, key, &sig, nil
}

// VerifyReportSignature checks an armored signature of data: that it is a
// ReportSigNamespace signature, by one of the allowed keys, over exactly
// these bytes. It returns the allowed key that made it. Errors wrap
// ErrSigMalformed, ErrSigNamespace, ErrSigUnknownKey or ErrSigMismatch.
func VerifyReportSignature(data, armored []byte, allowed []ssh.PublicKey) (ssh.PublicKey, error) {
	return verifySSHSig(data, armored, allowed, ReportSigNamespace)
}

// verifySSHSig is VerifyReportSignature in any namespace.
func verifySSHSig(data, armored []byte, allowed []ssh.PublicKey, namespace string) (ssh.PublicKey, error) {
	w, key, sig, err := parseSSHSig(armored)
	if err != nil {
		return nil, err
	}
	if w.Namespace != namespace {
		if namespace != ReportSigNamespace {
			return nil, fmt.Errorf("%w: its namespace is %q, not %q", ErrSigMalformed, w.Namespace, namespace)
		}
		return nil, fmt.Errorf("%w (it is %q)", ErrSigNamespace, w.Namespace)
	}
	var match ssh.PublicKey
	for _, k := range allowed {
		if k != nil && bytes.Equal(k.Marshal(), w.PublicKey) {
			match = k
			break
		}
	}
	if match == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrSigUnknownKey, key.Type(), ssh.FingerprintSHA256(key))
	}
	// As OpenSSH: an RSA signature must use SHA-2, never ssh-rsa (SHA-1),
	// and the signature's algorithm must belong to the key.
	switch key.Type() {
	case ssh.KeyAlgoRSA:
		if sig.Format != ssh.KeyAlgoRSASHA512 && sig.Format != ssh.KeyAlgoRSASHA256 {
			return nil, fmt.Errorf("%w: RSA signature algorithm %q is not accepted (rsa-sha2-512 or rsa-sha2-256)", ErrSigMalformed, sig.Format)
		}
	default:
		if sig.Format != key.Type() {
			return nil, fmt.Errorf("%w: signature algorithm %q for a %s key", ErrSigMalformed, sig.Format, key.Type())
		}
	}
	msg, err := sshsigMessage(w.Namespace, w.HashAlgorithm, data)
	if err != nil {
		return nil, err
	}
	if err := match.Verify(msg, sig); err != nil {
		return nil, fmt.Errorf("%w (%s key %s)", ErrSigMismatch, key.Type(), ssh.FingerprintSHA256(key))
	}
	return match, nil
}

// AllowedSigner is one line of an allowed-signers file (ssh-keygen(1),
// ALLOWED SIGNERS) or of a plain .pub file, which has no principals.
type AllowedSigner struct {
	Principals    string // comma-separated patterns; empty for a .pub line
	Key           ssh.PublicKey
	Comment       string
	Namespaces    []string // namespaces="…" patterns; empty: any
	CertAuthority bool     // cert-authority: trusts certificates, not direct signatures
	ValidAfter    time.Time
	ValidBefore   time.Time
	Line          int
}

// Allows reports whether the line accepts a direct signature by its key in
// namespace at time at (the zero time skips the validity window).
func (s AllowedSigner) Allows(namespace string, at time.Time) bool {
	if s.CertAuthority || s.Key == nil {
		return false
	}
	if len(s.Namespaces) > 0 && !matchPatternList(namespace, s.Namespaces) {
		return false
	}
	if !at.IsZero() {
		if !s.ValidAfter.IsZero() && at.Before(s.ValidAfter) {
			return false
		}
		if !s.ValidBefore.IsZero() && !at.Before(s.ValidBefore) {
			return false
		}
	}
	return true
}

// matchPatternList matches s against OpenSSH patterns (* and ?; a leading
// ! negates, and a negated match refuses whatever else matches).
func matchPatternList(s string, patterns []string) bool {
	ok := false
	for _, p := range patterns {
		if neg, found := strings.CutPrefix(p, "!"); found {
			if matchPattern(s, neg) {
				return false
			}
		} else if matchPattern(s, p) {
			ok = true
		}
	}
	return ok
}

func matchPattern(s, p string) bool {
	for p != "" {
		switch p[0] {
		case '*':
			for p != "" && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchPattern(s[i:], p) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		s, p = s[1:], p[1:]
	}
	return s == ""
}

// AllowedSignersLine renders key as an allowed-signers line restricted to
// report signatures, for ssh-keygen -Y verify -f FILE -I principal.
func AllowedSignersLine(principal string, key ssh.PublicKey) string {
	return fmt.Sprintf("%s namespaces=%q %s", principal, ReportSigNamespace, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))))
}

// AllowedReportKeys gives the keys of signers that accept a direct report
// signature at time at.
func AllowedReportKeys(signers []AllowedSigner, at time.Time) []ssh.PublicKey {
	var keys []ssh.PublicKey
	for _, s := range signers {
		if s.Allows(ReportSigNamespace, at) {
			keys = append(keys, s.Key)
		}
	}
	return keys
}

// ParseAllowedSigners parses an allowed-signers file (lines
// "principals [options] keytype base64 [comment]") or a .pub / authorized
// keys file ("keytype base64 [comment]"). Blank lines and # comments are
// skipped. The options namespaces="…", cert-authority, valid-after="…" and
// valid-before="…" are understood; a line with an unparseable key, or a
// file without any key, is an error.
func ParseAllowedSigners(data []byte) ([]AllowedSigner, error) {
	var out []AllowedSigner
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseAllowedSignerLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		s.Line = i + 1
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("no public key in it")
	}
	return out, nil
}

func parseAllowedSignerLine(line string) (AllowedSigner, error) {
	fields, err := splitQuoted(line)
	if err != nil {
		return AllowedSigner{}, err
	}
	// The key is the first "type base64" pair that parses; what is before
	// it is the principals and the options.
	for i := 0; i+1 < len(fields); i++ {
		if i > 2 {
			break
		}
		blob, err := base64.StdEncoding.DecodeString(fields[i+1])
		if err != nil {
			continue
		}
		key, err := ssh.ParsePublicKey(blob)
		if err != nil || key.Type() != fields[i] {
			continue
		}
		s := AllowedSigner{Key: key, Comment: strings.Join(fields[i+2:], " ")}
		if i > 0 {
			s.Principals = fields[0]
		}
		if i == 2 {
			if err := s.setOptions(fields[1]); err != nil {
				return AllowedSigner{}, err
			}
		}
		return s, nil
	}
	return AllowedSigner{}, errors.New("no public key (want [principals] [options] keytype base64 [comment])")
}

// splitQuoted splits on spaces and tabs outside double quotes.
func splitQuoted(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case (r == ' ' || r == '\t') && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if quoted {
		return nil, errors.New("unbalanced quote")
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out, nil
}

func (s *AllowedSigner) setOptions(opts string) error {
	var parts []string
	var cur strings.Builder
	quoted := false
	for _, r := range opts {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	parts = append(parts, cur.String())
	for _, p := range parts {
		name, val, hasVal := strings.Cut(p, "=")
		val = strings.Trim(val, `"`)
		switch strings.ToLower(name) {
		case "cert-authority":
			s.CertAuthority = true
		case "namespaces":
			if !hasVal {
				return errors.New("namespaces needs a value")
			}
			s.Namespaces = strings.Split(val, ",")
		case "valid-after", "valid-before":
			t, err := parseSignerTime(val)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if strings.EqualFold(name, "valid-after") {
				s.ValidAfter = t
			} else {
				s.ValidBefore = t
			}
		default:
			return fmt.Errorf("unknown option %q", name)
		}
	}
	return nil
}

// parseSignerTime reads YYYYMMDD[HHMM[SS]][Z] (local time unless Z), as
// ssh-keygen does.
func parseSignerTime(v string) (time.Time, error) {
	loc := time.Local
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = s, time.UTC
	}
	for _, layout := range []string{"20060102", "200601021504", "20060102150405"} {
		if len(v) == len(layout) {
			if t, err := time.ParseInLocation(layout, v, loc); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q (want YYYYMMDD[HHMM[SS]][Z])", v)
}

// ParseSigningKey reads a private key file (OpenSSH, or PEM RSA/ECDSA/
// PKCS#8) for SignReport. For an encrypted key it calls passphrase, which
// may be nil (then an encrypted key is an error).
func ParseSigningKey(pem []byte, passphrase func() ([]byte, error)) (ssh.Signer, error) {
	if _, _, _, _, err := ssh.ParseAuthorizedKey(pem); err == nil {
		return nil, errors.New("this is a public key: --sign needs the private key (the same name without .pub)")
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if passphrase == nil {
			return nil, errors.New("the key is encrypted and no passphrase was given")
		}
		pw, perr := passphrase()
		if perr != nil {
			return nil, perr
		}
		signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, pw)
		for i := range pw {
			pw[i] = 0
		}
		if err != nil {
			return nil, fmt.Errorf("cannot decrypt the key (wrong passphrase?): %w", err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("not a private key reclaim can read: %w", err)
	}
	return signer, nil
}
