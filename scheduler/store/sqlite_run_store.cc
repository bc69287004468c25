#include "scheduler/store/sqlite_run_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace flowgrid::store {
namespace {

using google::protobuf::util::TimeUtil;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id          TEXT NOT NULL UNIQUE,
  idempotency_key TEXT UNIQUE,
  workflow_name   TEXT NOT NULL,
  workflow        BLOB NOT NULL,
  inputs          BLOB NOT NULL,
  status          INTEGER NOT NULL,
  outputs         BLOB,
  error           BLOB,
  failed_node_id  TEXT,
  created_at_us   INTEGER NOT NULL,
  finished_at_us  INTEGER,
  system          BLOB
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, seq);
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (workflow_name, seq);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_at_us);
CREATE TABLE IF NOT EXISTS events (
  run_id   TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  event    BLOB NOT NULL,
  PRIMARY KEY (run_id, sequence)
) WITHOUT ROWID;
)sql";

// A prepared statement: either owned (finalized on scope exit) or borrowed
// from the store's cache (reset and unbound on scope exit, ready for reuse).
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db), owned_(true) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  Statement(sqlite3* db, sqlite3_stmt* cached)
      : db_(db), stmt_(cached), rc_(cached ? SQLITE_OK : sqlite3_errcode(db)) {}
  ~Statement() {
    if (owned_) {
      sqlite3_finalize(stmt_);
    } else if (stmt_ != nullptr) {
      Reset();
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  absl::Status prepared() const { return Check(rc_, "prepare"); }
  void Bind(int i, const std::string& text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, const std::string& blob) {
    sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  // Makes the statement ready to run again with new bindings.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  // SQLITE_ROW or SQLITE_DONE, else an error status.
  absl::StatusOr<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Check(rc, "step");
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col))
             : std::string();
  }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col))
             : std::string();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  absl::Status Check(int rc, const char* what) const {
    if (rc == SQLITE_OK) return absl::OkStatus();
    std::string message = absl::StrCat("sqlite ", what, ": ", sqlite3_errmsg(db_));
    if (rc == SQLITE_CONSTRAINT || sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE) {
      return absl::AlreadyExistsError(message);
    }
    return absl::InternalError(message);
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_ = false;
  int rc_;
};

constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
constexpr const char* kSavepoint = "SAVEPOINT one_write";
constexpr const char* kRelease = "RELEASE one_write";
constexpr const char* kRollbackToSavepoint = "ROLLBACK TO one_write";
constexpr const char* kInsertRun =
    "INSERT INTO runs (run_id, idempotency_key, workflow_name, workflow, inputs, "
    "status, created_at_us, system) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kInsertEvent = "INSERT INTO events (run_id, sequence, event) VALUES (?, ?, ?)";
constexpr const char* kFinishRun =
    "UPDATE runs SET status = ?, outputs = ?, error = ?, "
    "failed_node_id = ?, finished_at_us = ? WHERE run_id = ?";
constexpr const char* kSelectEvents =
    "SELECT event FROM events WHERE run_id = ? AND sequence > ? ORDER BY sequence";

std::string SerializeValues(const google::protobuf::Map<std::string, v1::Value>& values) {
  v1::ObjectValue object;
  *object.mutable_fields() = values;
  return object.SerializeAsString();
}

google::protobuf::Map<std::string, v1::Value> ParseValues(const std::string& blob) {
  v1::ObjectValue object;
  object.ParseFromString(blob);
  return object.fields();
}

int64_t ToMicros(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMicroseconds(t); }

// Fills a Run from a row of kRunColumns.
constexpr const char* kRunColumns =
    "run_id, workflow_name, inputs, status, outputs, error, failed_node_id, created_at_us, "
    "finished_at_us, seq";

v1::Run RunFromRow(const Statement& row) {
  v1::Run run;
  run.set_run_id(row.Text(0));
  run.set_workflow_name(row.Text(1));
  *run.mutable_inputs() = ParseValues(row.Blob(2));
  run.set_status(static_cast<v1::RunStatus>(row.Int(3)));
  if (!row.IsNull(4)) *run.mutable_outputs() = ParseValues(row.Blob(4));
  if (!row.IsNull(5)) run.mutable_error()->ParseFromString(row.Blob(5));
  run.set_failed_node_id(row.Text(6));
  *run.mutable_created_at() = TimeUtil::MicrosecondsToTimestamp(row.Int(7));
  if (!row.IsNull(8)) *run.mutable_finished_at() = TimeUtil::MicrosecondsToTimestamp(row.Int(8));
  return run;
}

