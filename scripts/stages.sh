# Stage helpers for scripts/test.sh (sourced; needs $out, a private
# temporary directory, and errexit).
#
#   run_stage KEY "what it checks" CMD...    in the foreground; a failure ends the run
#   start_stage KEY "what it checks" CMD...  in the background, output kept in $out/KEY.log
#   finish_stage KEY                         wait for a background stage, print its output, fail if it failed
#   await_stage KEY                          (inside a background stage) wait until KEY has ended; fail if it failed
#   stop_stages, print_stage_times RC        for the EXIT trap: stop what still runs, print the table
#   in_main_shell                            true in the main shell only (guard for the EXIT trap: a
#                                            background stage killed as it starts may still run it)
#
# KEY is a short name ([a-z0-9-]) for the table and the files $out/KEY.*.
# Every stage's start and wall time is recorded; a background stage that
# fails is reported at the next stage boundary, not only at its finish.

# Job control: each background stage gets its own process group, so that
# stopping it stops everything it started (go test, wine, npm).
set -m

stages_t0=$EPOCHREALTIME
stage_keys=()
declare -A stage_title=() stage_pid=()
current_stage=

stages_main=$BASHPID
in_main_shell() { [ "$BASHPID" = "$stages_main" ]; }

_stage_new() {
	case "$1" in *[!a-z0-9-]* | '') echo "stage key must be [a-z0-9-]+: '$1'" >&2; exit 2 ;; esac
	[ -z "${stage_title[$1]+x}" ] || { echo "stage $1 started twice" >&2; exit 2; }
	stage_keys+=("$1")
	stage_title[$1]=$2
	echo "$EPOCHREALTIME" >"$out/$1.start"
}

# check_stages fails the run as soon as a background stage has failed.
check_stages() {
	local k
	for k in "${!stage_pid[@]}"; do
		if [ -s "$out/$k.rc" ] && [ "$(cat "$out/$k.rc")" != 0 ]; then
			printf '\n== %s: %s (background) FAILED\n' "$k" "${stage_title[$k]}"
			cat "$out/$k.log"
			exit 1
		fi
	done
}

run_stage() {
	local key=$1 title=$2
	shift 2
	check_stages
	_stage_new "$key" "$title"
	printf '\n== %s: %s\n' "$key" "$title"
	current_stage=$key
	"$@"
	echo 0 >"$out/$key.rc"
	echo "$EPOCHREALTIME" >"$out/$key.end"
	current_stage=
}

start_stage() {
	local key=$1 title=$2
	shift 2
	check_stages
	_stage_new "$key" "$title"
	printf '\n== %s: %s (started in the background)\n' "$key" "$title"
	(
		# Not the run's EXIT/INT/TERM handling: only the main shell cleans up.
		trap - EXIT INT TERM
		# The stage itself runs in a subshell of its own so that errexit
		# ends it (and only it) at its first failing command.
		("$@") >"$out/$key.log" 2>&1 </dev/null &
		wait $! && rc=0 || rc=$?
		echo "$EPOCHREALTIME" >"$out/$key.end"
		echo "$rc" >"$out/$key.rc.new"
		mv "$out/$key.rc.new" "$out/$key.rc"
	) &
	stage_pid[$key]=$!
}

await_stage() {
	until [ -s "$out/$1.rc" ]; do sleep 0.2; done
	[ "$(cat "$out/$1.rc")" = 0 ] || { echo "stage $1 failed (see its output)"; return 1; }
}

finish_stage() {
	local key=$1
	check_stages
	wait "${stage_pid[$key]}" 2>/dev/null || true
	printf '\n== %s: %s (ran in the background)\n' "$key" "${stage_title[$key]}"
	cat "$out/$key.log"
	[ "$(cat "$out/$key.rc" 2>/dev/null)" = 0 ] || { echo "$key failed"; exit 1; }
}

stop_stages() {
	local k
	for k in "${!stage_pid[@]}"; do
		[ -s "$out/$k.rc" ] && continue
		kill -TERM -- "-${stage_pid[$k]}" 2>/dev/null
		{ wait "${stage_pid[$k]}"; } 2>/dev/null
		[ -s "$out/$k.end" ] || echo "$EPOCHREALTIME" >"$out/$k.end"
		echo stopped >"$out/$k.rc"
		# Where it was: a long stage (fuzz) shows how far it got.
		printf '\n== %s: stopped; its last lines\n' "$k"
		grep -v '^fuzz: elapsed' "$out/$k.log" 2>/dev/null | tail -n 4
	done
}

# print_stage_times RC: the table, in start order. A foreground stage
# without an end is the one that failed with RC.
print_stage_times() {
	local rc=$1 k start end result now=$EPOCHREALTIME
	printf '\n== stage times (seconds; start is after the test command began; background stages overlap others)\n'
	printf '%-12s %7s %7s  %s\n' stage start wall result
	for k in "${stage_keys[@]}"; do
		start=$(cat "$out/$k.start")
		end=$(cat "$out/$k.end" 2>/dev/null || echo "$now")
		result=$(cat "$out/$k.rc" 2>/dev/null || true)
		case "$result" in
		0) result=ok ;;
		stopped) result="stopped (the run ended first)" ;;
		'') result="FAILED (exit $rc)" ;;
		*) result="FAILED (exit $result)" ;;
		esac
		awk -v k="$k" -v s="$start" -v e="$end" -v t0="$stages_t0" -v r="$result" -v title="${stage_title[$k]}" \
			'BEGIN { printf "%-12s %7.1f %7.1f  %s: %s\n", k, s - t0, e - s, r, title }'
	done
	awk -v t0="$stages_t0" -v now="$now" -v rc="$rc" \
		'BEGIN { printf "%-12s %7s %7.1f  %s\n", "total", "", now - t0, rc == 0 ? "ok" : "FAILED (exit " rc ")" }'
}
