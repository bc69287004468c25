// The unprivileged identity of a job's child process.
//
// A job runs as a uid/gid of its own, not root and not shared with a
// concurrently running job: RLIMIT_NPROC and file ownership are per uid, so
// concurrent jobs must not share one. Leases come from a pool
// [base, base + count); the uid has no entry in /etc/passwd and owns no file.
#ifndef FLOWGRID_WORKER_SANDBOX_CREDENTIALS_H_
#define FLOWGRID_WORKER_SANDBOX_CREDENTIALS_H_

#include <sys/types.h>

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace flowgrid::sandbox {

class UidPool {
 public:
  UidPool(uid_t base, int count);

  // The lowest free uid; ResourceExhausted when all are leased (more
  // concurrent jobs than the pool was sized for).
  absl::StatusOr<uid_t> Acquire();
  void Release(uid_t uid);

 private:
  const uid_t base_;
  absl::Mutex mutex_;
  std::vector<bool> leased_ ABSL_GUARDED_BY(mutex_);
};

// Child side, async-signal-safe: no supplementary groups, then gid, then
// uid (real, effective and saved). Raw system calls on purpose: glibc's
// wrappers broadcast the change to every thread of the process, and the
// child still shares the worker's memory and thread list. Returns 0 or errno.
int DropToUser(uid_t uid, gid_t gid) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_CREDENTIALS_H_
