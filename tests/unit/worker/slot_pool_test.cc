// Slots, credits and cancellation, with a fake job runner (no processes,
// no network).
#include "worker/agent/slot_pool.h"

#include <poll.h>

#include <atomic>
#include <map>
#include <set>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "worker/agent/backoff.h"

namespace flowgrid::agent {
namespace {

v1::Job JobWithId(const std::string& id) {
  v1::Job job;
  job.set_job_id(id);
  job.set_attempt(2);
  return job;
}

// Runs until cancelled, or until Release() for jobs named "block*";
// other jobs succeed at once.
class FakeRunner {
 public:
  v1::NodeResult Run(const v1::Job& job, int cancel_fd) {
    {
      absl::MutexLock lock(&mu_);
      ++running_;
      max_running_ = std::max(max_running_, running_);
      threads_.insert(std::this_thread::get_id());
    }
    v1::NodeResult result;
    result.set_status(v1::NODE_SUCCEEDED);
    if (job.job_id().rfind("block", 0) == 0) {
      while (true) {
        struct pollfd fd = {cancel_fd, POLLIN, 0};
        if (::poll(&fd, 1, 5) == 1) {
          result.set_status(v1::NODE_FAILED);
          result.mutable_error()->set_code(v1::CANCELLED);
          break;
        }
        absl::MutexLock lock(&mu_);
        if (released_) break;
      }
    }
    absl::MutexLock lock(&mu_);
    --running_;
    return result;
  }
  void WaitRunning(int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ >= n; };
    mu_.Await(absl::Condition(&enough));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  int max_running() {
    absl::MutexLock lock(&mu_);
    return max_running_;
  }
  size_t distinct_threads() {
    absl::MutexLock lock(&mu_);
    return threads_.size();
  }

 private:
  absl::Mutex mu_;
  int running_ = 0;
  int max_running_ = 0;
  bool released_ = false;
  std::set<std::thread::id> threads_;
};

class Results {
 public:
  void Add(FinishedJob finished) {
    absl::MutexLock lock(&mu_);
    by_id_[finished.job_id].push_back(std::move(finished));
  }
  std::map<std::string, std::vector<FinishedJob>> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      size_t n = 0;
      for (const auto& [id, list] : by_id_) n += list.size();
      return n >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(5));
    return by_id_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<FinishedJob>> by_id_;
};

struct PoolFixture {
  FakeRunner runner;
  Results results;
  std::unique_ptr<SlotPool> pool;
  explicit PoolFixture(int slots) {
    pool = std::make_unique<SlotPool>(
        slots, [this](const v1::Job& job, int fd) { return runner.Run(job, fd); },
        [this](FinishedJob f) { results.Add(std::move(f)); });
  }
};

TEST(SlotPoolTest, EveryJobGetsExactlyOneResultOnFixedThreads) {
  PoolFixture f(2);
  for (int i = 0; i < 20; ++i) f.pool->Submit(JobWithId("j" + std::to_string(i)), 7);
  auto results = f.results.WaitFor(20);
  ASSERT_EQ(results.size(), 20u);
  for (const auto& [id, list] : results) {
    ASSERT_EQ(list.size(), 1u) << id;
    EXPECT_EQ(list[0].attempt, 2);
    EXPECT_EQ(list[0].connection, 7u);
    EXPECT_EQ(list[0].result.status(), v1::NODE_SUCCEEDED);
  }
  EXPECT_LE(f.runner.max_running(), 2);
  EXPECT_LE(f.runner.distinct_threads(), 2u);
  EXPECT_TRUE(f.pool->WaitIdle(absl::Seconds(1)));
  EXPECT_EQ(f.pool->InUse(), 0);
}

TEST(SlotPoolTest, CreditsInUseCountQueuedAndRunningJobs) {
  PoolFixture f(1);
  f.pool->Submit(JobWithId("block-1"), 1);
  f.pool->Submit(JobWithId("block-2"), 1);  // beyond the credit: waits
  EXPECT_EQ(f.pool->InUse(), 2);
  EXPECT_FALSE(f.pool->WaitIdle(absl::Milliseconds(50)));
  f.runner.Release();
  f.results.WaitFor(2);
  EXPECT_TRUE(f.pool->WaitIdle(absl::Seconds(1)));
  EXPECT_EQ(f.runner.max_running(), 1);
}

TEST(SlotPoolTest, CancelRunningAndQueuedJobs) {
  PoolFixture f(1);
  f.pool->Submit(JobWithId("block-running"), 1);
  f.runner.WaitRunning(1);
  f.pool->Submit(JobWithId("block-queued"), 1);
  EXPECT_TRUE(f.pool->Cancel("block-queued"));
  EXPECT_TRUE(f.pool->Cancel("block-running"));
  EXPECT_FALSE(f.pool->Cancel("unknown"));
  auto results = f.results.WaitFor(2);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results["block-running"][0].result.error().code(), v1::CANCELLED);
  EXPECT_EQ(results["block-queued"][0].result.error().code(), v1::CANCELLED);
  EXPECT_EQ(f.runner.max_running(), 1);  // the queued one never ran
}

TEST(SlotPoolTest, DuplicateJobIdFailsAtOnce) {
  PoolFixture f(1);
  f.pool->Submit(JobWithId("block-x"), 1);
  f.pool->Submit(JobWithId("block-x"), 1);
  auto results = f.results.WaitFor(1);
  ASSERT_EQ(results["block-x"].size(), 1u);
  EXPECT_EQ(results["block-x"][0].result.error().code(), v1::INTERNAL);
  EXPECT_EQ(f.pool->CancelAll(), 1);
  results = f.results.WaitFor(2);
  EXPECT_EQ(results["block-x"][1].result.error().code(), v1::CANCELLED);
}

TEST(SlotPoolTest, DestructionCancelsAndReportsEverything) {
  auto f = std::make_unique<PoolFixture>(1);
  f->pool->Submit(JobWithId("block-a"), 1);
  f->pool->Submit(JobWithId("block-b"), 1);
  f->pool.reset();
  auto results = f->results.WaitFor(2);
  EXPECT_EQ(results.size(), 2u);
}

TEST(BackoffTest, GrowsWithJitterUpToTheCapAndResets) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(1), /*seed=*/42);
  const absl::Duration ceilings[] = {absl::Milliseconds(100), absl::Milliseconds(200),
                                     absl::Milliseconds(400), absl::Milliseconds(800),
                                     absl::Seconds(1), absl::Seconds(1)};
  for (absl::Duration ceiling : ceilings) {
    const absl::Duration delay = backoff.Next();
    EXPECT_GE(delay, ceiling / 2);
    EXPECT_LE(delay, ceiling);
  }
  backoff.Reset();
  EXPECT_LE(backoff.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterSpreadsWorkers) {
  Backoff a(absl::Seconds(1), absl::Seconds(1), 1);
  Backoff b(absl::Seconds(1), absl::Seconds(1), 2);
  EXPECT_NE(a.Next(), b.Next());
}

}  // namespace
}  // namespace flowgrid::agent
