// Package mailpittest runs a real SMTP server (Mailpit) on loopback for
// tests, and reads what it received through Mailpit's HTTP API.
//
// The binary comes from RECLAIM_MAILPIT (.ci/install-mailpit.sh builds it
// and .ci/env exports the path). Without it a test is skipped, naming what
// is missing; with RECLAIM_E2E=1 (CI) it fails instead.
package mailpittest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Server is a running Mailpit.
type Server struct {
	SMTPPort int
	HTTPURL  string
	// RootCAs trusts the server's certificate (TLS servers only).
	RootCAs *x509.CertPool
	log     *bytes.Buffer
}

// Options choose how the server behaves.
type Options struct {
	// StartTLS offers STARTTLS with a fresh self-signed certificate for
	// 127.0.0.1 and localhost, and requires it.
	StartTLS bool
	// User and Password, when set, are the only login accepted.
	User, Password string
	// AcceptAnyAuth accepts any login, even over plain text (loopback).
	AcceptAnyAuth bool
}

// Binary returns Mailpit's path, skipping (or failing under RECLAIM_E2E=1)
// when it is not installed.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("RECLAIM_MAILPIT")
	why := ""
	if bin == "" {
		why = "RECLAIM_MAILPIT is not set"
	} else if st, err := os.Stat(bin); err != nil || st.IsDir() {
		why = fmt.Sprintf("RECLAIM_MAILPIT=%s does not exist", bin)
	}
	if why == "" {
		return bin
	}
	msg := "mailpit (a loopback SMTP server with an HTTP API) is missing: " + why + "; build it with bash .ci/install-mailpit.sh and source .ci/env"
	if os.Getenv("RECLAIM_E2E") == "1" {
		t.Fatal(msg + " (RECLAIM_E2E=1: a missing tool fails the run)")
	}
	t.Skip(msg)
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePort returns a loopback port nothing listens on (for "server down").
func FreePort(t testing.TB) int { return freePort(t) }

// Start runs Mailpit on free loopback ports until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	s := &Server{SMTPPort: freePort(t), log: &bytes.Buffer{}}
	httpPort := freePort(t)
	s.HTTPURL = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	args := []string{
		"--smtp", "127.0.0.1:" + strconv.Itoa(s.SMTPPort),
		"--listen", "127.0.0.1:" + strconv.Itoa(httpPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-disable-rdns", "--quiet",
	}
	if o.StartTLS {
		cert, key, pool := selfSigned(t, dir)
		s.RootCAs = pool
		args = append(args, "--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-require-starttls")
	}
	if o.User != "" {
		auth := filepath.Join(dir, "smtp-auth")
		if err := os.WriteFile(auth, []byte(o.User+":"+o.Password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--smtp-auth-file", auth)
	}
	if o.AcceptAnyAuth {
		args = append(args, "--smtp-auth-accept-any")
	}
	if o.AcceptAnyAuth || (o.User != "" && !o.StartTLS) {
		args = append(args, "--smtp-auth-allow-insecure")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting mailpit: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("mailpit log:\n%s", s.log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.HTTPURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.SMTPPort), time.Second); err == nil {
					c.Close()
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not come up in 30s: %v\n%s", err, s.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Address is a mail address as Mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Attachment is an attachment as Mailpit reports it.
type Attachment struct {
	PartID      string
	FileName    string
	ContentType string
	Size        float64
}

// Message is a received message as Mailpit reports it.
type Message struct {
	ID          string
	MessageID   string
	From        *Address
	To          []*Address
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
}

func (s *Server) get(t testing.TB, path string, into any) []byte {
	t.Helper()
	resp, err := http.Get(s.HTTPURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return b
}

// Messages lists the received messages' database ids, newest first.
func (s *Server) Messages(t testing.TB) []string {
	t.Helper()
	var list struct {
		Messages []struct{ ID string }
	}
	s.get(t, "/api/v1/messages", &list)
	var ids []string
	for _, m := range list.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// Message reads one received message.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	s.get(t, "/api/v1/message/"+id, &m)
	return m
}

// Headers reads a message's headers.
func (s *Server) Headers(t testing.TB, id string) map[string][]string {
	t.Helper()
	h := map[string][]string{}
	s.get(t, "/api/v1/message/"+id+"/headers", &h)
	return h
}

// Raw reads a message's source.
func (s *Server) Raw(t testing.TB, id string) []byte {
	t.Helper()
	return s.get(t, "/api/v1/message/"+id+"/raw", nil)
}

// Part reads an attachment's bytes.
func (s *Server) Part(t testing.TB, id, part string) []byte {
	t.Helper()
	return s.get(t, "/api/v1/message/"+id+"/part/"+part, nil)
}

// selfSigned writes a certificate for 127.0.0.1 and localhost, valid for an
// hour, and returns the files and a pool that trusts it.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "reclaim test SMTP"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}
