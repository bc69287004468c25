#include "scheduler/engine/admission.h"

#include "absl/strings/str_cat.h"
#include "common/retry_delay.h"

namespace flowgrid::engine {

absl::Status AdmitRun(const AdmissionOptions& options, size_t active_runs) {
  if (active_runs < static_cast<size_t>(options.max_active_runs)) return absl::OkStatus();
  return WithRetryDelay(
      absl::ResourceExhaustedError(absl::StrCat(
          "the scheduler is at its limit of ", options.max_active_runs,
          " runs in progress (--max_active_runs); retry in ",
          absl::FormatDuration(options.retry_delay))),
      options.retry_delay);
}

}  // namespace flowgrid::engine
