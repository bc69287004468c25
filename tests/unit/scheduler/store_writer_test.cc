#include "scheduler/engine/store_writer.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/unit/scheduler/gated_store.h"
#include "tests/unit/scheduler/metric_value.h"

namespace flowgrid::engine {
namespace {

using flowgrid::testing::GatedStore;

store::RunWrite Create(const std::string& run_id) {
  store::RunWrite write;
  write.create.emplace();
  write.create->run_id = run_id;
  write.create->workflow.set_name("wf");
  write.create->created_at = absl::Now();
  write.run_id = run_id;
  return write;
}

store::RunWrite Event(const std::string& run_id, int64_t sequence, bool finishes) {
  store::RunWrite write;
  write.run_id = run_id;
  v1::RunEvent& event = write.events.emplace_back();
  event.set_run_id(run_id);
  event.set_sequence(sequence);
  if (finishes) {
    event.mutable_run_finished()->set_status(v1::RUN_SUCCEEDED);
  } else {
    event.mutable_node_started()->set_node_id(absl::StrCat("n", sequence));
  }
  return write;
}

TEST(StoreWriter, WritesQueuedDuringACommitShareTheNextTransactionInOrder) {
  std::unique_ptr<GatedStore> store = GatedStore::Open();
  StoreWriter writer(store.get());
  absl::Mutex mu;
  std::vector<std::string> order;
  auto record = [&](std::string name) {
    return [&, name](absl::Status status, std::vector<v1::RunEvent>) {
      EXPECT_TRUE(status.ok()) << name << ": " << status;
      absl::MutexLock lock(&mu);
      order.push_back(name);
    };
  };
  store->Hold();
  writer.Write(Create("r0"), record("create r0"));
  std::thread committer([&] { writer.Drain(); });
  ASSERT_TRUE(store->AwaitBlockedWrite());
  // These wait behind the held transaction; Drain leaves them to the thread
  // already committing, which takes them all in its next transaction.
  writer.Write(Create("r1"), record("create r1"));
  for (int seq = 1; seq <= 5; ++seq) {
    writer.Write(Event("r1", seq, seq == 5), record(absl::StrCat("r1 event ", seq)));
  }
  writer.Drain();
  store->Release();
  committer.join();

  EXPECT_EQ(order, (std::vector<std::string>{"create r0", "create r1", "r1 event 1",
                                             "r1 event 2", "r1 event 3", "r1 event 4",
                                             "r1 event 5"}));
  EXPECT_EQ(store->batch_sizes(), (std::vector<size_t>{1, 6}));
  EXPECT_EQ(writer.transactions(), 2);
  absl::StatusOr<std::vector<v1::RunEvent>> events = store->inner().ReadEvents("r1", 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*events)[i].sequence(), i + 1);
}

TEST(StoreWriter, AnUncontendedWriteIsCommittedInlineAndPublishedOnlyOnceDurable) {
  std::unique_ptr<GatedStore> store = GatedStore::Open();
  StoreWriter writer(store.get());
  writer.Write(Create("r1"), nullptr);
  bool called = false;
  std::thread::id callback_thread;
  v1::RunStatus status_seen_by_callback = v1::RUN_STATUS_UNSPECIFIED;
  std::vector<v1::RunEvent> returned;
  writer.Write(Event("r1", 1, /*finishes=*/true),
               [&](absl::Status status, std::vector<v1::RunEvent> events) {
                 EXPECT_TRUE(status.ok()) << status;
                 called = true;
                 callback_thread = std::this_thread::get_id();
                 // What a watcher would be shown is already in the store.
                 status_seen_by_callback = store->inner().GetRun("r1")->status();
                 returned = std::move(events);
               });
  EXPECT_FALSE(called);  // queued, not yet committed
  writer.Drain();
  ASSERT_TRUE(called);
  EXPECT_EQ(callback_thread, std::this_thread::get_id());
  EXPECT_EQ(status_seen_by_callback, v1::RUN_SUCCEEDED);
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_TRUE(returned[0].has_run_finished());
  EXPECT_EQ(writer.transactions(), 1);
}

TEST(StoreWriter, AFailedWriteIsReportedToItsOwnCallbackOnly) {
  std::unique_ptr<GatedStore> store = GatedStore::Open();
  StoreWriter writer(store.get());
  std::vector<absl::StatusCode> codes(3, absl::StatusCode::kUnknown);
  auto keep = [&](int i) {
    return [&codes, i](absl::Status status, std::vector<v1::RunEvent>) {
      codes[i] = status.code();
    };
  };
  store->Hold();
  writer.Write(Create("r1"), keep(0));
  std::thread committer([&] { writer.Drain(); });
  ASSERT_TRUE(store->AwaitBlockedWrite());
  writer.Write(Create("r1"), keep(1));  // the same run id again
  writer.Write(Create("r2"), keep(2));
  store->Release();
  committer.join();
  EXPECT_EQ(codes, (std::vector<absl::StatusCode>{absl::StatusCode::kOk,
                                                  absl::StatusCode::kAlreadyExists,
                                                  absl::StatusCode::kOk}));
}

TEST(StoreWriter, RecordsEachTransactionAndItsFailedWrites) {
  std::unique_ptr<GatedStore> store = GatedStore::Open();
  prometheus::Registry registry;
  metrics::SchedulerMetrics metrics(registry);
  StoreWriter writer(store.get(), &metrics);
  writer.Write(Create("r1"), nullptr);
  writer.Write(Create("r1"), nullptr);  // the same run id again: fails alone
  writer.Write(Create("r2"), nullptr);
  writer.Drain();
  EXPECT_EQ(writer.transactions(), 1);
  EXPECT_EQ(flowgrid::testing::MetricValue(registry, "flowgrid_store_write_duration_seconds"), 1);
  EXPECT_EQ(flowgrid::testing::MetricValue(registry, "flowgrid_store_write_errors_total"), 1);
}

TEST(StoreWriter, FlushWaitsForTheCommitInProgress) {
  std::unique_ptr<GatedStore> store = GatedStore::Open();
  StoreWriter writer(store.get());
  store->Hold();
  writer.Write(Create("r1"), nullptr);
  std::thread committer([&] { writer.Drain(); });
  ASSERT_TRUE(store->AwaitBlockedWrite());
  std::atomic<bool> flushed{false};
  std::thread flusher([&] {
    writer.Flush();
    flushed = true;
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(flushed.load());
  store->Release();
  flusher.join();
  committer.join();
  EXPECT_TRUE(flushed.load());
  EXPECT_EQ(store->inner().GetRun("r1")->status(), v1::RUN_RUNNING);
}

TEST(StoreWriter, DestructionCommitsWhatIsQueued) {
  std::unique_ptr<GatedStore> store = GatedStore::Open();
  {
    StoreWriter writer(store.get());
    for (int i = 0; i < 50; ++i) writer.Write(Create(absl::StrCat("r", i)), nullptr);
  }
  absl::StatusOr<std::vector<std::string>> unfinished = store->inner().ListUnfinishedRuns();
  ASSERT_TRUE(unfinished.ok());
  EXPECT_EQ(unfinished->size(), 50u);
}

}  // namespace
}  // namespace flowgrid::engine
