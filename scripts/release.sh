#!/usr/bin/env bash
# Reproducible release build of entra8344.
#
#   bash scripts/release.sh [OUT]        build, SBOMs, checks, sign if a PFX is given; OUT defaults to dist/
#   bash scripts/release.sh --ci [OUT]   what CI runs: build twice and compare the bytes, sign with a
#                                        throw-away self-signed certificate, verify the signature, read
#                                        the version resource back and compare it with `version`
#
# Per target (windows/amd64, windows/arm64, linux/amd64) OUT receives
#   entra8344-<version>-<os>-<arch>[.exe] and its CycloneDX 1.5 SBOM <file>.cdx.json,
# plus SHA256SUMS.unsigned (every file as built, before signing: what anyone can reproduce)
# and SHA256SUMS (the files as shipped, signed exes included).
#
# Reproducible: the build runs in a staging copy of the tree (the working tree never holds a
# .syso) with -trimpath, -buildvcs=false, an empty build id, CGO_ENABLED=0, fixed GOAMD64/GOARM64,
# the version, commit and date through -ldflags -X entra8344/internal/cli.version/commit/built, the date from
# SOURCE_DATE_EPOCH (default: the commit's date), go-winres pinned at v0.3.3.
#
# Environment:
#   ENTRA8344_VERSION             release version (default: the tag vX.Y.Z on HEAD without the v,
#                                 else 0.0.0-dev.<commit>); Windows' numeric file version is X.Y.Z.0
#   SOURCE_DATE_EPOCH             build date in Unix seconds (default: the commit date)
#   ENTRA8344_ALLOW_DIRTY=1       build although the tree has uncommitted changes (commit gets -dirty)
#   ENTRA8344_SIGN_PFX            the MSP's code-signing certificate and key (PKCS#12); unset: no signing
#   ENTRA8344_SIGN_PASSWORD       its password: handed to osslsigncode through a pipe, never as an argument
#   ENTRA8344_SIGN_TIMESTAMP_URL  RFC 3161 time-stamping server (recommended: without it the signature
#                                 is only valid while the certificate is)
#   ENTRA8344_SIGN_URL            URL shown in the signature's details (optional)
#   ENTRA8344_SIGN_CAFILE         CA bundle for `osslsigncode verify` (default: the system's)
#   ENTRA8344_RELEASE_SIGN_AFTER  --ci: wait (up to 30 min) until this file exists before signing (scripts/test.sh:
#                                 its apt stage, which installs osslsigncode, ends while the builds run)
#   ENTRA8344_RELEASE_COLD=1      --ci: make the second build with an empty Go build cache (every package,
#                                 the standard library included, compiled again) instead of sharing it
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log() { printf '[release] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ci=
if [ "${1:-}" = "--ci" ]; then ci=1; shift; fi
out=${1:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)

command -v git >/dev/null || die "git is needed (version, commit and date come from it)"
commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
	[ -n "$ci" ] || [ "${ENTRA8344_ALLOW_DIRTY:-}" = 1 ] || die "the tree has uncommitted changes; commit them or set ENTRA8344_ALLOW_DIRTY=1"
	commit=$commit-dirty
fi
version=${ENTRA8344_VERSION:-}
if [ -z "$version" ]; then
	if tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null); then
		version=${tag#v}
	else
		version=0.0.0-dev.$(git rev-parse --short=12 HEAD)
	fi
fi
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}
built=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
export SOURCE_DATE_EPOCH=$epoch

work=$(mktemp -d "${TMPDIR:-/tmp}/entra8344-release.XXXXXX")
trap 'rm -rf "$work"' EXIT
tools=$work/tools
mkdir -p "$tools"
t0=$SECONDS
GOBIN=$tools CGO_ENABLED=0 go install -buildvcs=false github.com/tc-hib/go-winres@v0.3.3
go build -buildvcs=false -o "$tools/relinfo" ./internal/release/cmd/relinfo
"$tools/relinfo" file-version "$version" >/dev/null || die "ENTRA8344_VERSION=$version is not MAJOR.MINOR.PATCH[.REV][-pre][+build]"
log "version $version, commit $commit, built $built (tools in $((SECONDS - t0)) s)"

