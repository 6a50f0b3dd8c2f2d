// Package sambatest holds the real-directory tests of entra8344: they run
// internal/ntsd's offline access evaluation and internal/ad's batched reads
// against a throwaway Samba AD DC and compare with what the DC itself
// enforces and returns. It has no code of its own; everything is in
// *_test.go files.
//
// The tests run only when SAMBA_DC_LDAP_URL is set (the variables printed by
// scripts/samba-dc.sh up); otherwise they skip, so `go test ./...` passes
// without a DC. To run them in a private network namespace, so that port
// 389 stays free for everybody else:
//
//	unshare -n bash -c 'ip link set lo up
//	  export SAMBA_DC_DIR=/tmp/entra8344-samba-sambatest
//	  bash scripts/samba-dc.sh up > /tmp/sambatest.env && . /tmp/sambatest.env &&
//	  go test -count=1 -v ./internal/cli/sambatest/
//	  bash scripts/samba-dc.sh down'
//
// Every test works in its own OU (OU=entra8344-sambatest-<random>) and
// deletes it, with everything it created, when it ends; OUs of runs that
// died more than ten minutes ago are deleted first.
package sambatest
