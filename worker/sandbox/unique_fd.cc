#include "worker/sandbox/unique_fd.h"

#include <unistd.h>

namespace flowgrid::sandbox {

void UniqueFd::Reset(int fd) {
  // close() is not retried on EINTR: on Linux the descriptor is released
  // even when close reports EINTR, and retrying could close a reused number.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace flowgrid::sandbox
