// Loading a workflow file of either form a flowgrid user may have: the
// protobuf JSON of flowgrid.v1.Workflow, or a Dify app export.
#ifndef FLOWGRID_CLIENT_DIFY_WORKFLOW_LOADER_H_
#define FLOWGRID_CLIENT_DIFY_WORKFLOW_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::dify {

struct LoadedWorkflow {
  v1::Workflow workflow;
  // The Dify import's warnings (none for JSON files).
  std::vector<std::string> warnings;
};

// A .yml/.yaml file is read as Dify DSL, a .json file as workflow JSON;
// any other file by its content (JSON begins with "{"). Errors are those of
// ReadFile, ParseWorkflowJson and ImportDifyYaml, prefixed with the path.
// A Dify app without a name is named after the file.
absl::StatusOr<LoadedWorkflow> LoadWorkflowOrDifyFile(const std::string& path);

// Whether LoadWorkflowOrDifyFile reads `path` (with content `text`) as Dify DSL.
bool IsDifyFile(const std::string& path, const std::string& text);

}  // namespace flowgrid::dify

#endif  // FLOWGRID_CLIENT_DIFY_WORKFLOW_LOADER_H_
