# Sourced by benchmarks/run.sh: the baseline configuration, flowgrid's own
# worker with its warm runtimes switched off, so that every code node starts
# a fresh `/usr/bin/python3 -I` or `node` (as the systems flowgrid is
# compared with do) with the same harness and the same sandbox steps.
#
# BASELINE_WORKER_FLAGS is the whole difference between the two clusters.
BASELINE_WORKER_FLAGS="--python_zygote=false --node_pool_size=0"

# baseline_worker_flags WORKER_BIN
#   Sets BASELINE_FLAGS_KNOWN (array) to the flags of BASELINE_WORKER_FLAGS
#   that the worker binary knows (per `--helpfull`), and BASELINE_NOTE to a
#   sentence describing what the baseline really is with this binary.
baseline_worker_flags() {
  local worker_bin=$1 help flag name missing=()
  # absl prints the help and exits non-zero; only the text matters.
  help=$("$worker_bin" --helpfull 2>&1 || true)
  BASELINE_FLAGS_KNOWN=()
  for flag in $BASELINE_WORKER_FLAGS; do
    name=${flag#--}
    name=${name%%=*}
    if grep -qw -- "--$name" <<<"$help"; then
      BASELINE_FLAGS_KNOWN+=("$flag")
    else
      missing+=("--$name")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    BASELINE_NOTE="baseline worker flags: ${BASELINE_FLAGS_KNOWN[*]}"
  elif [ ${#BASELINE_FLAGS_KNOWN[@]} -eq 0 ]; then
    BASELINE_NOTE="this flowgrid-worker has none of ${missing[*]}: it has no warm runtimes, so the flowgrid and baseline clusters are IDENTICAL (both start a fresh interpreter per code node) and the ratios only show run-to-run noise"
  else
    BASELINE_NOTE="baseline worker flags: ${BASELINE_FLAGS_KNOWN[*]}; this flowgrid-worker does not know ${missing[*]}, so that part of the comparison is between identical configurations"
  fi
}
