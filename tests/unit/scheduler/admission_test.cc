// Admission control and idempotency of RunEngine::Submit: the bound on runs
// in progress (refusal with a retry delay, no overshoot under concurrent
// submissions, room again once a run ends), and idempotency keys (an
// existing key wins over a full scheduler, racing submissions with one key
// create one run, keys outlive the engine). No worker is connected, so a
// run with a code node stays in progress until cancelled.
#include "scheduler/engine/admission.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/retry_delay.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/engine/run_engine.h"
#include "scheduler/store/sqlite_run_store.h"
#include "tests/unit/scheduler/run_driver.h"
#include "tests/unit/scheduler/workflow_builder.h"

namespace flowgrid::engine {
namespace {

using ::testing::HasSubstr;
using flowgrid::testing::Json;
using flowgrid::testing::WorkflowBuilder;

v1::Workflow OneCode() {
  return WorkflowBuilder()
      .Start("start", {"name"})
      .Code("greet", {{"name", "start.name"}}, {"greeting"})
      .End("end", {{"greeting", "greet.greeting"}})
      .Edge("start", "greet").Edge("greet", "end").Build();
}

EngineOptions WithMaxActiveRuns(int max_active_runs) {
  EngineOptions options = DefaultEngineOptions();
  options.admission.max_active_runs = max_active_runs;
  options.admission.retry_delay = absl::Milliseconds(750);
  return options;
}

int64_t StoredRuns(store::RunStore& store) {
  absl::StatusOr<store::RunPage> page = store.ListRuns(1000, "", store::RunFilter());
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? static_cast<int64_t>(page->runs.size()) : -1;
}

TEST(AdmitRun, RefusesAtTheLimitNamingItWithTheRetryDelay) {
  AdmissionOptions options{3, absl::Milliseconds(1500)};
  EXPECT_TRUE(AdmitRun(options, 0).ok());
  EXPECT_TRUE(AdmitRun(options, 2).ok());
  absl::Status full = AdmitRun(options, 3);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(full.message(), HasSubstr("limit of 3 runs in progress (--max_active_runs)"));
  EXPECT_THAT(full.message(), HasSubstr("retry in 1.5s"));
  EXPECT_EQ(GetRetryDelay(full), absl::Milliseconds(1500));
  EXPECT_EQ(AdmitRun(options, 7).code(), absl::StatusCode::kResourceExhausted);
}

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionTest() : store_(*store::SqliteRunStore::Open(":memory:")) {}
  std::unique_ptr<store::SqliteRunStore> store_;
};

TEST_F(AdmissionTest, RunBeyondTheLimitIsRefusedAndNotRecordedUntilOneEnds) {
  RunEngine engine(store_.get(), WithMaxActiveRuns(2));
  absl::StatusOr<SubmitResult> first = engine.Submit(OneCode(), Json(R"({"name":"a"})"), {}, "");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(engine.Submit(OneCode(), Json(R"({"name":"b"})"), {}, "").ok());

  absl::StatusOr<SubmitResult> refused =
      engine.Submit(OneCode(), Json(R"({"name":"c"})"), {}, "key-c");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetRetryDelay(refused.status()), absl::Milliseconds(750));
  EXPECT_EQ(StoredRuns(*store_), 2);
  // A refused key is not taken: the same submission is accepted later.
  ASSERT_TRUE(engine.Cancel(first->run_id).ok());
  absl::StatusOr<SubmitResult> later =
      engine.Submit(OneCode(), Json(R"({"name":"c"})"), {}, "key-c");
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE(later->existing);
  EXPECT_EQ(StoredRuns(*store_), 3);
}

TEST_F(AdmissionTest, KnownIdempotencyKeyReturnsItsRunEvenWhenFull) {
  RunEngine engine(store_.get(), WithMaxActiveRuns(1));
  absl::StatusOr<SubmitResult> first =
      engine.Submit(OneCode(), Json(R"({"name":"a"})"), {}, "key-a");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<SubmitResult> again =
      engine.Submit(OneCode(), Json(R"({"name":"a"})"), {}, "key-a");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->run_id, first->run_id);
  EXPECT_TRUE(again->existing);
  EXPECT_EQ(engine.Submit(OneCode(), Json(R"({"name":"b"})"), {}, "key-b").status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Many threads submit at once against a small bound: exactly the bound is
// accepted, every other submission is refused, and only accepted runs are
// in the store.
TEST_F(AdmissionTest, ConcurrentSubmissionsNeverOvershootTheLimit) {
  constexpr int kLimit = 5;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 4;
  RunEngine engine(store_.get(), WithMaxActiveRuns(kLimit));
  std::atomic<int> accepted{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<SubmitResult> r = engine.Submit(
            OneCode(), Json(R"({"name":"x"})"), {}, absl::StrCat("key-", t, "-", i));
        if (r.ok()) {
          ++accepted;
        } else if (r.status().code() == absl::StatusCode::kResourceExhausted) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), kLimit);
  EXPECT_EQ(refused.load(), kThreads * kPerThread - kLimit);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(StoredRuns(*store_), kLimit);
}

// Racing submissions with one key, released together: one run is created,
// every caller gets its id.
TEST_F(AdmissionTest, RacingSubmissionsWithOneKeyCreateOneRun) {
  constexpr int kThreads = 16;
  RunEngine engine(store_.get(), WithMaxActiveRuns(100));
  absl::Mutex mu;
  bool go = false;
  std::vector<absl::StatusOr<SubmitResult>> results(kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(&go));
      }
      results[t] = engine.Submit(OneCode(), Json(R"({"name":"x"})"), {}, "shared-key");
    });
  }
  {
    absl::MutexLock lock(&mu);
    go = true;
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  int created = 0;
  for (const absl::StatusOr<SubmitResult>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->run_id, results[0]->run_id);
    if (!r->existing) ++created;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(StoredRuns(*store_), 1);
}

TEST(AdmissionRestart, IdempotencyKeysSurviveARestart) {
  char dir_template[] = "/tmp/flowgrid-admission-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string db = std::string(dir_template) + "/flowgrid.db";
  // Each call is a scheduler process of its own: a fresh store handle and
  // engine on the same file.
  auto submit_in_new_engine = [&db]() -> absl::StatusOr<SubmitResult> {
    auto store = store::SqliteRunStore::Open(db);
    if (!store.ok()) return store.status();
    RunEngine engine(store->get(), WithMaxActiveRuns(10));
    return engine.Submit(OneCode(), Json(R"({"name":"a"})"), {}, "key-kept");
  };
  absl::StatusOr<SubmitResult> first = submit_in_new_engine();
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<SubmitResult> again = submit_in_new_engine();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->run_id, first->run_id);
  EXPECT_FALSE(first->existing);
  EXPECT_TRUE(again->existing);
  std::filesystem::remove_all(dir_template);
}

}  // namespace
}  // namespace flowgrid::engine
