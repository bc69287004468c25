// `flowgridctl workers list` and `workers drain`: the cluster's workers,
// through the SDK's ClusterService calls.
#include <iostream>

#include "absl/time/clock.h"
#include "client/cli/commands.h"
#include "client/cli/format.h"
#include "client/sdk/client.h"

namespace flowgrid::cli {

int WorkersListCommand(const WorkersListOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToScheduler(options.connection);
  if (!client.ok()) return Fail("workers list", kExitUsage, client.status());
  absl::StatusOr<v1::ListWorkersResponse> workers = (*client)->ListWorkers();
  if (!workers.ok()) return Fail("workers list", kExitUsage, workers.status());
  std::cout << FormatWorkerList(*workers, options.output, absl::Now()) << std::flush;
  return kExitOk;
}

int WorkersDrainCommand(const WorkersDrainOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToScheduler(options.connection);
  if (!client.ok()) return Fail("workers drain", kExitUsage, client.status());
  absl::Status drained = (*client)->DrainWorker(options.worker_id);
  // An unknown worker is an answer about the worker, not a usage error.
  if (!drained.ok()) {
    return Fail("workers drain",
                drained.code() == absl::StatusCode::kNotFound ? kExitFailed : kExitUsage, drained);
  }
  std::cout << "worker " << options.worker_id
            << " is draining: it takes no new job and exits once its running jobs finish\n"
            << std::flush;
  return kExitOk;
}

}  // namespace flowgrid::cli
