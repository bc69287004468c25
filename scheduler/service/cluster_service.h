// service::ClusterServiceImpl — the cluster admin API
// (flowgrid.v1.ClusterService, client port) adapted onto the dispatcher:
// list the connected workers, drain one.
#ifndef FLOWGRID_SCHEDULER_SERVICE_CLUSTER_SERVICE_H_
#define FLOWGRID_SCHEDULER_SERVICE_CLUSTER_SERVICE_H_

#include "flowgrid/v1/cluster.grpc.pb.h"
#include "scheduler/dispatch/dispatcher.h"

namespace flowgrid::service {

class ClusterServiceImpl final : public v1::ClusterService::Service {
 public:
  explicit ClusterServiceImpl(dispatch::Dispatcher* dispatcher) : dispatcher_(dispatcher) {}

  grpc::Status ListWorkers(grpc::ServerContext* context, const v1::ListWorkersRequest* request,
                           v1::ListWorkersResponse* response) override;
  grpc::Status DrainWorker(grpc::ServerContext* context, const v1::DrainWorkerRequest* request,
                           v1::DrainWorkerResponse* response) override;

 private:
  dispatch::Dispatcher* const dispatcher_;
};

}  // namespace flowgrid::service

#endif  // FLOWGRID_SCHEDULER_SERVICE_CLUSTER_SERVICE_H_
