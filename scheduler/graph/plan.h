// graph::Plan — a workflow compiled once: validated, indexed, ordered.
//
// A Plan is immutable after Compile() and can be shared by every run of the
// same workflow. Every node, including the nodes inside iteration and loop
// sub-graphs, has a global index (0..size()-1). Nodes live in scopes: scope
// 0 is the workflow's top level; each iteration or loop node owns one scope,
// its sub-graph. Edges are indexed within their scope; a sub-graph's entry
// edges have the container itself as source.
#ifndef FLOWGRID_SCHEDULER_GRAPH_PLAN_H_
#define FLOWGRID_SCHEDULER_GRAPH_PLAN_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "flowgrid/v1/workflow.pb.h"
#include "scheduler/graph/diagnostic.h"

namespace flowgrid::graph {

// Edge handles with a meaning of their own.
inline constexpr absl::string_view kSourceHandle = "source";
inline constexpr absl::string_view kSuccessBranchHandle = "success-branch";
inline constexpr absl::string_view kFailBranchHandle = "fail-branch";
inline constexpr absl::string_view kTrueHandle = "true";
inline constexpr absl::string_view kFalseHandle = "false";

// Selector roots that are not nodes.
inline constexpr absl::string_view kSystemRoot = "sys";
inline constexpr absl::string_view kEnvironmentRoot = "env";

// The outputs a failed node exposes under a fail-branch or default-value
// strategy (Dify's names).
inline constexpr absl::string_view kErrorMessageOutput = "error_message";
inline constexpr absl::string_view kErrorTypeOutput = "error_type";

struct PlanEdge {
  int source;  // the container itself for a sub-graph's entry edge
  int target;
  // Normalized: never empty. A view of the edge's handle in the plan's
  // workflow, or of kSourceHandle.
  absl::string_view handle;
};

struct Scope {
  int container = -1;            // the iteration/loop node; -1 at top level
  std::vector<int> members;      // global node indices, in declaration order
  std::vector<PlanEdge> edges;
  std::vector<int> entry_edges;  // indices into edges (sub-graphs only)
  std::vector<int> order;        // members, each after its predecessors
};

class Plan;

struct CompileResult {
  // Set only when `diagnostics` is empty.
  std::shared_ptr<const Plan> plan;
  // Every problem found, in a stable order (nodes first, then edges, then
  // graph-wide checks such as cycles, reachability and selectors).
  std::vector<Diagnostic> diagnostics;
};

class Plan {
 public:
  // Validates `workflow` and, when it is valid, builds its Plan.
  static CompileResult Compile(v1::Workflow workflow);

  const v1::Workflow& workflow() const { return workflow_; }
  int size() const { return static_cast<int>(nodes_.size()); }
  const v1::Node& node(int index) const { return *nodes_[index]; }
  // -1 when there is no such node.
  int IndexOf(absl::string_view node_id) const;

  int start_node() const { return start_node_; }
  int scope_count() const { return static_cast<int>(scopes_.size()); }
  const Scope& scope(int s) const { return scopes_[s]; }
  int scope_of(int node) const { return scope_of_[node]; }
  // The scope of a container's sub-graph; -1 for other nodes.
  int child_scope(int node) const { return child_scope_[node]; }
  // Position of the node in scope(scope_of(node)).members.
  int local_index(int node) const { return local_index_[node]; }
  // Edge indices (into the node's scope) arriving at / leaving the node.
  // A sub-graph's entry edges are among their targets' incoming edges, not
  // among the container's outgoing ones.
  absl::Span<const int> incoming(int node) const {
    return absl::MakeConstSpan(incoming_.edges).subspan(
        incoming_.offsets[node], incoming_.offsets[node + 1] - incoming_.offsets[node]);
  }
  absl::Span<const int> outgoing(int node) const {
    return absl::MakeConstSpan(outgoing_.edges).subspan(
        outgoing_.offsets[node], outgoing_.offsets[node + 1] - outgoing_.offsets[node]);
  }
  // The top level's order (scope 0).
  const std::vector<int>& topological_order() const { return scopes_[0].order; }
  // The environment variable, or null.
  const v1::EnvironmentVariable* environment(absl::string_view name) const;

 private:
  // Edge lists of every node in one array: those of node v are
  // edges[offsets[v] .. offsets[v + 1]).
  struct EdgeLists {
    std::vector<int> offsets;
    std::vector<int> edges;
  };

  Plan() = default;
  // The index's keys point into workflow_.
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  v1::Workflow workflow_;
  std::vector<const v1::Node*> nodes_;
  // Keys are views of the node ids in workflow_.
  absl::flat_hash_map<absl::string_view, int> index_;
  int start_node_ = -1;
  std::vector<Scope> scopes_;
  std::vector<int> scope_of_;
  std::vector<int> child_scope_;
  std::vector<int> local_index_;
  EdgeLists incoming_;
  EdgeLists outgoing_;

  friend class PlanBuilder;
};

}  // namespace flowgrid::graph

#endif  // FLOWGRID_SCHEDULER_GRAPH_PLAN_H_
