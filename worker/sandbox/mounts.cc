#include "worker/sandbox/mounts.h"

#include <errno.h>
#include <sys/mount.h>

#include "absl/strings/str_cat.h"

namespace flowgrid::sandbox {

ScratchMounts MakeScratchMounts(absl::string_view tmpfs_size) {
  return ScratchMounts{absl::StrCat("size=", tmpfs_size, ",mode=1777")};
}

int MountJobScratch(const ScratchMounts& scratch) noexcept {
  constexpr unsigned long kScratchFlags = MS_NOSUID | MS_NODEV;
  for (const char* dir : {"/tmp", "/dev/shm"}) {
    if (::mount("tmpfs", dir, "tmpfs", kScratchFlags, scratch.tmpfs_data.c_str()) != 0) {
      return errno;
    }
  }
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return errno;
  }
  return 0;
}

}  // namespace flowgrid::sandbox
