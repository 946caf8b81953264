#!/usr/bin/env bash
# Speed goal of issue 12: Update plus View take at most 1 ms per keystroke
# with a 10,000-row inventory. Runs the tui benchmarks (tui/bench_test.go:
# a drill account with 10,000 extra API keys, inventory taken, at 80x24;
# one down or pgdown keystroke on the findings view and on the overview)
# and compares each ns/op with the goal.
#
#   bash bench/keystroke.sh [BENCHTIME] [COUNT]
#
# Defaults: -benchtime 1s, -count 3 (the median of the counts is compared).
# Exit status 1 when any benchmark's median is over the goal.
set -u
BENCHTIME=${1:-1s}
COUNT=${2:-3}
GOAL_NS=${GOAL_NS:-1000000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

(cd "$HERE" && go test ./tui -run '^$' -bench 'Keystroke' -benchtime "$BENCHTIME" -count "$COUNT") | tee "$OUT"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "keystroke.sh: go test failed" >&2; exit 2; }

echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null); $(nproc) CPUs; goal $GOAL_NS ns/op"
echo "| benchmark | median ns/op | runs | goal |"
echo "|---|---|---|---|"
awk -v goal="$GOAL_NS" '
/^Benchmark.*ns\/op/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 2; i <= NF; i++) if ($(i+1) == "ns/op") { v[name] = v[name] " " $i; n[name]++ }
}
END {
	bad = 0
	for (name in v) {
		m = split(substr(v[name], 2), a, " ")
		# sort the runs, take the median
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		ok = (med + 0 <= goal + 0) ? "met" : sprintf("MISSED (%.1fx)", med / goal)
		if (med + 0 > goal + 0) bad = 1
		printf "| %s | %.0f | %d | %s |\n", name, med, m, ok
	}
	exit bad
}' "$OUT"
