// engine::CodeChecks — compiles every code node of a plan on a worker
// (Job.kind CHECK_CODE) before a run starts: syntax errors with their line,
// a missing main, main's parameters against the node's inputs. Results are
// cached by language, code and input names, so a workflow submitted again
// is not checked again, and concurrent submissions of the same code share
// one check. Thread-safe.
#ifndef FLOWGRID_SCHEDULER_ENGINE_CODE_CHECKS_H_
#define FLOWGRID_SCHEDULER_ENGINE_CODE_CHECKS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
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
  // the same error then shows when the node runs. Such code is not checked
  // again for kRecheckAfterNoAnswer, so a busy cluster (e.g. just restarted,
  // its queue full of resumed runs) does not make every submission wait out
  // the budget.
  std::vector<graph::Diagnostic> Check(const graph::Plan& plan, absl::Duration budget);

  static constexpr absl::Duration kRecheckAfterNoAnswer = absl::Seconds(30);

 private:
  // Entries kept before the cache is cleared (bounds its memory).
  static constexpr size_t kMaxCached = 10000;

  // A check on its way; other submissions of the same code wait for it.
  struct InFlight {
    absl::Notification done;
    // Set before `done`: the compile error, empty when the code compiles,
    // nullopt when the check gave no verdict.
    std::optional<std::string> message;
  };

  // Records the verdicts of the checks this call ran and wakes the
  // submissions waiting for them.
  void Finish(const std::vector<std::string>& keys,
              const std::vector<std::optional<v1::NodeResult>>& results,
              const std::vector<std::shared_ptr<InFlight>>& flights, const graph::Plan& plan,
              const std::vector<int>& nodes);

  JobWaiter* const waiter_;
  dispatch::Dispatcher* const dispatcher_;
  absl::Mutex mu_;
  // Key -> the error message; empty when the code compiles.
  absl::flat_hash_map<std::string, std::string> cache_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<InFlight>> in_flight_ ABSL_GUARDED_BY(mu_);
  // Key -> when code whose check got no answer may be checked again.
  absl::flat_hash_map<std::string, absl::Time> unanswered_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_CODE_CHECKS_H_
