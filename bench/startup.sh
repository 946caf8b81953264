#!/usr/bin/env bash
# Speed goal of issue 12: start to first frame in at most 50 ms with the
# built binary. Builds reclaim, then runs BenchmarkStartToFirstFrame
# (cmd/reclaim/bench_startup_test.go) on that binary: each run starts it on
# a fresh 80x24 pseudo-terminal with an empty state directory and times
# launch -> the first frame (the header drawn), and launch -> the start menu.
# Prints the median and p95 and compares them with the goal; then, to say
# where the time goes, the slowest package initialisers (GODEBUG=inittrace=1),
# which all run before main.
#
#   bash bench/startup.sh [RUNS]
#
# Default 50 runs. Exit status 1 when the median or the p95 is over the goal.
set -u
RUNS=${1:-50}
GOAL_MS=${GOAL_MS:-50}
HERE=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

(cd "$HERE" && go build -o "$WORK/reclaim" ./cmd/reclaim) || exit 2
(cd "$HERE" && go test -c -o "$WORK/bench.test" ./cmd/reclaim) || exit 2
(cd "$HERE/cmd/reclaim" && RECLAIM_BENCH_BIN="$WORK/reclaim" "$WORK/bench.test" -test.run '^$' -test.bench 'StartToFirstFrame' -test.benchtime "${RUNS}x") | tee "$WORK/out"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "startup.sh: the benchmark failed" >&2; exit 2; }

metric() { awk -v u="$1" '/^BenchmarkStartToFirstFrame/ {for (i = 2; i <= NF; i++) if ($(i+1) == u) print $i}' "$WORK/out"; }
MED=$(metric ms-median)
P95=$(metric ms-p95)
MENU=$(metric ms-menu-median)

echo
echo "binary $(stat -c %s "$WORK/reclaim") bytes; $RUNS runs; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "| measure | ms | goal |"
echo "|---|---|---|"
bad=0
for row in "first frame, median:$MED" "first frame, p95:$P95" "start menu, median:$MENU"; do
	name=${row%%:*}
	v=${row##*:}
	verdict=$(awk -v v="$v" -v g="$GOAL_MS" 'BEGIN {print (v + 0 <= g + 0) ? "met" : sprintf("MISSED (%.1fx)", v / g)}')
	case "$name" in first*) [ "${verdict%% *}" = met ] || bad=1 ;; esac
	echo "| $name | $v | $verdict |"
done

echo
echo "slowest package initialisers (run before main; one run of --help):"
GODEBUG=inittrace=1 "$WORK/reclaim" --help 2>&1 >/dev/null | awk '/^init / {print $5, $2}' | sort -g -r | head -6 | awk '{printf "  %6.1f ms  %s\n", $1, $2}'
GODEBUG=inittrace=1 "$WORK/reclaim" --help 2>&1 >/dev/null | awk '/^init / {s += $5} END {printf "  %6.1f ms  all package initialisers together\n", s}'
exit $bad
