// Building the worker's Job for a code or template node.
#ifndef FLOWGRID_SCHEDULER_ENGINE_JOB_BUILDER_H_
#define FLOWGRID_SCHEDULER_ENGINE_JOB_BUILDER_H_

#include "common/value_json.h"
#include "flowgrid/v1/worker.pb.h"

namespace flowgrid::engine {

// Cluster-wide job settings: defaults for limits a node leaves at 0, and
// the result checks.
struct JobDefaults {
  // For the zero fields of a node's limits.
  v1::Limits limits;
  // The most a node may ask for (zero fields: unbounded); checked when a
  // workflow is validated or submitted (graph/node_limits.h).
  v1::Limits maxima;
  v1::OutputLimits output_limits;
};

// The Job that runs `node` (code: RUN_CODE; template: RENDER_TEMPLATE,
// whose one output is "output") with `inputs`. job_id and attempt are set
// by the dispatcher.
v1::Job BuildJob(const v1::Node& node, ValueMap inputs, const JobDefaults& defaults);

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_JOB_BUILDER_H_
