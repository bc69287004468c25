#include "scheduler/engine/timer_queue.h"

#include "absl/time/clock.h"

namespace flowgrid::engine {

TimerQueue::TimerQueue() : thread_([this] { Loop(); }) {}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void TimerQueue::Schedule(absl::Time when, std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  entries_.push({when, next_order_++, std::move(callback)});
}

void TimerQueue::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    // Wake for a new earlier entry, for stop, or when the first one is due.
    absl::Time due = entries_.empty() ? absl::InfiniteFuture() : entries_.top().when;
    size_t seen = entries_.size();
    auto changed = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return stopping_ || entries_.size() != seen ||
             (!entries_.empty() && entries_.top().when <= absl::Now());
    };
    mu_.AwaitWithDeadline(absl::Condition(&changed), due);
    if (stopping_) return;
    if (entries_.empty() || entries_.top().when > absl::Now()) continue;
    std::function<void()> callback = entries_.top().callback;
    entries_.pop();
    mu_.Unlock();
    callback();
    mu_.Lock();
  }
}

}  // namespace flowgrid::engine
