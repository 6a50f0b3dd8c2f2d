package wldap32

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"entra8344/internal/ldap"
)

func TestSignSealCheck(t *testing.T) {
	if p, err := signSealCheck("dc1", 0, 0, false); err != nil || !p.SignSeal || p.Unverified != "" {
		t.Errorf("both accepted: %+v %v", p, err)
	}
	if p, err := signSealCheck("dc1", 92, 92, true); err != nil || p.SignSeal || !strings.Contains(p.Unverified, "not verified") {
		t.Errorf("92 under Wine must be tolerated and recorded: %+v %v", p, err)
	}
	for _, c := range []struct {
		sign, seal uint32
		wine       bool
		code       int
		opt        string
	}{
		{92, 92, false, 92, "LDAP_OPT_SIGN"}, // Windows: fatal
		{0, 92, false, 92, "LDAP_OPT_ENCRYPT"},
		{0x59, 0, true, 0x59, "LDAP_OPT_SIGN"}, // Wine, but not "not supported"
	} {
		_, err := signSealCheck("dc1", c.sign, c.seal, c.wine)
		var le *ldap.Error
		if !errors.As(err, &le) || le.Code != c.code || le.Server != "dc1" || !strings.Contains(le.Message, c.opt) {
			t.Errorf("signSealCheck(%d, %d, wine=%v) = %v, want code %d about %s", c.sign, c.seal, c.wine, err, c.code, c.opt)
		}
	}
}

func TestOpTimeout(t *testing.T) {
	now := time.Now()
	if d, err := opTimeout(context.Background(), 0, now); err != nil || d != DefaultTimeout {
		t.Errorf("default: %v %v", d, err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(3*time.Second))
	defer cancel()
	if d, err := opTimeout(ctx, time.Minute, now); err != nil || d != 3*time.Second {
		t.Errorf("deadline shortens: %v %v", d, err)
	}
	if d, err := opTimeout(ctx, time.Second, now); err != nil || d != time.Second {
		t.Errorf("dialer timeout within deadline: %v %v", d, err)
	}
	if _, err := opTimeout(ctx, time.Minute, now.Add(4*time.Second)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("past the deadline: %v", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := opTimeout(cctx, 0, now); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestTimeval(t *testing.T) {
	for _, c := range []struct {
		d     time.Duration
		whole bool
		want  lTimeval
	}{
		{1500 * time.Millisecond, true, lTimeval{Sec: 2}},
		{10 * time.Millisecond, true, lTimeval{Sec: 1}},
		{0, true, lTimeval{Sec: 1}},
		{250 * time.Millisecond, false, lTimeval{Usec: 250000}},
		{61*time.Second + 5*time.Microsecond, false, lTimeval{Sec: 61, Usec: 5}},
	} {
		if got := timeval(c.d, c.whole); got != c.want {
			t.Errorf("timeval(%v, %v) = %+v, want %+v", c.d, c.whole, got, c.want)
		}
	}
}

func TestNewError(t *testing.T) {
	e := newError("modify", "CN=x", "dc1", 53, "00002035: rootdse_modify: unknown attribute to change!\x00\n", "Unwilling To Perform")
	if e.Op != "modify" || e.DN != "CN=x" || e.Server != "dc1" || e.Code != 53 || e.Message != "00002035: rootdse_modify: unknown attribute to change!" {
		t.Errorf("server message: %+v", e)
	}
	if !ldap.IsCode(e, ldap.ResultUnwillingToPerform) {
		t.Error("IsCode")
	}
	if want := `ldap modify "CN=x" on dc1: result 53 (unwillingToPerform): 00002035: rootdse_modify: unknown attribute to change!`; e.Error() != want {
		t.Errorf("Error() = %q", e.Error())
	}
	if e := newError("search", "", "", 32, "", "No Such Object"); e.Message != "No Such Object" {
		t.Errorf("fallback to the client text: %+v", e)
	}
}

func TestCtxError(t *testing.T) {
	err := ctxError("search", "CN=x", "dc1", context.Canceled)
	if !errors.Is(err, context.Canceled) || err.Error() != `ldap search "CN=x" on dc1: context canceled` {
		t.Errorf("ctxError = %v", err)
	}
}
