#!/usr/bin/env bash
# Times `reclaim scan` against one combined ripgrep regex of the same key
# shapes, side by side on the same gencorpus tree, and scores both with
# ../shared/bench/evalrecall.
#
#   bash bench/scan.sh [SIZE_MB] [SEED] [RUNS] [WORK_DIR]
#
# Defaults: 1024 MB, seed 1, 3 runs, /tmp/reclaim-scanbench. Needs go,
# /usr/bin/time (apt-get install -y time) and rg (installed with apt-get when
# missing). The page cache is warmed first; medians are reported.
set -u
SIZE=${1:-1024}
SEED=${2:-1}
RUNS=${3:-3}
WORK=${4:-/tmp/reclaim-scanbench}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BENCH:-$HERE/../shared/bench}
CORPUS=$WORK/corpus-${SIZE}m-s$SEED
TRUTH=$CORPUS.truth.json
mkdir -p "$WORK"

command -v rg >/dev/null || { apt-get install -y ripgrep >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y ripgrep >/dev/null); }
command -v rg >/dev/null || { echo "ripgrep is not installed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "need /usr/bin/time (apt-get install -y time)" >&2; exit 1; }

if [ ! -f "$TRUTH" ]; then
	(cd "$BENCH" && go run ./gencorpus -out "$CORPUS" -size-mb "$SIZE" -seed "$SEED" -clean) || exit 1
fi
(cd "$BENCH" && go build -o "$WORK/evalrecall" ./evalrecall) || exit 1
(cd "$HERE" && go build -o "$WORK/reclaim" ./cmd/reclaim) || exit 1

# The combined regex of ../shared/bench/baselines.sh (same key shapes).
RG_PATTERN='SG\.[A-Za-z0-9_-]{20,24}\.[A-Za-z0-9_-]{39,50}|x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}|\b(?:pub)?key-[a-f0-9]{32}\b|\b[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}\b|\b(?:AC|SK)[a-f0-9]{32}\b|\b[a-f0-9]{32}-us[0-9]{1,2}\b|\bmd-[A-Za-z0-9_-]{22}\b|(?i:postmark|mailjet|mj_apikey|mj_api|twilio|mandrill|auth_token|api_secret|apisecret)[A-Za-z0-9_.-]{0,30}["'"'"']?\s*(?:=>|=|:|,|\()\s*["'"'"']?[A-Za-z0-9][A-Za-z0-9-]{31,35}\b'

BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
FILES=$(find "$CORPUS" -type f | wc -l)
find "$CORPUS" -type f -print0 | xargs -0 cat >/dev/null # warm the cache

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0; for(j=1;j<=n;j++) s=s*60+p[j]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$1"; }
# user+sys seconds: less sensitive than wall time to other load on the machine
cpu() { awk -F': ' '/User time|System time/{s+=$2} END {printf "%.2f", s}' "$1"; }

declare -A W R C
for i in $(seq "$RUNS"); do
	# alternate the order so neither tool always runs on a warmer machine
	for tool in reclaim rg; do
		if [ $((i % 2)) -eq 0 ]; then tool=$([ $tool = reclaim ] && echo rg || echo reclaim); fi
		case $tool in
		reclaim) /usr/bin/time -v -o "$WORK/reclaim.time" "$WORK/reclaim" scan --format json "$CORPUS" >"$WORK/reclaim.json" ;;
		rg) /usr/bin/time -v -o "$WORK/rg.time" rg -uu -o -n --no-heading --with-filename -e "$RG_PATTERN" "$CORPUS" >"$WORK/rg.out" ;;
		esac
		W[$tool]="${W[$tool]:-} $(wall "$WORK/$tool.time")"
		R[$tool]="${R[$tool]:-} $(rss "$WORK/$tool.time")"
		C[$tool]="${C[$tool]:-} $(cpu "$WORK/$tool.time")"
		echo "run $i $tool: $(wall "$WORK/$tool.time") s, cpu $(cpu "$WORK/$tool.time") s, $(rss "$WORK/$tool.time") MB" >&2
	done
done

score() { "$WORK/evalrecall" -truth "$TRUTH" -root "$CORPUS" -format "$1" -in "$2" 2>"$WORK/$1.eval.txt"; }
RE=$(score reclaim "$WORK/reclaim.json")
GE=$(score rg "$WORK/rg.out")
rec() { echo "$1" | sed -n 's/.*"in_scope_found":\([0-9]*\),"in_scope_planted":\([0-9]*\).*/\1\/\2/p'; }
fp() { echo "$1" | sed -n 's/.*"false_positives":\([0-9]*\).*/\1/p'; }
WR=$(printf '%s\n' ${W[reclaim]} | median)
WG=$(printf '%s\n' ${W[rg]} | median)
RR=$(printf '%s\n' ${R[reclaim]} | median)
RG=$(printf '%s\n' ${R[rg]} | median)
CR=$(printf '%s\n' ${C[reclaim]} | median)
CG=$(printf '%s\n' ${C[rg]} | median)
mbs() { awk -v b="$BYTES" -v w="$1" 'BEGIN {printf "%.0f", (w>0) ? b/1e6/w : 0}'; }

echo
echo "corpus: gencorpus -size-mb $SIZE -seed $SEED: $FILES files, $BYTES bytes; $(nproc) CPUs; median of $RUNS runs, warm cache; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo
echo "| tool | wall s | MB/s | peak RSS MB | recall (email providers) | false positives |"
echo "|---|---|---|---|---|---|"
echo "| reclaim scan | $WR | $(mbs "$WR") | $RR | $(rec "$RE") | $(fp "$RE") |"
echo "| rg $(rg --version | awk 'NR==1{print $2}'), one combined regex, -uu | $WG | $(mbs "$WG") | $RG | $(rec "$GE") | $(fp "$GE") |"
echo
awk -v a="$WR" -v b="$WG" 'BEGIN {printf "reclaim / rg wall-time ratio: %.2f\n", a/b}'
echo "cpu s (user+sys, median): reclaim $CR, rg $CG"
