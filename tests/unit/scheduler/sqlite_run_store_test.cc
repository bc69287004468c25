#include "scheduler/store/sqlite_run_store.h"

#include <sqlite3.h>

#include <filesystem>

#include "common/value_json.h"
#include "gmock/gmock.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace flowgrid::store {
namespace {

NewRun MakeRun(const std::string& id, const std::string& key = "") {
  NewRun run;
  run.run_id = id;
  run.idempotency_key = key;
  run.workflow.set_name("wf-" + id);
  run.inputs["x"] = IntValue(9223372036854775807);
  run.system["user_id"] = StringValue("u-" + id);
  run.created_at = absl::FromUnixMicros(1'700'000'000'123'456);
  return run;
}

v1::RunEvent Finished(int64_t seq, v1::RunStatus status) {
  v1::RunEvent e;
  e.set_sequence(seq);
  e.mutable_run_finished()->set_status(status);
  (*e.mutable_run_finished()->mutable_outputs())["out"] = StringValue("done");
  return e;
}

v1::RunEvent NodeFinished(int64_t seq, const std::string& node) {
  v1::RunEvent e;
  e.set_sequence(seq);
  e.mutable_node_finished()->set_node_id(node);
  e.mutable_node_finished()->mutable_result()->set_stdout("printed\n");
  return e;
}

RunFilter Filter(v1::RunStatus status, const std::string& workflow_name = "",
                 std::optional<absl::Time> created_after = std::nullopt,
                 std::optional<absl::Time> created_before = std::nullopt) {
  RunFilter filter;
  filter.status = status;
  filter.workflow_name = workflow_name;
  filter.created_after = created_after;
  filter.created_before = created_before;
  return filter;
}

std::unique_ptr<SqliteRunStore> OpenMemory() {
  auto store = SqliteRunStore::Open(":memory:");
  EXPECT_TRUE(store.ok()) << store.status();
  return *std::move(store);
}

TEST(SqliteRunStore, RunLifecycle) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->CreateRun(MakeRun("r1")).ok());
  absl::StatusOr<v1::Run> running = store->GetRun("r1");
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->status(), v1::RUN_RUNNING);
  EXPECT_EQ(running->inputs().at("x").int_value(), 9223372036854775807);

  ASSERT_TRUE(store->AppendEvents("r1", {NodeFinished(1, "a"), Finished(2, v1::RUN_SUCCEEDED)}).ok());
  absl::StatusOr<v1::Run> done = store->GetRun("r1");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(done->outputs().at("out").string_value(), "done");
  ASSERT_EQ(done->nodes_size(), 1);
  EXPECT_EQ(done->nodes(0).node_id(), "a");
  EXPECT_EQ(done->nodes(0).result().stdout(), "printed\n");
  absl::StatusOr<NewRun> record = store->GetRunRecord("r1");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->workflow.name(), "wf-r1");
  EXPECT_EQ(record->inputs.at("x").int_value(), 9223372036854775807);
  EXPECT_EQ(record->system.at("user_id").string_value(), "u-r1");
  EXPECT_EQ(record->created_at, absl::FromUnixMicros(1'700'000'000'123'456));
  EXPECT_EQ(store->GetRunRecord("nope").status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<std::vector<v1::RunEvent>> after1 = store->ReadEvents("r1", 1);
  ASSERT_TRUE(after1.ok());
  ASSERT_EQ(after1->size(), 1u);
  EXPECT_EQ((*after1)[0].sequence(), 2);
}

TEST(SqliteRunStore, DuplicateSequenceIsRejectedAtomically) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->CreateRun(MakeRun("r1")).ok());
  ASSERT_TRUE(store->AppendEvents("r1", {NodeFinished(1, "a")}).ok());
  EXPECT_FALSE(store->AppendEvents("r1", {NodeFinished(2, "b"), NodeFinished(1, "c")}).ok());
  EXPECT_EQ(store->ReadEvents("r1", 0)->size(), 1u);
}

