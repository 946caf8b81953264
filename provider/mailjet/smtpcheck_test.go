package mailjet

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"

	"reclaim/provider"
)

// fakeRelay speaks just enough SMTP for a login check: EHLO with AUTH PLAIN,
// AUTH (235 for the live secret, 535 otherwise) and QUIT. It never accepts
// mail. It answers on loopback, where no TLS is needed.
func fakeRelay(t *testing.T, live string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(s string) { c.Write([]byte(s + "\r\n")) }
				say("220 fake relay")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.TrimSpace(line)
					switch {
					case strings.HasPrefix(strings.ToUpper(cmd), "EHLO"):
						say("250-fake relay")
						say("250 AUTH PLAIN")
					case strings.HasPrefix(strings.ToUpper(cmd), "AUTH PLAIN"):
						raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(cmd[len("AUTH PLAIN"):]))
						parts := strings.Split(string(raw), "\x00")
						if len(parts) == 3 && parts[1]+":"+parts[2] == live {
							say("235 2.7.0 Authentication successful")
						} else {
							say("535 5.7.8 Authentication credentials invalid")
						}
					case strings.ToUpper(cmd) == "QUIT":
						say("221 bye")
						return
					default:
						say("502 not here")
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func TestVerifySMTP(t *testing.T) {
	key, old, fresh := strings.Repeat("a", 32), strings.Repeat("b", 32), strings.Repeat("c", 32)
	c := &Client{key: key}

	// Within the grace window the relay still takes the old secret.
	t.Setenv(SMTPAddrEnv, fakeRelay(t, key+":"+old))
	if err := c.VerifySMTP(context.Background(), old); err != nil {
		t.Fatalf("relay accepting the old secret: %v", err)
	}
	// After it, the old secret is refused with 535: dead.
	t.Setenv(SMTPAddrEnv, fakeRelay(t, key+":"+fresh))
	err := c.VerifySMTP(context.Background(), key+":"+old)
	var pe *provider.Error
	if !errors.Is(err, provider.ErrBadCredentials) || !errors.As(err, &pe) || pe.Status != 535 {
		t.Fatalf("refused old secret: %v", err)
	}
	// A relay that is down is not mistaken for a dead credential.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv(SMTPAddrEnv, addr)
	if err := c.VerifySMTP(context.Background(), old); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("relay down: %v", err)
	}
}
