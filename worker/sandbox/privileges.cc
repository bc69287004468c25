#include "worker/sandbox/privileges.h"

#include <errno.h>
#include <sys/prctl.h>

namespace flowgrid::sandbox {

int ForbidNewPrivileges() noexcept {
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno;
}

}  // namespace flowgrid::sandbox
