package drill

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteServerTree writes a small fake web server under dir for the drill's
// leak scan: the production .env left in a web root (with the leaked key,
// so the scan finds its id), a wp-config backup, and access logs showing
// bots fetching /.env. Secrets are random and made at run time; the tree
// belongs in a temporary folder, never in the state directory.
func (a *Account) WriteServerTree(dir string) error {
	a.mu.Lock()
	leakedID, epoch := a.sc.LeakedKey, a.st.Epoch
	a.mu.Unlock()
	files := map[string]string{}
	web := filepath.Join("var", "www", "acme", "public")
	if a.sc.Style == "mailjet" || leakedID == "" {
		files[filepath.Join(web, "index.php")] = "<?php echo 'Acme';\n"
	} else {
		key := "SG." + leakedID + "." + randomString(43)
		files[filepath.Join(web, ".env")] = strings.Join([]string{
			"APP_NAME=Acme", "APP_ENV=production", "APP_DEBUG=true",
			"APP_KEY=base64:" + randomString(43) + "=",
			"DB_PASSWORD=" + randomString(20),
			"MAIL_MAILER=smtp", "MAIL_HOST=smtp.sendgrid.net", "MAIL_PORT=587", "MAIL_USERNAME=apikey",
			"MAIL_PASSWORD=" + key,
			"SENDGRID_API_KEY=" + key,
			"AWS_ACCESS_KEY_ID=AKIA" + strings.ToUpper(randomHex(16)),
			"AWS_SECRET_ACCESS_KEY=" + randomString(40),
			"",
		}, "\n")
		files[filepath.Join(web, "index.php")] = "<?php require __DIR__.'/../vendor/autoload.php';\n"
	}
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
	files[filepath.Join("var", "log", "nginx", "access.log")] = log.String()
	files[filepath.Join("etc", "nginx", "sites-enabled", "acme.conf")] = "server {\n  server_name acme.example;\n  root " + filepath.Join(dir, web) + ";\n}\n"
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			return err
		}
	}
	return nil
}
