#include "worker/sandbox/fd_hygiene.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

namespace flowgrid::sandbox {

int ArrangeChildFds(const ChildFds& fds) noexcept {
  constexpr int kFirstUnusedFd = kChildResultFd + 1;
  const int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (dev_null < 0) return errno;

  // Indexed by target descriptor number.
  const int sources[kFirstUnusedFd] = {dev_null, fds.stdout_fd, fds.stderr_fd,
                                       fds.input_fd, fds.result_fd};
  // First lift every source above the target range, so that placing one
  // target cannot overwrite a source that has not been placed yet.
  int lifted[kFirstUnusedFd];
  for (int target = 0; target < kFirstUnusedFd; ++target) {
    lifted[target] = ::fcntl(sources[target], F_DUPFD_CLOEXEC, kFirstUnusedFd);
    if (lifted[target] < 0) return errno;
  }
  // dup2 clears FD_CLOEXEC on the target: exactly these survive exec.
  for (int target = 0; target < kFirstUnusedFd; ++target) {
    if (::dup2(lifted[target], target) < 0) return errno;
  }
  // Everything above the fixed range goes: the lifted copies, /dev/null and
  // whatever the multithreaded worker had open at clone time. O_CLOEXEC
  // alone would leave them open until exec; closing now is explicit.
  if (::close_range(kFirstUnusedFd, ~0U, 0) != 0) return errno;
  return 0;
}

}  // namespace flowgrid::sandbox
