// limits::InputLimits — how large a client's request may be: the workflow
// (serialized), each code node's code and each template node's template,
// and a run's inputs with its system values (serialized).
//
// Checked on the client port before anything is compiled, queued or stored:
// SubmitRun and RunNode are refused (INVALID_ARGUMENT listing every excess,
// each naming the node or input, its size, the limit and the flag that sets
// it); ValidateWorkflow reports the same excesses as its diagnostics.
// Templates count as code: a template is a Jinja2 program compiled and run
// in a worker's sandbox, as code is. An answer node's text is not (the
// scheduler fills its references); it counts in the workflow's size only.
// Pure functions of the request: no gRPC, no clock.
#ifndef FLOWGRID_SCHEDULER_LIMITS_INPUT_LIMITS_H_
#define FLOWGRID_SCHEDULER_LIMITS_INPUT_LIMITS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "flowgrid/v1/scheduler.pb.h"
#include "flowgrid/v1/workflow.pb.h"
#include "scheduler/graph/diagnostic.h"

namespace flowgrid::limits {

// Defaults: docs/OPERATIONS.md, "Input limits", says why these sizes.
struct InputLimits {
  // The workflow message, serialized (--max_workflow_bytes).
  int64_t max_workflow_bytes = int64_t{2} << 20;
  // One code node's code, or one template node's template, in bytes
  // (--max_code_bytes); nodes inside iterations and loops included.
  int64_t max_code_bytes = int64_t{128} << 10;
  // A run's inputs and system values together: each value serialized plus
  // its name (--max_input_bytes).
  int64_t max_input_bytes = int64_t{1} << 20;
};

// Every excess of `workflow` over `limits`: the workflow as a whole (field
// "workflow"), then each code ("code.code") and template
// ("template.template") over max_code_bytes, named by its node id. Empty
// when the workflow is within the limits.
std::vector<graph::Diagnostic> WorkflowSizeExcesses(const v1::Workflow& workflow,
                                                    const InputLimits& limits);

// OK, or INVALID_ARGUMENT listing every excess of the request: its
// workflow's (as above) and its inputs' with system values (field
// "inputs.NAME" / "system.NAME" for a single value over the limit, else
// "inputs" naming the largest).
absl::Status CheckSubmitRunSize(const v1::SubmitRunRequest& request, const InputLimits& limits);
// The same for RunNode: the workflow and the node's inputs.
absl::Status CheckRunNodeSize(const v1::RunNodeRequest& request, const InputLimits& limits);

}  // namespace flowgrid::limits

#endif  // FLOWGRID_SCHEDULER_LIMITS_INPUT_LIMITS_H_
