// What flowgridctl prints: run outputs (stdout), run progress (stderr) and
// validation diagnostics. Pure text functions, unit-tested without a server.
#ifndef FLOWGRID_CLIENT_CLI_FORMAT_H_
#define FLOWGRID_CLIENT_CLI_FORMAT_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/options.h"
#include "common/value_json.h"
#include "flowgrid/v1/cluster.pb.h"
#include "flowgrid/v1/scheduler.pb.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::cli {

// table: one "name  value-as-JSON" row per output, sorted by name, names
// padded to one column; json: a single JSON object on one line. Fails only
// on a value without a JSON form (a non-finite double), naming the output.
absl::StatusOr<std::string> FormatOutputs(const ValueMap& outputs, OutputFormat format);

// "SUCCEEDED", "FAILED", ... (the enum names without their prefix).
std::string RunStatusText(v1::RunStatus status);
std::string NodeStatusText(v1::NodeStatus status);
std::string ErrorCodeText(v1::ErrorCode code);

// "RUNTIME_ERROR: ZeroDivisionError: division by zero".
std::string DescribeNodeError(const v1::NodeError& error);

// How a node is named in progress lines: its id, or for a node inside an
// iteration or loop, the enclosing ids, the node's id and the rounds:
// "iter/inner #2", "outer/iter/inner #0.2".
std::string ScopedNodeLabel(const std::string& node_id, const v1::NodeScope& scope);

// Turns a run's events into human-readable progress lines:
//   run r-1 started
//   [greet] started
//   [greet] stdout | Hello
//   [greet] succeeded in 12.3ms (ran 10.1ms)
//   [check] succeeded in 0.1ms, branch "case_big"
//   [flaky] attempt 1 failed, retrying in 500ms: RUNTIME_ERROR: ...
//   [iter/inner #2] succeeded in 9.0ms (ran 7.2ms)
//   [bad] failed in 8.1ms (ran 6.0ms): RUNTIME_ERROR: ...   (then the traceback, indented)
//   run r-1 finished: SUCCEEDED in 1.20s
// "in": between the node's node_started and node_finished event times, what
// the user waited (queueing included; left out when the start was not seen,
// e.g. after re-attaching mid-run). "ran": the worker-measured wall time of
// the job itself (code nodes only).
class ProgressPrinter {
 public:
  std::string OnEvent(const v1::RunEvent& event);

 private:
  std::map<std::string, absl::Time> node_started_at_;
  std::optional<absl::Time> run_started_at_;
};

// The final line(s) for a run that did not succeed, e.g.
// "run r-1 FAILED at node bad: RUNTIME_ERROR: ..." (+ the traceback when
// `with_traceback`).
std::string DescribeRunFailure(const std::string& run_id, const v1::RunFinished& finished,
                               bool with_traceback);

// `flowgridctl runs list`. table: one row per run (run id, workflow,
// status, created (UTC), duration — "-" while unfinished), then, when there
// is a next page, "next page: --page_token=T"; json: {"runs": [...],
// "next_page_token": "..."} with each run as in FormatRun's JSON form
// without the node executions.
absl::StatusOr<std::string> FormatRunList(const v1::ListRunsResponse& response,
                                          OutputFormat format);

// `flowgridctl runs show`. table: the run's fields, inputs and outputs as
// "name  value-as-JSON" rows, then one row per node execution (id, attempt,
// status, duration = the worker-measured usage.wall_us, "-" for nodes
// evaluated by the scheduler), each followed by its error with the
// traceback, warnings and captured stdout/stderr lines; json: one object.
absl::StatusOr<std::string> FormatRun(const v1::Run& run, OutputFormat format);

// `flowgridctl workers list`. table: one row per worker (id, state, slots,
// free slots, running jobs, runtimes, peer, connected (UTC), last seen as an
// age before `now`); json: {"workers": [...]} with every field, the running
// job ids included.
std::string FormatWorkerList(const v1::ListWorkersResponse& response, OutputFormat format,
                             absl::Time now);

// `flowgridctl run-node`: the node's status, duration, branch (if-else),
// outputs, error with traceback, warnings and captured output.
absl::StatusOr<std::string> FormatRunNodeResult(const std::string& node_id,
                                                const v1::RunNodeResponse& response,
                                                OutputFormat format);

// One "node <id>: <field>: <message>" line per diagnostic ("workflow" when a
// diagnostic names no node; the field is left out when empty).
std::string FormatDiagnostics(const v1::ValidateWorkflowResponse& response);

}  // namespace flowgrid::cli

#endif  // FLOWGRID_CLIENT_CLI_FORMAT_H_
