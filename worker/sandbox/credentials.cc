#include "worker/sandbox/credentials.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace flowgrid::sandbox {

UidPool::UidPool(uid_t base, int count) : base_(base), leased_(static_cast<size_t>(count)) {}

absl::StatusOr<uid_t> UidPool::Acquire() {
  absl::MutexLock lock(&mutex_);
  for (size_t i = 0; i < leased_.size(); ++i) {
    if (!leased_[i]) {
      leased_[i] = true;
      return base_ + static_cast<uid_t>(i);
    }
  }
  return absl::ResourceExhaustedError("every sandbox uid is in use");
}

void UidPool::Release(uid_t uid) {
  absl::MutexLock lock(&mutex_);
  leased_[uid - base_] = false;
}

int DropToUser(uid_t uid, gid_t gid) noexcept {
  if (::syscall(SYS_setgroups, 0, nullptr) != 0) return errno;
  if (::syscall(SYS_setresgid, gid, gid, gid) != 0) return errno;
  if (::syscall(SYS_setresuid, uid, uid, uid) != 0) return errno;
  return 0;
}

}  // namespace flowgrid::sandbox
