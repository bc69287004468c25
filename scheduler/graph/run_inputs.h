// Checking a run's inputs against the start node's declared variables.
#ifndef FLOWGRID_SCHEDULER_GRAPH_RUN_INPUTS_H_
#define FLOWGRID_SCHEDULER_GRAPH_RUN_INPUTS_H_

#include <vector>

#include "common/value_json.h"
#include "scheduler/graph/diagnostic.h"
#include "scheduler/graph/plan.h"

namespace flowgrid::graph {

struct CheckedInputs {
  // The inputs with declared defaults filled in; valid only when
  // `diagnostics` is empty.
  ValueMap values;
  std::vector<Diagnostic> diagnostics;
};

// Every problem at once: a required variable missing, a value of the wrong
// type, a string over max_length, a select value not among its options, or
// an input the start node does not declare.
CheckedInputs CheckRunInputs(const Plan& plan, const ValueMap& inputs);

}  // namespace flowgrid::graph

#endif  // FLOWGRID_SCHEDULER_GRAPH_RUN_INPUTS_H_
