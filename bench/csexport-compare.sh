#!/usr/bin/env bash
# csexport-compare.sh: time adsync.ParseExportErrors against lxml and xmllint
# on one generated csexport /f:e file ("Target: not slower than lxml").
#
# Usage: bench/csexport-compare.sh [SIZE_MB] [RUNS]
#   SIZE_MB  file size to generate (default 1024; scaled down if the disk
#            holding the work directory has too little room)
#   RUNS     rounds; every tool runs once per round, interleaved, so that
#            background load hits all of them alike (default 3)
# Environment: CSEXPORT_BENCH_DIR  work directory (default: a new /tmp dir)
#              KEEP=1              keep the generated file
#
# Each tool runs under /usr/bin/time -v for wall time and peak RSS. The Go
# command and the lxml script print the number of objects and export errors
# and a SHA-256 digest over the same extracted fields; the script fails if
# they disagree. Ratios are speed ratios: MB/s of Go divided by MB/s of the
# other tool (above 1: Go is faster).
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
RUNS=${2:-3}
PY=/usr/bin/python3 # Debian's python3 (has python3-lxml), not a pyenv shim

# --- tools ---------------------------------------------------------------
need=()
[ -x /usr/bin/time ] || need+=(time)
[ -x "$PY" ] && "$PY" -c 'import lxml.etree' 2>/dev/null || need+=(python3-lxml)
command -v xmllint >/dev/null || need+=(libxml2-utils)
if ((${#need[@]})); then
	echo "installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq "${need[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
fi

WORK=${CSEXPORT_BENCH_DIR:-$(mktemp -d /tmp/csexport-bench.XXXXXX)}
mkdir -p "$WORK"
FILE=$WORK/csexport.xml
cleanup() { [ "${KEEP:-}" = 1 ] || rm -f "$FILE"; }
trap cleanup EXIT

# --- disk: keep 1 GiB free after writing the file --------------------------
avail=$(df -BM --output=avail "$WORK" | tail -1 | tr -dc 0-9)
if ((SIZE_MB + 1024 > avail)); then
	new=$(((avail - 1024) * 9 / 10))
	((new >= 16)) || { echo "not enough disk in $WORK (${avail} MB free)" >&2; exit 1; }
	echo "only ${avail} MB free in $WORK: scaling ${SIZE_MB} MB down to ${new} MB"
	SIZE_MB=$new
fi

go build -o "$WORK/csexport-parse" ./bench/csexport-parse
go build -o "$WORK/csexport-gen" ./bench/csexport-gen
echo "generating ${SIZE_MB} MB into $FILE"
"$WORK/csexport-gen" "$FILE" "$SIZE_MB" >"$WORK/gen.out"
cat "$FILE" >/dev/null # warm the page cache: measure parsing, not the disk
BYTES=$(stat -c %s "$FILE")

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(go version | cut -d' ' -f3)," \
	"lxml $("$PY" -c 'import lxml.etree as e; print(e.__version__)'), $(xmllint --version 2>&1 | head -1 | sed 's/.*using //')"
echo "file: $BYTES bytes, $(cat "$WORK/gen.out"); rounds: $RUNS; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- tools under test: name|command --------------------------------------
tools=(
	"go|$WORK/csexport-parse $FILE"
	"go GOGC=400|env GOGC=400 $WORK/csexport-parse $FILE"
	"go 1 CPU|env GOMAXPROCS=1 $WORK/csexport-parse $FILE"
	"lxml iterparse|$PY bench/lxml_iterparse.py $FILE"
	"xmllint --stream|xmllint --stream --noout $FILE"
	"xmllint pattern|sh -c 'xmllint --stream --noout --pattern /cs-objects/cs-object/export-errordetail $FILE | grep -c matches'"
)

RESULTS=$WORK/results.tsv
: >"$RESULTS"
for ((run = 1; run <= RUNS; run++)); do
	for t in "${tools[@]}"; do
		name=${t%%|*}
		cmd=${t#*|}
		tf=$WORK/time.out
		if ! eval "/usr/bin/time -v -o $tf $cmd" >"$WORK/stdout" 2>"$WORK/stderr"; then
			echo "FAILED: $name" >&2
			cat "$WORK/stderr" >&2
			exit 1
		fi
		wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tf" |
			awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tf")
		out=$(tr '\n' ' ' <"$WORK/stdout")
		printf '%s\t%s\t%s\t%s\n' "$name" "$wall" "$rss" "$out" >>"$RESULTS"
		echo "round $run  $(printf '%-17s' "$name") ${wall}s  $((rss / 1024)) MB  $out"
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- table and agreement check ---------------------------------------------
"$PY" - "$RESULTS" "$BYTES" <<'EOF'
import re, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
mb = int(sys.argv[2]) / 2**20
tools, by = [], {}
for name, wall, rss, out in rows:
    if name not in by:
        tools.append(name)
        by[name] = {"walls": [], "rss": [], "outs": []}
    by[name]["walls"].append(float(wall))
    by[name]["rss"].append(int(rss))
    by[name]["outs"].append(out.strip())

def speed(n):  # MB/s from the best (least disturbed) run
    return mb / min(by[n]["walls"])

print()
print("%-17s %9s %9s %10s %12s %10s %13s" % ("tool", "best s", "median s", "MB/s", "peak RSS MB", "Go/lxml", "Go/xmllint"))
for n in tools:
    w = by[n]["walls"]
    go = n.startswith("go")
    r1 = "%.2f" % (speed(n) / speed("lxml iterparse")) if go else ""
    r2 = "%.2f" % (speed(n) / speed("xmllint --stream")) if go else ""
    print("%-17s %9.2f %9.2f %10.1f %12.1f %10s %13s" % (n, min(w), statistics.median(w), speed(n), max(by[n]["rss"]) / 1024, r1, r2))
print("(ratios: MB/s of the Go row / MB/s of lxml iterparse or xmllint --stream, best runs)")

def fields(out):
    return dict(kv.split("=", 1) for kv in out.split() if "=" in kv)
ok = True
ref = fields(by["lxml iterparse"]["outs"][0])
for n in tools:
    if not (n.startswith("go") or n.startswith("lxml")):
        continue
    for out in by[n]["outs"]:
        f = fields(out)
        for k in ("objects", "errors", "digest"):
            if f.get(k) != ref.get(k):
                ok = False
                print("MISMATCH %s %s: %s vs lxml %s" % (n, k, f.get(k), ref.get(k)))
for out in by["xmllint pattern"]["outs"]:
    if out.split()[-1] != ref["errors"]:
        ok = False
        print("MISMATCH xmllint pattern count %s vs lxml errors %s" % (out, ref["errors"]))
print("agreement: %s (objects=%s errors=%s digest=%s)" % ("OK" if ok else "FAILED", ref["objects"], ref["errors"], ref["digest"][:16]))
sys.exit(0 if ok else 1)
EOF
