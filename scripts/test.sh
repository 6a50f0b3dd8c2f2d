#!/usr/bin/env bash
# The test command (README, CI): everything, on a fresh Debian 12 with Go.
#   bash scripts/test.sh
# Set FUZZTIME (default 10s) to fuzz each target longer.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }
fuzztime=${FUZZTIME:-10s}

step "go vet (linux, windows/amd64, windows/arm64)"
go vet ./...
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go vet ./...
GOOS=windows GOARCH=arm64 CGO_ENABLED=0 go vet ./...

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi

step "cross-build windows/amd64 and windows/arm64 (CGO_ENABLED=0)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for arch in amd64 arm64; do
	GOOS=windows GOARCH=$arch CGO_ENABLED=0 go build -trimpath -o "$out/entra8344-$arch.exe" .
	ls -l "$out/entra8344-$arch.exe"
done

step "fuzz smoke ($fuzztime per target)"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "-- $pkg $target"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" | tail -n 1
	done
done

step "Windows build under Wine"
bash scripts/wine-test.sh

step "go test ./... (unit, golden scenarios, schema)"
go test -count=1 ./...
