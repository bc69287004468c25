#include "scheduler/limits/input_limits.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/value_json.h"

namespace flowgrid::limits {
namespace {

void AddCodeExcesses(const google::protobuf::RepeatedPtrField<v1::Node>& nodes,
                     const InputLimits& limits, std::vector<graph::Diagnostic>& excesses) {
  for (const v1::Node& node : nodes) {
    const std::string* text = nullptr;
    const char* field = "";
    switch (node.kind_case()) {
      case v1::Node::kCode:
        text = &node.code().code();
        field = "code.code";
        break;
      case v1::Node::kTemplate:
        text = &node.template_().template_();
        field = "template.template";
        break;
      case v1::Node::kIteration:
        AddCodeExcesses(node.iteration().nodes(), limits, excesses);
        break;
      case v1::Node::kLoop:
        AddCodeExcesses(node.loop().nodes(), limits, excesses);
        break;
      default:
        break;
    }
    if (text == nullptr || static_cast<int64_t>(text->size()) <= limits.max_code_bytes) continue;
    excesses.push_back({node.id(), field,
                        absl::StrCat(text->size(), " bytes, over the limit of ",
                                     limits.max_code_bytes,
                                     " bytes per code or template (--max_code_bytes)")});
  }
}

// One named value of a run's inputs or system values.
struct SizedValue {
  std::string name;  // "inputs.NAME" or "system.NAME"
  int64_t bytes = 0;
};

void AddSizes(const char* prefix, const ValueMap& values, int64_t& total, SizedValue& largest) {
  for (const auto& [name, value] : values) {
    const int64_t bytes = static_cast<int64_t>(name.size() + value.ByteSizeLong());
    total += bytes;
    std::string qualified = absl::StrCat(prefix, ".", name);
    // Ties go to the first name in order, so the message does not depend on
    // the map's iteration order.
    if (bytes > largest.bytes || (bytes == largest.bytes && qualified < largest.name)) {
      largest = {std::move(qualified), bytes};
    }
  }
}

// The excess of `inputs` and `system` (null for RunNode) together, if any.
void AddInputExcess(const ValueMap& inputs, const ValueMap* system, const InputLimits& limits,
                    std::vector<graph::Diagnostic>& excesses) {
  int64_t total = 0;
  SizedValue largest;
  AddSizes("inputs", inputs, total, largest);
  if (system != nullptr) AddSizes("system", *system, total, largest);
  if (total <= limits.max_input_bytes) return;
  const char* together = system != nullptr ? "the inputs and system values together"
                                           : "the inputs together";
  if (largest.bytes > limits.max_input_bytes) {
    excesses.push_back({"", largest.name,
                        absl::StrCat(largest.bytes, " bytes serialized, over the limit of ",
                                     limits.max_input_bytes, " bytes for ", together,
                                     " (--max_input_bytes)")});
    return;
  }
  excesses.push_back({"", "inputs",
                      absl::StrCat(together, " are ", total,
                                   " bytes serialized, over the limit of ",
                                   limits.max_input_bytes,
                                   " bytes (--max_input_bytes); the largest is ", largest.name,
                                   " (", largest.bytes, " bytes)")});
}

absl::Status ExcessesToStatus(const std::vector<graph::Diagnostic>& excesses) {
  if (excesses.empty()) return absl::OkStatus();
  std::vector<std::string> lines;
  lines.reserve(excesses.size());
  for (const graph::Diagnostic& d : excesses) lines.push_back(graph::FormatDiagnostic(d));
  return absl::InvalidArgumentError(
      absl::StrCat("request is over the scheduler's size limits (", excesses.size(), " problem",
                   excesses.size() == 1 ? "" : "s", "):\n", absl::StrJoin(lines, "\n")));
}

}  // namespace

std::vector<graph::Diagnostic> WorkflowSizeExcesses(const v1::Workflow& workflow,
                                                    const InputLimits& limits) {
  std::vector<graph::Diagnostic> excesses;
  const size_t bytes = workflow.ByteSizeLong();
  if (static_cast<int64_t>(bytes) > limits.max_workflow_bytes) {
    excesses.push_back({"", "workflow",
                        absl::StrCat(bytes, " bytes serialized, over the limit of ",
                                     limits.max_workflow_bytes,
                                     " bytes (--max_workflow_bytes)")});
  }
  AddCodeExcesses(workflow.nodes(), limits, excesses);
  return excesses;
}

absl::Status CheckSubmitRunSize(const v1::SubmitRunRequest& request, const InputLimits& limits) {
  std::vector<graph::Diagnostic> excesses = WorkflowSizeExcesses(request.workflow(), limits);
  AddInputExcess(request.inputs(), &request.system(), limits, excesses);
  return ExcessesToStatus(excesses);
}

absl::Status CheckRunNodeSize(const v1::RunNodeRequest& request, const InputLimits& limits) {
  std::vector<graph::Diagnostic> excesses = WorkflowSizeExcesses(request.workflow(), limits);
  AddInputExcess(request.inputs(), nullptr, limits, excesses);
  return ExcessesToStatus(excesses);
}

}  // namespace flowgrid::limits
