#!/usr/bin/env bash
# End-to-end bench: 5,000 trivial tests, with and without the reporter, against the local emulator
# with 20 ms of added latency per request. Prints the median wall time of each, the difference and
# the emulator's CPU time per reporting run (it shares the machine's cores with the test binary).
#   [SYSTEM=qase|qasphere] [LATENCY_MS=20] bench/e2e_bench.sh [build-dir] [runs]
# qasphere: the tests are named TestBd0001..TestBd5000 (5,000 marked cases) and only QA Sphere is on.
# The build dir needs the targets gtest-tms and bench_5000_tests (a Release build is meaningful).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
runs=${2:-5}
latency=${LATENCY_MS:-20}
system=${SYSTEM:-qase}
# shellcheck source=bench/bench_common.sh
. "$root/bench/bench_common.sh"
bench_build "$build" bench_5000_tests
bin="$build/bench/bench_5000_tests"
bench_emulator "$build" --latency-ms "$latency" --qas-cases 5000

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() {  # runs "$@" once, prints wall milliseconds
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>"$state/last.err" || true
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

case $system in
  qase) reporting=(QASE_MODE=testops QASE_TESTOPS_PROJECT=DEMO "QASE_TESTOPS_API_HOST=$url") marked=0 ;;
  qasphere) reporting=(QAS_TOKEN=tenant1.key1.demo-secret "QAS_URL=$url" QAS_PROJECT_CODE=BD) marked=1 ;;
  *) echo "SYSTEM must be qase or qasphere" >&2; exit 2 ;;
esac
emu_cpu() { awk '{print $14 + $15}' "/proc/$emu/stat"; }  # utime + stime, in clock ticks
tick=$(getconf CLK_TCK)

without=() with=() cpu=()
for _ in $(seq "$runs"); do
  without+=("$(time_ms env -u QASE_MODE -u QAS_TOKEN FIXTURE_QAS_MARKERS=$marked "$bin")")
  # QA Sphere's 20 requests/s window is per key and spans processes: let the previous run's leave it.
  [ "$system" = qasphere ] && sleep 1.1
  c0=$(emu_cpu)
  with+=("$(time_ms env -u QASE_MODE -u QAS_TOKEN FIXTURE_QAS_MARKERS=$marked "${reporting[@]}" \
    SSL_CERT_FILE="$state/ca.pem" "$bin")")
  cpu+=($((($(emu_cpu) - c0) * 1000 / tick)))
done
grep -h "gtest-tms:" "$state/last.err" || true
w=$(printf '%s\n' "${with[@]}" | median)
wo=$(printf '%s\n' "${without[@]}" | median)
echo "$system: 5000 tests, ${latency} ms latency, $runs runs each"
echo "emulator CPU per reporting run: median $(printf '%s\n' "${cpu[@]}" | median) ms  (${cpu[*]})"
echo "without reporter: median ${wo} ms  (${without[*]})"
echo "with reporter:    median ${w} ms  (${with[*]})"
echo "difference:       $((w - wo)) ms"
