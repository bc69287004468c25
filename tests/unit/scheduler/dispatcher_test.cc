#include "scheduler/dispatch/dispatcher.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::dispatch {
namespace {

struct Delivered {
  JobKey key;
  v1::NodeResult result;
};

const std::vector<v1::CodeNode::Language> kPython = {v1::CodeNode::PYTHON3};

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest()
      : dispatcher_([this](const JobKey& key, v1::NodeResult result) {
          delivered_.push_back({key, std::move(result)});
        }) {}

  // Registers a worker whose received messages land in `inbox`.
  int64_t AddWorker(const std::string& id, int slots, std::vector<v1::SchedulerMessage>* inbox,
                    std::vector<v1::CodeNode::Language> runtimes = kPython) {
    return dispatcher_.AddWorker(id, slots, std::move(runtimes),
                                 [inbox](const v1::SchedulerMessage& m) { inbox->push_back(m); });
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

  std::vector<Delivered> delivered_;
  Dispatcher dispatcher_;
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

}  // namespace
}  // namespace flowgrid::dispatch
