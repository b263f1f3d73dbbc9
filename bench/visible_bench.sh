#!/usr/bin/env bash
# Time to visible: a slow suite (PACED_TESTS=40 tests of PACED_MS=100 ms) reports to Qase on the
# local emulator (LATENCY_MS=20 per request); for each result, the time from its test's end
# (execution.end_time) to the emulator receiving it. Prints median and maximum per run and the
# number of results requests. Needs python3 to read the emulator's request log.
#   bench/visible_bench.sh [build-dir] [runs]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
runs=${2:-5}
latency=${LATENCY_MS:-20}
# shellcheck source=bench/bench_common.sh
. "$root/bench/bench_common.sh"
bench_build "$build" bench_paced_tests
bench_emulator "$build" --latency-ms "$latency"

echo "${PACED_TESTS:-40} tests of ${PACED_MS:-100} ms, ${latency} ms latency, $runs runs"
for run in $(seq "$runs"); do
  before=$(wc -l < "$state/requests.jsonl" 2>/dev/null || echo 0)
  QASE_MODE=testops QASE_TESTOPS_PROJECT=DEMO QASE_TESTOPS_API_HOST="$url" SSL_CERT_FILE="$state/ca.pem" \
    "$build/bench/bench_paced_tests" >/dev/null 2>"$state/last.err" || true
  tail -n +"$((before + 1))" "$state/requests.jsonl" | python3 -c '
import json, statistics, sys
delays, requests = [], 0
for line in sys.stdin:
    r = json.loads(line)
    body = r.get("body")
    if r.get("method") != "POST" or not isinstance(body, dict) or "results" not in body:
        continue
    requests += 1
    for res in body["results"]:
        delays.append(r["received_ms"] / 1000.0 - res["execution"]["end_time"])
print("run %s: %d results in %d requests, visible after median %.0f ms, max %.0f ms" % (
    sys.argv[1], len(delays), requests, statistics.median(delays) * 1000, max(delays) * 1000))
' "$run"
done
grep -h "gtest-tms:" "$state/last.err" || true
