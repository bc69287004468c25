// The cluster's maxima for the limits a node may ask for (Node.limits):
// a workflow asking for more than the cluster allows is refused when it is
// validated or submitted, naming the node, the limit and the maximum,
// rather than failing (or being silently capped) when its job runs.
#ifndef FLOWGRID_SCHEDULER_GRAPH_NODE_LIMITS_H_
#define FLOWGRID_SCHEDULER_GRAPH_NODE_LIMITS_H_

#include <vector>

#include "flowgrid/v1/workflow.pb.h"
#include "scheduler/graph/diagnostic.h"
#include "scheduler/graph/plan.h"

namespace flowgrid::graph {

// One diagnostic per node and limit above `maxima` (a zero maximum or a
// zero ask means "no bound" and "the default"). Negative asks are refused
// too. Field names are "limits.timeout_ms" and so on.
std::vector<Diagnostic> CheckNodeLimits(const Plan& plan, const v1::Limits& maxima);

}  // namespace flowgrid::graph

#endif  // FLOWGRID_SCHEDULER_GRAPH_NODE_LIMITS_H_
