package cli

import "entra8344/internal/ldap"

// liveDirectory gives every AD connector the same dialer: the host's LDAP
// client finds the DCs of each forest by name.
type liveDirectory struct{ d ldap.Dialer }

func (l liveDirectory) Dialer(string) (ldap.Dialer, error) { return l.d, nil }
