#include "worker/sandbox/signals.h"

#include <errno.h>

namespace flowgrid::sandbox {

int ResetSignals(const sigset_t& mask_for_exec) noexcept {
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    // EINVAL for the numbers reserved by glibc's threading is expected.
    if (::sigaction(sig, &default_action, nullptr) != 0 && errno != EINVAL) {
      return errno;
    }
  }
  return ::sigprocmask(SIG_SETMASK, &mask_for_exec, nullptr) == 0 ? 0 : errno;
}

}  // namespace flowgrid::sandbox
