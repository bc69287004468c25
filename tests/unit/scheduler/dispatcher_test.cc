#include "scheduler/dispatch/dispatcher.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "scheduler/dispatch/dispatcher_gauges.h"
#include "tests/unit/scheduler/metric_value.h"

namespace flowgrid::dispatch {
namespace {

using flowgrid::testing::MetricValue;

struct Delivered {
  JobKey key;
  v1::NodeResult result;
};

const std::vector<v1::CodeNode::Language> kPython = {v1::CodeNode::PYTHON3};

// Leases and queue waits run on this fake clock; the tests sweep by hand.
DispatcherOptions TestOptions(absl::Time* now) {
  DispatcherOptions options;
  options.worker_lease = absl::Seconds(15);
  options.max_queue_wait = absl::Minutes(10);
  options.sweep_interval = absl::ZeroDuration();
  options.now = [now] { return *now; };
  return options;
}

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest()
      : dispatcher_(
            [this](const JobKey& key, v1::NodeResult result) {
              delivered_.push_back({key, std::move(result)});
            },
            TestOptions(&now_), &metrics_) {}

  // Registers a worker whose received messages land in `inbox`; `closed`,
  // if given, counts the times the dispatcher closed its stream.
  int64_t AddWorker(const std::string& id, int slots, std::vector<v1::SchedulerMessage>* inbox,
                    std::vector<v1::CodeNode::Language> runtimes = kPython,
                    int* closed = nullptr) {
    return dispatcher_.AddWorker(
        {.worker_id = id,
         .peer = "ipv4:127.0.0.1:" + id,
         .slots = slots,
         .runtimes = std::move(runtimes),
         .sink = [inbox](const v1::SchedulerMessage& m) { inbox->push_back(m); },
         .close = [closed] {
           if (closed != nullptr) ++*closed;
         }});
  }

  void Enqueue(const std::string& run, int task,
               v1::CodeNode::Language language = v1::CodeNode::PYTHON3,
               v1::Job::Kind kind = v1::Job::RUN_CODE) {
    v1::Job job;
    job.set_language(language);
    job.set_kind(kind);
    dispatcher_.Enqueue({run, task, 1}, job);
  }

  static v1::JobResult ResultFor(const v1::SchedulerMessage& m) {
    v1::JobResult r;
    r.set_job_id(m.job().job_id());
    r.set_attempt(m.job().attempt());
    r.mutable_result()->set_status(v1::NODE_SUCCEEDED);
    return r;
  }

  // The ids of the jobs in `inbox`, in the order they were sent.
  static std::vector<std::string> JobIds(const std::vector<v1::SchedulerMessage>& inbox) {
    std::vector<std::string> ids;
    for (const v1::SchedulerMessage& m : inbox) {
      if (m.has_job()) ids.push_back(m.job().job_id());
    }
    return ids;
  }

  // The value of a series recorded by the dispatcher or read from it.
  double Metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    double recorded = MetricValue(registry_, name, labels);
    return recorded >= 0 ? recorded : MetricValue(gauges_, name, labels);
  }
  double JobsFinished(const std::string& language, const std::string& verdict) {
    return Metric("flowgrid_jobs_finished_total", {{"language", language}, {"verdict", verdict}});
  }

  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
  std::vector<Delivered> delivered_;
  prometheus::Registry registry_;
  metrics::SchedulerMetrics metrics_{registry_};
  Dispatcher dispatcher_;
  DispatcherGauges gauges_{&dispatcher_};
};

TEST_F(DispatcherTest, NeverSendsMoreJobsThanFreeSlots) {
  for (int i = 0; i < 5; ++i) Enqueue("r", i);
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w1", 2, &inbox);
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(dispatcher_.stats().queued, 3);
  EXPECT_EQ(dispatcher_.stats().free_slots, 0);
  dispatcher_.OnResult(w, ResultFor(inbox[0]));
  EXPECT_EQ(inbox.size(), 3u);
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].key.task, 0);
  EXPECT_EQ(inbox[0].job().job_id(), "r/0/1");
}

TEST_F(DispatcherTest, JobsGoToTheWorkerWithMostFreeSlots) {
  std::vector<v1::SchedulerMessage> a, b;
  AddWorker("a", 1, &a);
  AddWorker("b", 3, &b);
  for (int i = 0; i < 4; ++i) Enqueue("r", i);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 3u);
}

