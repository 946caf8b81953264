package drill

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WriteServerTree writes the scenario's simulated server under dir for the
// drill's leak scan (and the files that leaked during the drill so far):
// typically the production .env left in a web root and access logs showing
// bots fetching /.env. Secrets are random and made at run time; the tree
// belongs in a temporary folder, never in the state directory. Files that
// leak later in the drill are added to the same folder.
func (a *Account) WriteServerTree(dir string) error {
	a.mu.Lock()
	epoch := a.st.Epoch
	files := slices.Clone(a.sc.Server.Files)
	if len(files) == 0 { // a server with nothing leaked, so the scan reads something
		files = []ServerFile{
			{Path: "var/www/html/index.html", Content: "<!doctype html><title>Welcome</title>\n"},
			{Path: "var/log/nginx/access.log", Content: "198.51.100.10 - - [01/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0\"\n"},
		}
	}
	for _, l := range a.st.Leaks {
		files = append(files, ServerFile{Path: l.Path, Content: l.Content})
	}
	a.treeDir = dir
	a.mu.Unlock()
	return a.style.writeTreeFiles(dir, files, epoch)
}

// renderTemplate fills a server file's placeholders: {{key ID}} (a made-up
// credential for the key, in the imitated provider's shape, from cred: the
// same one for an id throughout a file; {{sendgrid_key ID}} is its older
// name), {{random N}},
// {{hex N}}, {{HEX N}}, {{twilio_sid}}, {{twilio_token}}, {{aws_key_id}}
// and {{root}} (the tree's folder).
func renderTemplate(tpl, root string, keys map[string]string, cred func(id string) string) string {
	return placeholderRE.ReplaceAllStringFunc(tpl, func(m string) string {
		f := strings.Fields(m[2 : len(m)-2])
		if len(f) == 0 {
			return m
		}
		n := 0
		if len(f) > 1 {
			n, _ = strconv.Atoi(f[1])
		}
		switch f[0] {
		case placeholderKey, placeholderSendGridID:
			if len(f) < 2 {
				return m
			}
			s, ok := keys[f[1]]
			if !ok {
				s = cred(f[1])
				keys[f[1]] = s
			}
			return s
		case "random":
			return randomString(n)
		case "hex":
			return randomHex(n + n%2)[:n]
		case "HEX":
			return strings.ToUpper(randomHex(n + n%2)[:n])
		case "twilio_sid":
			return "AC" + randomHex(32)
		case "twilio_token":
			return randomHex(32)
		case "aws_key_id":
			return "AKIA" + strings.ToUpper(randomHex(16))
		case "root":
			return root
		}
		return m
	})
}

// androxgh0stLog is a web server's access log with a bot harvesting .env
// files (AndroxGh0st) over the nine days before the drill.
func androxgh0stLog(epoch time.Time) string {
	var log strings.Builder
	t := epoch.Add(-9 * 24 * time.Hour)
	ips := []string{"203.0.113.77", "203.0.113.78", "192.0.2.200"}
	for i := 0; i < 40; i++ {
		ts := t.Add(time.Duration(i) * 5 * time.Hour).Format("02/Jan/2006:15:04:05 -0700")
		ip := ips[i%len(ips)]
		switch i % 4 {
		case 0:
			fmt.Fprintf(&log, "%s - - [%s] \"GET /.env HTTP/1.1\" 200 612 \"-\" \"python-requests/2.28\"\n", ip, ts)
		case 1:
			fmt.Fprintf(&log, "%s - - [%s] \"POST / HTTP/1.1\" 405 166 \"0x[]=androxgh0st\" \"Mozilla/5.0\"\n", ip, ts)
		case 2:
			fmt.Fprintf(&log, "%s - - [%s] \"GET /.git/config HTTP/1.1\" 404 153 \"-\" \"curl/7.88\"\n", ip, ts)
		default:
			fmt.Fprintf(&log, "198.51.100.23 - - [%s] \"GET / HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"\n", ts)
		}
	}
	return log.String()
}
