// service::WorkflowServiceImpl — the client API (flowgrid.v1.WorkflowService)
// adapted onto the engine and the store. No run logic lives here.
//
// Refusals for load (RESOURCE_EXHAUSTED: a full scheduler, too many
// watchers, a client opening watchers too fast) carry their retry delay as
// trailing metadata (`retry-after-ms`, common/grpc_status.h). Requests over
// the size limits (limits/input_limits.h) are refused, or for
// ValidateWorkflow reported, before the engine sees them.
#ifndef FLOWGRID_SCHEDULER_SERVICE_WORKFLOW_SERVICE_H_
#define FLOWGRID_SCHEDULER_SERVICE_WORKFLOW_SERVICE_H_

#include <atomic>
#include <memory>

#include "absl/time/time.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "scheduler/engine/run_engine.h"
#include "scheduler/limits/client_rate_limiter.h"
#include "scheduler/limits/input_limits.h"
#include "scheduler/metrics/scheduler_metrics.h"
#include "scheduler/store/run_store.h"

namespace flowgrid::service {

struct WorkflowServiceOptions {
  // WatchRun streams open at once (--max_watch_streams). Each holds one of
  // the client port's server threads for its whole life, so this stays
  // below the port's thread limit, leaving threads for the unary calls.
  int max_watch_streams = 768;
  // When a watcher refused for that limit should try again.
  absl::Duration watch_retry_delay = absl::Seconds(1);
  // WatchRun streams one client (ClientIdentity) may open per second
  // (--max_watch_rate), with a burst of ClientRateLimiter::BurstForRate; 0:
  // no limit. A refusal says when the client's next stream may open.
  double max_watch_rate = 1000;
  // Sizes of workflows, code and inputs (--max_workflow_bytes,
  // --max_code_bytes, --max_input_bytes).
  limits::InputLimits input_limits;
};

class WorkflowServiceImpl final : public v1::WorkflowService::Service {
 public:
  // `metrics` (not owned) may be null; otherwise the open WatchRun
  // streams are recorded, and the refusals made here: a SubmitRun without
  // a workflow (invalid) or over the size limits (too_large), a WatchRun
  // over the client's rate (rate_limited). The engine records its own.
  WorkflowServiceImpl(engine::RunEngine* engine, store::RunStore* store,
                      WorkflowServiceOptions options = {},
                      metrics::SchedulerMetrics* metrics = nullptr);

  grpc::Status SubmitRun(grpc::ServerContext* context, const v1::SubmitRunRequest* request,
                         v1::SubmitRunResponse* response) override;
  grpc::Status WatchRun(grpc::ServerContext* context, const v1::WatchRunRequest* request,
                        grpc::ServerWriter<v1::RunEvent>* writer) override;
  grpc::Status GetRun(grpc::ServerContext* context, const v1::GetRunRequest* request,
                      v1::Run* response) override;
  grpc::Status ListRuns(grpc::ServerContext* context, const v1::ListRunsRequest* request,
                        v1::ListRunsResponse* response) override;
  grpc::Status CancelRun(grpc::ServerContext* context, const v1::CancelRunRequest* request,
                         v1::Run* response) override;
  grpc::Status RerunRun(grpc::ServerContext* context, const v1::RerunRunRequest* request,
                        v1::SubmitRunResponse* response) override;
  grpc::Status RunNode(grpc::ServerContext* context, const v1::RunNodeRequest* request,
                       v1::RunNodeResponse* response) override;
  grpc::Status ValidateWorkflow(grpc::ServerContext* context,
                                const v1::ValidateWorkflowRequest* request,
                                v1::ValidateWorkflowResponse* response) override;

 private:
  // WatchRun after its slot among max_watch_streams is taken.
  grpc::Status WatchAdmitted(grpc::ServerContext* context, const v1::WatchRunRequest* request,
                             grpc::ServerWriter<v1::RunEvent>* writer);

  engine::RunEngine* const engine_;
  store::RunStore* const store_;
  const WorkflowServiceOptions options_;
  metrics::SchedulerMetrics* const metrics_;
  std::atomic<int> watch_streams_{0};
  // Null when max_watch_rate is 0.
  const std::unique_ptr<limits::ClientRateLimiter> watch_rate_;
};

}  // namespace flowgrid::service

#endif  // FLOWGRID_SCHEDULER_SERVICE_WORKFLOW_SERVICE_H_
