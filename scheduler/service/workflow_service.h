// service::WorkflowServiceImpl — the client API (flowgrid.v1.WorkflowService)
// adapted onto the engine and the store. No run logic lives here.
#ifndef FLOWGRID_SCHEDULER_SERVICE_WORKFLOW_SERVICE_H_
#define FLOWGRID_SCHEDULER_SERVICE_WORKFLOW_SERVICE_H_

#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "scheduler/engine/run_engine.h"
#include "scheduler/store/run_store.h"

namespace flowgrid::service {

class WorkflowServiceImpl final : public v1::WorkflowService::Service {
 public:
  WorkflowServiceImpl(engine::RunEngine* engine, store::RunStore* store)
      : engine_(engine), store_(store) {}

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
  grpc::Status RunNode(grpc::ServerContext* context, const v1::RunNodeRequest* request,
                       v1::RunNodeResponse* response) override;
  grpc::Status ValidateWorkflow(grpc::ServerContext* context,
                                const v1::ValidateWorkflowRequest* request,
                                v1::ValidateWorkflowResponse* response) override;

 private:
  engine::RunEngine* const engine_;
  store::RunStore* const store_;
};

}  // namespace flowgrid::service

#endif  // FLOWGRID_SCHEDULER_SERVICE_WORKFLOW_SERVICE_H_