TEST_F(DispatcherTest, LostWorkerJobsAreRequeuedWithTheNextAttempt) {
  std::vector<v1::SchedulerMessage> first, second;
  int64_t w1 = AddWorker("w1", 1, &first);
  Enqueue("r", 7);
  ASSERT_EQ(first.size(), 1u);
  dispatcher_.RemoveWorker(w1);
  int64_t w2 = AddWorker("w2", 1, &second);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].job().job_id(), "r/7/1");
  EXPECT_EQ(second[0].job().attempt(), 2);  // the second delivery
  // A late result of attempt 1, even if it arrived, is stale now.
  v1::JobResult stale = ResultFor(first[0]);
  dispatcher_.OnResult(w2, stale);
  EXPECT_TRUE(delivered_.empty());
  dispatcher_.OnResult(w2, ResultFor(second[0]));
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].key, (JobKey{"r", 7, 1}));
}

TEST_F(DispatcherTest, JobFailsWorkerLostAfterMaxAttempts) {
  for (int attempt = 1; attempt <= 3; ++attempt) {
    std::vector<v1::SchedulerMessage> inbox;
    int64_t w = AddWorker("w", 1, &inbox);
    if (attempt == 1) Enqueue("r", 1);
    ASSERT_EQ(inbox.size(), 1u);
    EXPECT_EQ(inbox[0].job().attempt(), attempt);
    dispatcher_.RemoveWorker(w);
  }
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].result.status(), v1::NODE_FAILED);
  EXPECT_EQ(delivered_[0].result.error().code(), v1::WORKER_LOST);
  EXPECT_EQ(dispatcher_.stats().queued, 0);
}

TEST_F(DispatcherTest, CancelRunDropsQueuedJobsAndCancelsRunningOnes) {
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w", 1, &inbox);
  Enqueue("doomed", 1);
  Enqueue("doomed", 2);
  Enqueue("other", 1);
  dispatcher_.CancelRun("doomed");
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[1].cancel().job_id(), "doomed/1/1");
  // The worker reports the cancelled job; nothing is delivered for it and
  // the freed slot goes to the other run.
  dispatcher_.OnResult(w, ResultFor(inbox[0]));
  EXPECT_TRUE(delivered_.empty());
  ASSERT_EQ(inbox.size(), 3u);
  EXPECT_EQ(inbox[2].job().job_id(), "other/1/1");
}

TEST_F(DispatcherTest, WorkerLostResultRequeuesTheJobElsewhere) {
  std::vector<v1::SchedulerMessage> draining, fresh;
  int64_t w1 = AddWorker("draining", 1, &draining);
  Enqueue("r", 3);
  ASSERT_EQ(draining.size(), 1u);
  dispatcher_.SetDraining(w1);
  v1::JobResult refused = ResultFor(draining[0]);
  refused.mutable_result()->set_status(v1::NODE_FAILED);
  refused.mutable_result()->mutable_error()->set_code(v1::WORKER_LOST);
  dispatcher_.OnResult(w1, refused);
  EXPECT_TRUE(delivered_.empty());
  AddWorker("fresh", 1, &fresh);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].job().job_id(), "r/3/1");
  EXPECT_EQ(fresh[0].job().attempt(), 2);
}

TEST_F(DispatcherTest, DrainingWorkerGetsNoNewJobs) {
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w", 2, &inbox);
  Enqueue("r", 1);
  dispatcher_.SetDraining(w);
  Enqueue("r", 2);
  EXPECT_EQ(inbox.size(), 1u);
  // Its running job still reports, and the freed slot is not reused.
  dispatcher_.OnResult(w, ResultFor(inbox[0]));
  EXPECT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(inbox.size(), 1u);
  EXPECT_EQ(dispatcher_.stats().queued, 1);
  EXPECT_EQ(dispatcher_.stats().free_slots, 0);
}

