package goldap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	gl "github.com/go-ldap/ldap/v3"

	"entra8344/internal/ldap"
)

func TestMapErr(t *testing.T) {
	tests := []struct {
		in   error
		code int
		msg  string
	}{
		{&gl.Error{ResultCode: 32, Err: errors.New("0000208D: NameErr: DSID-0310028B, problem 2001 (NO_OBJECT)")}, ldap.ResultNoSuchObject, "0000208D: NameErr: DSID-0310028B, problem 2001 (NO_OBJECT)"},
		{&gl.Error{ResultCode: 53, Err: errors.New("00002035: rootdse_modify: unknown attribute to change!")}, ldap.ResultUnwillingToPerform, "00002035: rootdse_modify: unknown attribute to change!"},
		{&gl.Error{ResultCode: 50, Err: errors.New("00002098: Object has no write dacl access")}, ldap.ResultInsufficientAccess, "no write dacl access"},
		{&gl.Error{ResultCode: gl.ErrorNetwork, Err: errors.New("ldap: connection closed")}, ldap.ResultServerDown, "connection closed"},
		{&gl.Error{ResultCode: gl.ErrorNetwork, Err: errors.New("ldap: connection timed out")}, ldap.ResultTimeout, "timed out"},
		{&gl.Error{ResultCode: gl.ErrorFilterCompile, Err: errors.New("bad filter")}, ldap.ResultFilterError, "bad filter"},
		{&gl.Error{ResultCode: gl.ErrorEmptyPassword, Err: errors.New("empty password")}, ldap.ResultInvalidCredentials, "empty password"},
		{&gl.Error{ResultCode: gl.ErrorUnexpectedResponse, Err: errors.New("x")}, ldap.ResultProtocolError, "x"},
		{fmt.Errorf("wrapped: %w", &gl.Error{ResultCode: 8, Err: errors.New("BindSimple: Transport encryption required.")}), ldap.ResultStrongAuthRequired, "Transport encryption required"},
		{context.DeadlineExceeded, ldap.ResultTimeout, "deadline exceeded"},
		{errors.New("dial tcp: refused"), ldap.ResultServerDown, "refused"},
	}
	for _, tt := range tests {
		err := mapErr("search", "CN=x", "dc1", tt.in)
		var le *ldap.Error
		if !errors.As(err, &le) || le.Code != tt.code || le.Op != "search" || le.DN != "CN=x" || le.Server != "dc1" || !contains(le.Message, tt.msg) {
			t.Errorf("mapErr(%v) = %#v, want code %d with %q", tt.in, err, tt.code, tt.msg)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestConvControls(t *testing.T) {
	cs, paged := convControls([]ldap.Control{ldap.SDFlagsControl(ldap.SDDACL), {OID: "1.2.840.113556.1.4.319"}})
	if len(cs) != 2 || !paged {
		t.Fatalf("convControls = %v, %v", cs, paged)
	}
	sd := cs[0].(*gl.ControlString)
	if sd.ControlType != ldap.OIDSDFlags || !sd.Criticality || sd.ControlValue != "\x30\x03\x02\x01\x04" {
		t.Errorf("SD flags control = %+v", sd)
	}
	if _, paged := convControls(nil); paged {
		t.Errorf("paged without controls")
	}
}

func TestDialErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Dial(ctx, "not a url", Options{}); !ldap.IsCode(err, ldap.ResultServerDown) {
		t.Errorf("bad URL: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(ctx, "ldap://"+addr, Options{Timeout: 2 * time.Second})
	var le *ldap.Error
	if !errors.As(err, &le) || le.Code != ldap.ResultServerDown || le.Op != "connect" || le.Server != "127.0.0.1" {
		t.Errorf("closed port: %#v", err)
	}
	if _, err := Dial(ctx, "ldaps://"+addr, Options{CAFile: "/nonexistent/ca.pem"}); err == nil || !contains(err.Error(), "CA file") {
		t.Errorf("missing CA file: %v", err)
	}
}

func TestDialerURL(t *testing.T) {
	// A listener that accepts and closes: enough to see which address was dialled.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	got := make(chan string, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			got <- c.LocalAddr().String()
			c.Close()
		}
	}()
	d := Dialer{URL: "ldap://192.0.2.1:" + port, Options: Options{Timeout: time.Second}}
	c, err := d.Dial(context.Background(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Server() != "127.0.0.1" {
		t.Errorf("Server() = %q", c.Server())
	}
	if a := <-got; a != "127.0.0.1:"+port {
		t.Errorf("dialled %s", a)
	}
}

func TestFromSambaEnv(t *testing.T) {
	t.Setenv("SAMBA_DC_LDAP_URL", "ldap://127.0.0.1:389")
	t.Setenv("SAMBA_DC_ADMIN_UPN", "")
	t.Setenv("SAMBA_DC_ADMIN_DN", "CN=Administrator,CN=Users,DC=test,DC=example")
	t.Setenv("SAMBA_DC_ADMIN_PASS", "pw")
	t.Setenv("SAMBA_DC_CA_CERT", "/tmp/ca.pem")
	u, o, ok := FromSambaEnv()
	if !ok || u != "ldap://127.0.0.1:389" || o.BindDN != "CN=Administrator,CN=Users,DC=test,DC=example" || o.Password != "pw" || o.CAFile != "/tmp/ca.pem" {
		t.Errorf("FromSambaEnv = %q %+v %v", u, o, ok)
	}
	t.Setenv("SAMBA_DC_LDAP_URL", "")
	if _, _, ok := FromSambaEnv(); ok {
		t.Errorf("ok without a URL")
	}
}
