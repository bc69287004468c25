// What grpcurl and Kubernetes' gRPC probes ask a flowgrid server, as a
// test library: grpc.health.v1.Health (Check, Watch) and the service list
// of gRPC server reflection. Every call has a deadline.
#ifndef FLOWGRID_TESTS_E2E_GRPC_PROBES_H_
#define FLOWGRID_TESTS_E2E_GRPC_PROBES_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"

namespace flowgrid::e2e {

// Health/Check of `service` ("" for the server as a whole) at `address`:
// "SERVING", "NOT_SERVING", ..., or the call's error (NOT_FOUND for a
// service the server has no status for).
absl::StatusOr<std::string> CheckHealth(const std::string& address, const std::string& service);

// The services the server at `address` lists through server reflection,
// in its order; UNIMPLEMENTED when it serves no reflection.
absl::StatusOr<std::vector<std::string>> ListServices(const std::string& address);

// A Health/Watch stream read from a thread of its own, for at most
// `timeout`: records every status the server sends until the stream ends.
class HealthWatch {
 public:
  HealthWatch(const std::string& address, const std::string& service, absl::Duration timeout);
  // Cancels the stream if it is still open.
  ~HealthWatch();
  HealthWatch(const HealthWatch&) = delete;
  HealthWatch& operator=(const HealthWatch&) = delete;

  // Waits (up to `timeout`) until `count` statuses arrived or the stream
  // ended; returns the statuses so far.
  std::vector<std::string> AwaitStatuses(size_t count, absl::Duration timeout);
  // Waits (up to the watch's timeout) for the stream to end; returns every
  // status it carried.
  std::vector<std::string> AwaitEnd();

 private:
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::vector<std::string> statuses_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

}  // namespace flowgrid::e2e

#endif  // FLOWGRID_TESTS_E2E_GRPC_PROBES_H_
