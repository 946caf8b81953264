#!/usr/bin/env bash
# Times `reclaim scan --git` against `git log -p --all | rg PATTERN` and
# `gitleaks git` (v8.30.1), side by side on the same generated repository,
# and scores all three against its manifest (bench/genhistory).
#
#   bash bench/githistory.sh [COMMITS] [SEED] [RUNS] [WORK_DIR]
#
# Defaults: 10000 commits, seed 1, 3 runs, /tmp/reclaim-histbench. The
# repository (about 28 MB of objects for 10,000 commits) is generated once per
# COMMITS and SEED. Needs go, git, /usr/bin/time (apt-get install -y time)
# and rg (installed with apt-get when missing); gitleaks is taken from
# $GITLEAKS or PATH, else installed with `go install` into WORK_DIR/gobin
# (never into this module). Medians of RUNS runs, warm cache, the tools in
# alternating order.
#
# Goals (issue 16): reclaim's wall time at most that of git log | rg and at
# most half of gitleaks', every planted key found (those only in a stash, a
# reflog, an unmerged branch or an unreachable commit too), no false
# positive, the right "still in HEAD" and ref on every finding, peak RSS at
# most 64 MB. Exits 1 when one is missed.
set -u
COMMITS=${1:-10000}
SEED=${2:-1}
RUNS=${3:-3}
WORK=${4:-/tmp/reclaim-histbench}
HERE=$(cd "$(dirname "$0")/.." && pwd)
REPO=$WORK/repo-${COMMITS}c-s$SEED
TRUTH=$REPO.truth.json
mkdir -p "$WORK"

command -v rg >/dev/null || { apt-get install -y ripgrep >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y ripgrep >/dev/null); }
command -v rg >/dev/null || { echo "ripgrep is not installed" >&2; exit 1; }
command -v git >/dev/null || { echo "git is not installed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "need /usr/bin/time (apt-get install -y time)" >&2; exit 1; }

GITLEAKS=${GITLEAKS:-$(command -v gitleaks || true)}
if [ -z "$GITLEAKS" ]; then
	GITLEAKS=$WORK/gobin/gitleaks
	if [ ! -x "$GITLEAKS" ]; then
		echo "installing gitleaks v8.30.1 into $WORK/gobin (for this benchmark only)" >&2
		(cd "$WORK" && GOBIN=$WORK/gobin GOFLAGS= go install github.com/zricethezav/gitleaks/v8@v8.30.1) || exit 1
	fi
fi

if [ ! -f "$TRUTH" ]; then
	(cd "$HERE" && go run ./bench/genhistory -out "$REPO" -commits "$COMMITS" -seed "$SEED" -clean) || exit 1
fi
(cd "$HERE" && go build -o "$WORK/reclaim" ./cmd/reclaim && go build -o "$WORK/genhistory" ./bench/genhistory) || exit 1

# The combined regex of bench/scan.sh (the same key shapes).
RG_PATTERN='SG\.[A-Za-z0-9_-]{20,24}\.[A-Za-z0-9_-]{39,50}|x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}|\b(?:pub)?key-[a-f0-9]{32}\b|\b[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}\b|\b(?:AC|SK)[a-f0-9]{32}\b|\b[a-f0-9]{32}-us[0-9]{1,2}\b|\bmd-[A-Za-z0-9_-]{22}\b|(?i:postmark|mailjet|mj_apikey|mj_api|twilio|mandrill|auth_token|api_secret|apisecret)[A-Za-z0-9_.-]{0,30}["'"'"']?\s*(?:=>|=|:|,|\()\s*["'"'"']?[A-Za-z0-9][A-Za-z0-9-]{31,35}\b'
export RG_PATTERN REPO WORK

OBJ=$(du -sk "$REPO/.git/objects" | awk '{printf "%.1f", $1/1024}')
NCOMMITS=$(git -C "$REPO" rev-list --all | wc -l)
find "$REPO/.git" -type f -print0 | xargs -0 cat >/dev/null # warm the cache

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0; for(j=1;j<=n;j++) s=s*60+p[j]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$1"; }
cpu() { awk -F': ' '/User time|System time/{s+=$2} END {printf "%.2f", s}' "$1"; }

TOOLS="reclaim gitlog-rg gitleaks"
declare -A W R C
for i in $(seq "$RUNS"); do
	order=$TOOLS
	[ $((i % 2)) -eq 0 ] && order="gitleaks gitlog-rg reclaim"
	for tool in $order; do
		case $tool in
		reclaim) /usr/bin/time -v -o "$WORK/reclaim.time" "$WORK/reclaim" scan --git "$REPO" --format json >"$WORK/reclaim.json" ;;
		gitlog-rg) /usr/bin/time -v -o "$WORK/gitlog-rg.time" sh -c 'git -C "$REPO" log -p --all | rg -o -e "$RG_PATTERN" >"$WORK/rg.out"' ;;
		gitleaks) /usr/bin/time -v -o "$WORK/gitleaks.time" "$GITLEAKS" git --no-banner --log-level error --report-format json --report-path "$WORK/gitleaks.json" "$REPO" >/dev/null 2>&1 ;;
		esac
		W[$tool]="${W[$tool]:-} $(wall "$WORK/$tool.time")"
		R[$tool]="${R[$tool]:-} $(rss "$WORK/$tool.time")"
		C[$tool]="${C[$tool]:-} $(cpu "$WORK/$tool.time")"
		echo "run $i $tool: $(wall "$WORK/$tool.time") s, cpu $(cpu "$WORK/$tool.time") s, $(rss "$WORK/$tool.time") MB" >&2
	done
