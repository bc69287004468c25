#!/usr/bin/env bash
# Configures and builds flowgrid into DIR (default build/).
#   deploy/local/build.sh [DIR] [extra cmake args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="${1:-$root/build}"
shift || true
export CCACHE_BASEDIR="$root"
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
