#!/usr/bin/env bash
# SendGrid drift-check benchmark (issue 17): "reclaim check" of the big
# account of bench/sendgrid-inventory.sh (2,000 subusers, 100 keys, 500
# teammates, 100,000 messages in 30 days) from the fake API with 30 ms
# latency per request, at each rate limit in RATES (requests per second):
# the newest baseline read from a state directory and checked, the account
# read whole, compared with it, and the alert rendered. The baseline is
# recorded first, outside the timing, and the account then drifts. Fails when
# the wall time exceeds 1.2x the bound the rate limit sets (requests / rate)
# or peak memory reaches 100 MB.
#   bench/sendgrid-check.sh            # RATES="100 200 500", COUNT=1
#   RATES=200 COUNT=3 bench/sendgrid-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
rates=${RATES:-100 200 500}
count=${COUNT:-1}
bin=$(mktemp -d)/sendgrid.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./provider/sendgrid/

echo "cpus: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)"
printf '| rate limit (req/s) | requests | 429s | bound (s) | wall (s) | wall / bound | peak heap (MB) | peak RSS (MB) |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
fail=0
for rate in $rates; do
  for _ in $(seq "$count"); do
    line=$(cd provider/sendgrid && BENCH_RATE=$rate "$bin" -test.run '^$' -test.bench BenchmarkSendGridCheck -test.benchtime 1x | grep '^BenchmarkSendGridCheck')
    row=$(awk -v rate="$rate" '{
      for (i = 1; i <= NF; i++) m[$(i+1)] = $i
      printf "| %d | %d | %d | %.2f | %.2f | %.3f | %.1f | %.1f |\n", rate, m["requests/op"], m["429s/op"], m["bound-s/op"], m["wall-s/op"], m["wall/bound"], m["peak-heap-MB"], m["peak-rss-MB"]
      if (m["wall/bound"] > 1.2 || m["peak-rss-MB"] >= 100 || m["peak-heap-MB"] >= 100) exit 1
    }' <<<"$line") || fail=1
    printf '%s\n' "$row"
  done
done
if [ "$fail" -ne 0 ]; then
  echo "FAIL: wall time above 1.2x the rate-limit bound, or peak memory >= 100 MB" >&2
  exit 1
fi
