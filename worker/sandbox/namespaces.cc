#include "worker/sandbox/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"

namespace flowgrid::sandbox {

absl::StatusOr<UniqueFd> CreateEmptyNetworkNamespace() {
  // unshare(CLONE_NEWNET) moves only the calling thread; a throwaway thread
  // does it and hands back a descriptor, which keeps the namespace alive.
  int fd = -1;
  int err = 0;
  const char* step = "";
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      err = errno;
      step = "unshare(CLONE_NEWNET)";
      return;
    }
    fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      step = "open /proc/thread-self/ns/net";
    }
  }).join();
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("empty network namespace: ", step, ": ", std::strerror(err)));
  }
  return UniqueFd(fd);
}

int JoinNetworkNamespace(int netns_fd) noexcept {
  return ::setns(netns_fd, CLONE_NEWNET) == 0 ? 0 : errno;
}

}  // namespace flowgrid::sandbox
