// store::RunStore — the durable run history behind an interface, so that a
// server database can replace the embedded SQLite store later.
//
// A run is a row (workflow, inputs, status, outputs...) plus its ordered
// event log; GetRun's node executions are derived from the log's
// node_finished events. Implementations are thread-safe.
#ifndef FLOWGRID_SCHEDULER_STORE_RUN_STORE_H_
#define FLOWGRID_SCHEDULER_STORE_RUN_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "flowgrid/v1/scheduler.pb.h"

namespace flowgrid::store {

struct NewRun {
  std::string run_id;
  std::string idempotency_key;  // may be empty
  v1::Workflow workflow;
  google::protobuf::Map<std::string, v1::Value> inputs;
  // The values of ["sys", name] selectors the run started with.
  google::protobuf::Map<std::string, v1::Value> system;
  absl::Time created_at;
};

// One write of a batch (RunStore::Write): the creation of a run, if set,
// then events of `run_id` (as AppendEvents).
struct RunWrite {
  std::optional<NewRun> create;
  std::string run_id;
  std::vector<v1::RunEvent> events;
};

// Which runs ListRuns returns; the set fields combine (AND).
struct RunFilter {
  v1::RunStatus status = v1::RUN_STATUS_UNSPECIFIED;  // unspecified: any
  std::string workflow_name;                         // empty: any
  // created_after <= created_at < created_before; unset: unbounded.
  std::optional<absl::Time> created_after;
  std::optional<absl::Time> created_before;
};

struct RunPage {
  std::vector<v1::Run> runs;
  std::string next_page_token;  // empty on the last page
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  // Records a new RUNNING run. AlreadyExists if the run id or the
  // idempotency key is taken.
  virtual absl::Status CreateRun(const NewRun& run) = 0;

  // The run created with this idempotency key, if any.
  virtual absl::StatusOr<std::optional<std::string>> FindRunByIdempotencyKey(
      const std::string& key) = 0;

  // Appends events (sequence numbers must be new for the run). Events that
  // contain run_finished also set the run's final status, outputs and error.
  virtual absl::Status AppendEvents(const std::string& run_id,
                                    const std::vector<v1::RunEvent>& events) = 0;

  // Applies `writes` in order in one transaction (group commit). Each write
  // is all or nothing on its own: a failed one leaves no trace and does not
  // stop the others. Returns one status per write; when the transaction
  // itself cannot commit, every status is that error. Durable on return.
  virtual std::vector<absl::Status> Write(const std::vector<RunWrite>& writes) = 0;

  // The run with its node executions. NotFound for an unknown id.
  virtual absl::StatusOr<v1::Run> GetRun(const std::string& run_id) = 0;

  // What the run was created with (to resume it). NotFound for an unknown
  // id; FailedPrecondition, saying so, for a run recorded without its
  // system values (by a scheduler older than store schema 2).
  virtual absl::StatusOr<NewRun> GetRunRecord(const std::string& run_id) = 0;

  // Events with sequence > after_sequence, in order.
  virtual absl::StatusOr<std::vector<v1::RunEvent>> ReadEvents(
      const std::string& run_id, int64_t after_sequence) = 0;

  // Runs matching `filter`, newest first. Runs carry no node executions
  // here. InvalidArgument for a page token this store did not hand out.
  virtual absl::StatusOr<RunPage> ListRuns(int page_size, const std::string& page_token,
                                           const RunFilter& filter) = 0;

  // Ids of runs not in a terminal state (e.g. after a crash).
  virtual absl::StatusOr<std::vector<std::string>> ListUnfinishedRuns() = 0;
};

}  // namespace flowgrid::store

#endif  // FLOWGRID_SCHEDULER_STORE_RUN_STORE_H_
