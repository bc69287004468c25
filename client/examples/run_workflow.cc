// Runs a workflow with the flowgrid C++ SDK and prints what happens.
//
//   flowgrid_run_workflow ADDRESS WORKFLOW.json [NAME=VALUE]...
//   flowgrid_run_workflow 127.0.0.1:7070 examples/workflows/hello.json name=World
//
// Connects to the scheduler's client address, loads the workflow file
// (protobuf JSON, as in examples/workflows/), submits it with the inputs
// (a value is JSON when it parses as JSON, else a string), prints every
// event of the run as it comes (node started/finished, retries) on stdout,
// then the outputs as `name = JSON` lines sorted by name. Exit status: 0 when
// the run SUCCEEDED or PARTIAL_SUCCEEDED; 1 when it failed or was cancelled
// (its error on stderr); 2 when the command line, the file or a call to the
// scheduler is wrong (the error on stderr).
//
// Built from the source tree (target flowgrid_run_workflow), or in another
// CMake project against the installed SDK:
//   find_package(flowgrid CONFIG REQUIRED)
//   target_link_libraries(app PRIVATE flowgrid::client)
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/sdk/client.h"
#include "common/value_json.h"
#include "common/workflow_file.h"

namespace {

constexpr int kRunFailed = 1;
constexpr int kUsageOrCallError = 2;

int Fail(const absl::Status& status) {
  std::cerr << "flowgrid_run_workflow: " << status << "\n";
  return kUsageOrCallError;
}

std::string ToJson(const flowgrid::v1::Value& value) {
  absl::StatusOr<std::string> json = flowgrid::ValueToJson(value);
  return json.ok() ? *json : json.status().ToString();
}

void PrintEvent(const flowgrid::v1::RunEvent& event) {
  std::cout << "#" << event.sequence() << " ";
  if (event.has_run_started()) {
    std::cout << "run " << event.run_id() << " started";
  } else if (event.has_node_started()) {
    std::cout << "[" << event.node_started().node_id() << "] started";
  } else if (event.has_node_retry()) {
    std::cout << "[" << event.node_retry().node_id() << "] retrying";
  } else if (event.has_node_finished()) {
    const flowgrid::v1::NodeResult& result = event.node_finished().result();
    std::cout << "[" << event.node_finished().node_id() << "] "
              << flowgrid::v1::NodeStatus_Name(result.status());
    if (result.has_error()) std::cout << ": " << result.error().message();
  } else if (event.has_run_resumed()) {
    std::cout << "run resumed by a new scheduler";
  } else if (event.has_run_finished()) {
    std::cout << "run " << flowgrid::v1::RunStatus_Name(event.run_finished().status());
  }
  std::cout << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: flowgrid_run_workflow ADDRESS WORKFLOW.json [NAME=VALUE]...\n";
    return kUsageOrCallError;
  }
  absl::StatusOr<flowgrid::v1::Workflow> workflow = flowgrid::LoadWorkflowFile(argv[2]);
  if (!workflow.ok()) return Fail(workflow.status());
  flowgrid::ValueMap inputs;
  for (int i = 3; i < argc; ++i) {
    absl::StatusOr<std::pair<std::string, flowgrid::v1::Value>> input =
        flowgrid::ParseNamedInput(argv[i]);
    if (!input.ok()) return Fail(input.status());
    inputs[input->first] = input->second;
  }

  // Unary calls have a deadline and are retried on UNAVAILABLE and
  // RESOURCE_EXHAUSTED (ClientOptions); watching re-attaches by itself.
  absl::StatusOr<std::unique_ptr<flowgrid::Client>> client = flowgrid::Client::Connect(argv[1]);
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<std::string> run_id = (*client)->Submit(*workflow, inputs);
  if (!run_id.ok()) return Fail(run_id.status());

  // Client::Run(workflow, inputs, callback) does the same with a callback;
  // the iterator form leaves the loop to the caller.
  std::unique_ptr<flowgrid::RunEventStream> events = (*client)->WatchStream(*run_id);
  flowgrid::v1::RunEvent event;
  while (events->Next(&event)) PrintEvent(event);
  if (!events->status().ok()) return Fail(events->status());

  const flowgrid::v1::RunFinished& finished = event.run_finished();
  const std::map<std::string, flowgrid::v1::Value> outputs(finished.outputs().begin(),
                                                           finished.outputs().end());
  for (const auto& [name, value] : outputs) std::cout << name << " = " << ToJson(value) << "\n";
  if (finished.status() == flowgrid::v1::RUN_SUCCEEDED ||
      finished.status() == flowgrid::v1::RUN_PARTIAL_SUCCEEDED) {
    return 0;
  }
  std::cerr << "flowgrid_run_workflow: run " << *run_id << " "
            << flowgrid::v1::RunStatus_Name(finished.status());
  if (!finished.failed_node_id().empty()) std::cerr << " at node " << finished.failed_node_id();
  if (finished.has_error()) std::cerr << ": " << finished.error().message();
  std::cerr << "\n";
  return kRunFailed;
}
