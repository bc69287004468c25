#!/usr/bin/env bash
# A real cluster (flowgridctl dev: scheduler + one worker) whose processes
# hold exactly the capabilities deploy/k8s/base/worker-deployment.yaml gives
# the worker container runs a Python, a Jinja2 template and a JavaScript
# workflow through the full kernel sandbox, and a job sleeping past its
# deadline ends TIMEOUT. Then, for each of those capabilities, the same
# cluster without it must fail one of these.
# The worker gets a cgroup parent made here (root-owned, 0755) in every
# mounted hierarchy, as in a pod, where it writes below its own cgroup; a
# host's hierarchy roots may need CAP_DAC_OVERRIDE, which pods do not get.
# Job uids in a range of their own (100000 + 16 per pid mod 1000): ctest runs
# other test clusters meanwhile (LocalCluster's from 60000, chaos's from 200000).
#   worker_capabilities_test.sh BIN_DIR     (root, like the worker)
set -euo pipefail
bin="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
examples="$root/examples/workflows"
work="$(mktemp -d)"
parent="flowgrid-capabilities-test-$$"
delegated=()
dev_pid=""
addr=""

# Stops the cluster. A worker that cannot stop (one that may not signal its
# jobs) is killed after 15 s; returns 1 then.
stop() {
  [ -n "$dev_pid" ] || return 0
  local workers stopped=0
  workers=$(pgrep -P "$dev_pid" -x flowgrid-worker || true)
  kill -TERM "$dev_pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$dev_pid" 2>/dev/null || { stopped=1; break; }
    sleep 0.1
  done
  if [ "$stopped" = 0 ]; then
    for w in $workers; do kill -KILL "$w" 2>/dev/null || true; done
  fi
  wait "$dev_pid" 2>/dev/null || true
  dev_pid=""
  [ "$stopped" = 1 ]
}
# Removes the cgroup parents, killing what is left in them (a job whose
# worker could not kill it outlives that worker), retrying for 10 s while
# killed processes leave.
remove_cgroups() {
  local d left
  for _ in $(seq 1 100); do
    left=0
    for d in "${delegated[@]}"; do
      [ -d "$d" ] || continue
      find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u |
        while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done
      find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
      rmdir "$d" 2>/dev/null || left=1
    done
    [ "$left" = 0 ] && return 0
    sleep 0.1
  done
  echo "left behind: ${delegated[*]}" >&2
}
trap 'stop || true; remove_cgroups; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/dev.log" ] && tail -20 "$work/dev.log" >&2; exit 1; }

caps=$(/usr/bin/python3 - "$root/deploy/k8s/base/worker-deployment.yaml" <<'PY'
import sys, yaml
[deployment] = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
[container] = deployment["spec"]["template"]["spec"]["containers"]
print(" ".join(c.lower() for c in container["securityContext"]["capabilities"]["add"]))
PY
)
[ -n "$caps" ] || fail "no capabilities found in the worker Deployment"

# mountinfo: ID PARENT DEV ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ...
for mount_point in $(awk '{ for (i = 7; i < NF; i++) if ($i == "-") {
                              if ($(i + 1) ~ /^cgroup2?$/) print $5; break } }' /proc/self/mountinfo); do
  mkdir "$mount_point/$parent"
  delegated+=("$mount_point/$parent")
done
[ ${#delegated[@]} -gt 0 ] || fail "no cgroup hierarchy is mounted"

cat > "$work/nap.json" <<'JSON'
{"name": "nap", "nodes": [
  {"id": "start", "title": "Start", "start": {"variables": []}},
  {"id": "nap", "title": "Sleeps past its deadline",
   "code": {"language": "PYTHON3",
            "code": "import time\ndef main() -> dict:\n    time.sleep(60)\n    return {}\n",
            "inputs": [], "outputs": {}},
   "limits": {"timeoutMs": "1000"}},
  {"id": "end", "title": "End", "end": {"outputs": []}}],
 "edges": [{"source": "start", "target": "nap"}, {"source": "nap", "target": "end"}]}
JSON

# Starts the cluster with the bounding set `caps` (every process below
# setpriv gets exactly these as root). Sets `addr` to the client address
# once the worker reports its kernel sandbox on; leaves it empty if the
# worker refuses to start or nothing comes up within 30 s.
start() {
  local set="-all"
  for c in $1; do set="$set,+$c"; done
  addr=""
  rm -rf "$work/data" "$work/dev.log"
  mkdir "$work/data"
  # --insecure: plaintext; this test is about the worker's capabilities.
  setpriv --bounding-set="$set" -- "$bin/flowgridctl" dev --insecure --workers 1 --slots 2 \
    --data "$work/data" --client_addr 127.0.0.1:0 --worker_addr 127.0.0.1:0 \
    --worker_arg=--cgroup_parent=/"$parent" \
    --worker_arg=--sandbox_uid_base=$((100000 + $$ % 1000 * 16)) >"$work/dev.log" 2>&1 &
  dev_pid=$!
  for _ in $(seq 1 300); do
    grep -q "refusing to start" "$work/dev.log" && return 0
    kill -0 "$dev_pid" 2>/dev/null || return 0
    if grep -q "kernel sandbox on" "$work/dev.log"; then
      addr=$(sed -n 's/^export FLOWGRID_ADDR=//p' "$work/dev.log")
      return 0
    fi
    sleep 0.1
  done
}

# Runs a workflow (20 s at most): its table output on stdout, its progress
# and errors in $work/run.err.
run() {
  timeout 20 "$bin/flowgridctl" run "$@" --addr "$addr" --output table 2>"$work/run.err"
}

# Whether every job kind runs and the deadline holds; says what failed.
cluster_works() {
  local out
  out=$(run "$examples/hello.json" --input name=World) &&
    [ "$out" = 'greeting  "Hello, World!"' ] || { echo "hello: $out"; return 1; }
  out=$(run "$examples/template.json" --inputs_json "$examples/inputs/template.json") &&
    [ "$out" = 'text  "ORDER 42\n- apple x2\n- pear x3\ntotal: 5 item(s)"' ] ||
    { echo "template: $out"; return 1; }
  out=$(run "$examples/javascript.json" --input 'text=flowgrid runs  Dify workflows') &&
    case "$out" in *'longest     "workflows"'*) ;; *) false ;; esac ||
    { echo "javascript: $out"; return 1; }
  if out=$(run "$work/nap.json"); then echo "a job past its deadline succeeded"; return 1; fi
  grep -q TIMEOUT "$work/run.err" || { echo "a job past its deadline did not end TIMEOUT"; return 1; }
}

start "$caps"
[ -n "$addr" ] || fail "the cluster did not start with capabilities: $caps"
why=$(cluster_works) || fail "with $caps: $why"
stop || fail "with $caps the worker did not stop on SIGTERM"
echo "with $caps: Python, template and JavaScript jobs ran sandboxed, the deadline held"

for missing in $caps; do
  fewer=""
  for c in $caps; do [ "$c" = "$missing" ] || fewer="$fewer $c"; done
  start "$fewer"
  if [ -z "$addr" ]; then
    why="the worker refused to start"
  elif ! why=$(cluster_works); then
    :
  else
    why=""
  fi
  stop || why="${why:+$why; }the worker did not stop on SIGTERM"
  [ -n "$why" ] || fail "without $missing everything worked: is it needed?"
  echo "without $missing: ${why//$'\n'/ }"
done
