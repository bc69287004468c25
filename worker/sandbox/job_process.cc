#include "worker/sandbox/job_process.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace flowgrid::sandbox {
namespace {

absl::Duration TimevalToDuration(const struct timeval& tv) {
  return absl::Seconds(tv.tv_sec) + absl::Microseconds(tv.tv_usec);
}

}  // namespace

void OwnChild::Kill() {
  // Not reaped yet, so the pid still names the child's process group.
  ::kill(-child_.pid, SIGKILL);
}

absl::StatusOr<ProcessExit> OwnChild::Reap() {
  int wait_status = 0;
  struct rusage usage = {};
  while (::wait4(child_.pid, &wait_status, 0, &usage) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("wait4: ", std::strerror(errno)));
  }
  if (cgroup_ != nullptr) {
    if (absl::Status killed = cgroup_->KillAll(); !killed.ok()) return killed;
  }
  return ProcessExit{wait_status, TimevalToDuration(usage.ru_utime) + TimevalToDuration(usage.ru_stime),
                     static_cast<int64_t>(usage.ru_maxrss) * 1024};  // KiB
}

}  // namespace flowgrid::sandbox
