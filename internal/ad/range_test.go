package ad

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"entra8344/internal/ldap"
)

// rangedConn answers "member;range=low-*" reads of one group the way a
// Windows DC does with MaxValRange = page.
type rangedConn struct {
	ldap.Conn
	total, size int
	reads       int
}

func (c *rangedConn) Search(_ context.Context, req *ldap.SearchRequest) ([]*ldap.Entry, error) {
	c.reads++
	var low int
	if _, err := fmt.Sscanf(req.Attributes[0], "member;range=%d-*", &low); err != nil {
		return nil, fmt.Errorf("unexpected request %q", req.Attributes)
	}
	return []*ldap.Entry{c.page(low)}, nil
}

func (c *rangedConn) page(low int) *ldap.Entry {
	high := low + c.size - 1
	end := fmt.Sprint(high)
	if high >= c.total-1 {
		high, end = c.total-1, "*"
	}
	var vals [][]byte
	for i := low; i <= high; i++ {
		vals = append(vals, []byte(fmt.Sprintf("CN=U%d,DC=x", i)))
	}
	return &ldap.Entry{DN: "CN=Big,DC=x", Attributes: []ldap.Attribute{{Name: fmt.Sprintf("member;range=%d-%s", low, end), Values: vals}}}
}

func TestRangedMembers(t *testing.T) {
	for _, tc := range []struct{ total, page, reads int }{
		{10, 1500, 0}, {1500, 1500, 0}, {1501, 1500, 1}, {4000, 1500, 2}, {12000, 5000, 2},
	} {
		t.Run(fmt.Sprintf("%d_by_%d", tc.total, tc.page), func(t *testing.T) {
			c := &rangedConn{total: tc.total, size: tc.page}
			first := c.page(0)
			if tc.total <= tc.page { // a small group comes back plain
				first.Attributes[0].Name = "member"
			}
			r := &reader{ctx: context.Background(), s: &Snapshot{}}
			got := r.members(c, first)
			if len(got) != tc.total || got[tc.total-1] != fmt.Sprintf("CN=U%d,DC=x", tc.total-1) {
				t.Errorf("%d members read, want %d", len(got), tc.total)
			}
			if c.reads != tc.reads {
				t.Errorf("%d extra reads, want %d", c.reads, tc.reads)
			}
			if len(r.s.Warnings) != 0 {
				t.Errorf("warnings %v", r.s.Warnings)
			}
		})
	}
}

func TestRangedMembersNoProgress(t *testing.T) {
	e := &ldap.Entry{DN: "CN=Big,DC=x", Attributes: []ldap.Attribute{{Name: "member;range=0-9", Values: [][]byte{[]byte("CN=A")}}}}
	stuck := &stuckConn{e: e}
	r := &reader{ctx: context.Background(), s: &Snapshot{}}
	if got := r.members(stuck, e); len(got) != 2 || stuck.reads != 1 {
		t.Errorf("members %v after %d reads: a server that does not advance must not loop", got, stuck.reads)
	}
	if !strings.HasPrefix(rangeName(e), "member;range=") {
		t.Fatal("fixture")
	}
}

type stuckConn struct {
	ldap.Conn
	e     *ldap.Entry
	reads int
}

func (c *stuckConn) Search(context.Context, *ldap.SearchRequest) ([]*ldap.Entry, error) {
	c.reads++
	return []*ldap.Entry{c.e}, nil
}

func rangeName(e *ldap.Entry) string { return e.Attributes[0].Name }
