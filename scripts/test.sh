#!/usr/bin/env bash
# The test command (README, CI): everything, on a fresh Debian 12 with Go.
#   bash scripts/test.sh
# Set FUZZTIME (default 5s) to fuzz each target longer.
#
# Stages overlap where they are independent (scripts/stages.sh: start_stage
# runs one in the background, run_stage in the foreground; the table of each
# stage's start and wall time is printed at the end, also on failure):
#
#   apt (one transaction, every missing package) ─┬─ samba up ─┬─ wine ─ go test (DC) ─ sambatest
#                                                 ├─ wineboot ─┘
#                                                 └─ lint
#   release (builds twice; signs once apt is done) ─ go test (no DC)
#   vet, gofmt
#   fuzz smoke (niced: it takes the CPU the others leave)
#
# The Samba DC is shared by wine, go test (DC) and sambatest, which therefore
# run one after another; everything else never touches it.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}
out=$(mktemp -d)
. scripts/stages.sh

# The Samba AD DC (scripts/samba-dc.sh) is stopped on exit unless it was
# already running before this script (a developer's DC is left alone).
samba_keep=
if bash scripts/samba-dc.sh env >/dev/null 2>&1; then samba_keep=1; fi
cleanup() {
	local rc=$?
	in_main_shell || exit "$rc"
	set +e
	stop_stages
	# A prefix of wine_prefix that wine-test.sh did not get to clean up.
	if [ -f "$out/wineprefix/system.reg" ]; then
		WINEPREFIX=$out/wineprefix wineserver -k >/dev/null 2>&1
		rm -rf /tmp/wine-*/"server-$(stat -c '%d %i' "$out/wineprefix" | awk '{ printf "%x-%x", $1, $2 }')"
	fi
	if [ -z "$samba_keep" ]; then bash scripts/samba-dc.sh down; fi
	print_stage_times "$rc"
	rm -rf "$out"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# apt_all installs every Debian package any stage needs in one apt
# transaction, or nothing when all are there. samba-dc.sh and wine-test.sh
# keep their own fallbacks for standalone use; they find everything
# installed here. node/npm and wine are checked as commands: NodeSource's
# nodejs ships npm without Debian's npm package.
apt_all() {
	local missing=() p sudo=()
	for p in $(bash scripts/samba-dc.sh packages) osslsigncode ca-certificates; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	command -v wine >/dev/null && command -v wineserver >/dev/null && command -v wineboot >/dev/null || missing+=(wine wine64)
	command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
	command -v chromium >/dev/null || missing+=(chromium)
	if [ ${#missing[@]} -eq 0 ]; then
		echo "every package is installed"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "packages missing (${missing[*]}) and this is not root: run as root or install them"; return 1; }
		sudo=(sudo)
	fi
	echo "installing ${missing[*]}"
	local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}")
	# apt-get update only when the lists are missing or too old to install from.
	if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || ! "${apt[@]}" >"$out/apt-get.log" 2>&1; then
		"${sudo[@]}" apt-get update -qq
		"${apt[@]}" >"$out/apt-get.log" 2>&1 || { tail -n 30 "$out/apt-get.log"; return 1; }
	fi
	echo "installed"
}

# wine_prefix makes the Wine prefix as scripts/wine-test.sh would (same
# WINEDEBUG and DLL overrides) while the release builds; wine-test.sh then
# reuses it (ENTRA8344_WINEPREFIX) instead of running wineboot itself.
wine_prefix() {
	await_stage apt
	mkdir -p "$out/wineprefix"
	WINEPREFIX=$out/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i </dev/null >/dev/null 2>&1
	WINEPREFIX=$out/wineprefix wineserver -w
	[ -f "$out/wineprefix/system.reg" ] || { echo "wineboot made no prefix in $out/wineprefix"; return 1; }
	echo "prefix ready"
}

samba_up() {
	await_stage apt
	bash scripts/samba-dc.sh up >"$out/samba.env"
}

# Every .ps1 (rmm-templates, the embedded collector, doctor) parsed with
# tree-sitter-powershell (WASM, Debian's nodejs); ERROR or MISSING nodes fail.
lint() {
	await_stage apt
	(cd rmm-templates/lint && npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
	node rmm-templates/lint/lint.cjs
}

vet() {
	go vet ./...
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go vet ./...
	GOOS=windows GOARCH=arm64 CGO_ENABLED=0 go vet ./...
	local unformatted
	unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
	if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; return 1; fi
}

# fuzz_target runs one target. A failing input is saved under
# testdata/fuzz/<target> and fails the run. A failure that saved no input
# (a worker that did not answer in time while the two cores are busy with
# the other stages) is shown and retried once. Fuzzing runs niced: it fills
# the CPU the other stages leave idle for its fixed time per target instead
# of slowing the stages the run waits for; the execs line shows what it got.
saved_inputs() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
fuzz_target() {
	local pkg=$1 dir=$2 target=$3 log=$out/fuzz-target.log
	local before
	before=$(saved_inputs "$dir/testdata/fuzz/$target")
	if nice -n 10 go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
		grep '^fuzz: elapsed' "$log" | tail -n 1
		tail -n 1 "$log"
		return
	fi
	grep -v '^fuzz: elapsed' "$log"
	if [ "$(saved_inputs "$dir/testdata/fuzz/$target")" != "$before" ]; then
		echo "$target found a failing input (saved under $dir/testdata/fuzz/$target)"
		return 1
	fi
	echo "$target failed without a failing input; retrying once"
	nice -n 10 go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | grep -v '^fuzz: elapsed'
	return "${PIPESTATUS[0]}"
}
fuzz_all() {
	local pkg dir target n=0
	for pkg in $(go list ./...); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
			echo "-- $pkg $target"
			fuzz_target "$pkg" "$dir" "$target"
			n=$((n + 1))
		done
	done
	echo "$n fuzz targets, $fuzztime each"
}

# The packages that use the Samba DC (goldap: reads and rewrites
# AdminSDHolder; sambatest) are left to the DC stages below; this stage
# runs without SAMBA_DC_* (it starts before the DC is up), so nothing in it
# can reach the DC.
dc_packages='/internal/ldap/goldap$|/internal/cli/sambatest$'
go_test_no_dc() {
	# The summarize HTML test renders the report in Debian's headless
	# Chromium (from the apt stage) and must not skip here.
	await_stage apt
	chromium --version 2>/dev/null
	ENTRA8344_REQUIRE_CHROMIUM=1 go test -count=1 $(go list ./... | grep -Ev "$dc_packages")
}

sambatest() {
	go test -count=1 -v ./internal/cli/sambatest/ >"$out/sambatest.log" 2>&1 || { cat "$out/sambatest.log"; return 1; }
	grep -E '^(--- |ok)|agree|LDAP operations|granted on Samba' "$out/sambatest.log"
}

# The release as scripts/release.sh makes it: built twice in separate staging
# copies (byte-identical before signing), SBOMs, the version resource read
# back from both exes and compared with the build's `version`, signed with a
# throw-away self-signed certificate (once apt has installed osslsigncode),
# `osslsigncode verify`. Its signed windows/amd64 exe is the one tested under
# Wine, and its windows/amd64 and windows/arm64 builds are the cross-builds.
release() {
	ENTRA8344_RELEASE_SIGN_AFTER=$out/apt.rc bash scripts/release.sh --ci "$out/release"
}

start_stage apt "one apt transaction: every missing Debian package" apt_all
start_stage vet "go vet (linux, windows/amd64, windows/arm64), gofmt" vet
start_stage fuzz "fuzz smoke, every target, $fuzztime each (niced)" fuzz_all
start_stage samba "Samba AD DC on loopback (scripts/samba-dc.sh up)" samba_up
start_stage wineprefix "a fresh Wine prefix (wineboot) for the wine stage" wine_prefix
start_stage lint "PowerShell syntax (tree-sitter-powershell, rmm-templates/lint)" lint
run_stage release "reproducible build twice, SBOM, version resource, Authenticode (scripts/release.sh --ci)" release
finish_stage apt
start_stage gotest "go test ./... but the DC packages (unit, golden scenarios, schema, Chromium)" go_test_no_dc

finish_stage samba
set -a
. "$out/samba.env"
set +a
echo "SAMBA_DC_LDAP_URL=$SAMBA_DC_LDAP_URL (pid $SAMBA_DC_PID)"
release_exe=$(ls "$out"/release/entra8344-*-windows-amd64.exe)
finish_stage wineprefix
ENTRA8344_WINEPREFIX=$out/wineprefix ENTRA8344_RELEASE_EXE=$release_exe run_stage wine "the Windows build under Wine (scripts/wine-test.sh)" bash scripts/wine-test.sh
run_stage gotest-dc "go test of the LDAP transport against Samba (internal/ldap/goldap)" \
	go test -count=1 ./internal/ldap/goldap/
# Alone, after the rest: it adds 1,000 users and 500 Domain Admins members,
# which would change what other packages' searches of the same DC return.
run_stage sambatest "access evaluation vs. Samba's enforcement, 1,000-object read" sambatest

finish_stage vet
finish_stage gotest
finish_stage lint
finish_stage fuzz