TEST(SqliteRunStore, WriteAppliesEachWriteAllOrNothingInOneBatch) {
  auto store = OpenMemory();
  std::vector<RunWrite> writes(3);
  writes[0].create = MakeRun("r1");
  writes[0].run_id = "r1";
  writes[0].events = {NodeFinished(1, "a")};
  // Fails on its second event (sequence 1 again): its first event must not
  // stay behind, and the writes around it must not be affected.
  writes[1].run_id = "r1";
  writes[1].events = {NodeFinished(2, "b"), NodeFinished(1, "c")};
  writes[2].create = MakeRun("r2");
  writes[2].run_id = "r2";
  writes[2].events = {Finished(1, v1::RUN_SUCCEEDED)};
  std::vector<absl::Status> statuses = store->Write(writes);
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_TRUE(statuses[0].ok()) << statuses[0];
  EXPECT_EQ(statuses[1].code(), absl::StatusCode::kAlreadyExists) << statuses[1];
  EXPECT_TRUE(statuses[2].ok()) << statuses[2];
  absl::StatusOr<std::vector<v1::RunEvent>> r1 = store->ReadEvents("r1", 0);
  ASSERT_TRUE(r1.ok());
  ASSERT_EQ(r1->size(), 1u);
  EXPECT_EQ((*r1)[0].node_finished().node_id(), "a");
  EXPECT_EQ(store->GetRun("r2")->status(), v1::RUN_SUCCEEDED);
  // The store stays usable after a partly failed batch.
  EXPECT_TRUE(store->AppendEvents("r1", {NodeFinished(2, "b")}).ok());
}

TEST(SqliteRunStore, IdempotencyKeysAreUnique) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->CreateRun(MakeRun("r1", "key")).ok());
  EXPECT_EQ(store->CreateRun(MakeRun("r2", "key")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->FindRunByIdempotencyKey("key")->value(), "r1");
  EXPECT_FALSE(store->FindRunByIdempotencyKey("other")->has_value());
  // Runs without a key do not collide with each other.
  EXPECT_TRUE(store->CreateRun(MakeRun("r3")).ok());
  EXPECT_TRUE(store->CreateRun(MakeRun("r4")).ok());
}

TEST(SqliteRunStore, ListRunsPagesNewestFirstAndFilters) {
  auto store = OpenMemory();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->CreateRun(MakeRun("r" + std::to_string(i))).ok());
  ASSERT_TRUE(store->AppendEvents("r1", {Finished(1, v1::RUN_FAILED)}).ok());

  absl::StatusOr<RunPage> page1 = store->ListRuns(2, "", RunFilter());
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->runs.size(), 2u);
  EXPECT_EQ(page1->runs[0].run_id(), "r4");
  EXPECT_EQ(page1->runs[1].run_id(), "r3");
  absl::StatusOr<RunPage> page2 = store->ListRuns(2, page1->next_page_token, RunFilter());
  ASSERT_EQ(page2->runs.size(), 2u);
  EXPECT_EQ(page2->runs[0].run_id(), "r2");
  absl::StatusOr<RunPage> page3 = store->ListRuns(2, page2->next_page_token, RunFilter());
  ASSERT_EQ(page3->runs.size(), 1u);
  EXPECT_TRUE(page3->next_page_token.empty());

  absl::StatusOr<RunPage> failed = store->ListRuns(10, "", Filter(v1::RUN_FAILED));
  ASSERT_EQ(failed->runs.size(), 1u);
  EXPECT_EQ(failed->runs[0].run_id(), "r1");
  EXPECT_FALSE(store->ListRuns(10, "garbage", RunFilter()).ok());

  absl::StatusOr<std::vector<std::string>> unfinished = store->ListUnfinishedRuns();
  EXPECT_EQ(unfinished->size(), 4u);
}

TEST(SqliteRunStore, ListRunsFiltersByWorkflowAndCreationTime) {
  auto store = OpenMemory();
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  for (int i = 0; i < 6; ++i) {
    NewRun run = MakeRun("r" + std::to_string(i));
    run.workflow.set_name(i % 2 == 0 ? "even" : "odd");
    run.created_at = t0 + absl::Minutes(i);
    ASSERT_TRUE(store->CreateRun(run).ok());
  }
  ASSERT_TRUE(store->AppendEvents("r4", {Finished(1, v1::RUN_FAILED)}).ok());
  auto ids = [&](const RunFilter& filter, int page_size = 10) {
    std::vector<std::string> found;
    std::string token;
    for (int pages = 0; pages < 10; ++pages) {
      absl::StatusOr<RunPage> page = store->ListRuns(page_size, token, filter);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const v1::Run& run : page->runs) found.push_back(run.run_id());
      token = page->next_page_token;
      if (token.empty()) break;
    }
    return found;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(ids(Filter(v1::RUN_STATUS_UNSPECIFIED, "even")), ElementsAre("r4", "r2", "r0"));
  EXPECT_THAT(ids(Filter(v1::RUN_STATUS_UNSPECIFIED, "even"), 1), ElementsAre("r4", "r2", "r0"));
  EXPECT_THAT(ids(Filter(v1::RUN_STATUS_UNSPECIFIED, "none")), ElementsAre());
  // After is inclusive, before exclusive.
  EXPECT_THAT(ids(Filter(v1::RUN_STATUS_UNSPECIFIED, "", t0 + absl::Minutes(2),
                         t0 + absl::Minutes(4))),
              ElementsAre("r3", "r2"));
  EXPECT_THAT(ids(Filter(v1::RUN_STATUS_UNSPECIFIED, "", std::nullopt, t0 + absl::Minutes(1))),
              ElementsAre("r0"));
  EXPECT_THAT(ids(Filter(v1::RUN_STATUS_UNSPECIFIED, "", t0 + absl::Minutes(5))),
              ElementsAre("r5"));
  EXPECT_THAT(ids(Filter(v1::RUN_FAILED, "even")), ElementsAre("r4"));
  EXPECT_THAT(ids(Filter(v1::RUN_FAILED, "odd")), ElementsAre());
}

