// graph::Plan — a workflow compiled once: validated, indexed, ordered.
//
// A Plan is immutable after Compile() and can be shared by every run of the
// same workflow. Nodes are referred to by their index (0..size-1) in the
// workflow's node list; edges by their index in the edge list.
#ifndef FLOWGRID_SCHEDULER_GRAPH_PLAN_H_
#define FLOWGRID_SCHEDULER_GRAPH_PLAN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/container/flat_hash_map.h"
#include "flowgrid/v1/workflow.pb.h"
#include "scheduler/graph/diagnostic.h"

namespace flowgrid::graph {

// The handle of an ordinary (unconditional) edge.
inline constexpr absl::string_view kSourceHandle = "source";

struct PlanEdge {
  int source;
  int target;
  std::string handle;  // normalized: never empty
};

class Plan;

struct CompileResult {
  // Set only when `diagnostics` is empty.
  std::shared_ptr<const Plan> plan;
  // Every problem found, in a stable order (nodes first, then edges, then
  // graph-wide checks such as cycles and reachability).
  std::vector<Diagnostic> diagnostics;
};

class Plan {
 public:
  // Validates `workflow` and, when it is valid, builds its Plan.
  static CompileResult Compile(v1::Workflow workflow);

  const v1::Workflow& workflow() const { return workflow_; }
  int size() const { return workflow_.nodes_size(); }
  const v1::Node& node(int index) const { return workflow_.nodes(index); }
  // -1 when there is no such node.
  int IndexOf(absl::string_view node_id) const;

  int start_node() const { return start_node_; }
  const std::vector<PlanEdge>& edges() const { return edges_; }
  // Edge indices into edges().
  const std::vector<int>& incoming(int node) const { return incoming_[node]; }
  const std::vector<int>& outgoing(int node) const { return outgoing_[node]; }
  // Every node, each after all of its predecessors; ties broken by the
  // order of declaration.
  const std::vector<int>& topological_order() const { return order_; }

 private:
  Plan() = default;

  v1::Workflow workflow_;
  absl::flat_hash_map<std::string, int> index_;
  int start_node_ = -1;
  std::vector<PlanEdge> edges_;
  std::vector<std::vector<int>> incoming_;
  std::vector<std::vector<int>> outgoing_;
  std::vector<int> order_;

  friend class PlanBuilder;
};

}  // namespace flowgrid::graph

#endif  // FLOWGRID_SCHEDULER_GRAPH_PLAN_H_
