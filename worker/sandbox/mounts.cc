#include "worker/sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace flowgrid::sandbox {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

constexpr unsigned long kScratchFlags = MS_NOSUID | MS_NODEV;

}  // namespace

absl::StatusOr<MountPlan> BuildMountPlan(const MountOptions& options) {
  MountPlan plan;
  for (const char* required : {"/tmp", "/proc"}) {
    if (!IsDirectory(required)) {
      return absl::FailedPreconditionError(absl::StrCat("mount point ", required, " is missing"));
    }
  }
  const std::string scratch_data = absl::StrCat("size=", options.tmpfs_size, ",mode=1777");
  plan.steps.push_back({"tmpfs", "/tmp", "tmpfs", kScratchFlags, scratch_data});
  if (IsDirectory("/dev/shm")) {
    plan.steps.push_back({"tmpfs", "/dev/shm", "tmpfs", kScratchFlags, scratch_data});
  }
  plan.steps.push_back({"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""});
  for (const std::string& dir : options.hidden_dirs) {
    if (!IsDirectory(dir)) continue;
    plan.steps.push_back({"tmpfs", dir, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          "size=4k,mode=0"});
  }
  return plan;
}

int ApplyMountPlan(const MountPlan& plan) noexcept {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
  // Not nodev: /dev/null and /dev/urandom must stay usable.
  struct mount_attr read_only = {};
  read_only.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID;
  if (::syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &read_only,
                sizeof(read_only)) != 0) {
    return errno;
  }
  for (const MountStep& step : plan.steps) {
    if (::mount(step.source.c_str(), step.target.c_str(), step.fstype.c_str(), step.flags,
                step.data.empty() ? nullptr : step.data.c_str()) != 0) {
      return errno;
    }
  }
  return 0;
}

}  // namespace flowgrid::sandbox
