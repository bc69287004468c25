// The worker's side of the WorkerService.Connect stream.
//
// Protocol (see proto/flowgrid/v1/worker.proto):
//   - One long-lived stream. The first message is always
//     Hello{worker_id, slots, runtimes, version}; `slots` is the initial
//     credit, `runtimes` the languages the job runner runs. Credit is
//     never sent: each JobResult returns one.
//   - Every Job received gets exactly one JobResult{job_id, attempt,
//     result} on the same stream. Jobs run on the SlotPool's fixed threads.
//   - CancelJob kills that job; its JobResult has error code CANCELLED.
//     Unknown ids (already finished) are ignored.
//   - Heartbeat{running_jobs} every heartbeat_interval, also while
//     draining: the scheduler declares a worker that sent nothing for its
//     --worker_lease lost, so the lease must be a few heartbeat intervals.
//   - Stream break: running jobs are killed (their results could not be
//     delivered; the scheduler requeues them), then the agent reconnects
//     with exponential backoff and jitter and says Hello again.
//   - Credentials refused (UNAUTHENTICATED for a wrong or missing token, a
//     failed TLS handshake for a wrong certificate or CA): logged as such
//     and retried like an unreachable scheduler, the backoff still growing
//     (a stream the scheduler refused does not reset it), so a token or
//     certificate fixed while the worker runs is picked up. Jobs only come
//     on an accepted stream.
//   - Drain (SIGTERM/SIGINT via RequestDrain, or a Drain message): send
//     Draining, finish running jobs for up to drain_grace (then kill them
//     and report them WORKER_LOST, so that they run elsewhere),
//     half-close the stream, and Run() returns OK. A Job arriving while
//     draining is answered at once with WORKER_LOST ("not started").
// Writes come from slot threads, the control thread and the reader; a
// mutex keeps them to one at a time, as a sync stream requires.
//
// Observability: with AgentOptions::metrics the agent records each job's
// outcome as sent (after the drain's WORKER_LOST rewrite), the stream's
// state, the drain and reconnect attempts; the slot pool records the slots.
// on_state_change hears every change of AgentState (health checks).
#ifndef FLOWGRID_WORKER_AGENT_AGENT_H_
#define FLOWGRID_WORKER_AGENT_AGENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "flowgrid/v1/workflow.pb.h"
#include "worker/agent/slot_pool.h"
#include "worker/metrics/worker_metrics.h"

namespace grpc {
class ChannelCredentials;
}  // namespace grpc

namespace flowgrid::agent {

// What the agent is doing, as health checks see it.
struct AgentState {
  // The scheduler accepted the Hello of the current stream (its initial
  // metadata, common/worker_stream.h) and the stream has not ended.
  bool connected = false;
  // A drain was requested (it lasts until Run returns).
  bool draining = false;
};

struct AgentOptions {
  std::string scheduler_address = "127.0.0.1:7071";
  // How the channel to the scheduler is secured (common/tls/
  // grpc_credentials.h); nullptr: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The name the scheduler's certificate must hold, when it is not the
  // address's host; empty: the host.
  std::string tls_server_name;
  // Shared worker token file (common/tls/token_file.h), read before every
  // connection attempt so a rotated token is picked up; sent as
  // "authorization: Bearer <token>". Empty: no token.
  std::string token_file;
  std::string worker_id;
  int slots = 1;
  std::vector<v1::CodeNode::Language> runtimes = {v1::CodeNode::PYTHON3};
  std::string version;
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration drain_grace = absl::Seconds(30);
  absl::Duration reconnect_initial = absl::Milliseconds(100);
  absl::Duration reconnect_max = absl::Seconds(5);
  // Where the worker's metrics are recorded (nullptr: nowhere); must
  // outlive the agent.
  metrics::WorkerMetrics* metrics = nullptr;
  // Called with the new state after each change, one call at a time, from
  // whichever agent thread made it; the last call has the latest state.
  // Called once by Run() before it connects. Must not call into the agent.
  std::function<void(const AgentState&)> on_state_change;
};

class Agent {
 public:
  // `run_job` executes one job (normally job::JobRunner::Run).
  Agent(AgentOptions options, SlotPool::RunFn run_job);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Connects, serves jobs and reconnects until a drain completes; returns
  // OK then. Call once.
  absl::Status Run();

  // Starts a drain. Thread-safe, idempotent, returns at once.
  void RequestDrain();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowgrid::agent

#endif  // FLOWGRID_WORKER_AGENT_AGENT_H_
