#!/usr/bin/env bash
# Times `reclaim scan` on a tree where a share (10 %) of the bytes sit in
# archives and .gz logs, with archives read (the default) against the plain
# scan of the same tree (--archives=false), and scores the keys found
# inside the archives (bench/archtree).
#
#   bash bench/archives.sh [SIZE_MB] [SEED] [RUNS] [WORK_DIR] [SHARE]
#
# Defaults: 1024 MB, seed 1, 3 runs, /tmp/reclaim-archbench, 0.10. The tree
# is a hard-linked copy of ../shared/bench/gencorpus output
# without its fake archives, plus real ones: every
# nginx access log rotated into access.log.2.gz, Laravel logs into
# *.log.1.gz, and site and app folders copied into var/backups as .tar.gz
# and .zip until they hold SHARE of the bytes. Goal: the archive scan
# within 2x the plain scan (median wall time), every key planted in an
# archived file found at its member, no false positive inside archives.
# Needs go and /usr/bin/time (apt-get install -y time). Exits 1 when a goal
# is missed.
set -u
SIZE=${1:-1024}
SEED=${2:-1}
RUNS=${3:-3}
WORK=${4:-/tmp/reclaim-archbench}
SHARE=${5:-0.10}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BENCH:-$HERE/../shared/bench}
CORPUS=$WORK/corpus-${SIZE}m-s$SEED
TRUTH=$CORPUS.truth.json
TREE=$WORK/archtree-${SIZE}m-s$SEED
mkdir -p "$WORK"
[ -x /usr/bin/time ] || { echo "need /usr/bin/time (apt-get install -y time)" >&2; exit 1; }

if [ ! -f "$TRUTH" ]; then
	(cd "$BENCH" && go run ./gencorpus -out "$CORPUS" -size-mb "$SIZE" -seed "$SEED" -clean) || exit 1
fi
(cd "$HERE" && go build -o "$WORK/reclaim" ./cmd/reclaim && go build -o "$WORK/archtree" ./bench/archtree) || exit 1
if [ ! -f "$TREE.expected.json" ] || [ "$TREE.expected.json" -ot "$TRUTH" ]; then
	"$WORK/archtree" -corpus "$CORPUS" -truth "$TRUTH" -out "$TREE" -share "$SHARE" || exit 1
fi

BYTES=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
ABYTES=$(find "$TREE" -type f \( -name '*.gz' -o -name '*.zip' -o -name '*.tgz' \) -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
FILES=$(find "$TREE" -type f | wc -l)
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null # warm the cache

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0; for(j=1;j<=n;j++) s=s*60+p[j]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$1"; }
cpu() { awk -F': ' '/User time|System time/{s+=$2} END {printf "%.2f", s}' "$1"; }

declare -A W R C
for i in $(seq "$RUNS"); do
	for tool in archives plain; do
		if [ $((i % 2)) -eq 0 ]; then tool=$([ $tool = archives ] && echo plain || echo archives); fi
		case $tool in
		archives) /usr/bin/time -v -o "$WORK/$tool.time" "$WORK/reclaim" scan --format json "$TREE" >"$WORK/$tool.json" ;;
		plain) /usr/bin/time -v -o "$WORK/$tool.time" "$WORK/reclaim" scan --format json --archives=false "$TREE" >"$WORK/$tool.json" ;;
		esac
		W[$tool]="${W[$tool]:-} $(wall "$WORK/$tool.time")"
		R[$tool]="${R[$tool]:-} $(rss "$WORK/$tool.time")"
		C[$tool]="${C[$tool]:-} $(cpu "$WORK/$tool.time")"
		echo "run $i $tool: $(wall "$WORK/$tool.time") s, cpu $(cpu "$WORK/$tool.time") s, $(rss "$WORK/$tool.time") MB" >&2
	done
done

SC=$("$WORK/archtree" -check "$WORK/archives.json" -expected "$TREE.expected.json" 2>"$WORK/archives.eval.txt") || { cat "$WORK/archives.eval.txt" >&2; exit 1; }
j() { echo "$SC" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
WA=$(printf '%s\n' ${W[archives]} | median)
WP=$(printf '%s\n' ${W[plain]} | median)
RA=$(printf '%s\n' ${R[archives]} | median)
RP=$(printf '%s\n' ${R[plain]} | median)
CA=$(printf '%s\n' ${C[archives]} | median)
CP=$(printf '%s\n' ${C[plain]} | median)
mbs() { awk -v b="$BYTES" -v w="$1" 'BEGIN {printf "%.0f", (w>0) ? b/1e6/w : 0}'; }

echo
echo "tree: gencorpus -size-mb $SIZE -seed $SEED + archives: $FILES files, $BYTES bytes, $ABYTES ($(awk -v a="$ABYTES" -v b="$BYTES" 'BEGIN{printf "%.1f", 100*a/b}') %) in archives and .gz logs; $(nproc) CPUs; median of $RUNS runs, warm cache; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo
echo "| scan | wall s | MB/s (all bytes on disk) | cpu s | peak RSS MB |"
echo "|---|---|---|---|---|"
echo "| reclaim scan (archives read) | $WA | $(mbs "$WA") | $CA | $RA |"
echo "| reclaim scan --archives=false | $WP | $(mbs "$WP") | $CP | $RP |"
echo
echo "inside archives: $(j in_archives_found)/$(j in_archives_expected) keys found at their member, $(j false_positives_in_archives) false positives; $(j probe_requests_from_gz_logs) probe requests read from .gz logs; $(j archives_read) archives read, $(j members) members, $(j expanded_bytes) bytes expanded and scanned, $(j broken) broken, $(j bombs) bombs"
RATIO=$(awk -v a="$WA" -v b="$WP" 'BEGIN {printf "%.2f", a/b}')
echo "archives / plain wall-time ratio: $RATIO (goal <= 2)"
ok=1
awk -v r="$RATIO" 'BEGIN {exit !(r <= 2)}' || { echo "MISSED: the archive scan takes more than 2x the plain scan"; ok=0; }
[ "$(j in_archives_found)" = "$(j in_archives_expected)" ] || { echo "MISSED: keys inside archives not found (see $WORK/archives.eval.txt)"; ok=0; }
[ "$(j false_positives_in_archives)" = "0" ] || { echo "MISSED: false positives inside archives"; ok=0; }
[ $ok = 1 ]
