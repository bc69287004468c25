// `flowgridctl import dify`: a Dify app export as flowgrid workflow JSON,
// and the loading of workflow files of either form for the other commands.
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/dify/workflow_loader.h"
#include "google/protobuf/util/json_util.h"

namespace flowgrid::cli {

absl::StatusOr<v1::Workflow> LoadWorkflowForCommand(const std::string& command,
                                                    const std::string& path) {
  absl::StatusOr<dify::LoadedWorkflow> loaded = dify::LoadWorkflowOrDifyFile(path);
  if (!loaded.ok()) return loaded.status();
  for (const std::string& warning : loaded->warnings) {
    std::cerr << "flowgridctl " << command << ": warning: " << warning << "\n";
  }
  return std::move(loaded->workflow);
}

int ImportDifyCommand(const ImportDifyOptions& options) {
  const std::string command = "import dify";
  absl::StatusOr<v1::Workflow> workflow = LoadWorkflowForCommand(command, options.dify_path);
  if (!workflow.ok()) return Fail(command, kExitUsage, workflow.status());
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(*workflow, &json, print);
  if (!status.ok()) {
    return Fail(command, kExitUsage,
                absl::InternalError(absl::StrCat("cannot write the workflow as JSON: ",
                                                 status.message().as_string())));
  }
  if (!options.out_path.has_value()) {
    std::cout << json << std::flush;
    return kExitOk;
  }
  std::ofstream out(*options.out_path, std::ios::binary | std::ios::trunc);
  out << json;
  out.close();
  if (!out) {
    return Fail(command, kExitUsage,
                absl::PermissionDeniedError(absl::StrCat("cannot write ", *options.out_path)));
  }
  std::cerr << "flowgridctl " << command << ": wrote " << *options.out_path << " ("
            << workflow->nodes_size() << " nodes); run it with 'flowgridctl run "
            << *options.out_path << "'\n";
  return kExitOk;
}

}  // namespace flowgrid::cli
