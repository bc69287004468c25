// Reading workflow files: the protobuf JSON form of flowgrid.v1.Workflow.
#ifndef FLOWGRID_COMMON_WORKFLOW_FILE_H_
#define FLOWGRID_COMMON_WORKFLOW_FILE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid {

// Reads a whole file. NotFound / PermissionDenied name the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Parses workflow JSON. Unknown fields are errors (a typo must not be
// silently ignored); the message names the field or position.
absl::StatusOr<v1::Workflow> ParseWorkflowJson(absl::string_view json);

// ReadFile + ParseWorkflowJson; errors are prefixed with the path.
absl::StatusOr<v1::Workflow> LoadWorkflowFile(const std::string& path);

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_WORKFLOW_FILE_H_
