#include "scheduler/service/cluster_service.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/metrics/labels.h"
#include "google/protobuf/util/time_util.h"

namespace flowgrid::service {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

}  // namespace

grpc::Status ClusterServiceImpl::ListWorkers(grpc::ServerContext*,
                                             const v1::ListWorkersRequest*,
                                             v1::ListWorkersResponse* response) {
  for (dispatch::WorkerInfo& info : dispatcher_->ListWorkers()) {
    v1::WorkerStatus* worker = response->add_workers();
    worker->set_worker_id(std::move(info.worker_id));
    worker->set_peer(std::move(info.peer));
    worker->set_slots(info.slots);
    worker->set_free_slots(info.free_slots);
    for (std::string& job_id : info.running_jobs) worker->add_running_jobs(std::move(job_id));
    for (v1::CodeNode::Language runtime : info.runtimes) worker->add_runtimes(runtime);
    worker->set_state(info.draining ? v1::WorkerStatus::DRAINING : v1::WorkerStatus::CONNECTED);
    *worker->mutable_connected_at() = ToTimestamp(info.connected_at);
    *worker->mutable_last_seen() = ToTimestamp(info.last_seen);
    for (const auto& [verdict, count] : info.verdicts) {
      (*worker->mutable_verdicts())[metrics::VerdictLabel(verdict)] = count;
    }
  }
  return grpc::Status::OK;
}

grpc::Status ClusterServiceImpl::DrainWorker(grpc::ServerContext* context,
                                             const v1::DrainWorkerRequest* request,
                                             v1::DrainWorkerResponse*) {
  if (request->worker_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "DrainWorker needs a worker_id");
  }
  absl::Status drained = dispatcher_->DrainWorker(request->worker_id());
  if (drained.ok()) {
    LogInfo(absl::StrCat("worker ", request->worker_id(), " asked to drain by ",
                         context->peer()));
  }
  return ToGrpcStatus(drained);
}

}  // namespace flowgrid::service
