#!/usr/bin/env bash
# CTest bench (issue 11): one process per test, as gtest_discover_tests runs them, against the local
# emulator with 20 ms latency and Qase's 600 requests/min enforced.
#   1. a process's added time: the median wall time of N one-test processes without reporting,
#      joining a run through a collector, and joining it without one (each sends its own result);
#   2. ctest -j8 over 600 discovered tests, without and with reporting: wall time, requests, 429s.
#   bench/ctest_bench.sh [build-dir] [processes]
# The build dir needs gtest-tms with the emulator and an installable package (a Release build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
n=${2:-200}
latency=${LATENCY_MS:-20}
state=$(mktemp -d)
trap 'kill $emu 2>/dev/null || true; wait $emu 2>/dev/null || true; rm -rf "$state"' EXIT
cmake --install "$build" --prefix "$state/prefix" >/dev/null
cmake -S "$root/test/packaging/ctest_project" -B "$state/project" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$state/prefix" -DMANY_TESTS=600 >/dev/null
cmake --build "$state/project" -j "$(nproc)" >/dev/null
tms="$state/prefix/bin/gtest-tms"
bin="$state/project/many_tests"

export QASE_TESTOPS_API_TOKEN=bench-token
"$tms" emulator serve --dir "$state/emu" --latency-ms "$latency" --qase-rate-limit 600 --for 1800 2>/dev/null &
emu=$!
for _ in $(seq 100); do [ -s "$state/emu/url" ] && break; sleep 0.1; done
url=$(cat "$state/emu/url")
qase=(QASE_MODE=testops QASE_TESTOPS_PROJECT=DEMO QASE_TESTOPS_API_HOST="$url" SSL_CERT_FILE="$state/emu/ca.pem")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_us() { echo $(($(date +%s%N) / 1000)); }
# Median microseconds of n runs of a one-test process with the given environment.
one_test() {
  local t0 t1 times=()
  for i in $(seq "$n"); do
    t0=$(now_us)
    env "$@" "$bin" --gtest_filter="Numbers/Many.Works/$((i % 600))" >/dev/null 2>>"$state/one.err" || true
    t1=$(now_us)
    times+=($((t1 - t0)))
  done
  printf '%s\n' "${times[@]}" | median
}
requests() { wc -l <"$state/emu/requests.jsonl"; }
too_many() { grep -c '"status":429' "$state/emu/requests.jsonl" || true; }

plain=$(one_test -u QASE_MODE)
env "${qase[@]}" "$tms" run create --collect --run-file "$state/c.env" >/dev/null 2>&1
collected=$(one_test "${qase[@]}" GTEST_TMS_RUN_FILE="$state/c.env")
env "${qase[@]}" "$tms" run complete --run-file "$state/c.env" >/dev/null 2>&1
env "${qase[@]}" "$tms" run create --run-file "$state/d.env" >/dev/null 2>&1
direct=$(one_test "${qase[@]}" GTEST_TMS_RUN_FILE="$state/d.env")
env "${qase[@]}" "$tms" run complete --run-file "$state/d.env" >/dev/null 2>&1
echo "one-test process, median of $n (${latency} ms latency):"
echo "  without reporting:             ${plain} us"
echo "  with the collector:            ${collected} us  (+$((collected - plain)) us)"
echo "  without a collector (1 request): ${direct} us  (+$((direct - plain)) us)"

sleep 61  # a fresh minute of the account's budget for the ctest run
before=$(requests)
t0=$(now_us)
(cd "$state/project" && env -u QASE_MODE ctest -j8 >/dev/null 2>&1) || true
t1=$(now_us)
off=$(((t1 - t0) / 1000))
t0=$(now_us)
(cd "$state/project" && env "${qase[@]}" ctest -j8 >/dev/null 2>&1) || true
t1=$(now_us)
on=$(((t1 - t0) / 1000))
echo "ctest -j8, 600 tests (${latency} ms latency, 600 requests/min enforced):"
echo "  without reporting: ${off} ms"
echo "  with reporting:    ${on} ms  (+$((on - off)) ms), $(($(requests) - before)) requests, $(too_many) answered 429"
