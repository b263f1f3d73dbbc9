#!/usr/bin/env bash
# Runs every test: a -Werror build with ctest (unit, network over TLS on 127.0.0.1, end-to-end with
# golden request logs, packaging), the lint checks (clang-format, clang-tidy), a short libFuzzer run
# (fuzz/), then the same suite under ASan+UBSan and under TSan, then Clang + libc++.
# Each build is also a point of the compatibility matrix (versions from Debian's archive, fetched by
# .ci/compat-deps.sh): plain is GCC 12 Release (-O3) + Debian's Boost 1.81 (Boost.URL's static
# library) and GoogleTest 1.12, and its packaging consumers fetch GoogleTest 1.16 (add_subdirectory,
# shared) and 1.18 (FetchContent, Clang Release with -Werror); asan is
# GCC 12 + a Boost 1.83 header tree + GoogleTest 1.16 from source; tsan the system's; compat Clang 14
# + libc++ 14 + Boost 1.90 + GoogleTest 1.18. compat-old (GCC, Boost 1.83, GoogleTest 1.16, the unit
# tests only) is not run by default any more: asan runs the whole suite on those versions.
# GTEST_TMS_TEST_VARIANTS selects a subset, e.g. "plain" or "plain asan".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${GTEST_TMS_TEST_DIR:-$root/build-tests}
jobs=${JOBS:-$(nproc)}
variants=${GTEST_TMS_TEST_VARIANTS:-plain lint fuzz asan tsan compat}
compat_cache=${GTEST_TMS_COMPAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gtest-tms-compat}

"$root/.ci/install-deps.sh"
# The Qase spec checker the end-to-end tests call (Node modules from the npm registry, pinned).
if [ ! -d "$root/test/spec/node_modules/ajv" ]; then
  (cd "$root/test/spec" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# Fetched once, before the first build that needs them.
case " $variants " in
  *" plain "* | *" asan "* | *" compat "* | *" compat-old "*) "$root/.ci/compat-deps.sh" "$compat_cache" >/dev/null ;;
esac

run_variant() {
  local name=$1; shift
  echo "== [$name] configure + build"
  cmake -S "$root" -B "$out/$name" -DGTEST_TMS_WERROR=ON "$@" >/dev/null
  cmake --build "$out/$name" -j "$jobs" ${build_targets:+--target $build_targets}
  if [ -n "${only_binary:-}" ]; then  # one test binary, run directly (its siblings are not built)
    echo "== [$name] $only_binary"
    "$out/$name/$only_binary" --gtest_brief=1
    return
  fi
  echo "== [$name] ctest"
  (cd "$out/$name" && ctest --output-on-failure -j "$jobs" --timeout 600)
}

# A Boost header tree with Boost.URL's sources and a GoogleTest source tree, no system library of either:
# run_compat <name> <boost version> <googletest version> <cmake args>...
run_compat() {
  local name=$1 boost=$2 gtest=$3; shift 3
  run_variant "$name" -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0" -DGTEST_TMS_BUILD_BENCH=OFF \
    -DGTEST_TMS_INSTALL=OFF "-DCMAKE_PREFIX_PATH=$compat_cache/boost-$boost/usr" \
    "-DGTEST_TMS_BOOST_URL_SOURCES=$compat_cache/boost-$boost-url-src" \
    "-DGTEST_TMS_GOOGLETEST_SOURCES=$compat_cache/googletest-$gtest/usr/src/googletest" "$@"
}

# clang-format over every tracked C++ file, clang-tidy (.clang-tidy) over src/ and tools/: any finding fails.
# Not over the two files that only compile Boost's own sources (asio_impl.cpp, third_party/): ~15 s of
# analysis of no line of ours.
run_lint() {
  echo "== [lint] clang-format"
  (cd "$root" && git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror)
  echo "== [lint] clang-tidy"
  cmake -S "$root" -B "$out/lint" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
  local log="$out/lint/clang-tidy.log"
  run-clang-tidy -p "$out/lint" -j "$jobs" -quiet "$root/src/(?!third_party/|net/asio_impl\.cpp)" "$root/tools/" \
    >"$log" 2>&1 || true
  if grep -E "(warning|error):" "$log"; then
    echo "clang-tidy found the problems above (full output: $log)" >&2
    return 1
  fi
}

# Sanitizer builds use -O0/-O1 with line tables only: UBSan+ASan at -O2 -g costs 218 s of compile for
# https_transport.cpp alone (48 s at -O0 -g1), TSan 56 s (39 s at -O1 -g1); the reports keep file:line.
for v in $variants; do
  started=$SECONDS
  case $v in
    plain) run_variant plain -DCMAKE_BUILD_TYPE=Release -DGTEST_TMS_PACKAGING_ADD_SUBDIRECTORY=ON \
             "-DGTEST_TMS_GOOGLETEST_SOURCE_ADD_SUBDIRECTORY=$compat_cache/googletest-1.16/usr/src/googletest" \
             "-DGTEST_TMS_GOOGLETEST_SOURCE_FETCHCONTENT=$compat_cache/googletest-1.18/usr/src/googletest" ;;
    lint) run_lint ;;
    fuzz) "$root/fuzz/run_fuzzers.sh" 15 "$out/fuzz" ;;  # 7 targets x 15 s, plus a ~1 min clang build
    # GCC 12's ASan allocator is not fork-safe: a death-test child forked while the io thread was
    # inside malloc deadlocks in its exit-time leak check. Death tests re-exec here as under TSan.
    # ASan leaves fatal signals to the reporter's own handler (handle_*=0), which the crash tests check.
    asan) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            GTEST_DEATH_TEST_STYLE=threadsafe \
            run_compat asan 1.83 1.16 "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1" -DGTEST_TMS_SANITIZE=address,undefined ;;
    # fork() with live threads under TSan can deadlock the child (gtest warns about it); death
    # tests default to the re-exec style here, the fast style is still run where a test asks for it.
    tsan) TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 GTEST_DEATH_TEST_STYLE=threadsafe \
            run_variant tsan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DGTEST_TMS_SANITIZE=thread -DGTEST_TMS_BUILD_BENCH=OFF -DGTEST_TMS_INSTALL=OFF ;;
    # libc++ from the cache, not installed: its headers instead of libstdc++'s, linked at the end.
    compat) lcxx="$compat_cache/libcxx/usr/lib/llvm-14"
            CC=clang CXX=clang++ run_compat compat 1.90 1.18 \
              "-DCMAKE_CXX_FLAGS=-nostdinc++ -isystem $lcxx/include/c++/v1 -Wno-unused-command-line-argument" \
              "-DCMAKE_EXE_LINKER_FLAGS=-nostdlib++ -L$lcxx/lib -Wl,-rpath,$lcxx/lib" \
              "-DCMAKE_SHARED_LINKER_FLAGS=-nostdlib++ -L$lcxx/lib -Wl,-rpath,$lcxx/lib" \
              "-DCMAKE_CXX_STANDARD_LIBRARIES=-lc++ -lc++abi" ;;
    compat-old) build_targets=gtest_tms_unit_tests only_binary=test/gtest_tms_unit_tests run_compat compat-old 1.83 1.16 ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  echo "== [$v] done in $((SECONDS - started)) s"
done
echo "== all test variants passed: $variants"
