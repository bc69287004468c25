# Sourced by benchmarks/run.sh: a local cluster for one benchmark
# configuration, started with `flowgridctl dev` (scheduler + one worker on
# 127.0.0.1, ports picked at runtime) and stopped by its process id.
#
#   cluster_start BIN_DIR DATA_DIR SLOTS [WORKER_FLAG...]
#       sets CLUSTER_PID and CLUSTER_ADDR; the log is DATA_DIR/dev.log
#   cluster_memory       one line: scheduler RSS, worker RSS, worker tree
#   cluster_stop         SIGTERM, then SIGKILL after a bounded grace

CLUSTER_PID=""
CLUSTER_ADDR=""
CLUSTER_LOG=""

cluster_start() {
  local bin_dir=$1 data_dir=$2 slots=$3
  shift 3
  local worker_args=()
  local flag
  for flag in "$@"; do worker_args+=("--worker_arg=$flag"); done
  mkdir -p "$data_dir"
  CLUSTER_LOG="$data_dir/dev.log"
  # Created here: the background job's own redirection may come after the
  # first read below.
  : >"$CLUSTER_LOG"
  # --insecure: plaintext as in the measurements so far (flowgrid-bench
  # takes an address only).
  "$bin_dir/flowgridctl" dev --insecure --workers 1 --slots "$slots" --data "$data_dir" \
    --client_addr 127.0.0.1:0 --worker_addr 127.0.0.1:0 "${worker_args[@]}" \
    >"$CLUSTER_LOG" 2>&1 &
  CLUSTER_PID=$!
  CLUSTER_ADDR=""
  local _
  for _ in $(seq 1 300); do  # up to 30 s
    CLUSTER_ADDR=$(sed -n 's/^export FLOWGRID_ADDR=//p' "$CLUSTER_LOG")
    [ -n "$CLUSTER_ADDR" ] && return 0
    kill -0 "$CLUSTER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the local cluster did not start; its log ($CLUSTER_LOG):" >&2
  cat "$CLUSTER_LOG" >&2
  cluster_stop
  return 1
}

# VmRSS of one process in kB (0 when it is gone).
_rss_kb() {
  awk '/^VmRSS:/ {print $2; found=1} END {if (!found) print 0}' "/proc/$1/status" 2>/dev/null ||
    echo 0
}

# The process and all its descendants, one pid a line.
_process_tree() {
  echo "$1"
  local child
  for child in $(pgrep -P "$1"); do _process_tree "$child"; done
}

# The direct child of the dev process whose command name starts with $1.
_cluster_child() {
  local child
  for child in $(pgrep -P "$CLUSTER_PID"); do
    case "$(cat "/proc/$child/comm" 2>/dev/null)" in "$1"*) echo "$child"; return ;; esac
  done
}

cluster_memory() {
  local scheduler worker
  scheduler=$(_cluster_child flowgrid-sched)
  worker=$(_cluster_child flowgrid-worker)
  if [ -z "$scheduler" ] || [ -z "$worker" ]; then
    echo "memory: scheduler or worker process not found"
    return
  fi
  local tree_kb=0 count=0 pid
  for pid in $(_process_tree "$worker"); do
    tree_kb=$((tree_kb + $(_rss_kb "$pid")))
    count=$((count + 1))
  done
  awk -v s="$(_rss_kb "$scheduler")" -v w="$(_rss_kb "$worker")" -v t="$tree_kb" -v n="$count" \
    'BEGIN {printf "scheduler RSS %.1f MB; worker RSS %.1f MB; worker with its runtime processes %.1f MB (%d processes, RSS summed, shared pages counted each time)\n", s/1024, w/1024, t/1024, n}'
}

cluster_stop() {
  [ -n "$CLUSTER_PID" ] || return 0
  kill -TERM "$CLUSTER_PID" 2>/dev/null || true
  local _
  for _ in $(seq 1 300); do  # up to 30 s; dev stops its children in order
    kill -0 "$CLUSTER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$CLUSTER_PID" 2>/dev/null; then
    echo "the cluster (pid $CLUSTER_PID) outlived 30 s after SIGTERM; killing it" >&2
    kill -KILL "$CLUSTER_PID" 2>/dev/null || true
  fi
  wait "$CLUSTER_PID" 2>/dev/null || true
  CLUSTER_PID=""
}
