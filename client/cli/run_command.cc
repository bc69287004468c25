// `flowgridctl run`, `runs watch`, `run-node` and `validate`: load a
// workflow file or follow a run, talk to the scheduler through the SDK.
#include <iostream>

#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "client/cli/format.h"
#include "client/sdk/client.h"
#include "common/workflow_file.h"

namespace flowgrid::cli {
namespace {

// --inputs_json's file (if given) under the --input flags.
absl::StatusOr<ValueMap> ReadInputs(const std::vector<std::string>& named_inputs,
                                    const std::optional<std::string>& inputs_json_path) {
  std::optional<std::string> inputs_json;
  if (inputs_json_path.has_value()) {
    absl::StatusOr<std::string> text = ReadFile(*inputs_json_path);
    if (!text.ok()) return text.status();
    inputs_json = *std::move(text);
  }
  return BuildRunInputs(named_inputs, inputs_json);
}

// The end of a watched run, as `command` reports it: its outputs on stdout
// (exit 0), or why it failed or could not be followed to its end.
int ReportRunEnd(const std::string& command, const std::string& run_id,
                 const absl::StatusOr<v1::RunFinished>& finished, const WatchFlags& watch) {
  if (!finished.ok()) {
    if (finished.status().code() == absl::StatusCode::kDeadlineExceeded &&
        watch.timeout != absl::InfiniteDuration()) {
      std::cerr << "flowgridctl " << command << ": run " << run_id
                << " did not finish within --timeout=" << absl::FormatDuration(watch.timeout)
                << "; it keeps running on the scheduler\n";
      return kExitFailed;
    }
    return Fail(command, kExitUsage, finished.status());
  }
  if (finished->status() != v1::RUN_SUCCEEDED &&
      finished->status() != v1::RUN_PARTIAL_SUCCEEDED) {
    // The progress lines already showed the failed node's traceback.
    std::cerr << "flowgridctl " << command << ": "
              << DescribeRunFailure(run_id, *finished, /*with_traceback=*/watch.quiet);
    return kExitFailed;
  }
  absl::StatusOr<std::string> outputs = FormatOutputs(finished->outputs(), watch.output);
  if (!outputs.ok()) return Fail(command, kExitFailed, outputs.status());
  std::cout << *outputs << std::flush;
  return kExitOk;
}

}  // namespace

int RunCommand(const RunOptions& options) {
  absl::StatusOr<v1::Workflow> workflow =
      LoadWorkflowForCommand("run", options.workflow_path);
  if (!workflow.ok()) return Fail("run", kExitUsage, workflow.status());
  absl::StatusOr<ValueMap> inputs = ReadInputs(options.named_inputs, options.inputs_json_path);
  if (!inputs.ok()) return Fail("run", kExitUsage, inputs.status());
  absl::StatusOr<ValueMap> system = BuildSystemInputs(options.named_system);
  if (!system.ok()) return Fail("run", kExitUsage, system.status());

  ClientOptions client_options;
  client_options.watch_timeout = options.watch.timeout;
  absl::StatusOr<std::unique_ptr<Client>> client =
      ConnectToScheduler(options.connection, client_options);
  if (!client.ok()) return Fail("run", kExitUsage, client.status());

  std::string run_id;
  ProgressPrinter progress;
  absl::StatusOr<v1::RunFinished> finished = (*client)->Run(
      *workflow, *inputs,
      [&](const v1::RunEvent& event) {
        if (!options.watch.quiet) std::cerr << progress.OnEvent(event) << std::flush;
      },
      [&](const std::string& id) { run_id = id; }, /*idempotency_key=*/"", *system);
  if (!finished.ok() && finished.status().code() == absl::StatusCode::kInvalidArgument) {
    std::cerr << "flowgridctl run: the scheduler rejected " << options.workflow_path << ":\n"
              << finished.status().message() << "\n";
    return kExitUsage;
  }
  return ReportRunEnd("run", run_id, finished, options.watch);
}

int RunsWatchCommand(const RunsWatchOptions& options) {
  ClientOptions client_options;
  client_options.watch_timeout = options.watch.timeout;
  absl::StatusOr<std::unique_ptr<Client>> client =
      ConnectToScheduler(options.connection, client_options);
  if (!client.ok()) return Fail("runs watch", kExitUsage, client.status());
  ProgressPrinter progress;
  absl::StatusOr<v1::RunFinished> finished = (*client)->Watch(
      options.run_id, options.after_sequence, [&](const v1::RunEvent& event) {
        if (!options.watch.quiet) std::cerr << progress.OnEvent(event) << std::flush;
      });
  if (!finished.ok() && finished.status().code() == absl::StatusCode::kNotFound) {
    return Fail("runs watch", kExitFailed, finished.status());
  }
  return ReportRunEnd("runs watch", options.run_id, finished, options.watch);
}

int RunNodeCommand(const RunNodeOptions& options) {
  absl::StatusOr<v1::Workflow> workflow =
      LoadWorkflowForCommand("run-node", options.workflow_path);
  if (!workflow.ok()) return Fail("run-node", kExitUsage, workflow.status());
  absl::StatusOr<ValueMap> inputs = ReadInputs(options.named_inputs, options.inputs_json_path);
  if (!inputs.ok()) return Fail("run-node", kExitUsage, inputs.status());
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToScheduler(options.connection);
  if (!client.ok()) return Fail("run-node", kExitUsage, client.status());
  absl::StatusOr<v1::RunNodeResponse> response =
      (*client)->RunNode(*workflow, options.node_id, *inputs);
  if (!response.ok()) {
    if (response.status().code() == absl::StatusCode::kInvalidArgument) {
      std::cerr << "flowgridctl run-node: the scheduler rejected node " << options.node_id
                << " of " << options.workflow_path << ":\n"
                << response.status().message() << "\n";
      return kExitUsage;
    }
    return Fail("run-node", kExitUsage, response.status());
  }
  absl::StatusOr<std::string> text =
      FormatRunNodeResult(options.node_id, *response, options.output);
  if (!text.ok()) return Fail("run-node", kExitFailed, text.status());
  std::cout << *text << std::flush;
  const v1::NodeStatus status = response->result().status();
  return status == v1::NODE_SUCCEEDED ? kExitOk : kExitFailed;
}

int ValidateCommand(const ValidateOptions& options) {
  absl::StatusOr<v1::Workflow> workflow =
      LoadWorkflowForCommand("validate", options.workflow_path);
  if (!workflow.ok()) return Fail("validate", kExitUsage, workflow.status());
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToScheduler(options.connection);
  if (!client.ok()) return Fail("validate", kExitUsage, client.status());
  absl::StatusOr<v1::ValidateWorkflowResponse> response = (*client)->Validate(*workflow);
  if (!response.ok()) return Fail("validate", kExitUsage, response.status());
  if (!response->valid()) {
    std::cout << options.workflow_path << " is invalid (" << response->diagnostics_size()
              << " problem(s)):\n"
              << FormatDiagnostics(*response) << std::flush;
    return kExitFailed;
  }
  std::cout << options.workflow_path << " is valid; order: "
            << absl::StrJoin(response->order(), " -> ") << "\n"
            << FormatDiagnostics(*response) << std::flush;
  return kExitOk;
}

}  // namespace flowgrid::cli
