package bvfake

import (
	"bufio"
	"encoding/base64"
	"net"
	"slices"
	"strings"
	"sync"
)

// Relay is a fake SMTP relay: just enough SMTP for a login check (EHLO
// offering AUTH PLAIN, AUTH answering 235 for the account's SMTP login
// with one of its SMTP keys and 535 otherwise, QUIT). It never accepts
// mail. It listens on loopback, where no TLS is needed.
type Relay struct {
	Addr  string
	ln    net.Listener
	srv   *Server
	mu    sync.Mutex
	tries []string // logins tried
}

// NewRelay starts a relay checking logins against s's state.
func NewRelay(s *Server) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{Addr: ln.Addr().String(), ln: ln, srv: s}
	go r.accept()
	return r, nil
}

// Close stops the relay.
func (r *Relay) Close() error { return r.ln.Close() }

// Logins returns the logins tried so far.
func (r *Relay) Logins() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tries)
}

func (r *Relay) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		go r.session(c)
	}
}

func (r *Relay) session(c net.Conn) {
	defer c.Close()
	rd := bufio.NewReader(c)
	say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
	say("220 fake Brevo relay")
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimSpace(line)
		up := strings.ToUpper(cmd)
		switch {
		case strings.HasPrefix(up, "EHLO"), strings.HasPrefix(up, "HELO"):
			say("250-fake Brevo relay")
			say("250 AUTH PLAIN LOGIN")
		case strings.HasPrefix(up, "AUTH PLAIN"):
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(cmd[len("AUTH PLAIN"):]))
			parts := strings.Split(string(raw), "\x00")
			ok := false
			if len(parts) == 3 {
				r.mu.Lock()
				r.tries = append(r.tries, parts[1])
				r.mu.Unlock()
				r.srv.Mu.Lock()
				ok = parts[1] == r.srv.St.SMTPLogin && slices.Contains(r.srv.St.SMTPKeys, parts[2])
				r.srv.Mu.Unlock()
			}
			if ok {
				say("235 2.7.0 Authentication successful")
			} else {
				say("535 5.7.8 Authentication failed")
			}
		case up == "QUIT":
			say("221 bye")
			return
		default:
			say("502 5.5.2 not implemented here")
		}
	}
}