# build DIR: one complete, unsigned build of the staged tree into DIR.
build() {
	local dest=$1 stage
	stage=$(mktemp -d "$work/stage.XXXXXX")
	# Tracked and untracked-but-not-ignored files that exist: what `go build` in the tree would see.
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$stage"
	"$tools/relinfo" winres -template winres/winres.json -version "$version" -commit "$commit" -built "$built" \
		-out "$stage/winres/winres.json"
	(cd "$stage" && "$tools/go-winres" make --in winres/winres.json --arch amd64,arm64 --out rsrc)
	touch -d "@$epoch" "$stage"/rsrc_windows_*.syso
	local pkg=entra8344/internal/cli # where version, commit and built live
	local ldflags="-s -w -buildid= -X $pkg.version=$version -X $pkg.commit=$commit -X $pkg.built=$built"
	local target goos goarch name
	for target in windows/amd64 windows/arm64 linux/amd64; do
		goos=${target%/*} goarch=${target#*/}
		name=entra8344-$version-$goos-$goarch
		[ "$goos" = windows ] && name=$name.exe
		CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOAMD64=v1 GOARM64=v8.0 GOFLAGS= \
			go build -C "$stage" -trimpath -buildvcs=false -ldflags "$ldflags" -o "$dest/$name" .
		"$tools/relinfo" sbom -exe "$dest/$name" -version "$version" -commit "$commit" -built "$built" -out "$dest/$name.cdx.json"
		if [ "$goos" = windows ]; then
			"$tools/relinfo" check -exe "$dest/$name" -version "$version" -commit "$commit" -built "$built" >/dev/null
		fi
		# The test hooks exist only in -tags entra8344_testhooks builds.
		if grep -aq 'ENTRA8344_LDAP_\(SERVER\|USER\|DOMAIN\|PASSWORD\|TEST_STATE_UNCHECKED\)' "$dest/$name"; then
			die "$name contains the test hooks (ENTRA8344_LDAP_*): it was built with -tags entra8344_testhooks"
		fi
	done
	(cd "$dest" && sha256sum -- entra8344-* | LC_ALL=C sort -k2 >SHA256SUMS.unsigned)
	rm -rf "$stage"
}

# sign DIR: Authenticode-sign the exes in place with ENTRA8344_SIGN_PFX, then verify.
sign() {
	local dir=$1 exe
	[ -r "$ENTRA8344_SIGN_PFX" ] || die "ENTRA8344_SIGN_PFX=$ENTRA8344_SIGN_PFX is not readable"
	command -v osslsigncode >/dev/null || die "osslsigncode is needed to sign (apt-get install osslsigncode)"
	for exe in "$dir"/entra8344-*.exe; do
		local args=(sign -pkcs12 "$ENTRA8344_SIGN_PFX" -readpass /dev/stdin -h sha256 -n entra8344)
		[ -n "${ENTRA8344_SIGN_URL:-}" ] && args+=(-i "$ENTRA8344_SIGN_URL")
		[ -n "${ENTRA8344_SIGN_TIMESTAMP_URL:-}" ] && args+=(-ts "$ENTRA8344_SIGN_TIMESTAMP_URL")
		printf '%s' "${ENTRA8344_SIGN_PASSWORD:-}" |
			osslsigncode "${args[@]}" -in "$exe" -out "$exe.signed" >"$work/sign.log" 2>&1 ||
			{ cat "$work/sign.log" >&2; die "signing $(basename "$exe") failed"; }
		mv "$exe.signed" "$exe"
		local vargs=(verify -in "$exe")
		[ -n "${ENTRA8344_SIGN_CAFILE:-}" ] && vargs+=(-CAfile "$ENTRA8344_SIGN_CAFILE")
		osslsigncode "${vargs[@]}" >"$work/verify.log" 2>&1 ||
			{ cat "$work/verify.log" >&2; die "osslsigncode verify $(basename "$exe") failed"; }
		grep -q '^Signature verification: ok' "$work/verify.log" || { cat "$work/verify.log" >&2; die "no 'Signature verification: ok' for $(basename "$exe")"; }
		log "signed and verified $(basename "$exe")"
	done
}

