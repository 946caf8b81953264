package checklist

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseCIDRs validates IPv4/IPv6 addresses and CIDRs (a bare address becomes
// /32 or /128) and returns them normalised.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range splitList(strings.ReplaceAll(s, " ", ",")) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not a valid CIDR (e.g. 203.0.113.0/24 or 2001:db8::/48)", f)
			}
			if p.Masked() != p {
				return nil, fmt.Errorf("%q has host bits set: did you mean %s?", f, p.Masked())
			}
			out = append(out, p)
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a valid IP address", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no address given")
	}
	return out, nil
}

// Covers reports whether any prefix contains ip.
func Covers(prefixes []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, p := range prefixes {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// checkAllowGuard refuses an allow list that would lock the user out: the
// list after the change must cover the address they connect from, unless
// they typed the override.
func checkAllowGuard(a *AccountState, act Action) error {
	add, err := ParseCIDRs(act.Params["cidrs"])
	if err != nil {
		return err
	}
	your := act.Params["your_ip"]
	if act.Params["override"] == "I WILL LOSE ACCESS" {
		return nil
	}
	if your == "" {
		return fmt.Errorf("reclaim does not know the address you connect from: give it, or the allow list could lock you out")
	}
	all := add
	if inv := a.Current(); inv != nil {
		for _, r := range inv.AllowList {
			if p, err := ParseCIDRs(r.CIDR); err == nil {
				all = append(all, p...)
			}
		}
	}
	if !Covers(all, your) {
		return fmt.Errorf("refused: the allow list would not include %s, the address you connect from, and you would be locked out until support answers (type I WILL LOSE ACCESS to override)", your)
	}
	return nil
}
