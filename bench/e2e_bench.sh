#!/usr/bin/env bash
# End-to-end bench: 5,000 trivial tests, with and without the reporter, against the local emulator
# with 20 ms of added latency per request. Prints the median wall time of each and the difference.
#   bench/e2e_bench.sh [build-dir] [runs]
# The build dir needs the targets gtest-tms and bench_5000_tests (a Release build is meaningful).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
runs=${2:-5}
latency=${LATENCY_MS:-20}
if [ ! -x "$build/bench/bench_5000_tests" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTEST_TMS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j "$(nproc)" --target gtest-tms bench_5000_tests
fi
tms="$build/gtest-tms"
bin="$build/bench/bench_5000_tests"
state=$(mktemp -d)
trap 'kill $emu 2>/dev/null || true; wait $emu 2>/dev/null || true; rm -rf "$state"' EXIT
export QASE_TESTOPS_API_TOKEN=bench-token
"$tms" emulator serve --dir "$state" --latency-ms "$latency" --for 900 2>/dev/null &
emu=$!
for _ in $(seq 100); do [ -s "$state/url" ] && break; sleep 0.1; done
url=$(cat "$state/url")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() {  # runs "$@" once, prints wall milliseconds
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>"$state/last.err" || true
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

without=() with=()
for _ in $(seq "$runs"); do
  without+=("$(time_ms env -u QASE_MODE "$bin")")
  with+=("$(time_ms env QASE_MODE=testops QASE_TESTOPS_PROJECT=DEMO QASE_TESTOPS_API_HOST="$url" \
    SSL_CERT_FILE="$state/ca.pem" "$bin")")
done
grep -h "gtest-tms:" "$state/last.err" || true
w=$(printf '%s\n' "${with[@]}" | median)
wo=$(printf '%s\n' "${without[@]}" | median)
echo "5000 tests, ${latency} ms latency, $runs runs each"
echo "without reporter: median ${wo} ms  (${without[*]})"
echo "with reporter:    median ${w} ms  (${with[*]})"
echo "difference:       $((w - wo)) ms"
