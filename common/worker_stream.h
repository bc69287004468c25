// What the scheduler and the worker agree on for the WorkerService.Connect
// stream beyond its messages (proto/flowgrid/v1/worker.proto).
#ifndef FLOWGRID_COMMON_WORKER_STREAM_H_
#define FLOWGRID_COMMON_WORKER_STREAM_H_

namespace flowgrid {

// Initial metadata key (value "1") the scheduler sends once it has accepted
// a worker's Hello and registered it for jobs. A worker counts as connected
// only then: a stream refused for its credentials ends without it (its
// Hello may still have been written), so the worker never reports being
// connected to a scheduler that refused it.
inline constexpr char kWorkerAcceptedMetadata[] = "flowgrid-worker-accepted";

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_WORKER_STREAM_H_
