// The embedded RunStore: one SQLite database file in WAL mode.
#ifndef FLOWGRID_SCHEDULER_STORE_SQLITE_RUN_STORE_H_
#define FLOWGRID_SCHEDULER_STORE_SQLITE_RUN_STORE_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "scheduler/store/run_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace flowgrid::store {

class SqliteRunStore : public RunStore {
 public:
  // The schema this code writes (PRAGMA user_version; files of schema 1,
  // written before versions were recorded, say 0). Opening a file of an
  // older schema upgrades it in place; a newer one is refused.
  //   1: runs, events.
  //   2: runs.system (the run's system values, needed to resume it).
  //   3: indexes runs_by_workflow and runs_by_created (ListRuns filters).
  static constexpr int kSchemaVersion = 3;

  // Opens (creating if needed) the database at `path` and its schema.
  // ":memory:" gives a private in-memory store (tests). A file store is
  // held by one process at a time (an flock on `path`.lock, released when
  // the store closes or its process dies): a second scheduler on the same
  // store gets FailedPrecondition instead of writing beside the first.
  static absl::StatusOr<std::unique_ptr<SqliteRunStore>> Open(const std::string& path);
  ~SqliteRunStore() override;

  absl::Status CreateRun(const NewRun& run) override;
  absl::StatusOr<std::optional<std::string>> FindRunByIdempotencyKey(
      const std::string& key) override;
  absl::Status AppendEvents(const std::string& run_id,
                            const std::vector<v1::RunEvent>& events) override;
  std::vector<absl::Status> Write(const std::vector<RunWrite>& writes) override;
  absl::StatusOr<v1::Run> GetRun(const std::string& run_id) override;
  absl::StatusOr<NewRun> GetRunRecord(const std::string& run_id) override;
  absl::StatusOr<std::vector<v1::RunEvent>> ReadEvents(const std::string& run_id,
                                                       int64_t after_sequence) override;
  absl::StatusOr<RunPage> ListRuns(int page_size, const std::string& page_token,
                                   const RunFilter& filter) override;
  absl::StatusOr<std::vector<std::string>> ListUnfinishedRuns() override;

 private:
  SqliteRunStore(sqlite3* db, int lock_fd) : lock_fd_(lock_fd), db_(db) {}
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Creates the schema, or brings an older one up to kSchemaVersion.
  absl::Status MigrateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The statement for `sql` (a string literal: cached by its address),
  // prepared once per connection; null if it does not prepare.
  sqlite3_stmt* Prepared(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a cached statement without results (BEGIN, SAVEPOINT...).
  absl::Status Run(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteOneLocked(const RunWrite& write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<v1::RunEvent>> ReadEventsLocked(const std::string& run_id,
                                                             int64_t after_sequence)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The held lock file, or -1 (in-memory store).
  const int lock_fd_;
  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<const char*, sqlite3_stmt*> prepared_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowgrid::store

#endif  // FLOWGRID_SCHEDULER_STORE_SQLITE_RUN_STORE_H_
