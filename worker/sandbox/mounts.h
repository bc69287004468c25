// The per-job scratch mounts of a job's child, made in its own mount
// namespace after it entered the job root (job_root.h), or per job in the
// children of a zygote that entered the root once:
//   - a fresh size-limited tmpfs on /tmp and on /dev/shm, private to the
//     job and gone with it, so nothing persists from one job to the next;
//   - a new /proc for the job's pid namespace (the inherited one would show
//     every host process).
// The parent prepares the strings once; the child only makes the mount(2)
// calls, allocation-free.
#ifndef FLOWGRID_WORKER_SANDBOX_MOUNTS_H_
#define FLOWGRID_WORKER_SANDBOX_MOUNTS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace flowgrid::sandbox {

struct ScratchMounts {
  // tmpfs options of /tmp and /dev/shm ("size=…,mode=1777").
  std::string tmpfs_data;
};

// Parent side. `tmpfs_size` is the size of each of /tmp and /dev/shm in
// tmpfs syntax ("64m").
ScratchMounts MakeScratchMounts(absl::string_view tmpfs_size);

// Child side, async-signal-safe, after EnterJobRoot (the mount points are
// the root's). Returns 0 or errno.
int MountJobScratch(const ScratchMounts& scratch) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_MOUNTS_H_
