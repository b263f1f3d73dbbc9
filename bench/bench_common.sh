# Sourced by the end-to-end benches: builds what is missing and starts the emulator.
# bench_build BUILD TARGET...: a Release build of the targets unless the last one already exists.
bench_build() {
  local build=$1; shift
  local last=${*: -1}
  if [ ! -x "$build/bench/$last" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTEST_TMS_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j "$(nproc)" --target gtest-tms "$@"
  fi
}

# bench_emulator BUILD ARGS...: serves in a fresh $state (removed on exit) with ARGS added; sets
# $emu (its pid) and $url. Qase's token is the bench's.
bench_emulator() {
  local build=$1; shift
  state=$(mktemp -d)
  trap 'kill $emu 2>/dev/null || true; wait $emu 2>/dev/null || true; rm -rf "$state"' EXIT
  export QASE_TESTOPS_API_TOKEN=bench-token
  "$build/gtest-tms" emulator serve --dir "$state" --for 900 "$@" 2>/dev/null &
  emu=$!
  for _ in $(seq 100); do [ -s "$state/url" ] && break; sleep 0.1; done
  url=$(cat "$state/url")
}
