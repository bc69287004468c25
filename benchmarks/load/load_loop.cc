#include "benchmarks/load/load_loop.h"

#include <atomic>
#include <functional>
#include <thread>

#include "absl/time/clock.h"

namespace flowgrid::bench {
namespace {

constexpr absl::Duration kLateThreshold = absl::Milliseconds(1);

struct ThreadResult {
  std::vector<RunSample> samples;
  int64_t late_starts = 0;
};

}  // namespace

absl::Time ScheduledStart(absl::Time start, int64_t index, double rate) {
  if (rate <= 0) return start;
  return start + absl::Seconds(static_cast<double>(index) / rate);
}

LoadResult RunLoad(const LoadPlan& plan, const RunOnce& run_once) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + plan.duration;
  std::atomic<int64_t> next_index{0};
  std::atomic<bool> cut_by_duration{false};
  std::vector<ThreadResult> results(static_cast<size_t>(plan.concurrency));

  auto work = [&](ThreadResult& result) {
    while (true) {
      const int64_t index = next_index.fetch_add(1);
      if (plan.total.has_value() && index >= *plan.total) return;
      const absl::Time due = ScheduledStart(start, index, plan.rate);
      if (due >= deadline || absl::Now() >= deadline) {
        cut_by_duration = true;
        return;
      }
      absl::SleepFor(due - absl::Now());  // no-op when due is past
      const absl::Time begin = absl::Now();
      if (plan.rate > 0 && begin - due > kLateThreshold) ++result.late_starts;
      absl::StatusOr<RunEnd> outcome = run_once();
      result.samples.push_back({absl::Now() - begin, std::move(outcome)});
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(results.size());
  for (ThreadResult& result : results) threads.emplace_back(work, std::ref(result));
  for (std::thread& thread : threads) thread.join();

  LoadResult merged;
  merged.elapsed = absl::Now() - start;
  merged.cut_by_duration = plan.total.has_value() && cut_by_duration.load();
  for (ThreadResult& result : results) {
    merged.late_starts += result.late_starts;
    for (RunSample& sample : result.samples) merged.samples.push_back(std::move(sample));
  }
  return merged;
}

}  // namespace flowgrid::bench
