#!/usr/bin/env bash
# Mutation testing of the decision packages (issue 19 §2), with gremlins
# (go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0).
#
#   scripts/mutation.sh [pkg ...]   full run per package (default: the decision
#                                   packages); prints killed/lived and efficacy
#   scripts/mutation.sh --diff [ref]  only the lines changed since the merge base
#                                   with ref (default origin/main, else main): CI
#   scripts/mutation.sh --audit     the audit's hand-made mutants (scripts/mutation_audit.py):
#                                   each must be killed by a named test
#
# Efficacy = killed / (killed + lived); target >= 95% per package, with each
# remaining survivor killed or listed as equivalent in docs/testing.md.
# A full run is long (tens of minutes per package on 2 cores): not for CI.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(./internal/ntsd ./internal/ad ./detect ./remediate ./internal/adsync ./summarize)
gremlins=${GREMLINS:-$(command -v gremlins || echo "$(go env GOPATH)/bin/gremlins")}
workers=${MUTATION_WORKERS:-1}

need_gremlins() {
	if [[ ! -x $gremlins ]]; then
		echo "mutation.sh: gremlins not found: go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0" >&2
		exit 2
	fi
}

# efficacy prints one line per package from gremlins' summary.
efficacy() {
	local pkg=$1 out=$2 killed lived
	killed=$(grep -Eo 'Killed: [0-9]+' "$out" | grep -Eo '[0-9]+' | tail -1 || true)
	lived=$(grep -Eo 'Lived: [0-9]+' "$out" | grep -Eo '[0-9]+' | tail -1 || true)
	killed=${killed:-0} lived=${lived:-0}
	if ((killed + lived == 0)); then
		printf '%-22s no covered mutants\n' "$pkg"
		return
	fi
	awk -v p="$pkg" -v k="$killed" -v l="$lived" 'BEGIN { printf "%-22s killed %d lived %d efficacy %.1f%%\n", p, k, l, 100*k/(k+l) }'
}

case ${1:-} in
--audit)
	shift
	exec python3 scripts/mutation_audit.py "$@"
	;;
--diff)
	need_gremlins
	ref=${2:-}
	if [[ -z $ref ]]; then
		ref=$(git rev-parse --verify -q origin/main || git rev-parse --verify -q main)
	fi
	base=$(git merge-base HEAD "$ref")
	if git diff --quiet "$base" -- '*.go'; then
		echo "mutation.sh --diff: no Go change since $base"
		exit 0
	fi
	status=0
	for p in "${packages[@]}"; do
		# Only packages whose non-test sources changed: gremlins still
		# gathers coverage per package, which is the slow part.
		if git diff --quiet "$base" -- "$p/*.go" ':!*_test.go'; then
			continue
		fi
		out=$(mktemp)
		timeout "${MUTATION_TIMEOUT:-600}" "$gremlins" unleash --diff "$base" --workers "$workers" \
			--threshold-efficacy "${MUTATION_THRESHOLD:-95}" "$p" >"$out" 2>&1 || status=1
		grep -E 'LIVED|TIMED OUT' "$out" || true
		efficacy "$p" "$out"
		rm -f "$out"
	done
	exit $status
	;;
esac

need_gremlins
if (($#)); then packages=("$@"); fi
for p in "${packages[@]}"; do
	out=$(mktemp)
	"$gremlins" unleash --workers "$workers" "$p" >"$out" 2>&1 || true
	grep -E 'LIVED' "$out" || true
	efficacy "$p" "$out"
	rm -f "$out"
done
