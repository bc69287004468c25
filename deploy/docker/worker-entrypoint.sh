#!/bin/sh
# Starts flowgrid-worker in a container (PID 2, under tini).
#
# On a cgroup v2 node with a private cgroup namespace (Docker's and
# containerd's default on v2) /sys/fs/cgroup is this container's own cgroup,
# and the runtime mounts it read-only unless the container is privileged.
# The worker makes one cgroup per job slot below it, so the mount is made
# writable again: that needs CAP_SYS_ADMIN and an AppArmor profile allowing
# mount (deploy/docker/README.md). It stays bounded by the container's own
# limits: the namespace shows nothing above this container's cgroup.
set -eu

# mountinfo: ID PARENT DEV ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ...
cgroup_options=$(awk '$5 == "/sys/fs/cgroup" {
  for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $6; break }
}' /proc/self/mountinfo)
case ",$cgroup_options," in
  *,ro,*)
    if ! mount -o remount,rw /sys/fs/cgroup; then
      echo "flowgrid-worker-entrypoint: /sys/fs/cgroup is read-only and cannot be remounted" \
           "read-write: the worker needs CAP_SYS_ADMIN and an unconfined AppArmor profile" \
           "(see deploy/docker/README.md)" >&2
      exit 1
    fi
    ;;
esac
exec /usr/local/bin/flowgrid-worker "$@"
