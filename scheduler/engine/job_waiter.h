// engine::JobWaiter — runs jobs that belong to no run (single-node runs,
// code checks) through the dispatcher and waits for their results.
#ifndef FLOWGRID_SCHEDULER_ENGINE_JOB_WAITER_H_
#define FLOWGRID_SCHEDULER_ENGINE_JOB_WAITER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "scheduler/dispatch/dispatcher.h"

namespace flowgrid::engine {

class JobWaiter {
 public:
  explicit JobWaiter(dispatch::Dispatcher* dispatcher) : dispatcher_(dispatcher) {}

  // Dispatches `jobs` and blocks until all have results or `deadline`
  // passes. A job without a result by then is cancelled and its slot in
  // the answer is nullopt.
  std::vector<std::optional<v1::NodeResult>> RunAll(std::vector<v1::Job> jobs,
                                                    absl::Time deadline);

  // Takes `result` if its job was started by RunAll (true), else false.
  bool OnResult(const dispatch::JobKey& key, const v1::NodeResult& result);

 private:
  struct Batch {
    std::vector<std::optional<v1::NodeResult>> results;
    int remaining;
  };

  dispatch::Dispatcher* const dispatcher_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Batch>> batches_ ABSL_GUARDED_BY(mu_);
  int64_t next_batch_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_JOB_WAITER_H_
