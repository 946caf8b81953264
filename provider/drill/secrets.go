package drill

import (
	"context"
	"fmt"
	"slices"
	"time"

	"reclaim/provider"
)

// kindOf is a console action without its target.
func kindOf(a provider.ConsoleAction) provider.ConsoleAction {
	k, _ := a.Split()
	return k
}

// ListSecrets implements provider.SecretLister: the scenario's account
// secrets (known_good.secrets), with when each was last made.
func (a *Account) ListSecrets(ctx context.Context) ([]provider.AccountSecret, error) {
	if err := a.call(ctx, "list_secrets"); err != nil {
		return nil, err
	}
	if !offers[provider.SecretLister](a.style) {
		return nil, a.unsupported("list account secrets")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.st.Secrets), nil
}

// RotateSecret implements provider.SecretRotator: the secret gets a new,
// made-up value, returned once and never kept; the old value (the one the
// attacker holds) dies at once.
func (a *Account) RotateSecret(ctx context.Context, s provider.AccountSecret) (provider.RotatedSecret, error) {
	if err := a.call(ctx, "rotate_secret"); err != nil {
		return provider.RotatedSecret{}, err
	}
	if !offers[provider.SecretRotator](a.style) {
		return provider.RotatedSecret{}, a.unsupported("rotate an account secret")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.st.Secrets, func(x provider.AccountSecret) bool { return x.ID == s.ID })
	if i < 0 {
		return provider.RotatedSecret{}, notFound("rotate secret", "secret "+s.ID)
	}
	a.rotateLocked(i)
	return provider.RotatedSecret{
		AccountSecret: a.st.Secrets[i],
		Value:         keyShape(a.style.s.Keys.Secret).make(),
		Note:          "Put the new value where the old one lived; the old value no longer works.",
	}, nil
}

// rotateLocked records that the secret at i was rotated now.
func (a *Account) rotateLocked(i int) {
	now := time.Now().UTC().Truncate(time.Second)
	a.st.Secrets[i].Created = now
	if a.st.Rotated == nil {
		a.st.Rotated = map[string]time.Time{}
	}
	a.st.Rotated[a.st.Secrets[i].ID] = now
	a.trackLocked("")
}

// openSecretsLocked lists the leaked secrets not rotated since.
func (a *Account) openSecretsLocked(held []string) []string {
	var out []string
	for _, x := range a.st.Secrets {
		if _, done := a.st.Rotated[x.ID]; slices.Contains(held, x.ID) && !done {
			out = append(out, fmt.Sprintf("leaked %s %q (not rotated)", x.Kind, provider.SanitizeN(x.Name, 60)))
		}
	}
	return out
}

// SecretsRotated lists the ids of the secrets rotated during the drill.
func (a *Account) SecretsRotated() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, x := range a.st.Secrets {
		if _, ok := a.st.Rotated[x.ID]; ok {
			out = append(out, x.ID)
		}
	}
	return out
}

// secretKinds are the kinds a scenario's secret may have.
var secretKinds = []string{provider.SecretAuthToken, provider.SecretSMTP, provider.SecretSigningKey, provider.SecretServerToken, provider.SecretAccountToken, provider.SecretMasterPassword}

func (v *validator) secrets() {
	sc := v.sc
	ids := map[string]string{}
	for i, x := range sc.KnownGood.Secrets {
		p := fmt.Sprintf("known_good.secrets[%d]", i)
		if i == 0 && v.sc.style != nil && !offers[provider.SecretLister](v.sc.style) {
			v.errf(p, "a %s-style account has no account secrets the API can list", v.styleName())
		}
		if v.required(p+".id", x.ID) {
			if prev, ok := ids[x.ID]; ok {
				v.errf(p+".id", "duplicate secret id %q (also at %s)", x.ID, prev)
			}
			ids[x.ID] = p
		}
		if v.required(p+".kind", x.Kind) && !slices.Contains(secretKinds, x.Kind) {
			v.errf(p+".kind", "%q is not one of: %v", x.Kind, secretKinds)
		}
		if v.required(p+".name", x.Name) {
			v.text(p+".name", x.Name)
		}
		v.offset(p+".created", x.Created)
	}
	for i, id := range sc.Attacker.LeakedSecrets {
		if _, ok := ids[id]; !ok {
			v.errf(fmt.Sprintf("attacker.leaked_secrets[%d]", i), "%q is not one of known_good.secrets", id)
		}
	}
}
