#!/usr/bin/env bash
# The test command (README, CI): everything, on a fresh Debian 12 with Go.
#   bash scripts/test.sh
# Set FUZZTIME (default 10s) to fuzz each target longer.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }
fuzztime=${FUZZTIME:-10s}

# The Samba AD DC for the LDAP tests (scripts/samba-dc.sh): started now in
# the background (apt + provisioning take 5-15 s) while vet and the builds
# run, waited for before the Wine step, stopped on exit unless it was
# already running before this script (a developer's DC is left alone).
out=$(mktemp -d)
samba_keep=
if bash scripts/samba-dc.sh env >/dev/null 2>&1; then samba_keep=1; fi
cleanup() {
	local rc=$?
	set +e
	if [ -z "$samba_keep" ]; then bash scripts/samba-dc.sh down; fi
	rm -rf "$out"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bash scripts/samba-dc.sh up >"$out/samba.env" 2>"$out/samba.log" &
samba_pid=$!

step "go vet (linux, windows/amd64, windows/arm64)"
go vet ./...
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go vet ./...
GOOS=windows GOARCH=arm64 CGO_ENABLED=0 go vet ./...

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi

# Every .ps1 (rmm-templates, the embedded collector, doctor) parsed with
# tree-sitter-powershell (WASM, Debian's nodejs); ERROR or MISSING nodes fail.
step "PowerShell syntax (tree-sitter-powershell, rmm-templates/lint)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt-get install -y -qq -o DPkg::Lock::Timeout=300 nodejs npm >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 nodejs npm >/dev/null; }
fi
(cd rmm-templates/lint && npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
node rmm-templates/lint/lint.cjs

step "cross-build windows/amd64 and windows/arm64 (CGO_ENABLED=0)"
for arch in amd64 arm64; do
	GOOS=windows GOARCH=$arch CGO_ENABLED=0 go build -trimpath -o "$out/entra8344-$arch.exe" .
	ls -l "$out/entra8344-$arch.exe"
done

# The release as scripts/release.sh makes it: built twice in separate staging
# copies (byte-identical before signing), SBOMs, the version resource read
# back from both exes and compared with the build's `version`, signed with a
# throw-away self-signed certificate, `osslsigncode verify`. The signed
# windows/amd64 exe is then the one tested under Wine.
step "release: reproducible build, SBOM, version resource, Authenticode (scripts/release.sh --ci)"
bash scripts/release.sh --ci "$out/release"
release_exe=$(ls "$out"/release/entra8344-*-windows-amd64.exe)

# fuzz_target runs one target. A failing input is saved under
# testdata/fuzz/<target> and fails the run. A failure that saved no input
# (a worker that did not answer in time while the Samba DC is being
# provisioned on the same two cores) is shown and retried once.
saved_inputs() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
fuzz_target() {
	local pkg=$1 dir=$2 target=$3 log=$out/fuzz.log
	local before
	before=$(saved_inputs "$dir/testdata/fuzz/$target")
	if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
		tail -n 1 "$log"
		return
	fi
	grep -v '^fuzz: elapsed' "$log"
	if [ "$(saved_inputs "$dir/testdata/fuzz/$target")" != "$before" ]; then
		echo "$target found a failing input (saved under $dir/testdata/fuzz/$target)"
		return 1
	fi
	echo "$target failed without a failing input; retrying once"
	go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | grep -v '^fuzz: elapsed'
	return "${PIPESTATUS[0]}"
}

step "fuzz smoke ($fuzztime per target)"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "-- $pkg $target"
		fuzz_target "$pkg" "$dir" "$target"
	done
done

step "Samba AD DC on loopback"
if ! wait "$samba_pid"; then
	cat "$out/samba.log"
	echo "scripts/samba-dc.sh up failed"
	exit 1
fi
cat "$out/samba.log"
set -a
. "$out/samba.env"
set +a
echo "SAMBA_DC_LDAP_URL=$SAMBA_DC_LDAP_URL (pid $SAMBA_DC_PID)"

step "Windows build under Wine"
ENTRA8344_RELEASE_EXE=$release_exe bash scripts/wine-test.sh

# After the other apt users (Samba, Wine): the summarize HTML test renders
# the report in Debian's headless Chromium and must not skip here.
step "Chromium for the fleet-view HTML test"
if ! command -v chromium >/dev/null; then
	apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium >/dev/null; }
fi
chromium --version 2>/dev/null
export ENTRA8344_REQUIRE_CHROMIUM=1

step "go test ./... (unit, golden scenarios, schema, LDAP transports against Samba)"
go test -count=1 $(go list ./... | grep -v /internal/cli/sambatest)

# Alone, after the rest: it adds 1,000 users and 500 Domain Admins members,
# which would change what other packages' searches of the same DC return.
step "Samba: access evaluation vs. Samba's enforcement, 1,000-object read"
go test -count=1 -v ./internal/cli/sambatest/ >"$out/sambatest.log" 2>&1 || { cat "$out/sambatest.log"; exit 1; }
grep -E '^(--- |ok)|agree|LDAP operations|granted on Samba' "$out/sambatest.log"
