#include "scheduler/engine/run_event_log.h"

#include <thread>

#include "gtest/gtest.h"

namespace flowgrid::engine {
namespace {

v1::RunEvent Event(int64_t seq, bool finished = false) {
  v1::RunEvent e;
  e.set_sequence(seq);
  if (finished) {
    e.mutable_run_finished();
  } else {
    e.mutable_node_started();
  }
  return e;
}

TEST(RunEventLog, ReturnsOnlyEventsAfterTheSequence) {
  RunEventLog log;
  log.Append({Event(1), Event(2), Event(3)});
  std::vector<v1::RunEvent> events = log.WaitAfter(1, absl::ZeroDuration());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].sequence(), 2);
  EXPECT_TRUE(log.WaitAfter(3, absl::ZeroDuration()).empty());
}

TEST(RunEventLog, WaiterWakesOnAppend) {
  RunEventLog log;
  std::thread appender([&] {
    absl::SleepFor(absl::Milliseconds(20));
    log.Append({Event(1)});
  });
  std::vector<v1::RunEvent> events = log.WaitAfter(0, absl::Seconds(30));
  appender.join();
  ASSERT_EQ(events.size(), 1u);
}

TEST(RunEventLog, FinishedLogDoesNotBlock) {
  RunEventLog log;
  log.Append({Event(1, /*finished=*/true)});
  EXPECT_TRUE(log.finished());
  EXPECT_TRUE(log.WaitAfter(1, absl::Hours(1)).empty());
}

}  // namespace
}  // namespace flowgrid::engine
