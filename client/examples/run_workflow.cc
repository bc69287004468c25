// Runs a workflow with the flowgrid C++ SDK and prints what happens.
//
//   flowgrid_run_workflow [--tls_ca=FILE] [--tls_server_name=NAME] [--api_key_file=FILE]
//                         ADDRESS WORKFLOW.json [NAME=VALUE]...
//   flowgrid_run_workflow --tls_ca=.flowgrid-dev/tls/ca.pem --api_key_file=.flowgrid-dev/dev.key
//       127.0.0.1:7070 examples/workflows/hello.json name=World
//
// --tls_ca turns TLS on, verifying the scheduler against that CA;
// --api_key_file sends the key on its first line with every call. Without
// them the CA and key file come from FLOWGRID_TLS_CA and
// FLOWGRID_API_KEY_FILE, as `flowgridctl dev` prints them.
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
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "client/sdk/client.h"
#include "common/value_json.h"
#include "common/workflow_file.h"

namespace {

constexpr int kRunFailed = 1;
constexpr int kUsageOrCallError = 2;
constexpr char kUsage[] =
    "usage: flowgrid_run_workflow [--tls_ca=FILE] [--tls_server_name=NAME] "
    "[--api_key_file=FILE] ADDRESS WORKFLOW.json [NAME=VALUE]...\n";

// A variable's value, "" when unset.
std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

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
  std::string tls_ca = Env("FLOWGRID_TLS_CA");
  std::string tls_server_name;
  std::string api_key_file = Env("FLOWGRID_API_KEY_FILE");
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--tls_ca=")) {
      tls_ca = arg.substr(9);
    } else if (absl::StartsWith(arg, "--tls_server_name=")) {
      tls_server_name = arg.substr(18);
    } else if (absl::StartsWith(arg, "--api_key_file=")) {
      api_key_file = arg.substr(15);
    } else if (absl::StartsWith(arg, "--")) {
      std::cerr << "flowgrid_run_workflow: unknown flag " << arg << "\n" << kUsage;
      return kUsageOrCallError;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() < 2) {
    std::cerr << kUsage;
    return kUsageOrCallError;
  }
  absl::StatusOr<flowgrid::v1::Workflow> workflow = flowgrid::LoadWorkflowFile(positional[1]);
  if (!workflow.ok()) return Fail(workflow.status());
  flowgrid::ValueMap inputs;
  for (size_t i = 2; i < positional.size(); ++i) {
    absl::StatusOr<std::pair<std::string, flowgrid::v1::Value>> input =
        flowgrid::ParseNamedInput(positional[i]);
    if (!input.ok()) return Fail(input.status());
    inputs[input->first] = input->second;
  }

  // TLS and the API key (client/sdk/credentials.h). Unary calls have a
  // deadline and are retried on UNAVAILABLE and RESOURCE_EXHAUSTED;
  // watching re-attaches by itself (ClientOptions).
  flowgrid::ClientOptions options;
  options.tls.enabled = !tls_ca.empty();
  options.tls.ca_file = tls_ca;
  options.tls.server_name = tls_server_name;
  if (!api_key_file.empty()) {
    absl::StatusOr<std::string> key = flowgrid::ReadApiKeyFile(api_key_file);
    if (!key.ok()) return Fail(key.status());
    options.api_key = *key;
  }
  absl::StatusOr<std::unique_ptr<flowgrid::Client>> client =
      flowgrid::Client::Connect(positional[0], options);
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
