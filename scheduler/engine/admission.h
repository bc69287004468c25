// engine::AdmitRun — the bound on accepted-but-unfinished work.
//
// The unit is the active run: a run counts from the moment SubmitRun
// accepts it (or a restarted scheduler takes it back) until its
// run_finished is recorded. Everything the scheduler holds for a run lives
// and dies with it — its Execution (variable pool, node states), its event
// log (every event until the run ends), its ready and running jobs in the
// dispatcher (at most one per node) and its timers — so bounding active
// runs bounds the memory that grows with accepted load. Beyond the bound a
// submission is refused before it is compiled or recorded, and nothing
// already accepted is ever dropped to make room.
#ifndef FLOWGRID_SCHEDULER_ENGINE_ADMISSION_H_
#define FLOWGRID_SCHEDULER_ENGINE_ADMISSION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace flowgrid::engine {

struct AdmissionOptions {
  // Runs in progress at once (--max_active_runs); must be positive.
  int max_active_runs = 2000;
  // When a refused client should try again (--overload_retry_delay).
  absl::Duration retry_delay = absl::Seconds(1);
};

// OK when one more run may be accepted beside `active_runs` in progress;
// otherwise RESOURCE_EXHAUSTED naming the limit, with retry_delay attached
// (common/retry_delay.h).
absl::Status AdmitRun(const AdmissionOptions& options, size_t active_runs);

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_ADMISSION_H_
