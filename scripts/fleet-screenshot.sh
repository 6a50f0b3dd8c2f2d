#!/usr/bin/env bash
# fleet-screenshot.sh: render a generated fleet of 1,000 servers with
# `entra8344 summarize --format html` and screenshot the page in headless
# Chromium (Debian's chromium, installed if missing), to look at the report
# as an MSP would.
#
# Usage: scripts/fleet-screenshot.sh [OUT.png]
#   OUT.png  default /tmp/entra8344-fleet.png; the page is kept beside it
#            as OUT.html. Nothing is written into the work tree.
# Environment: SERVERS (default 1000), WIDTH x HEIGHT of the window
#              (default 1440 x 2400).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/entra8344-fleet.png}
page=${out%.png}.html
servers=${SERVERS:-1000}

if ! command -v chromium >/dev/null; then
	echo "installing chromium (apt)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq chromium >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/entra8344" .
go build -o "$work/summarize-gen" ./bench/summarize-gen
# fleetgen writes 10% older verdicts of servers already listed: 1.1 verdicts per server.
"$work/summarize-gen" -n $((servers * 11 / 10)) -o "$work/fleet.ndjson"
"$work/entra8344" summarize "$work/fleet.ndjson" --format html --title "Example MSP: Entra Connect fleet" --output "$page"
"$work/entra8344" summarize "$work/fleet.ndjson" --format json --limit 1 >"$work/summary.json"

chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$work/profile" --hide-scrollbars \
	--window-size="${WIDTH:-1440},${HEIGHT:-2400}" --screenshot="$out" "file://$page" 2>"$work/chromium.log" ||
	{ tail -n 20 "$work/chromium.log"; exit 1; }
echo "servers: $(sed -n 's/^    "hosts": \([0-9]*\),/\1/p' "$work/summary.json" | head -1)"
echo "page:       $page ($(stat -c %s "$page") bytes)"
echo "screenshot: $out ($(stat -c %s "$out") bytes)"
