// Synthetic workflows for the micro-benchmarks: chains, wide fans and
// layered random DAGs whose nodes all run inside the scheduler (start,
// if-else, variable-aggregator, end), so no worker is needed to run them.
#ifndef FLOWGRID_BENCHMARKS_MICRO_WORKFLOW_SHAPES_H_
#define FLOWGRID_BENCHMARKS_MICRO_WORKFLOW_SHAPES_H_

#include <cstdint>
#include <string>

#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::bench {

enum class Shape {
  // start -> n1 -> n2 -> ... -> end, aggregators and if-else nodes in turn.
  kChain,
  // start -> {n1 ... nk} -> end: every middle node in parallel.
  kFan,
  // Layers of about sqrt(n) aggregators; each node has 1-3 random parents in
  // the layer before (seeded, so every call builds the same graph).
  kLayered,
};

std::string ShapeName(Shape shape);

// A valid workflow of exactly `nodes` nodes (at least 3): a start node "s"
// with one string input "x", an end node "e" whose output "out" reads a
// middle node. Aggregators read their parent's output and, in layered
// graphs, also ["s", "x"]; if-else nodes test ["s", "x"] is "go" and only
// their "go" case has an edge, so with input x = "go" every node runs.
v1::Workflow MakeWorkflow(Shape shape, int nodes, uint64_t seed = 42);

// The input that makes every node of MakeWorkflow's graphs run.
inline constexpr char kInputName[] = "x";
inline constexpr char kInputValue[] = "go";

}  // namespace flowgrid::bench

#endif  // FLOWGRID_BENCHMARKS_MICRO_WORKFLOW_SHAPES_H_
