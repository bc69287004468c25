#include "benchmarks/load/load_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "absl/time/clock.h"

namespace flowgrid::bench {
namespace {

RunOnce Succeeding() {
  return []() -> absl::StatusOr<RunEnd> { return RunEnd{v1::RUN_SUCCEEDED, ""}; };
}

TEST(ScheduledStart, EvenlySpacedByRate) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  EXPECT_EQ(ScheduledStart(start, 0, 100), start);
  EXPECT_EQ(ScheduledStart(start, 50, 100), start + absl::Milliseconds(500));
  EXPECT_EQ(ScheduledStart(start, 3, 0.5), start + absl::Seconds(6));
  EXPECT_EQ(ScheduledStart(start, 12345, 0), start);  // unlimited
}

TEST(RunLoad, RunsExactlyTotal) {
  std::atomic<int> calls{0};
  LoadResult result = RunLoad({37, absl::Minutes(1), 4, 0}, [&]() -> absl::StatusOr<RunEnd> {
    ++calls;
    return RunEnd{v1::RUN_SUCCEEDED, ""};
  });
  EXPECT_EQ(calls.load(), 37);
  EXPECT_EQ(result.samples.size(), 37u);
  EXPECT_FALSE(result.cut_by_duration);
  EXPECT_EQ(result.late_starts, 0);
  for (const RunSample& sample : result.samples) {
    ASSERT_TRUE(sample.outcome.ok());
    EXPECT_EQ(sample.outcome->status, v1::RUN_SUCCEEDED);
    EXPECT_GE(sample.latency, absl::ZeroDuration());
  }
}

// The first `concurrency` runs each wait until all of them are in flight at
// once (bounded), which only happens if the loop really runs that many
// concurrently; and never more than that are in flight.
TEST(RunLoad, KeepsConcurrencyRunsInFlight) {
  constexpr int kConcurrency = 6;
  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0;
  int most_in_flight = 0;
  bool all_met = false;
  LoadResult result =
      RunLoad({30, absl::Minutes(1), kConcurrency, 0}, [&]() -> absl::StatusOr<RunEnd> {
        std::unique_lock lock(mutex);
        most_in_flight = std::max(most_in_flight, ++in_flight);
        if (in_flight == kConcurrency) all_met = true;
        changed.notify_all();
        changed.wait_for(lock, std::chrono::seconds(10), [&] { return all_met; });
        --in_flight;
        return RunEnd{v1::RUN_SUCCEEDED, ""};
      });
  EXPECT_TRUE(all_met);
  EXPECT_EQ(most_in_flight, kConcurrency);
  EXPECT_EQ(result.samples.size(), 30u);
}

TEST(RunLoad, KeepsErrorsAndFailures) {
  std::atomic<int> calls{0};
  LoadResult result = RunLoad({10, absl::Minutes(1), 1, 0}, [&]() -> absl::StatusOr<RunEnd> {
    int call = calls++;
    if (call % 2 == 0) return absl::DeadlineExceededError("slow");
    return RunEnd{v1::RUN_FAILED, "boom"};
  });
  int errors = 0, failed = 0;
  for (const RunSample& sample : result.samples) {
    if (!sample.outcome.ok()) {
      EXPECT_EQ(sample.outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
      ++errors;
    } else {
      EXPECT_EQ(sample.outcome->status, v1::RUN_FAILED);
      EXPECT_EQ(sample.outcome->failure, "boom");
      ++failed;
    }
  }
  EXPECT_EQ(errors, 5);
  EXPECT_EQ(failed, 5);
}

TEST(RunLoad, DurationEndsTheLoop) {
  LoadResult result = RunLoad({std::nullopt, absl::Milliseconds(50), 2, 0},
                              []() -> absl::StatusOr<RunEnd> {
                                absl::SleepFor(absl::Milliseconds(2));
                                return RunEnd{v1::RUN_SUCCEEDED, ""};
                              });
  EXPECT_GT(result.samples.size(), 0u);
  EXPECT_GE(result.elapsed, absl::Milliseconds(50));
  // No --total to fall short of.
  EXPECT_FALSE(result.cut_by_duration);
}

TEST(RunLoad, DurationCutsAnUnreachableTotal) {
  LoadResult result = RunLoad({1'000'000'000, absl::Milliseconds(30), 2, 0},
                              []() -> absl::StatusOr<RunEnd> {
                                absl::SleepFor(absl::Milliseconds(1));
                                return RunEnd{v1::RUN_SUCCEEDED, ""};
                              });
  EXPECT_TRUE(result.cut_by_duration);
  EXPECT_LT(result.samples.size(), 1'000'000'000u);
}

// Five runs at 100 runs/s are due at 0, 10, .., 40 ms: the loop cannot end
// before the last one is due, however many threads it has.
TEST(RunLoad, RateSpacesTheStarts) {
  LoadResult result = RunLoad({5, absl::Minutes(1), 5, 100}, Succeeding());
  EXPECT_EQ(result.samples.size(), 5u);
  EXPECT_GE(result.elapsed, absl::Milliseconds(40));
}

// With a rate, the duration bounds the schedule: no run is due at or after
// the end, so 20 runs/s for 120 ms starts at most 3 (0, 50, 100 ms).
TEST(RunLoad, RateAndDurationBoundTheCount) {
  LoadResult result = RunLoad({std::nullopt, absl::Milliseconds(120), 4, 20}, Succeeding());
  EXPECT_LE(result.samples.size(), 3u);
  EXPECT_GE(result.samples.size(), 1u);
}

}  // namespace
}  // namespace flowgrid::bench
