// A SQLite store (in memory) whose Write can be held back by a test, so
// that writes pile up behind a transaction in progress, as under load.
#ifndef FLOWGRID_TESTS_UNIT_SCHEDULER_GATED_STORE_H_
#define FLOWGRID_TESTS_UNIT_SCHEDULER_GATED_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "scheduler/store/sqlite_run_store.h"

namespace flowgrid::testing {

// A SQLite store whose Write can be held back by the test, so that writes
// pile up behind a transaction in progress, as they do under load.
class GatedStore : public store::RunStore {
 public:
  static std::unique_ptr<GatedStore> Open() {
    auto inner = store::SqliteRunStore::Open(":memory:");
    EXPECT_TRUE(inner.ok()) << inner.status();
    return std::make_unique<GatedStore>(*std::move(inner));
  }
  explicit GatedStore(std::unique_ptr<store::SqliteRunStore> inner) : inner_(std::move(inner)) {}

  void Hold() {
    absl::MutexLock lock(&mu_);
    held_ = true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    held_ = false;
  }
  // Waits (bounded) until a Write is blocked by Hold().
  bool AwaitBlockedWrite() {
    absl::MutexLock lock(&mu_);
    auto blocked = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return blocked_; };
    return mu_.AwaitWithTimeout(absl::Condition(&blocked), absl::Seconds(10));
  }
  std::vector<size_t> batch_sizes() {
    absl::MutexLock lock(&mu_);
    return batch_sizes_;
  }
  store::RunStore& inner() { return *inner_; }

  absl::Status CreateRun(const store::NewRun& run) override { return inner_->CreateRun(run); }
  absl::StatusOr<std::optional<std::string>> FindRunByIdempotencyKey(
      const std::string& key) override {
    return inner_->FindRunByIdempotencyKey(key);
  }
  absl::Status AppendEvents(const std::string& run_id,
                            const std::vector<v1::RunEvent>& events) override {
    return inner_->AppendEvents(run_id, events);
  }
  absl::StatusOr<v1::Run> GetRun(const std::string& run_id) override {
    return inner_->GetRun(run_id);
  }
  absl::StatusOr<store::NewRun> GetRunRecord(const std::string& run_id) override {
    return inner_->GetRunRecord(run_id);
  }
  absl::StatusOr<std::vector<v1::RunEvent>> ReadEvents(const std::string& run_id,
                                                       int64_t after_sequence) override {
    return inner_->ReadEvents(run_id, after_sequence);
  }
  absl::StatusOr<store::RunPage> ListRuns(int page_size, const std::string& page_token,
                                          const store::RunFilter& filter) override {
    return inner_->ListRuns(page_size, page_token, filter);
  }
  absl::StatusOr<std::vector<std::string>> ListUnfinishedRuns() override {
    return inner_->ListUnfinishedRuns();
  }
  std::vector<absl::Status> Write(const std::vector<store::RunWrite>& writes) override {
    {
      absl::MutexLock lock(&mu_);
      blocked_ = held_;
      auto open = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !held_; };
      EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&open), absl::Seconds(10)));
      blocked_ = false;
      batch_sizes_.push_back(writes.size());
    }
    return inner_->Write(writes);
  }

 private:
  std::unique_ptr<store::SqliteRunStore> inner_;
  absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool blocked_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<size_t> batch_sizes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowgrid::testing

#endif  // FLOWGRID_TESTS_UNIT_SCHEDULER_GATED_STORE_H_
