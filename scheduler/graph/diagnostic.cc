#include "scheduler/graph/diagnostic.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace flowgrid::graph {

std::string FormatDiagnostic(const Diagnostic& d) {
  std::string out;
  if (!d.node_id.empty()) absl::StrAppend(&out, "node ", d.node_id, ": ");
  if (!d.field.empty()) absl::StrAppend(&out, d.field, ": ");
  absl::StrAppend(&out, d.message);
  return out;
}

absl::Status DiagnosticsToStatus(const std::vector<Diagnostic>& diagnostics) {
  if (diagnostics.empty()) return absl::OkStatus();
  std::vector<std::string> lines;
  lines.reserve(diagnostics.size());
  for (const Diagnostic& d : diagnostics) lines.push_back(FormatDiagnostic(d));
  return absl::InvalidArgumentError(
      absl::StrCat("workflow is invalid (", diagnostics.size(), " problem",
                   diagnostics.size() == 1 ? "" : "s", "):\n",
                   absl::StrJoin(lines, "\n")));
}

}  // namespace flowgrid::graph
