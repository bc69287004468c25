#!/usr/bin/env bash
# flowgrid against the fresh-interpreter baseline, side by side, in one run.
#
#   benchmarks/run.sh [--smoke] [--build_dir DIR] [--no_build] [--out DIR]
#
# Builds (deploy/local/build.sh, a no-op when up to date) unless --no_build,
# then for each configuration — "flowgrid" (the worker's defaults) and
# "baseline" (the same worker with BASELINE_WORKER_FLAGS, see
# baselines/fresh_interpreter.sh) — starts a local cluster (scheduler + one
# worker with 2 slots on 127.0.0.1), reports its idle memory, runs
# flowgrid-bench for each case, and stops it. Prints a Markdown table of
# both with ratios. Every flowgrid-bench JSON report and the cluster logs
# are kept in --out (default: a new directory under /tmp).
#
# Bounded: the default takes 2–3 minutes (each case measures for a fixed
# duration); --smoke runs a handful of runs per case (< 30 s on an idle
# machine) and is what CI runs (ctest -L bench). Exit status 1 when a case
# had a run that did not succeed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/benchmarks"
source "$here/lib/cluster.sh"
source "$here/baselines/fresh_interpreter.sh"

smoke=0
build=1
build_dir="$root/build"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --no_build) build=0 ;;
    --build_dir) build_dir=$2; shift ;;
    --build_dir=*) build_dir=${1#*=} ;;
    --out) out=$2; shift ;;
    --out=*) out=${1#*=} ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
bin="$build_dir/bin"
[ -n "$out" ] || out=$(mktemp -d /tmp/flowgrid-bench.XXXXXX)
mkdir -p "$out"

if [ $build -eq 1 ]; then
  echo "building into $build_dir ..." >&2
  bash "$root/deploy/local/build.sh" "$build_dir" >"$out/build.log" 2>&1 ||
    { tail -n 40 "$out/build.log" >&2; exit 1; }
fi
for binary in flowgrid-scheduler flowgrid-worker flowgridctl flowgrid-bench; do
  [ -x "$bin/$binary" ] || { echo "run.sh: $bin/$binary is missing (build first)" >&2; exit 1; }
done

workflows="$here/workflows"
if [ $smoke -eq 1 ]; then
  # Few runs, still through both the latency and the concurrent path.
  throughput_c=6
  load_c1=(--total=4 --warmup=1)
  load_cn=(--total=12 --warmup=2)
else
  throughput_c=32
  load_c1=(--duration=8s --warmup=10)
  load_cn=(--duration=8s --warmup=64)
fi
# Each case: NAME|WORKFLOW|INPUTS|CONCURRENCY. Python echo and JavaScript
# echo at concurrency 1 (latency) and high concurrency (throughput); the
# full run adds a Python node doing some work, to show how the gain shrinks
# as the work grows.
cases=(
  "python echo c=1|python_echo.json|--input=text=hello|1"
  "python echo c=$throughput_c|python_echo.json|--input=text=hello|$throughput_c"
  "javascript echo c=1|javascript_echo.json|--input=text=hello|1"
  "javascript echo c=$throughput_c|javascript_echo.json|--input=text=hello|$throughput_c"
)
[ $smoke -eq 1 ] || cases+=("python compute c=1|python_compute.json|--input=text=hello --input=n=1000|1")

baseline_worker_flags "$bin/flowgrid-worker"
echo "$BASELINE_NOTE" | tee "$out/baseline-note.txt" >&2

trap cluster_stop EXIT
failed=0
: >"$out/memory.txt"
for config in flowgrid baseline; do
  flags=()
  [ "$config" = baseline ] && flags=("${BASELINE_FLAGS_KNOWN[@]}")
  echo "== $config cluster (worker flags: ${flags[*]:-defaults}) ==" >&2
  rm -rf "$out/$config-data"  # a fresh store: no history from an earlier run in --out
  cluster_start "$bin" "$out/$config-data" 2 "${flags[@]}"
  sleep 2  # let the worker connect and its runtimes start before measuring idle memory
  echo "$config idle after start: $(cluster_memory)" | tee -a "$out/memory.txt" >&2
  for case_spec in "${cases[@]}"; do
    IFS='|' read -r name workflow inputs concurrency <<<"$case_spec"
    load=("${load_c1[@]}")
    [ "$concurrency" -gt 1 ] && load=("${load_cn[@]}")
    report="$out/$config-${name// /-}.json"
    echo "  $name ..." >&2
    # shellcheck disable=SC2086  # inputs is a list of flags
    if ! "$bin/flowgrid-bench" --addr "$CLUSTER_ADDR" --workflow "$workflows/$workflow" \
        $inputs --concurrency "$concurrency" "${load[@]}" --timeout 60s --json \
        >"$report" 2>"$report.stderr"; then
      failed=1
      echo "  $name: not every run succeeded (or the bench failed):" >&2
      cat "$report.stderr" >&2
      python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  ", r["status_counts"], r["error_counts"], r["first_messages"])' \
        "$report" >&2 2>/dev/null || true
    fi
  done
  echo "$config idle after load: $(cluster_memory)" | tee -a "$out/memory.txt" >&2
  cluster_stop
done

python3 "$here/lib/compare.py" "$out" "${cases[@]%%|*}" | tee "$out/table.md"
echo
cat "$out/memory.txt"
echo "$BASELINE_NOTE"
echo "reports and logs: $out"
exit $failed
