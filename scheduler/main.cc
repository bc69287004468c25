// flowgrid-scheduler: serves the client API and the worker port, runs
// workflows, keeps their history in the SQLite store.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/ready_file.h"
#include "common/metrics/metrics_endpoint.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "scheduler/auth/server_auth.h"
#include "scheduler/console/console_server.h"
#include "scheduler/console/default_assets_dir.h"
#include "scheduler/dispatch/dispatcher_gauges.h"
#include "scheduler/engine/run_engine.h"
#include "scheduler/limits/input_limits.h"
#include "scheduler/metrics/scheduler_metrics.h"
#include "scheduler/service/cluster_service.h"
#include "scheduler/service/worker_service.h"
#include "scheduler/service/workflow_service.h"
#include "scheduler/store/sqlite_run_store.h"

ABSL_FLAG(std::string, client_addr, "127.0.0.1:7070", "Address of the client API (port 0: any).");
ABSL_FLAG(std::string, worker_addr, "127.0.0.1:7071", "Address of the worker port (port 0: any).");
ABSL_FLAG(std::string, data_dir, "./flowgrid-data", "Directory of the run history store.");
ABSL_FLAG(std::string, metrics_addr, "",
          "Address of the Prometheus /metrics HTTP endpoint (port 0: any; empty: off).");
ABSL_FLAG(std::string, ready_file, "",
          "Once serving, write {\"client_addr\":..,\"worker_addr\":..,\"metrics_addr\":..} "
          "here (atomically; metrics_addr, health_addr and console_addr only when on).");
ABSL_FLAG(std::string, console_addr, "",
          "Address of the web console, plain HTTP (port 0: any; empty: off). It shows runs' "
          "inputs and outputs: see docs/OPERATIONS.md before exposing it.");
ABSL_FLAG(std::string, console_assets_dir, "",
          "The console's front-end files (default: <bin>/../share/flowgrid/console, else the "
          "build tree's <bin>/../console/dist).");
ABSL_FLAG(int, console_max_event_streams, 64,
          "Console event streams (live run pages) open at once; beyond it: HTTP 503 with "
          "Retry-After.");
ABSL_FLAG(int, max_steps, 500, "Node executions allowed per run.");
ABSL_FLAG(int, max_job_attempts, 3, "Deliveries of a job whose worker is lost before WORKER_LOST.");
ABSL_FLAG(absl::Duration, worker_lease, absl::Seconds(15),
          "A worker that sent nothing (heartbeat, result, credit) for this long is lost and its "
          "jobs are requeued; keep it a few worker --heartbeat_interval (default 5s) long.");
ABSL_FLAG(absl::Duration, max_queue_wait, absl::Minutes(10),
          "A job that waited this long for a worker fails with QUEUE_TIMEOUT (0: no limit).");
ABSL_FLAG(absl::Duration, max_run_time, absl::Seconds(1200),
          "A run still going after this long fails with TIMEOUT.");
ABSL_FLAG(absl::Duration, max_node_timeout, absl::Seconds(120),
          "Largest wall time a code or template node may ask for (limits.timeout_ms)");
ABSL_FLAG(int64_t, max_node_memory_bytes, int64_t{1} << 30,
          "Largest memory limit a node may ask for (limits.memory_bytes)");
ABSL_FLAG(int32_t, max_node_processes, 128,
          "Largest process/thread limit a node may ask for (limits.max_processes)");
ABSL_FLAG(int64_t, max_node_output_bytes, 16 << 20,
          "Largest stdout/stderr cap a node may ask for (limits.max_output_bytes)");
ABSL_FLAG(int, max_active_runs, 2000,
          "Runs in progress at once; SubmitRun beyond it is refused with RESOURCE_EXHAUSTED "
          "and a retry delay (docs/OPERATIONS.md: what one run costs).");
ABSL_FLAG(absl::Duration, overload_retry_delay, absl::Seconds(1),
          "Retry delay sent with RESOURCE_EXHAUSTED (trailer retry-after-ms).");
