#include "scheduler/engine/run_event_log.h"

#include <algorithm>

namespace flowgrid::engine {

void RunEventLog::Append(std::vector<v1::RunEvent> events) {
  absl::MutexLock lock(&mu_);
  for (v1::RunEvent& event : events) {
    finished_ |= event.has_run_finished();
    events_.push_back(std::move(event));
  }
}

std::vector<v1::RunEvent> RunEventLog::WaitAfter(int64_t after_sequence,
                                                 absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto has_news = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return finished_ ||
           first_sequence_ + static_cast<int64_t>(events_.size()) - 1 > after_sequence;
  };
  mu_.AwaitWithTimeout(absl::Condition(&has_news), timeout);
  int64_t skip = std::max<int64_t>(0, after_sequence - first_sequence_ + 1);
  if (skip >= static_cast<int64_t>(events_.size())) return {};
  return std::vector<v1::RunEvent>(events_.begin() + skip, events_.end());
}

bool RunEventLog::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

}  // namespace flowgrid::engine
