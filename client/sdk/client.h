// flowgrid::Client — the C++ SDK for the scheduler's WorkflowService.
//
// gRPC stays inside client.cc: this header needs only the message types, so
// code using the SDK does not pay for grpcpp headers. Every call returns an
// absl::Status; gRPC statuses are converted code for code (INVALID_ARGUMENT
// from SubmitRun carries every validation diagnostic, one per line).
//
// Thread-safety: a Client may be shared by threads; each call is independent.
#ifndef FLOWGRID_CLIENT_SDK_CLIENT_H_
#define FLOWGRID_CLIENT_SDK_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/sdk/credentials.h"
#include "client/sdk/retry.h"
#include "common/value_json.h"
#include "flowgrid/v1/cluster.pb.h"
#include "flowgrid/v1/scheduler.pb.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid {

struct ClientOptions {
  // TLS towards the scheduler (credentials.h); plaintext by default.
  TlsOptions tls;
  // Sent with every call as `authorization: Bearer <api_key>` when not
  // empty (a scheduler started with --api_keys_file answers calls without a
  // known key with UNAUTHENTICATED). Printable ASCII without spaces; read
  // one from a file with ReadApiKeyFile.
  std::string api_key;
  // How long Connect waits for the channel to become ready.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Deadline of each unary call (Submit, Get, List, Cancel, RunNode,
  // Validate), its retries included.
  absl::Duration call_timeout = absl::Seconds(30);
  // Retries of Submit, Get, List, Cancel and Validate after UNAVAILABLE or
  // RESOURCE_EXHAUSTED, honouring the scheduler's retry delay (retry.h).
  // RunNode is never retried. max_attempts = 1 turns retries off (e.g. to
  // see overload as it happens).
  RetryPolicy retry;
  // Overall deadline of Watch (all re-attaches included); infinite by
  // default because a run may legitimately last its full max run time.
  absl::Duration watch_timeout = absl::InfiniteDuration();
  // Watch re-attaches after a broken stream (UNAVAILABLE, or CANCELLED by a
  // stopping scheduler) or a refused one (RESOURCE_EXHAUSTED: the
  // scheduler's cap on watch streams) at most this many times in a row
  // without receiving an event. The wait before each re-attach is the
  // scheduler's retry delay when it sent one, else doubles from the initial
  // backoff up to the maximum; either is stretched by a random factor in
  // [1, 1.5) (retry.h). The defaults ride out about 40 s without a
  // scheduler (a restart).
  int watch_max_reattempts = 12;
  absl::Duration watch_initial_backoff = absl::Milliseconds(200);
  absl::Duration watch_max_backoff = absl::Seconds(5);
};

class Client;

// The events of one watched run, pulled one at a time (Client::WatchStream).
// It re-attaches exactly as Client::Watch does (the callback form is built
// on it): events come in sequence order, each sequence number at most once,
// across broken streams and scheduler restarts, and the last one is
// run_finished. Used by one thread at a time; the Client that opened it
// must outlive it. Destroying it before the end cancels the stream.
class RunEventStream {
 public:
  ~RunEventStream();
  RunEventStream(const RunEventStream&) = delete;
  RunEventStream& operator=(const RunEventStream&) = delete;

  // Waits for the next event and stores it in `event`: true when there is
  // one. False once run_finished has been returned (status() is OK) or when
  // watching failed (status() says why); `event` is then left untouched.
  bool Next(v1::RunEvent* event);

  // OK while events come and after run_finished; after Next returned false
  // without run_finished, the error, as Client::Watch returns it.
  const absl::Status& status() const;