ABSL_FLAG(int, max_watch_streams, 768,
          "WatchRun streams open at once; each holds a client-port thread. Beyond it: "
          "RESOURCE_EXHAUSTED with a retry delay.");
ABSL_FLAG(int, max_client_threads, 1024,
          "Threads of the client port's gRPC server (a call that finds none gets "
          "RESOURCE_EXHAUSTED); must exceed --max_watch_streams.");
// Input limits (docs/OPERATIONS.md, "Input limits"): INVALID_ARGUMENT beyond
// the sizes, RESOURCE_EXHAUSTED with a retry delay beyond the rate.
ABSL_FLAG(int64_t, max_workflow_bytes, flowgrid::limits::InputLimits().max_workflow_bytes,
          "Largest workflow (serialized) SubmitRun, RunNode and ValidateWorkflow accept.");
ABSL_FLAG(int64_t, max_code_bytes, flowgrid::limits::InputLimits().max_code_bytes,
          "Largest code of one code node, or template of one template node.");
ABSL_FLAG(int64_t, max_input_bytes, flowgrid::limits::InputLimits().max_input_bytes,
          "Largest inputs and system values of a run (or inputs of RunNode), serialized.");
ABSL_FLAG(double, max_watch_rate, flowgrid::service::WorkflowServiceOptions().max_watch_rate,
          "WatchRun streams one client (API key name, else host) may open per second, with a "
          "burst of a tenth of that (at least 1); 0: no limit.");
ABSL_FLAG(bool, strict_outputs, false,
          "Fail a code node that returns an undeclared key (newer Dify) instead of warning.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain served on both ports (TLS); empty: plaintext. Read at start.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, worker_ca_file, "",
          "PEM CA bundle; set: the worker port requires a client certificate it signed "
          "(mutual TLS). Needs TLS.");
ABSL_FLAG(std::string, worker_token_file, "",
          "File whose first line is the shared worker token; set: every worker stream needs "
          "'authorization: Bearer <token>'. Re-read when it changes. Needs TLS.");
ABSL_FLAG(std::string, api_keys_file, "",
          "Client API keys, one 'NAME KEY' per line ('#' comments); set: every client-port call "
          "but grpc.health.v1 needs 'authorization: Bearer <KEY>' (or 'x-api-key: <KEY>'). "
          "Re-read when it changes. Needs TLS.");
ABSL_FLAG(std::string, health_addr, "",
          "Address of a plaintext gRPC server with grpc.health.v1 only, mirroring the client "
          "and worker ports' health (for probes that cannot speak TLS, e.g. kubelet's; port "
          "0: any; empty: off).");

namespace flowgrid {
namespace {

// Room for a workflow with large code and inputs, and for a job result of a
// few MiB plus its capped stdout and stderr (gRPC's default is 4 MiB).
constexpr int kMaxMessageBytes = 64 << 20;

// Leaves gRPC server reflection out of one ServerBuilder: linking
// grpc++_reflection registers its plugin for every server built in the
// process, and reflection belongs on the client port only.
class WithoutReflection : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
      return dynamic_cast<grpc::reflection::ProtoServerReflectionPlugin*>(plugin.get()) != nullptr;
    });
  }
};

// Replaces the port of "host:port" with `port`.
std::string WithPort(const std::string& addr, int port) {
  return absl::StrCat(addr.substr(0, addr.rfind(':')), ":", port);
}

