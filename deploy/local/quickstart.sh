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
# Created before dev starts: the background job's own redirection may come
# after the first read below.
: >"$data/dev.log"
# Port 0: the kernel picks free ports. dev prints the client address, the CA
# of its TLS certificates and the file holding its API key as export lines.
"$bin/flowgridctl" dev --workers 2 --data "$data" \
  --client_addr 127.0.0.1:0 --worker_addr 127.0.0.1:0 >"$data/dev.log" 2>&1 &
dev_pid=$!
trap 'kill -TERM $dev_pid 2>/dev/null; wait $dev_pid 2>/dev/null; rm -rf "$data"' EXIT

addr=""
for _ in $(seq 1 300); do
  addr=$(sed -n 's/^export FLOWGRID_ADDR=//p' "$data/dev.log")
  [ -n "$addr" ] && break
  kill -0 $dev_pid 2>/dev/null || { cat "$data/dev.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "the local cluster did not start:" >&2; cat "$data/dev.log" >&2; exit 1; }
# Printed at once with the address.
export FLOWGRID_ADDR="$addr"
export FLOWGRID_TLS_CA="$(sed -n 's/^export FLOWGRID_TLS_CA=//p' "$data/dev.log")"
export FLOWGRID_API_KEY_FILE="$(sed -n 's/^export FLOWGRID_API_KEY_FILE=//p' "$data/dev.log")"
if [ -z "$FLOWGRID_TLS_CA" ] || [ -z "$FLOWGRID_API_KEY_FILE" ]; then
  echo "flowgridctl dev printed no CA or API key file:" >&2; cat "$data/dev.log" >&2; exit 1
fi

echo "\$ flowgridctl run examples/workflows/hello.json --input name=flowgrid" >&2
"$bin/flowgridctl" run "$root/examples/workflows/hello.json" --input name=flowgrid
