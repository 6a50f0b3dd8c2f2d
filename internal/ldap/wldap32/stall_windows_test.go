package wldap32

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"entra8344/internal/ldap"
)

// stallServer accepts LDAP connections and never answers; accepted reports
// each connection, closed when the client side ends it.
func stallServer(t *testing.T) (port uint32, accepted chan net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted = make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			accepted <- c
		}
	}()
	return uint32(l.Addr().(*net.TCPAddr).Port), accepted
}

// TestDialStalledServerHonoursDeadline: a server that accepts the
// connection and never answers the bind holds Dial no longer than the
// dialer's timeout or the context's deadline, whichever comes first, and
// the error says the bind got no answer.
func TestDialStalledServerHonoursDeadline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		timeout  time.Duration // Dialer.Timeout
		deadline time.Duration // context
		cancel   time.Duration // cancel the context after this (0: never)
		want     time.Duration // the bound that applies
	}{
		{"dialer timeout", 2 * time.Second, time.Minute, 0, 2 * time.Second},
		{"context deadline", time.Minute, 2 * time.Second, 0, 2 * time.Second},
		{"context cancelled", time.Minute, time.Minute, 1500 * time.Millisecond, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port, accepted := stallServer(t)
			ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
			defer cancel()
			if tc.cancel > 0 {
				time.AfterFunc(tc.cancel, cancel)
			}
			d := Dialer{Creds: &Credentials{User: "nobody", Domain: "STALL", Password: "x"}, Timeout: tc.timeout, port: port}
			start := time.Now()
			c, err := d.Dial(ctx, "127.0.0.1")
			took := time.Since(start)
			if err == nil {
				c.Close()
				t.Fatal("Dial to a server that never answers succeeded")
			}
			var le *ldap.Error
			if !errors.As(err, &le) || le.Op != "bind" || le.Code != codeTimeout || !strings.Contains(le.Message, "no answer to the bind") {
				t.Errorf("error %v (%T), want an ldap bind timeout", err, err)
			}
			if took < tc.want-100*time.Millisecond || took > tc.want+2*time.Second {
				t.Errorf("Dial returned after %v, want about %v", took, tc.want)
			}
			var conn net.Conn
			select {
			case conn = <-accepted:
			default:
				t.Fatalf("the stalled server saw no connection: the failure came before the bind (%v)", err)
			}
			// The abandoned bind's socket is shut down in the background, so
			// the session does not linger (the server sees it end).
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, rerr := io.Copy(io.Discard, conn)
			if rerr != nil {
				t.Errorf("the abandoned bind's connection is still open after 5 s: %v", rerr)
			}
			t.Logf("Dial returned after %v: %v", took.Round(time.Millisecond), err)
		})
	}
}