int Main() {
  SetLogComponent("scheduler");
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex (gRPC's
  // included) would track lock order for deadlock detection on the hot path
  // (several % of CPU). Unit tests keep the detection.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the stop signals in every thread; main waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    LogError(absl::StrCat("cannot create data dir ", data_dir, ": ", ec.message()));
    return 1;
  }
  auto store = store::SqliteRunStore::Open(data_dir + "/flowgrid.db");
  if (!store.ok()) {
    LogError(store.status().ToString());
    return 1;
  }
  engine::EngineOptions options = engine::DefaultEngineOptions();
  options.execution.max_steps = absl::GetFlag(FLAGS_max_steps);
  options.dispatch.max_attempts = absl::GetFlag(FLAGS_max_job_attempts);
  options.dispatch.worker_lease = absl::GetFlag(FLAGS_worker_lease);
  options.dispatch.max_queue_wait = absl::GetFlag(FLAGS_max_queue_wait);
  options.max_run_time = absl::GetFlag(FLAGS_max_run_time);
  options.jobs.output_limits.set_strict_outputs(absl::GetFlag(FLAGS_strict_outputs));
  options.jobs.maxima.set_timeout_ms(
      absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_max_node_timeout)));
  options.jobs.maxima.set_memory_bytes(absl::GetFlag(FLAGS_max_node_memory_bytes));
  options.jobs.maxima.set_max_processes(absl::GetFlag(FLAGS_max_node_processes));
  options.jobs.maxima.set_max_output_bytes(absl::GetFlag(FLAGS_max_node_output_bytes));
  options.admission.max_active_runs = absl::GetFlag(FLAGS_max_active_runs);
  options.admission.retry_delay = absl::GetFlag(FLAGS_overload_retry_delay);
  service::WorkflowServiceOptions service_options;
  service_options.max_watch_streams = absl::GetFlag(FLAGS_max_watch_streams);
  service_options.watch_retry_delay = absl::GetFlag(FLAGS_overload_retry_delay);
  service_options.input_limits.max_workflow_bytes = absl::GetFlag(FLAGS_max_workflow_bytes);
  service_options.input_limits.max_code_bytes = absl::GetFlag(FLAGS_max_code_bytes);
  service_options.input_limits.max_input_bytes = absl::GetFlag(FLAGS_max_input_bytes);
  service_options.max_watch_rate = absl::GetFlag(FLAGS_max_watch_rate);
  if (const limits::InputLimits& l = service_options.input_limits;
      l.max_workflow_bytes < 1 || l.max_code_bytes < 1 || l.max_input_bytes < 1 ||
      l.max_workflow_bytes > kMaxMessageBytes - l.max_input_bytes ||
      !(service_options.max_watch_rate >= 0)) {
    LogError(absl::StrCat("--max_workflow_bytes, --max_code_bytes and --max_input_bytes must be "
                          "positive, the workflow and input limits together at most ",
                          kMaxMessageBytes, " (the largest message), and --max_watch_rate ",
                          "not negative"));
    return 1;
  }
  const int max_client_threads = absl::GetFlag(FLAGS_max_client_threads);
  if (options.admission.max_active_runs < 1 || service_options.max_watch_streams < 1 ||
      max_client_threads <= service_options.max_watch_streams) {
    LogError(absl::StrCat("--max_active_runs (", options.admission.max_active_runs,
                          ") and --max_watch_streams (", service_options.max_watch_streams,
                          ") must be positive and --max_client_threads (", max_client_threads,
                          ") larger than --max_watch_streams"));
    return 1;
  }
  // Metrics: the registry outlives the engine that records into it; the
  // endpoint stops serving before the engine (read by scrapes) goes away.
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  std::shared_ptr<prometheus::Registry> registry;
  std::unique_ptr<metrics::SchedulerMetrics> scheduler_metrics;
  if (const std::string addr = absl::GetFlag(FLAGS_metrics_addr); !addr.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> started =
        MetricsEndpoint::Start(addr, "scheduler");
    if (!started.ok()) {
      LogError(started.status().ToString());
      return 1;
    }
    metrics_endpoint = *std::move(started);
    registry = metrics_endpoint->registry();
    scheduler_metrics = std::make_unique<metrics::SchedulerMetrics>(*registry);
  }
  engine::RunEngine engine(store->get(), options, scheduler_metrics.get());
  auto dispatcher_gauges = std::make_shared<dispatch::DispatcherGauges>(&engine.dispatcher());
  if (metrics_endpoint != nullptr) metrics_endpoint->RegisterCollectable(dispatcher_gauges);
  absl::Cleanup stop_metrics_first = [&metrics_endpoint] { metrics_endpoint.reset(); };
  if (absl::Status s = engine.RecoverUnfinishedRuns(); !s.ok()) {
    LogError(absl::StrCat("cannot recover unfinished runs: ", s.ToString()));
    return 1;
  }

  absl::StatusOr<std::unique_ptr<auth::ServerAuth>> server_auth =
      auth::ServerAuth::Create({absl::GetFlag(FLAGS_tls_cert_file),
                                absl::GetFlag(FLAGS_tls_key_file),
                                absl::GetFlag(FLAGS_worker_ca_file),
                                absl::GetFlag(FLAGS_worker_token_file),
                                absl::GetFlag(FLAGS_api_keys_file)});
  if (!server_auth.ok()) {
    LogError(server_auth.status().ToString());
    return 1;
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  service::WorkflowServiceImpl workflow_service(&engine, store->get(), service_options,
                                                scheduler_metrics.get());
  service::WorkerServiceImpl worker_service(&engine.dispatcher());
  service::ClusterServiceImpl cluster_service(&engine.dispatcher());

  // Two servers, so that jobs can never be submitted on the worker port and
  // each port can get its own credentials.
  int client_port = 0, worker_port = 0;
  grpc::ServerBuilder client_builder;
  client_builder.AddListeningPort(absl::GetFlag(FLAGS_client_addr),
                                  (*server_auth)->client_credentials(), &client_port);
  client_builder.RegisterService(&workflow_service);
  client_builder.RegisterService(&cluster_service);
  client_builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // gRPC sets SO_REUSEPORT by default, so a second scheduler given these
  // ports would share them with the first: refuse a taken port instead.
  client_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota client_quota("flowgrid-client-port");
  client_quota.SetMaxThreads(max_client_threads);
  client_builder.SetResourceQuota(client_quota);
  std::unique_ptr<grpc::Server> client_server = client_builder.BuildAndStart();

  grpc::ServerBuilder worker_builder;
  worker_builder.AddListeningPort(absl::GetFlag(FLAGS_worker_addr),
                                  (*server_auth)->worker_credentials(), &worker_port);
  worker_builder.RegisterService(&worker_service);
  worker_builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  worker_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  worker_builder.SetOption(std::make_unique<WithoutReflection>());
  std::unique_ptr<grpc::Server> worker_server = worker_builder.BuildAndStart();

  if (!client_server || !worker_server || client_port == 0 || worker_port == 0) {
    LogError(absl::StrCat("cannot listen on ", absl::GetFlag(FLAGS_client_addr), " and ",
                          absl::GetFlag(FLAGS_worker_addr)));
    return 1;
  }
  // Plaintext, health only: what it reports is no secret. gRPC builds no
  // server without a service of its own besides health; the generic one
  // answers every other method UNIMPLEMENTED.
  int health_port = 0;
  grpc::CallbackGenericService health_only;
  std::unique_ptr<grpc::Server> health_server;
  if (const std::string addr = absl::GetFlag(FLAGS_health_addr); !addr.empty()) {
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(addr, grpc::InsecureServerCredentials(), &health_port);
    health_builder.RegisterCallbackGenericService(&health_only);
    health_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    health_builder.SetOption(std::make_unique<WithoutReflection>());
    health_server = health_builder.BuildAndStart();
    if (!health_server || health_port == 0) {
      LogError(absl::StrCat("cannot listen on --health_addr ", addr));
      return 1;
    }
  }
  // Health: "" (SERVING from the start) and each port's own service.
  grpc::HealthCheckServiceInterface* client_health = client_server->GetHealthCheckService();
  grpc::HealthCheckServiceInterface* worker_health = worker_server->GetHealthCheckService();
  client_health->SetServingStatus(v1::WorkflowService::service_full_name(), true);
  worker_health->SetServingStatus(v1::WorkerService::service_full_name(), true);
  grpc::HealthCheckServiceInterface* mirror_health =
      health_server != nullptr ? health_server->GetHealthCheckService() : nullptr;
  if (mirror_health != nullptr) {
    mirror_health->SetServingStatus(v1::WorkflowService::service_full_name(), true);
    mirror_health->SetServingStatus(v1::WorkerService::service_full_name(), true);
  }

  std::string client_addr = WithPort(absl::GetFlag(FLAGS_client_addr), client_port);
  std::string worker_addr = WithPort(absl::GetFlag(FLAGS_worker_addr), worker_port);
  std::vector<std::pair<std::string, std::string>> addresses = {{"client_addr", client_addr},
                                                                {"worker_addr", worker_addr}};
  if (metrics_endpoint != nullptr) {
    addresses.emplace_back("metrics_addr", metrics_endpoint->bound_address());
  }
  const std::string health_addr =
      health_server != nullptr ? WithPort(absl::GetFlag(FLAGS_health_addr), health_port) : "";
  if (health_server != nullptr) addresses.emplace_back("health_addr", health_addr);
  // The console calls the client API in-process, as a client would (its
  // own key check stands in for the port's, which this channel bypasses).
  std::unique_ptr<console::ConsoleServer> console_server;
  if (const std::string addr = absl::GetFlag(FLAGS_console_addr); !addr.empty()) {
    console::ConsoleOptions console_options;
    console_options.addr = addr;
    const std::string assets_flag = absl::GetFlag(FLAGS_console_assets_dir);
    console_options.assets_dir = assets_flag.empty()
                                     ? console::DefaultAssetsDir(console::RunningBinary())
                                     : std::filesystem::path(assets_flag);
    const std::string assets_dir = console_options.assets_dir.string();
    console_options.events.max_streams = absl::GetFlag(FLAGS_console_max_event_streams);
    if (console_options.events.max_streams < 1) {
      LogError(absl::StrCat("--console_max_event_streams (", console_options.events.max_streams,
                            ") must be positive"));
      return 1;
    }
    if (const auth::ApiKeys* keys = (*server_auth)->api_keys(); keys != nullptr) {
      console_options.check_api_key = [keys](absl::string_view key) {
        return keys->Authenticate(key);
      };
    }
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    absl::StatusOr<std::unique_ptr<console::ConsoleServer>> started =
        console::ConsoleServer::Start(std::move(console_options),
                                      client_server->InProcessChannel(channel_args));
    if (!started.ok()) {
      LogError(started.status().ToString());
      return 1;
    }
    console_server = *std::move(started);
    addresses.emplace_back("console_addr", console_server->bound_address());
    LogInfo(absl::StrCat("console on http://", console_server->bound_address(), "/ (assets ",
                         assets_dir, ")"));
  }
  LogInfo(absl::StrCat("serving clients on ", client_addr, ", workers on ", worker_addr,
                       metrics_endpoint == nullptr
                           ? ""
                           : absl::StrCat(", metrics on ", metrics_endpoint->bound_address()),
                       health_server == nullptr ? "" : absl::StrCat(", health on ", health_addr),
                       ", store ", data_dir, "/flowgrid.db; ", (*server_auth)->Describe()));
  if (!absl::GetFlag(FLAGS_ready_file).empty()) {
    if (absl::Status s = WriteReadyFile(absl::GetFlag(FLAGS_ready_file), addresses); !s.ok()) {
      LogError(s.ToString());
      return 1;
    }
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogInfo(absl::StrCat("received signal ", signal_number, "; shutting down"));
  console_server.reset();  // its streams are calls on the client server
  // Every service NOT_SERVING (and staying so) before the servers stop.
  client_health->Shutdown();
  worker_health->Shutdown();
  if (mirror_health != nullptr) mirror_health->Shutdown();
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);
  client_server->Shutdown(deadline);
  worker_server->Shutdown(deadline);
  if (health_server != nullptr) health_server->Shutdown(deadline);
  return 0;
}

}  // namespace
}  // namespace flowgrid

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "flowgrid-scheduler [--client_addr=HOST:PORT] [--worker_addr=HOST:PORT] "
      "[--metrics_addr=HOST:PORT] [--data_dir=DIR] [--ready_file=PATH] "
      "[--tls_cert_file=PEM --tls_key_file=PEM [--worker_ca_file=PEM] "
      "[--worker_token_file=FILE] [--api_keys_file=FILE]]");
  absl::ParseCommandLine(argc, argv);
  return flowgrid::Main();
}
