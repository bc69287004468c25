#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build,
# start a local cluster (scheduler + 2 workers on 127.0.0.1, SQLite store),
# run the hello workflow, print its result, stop the cluster.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/deploy/local/install-deps.sh"
"$root/deploy/local/build.sh" "$root/build"

bin="$root/build/bin"
data="$(mktemp -d)"
port_base=$(( 20000 + RANDOM % 20000 ))
addr="127.0.0.1:$port_base"
"$bin/flowgridctl" dev --workers 2 --data "$data" \
  --client_addr "$addr" --worker_addr "127.0.0.1:$((port_base + 1))" >"$data/dev.log" 2>&1 &
dev_pid=$!
trap 'kill -TERM $dev_pid 2>/dev/null; wait $dev_pid 2>/dev/null; rm -rf "$data"' EXIT

for _ in $(seq 1 100); do
  "$bin/flowgridctl" validate "$root/examples/workflows/hello.json" --addr "$addr" \
    >/dev/null 2>&1 && break
  kill -0 $dev_pid 2>/dev/null || { cat "$data/dev.log" >&2; exit 1; }
  sleep 0.1
done

echo "\$ flowgridctl run examples/workflows/hello.json --input name=flowgrid" >&2
"$bin/flowgridctl" run "$root/examples/workflows/hello.json" --input name=flowgrid --addr "$addr"