 private:
  friend class Client;
  struct State;
  explicit RunEventStream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class Client {
 public:
  // Called for every event of a watched run, in sequence order, each
  // sequence number at most once (also across re-attaches).
  using EventCallback = std::function<void(const v1::RunEvent&)>;

  // Opens a channel to `address` (HOST:PORT) and waits up to
  // connect_timeout for it to connect (for TLS: to complete its handshake).
  // UNAVAILABLE names the address and gRPC's last connection error when
  // nothing answers there or the handshake fails (e.g. a certificate the CA
  // file does not vouch for, or TLS on one side only). Options that cannot
  // work are INVALID_ARGUMENT and an unreadable CA, certificate or key file
  // names the file, before anything is dialled. The API key is checked by
  // the scheduler per call: UNAUTHENTICATED comes back from the calls.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      const std::string& address, ClientOptions options = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& address() const;

  // Starts a run and returns its id. A non-empty idempotency key that the
  // scheduler has seen before returns the run it created the first time.
  // A retried Submit is safe only with a key (an attempt that failed with
  // UNAVAILABLE may have been accepted), so when retries are on and the
  // caller gave none, Submit makes one ("sdk-" and 128 random bits) and
  // sends it with every attempt. RESOURCE_EXHAUSTED after the last attempt
  // means the scheduler is full: its retry delay is attached to the status
  // (GetRetryDelay, common/retry_delay.h).
  // `system` holds the system variables read as ["sys", name] (query,
  // user_id, files, conversation_id).
  absl::StatusOr<std::string> Submit(const v1::Workflow& workflow,
                                     const ValueMap& inputs,
                                     const std::string& idempotency_key = "",
                                     const ValueMap& system = {});

  // Streams the run's events after `after_sequence` (0 = from the start)
  // to `on_event` until run_finished, and returns that RunFinished. When the
  // stream breaks (UNAVAILABLE: the scheduler is unreachable, e.g.
  // restarting; CANCELLED by the scheduler: it stopped), re-attaches after
  // the last sequence delivered (bounded, with backoff), so that every event
  // is delivered once across a scheduler restart; a stream the scheduler
  // refuses for now (RESOURCE_EXHAUSTED) is retried after the delay it asks
  // for. Giving up keeps the last failure's code (UNAVAILABLE, or
  // RESOURCE_EXHAUSTED with its retry delay). A stream that ends cleanly without
  // run_finished is a broken server contract: INTERNAL naming the run and
  // the last sequence received.
  absl::StatusOr<v1::RunFinished> Watch(const std::string& run_id,
                                        int64_t after_sequence,
                                        const EventCallback& on_event);

  // Watch as an iterator: the same events, re-attaches and errors, pulled
  // with RunEventStream::Next. Nothing is sent before the first Next.
  //   std::unique_ptr<RunEventStream> events = client->WatchStream(run_id);
  //   v1::RunEvent event;
  //   while (events->Next(&event)) { ... }
  //   if (!events->status().ok()) { ... }
  std::unique_ptr<RunEventStream> WatchStream(const std::string& run_id,
                                              int64_t after_sequence = 0);

  // Submit + Watch from the first event. The run id is passed to
  // `on_submitted` (when set) before watching starts.
  absl::StatusOr<v1::RunFinished> Run(
      const v1::Workflow& workflow, const ValueMap& inputs,
      const EventCallback& on_event,
      const std::function<void(const std::string& run_id)>& on_submitted = nullptr,
      const std::string& idempotency_key = "", const ValueMap& system = {});

  // The run's current record: status, inputs, outputs and every node
  // execution so far.
  absl::StatusOr<v1::Run> Get(const std::string& run_id);

  // One page of the run history, newest first (page_size 0 = the
  // scheduler's default); `status` unspecified lists every status. Pass the
  // returned next_page_token to get the next page ("" when there is none).
  absl::StatusOr<v1::ListRunsResponse> List(int page_size, const std::string& page_token = "",
                                            v1::RunStatus status = v1::RUN_STATUS_UNSPECIFIED);

  // Cancels a run: nothing more of it starts, its running jobs are killed,
  // it ends CANCELLED. Returns the run's record as of the cancel.
  // FAILED_PRECONDITION when it has already finished, NOT_FOUND when unknown
  // (also when a retried Cancel's earlier attempt did cancel it).
  absl::StatusOr<v1::Run> Cancel(const std::string& run_id);

  // Runs one node of `workflow` alone with `inputs` (Dify's "Run This
  // Node"); a failure of the node's code is data in the result, not an error.
  absl::StatusOr<v1::RunNodeResponse> RunNode(const v1::Workflow& workflow,
                                              const std::string& node_id,
                                              const ValueMap& inputs);

  // Every diagnostic of the workflow at once; a bad workflow is not an
  // error here (valid == false), only transport problems are.
  absl::StatusOr<v1::ValidateWorkflowResponse> Validate(const v1::Workflow& workflow);

  // The cluster admin API (ClusterService, same address): the connected
  // workers, and asking one to drain (NOT_FOUND for an unknown id).
  absl::StatusOr<v1::ListWorkersResponse> ListWorkers();
  absl::Status DrainWorker(const std::string& worker_id);

 private:
  friend class RunEventStream;
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flowgrid

#endif  // FLOWGRID_CLIENT_SDK_CLIENT_H_
