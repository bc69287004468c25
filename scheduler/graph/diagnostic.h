// A problem found in a workflow, naming the node and field it concerns.
#ifndef FLOWGRID_SCHEDULER_GRAPH_DIAGNOSTIC_H_
#define FLOWGRID_SCHEDULER_GRAPH_DIAGNOSTIC_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace flowgrid::graph {

struct Diagnostic {
  std::string node_id;  // empty for workflow-level problems
  std::string field;    // e.g. "edges[3].target", "code.inputs[0].selector"
  std::string message;

  bool operator==(const Diagnostic&) const = default;
};

// "node <id>: <field>: <message>" (parts omitted when empty).
std::string FormatDiagnostic(const Diagnostic& diagnostic);

// InvalidArgument listing every diagnostic, one per line.
absl::Status DiagnosticsToStatus(const std::vector<Diagnostic>& diagnostics);

}  // namespace flowgrid::graph

#endif  // FLOWGRID_SCHEDULER_GRAPH_DIAGNOSTIC_H_
