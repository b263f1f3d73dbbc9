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
if [ ! -x "$build/bench/bench_paced_tests" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTEST_TMS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j "$(nproc)" --target gtest-tms bench_paced_tests
fi
state=$(mktemp -d)
trap 'kill $emu 2>/dev/null || true; wait $emu 2>/dev/null || true; rm -rf "$state"' EXIT
export QASE_TESTOPS_API_TOKEN=bench-token
"$build/gtest-tms" emulator serve --dir "$state" --latency-ms "$latency" --for 900 2>/dev/null &
emu=$!
for _ in $(seq 100); do [ -s "$state/url" ] && break; sleep 0.1; done
url=$(cat "$state/url")

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
