package drill

import (
	"strings"

	"reclaim/provider"
)

// UsersWithout2FA implements provider.TwoFactorReporter from the simulated
// console's 2FA page: lines "Teammate NAME: 2FA not enrolled".
func (a *Account) UsersWithout2FA() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, l := range a.sc.Console[provider.ItemTwoFactor] {
		who, rest, ok := strings.Cut(l, ":")
		if !ok || !strings.Contains(strings.ToLower(rest), "not enrolled") {
			continue
		}
		who = strings.TrimSpace(who)
		for _, p := range []string{"Teammate ", "Owner ", "User "} {
			who = strings.TrimPrefix(who, p)
		}
		if !a.st.ConsoleDone[string(provider.ItemTwoFactor)] {
			out = append(out, who)
		}
	}
	return out
}
