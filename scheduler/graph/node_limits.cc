#include "scheduler/graph/node_limits.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace flowgrid::graph {
namespace {

struct LimitField {
  const char* name;
  int64_t asked;
  int64_t maximum;
};

}  // namespace

std::vector<Diagnostic> CheckNodeLimits(const Plan& plan, const v1::Limits& maxima) {
  std::vector<Diagnostic> problems;
  for (int v = 0; v < plan.size(); ++v) {
    const v1::Node& node = plan.node(v);
    if (!node.has_limits()) continue;
    const v1::Limits& asked = node.limits();
    const LimitField fields[] = {
        {"timeout_ms", asked.timeout_ms(), maxima.timeout_ms()},
        {"memory_bytes", asked.memory_bytes(), maxima.memory_bytes()},
        {"max_processes", asked.max_processes(), maxima.max_processes()},
        {"max_output_bytes", asked.max_output_bytes(), maxima.max_output_bytes()},
    };
    for (const LimitField& field : fields) {
      std::string problem;
      if (field.asked < 0) {
        problem = absl::StrCat("must not be negative (got ", field.asked, ")");
      } else if (field.maximum > 0 && field.asked > field.maximum) {
        problem = absl::StrCat(field.asked, " is above this cluster's maximum of ",
                               field.maximum);
      }
      if (!problem.empty()) {
        problems.push_back(
            Diagnostic{node.id(), absl::StrCat("limits.", field.name), std::move(problem)});
      }
    }
  }
  return problems;
}

}  // namespace flowgrid::graph