TEST_F(DispatcherTest, JobsGoOnlyToWorkersWithTheirRuntime) {
  std::vector<v1::SchedulerMessage> python, node;
  AddWorker("py", 2, &python);
  Enqueue("r", 1, v1::CodeNode::JAVASCRIPT);
  Enqueue("r", 2, v1::CodeNode::PYTHON3);
  Enqueue("r", 3, v1::CodeNode::JAVASCRIPT, v1::Job::RENDER_TEMPLATE);
  // The JavaScript job waits without holding back the others.
  ASSERT_EQ(python.size(), 2u);
  EXPECT_EQ(python[0].job().job_id(), "r/2/1");
  EXPECT_EQ(python[1].job().job_id(), "r/3/1");
  EXPECT_EQ(dispatcher_.stats().queued, 1);
  AddWorker("js", 1, &node, {v1::CodeNode::PYTHON3, v1::CodeNode::JAVASCRIPT});
  ASSERT_EQ(node.size(), 1u);
  EXPECT_EQ(node[0].job().job_id(), "r/1/1");
}

TEST_F(DispatcherTest, JobsOfDifferentRuntimesKeepTheirSubmissionOrder) {
  Enqueue("r", 1, v1::CodeNode::JAVASCRIPT);
  Enqueue("r", 2, v1::CodeNode::PYTHON3);
  Enqueue("r", 3, v1::CodeNode::JAVASCRIPT);
  Enqueue("r", 4, v1::CodeNode::PYTHON3);
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("both", 1, &inbox, {v1::CodeNode::PYTHON3, v1::CodeNode::JAVASCRIPT});
  for (int done = 0; done < 3; ++done) {
    ASSERT_EQ(inbox.size(), static_cast<size_t>(done + 1));
    dispatcher_.OnResult(w, ResultFor(inbox.back()));
  }
  ASSERT_EQ(inbox.size(), 4u);
  EXPECT_EQ(inbox[0].job().job_id(), "r/1/1");
  EXPECT_EQ(inbox[1].job().job_id(), "r/2/1");
  EXPECT_EQ(inbox[2].job().job_id(), "r/3/1");
  EXPECT_EQ(inbox[3].job().job_id(), "r/4/1");
}

TEST_F(DispatcherTest, RequeuedJobsGoBeforeEarlierQueuedOnes) {
  std::vector<v1::SchedulerMessage> lost, next;
  int64_t first = AddWorker("first", 1, &lost);
  Enqueue("r", 1);
  Enqueue("r", 2);
  dispatcher_.RemoveWorker(first);
  AddWorker("next", 1, &next);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job().job_id(), "r/1/1");
  EXPECT_EQ(next[0].job().attempt(), 2);
}

TEST_F(DispatcherTest, ADrainingWorkerRegainsNoSlotsFromCredits) {
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w", 1, &inbox);
  dispatcher_.SetDraining(w);
  dispatcher_.SetFreeSlots(w, 4);
  Enqueue("r", 1);
  EXPECT_TRUE(inbox.empty());
  EXPECT_EQ(dispatcher_.stats().queued, 1);
}

TEST_F(DispatcherTest, CancelJobCancelsOnlyThatJob) {
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w", 1, &inbox);
  Enqueue("r", 1);
  Enqueue("r", 2);
  dispatcher_.CancelJob({"r", 2, 1});
  EXPECT_EQ(dispatcher_.stats().queued, 0);
  dispatcher_.CancelJob({"r", 1, 1});
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[1].cancel().job_id(), "r/1/1");
  dispatcher_.OnResult(w, ResultFor(inbox[0]));
  EXPECT_TRUE(delivered_.empty());
}

TEST_F(DispatcherTest, CreditResetsFreeSlots) {
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w", 1, &inbox);
  Enqueue("r", 1);
  Enqueue("r", 2);
  Enqueue("r", 3);
  EXPECT_EQ(inbox.size(), 1u);
  dispatcher_.SetFreeSlots(w, 2);
  EXPECT_EQ(inbox.size(), 3u);
}

TEST_F(DispatcherTest, ASmallRunIsInterleavedWithABigRunQueuedBeforeIt) {
  for (int i = 0; i < 100; ++i) Enqueue("big", i);
  for (int i = 0; i < 3; ++i) Enqueue("small", i);
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w", 1, &inbox);
  for (int done = 0; done < 6; ++done) dispatcher_.OnResult(w, ResultFor(inbox.back()));
  EXPECT_THAT(JobIds(inbox), ::testing::ElementsAre("big/0/1", "small/0/1", "big/1/1",
                                                    "small/1/1", "big/2/1", "small/2/1",
                                                    "big/3/1"));
}

