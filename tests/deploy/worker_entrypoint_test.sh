#!/usr/bin/env bash
# deploy/docker/worker-entrypoint.sh in a private mount and cgroup namespace
# (as in a container): a read-only cgroup2 /sys/fs/cgroup is remounted
# read-write before the worker starts with its arguments; without
# CAP_SYS_ADMIN the entrypoint refuses clearly; a writable one is left alone.
# Needs root (unshare, mount), like the worker.
set -euo pipefail
entrypoint="$(cd "$(dirname "$0")/../.." && pwd)/deploy/docker/worker-entrypoint.sh"

# Runs the entrypoint with `cgroup_mode` (ro|rw) on /sys/fs/cgroup, a stand-in
# /usr/local/bin/flowgrid-worker that prints how it found /sys/fs/cgroup and
# its arguments, and `setpriv` arguments limiting capabilities.
run_case() {
  local cgroup_mode="$1"
  shift
  unshare --mount --cgroup --propagation private /bin/sh -s "$entrypoint" "$cgroup_mode" "$@" <<'INNER'
set -eu
entrypoint="$1"; cgroup_mode="$2"; shift 2
mount -t tmpfs -o mode=0755 flowgrid-test /usr/local/bin
cat > /usr/local/bin/flowgrid-worker <<'WORKER'
#!/bin/sh
if mkdir /sys/fs/cgroup/flowgrid-entrypoint-test 2>/dev/null; then
  rmdir /sys/fs/cgroup/flowgrid-entrypoint-test
  echo "cgroup writable; args: $*"
else
  echo "cgroup read-only; args: $*"
fi
WORKER
chmod 0755 /usr/local/bin/flowgrid-worker
mount -t cgroup2 -o "$cgroup_mode,nosuid,nodev,noexec" flowgrid-test /sys/fs/cgroup
exec setpriv "$@" /bin/sh "$entrypoint" --slots=1 --drain_grace=5s
INNER
}

fail() { echo "FAIL: $*" >&2; exit 1; }

out=$(run_case ro)
[ "$out" = "cgroup writable; args: --slots=1 --drain_grace=5s" ] || fail "read-only cgroup: got '$out'"

if out=$(run_case ro --bounding-set=-sys_admin 2>&1); then
  fail "without CAP_SYS_ADMIN the entrypoint started the worker: '$out'"
fi
case "$out" in
  *"needs CAP_SYS_ADMIN"*) ;;
  *) fail "without CAP_SYS_ADMIN: no clear reason in '$out'" ;;
esac

out=$(run_case rw --bounding-set=-sys_admin)
[ "$out" = "cgroup writable; args: --slots=1 --drain_grace=5s" ] || fail "writable cgroup: got '$out'"
echo "worker entrypoint: 3 cases passed"
