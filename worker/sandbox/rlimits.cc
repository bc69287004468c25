#include "worker/sandbox/rlimits.h"

#include <errno.h>

#include <cstdint>

namespace flowgrid::sandbox {
namespace {

// Code nodes have no use for files; this only bounds what a job can write
// into a writable directory before the mount sandbox exists.
constexpr rlim_t kMaxFileSizeBytes = 16 << 20;
// The interpreter needs a handful of descriptors for its own imports.
constexpr rlim_t kMaxOpenFiles = 64;

int SetLimit(int resource, rlim_t soft, rlim_t hard) noexcept {
  const struct rlimit limit = {soft, hard};
  return ::setrlimit(resource, &limit) == 0 ? 0 : errno;
}

}  // namespace

RlimitPlan RlimitsForJob(absl::Duration wall_timeout) {
  RlimitPlan plan;
  const int64_t wall_seconds = absl::ToInt64Seconds(absl::Ceil(wall_timeout, absl::Seconds(1)));
  plan.cpu_seconds_soft = static_cast<rlim_t>(wall_seconds + 1);
  plan.cpu_seconds_hard = plan.cpu_seconds_soft + 1;
  plan.file_size_bytes = kMaxFileSizeBytes;
  plan.open_files = kMaxOpenFiles;
  return plan;
}

int ApplyRlimits(const RlimitPlan& plan) noexcept {
  if (int err = SetLimit(RLIMIT_CORE, 0, 0); err != 0) return err;
  if (int err = SetLimit(RLIMIT_CPU, plan.cpu_seconds_soft, plan.cpu_seconds_hard);
      err != 0) {
    return err;
  }
  if (int err = SetLimit(RLIMIT_FSIZE, plan.file_size_bytes, plan.file_size_bytes);
      err != 0) {
    return err;
  }
  return SetLimit(RLIMIT_NOFILE, plan.open_files, plan.open_files);
}

}  // namespace flowgrid::sandbox
