// engine::TimerQueue — runs callbacks at given times on one thread of its
// own (retry intervals, run deadlines). Callbacks run outside the queue's
// lock and may schedule more timers.
#ifndef FLOWGRID_SCHEDULER_ENGINE_TIMER_QUEUE_H_
#define FLOWGRID_SCHEDULER_ENGINE_TIMER_QUEUE_H_

#include <functional>
#include <queue>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace flowgrid::engine {

class TimerQueue {
 public:
  TimerQueue();
  // Stops the thread; callbacks not yet due never run.
  ~TimerQueue();

  void Schedule(absl::Time when, std::function<void()> callback);

 private:
  struct Entry {
    absl::Time when;
    uint64_t order;  // FIFO among equal times
    std::function<void()> callback;
    bool operator>(const Entry& other) const {
      return when != other.when ? when > other.when : order > other.order;
    }
  };
  void Loop();

  absl::Mutex mu_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_TIMER_QUEUE_H_
