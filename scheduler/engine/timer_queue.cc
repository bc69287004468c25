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

TimerQueue::TimerId TimerQueue::Schedule(absl::Time when, std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  TimerId id{when, next_order_++};
  entries_.emplace(id, std::move(callback));
  return id;
}

void TimerQueue::Cancel(const TimerId& id) {
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
}

void TimerQueue::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    // Sleep until the first entry is due; wake early only for stop or for
    // a new entry due sooner (not for every timer added behind it).
    absl::Time due = entries_.empty() ? absl::InfiniteFuture() : entries_.begin()->first.first;
    auto sooner = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return stopping_ || (!entries_.empty() && entries_.begin()->first.first < due);
    };
    mu_.AwaitWithDeadline(absl::Condition(&sooner), due);
    if (stopping_) return;
    if (entries_.empty() || entries_.begin()->first.first > absl::Now()) continue;
    std::function<void()> callback = std::move(entries_.begin()->second);
    entries_.erase(entries_.begin());
    mu_.Unlock();
    callback();
    mu_.Lock();
  }
}

}  // namespace flowgrid::engine
