// engine::RunEventLog — the in-memory event log of one active run, which
// WatchRun streams wait on. Events are appended only after they are durable
// in the store, so whatever a watcher sees survives a restart. Thread-safe.
#ifndef FLOWGRID_SCHEDULER_ENGINE_RUN_EVENT_LOG_H_
#define FLOWGRID_SCHEDULER_ENGINE_RUN_EVENT_LOG_H_

#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::engine {

class RunEventLog {
 public:
  // `first_sequence` is the sequence number of the first event appended.
  explicit RunEventLog(int64_t first_sequence = 1) : first_sequence_(first_sequence) {}

  // Appends events (sequence numbers consecutive) and wakes waiters.
  void Append(std::vector<v1::RunEvent> events);

  // Events with sequence > after_sequence. If there are none yet and the
  // run has not finished, waits up to `timeout` for some.
  std::vector<v1::RunEvent> WaitAfter(int64_t after_sequence, absl::Duration timeout);

  // True once a run_finished event was appended.
  bool finished() const;

 private:
  mutable absl::Mutex mu_;
  const int64_t first_sequence_;
  std::vector<v1::RunEvent> events_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_RUN_EVENT_LOG_H_