TEST_F(DispatcherTest, ABigRunOfOneRuntimeDoesNotStarveASmallRunOfAnother) {
  for (int i = 0; i < 50; ++i) Enqueue("big", i, v1::CodeNode::PYTHON3);
  Enqueue("small", 0, v1::CodeNode::JAVASCRIPT);
  Enqueue("small", 1, v1::CodeNode::JAVASCRIPT);
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("both", 1, &inbox, {v1::CodeNode::PYTHON3, v1::CodeNode::JAVASCRIPT});
  for (int done = 0; done < 3; ++done) dispatcher_.OnResult(w, ResultFor(inbox.back()));
  EXPECT_THAT(JobIds(inbox),
              ::testing::ElementsAre("big/0/1", "small/0/1", "big/1/1", "small/1/1"));
}

TEST_F(DispatcherTest, RequeuedJobsStillGoBeforeOtherRuns) {
  std::vector<v1::SchedulerMessage> lost, next;
  int64_t first = AddWorker("first", 1, &lost);
  Enqueue("a", 1);
  Enqueue("b", 1);
  Enqueue("c", 1);
  dispatcher_.RemoveWorker(first);
  int64_t w = AddWorker("next", 1, &next);
  for (int done = 0; done < 2; ++done) dispatcher_.OnResult(w, ResultFor(next.back()));
  EXPECT_THAT(JobIds(next), ::testing::ElementsAre("a/1/1", "b/1/1", "c/1/1"));
  EXPECT_EQ(next[0].job().attempt(), 2);
}

TEST_F(DispatcherTest, ASilentWorkerIsLostWhenItsLeaseExpires) {
  std::vector<v1::SchedulerMessage> silent, other;
  int closed = 0;
  int64_t w1 = AddWorker("silent", 1, &silent, kPython, &closed);
  Enqueue("r", 1);
  ASSERT_EQ(silent.size(), 1u);
  int64_t w2 = AddWorker("other", 1, &other);
  now_ += absl::Seconds(14);
  dispatcher_.Heartbeat(w2);
  dispatcher_.Sweep();
  EXPECT_EQ(closed, 0);
  now_ += absl::Seconds(1);
  dispatcher_.Sweep();
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(dispatcher_.stats().workers, 1);
  // The job runs again on the live worker, as its second delivery.
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].job().job_id(), "r/1/1");
  EXPECT_EQ(other[0].job().attempt(), 2);
  // The lost worker's late result changes nothing, whether it comes on the
  // lost connection or after a reconnect under the same id.
  dispatcher_.OnResult(w1, ResultFor(silent[0]));
  std::vector<v1::SchedulerMessage> reconnected;
  int64_t w3 = AddWorker("silent", 1, &reconnected);
  dispatcher_.OnResult(w3, ResultFor(silent[0]));
  EXPECT_TRUE(delivered_.empty());
  dispatcher_.OnResult(w2, ResultFor(other[0]));
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].result.status(), v1::NODE_SUCCEEDED);
  // The stream ending later (after the cancel) changes nothing either.
  dispatcher_.RemoveWorker(w1);
  EXPECT_EQ(dispatcher_.stats().workers, 2);
}

TEST_F(DispatcherTest, AnyMessageRenewsTheLease) {
  std::vector<v1::SchedulerMessage> inbox;
  int closed = 0;
  int64_t w = AddWorker("w", 2, &inbox, kPython, &closed);
  Enqueue("r", 1);
  now_ += absl::Seconds(10);
  dispatcher_.OnResult(w, ResultFor(inbox[0]));
  now_ += absl::Seconds(10);
  dispatcher_.SetFreeSlots(w, 2);
  now_ += absl::Seconds(10);
  dispatcher_.SetDraining(w);
  now_ += absl::Seconds(10);
  dispatcher_.Sweep();
  EXPECT_EQ(closed, 0);
  now_ += absl::Seconds(5);
  dispatcher_.Sweep();
  EXPECT_EQ(closed, 1);
}

