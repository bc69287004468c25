#include "worker/sandbox/process_lifetime.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace flowgrid::sandbox {

int StartOwnSession() noexcept { return ::setsid() < 0 ? errno : 0; }

int DieWithWorker(pid_t worker_pid) noexcept {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return errno;
  // The worker may have died between clone and prctl; the signal would then
  // never come.
  if (::getppid() != worker_pid) return ESRCH;
  return 0;
}

}  // namespace flowgrid::sandbox