t=$SECONDS
build "$out"
log "built $(ls "$out" | grep -c -v SHA256SUMS) files in $((SECONDS - t)) s"

if [ -n "$ci" ]; then
	t=$SECONDS
	mkdir -p "$work/again"
	if [ "${ENTRA8344_RELEASE_COLD:-}" = 1 ]; then
		# Everything compiled again, the standard library included (minutes on 2 cores).
		GOCACHE=$work/gocache build "$work/again"
		chmod -R u+w "$work/gocache"
	else
		build "$work/again"
	fi
	if ! cmp -s "$out/SHA256SUMS.unsigned" "$work/again/SHA256SUMS.unsigned"; then
		diff "$out/SHA256SUMS.unsigned" "$work/again/SHA256SUMS.unsigned" >&2 || true
		die "two builds of the same tree differ"
	fi
	log "second build in another staging directory: byte-identical ($((SECONDS - t)) s)"

	# The version resource against what the build's own `version` command prints.
	"$out/entra8344-$version-linux-amd64" version >"$work/version.json"
	for exe in "$out"/entra8344-*.exe; do
		"$tools/relinfo" check -exe "$exe" -version-json "$work/version.json" >/dev/null
	done
	log "version resource of both exes = \`version\`: $(tr -d '\n ' <"$work/version.json")"

	if [ -n "${ENTRA8344_RELEASE_SIGN_AFTER:-}" ] && [ ! -e "$ENTRA8344_RELEASE_SIGN_AFTER" ]; then
		t=$SECONDS
		log "waiting for $ENTRA8344_RELEASE_SIGN_AFTER before signing"
		until [ -e "$ENTRA8344_RELEASE_SIGN_AFTER" ]; do
			[ $((SECONDS - t)) -lt 1800 ] || die "$ENTRA8344_RELEASE_SIGN_AFTER did not appear within 30 min"
			sleep 1
		done
		log "waited $((SECONDS - t)) s"
	fi

	# A throw-away code-signing certificate: self-signed, two days, key never leaves $work.
	openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 2 -subj "/CN=entra8344 CI throw-away code signing" \
		-addext "extendedKeyUsage=codeSigning" -addext "keyUsage=critical,digitalSignature" \
		-keyout "$work/ci.key" -out "$work/ci.pem" 2>/dev/null
	ENTRA8344_SIGN_PASSWORD=$(openssl rand -hex 16)
	export ENTRA8344_SIGN_PASSWORD
	openssl pkcs12 -export -inkey "$work/ci.key" -in "$work/ci.pem" -out "$work/ci.pfx" -passout env:ENTRA8344_SIGN_PASSWORD
	ENTRA8344_SIGN_PFX=$work/ci.pfx ENTRA8344_SIGN_CAFILE=$work/ci.pem ENTRA8344_SIGN_TIMESTAMP_URL= sign "$out"
	# Signing appends the signature; the resources must still read back.
	for exe in "$out"/entra8344-*.exe; do
		"$tools/relinfo" check -exe "$exe" -version-json "$work/version.json" >/dev/null
	done
elif [ -n "${ENTRA8344_SIGN_PFX:-}" ]; then
	sign "$out"
else
	log "ENTRA8344_SIGN_PFX is not set: the exes are NOT signed"
fi

(cd "$out" && sha256sum -- entra8344-* | LC_ALL=C sort -k2 >SHA256SUMS)
log "done in $((SECONDS - t0)) s: $out"
cat "$out/SHA256SUMS" >&2
