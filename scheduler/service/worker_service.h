// service::WorkerServiceImpl — the worker port (flowgrid.v1.WorkerService).
//
// Each worker holds one Connect stream. The first message must be Hello;
// the worker is then registered with the dispatcher, which pushes jobs to
// it through an outbound queue drained by the stream's writer thread (so
// the dispatcher never blocks on a slow worker). Every message from the
// worker renews its lease. When the stream ends, or the dispatcher declares
// the worker lost (lease expired, replaced by a new stream with the same
// worker id) and cancels the stream, the worker's unfinished jobs are
// requeued by the dispatcher.
#ifndef FLOWGRID_SCHEDULER_SERVICE_WORKER_SERVICE_H_
#define FLOWGRID_SCHEDULER_SERVICE_WORKER_SERVICE_H_

#include "flowgrid/v1/worker.grpc.pb.h"
#include "scheduler/dispatch/dispatcher.h"

namespace flowgrid::service {

class WorkerServiceImpl final : public v1::WorkerService::Service {
 public:
  explicit WorkerServiceImpl(dispatch::Dispatcher* dispatcher) : dispatcher_(dispatcher) {}

  grpc::Status Connect(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>* stream) override;

 private:
  dispatch::Dispatcher* const dispatcher_;
};

}  // namespace flowgrid::service

#endif  // FLOWGRID_SCHEDULER_SERVICE_WORKER_SERVICE_H_
