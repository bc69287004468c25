// engine::NodeRunner — runs one node of a workflow alone with given inputs
// (Dify's "Run This Node"): code and template nodes on a worker, if-else,
// variable-aggregator and answer nodes in place.
#ifndef FLOWGRID_SCHEDULER_ENGINE_NODE_RUNNER_H_
#define FLOWGRID_SCHEDULER_ENGINE_NODE_RUNNER_H_

#include "absl/status/statusor.h"
#include "flowgrid/v1/scheduler.pb.h"
#include "scheduler/engine/job_builder.h"
#include "scheduler/engine/job_waiter.h"

namespace flowgrid::engine {

class NodeRunner {
 public:
  NodeRunner(JobWaiter* waiter, JobDefaults defaults, absl::Duration queue_wait)
      : waiter_(waiter), defaults_(std::move(defaults)), queue_wait_(queue_wait) {}

  // `inputs`: for code and template nodes, by the node's own input names
  // (names it does not have are InvalidArgument); for other kinds, by
  // "node_id.variable" of the selectors they read. The workflow must be
  // valid (InvalidArgument lists its problems). DeadlineExceeded when no
  // worker ran the job within its timeout plus `queue_wait`.
  absl::StatusOr<v1::RunNodeResponse> Run(const v1::RunNodeRequest& request) const;

 private:
  JobWaiter* const waiter_;
  const JobDefaults defaults_;
  const absl::Duration queue_wait_;
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_NODE_RUNNER_H_
