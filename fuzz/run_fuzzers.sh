#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (libFuzzer + ASan + UBSan) and runs each one
# for a while on a copy of its seed corpus (fuzz/corpus/<target>/ is never modified).
#   fuzz/run_fuzzers.sh [seconds_per_target (default 20)] [build_dir (default <repo>/build-fuzz)]
# GTEST_TMS_FUZZ_RUNS=N runs N inputs per target instead of a time budget (e.g. 1000000).
# GTEST_TMS_FUZZ_TARGETS="markers no_proxy" selects targets.
# Targets run in parallel, JOBS (default: nproc) at a time.
# Fails when any target finds a crash, a sanitizer report, a broken invariant, a leak or a timeout;
# the reproducer is kept in <build_dir>/artifacts/ and the command to replay it is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-20}
build=${2:-$root/build-fuzz}
runs=${GTEST_TMS_FUZZ_RUNS:-}
targets=${GTEST_TMS_FUZZ_TARGETS:-config_env qase_config_json qaspherecli markers retry_after no_proxy response record_roundtrip}
jobs=${JOBS:-$(nproc)}

# clang and its runtime libraries (libFuzzer, sanitizers) besides the usual dependencies.
GTEST_TMS_EXTRA_PKGS="${GTEST_TMS_EXTRA_PKGS:-} clang-14 libclang-rt-14-dev" "$root/.ci/install-deps.sh"
cxx=${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14 || true)}
[ -n "$cxx" ] || { echo "run_fuzzers.sh: clang++ not found" >&2; exit 2; }

echo "== [fuzz] configure + build ($cxx)"
cmake -S "$root/fuzz" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs"

# Scratch space: corpus copies, and TMPDIR for the targets' files (tmpfs when there is one: the
# config targets write a file per input). Removed on exit, whatever happens.
scratch_base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_base=/dev/shm
work=$(mktemp -d "$scratch_base/gtest-tms-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"

max_len_of() {
  case $1 in
    markers) echo 256 ;;
    retry_after) echo 128 ;;
    no_proxy) echo 512 ;;
    qaspherecli) echo 1024 ;;
    *) echo 4096 ;;
  esac
}

# Smaller ASan quarantine: these targets allocate a lot per input, and the default 256 MiB
# quarantine halves the speed through page faults. Everything else stays strict.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target: runs it, then writes its summary line to $work/<t>.result; non-zero on a finding.
run_one() {
  local t=$1 exe="$build/${1}_fuzzer" corpus="$work/corpus/$1" log="$work/$1.log" budget rc start end
  mkdir -p "$corpus" "$work/tmp/$t"
  cp "$root/fuzz/corpus/$t/"* "$corpus/"
  if [ -n "$runs" ]; then budget=(-runs="$runs"); else budget=(-max_total_time="$seconds"); fi
  start=$(date +%s.%N)
  rc=0
  TMPDIR="$work/tmp/$t" "$exe" "${budget[@]}" -max_len="$(max_len_of "$t")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$corpus" >"$log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  local execs rate secs cov line
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
  line=$(printf '%-18s %10s execs in %6ss, %7s exec/s, coverage %s' "$t" "${execs:-?}" "$secs" "${rate:-?}" "${cov:-?}")
  if [ $rc -ne 0 ]; then
    local artifact
    artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
    { tail -n 60 "$log"; echo "== [fuzz] $t FAILED (exit $rc); replay: $exe ${artifact:-<artifact>}"; } >&2
    line+="  FAILED"
  fi
  echo "$line" >"$work/$t.result"
  return $rc
}

# Up to $jobs targets at a time (each is one single-threaded process), so that CI's short run
# costs about ceil(7 / cores) x seconds.
for t in $targets; do
  [ -x "$build/${t}_fuzzer" ] || { echo "run_fuzzers.sh: no target $t" >&2; exit 2; }
done
echo "== [fuzz] running: $targets (${runs:-${seconds} s} each, $jobs at a time)"
failed=()
pids=()
names=()
for t in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$t" &
  pids+=($!)
  names+=("$t")
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done

echo "== [fuzz] summary"
for t in $targets; do cat "$work/$t.result" 2>/dev/null || echo "$t: no result"; done
if [ ${#failed[@]} -ne 0 ]; then
  echo "== [fuzz] FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "== [fuzz] all targets passed: $targets"