TEST(SqliteRunStore, HistorySurvivesReopening) {
  std::string path = ::testing::TempDir() + "/store_reopen.db";
  std::filesystem::remove(path);
  {
    auto store = SqliteRunStore::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->CreateRun(MakeRun("r1")).ok());
    ASSERT_TRUE((*store)->AppendEvents("r1", {Finished(1, v1::RUN_SUCCEEDED)}).ok());
  }
  auto reopened = SqliteRunStore::Open(path);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->GetRun("r1")->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ((*reopened)->GetRun("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(SqliteRunStore, OneSchedulerHoldsAStoreAtATime) {
  std::string path = ::testing::TempDir() + "/store_locked.db";
  std::filesystem::remove(path);
  {
    auto first = SqliteRunStore::Open(path);
    ASSERT_TRUE(first.ok()) << first.status();
    auto second = SqliteRunStore::Open(path);
    ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
    EXPECT_TRUE(absl::StrContains(second.status().message(), "in use by another scheduler"))
        << second.status();
    EXPECT_TRUE(absl::StrContains(second.status().message(), path)) << second.status();
  }
  // Closing the store releases it.
  auto reopened = SqliteRunStore::Open(path);
  EXPECT_TRUE(reopened.ok()) << reopened.status();
}

// Runs sql on the database file at `path` directly.
void ExecSql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(SqliteRunStore, SchemaOneFileIsUpgradedAndItsRunsStayReadable) {
  std::string path = ::testing::TempDir() + "/store_schema1.db";
  std::filesystem::remove(path);
  // The schema as written before versions were recorded (user_version 0).
  ExecSql(path, R"sql(
    CREATE TABLE runs (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL UNIQUE,
      idempotency_key TEXT UNIQUE, workflow_name TEXT NOT NULL, workflow BLOB NOT NULL,
      inputs BLOB NOT NULL, status INTEGER NOT NULL, outputs BLOB, error BLOB,
      failed_node_id TEXT, created_at_us INTEGER NOT NULL, finished_at_us INTEGER);
    CREATE INDEX runs_by_status ON runs (status, seq);
    CREATE TABLE events (run_id TEXT NOT NULL, sequence INTEGER NOT NULL, event BLOB NOT NULL,
      PRIMARY KEY (run_id, sequence)) WITHOUT ROWID;
    INSERT INTO runs (run_id, workflow_name, workflow, inputs, status, created_at_us)
      VALUES ('old', 'legacy', x'', x'', 2, 1);)sql");
  {
    auto store = SqliteRunStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<v1::Run> old = (*store)->GetRun("old");
    ASSERT_TRUE(old.ok()) << old.status();
    EXPECT_EQ(old->workflow_name(), "legacy");
    EXPECT_EQ(old->status(), v1::RUN_RUNNING);
    absl::StatusOr<NewRun> record = (*store)->GetRunRecord("old");
    EXPECT_EQ(record.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(record.status().message(), ::testing::HasSubstr("did not store its system values"));
    ASSERT_TRUE((*store)->CreateRun(MakeRun("new")).ok());
  }
  auto reopened = SqliteRunStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->GetRunRecord("new")->system.at("user_id").string_value(), "u-new");
}

TEST(SqliteRunStore, FileOfANewerSchemaIsRefused) {
  std::string path = ::testing::TempDir() + "/store_schema_future.db";
  std::filesystem::remove(path);
  ExecSql(path, "PRAGMA user_version = 99");
  auto store = SqliteRunStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("schema version is 99, newer"));
}

TEST(SqliteRunStore, UnopenablePathIsAClearError) {
  auto store = SqliteRunStore::Open("/nonexistent-dir/x.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/nonexistent-dir/x.db"), std::string::npos);
}

}  // namespace
}  // namespace flowgrid::store
