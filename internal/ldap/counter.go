package ldap

import (
	"context"
	"sync/atomic"
)

// Counter is an Conn that counts the Search and Modify calls made
// through it (failed ones too), to prove that the number of LDAP
// operations does not grow with the number of objects.
type Counter struct {
	c Conn
	n *counts
}

type counts struct {
	searches, modifies, dials atomic.Int64
}

var _ Conn = (*Counter)(nil)

// NewCounter wraps c (nil when the Counter is used only through Wrap or Dialer).
func NewCounter(c Conn) *Counter { return &Counter{c: c, n: &counts{}} }

// Wrap returns a Counter for c that adds to the same counts as n.
func (n *Counter) Wrap(c Conn) *Counter { return &Counter{c: c, n: n.n} }

// Dialer returns a Dialer whose connections add to n's counts.
func (n *Counter) Dialer(d Dialer) Dialer { return countDialer{d: d, n: n} }

type countDialer struct {
	d Dialer
	n *Counter
}

func (cd countDialer) Dial(ctx context.Context, host string) (Conn, error) {
	cd.n.n.dials.Add(1)
	c, err := cd.d.Dial(ctx, host)
	if err != nil {
		return nil, err
	}
	return cd.n.Wrap(c), nil
}

// Dials is the number of Dial calls made through Dialer.
func (n *Counter) Dials() int { return int(n.n.dials.Load()) }

// Search counts and passes the search on.
func (n *Counter) Search(ctx context.Context, req *SearchRequest) ([]*Entry, error) {
	n.n.searches.Add(1)
	return n.c.Search(ctx, req)
}

// Modify counts and passes the modify on.
func (n *Counter) Modify(ctx context.Context, dn string, mods []Mod, controls []Control) error {
	n.n.modifies.Add(1)
	return n.c.Modify(ctx, dn, mods, controls)
}

// Server is the wrapped connection's server.
func (n *Counter) Server() string { return n.c.Server() }

// Close closes the wrapped connection.
func (n *Counter) Close() error { return n.c.Close() }

// Searches is the number of Search calls so far.
func (n *Counter) Searches() int { return int(n.n.searches.Load()) }

// Modifies is the number of Modify calls so far.
func (n *Counter) Modifies() int { return int(n.n.modifies.Load()) }

// Ops is Searches() + Modifies().
func (n *Counter) Ops() int { return n.Searches() + n.Modifies() }

// Reset sets the counts to zero.
func (n *Counter) Reset() {
	n.n.searches.Store(0)
	n.n.modifies.Store(0)
	n.n.dials.Store(0)
}
