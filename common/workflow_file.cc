#include "common/workflow_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace flowgrid {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::string reason = std::strerror(errno);
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": ", reason));
    return absl::PermissionDeniedError(absl::StrCat(path, ": ", reason));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::StatusOr<v1::Workflow> ParseWorkflowJson(absl::string_view json) {
  v1::Workflow workflow;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &workflow, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid workflow JSON: ", status.message().as_string()));
  }
  return workflow;
}

absl::StatusOr<v1::Workflow> LoadWorkflowFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<v1::Workflow> workflow = ParseWorkflowJson(*text);
  if (!workflow.ok()) {
    return absl::Status(workflow.status().code(),
                        absl::StrCat(path, ": ", workflow.status().message()));
  }
  return workflow;
}

}  // namespace flowgrid