// Takes the exclusive lock of the store at `path`: the fd holding it, or -1
// for an in-memory store.
absl::StatusOr<int> LockStore(const std::string& path) {
  if (path == ":memory:") return -1;
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the store's lock file ", lock_path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", path, " is in use by another scheduler (it holds ", lock_path,
          "); one scheduler per store: stop it first or use another --data_dir"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(error)));
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRunStore>> SqliteRunStore::Open(const std::string& path) {
  absl::StatusOr<int> lock_fd = LockStore(path);
  if (!lock_fd.ok()) return lock_fd.status();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    if (*lock_fd >= 0) ::close(*lock_fd);
    return absl::UnavailableError(absl::StrCat("cannot open store ", path, ": ", message));
  }
  std::unique_ptr<SqliteRunStore> store(new SqliteRunStore(db, *lock_fd));
  absl::MutexLock lock(&store->mu_);
  sqlite3_busy_timeout(db, 5000);
  // WAL: readers never block the writer; NORMAL sync is durable across a
  // process crash (only an OS crash can lose the last transactions).
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                          "PRAGMA foreign_keys=ON"}) {
    absl::Status s = store->Exec(sql);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("cannot initialize store ", path, ": ",
                                                 s.message()));
    }
  }
  if (absl::Status s = store->MigrateLocked(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("cannot open store ", path, ": ", s.message()));
  }
  return store;
}

absl::Status SqliteRunStore::MigrateLocked() {
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status status = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    Statement version(db_, "PRAGMA user_version");
    if (absl::Status s = version.prepared(); !s.ok()) return s;
    absl::StatusOr<bool> row = version.Step();
    if (!row.ok()) return row.status();
    const int64_t found = *row ? version.Int(0) : 0;
    if (found > kSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("its schema version is ", found, ", newer than this scheduler's (",
                       kSchemaVersion, "): run a newer scheduler on it"));
    }
    if (found == kSchemaVersion) return absl::OkStatus();
    // Schema 1 files (user_version 0) have runs without the system column;
    // a new file gets it from kSchema.
    bool has_system = false;
    bool has_runs = false;
    Statement columns(db_, "PRAGMA table_info(runs)");
    if (absl::Status s = columns.prepared(); !s.ok()) return s;
    while (true) {
      absl::StatusOr<bool> column = columns.Step();
      if (!column.ok()) return column.status();
      if (!*column) break;
      has_runs = true;
      has_system |= columns.Text(1) == "system";
    }
    if (has_runs && !has_system) {
      if (absl::Status s = Exec("ALTER TABLE runs ADD COLUMN system BLOB"); !s.ok()) return s;
    }
    if (absl::Status s = Exec(kSchema); !s.ok()) return s;
    return Exec(absl::StrCat("PRAGMA user_version = ", kSchemaVersion).c_str());
  }();
  if (!status.ok()) {
    (void)Exec("ROLLBACK");
    return status;
  }
  return Exec("COMMIT");
}

SqliteRunStore::~SqliteRunStore() {
  absl::MutexLock lock(&mu_);
  for (auto& [sql, stmt] : prepared_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

sqlite3_stmt* SqliteRunStore::Prepared(const char* sql) {
  auto [it, inserted] = prepared_.try_emplace(sql, nullptr);
  if (inserted && sqlite3_prepare_v2(db_, sql, -1, &it->second, nullptr) != SQLITE_OK) {
    sqlite3_finalize(it->second);
    prepared_.erase(it);
    return nullptr;
  }
  return it->second;
}

absl::Status SqliteRunStore::Run(const char* sql) {
  Statement stmt(db_, Prepared(sql));
  if (absl::Status s = stmt.prepared(); !s.ok()) return s;
  return stmt.Step().status();
}

absl::Status SqliteRunStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    return absl::InternalError(absl::StrCat("sqlite: ", message));
  }
  return absl::OkStatus();
}

absl::Status SqliteRunStore::CreateRun(const NewRun& run) {
  std::vector<RunWrite> writes(1);
  writes[0].create = run;
  writes[0].run_id = run.run_id;
  return Write(writes)[0];
}