TEST_F(DispatcherTest, ANewStreamWithTheSameWorkerIdReplacesTheOldOne) {
  std::vector<v1::SchedulerMessage> old_inbox, new_inbox;
  int closed = 0;
  int64_t old_handle = AddWorker("w", 1, &old_inbox, kPython, &closed);
  Enqueue("r", 1);
  ASSERT_EQ(old_inbox.size(), 1u);
  int64_t new_handle = AddWorker("w", 1, &new_inbox);
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(dispatcher_.stats().workers, 1);
  ASSERT_EQ(new_inbox.size(), 1u);
  EXPECT_EQ(new_inbox[0].job().attempt(), 2);
  // The old stream's end must not unregister the new one.
  dispatcher_.RemoveWorker(old_handle);
  EXPECT_EQ(dispatcher_.stats().workers, 1);
  EXPECT_TRUE(dispatcher_.DrainWorker("w").ok());
  ASSERT_EQ(new_inbox.size(), 2u);
  EXPECT_TRUE(new_inbox[1].has_drain());
  dispatcher_.OnResult(new_handle, ResultFor(new_inbox[0]));
  EXPECT_EQ(delivered_.size(), 1u);
}

TEST_F(DispatcherTest, AJobThatWaitsTooLongFailsWithQueueTimeout) {
  Enqueue("r", 1, v1::CodeNode::JAVASCRIPT);
  now_ += absl::Minutes(5);
  Enqueue("r", 2, v1::CodeNode::JAVASCRIPT);
  now_ += absl::Minutes(5) - absl::Seconds(1);
  dispatcher_.Sweep();
  EXPECT_TRUE(delivered_.empty());
  now_ += absl::Seconds(1);
  dispatcher_.Sweep();
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].key, (JobKey{"r", 1, 1}));
  EXPECT_EQ(delivered_[0].result.status(), v1::NODE_FAILED);
  EXPECT_EQ(delivered_[0].result.error().code(), v1::QUEUE_TIMEOUT);
  EXPECT_THAT(delivered_[0].result.error().message(),
              ::testing::AllOf(::testing::HasSubstr("waited 10m"),
                               ::testing::HasSubstr("no connected worker runs JAVASCRIPT")));
  EXPECT_EQ(dispatcher_.stats().queued, 1);
}

TEST_F(DispatcherTest, QueueTimeoutSaysWhenWorkersOfTheRuntimeAreBusy) {
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("busy", 1, &inbox);
  Enqueue("r", 1);
  Enqueue("r", 2);
  now_ += absl::Minutes(10);
  dispatcher_.Heartbeat(w);
  dispatcher_.Sweep();
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].key.task, 2);
  EXPECT_THAT(delivered_[0].result.error().message(),
              ::testing::HasSubstr("1 connected worker(s) run PYTHON3 but none had a free slot"));
}

TEST(DispatcherQueueWaitTest, ZeroMaxQueueWaitLetsJobsWaitForever) {
  absl::Time now = absl::FromUnixSeconds(1'000'000);
  DispatcherOptions options = TestOptions(&now);
  options.max_queue_wait = absl::ZeroDuration();
  int delivered = 0;
  Dispatcher dispatcher([&](const JobKey&, v1::NodeResult) { ++delivered; }, options);
  dispatcher.Enqueue({"r", 1, 1}, v1::Job());
  now += absl::Hours(24);
  dispatcher.Sweep();
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(dispatcher.stats().queued, 1);
}

TEST_F(DispatcherTest, DrainWorkerSendsDrainAndStopsNewJobs) {
  std::vector<v1::SchedulerMessage> inbox;
  AddWorker("w", 2, &inbox);
  Enqueue("r", 1);
  EXPECT_TRUE(dispatcher_.DrainWorker("w").ok());
  Enqueue("r", 2);
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_TRUE(inbox[1].has_drain());
  EXPECT_EQ(dispatcher_.stats().queued, 1);
  absl::Status unknown = dispatcher_.DrainWorker("nobody");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), ::testing::HasSubstr("nobody"));
}

