#include "client/dify/workflow_loader.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/dify/dify_import.h"
#include "common/workflow_file.h"

namespace flowgrid::dify {

bool IsDifyFile(const std::string& path, const std::string& text) {
  const std::string extension =
      absl::AsciiStrToLower(std::filesystem::path(path).extension().string());
  if (extension == ".yml" || extension == ".yaml") return true;
  if (extension == ".json") return false;
  absl::string_view content = absl::StripLeadingAsciiWhitespace(text);
  return content.empty() || content.front() != '{';
}

absl::StatusOr<LoadedWorkflow> LoadWorkflowOrDifyFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  LoadedWorkflow loaded;
  if (IsDifyFile(path, *text)) {
    absl::StatusOr<ImportedWorkflow> imported =
        ImportDifyYaml(*text, std::filesystem::path(path).stem().string());
    if (!imported.ok()) {
      return absl::Status(imported.status().code(),
                          absl::StrCat(path, ": ", imported.status().message()));
    }
    loaded.workflow = std::move(imported->workflow);
    loaded.warnings = std::move(imported->warnings);
    return loaded;
  }
  absl::StatusOr<v1::Workflow> workflow = ParseWorkflowJson(*text);
  if (!workflow.ok()) {
    return absl::Status(workflow.status().code(),
                        absl::StrCat(path, ": ", workflow.status().message()));
  }
  loaded.workflow = *std::move(workflow);
  return loaded;
}

}  // namespace flowgrid::dify