absl::StatusOr<std::optional<std::string>> SqliteRunStore::FindRunByIdempotencyKey(
    const std::string& key) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_, "SELECT run_id FROM runs WHERE idempotency_key = ?");
  if (absl::Status s = stmt.prepared(); !s.ok()) return s;
  stmt.Bind(1, key);
  absl::StatusOr<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.Text(0));
}

absl::Status SqliteRunStore::AppendEvents(const std::string& run_id,
                                          const std::vector<v1::RunEvent>& events) {
  std::vector<RunWrite> writes(1);
  writes[0].run_id = run_id;
  writes[0].events = events;
  return Write(writes)[0];
}

std::vector<absl::Status> SqliteRunStore::Write(const std::vector<RunWrite>& writes) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Run(kBegin); !s.ok()) return std::vector<absl::Status>(writes.size(), s);
  std::vector<absl::Status> statuses;
  statuses.reserve(writes.size());
  for (const RunWrite& write : writes) {
    absl::Status status = Run(kSavepoint);
    if (status.ok()) status = WriteOneLocked(write);
    if (!status.ok()) (void)Run(kRollbackToSavepoint);
    // RELEASE ends the savepoint either way (after a rollback to it, it
    // keeps nothing).
    if (absl::Status s = Run(kRelease); status.ok()) status = s;
    statuses.push_back(std::move(status));
  }
  if (absl::Status s = Run(kCommit); !s.ok()) {
    (void)Run(kRollback);
    return std::vector<absl::Status>(writes.size(), s);
  }
  return statuses;
}

absl::Status SqliteRunStore::WriteOneLocked(const RunWrite& write) {
  if (write.create.has_value()) {
    const NewRun& run = *write.create;
    Statement stmt(db_, Prepared(kInsertRun));
    if (absl::Status s = stmt.prepared(); !s.ok()) return s;
    stmt.Bind(1, run.run_id);
    if (run.idempotency_key.empty()) {
      stmt.BindNull(2);
    } else {
      stmt.Bind(2, run.idempotency_key);
    }
    stmt.Bind(3, run.workflow.name());
    stmt.BindBlob(4, run.workflow.SerializeAsString());
    stmt.BindBlob(5, SerializeValues(run.inputs));
    stmt.Bind(6, static_cast<int64_t>(v1::RUN_RUNNING));
    stmt.Bind(7, absl::ToUnixMicros(run.created_at));
    stmt.BindBlob(8, SerializeValues(run.system));
    if (absl::Status s = stmt.Step().status(); !s.ok()) return s;
  }
  for (const v1::RunEvent& event : write.events) {
    {
      Statement insert(db_, Prepared(kInsertEvent));
      if (absl::Status s = insert.prepared(); !s.ok()) return s;
      insert.Bind(1, write.run_id);
      insert.Bind(2, event.sequence());
      insert.BindBlob(3, event.SerializeAsString());
      if (absl::Status s = insert.Step().status(); !s.ok()) return s;
    }
    if (event.has_run_finished()) {
      const v1::RunFinished& f = event.run_finished();
      Statement update(db_, Prepared(kFinishRun));
      if (absl::Status s = update.prepared(); !s.ok()) return s;
      update.Bind(1, static_cast<int64_t>(f.status()));
      update.BindBlob(2, SerializeValues(f.outputs()));
      if (f.has_error()) {
        update.BindBlob(3, f.error().SerializeAsString());
      } else {
        update.BindNull(3);
      }
      update.Bind(4, f.failed_node_id());
      update.Bind(5, ToMicros(event.time()));
      update.Bind(6, write.run_id);
      if (absl::Status s = update.Step().status(); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::RunEvent>> SqliteRunStore::ReadEventsLocked(
    const std::string& run_id, int64_t after_sequence) {
  Statement stmt(db_, Prepared(kSelectEvents));
  if (absl::Status s = stmt.prepared(); !s.ok()) return s;
  stmt.Bind(1, run_id);
  stmt.Bind(2, after_sequence);
  std::vector<v1::RunEvent> events;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (!events.emplace_back().ParseFromString(stmt.Blob(0))) {
      return absl::DataLossError(absl::StrCat("run ", run_id, ": unreadable event"));
    }
  }
  return events;
}

absl::StatusOr<std::vector<v1::RunEvent>> SqliteRunStore::ReadEvents(const std::string& run_id,
                                                                     int64_t after_sequence) {
  absl::MutexLock lock(&mu_);
  return ReadEventsLocked(run_id, after_sequence);
}

absl::StatusOr<v1::Run> SqliteRunStore::GetRun(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_, absl::StrCat("SELECT ", kRunColumns, " FROM runs WHERE run_id = ?").c_str());
  if (absl::Status s = stmt.prepared(); !s.ok()) return s;
  stmt.Bind(1, run_id);
  absl::StatusOr<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("run ", run_id, " does not exist"));
  v1::Run run = RunFromRow(stmt);
  absl::StatusOr<std::vector<v1::RunEvent>> events = ReadEventsLocked(run_id, 0);
  if (!events.ok()) return events.status();
  for (const v1::RunEvent& event : *events) {
    if (!event.has_node_finished()) continue;
    const v1::NodeFinished& f = event.node_finished();
    v1::NodeExecution* node = run.add_nodes();
    node->set_node_id(f.node_id());
    node->set_attempt(f.attempt());
    *node->mutable_inputs() = f.inputs();
    *node->mutable_result() = f.result();
  }
  return run;
}

absl::StatusOr<NewRun> SqliteRunStore::GetRunRecord(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "SELECT idempotency_key, workflow, inputs, system, created_at_us FROM runs "
                 "WHERE run_id = ?");
  if (absl::Status s = stmt.prepared(); !s.ok()) return s;
  stmt.Bind(1, run_id);
  absl::StatusOr<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("run ", run_id, " does not exist"));
  NewRun run;
  run.run_id = run_id;
  run.idempotency_key = stmt.Text(0);
  if (!run.workflow.ParseFromString(stmt.Blob(1))) {
    return absl::DataLossError(absl::StrCat("run ", run_id, ": unreadable workflow"));
  }
  run.inputs = ParseValues(stmt.Blob(2));
  if (stmt.IsNull(3)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run_id,
        " was recorded by a scheduler that did not store its system values (store schema 1)"));
  }
  run.system = ParseValues(stmt.Blob(3));
  run.created_at = absl::FromUnixMicros(stmt.Int(4));
  return run;
}