TEST_F(DispatcherTest, ListWorkersReportsEachWorker) {
  std::vector<v1::SchedulerMessage> a, b;
  AddWorker("b", 2, &b, {v1::CodeNode::PYTHON3, v1::CodeNode::JAVASCRIPT});
  const absl::Time b_connected = now_;
  now_ += absl::Seconds(3);
  int64_t wa = AddWorker("a", 1, &a);
  Enqueue("r", 1);
  Enqueue("r", 2);
  now_ += absl::Seconds(2);
  dispatcher_.SetDraining(wa);
  std::vector<WorkerInfo> workers = dispatcher_.ListWorkers();
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0].worker_id, "a");
  EXPECT_EQ(workers[0].peer, "ipv4:127.0.0.1:a");
  EXPECT_TRUE(workers[0].draining);
  EXPECT_EQ(workers[0].last_seen, now_);
  EXPECT_EQ(workers[1].worker_id, "b");
  EXPECT_FALSE(workers[1].draining);
  EXPECT_EQ(workers[1].slots, 2);
  EXPECT_EQ(workers[1].connected_at, b_connected);
  EXPECT_THAT(workers[1].runtimes,
              ::testing::ElementsAre(v1::CodeNode::PYTHON3, v1::CodeNode::JAVASCRIPT));
  // b had the most free slots when the jobs came.
  EXPECT_THAT(workers[1].running_jobs, ::testing::ElementsAre("r/1/1", "r/2/1"));
  EXPECT_EQ(workers[1].free_slots, 0);
  EXPECT_EQ(workers[0].free_slots, 1);
}

TEST_F(DispatcherTest, ListWorkersCountsEachWorkersVerdicts) {
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w", 3, &inbox);
  for (int task = 1; task <= 3; ++task) Enqueue("r", task);
  ASSERT_EQ(inbox.size(), 3u);
  dispatcher_.OnResult(w, ResultFor(inbox[0]));
  v1::JobResult timed_out = ResultFor(inbox[1]);
  timed_out.mutable_result()->set_status(v1::NODE_FAILED);
  timed_out.mutable_result()->mutable_error()->set_code(v1::TIMEOUT);
  dispatcher_.OnResult(w, timed_out);
  // A job handed back unrun is no verdict of this worker.
  v1::JobResult handed_back = ResultFor(inbox[2]);
  handed_back.mutable_result()->set_status(v1::NODE_FAILED);
  handed_back.mutable_result()->mutable_error()->set_code(v1::WORKER_LOST);
  dispatcher_.OnResult(w, handed_back);
  std::vector<WorkerInfo> workers = dispatcher_.ListWorkers();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_THAT(workers[0].verdicts,
              ::testing::UnorderedElementsAre(::testing::Pair(v1::ERROR_CODE_UNSPECIFIED, 1),
                                              ::testing::Pair(v1::TIMEOUT, 1)));
}

TEST_F(DispatcherTest, GaugesFollowTheQueueAndTheWorkers) {
  EXPECT_EQ(Metric("flowgrid_queue_depth", {{"language", "python3"}}), 0);
  EXPECT_EQ(Metric("flowgrid_queue_depth", {{"language", "javascript"}}), 0);
  EXPECT_EQ(Metric("flowgrid_queue_oldest_age_seconds"), 0);
  Enqueue("a", 1);
  now_ += absl::Seconds(3);
  Enqueue("a", 2);
  Enqueue("b", 1);
  Enqueue("c", 1, v1::CodeNode::JAVASCRIPT);
  now_ += absl::Seconds(2);
  EXPECT_EQ(Metric("flowgrid_queue_depth", {{"language", "python3"}}), 3);
  EXPECT_EQ(Metric("flowgrid_queue_depth", {{"language", "javascript"}}), 1);
  EXPECT_EQ(Metric("flowgrid_queue_oldest_age_seconds"), 5);
  EXPECT_EQ(Metric("flowgrid_workers_connected"), 0);

  std::vector<v1::SchedulerMessage> inbox, other;
  int64_t w = AddWorker("w", 3, &inbox);
  EXPECT_EQ(Metric("flowgrid_queue_depth", {{"language", "python3"}}), 0);
  EXPECT_EQ(Metric("flowgrid_queue_oldest_age_seconds"), 2);  // the javascript job
  EXPECT_EQ(Metric("flowgrid_jobs_dispatched_total", {{"language", "python3"}}), 3);
  EXPECT_EQ(Metric("flowgrid_jobs_dispatched_total", {{"language", "javascript"}}), 0);
  EXPECT_EQ(Metric("flowgrid_slots", {{"state", "busy"}}), 3);
  EXPECT_EQ(Metric("flowgrid_slots", {{"state", "free"}}), 0);
  AddWorker("other", 2, &other);
  EXPECT_EQ(Metric("flowgrid_workers_connected"), 2);
  EXPECT_EQ(Metric("flowgrid_slots", {{"state", "free"}}), 2);
  dispatcher_.SetDraining(w);
  EXPECT_EQ(Metric("flowgrid_workers_draining"), 1);
  EXPECT_EQ(Metric("flowgrid_slots", {{"state", "busy"}}), 3);
}

