#!/usr/bin/env bash
# summarize-compare.sh: time `entra8344 summarize` against a jq program that
# computes the same totals from the same NDJSON ("Target: at least 5x faster
# than jq"), and check that both agree.
#
# Usage: bench/summarize-compare.sh [VERDICTS] [RUNS]
#   VERDICTS  generated verdicts (default 100000, about 540 MB of NDJSON;
#             10% are older verdicts of servers already listed)
#   RUNS      rounds; every tool runs once per round, interleaved, so that
#             background load hits all of them alike (default 3)
# Environment: SUMMARIZE_BENCH_DIR  work directory (default: a new /tmp dir)
#              KEEP=1               keep the generated file
#
# The totals compared: servers (newest verdict per client + computer + DNS
# domain, names case-insensitive, the later input winning a tie), servers by
# status, servers by finding kind. jq computes them with
# bench/summarize-totals.jq; ours come from the JSON summary. Both run under
# /usr/bin/time for wall time and peak RSS. jq is single-threaded, so
# entra8344 also runs with GOMAXPROCS=1 for a like-for-like row.
set -euo pipefail

cd "$(dirname "$0")/.."
VERDICTS=${1:-100000}
RUNS=${2:-3}

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v jq >/dev/null || need+=(jq)
if ((${#need[@]})); then
	echo "installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq "${need[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
fi

WORK=${SUMMARIZE_BENCH_DIR:-$(mktemp -d /tmp/summarize-bench.XXXXXX)}
mkdir -p "$WORK"
FILE=$WORK/fleet.ndjson
cleanup() { [ "${KEEP:-}" = 1 ] || rm -f "$FILE"; }
trap cleanup EXIT

go build -o "$WORK/entra8344" .
go build -o "$WORK/summarize-gen" ./bench/summarize-gen
echo "generating $VERDICTS verdicts into $FILE"
"$WORK/summarize-gen" -n "$VERDICTS" -o "$FILE"
cat "$FILE" >/dev/null # warm the page cache: measure summarizing, not the disk
BYTES=$(stat -c %s "$FILE")
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(go version | cut -d' ' -f3), $(jq --version)"
echo "file: $BYTES bytes, $VERDICTS verdicts; rounds: $RUNS; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Our JSON summary, projected onto the totals jq computes (zero counts dropped).
PROJECT='{hosts: .totals.hosts,
  by_status: (.totals.by_status | map_values(.hosts) | with_entries(select(.value > 0))),
  by_finding_kind: (.totals.by_finding_kind | map_values(.hosts) | with_entries(select(.value > 0)))}'

tools=(
	"entra8344|$WORK/entra8344 summarize $FILE --format json --limit 1000"
	"entra8344 1 CPU|env GOMAXPROCS=1 $WORK/entra8344 summarize $FILE --format json --limit 1000"
	"jq|jq -n -c -f bench/summarize-totals.jq $FILE"
)

RESULTS=$WORK/results.tsv
: >"$RESULTS"
for ((run = 1; run <= RUNS; run++)); do
	for t in "${tools[@]}"; do
		name=${t%%|*}
		cmd=${t#*|}
		if ! /usr/bin/time -f '%e %M' -o "$WORK/time.out" $cmd >"$WORK/out.json" 2>"$WORK/stderr"; then
			echo "FAILED: $name" >&2
			cat "$WORK/stderr" >&2
			exit 1
		fi
		read -r wall rss <"$WORK/time.out"
		if [ "$name" = jq ]; then
			totals=$(jq -S -c . "$WORK/out.json")
		else
			totals=$(jq -S -c "$PROJECT" "$WORK/out.json")
		fi
		printf '%s\t%s\t%s\t%s\n' "$name" "$wall" "$rss" "$totals" >>"$RESULTS"
		printf 'round %d  %-16s %6.2fs %5d MB\n' "$run" "$name" "$wall" $((rss / 1024))
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- agreement -------------------------------------------------------------
ref=$(awk -F'\t' '$1 == "jq" { print $4; exit }' "$RESULTS")
if awk -F'\t' -v ref="$ref" '$4 != ref { bad = 1; print "MISMATCH " $1 ": " $4 } END { exit bad }' "$RESULTS"; then
	echo "agreement: OK $ref"
else
	echo "jq: $ref"
	echo "agreement: FAILED"
	exit 1
fi

# --- table: best (least disturbed) run of each tool ------------------------
echo
awk -F'\t' -v bytes="$BYTES" -v n="$VERDICTS" '
	{ if (!($1 in best) || $2 < best[$1]) best[$1] = $2; if ($3 > rss[$1]) rss[$1] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
	END {
		printf "%-16s %8s %12s %8s %12s %12s\n", "tool", "best s", "verdicts/s", "MB/s", "peak RSS MB", "jq s / tool s"
		for (i = 1; i <= k; i++) {
			t = order[i]; s = best[t] > 0 ? best[t] : 0.01
			printf "%-16s %8.2f %12.0f %8.1f %12.1f %12.1f\n", t, best[t], n / s, bytes / 1048576 / s, rss[t] / 1024, best["jq"] / s
		}
		ratio = best["jq"] / (best["entra8344"] > 0 ? best["entra8344"] : 0.01)
		printf "\nentra8344 is %.1fx faster than jq (target: at least 5x): %s\n", ratio, (ratio >= 5 ? "met" : "NOT met")
	}' "$RESULTS"