absl::StatusOr<RunPage> SqliteRunStore::ListRuns(int page_size, const std::string& page_token,
                                                 const RunFilter& filter) {
  int64_t before = INT64_MAX;
  if (!page_token.empty() && !absl::SimpleAtoi(page_token, &before)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid page token \"", page_token, "\""));
  }
  if (page_size <= 0) page_size = 50;
  page_size = std::min(page_size, 1000);
  absl::MutexLock lock(&mu_);
  // Unset filters bind values every row passes, so one statement serves all.
  Statement stmt(db_, absl::StrCat("SELECT ", kRunColumns,
                                   " FROM runs WHERE seq < ? AND (? = 0 OR status = ?) "
                                   "AND (? = '' OR workflow_name = ?) "
                                   "AND created_at_us >= ? AND created_at_us < ? "
                                   "ORDER BY seq DESC LIMIT ?")
                          .c_str());
  if (absl::Status s = stmt.prepared(); !s.ok()) return s;
  stmt.Bind(1, before);
  stmt.Bind(2, static_cast<int64_t>(filter.status));
  stmt.Bind(3, static_cast<int64_t>(filter.status));
  stmt.Bind(4, filter.workflow_name);
  stmt.Bind(5, filter.workflow_name);
  stmt.Bind(6, filter.created_after ? absl::ToUnixMicros(*filter.created_after) : INT64_MIN);
  stmt.Bind(7, filter.created_before ? absl::ToUnixMicros(*filter.created_before) : INT64_MAX);
  stmt.Bind(8, static_cast<int64_t>(page_size) + 1);
  RunPage page;
  int64_t last_seq = 0;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.runs.size()) == page_size) {
      page.next_page_token = absl::StrCat(last_seq);
      break;
    }
    page.runs.push_back(RunFromRow(stmt));
    last_seq = stmt.Int(9);
  }
  return page;
}

absl::StatusOr<std::vector<std::string>> SqliteRunStore::ListUnfinishedRuns() {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_, "SELECT run_id FROM runs WHERE status IN (?, ?) ORDER BY seq");
  if (absl::Status s = stmt.prepared(); !s.ok()) return s;
  stmt.Bind(1, static_cast<int64_t>(v1::RUN_PENDING));
  stmt.Bind(2, static_cast<int64_t>(v1::RUN_RUNNING));
  std::vector<std::string> ids;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ids.push_back(stmt.Text(0));
  }
  return ids;
}

}  // namespace flowgrid::store