TEST_F(DispatcherTest, EachJobOutcomeIsCountedOnceByLanguageAndVerdict) {
  std::vector<v1::SchedulerMessage> inbox;
  int64_t w = AddWorker("w", 2, &inbox);
  Enqueue("r", 1);
  Enqueue("r", 2);
  now_ += absl::Seconds(2);
  dispatcher_.OnResult(w, ResultFor(inbox[0]));
  v1::JobResult timed_out = ResultFor(inbox[1]);
  timed_out.mutable_result()->set_status(v1::NODE_FAILED);
  timed_out.mutable_result()->mutable_error()->set_code(v1::TIMEOUT);
  dispatcher_.OnResult(w, timed_out);
  EXPECT_EQ(JobsFinished("python3", "ok"), 1);
  EXPECT_EQ(JobsFinished("python3", "timeout"), 1);
  EXPECT_EQ(Metric("flowgrid_job_duration_seconds", {{"language", "python3"}}), 2);
  EXPECT_EQ(MetricValue(registry_, "flowgrid_job_duration_seconds", {{"language", "python3"}},
                        /*sum=*/true),
            4);

  // Dropped without a result: a queued job of a cancelled run.
  dispatcher_.SetDraining(w);
  Enqueue("doomed", 1);
  dispatcher_.CancelRun("doomed");
  EXPECT_EQ(JobsFinished("python3", "cancelled"), 1);
  // Waited too long for a JavaScript worker.
  Enqueue("r", 3, v1::CodeNode::JAVASCRIPT);
  now_ += absl::Minutes(10);
  dispatcher_.Heartbeat(w);
  dispatcher_.Sweep();
  EXPECT_EQ(JobsFinished("javascript", "queue_timeout"), 1);
  // Templates render in Python.
  Enqueue("t", 1, v1::CodeNode::LANGUAGE_UNSPECIFIED, v1::Job::RENDER_TEMPLATE);
  dispatcher_.CancelRun("t");
  EXPECT_EQ(JobsFinished("python3", "cancelled"), 2);
  EXPECT_EQ(Metric("flowgrid_job_duration_seconds", {{"language", "javascript"}}), 1);
}

TEST_F(DispatcherTest, LostWorkersAndRequeuesAreCountedButAFinishedDrainIsNotALoss) {
  std::vector<v1::SchedulerMessage> first, second, third;
  int64_t w1 = AddWorker("w1", 1, &first);
  Enqueue("r", 1);
  dispatcher_.RemoveWorker(w1);
  EXPECT_EQ(Metric("flowgrid_workers_lost_total"), 1);
  EXPECT_EQ(Metric("flowgrid_job_requeues_total"), 1);
  EXPECT_EQ(Metric("flowgrid_queue_depth", {{"language", "python3"}}), 1);

  int64_t w2 = AddWorker("w2", 1, &second);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(Metric("flowgrid_jobs_dispatched_total", {{"language", "python3"}}), 2);
  dispatcher_.OnResult(w2, ResultFor(second[0]));
  dispatcher_.SetDraining(w2);
  dispatcher_.RemoveWorker(w2);
  EXPECT_EQ(Metric("flowgrid_workers_lost_total"), 1);
  EXPECT_EQ(JobsFinished("python3", "ok"), 1);

  // Draining, but gone with a job in hand: lost.
  int64_t w3 = AddWorker("w3", 1, &third);
  Enqueue("r", 2);
  dispatcher_.SetDraining(w3);
  dispatcher_.RemoveWorker(w3);
  EXPECT_EQ(Metric("flowgrid_workers_lost_total"), 2);
  EXPECT_EQ(Metric("flowgrid_job_requeues_total"), 2);
}

}  // namespace
}  // namespace flowgrid::dispatch
