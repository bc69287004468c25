// engine::TimerQueue — runs callbacks at given times on one thread of its
// own (retry intervals, run deadlines). Callbacks run outside the queue's
// lock and may schedule or cancel timers. A timer that is cancelled before
// it is due is forgotten at once, so long timers of work that ended early
// (a run's deadline) hold no memory.
#ifndef FLOWGRID_SCHEDULER_ENGINE_TIMER_QUEUE_H_
#define FLOWGRID_SCHEDULER_ENGINE_TIMER_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace flowgrid::engine {

class TimerQueue {
 public:
  // Names one scheduled timer: its time, then FIFO among equal times.
  using TimerId = std::pair<absl::Time, uint64_t>;

  TimerQueue();
  // Stops the thread; callbacks not yet due never run.
  ~TimerQueue();

  TimerId Schedule(absl::Time when, std::function<void()> callback);

  // Forgets the timer if it has not started running (no effect otherwise).
  void Cancel(const TimerId& id);

 private:
  void Loop();

  absl::Mutex mu_;
  std::map<TimerId, std::function<void()>> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_TIMER_QUEUE_H_
