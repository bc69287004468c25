#include "scheduler/dispatch/fair_queue.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::dispatch {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);

QueuedJob Job(const std::string& run, int task, absl::Time queued_at = kStart) {
  QueuedJob job;
  job.key = {run, task, 1};
  job.queued_at = queued_at;
  return job;
}

// Pops everything, naming each job "run/task".
std::vector<std::string> Drain(FairQueue& queue) {
  std::vector<std::string> order;
  while (!queue.empty()) {
    QueuedJob job = queue.PopFront();
    order.push_back(job.key.run_id + "/" + std::to_string(job.key.task));
  }
  return order;
}

TEST(FairQueueTest, RunsTakeTurnsInTheOrderTheyArrived) {
  FairQueue queue;
  for (int i = 0; i < 3; ++i) queue.Push(Job("a", i));
  queue.Push(Job("b", 0));
  queue.Push(Job("c", 0));
  queue.Push(Job("b", 1));
  EXPECT_EQ(queue.size(), 6u);
  EXPECT_THAT(Drain(queue), ::testing::ElementsAre("a/0", "b/0", "c/0", "a/1", "b/1", "a/2"));
}

TEST(FairQueueTest, ARunThatArrivesLaterJoinsTheRoundAtItsBack) {
  FairQueue queue;
  queue.Push(Job("a", 0));
  queue.Push(Job("a", 1));
  queue.Push(Job("b", 0));
  EXPECT_EQ(queue.PopFront().key.run_id, "a");
  queue.Push(Job("c", 0));
  EXPECT_THAT(Drain(queue), ::testing::ElementsAre("b/0", "a/1", "c/0"));
}

TEST(FairQueueTest, RequeuedJobsGoFirstInTheOrderTheyWereRequeued) {
  FairQueue queue;
  queue.Push(Job("a", 0));
  queue.PushRequeued(Job("x", 1));
  queue.PushRequeued(Job("y", 2));
  EXPECT_TRUE(queue.front_is_requeued());
  EXPECT_EQ(queue.Front().key.run_id, "x");
  EXPECT_THAT(Drain(queue), ::testing::ElementsAre("x/1", "y/2", "a/0"));
  EXPECT_FALSE(queue.front_is_requeued());
}

TEST(FairQueueTest, EraseIfKeepsTheTurnsOfTheRemainingRuns) {
  FairQueue queue;
  queue.Push(Job("a", 0));
  queue.Push(Job("b", 0));
  queue.Push(Job("c", 0));
  queue.Push(Job("a", 1));
  queue.PushRequeued(Job("b", 9));
  queue.EraseIf([](const QueuedJob& job) { return job.key.run_id == "b"; });
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_THAT(Drain(queue), ::testing::ElementsAre("a/0", "c/0", "a/1"));
}

TEST(FairQueueTest, TakeQueuedUpToTakesOnlyTheOverdueJobs) {
  FairQueue queue;
  queue.Push(Job("a", 0, kStart));
  queue.Push(Job("a", 1, kStart + absl::Seconds(2)));
  queue.Push(Job("b", 0, kStart + absl::Seconds(1)));
  queue.PushRequeued(Job("c", 0, kStart + absl::Seconds(1)));
  queue.PushRequeued(Job("c", 1, kStart + absl::Seconds(3)));
  std::vector<QueuedJob> taken = queue.TakeQueuedUpTo(kStart + absl::Seconds(1));
  std::vector<std::string> names;
  for (const QueuedJob& job : taken) names.push_back(job.key.run_id + "/" + std::to_string(job.key.task));
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("a/0", "b/0", "c/0"));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_THAT(Drain(queue), ::testing::ElementsAre("c/1", "a/1"));
  EXPECT_TRUE(queue.TakeQueuedUpTo(kStart + absl::Hours(1)).empty());
}

TEST(FairQueueTest, OldestQueuedAtIsTheEarliestWaitingJob) {
  FairQueue queue;
  EXPECT_EQ(queue.OldestQueuedAt(), absl::InfiniteFuture());
  queue.Push(Job("a", 0, kStart + absl::Seconds(2)));
  queue.Push(Job("b", 0, kStart + absl::Seconds(1)));
  queue.PushRequeued(Job("c", 0, kStart + absl::Seconds(3)));
  EXPECT_EQ(queue.OldestQueuedAt(), kStart + absl::Seconds(1));
  queue.EraseIf([](const QueuedJob& job) { return job.key.run_id == "b"; });
  EXPECT_EQ(queue.OldestQueuedAt(), kStart + absl::Seconds(2));
  queue.PopFront();  // c: requeued jobs go first
  queue.PopFront();
  EXPECT_EQ(queue.OldestQueuedAt(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace flowgrid::dispatch
