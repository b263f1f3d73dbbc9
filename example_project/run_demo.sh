#!/usr/bin/env bash
# The main job: build and install gtest-tms-reporter, start the bundled local TMS emulator over
# HTTPS, run example_project reporting to it (Qase and QA Sphere at once), print what arrived.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${GTEST_TMS_DEMO_DIR:-$root/build-demo}
jobs=${JOBS:-$(nproc)}

"$root/.ci/install-deps.sh"

cmake -S "$root" -B "$work/reporter" -DCMAKE_BUILD_TYPE=Release -DGTEST_TMS_BUILD_TESTS=OFF \
  -DGTEST_TMS_BUILD_BENCH=OFF -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
cmake --build "$work/reporter" -j "$jobs"
cmake --install "$work/reporter" >/dev/null
cmake -S "$root/example_project" -B "$work/example" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/example" -j "$jobs"

tms="$work/prefix/bin/gtest-tms"
state="$work/emulator"
rm -rf "$state" && mkdir -p "$state"
# Demo credentials for the local emulator only.
export QASE_TESTOPS_API_TOKEN=demo-qase-token
export QAS_TOKEN=tenant1.key1.demo-secret
"$tms" emulator serve --dir "$state" --for 300 &
emu=$!
trap 'kill $emu 2>/dev/null || true; wait $emu 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$state/url" ] && break; sleep 0.1; done
[ -s "$state/url" ] || { echo "emulator did not start" >&2; exit 1; }
url=$(cat "$state/url")

echo "== running example_project/example_tests, reporting to $url"
set +e
(
  cd "$work/example"
  QASE_MODE=testops QASE_TESTOPS_PROJECT=DEMO QASE_TESTOPS_API_HOST="$url" \
  QAS_URL="$url" QAS_PROJECT_CODE=BD SSL_CERT_FILE="$state/ca.pem" \
    ./example_tests
)
code=$?
set -e
echo "== example_tests exited with $code (failures are on purpose; the reporter never changes it)"
echo "== what arrived at the emulator"
"$tms" emulator show "$state"
