// engine::CodeChecks — compiles every code node of a plan on a worker
// (Job.kind CHECK_CODE) before a run starts: syntax errors with their line,
// a missing main, main's parameters against the node's inputs. Results are
// cached by language, code and input names, so a workflow submitted again
// is not checked again. Thread-safe.
#ifndef FLOWGRID_SCHEDULER_ENGINE_CODE_CHECKS_H_
#define FLOWGRID_SCHEDULER_ENGINE_CODE_CHECKS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "scheduler/engine/job_waiter.h"
#include "scheduler/graph/diagnostic.h"
#include "scheduler/graph/plan.h"

namespace flowgrid::engine {

class CodeChecks {
 public:
  explicit CodeChecks(JobWaiter* waiter, dispatch::Dispatcher* dispatcher)
      : waiter_(waiter), dispatcher_(dispatcher) {}

  // One diagnostic per code node that does not compile. Checks that no
  // worker answers within `budget` (none connected, all busy) are skipped:
  // the same error then shows when the node runs.
  std::vector<graph::Diagnostic> Check(const graph::Plan& plan, absl::Duration budget);

 private:
  // Entries kept before the cache is cleared (bounds its memory).
  static constexpr size_t kMaxCached = 10000;

  JobWaiter* const waiter_;
  dispatch::Dispatcher* const dispatcher_;
  absl::Mutex mu_;
  // Key -> the error message; empty when the code compiles.
  absl::flat_hash_map<std::string, std::string> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_CODE_CHECKS_H_