done

score() { "$WORK/genhistory" score -truth "$TRUTH" -format "$2" -in "$3" 2>"$WORK/$1.score.txt"; }
declare -A S
S[reclaim]=$(score reclaim reclaim "$WORK/reclaim.json")
S[gitlog-rg]=$(score gitlog-rg rg "$WORK/rg.out")
S[gitleaks]=$(score gitleaks gitleaks "$WORK/gitleaks.json")
field() { echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

echo
echo "repository: genhistory -commits $COMMITS -seed $SEED: $NCOMMITS commits (git rev-list --all), $OBJ MB of objects; $(nproc) CPUs; median of $RUNS runs, warm cache; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo
echo "| tool | wall s | CPU s | peak RSS MB | keys found | false positives |"
echo "|---|---|---|---|---|---|"
declare -A MW MR
for tool in $TOOLS; do
	MW[$tool]=$(printf '%s\n' ${W[$tool]} | median)
	MR[$tool]=$(printf '%s\n' ${R[$tool]} | median)
	mc=$(printf '%s\n' ${C[$tool]} | median)
	label=$tool
	case $tool in
	reclaim) label="reclaim scan --git" ;;
	gitlog-rg) label="git log -p --all \| rg (one combined regex)" ;;
	gitleaks) label="gitleaks git v8.30.1" ;;
	esac
	echo "| $label | ${MW[$tool]} | $mc | ${MR[$tool]} | $(field "${S[$tool]}" found)/$(field "${S[$tool]}" planted) | $(field "${S[$tool]}" false_positives) |"
done
echo
for tool in $TOOLS; do
	[ -s "$WORK/$tool.score.txt" ] && { echo "$tool:"; sed 's/^/  /' "$WORK/$tool.score.txt"; }
done

fail=0
ok() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; }
check() { if eval "$2"; then echo "goal met: $1"; else echo "GOAL MISSED: $1"; fail=1; fi; }
check "wall time <= git log -p --all | rg (${MW[reclaim]} s vs ${MW[gitlog-rg]} s)" 'ok "${MW[reclaim]}" "${MW[gitlog-rg]}"'
check "wall time <= half of gitleaks (${MW[reclaim]} s vs ${MW[gitleaks]} s)" 'ok "$(awk -v a="${MW[reclaim]}" "BEGIN{print a*2}")" "${MW[gitleaks]}"'
check "every key found ($(field "${S[reclaim]}" found)/$(field "${S[reclaim]}" planted))" '[ "$(field "${S[reclaim]}" found)" = "$(field "${S[reclaim]}" planted)" ]'
check "no false positive ($(field "${S[reclaim]}" false_positives))" '[ "$(field "${S[reclaim]}" false_positives)" = 0 ]'
check "in-HEAD and ref right on every finding ($(field "${S[reclaim]}" wrong_facts) wrong)" '[ "$(field "${S[reclaim]}" wrong_facts)" = 0 ]'
check "peak RSS <= 64 MB (${MR[reclaim]} MB)" 'ok "${MR[reclaim]}" 64'
exit $fail
