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

// Turns a run's events into human-readable progress lines:
//   run r-1 started
//   [greet] started
//   [greet] stdout | Hello
//   [greet] succeeded in 12.3ms (ran 10.1ms)
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

// One "node <id>: <field>: <message>" line per diagnostic ("workflow" when a
// diagnostic names no node; the field is left out when empty).
std::string FormatDiagnostics(const v1::ValidateWorkflowResponse& response);

}  // namespace flowgrid::cli

#endif  // FLOWGRID_CLIENT_CLI_FORMAT_H_
