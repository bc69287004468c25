#include "scheduler/engine/timer_queue.h"

#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace flowgrid::engine {
namespace {

// Callbacks record their names here.
class Record {
 public:
  void Add(const std::string& name) {
    absl::MutexLock lock(&mu_);
    names_ += name;
  }
  std::string names() {
    absl::MutexLock lock(&mu_);
    return names_;
  }

 private:
  absl::Mutex mu_;
  std::string names_;
};

TEST(TimerQueue, RunsCallbacksInTimeOrder) {
  Record record;
  absl::Notification done;
  TimerQueue timers;
  absl::Time now = absl::Now();
  timers.Schedule(now + absl::Milliseconds(60), [&] {
    record.Add("b");
    done.Notify();
  });
  timers.Schedule(now + absl::Milliseconds(20), [&] { record.Add("a"); });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(record.names(), "ab");
}

TEST(TimerQueue, ACancelledTimerNeverRuns) {
  Record record;
  absl::Notification done;
  TimerQueue timers;
  absl::Time now = absl::Now();
  TimerQueue::TimerId cancelled =
      timers.Schedule(now + absl::Milliseconds(20), [&] { record.Add("x"); });
  timers.Schedule(now + absl::Milliseconds(60), [&] {
    record.Add("y");
    done.Notify();
  });
  timers.Cancel(cancelled);
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(record.names(), "y");
}

TEST(TimerQueue, ATimerDueSoonerThanTheFirstWakesTheQueue) {
  absl::Notification done;
  TimerQueue timers;
  timers.Schedule(absl::Now() + absl::Hours(1), [] {});
  timers.Schedule(absl::Now() + absl::Milliseconds(10), [&] { done.Notify(); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST(TimerQueue, CancellingAfterTheRunIsHarmless) {
  absl::Notification done;
  TimerQueue timers;
  TimerQueue::TimerId id = timers.Schedule(absl::Now(), [&] { done.Notify(); });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  timers.Cancel(id);
}

}  // namespace
}  // namespace flowgrid::engine
