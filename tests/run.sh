#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is
# missing, builds once normally and once with AddressSanitizer + UBSan, and
# runs every test under ctest (unit tests under the sanitizers too).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/deploy/local/install-deps.sh"

"$root/deploy/local/build.sh" "$root/build"
echo "== tests (release build)"
ctest --test-dir "$root/build" --output-on-failure -j "$(nproc)" --timeout 300 -LE chaos
# Alone, after the others: it kills and restarts its own processes under
# load and is bounded by its own deadline (tests/chaos/README.md).
echo "== chaos test (short form)"
ctest --test-dir "$root/build" --output-on-failure -L chaos

"$root/deploy/local/build.sh" "$root/build-asan" \
  -DFLOWGRID_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
echo "== unit tests (AddressSanitizer + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j "$(nproc)" -L unit --timeout 300
