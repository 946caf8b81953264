package provider

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckBaseURL accepts https URLs, and plain http only to a loopback host,
// so an override can point a test at a local fake but never send a key in
// clear text across a network.
func CheckBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return u, nil
		}
		return nil, fmt.Errorf("base URL %q uses plain http to a non-loopback host; use https", raw)
	}
	return nil, fmt.Errorf("base URL %q: scheme must be https (or http to loopback)", raw)
}

// IsLoopbackHost reports whether host is localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
