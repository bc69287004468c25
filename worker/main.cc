// flowgrid-worker: connects to the scheduler and runs code-node jobs.
// See worker/README.md.
#include <signal.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/metrics/metrics_endpoint.h"
#include "common/ready_file.h"
#include "common/tls/grpc_credentials.h"
#include "common/tls/token_file.h"
#include "worker/agent/agent.h"
#include "worker/agent/health_server.h"
#include "worker/job/job_runner.h"
#include "worker/metrics/worker_metrics.h"
#include "worker/runtimes/node/node_pool.h"
#include "worker/runtimes/node/node_runtime.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/kernel_sandbox.h"
#include "worker/sandbox/sandbox.h"
#include "worker/sandbox/unique_fd.h"

ABSL_FLAG(std::string, scheduler, "127.0.0.1:7071", "Scheduler worker-port address, HOST:PORT");
ABSL_FLAG(int, slots, 0, "Concurrent jobs (job slots); 0 means the number of CPUs");
ABSL_FLAG(std::string, worker_id, "", "Worker id reported to the scheduler; default hostname-pid");
ABSL_FLAG(std::string, python, "/usr/bin/python3",
          "Absolute path of the Python 3 interpreter (never looked up in PATH)");
ABSL_FLAG(std::string, node, "/usr/bin/node",
          "Absolute path of Node.js for JavaScript jobs; empty or not executable: the worker "
          "runs no JavaScript");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(5), "Time between heartbeats");
ABSL_FLAG(absl::Duration, drain_grace, absl::Seconds(30),
          "On SIGTERM/SIGINT or Drain: how long running jobs may finish before being killed");
ABSL_FLAG(absl::Duration, reconnect_max_backoff, absl::Seconds(5),
          "Cap of the exponential reconnection backoff");
ABSL_FLAG(int64_t, max_result_bytes, 4 << 20,
          "Largest result a job may return (RESULT_TOO_LARGE beyond)");
ABSL_FLAG(std::string, cgroup_parent, "",
          "Where slot cgroups are created: a path inside each cgroup hierarchy (e.g. "
          "/flowgrid); default the worker's own cgroup");
ABSL_FLAG(double, slot_cpu_quota_cores, 0,
          "Hard CPU cap per job slot in CPUs (e.g. 1.5), through the cgroup cpu controller; 0 = "
          "none (default: a job at its quota stalls until the next 100 ms period). Every slot "
          "has equal CPU weight either way");
ABSL_FLAG(bool, insecure_no_sandbox, false,
          "DEVELOPMENT ONLY: run jobs without the kernel sandbox (namespaces, read-only "
          "mounts, unprivileged uid, seccomp) when it cannot be set up, instead of refusing "
          "to start");
ABSL_FLAG(std::string, sandbox_root_parent, "/run",
          "Existing directory where the worker prepares the jobs' read-only root "
          "(flowgrid-root-<pid>, removed at exit; one left by a killed worker is removed by the "
          "next start)");
ABSL_FLAG(bool, python_zygote, true,
          "Fork Python jobs and templates from a warm zygote per slot (about 1-2 ms a job); "
          "false starts a fresh interpreter per job (tens of ms), as a baseline");
ABSL_FLAG(std::string, python_zygote_binary, "",
          "The flowgrid-python-zygote binary; default: next to this worker's binary");
ABSL_FLAG(int, python_zygote_max_jobs, 10000,
          "Jobs a zygote serves before it is replaced (its hash seed is shared by its jobs)");
ABSL_FLAG(int, sandbox_uid_base, 60000,
          "Jobs run as uid = gid = base + i (one i per concurrent job or waiting node "
          "process); these ids must own no files");
ABSL_FLAG(int, node_pool_size, -1,
          "Pre-spawned, sandboxed node processes kept waiting for JavaScript jobs; -1: the "
          "number of slots, 0: none (every job starts a fresh node)");
ABSL_FLAG(std::string, metrics_addr, "",
          "Serve Prometheus metrics on GET /metrics at HOST:PORT (port 0: any free port); "
          "empty: off");
ABSL_FLAG(std::string, health_addr, "",
          "Serve the gRPC health service (grpc.health.v1) at HOST:PORT (port 0: any free "
          "port): \"\" is SERVING while connected to the scheduler and not draining; empty: off");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA bundle verifying the scheduler's certificate; set: TLS to the scheduler");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM client certificate chain presented to the scheduler (mutual TLS); needs "
          "--tls_ca_file and --tls_key_file");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name the scheduler's certificate must hold when it is not --scheduler's host");
ABSL_FLAG(std::string, token_file, "",
          "File whose first line is the shared worker token (the scheduler's "
          "--worker_token_file), sent as 'authorization: Bearer <token>'; re-read before each "
          "connection attempt. Needs --tls_ca_file");
ABSL_FLAG(std::string, ready_file, "",
          "Once the metrics and health endpoints listen, write "
          "{\"metrics_addr\":..,\"health_addr\":..} (those that are on, real ports) here, "
          "atomically");

namespace {

// `name` in the directory of the running binary.
std::string BesideThisBinary(const std::string& name) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return (self.parent_path() / name).string();
}

// Prepares the kernel sandbox and proves it by running one trivial program
// through the whole pipeline: a layer that fails only in the child (a
// mount, the uid drop) is found at start-up, not on the first job.
// `uid_count`: one uid per concurrent job and per waiting node process.
absl::Status SetUpKernelSandbox(const std::string& python, const std::string& node,
                                int uid_count) {
  flowgrid::sandbox::KernelSandboxOptions options;
  options.uid_base = static_cast<uid_t>(absl::GetFlag(FLAGS_sandbox_uid_base));
  options.uid_count = uid_count;
  options.root.parent_dir = absl::GetFlag(FLAGS_sandbox_root_parent);
  options.syscall_profiles[python] = flowgrid::sandbox::SyscallProfile::kPython;
  if (!node.empty()) options.syscall_profiles[node] = flowgrid::sandbox::SyscallProfile::kNode;
  if (absl::Status status = flowgrid::sandbox::EnableKernelSandbox(options); !status.ok()) {
    return status;
  }
  flowgrid::sandbox::SandboxRequest probe;
  probe.executable = python;
  probe.argv = {python, "-I", "-S", "-c", "pass"};
  probe.limits.wall_timeout = absl::Seconds(10);
  absl::StatusOr<flowgrid::sandbox::SupervisedOutcome> outcome =
      flowgrid::sandbox::RunInSandbox(probe, -1);
  if (outcome.ok() && (!outcome->exited || outcome->exit_code != 0)) {
    outcome = absl::InternalError(
        absl::StrCat("probe job under the sandbox did not succeed: ", outcome->stderr_text));
  }
  if (!outcome.ok()) flowgrid::sandbox::DisableKernelSandbox();
  return outcome.status();
}

// Starts every slot's zygote now, so that one that cannot start is found at
// start-up and the first jobs do not wait for an interpreter.
absl::Status WarmZygotes(flowgrid::runtimes::python::PythonZygotes& zygotes,
                         flowgrid::sandbox::SlotCgroups* cgroups, int slots) {
  std::vector<std::unique_ptr<flowgrid::sandbox::SlotCgroups::Lease>> slot_cgroups;
  std::vector<std::unique_ptr<flowgrid::runtimes::python::PythonZygotes::Lease>> warm;
  for (int i = 0; i < slots; ++i) {
    if (cgroups != nullptr) slot_cgroups.push_back(cgroups->Acquire());
    absl::StatusOr<std::unique_ptr<flowgrid::runtimes::python::PythonZygotes::Lease>> zygote =
        zygotes.Acquire(cgroups != nullptr ? slot_cgroups.back()->get() : nullptr);
    if (!zygote.ok()) return zygote.status();
    warm.push_back(*std::move(zygote));
  }
  return absl::OkStatus();
}

// The TLS and token flags into `options`; an error names the flag at fault.
absl::Status ApplySchedulerCredentials(flowgrid::agent::AgentOptions& options) {
  const std::string ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  const std::string cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  const std::string key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  options.token_file = absl::GetFlag(FLAGS_token_file);
  if (ca_file.empty()) {
    using FlagValue = std::pair<const char*, const std::string*>;
    for (const auto& [flag, value] : {FlagValue{"--tls_cert_file", &cert_file},
                                      FlagValue{"--tls_key_file", &key_file},
                                      FlagValue{"--tls_server_name", &options.tls_server_name},
                                      FlagValue{"--token_file", &options.token_file}}) {
      if (!value->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            flag, " needs TLS to the scheduler (--tls_ca_file): without it credentials would "
                  "cross the network in clear text"));
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      flowgrid::tls::MakeChannelCredentials({ca_file, cert_file, key_file});
  if (!credentials.ok()) return credentials.status();
  options.credentials = *std::move(credentials);
  // Read once now so that a missing or empty file stops the start.
  if (!options.token_file.empty()) {
    absl::StatusOr<std::string> token = flowgrid::tls::ReadTokenFile(options.token_file);
    if (!token.ok()) return token.status();
  }
  return absl::OkStatus();
}

std::string DefaultWorkerId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] != '\0' ? host : "worker", "-", ::getpid());
}

}  // namespace

int main(int argc, char** argv) {
  flowgrid::SetLogComponent("worker");
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex (gRPC's
  // included) would track lock order for deadlock detection on the hot path
  // (several % of CPU). Unit tests keep the detection.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::ParseCommandLine(argc, argv);

  const std::string python = absl::GetFlag(FLAGS_python);
  if (python.empty() || python[0] != '/' || ::access(python.c_str(), X_OK) != 0) {
    flowgrid::LogError(absl::StrCat("--python must be an executable absolute path: ", python));
    return 2;
  }
  std::string node = absl::GetFlag(FLAGS_node);
  if (!node.empty() && (node[0] != '/' || ::access(node.c_str(), X_OK) != 0)) {
    flowgrid::LogWarning(absl::StrCat("--node ", node, " is not an executable absolute path: "
                                      "JavaScript jobs will not be offered to this worker"));
    node.clear();
  }
  int slots = absl::GetFlag(FLAGS_slots);
  if (slots < 0) {
    flowgrid::LogError("--slots must be >= 0");
    return 2;
  }
  if (slots == 0) slots = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int64_t max_result_bytes = absl::GetFlag(FLAGS_max_result_bytes);
  if (max_result_bytes <= 0) {
    flowgrid::LogError("--max_result_bytes must be > 0");
    return 2;
  }

  int node_pool_size = absl::GetFlag(FLAGS_node_pool_size);
  if (node_pool_size < -1) {
    flowgrid::LogError("--node_pool_size must be >= -1");
    return 2;
  }
  if (node_pool_size == -1) node_pool_size = slots;
  if (node.empty()) node_pool_size = 0;
  // Each pooled node process holds a cgroup of the pool's and a uid from
  // its start to its reap.
  const int node_pool_cgroups =
      node_pool_size > 0
          ? flowgrid::runtimes::node::NodePool::CgroupsNeeded(node_pool_size, slots)
          : 0;

  const bool insecure = absl::GetFlag(FLAGS_insecure_no_sandbox);
  if (absl::GetFlag(FLAGS_sandbox_uid_base) <= 0) {
    flowgrid::LogError("--sandbox_uid_base must be > 0");
    return 2;
  }
  bool sandboxed = true;
  if (absl::Status status = SetUpKernelSandbox(python, node, slots + node_pool_cgroups);
      !status.ok()) {
    if (!insecure) {
      flowgrid::LogError(absl::StrCat("cannot set up the job sandbox, refusing to start "
                                      "(--insecure_no_sandbox runs without it): ",
                                      status.ToString()));
      return 1;
    }
    sandboxed = false;
    flowgrid::LogWarning(absl::StrCat(
        "INSECURE: --insecure_no_sandbox given and the job sandbox failed (",
        status.ToString(), "); jobs run WITHOUT namespaces, read-only mounts, uid drop or seccomp"));
  }

  // Block the stop signals before any thread starts, so that every thread
  // inherits the mask and they arrive only through the signalfd.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  flowgrid::sandbox::UniqueFd signal_fd(::signalfd(-1, &stop_signals, SFD_CLOEXEC));
  if (!signal_fd.valid()) {
    flowgrid::LogError("signalfd failed");
    return 1;
  }

  // The endpoints start threads, so after the signal mask; both before the
  // slow set-up below, so that /metrics answers (liveness) meanwhile.
  std::unique_ptr<flowgrid::MetricsEndpoint> metrics_endpoint;
  std::unique_ptr<flowgrid::metrics::WorkerMetrics> metrics;
  if (const std::string addr = absl::GetFlag(FLAGS_metrics_addr); !addr.empty()) {
    absl::StatusOr<std::unique_ptr<flowgrid::MetricsEndpoint>> started =
        flowgrid::MetricsEndpoint::Start(addr, "worker");
    if (!started.ok()) {
      flowgrid::LogError(absl::StrCat("--metrics_addr: ", started.status().ToString()));
      return 2;
    }
    metrics_endpoint = *std::move(started);
    metrics = std::make_unique<flowgrid::metrics::WorkerMetrics>(*metrics_endpoint->registry(),
                                                                 slots);
    flowgrid::LogInfo(absl::StrCat("metrics on http://", metrics_endpoint->bound_address(),
                                   "/metrics"));
  }
  std::unique_ptr<flowgrid::agent::HealthServer> health;
  if (const std::string addr = absl::GetFlag(FLAGS_health_addr); !addr.empty()) {
    absl::StatusOr<std::unique_ptr<flowgrid::agent::HealthServer>> started =
        flowgrid::agent::HealthServer::Start(addr);
    if (!started.ok()) {
      flowgrid::LogError(absl::StrCat("--health_addr: ", started.status().ToString()));
      return 2;
    }
    health = *std::move(started);
    flowgrid::LogInfo(absl::StrCat("gRPC health service on ", health->bound_address()));
  }
  if (const std::string path = absl::GetFlag(FLAGS_ready_file); !path.empty()) {
    std::vector<std::pair<std::string, std::string>> addresses;
    if (metrics_endpoint != nullptr) {
      addresses.emplace_back("metrics_addr", metrics_endpoint->bound_address());
    }
    if (health != nullptr) addresses.emplace_back("health_addr", health->bound_address());
    if (absl::Status written = flowgrid::WriteReadyFile(path, addresses); !written.ok()) {
      flowgrid::LogError(absl::StrCat("--ready_file: ", written.ToString()));
      return 1;
    }
  }

  flowgrid::agent::AgentOptions options;
  // After the signal mask: gRPC credentials start gRPC's threads.
  if (absl::Status credentials = ApplySchedulerCredentials(options); !credentials.ok()) {
    flowgrid::LogError(credentials.ToString());
    return 2;
  }
  options.scheduler_address = absl::GetFlag(FLAGS_scheduler);
  options.worker_id = absl::GetFlag(FLAGS_worker_id);
  if (options.worker_id.empty()) options.worker_id = DefaultWorkerId();
  options.slots = slots;
  options.version = FLOWGRID_VERSION;
  options.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  options.drain_grace = absl::GetFlag(FLAGS_drain_grace);
  options.reconnect_max = absl::GetFlag(FLAGS_reconnect_max_backoff);
  options.metrics = metrics.get();
  if (health != nullptr) {
    options.on_state_change = [&health](const flowgrid::agent::AgentState& state) {
      health->Report(state);
    };
  }

  // One cgroup per slot, made once; removed when `cgroups` goes out of
  // scope after the agent stops.
  std::unique_ptr<flowgrid::sandbox::SlotCgroups> cgroups;
  absl::StatusOr<flowgrid::sandbox::CgroupHierarchy> hierarchy =
      flowgrid::sandbox::DetectCgroupHierarchy(absl::GetFlag(FLAGS_cgroup_parent));
  flowgrid::sandbox::SlotCpu slot_cpu;
  slot_cpu.quota_cores = absl::GetFlag(FLAGS_slot_cpu_quota_cores);
  absl::StatusOr<std::unique_ptr<flowgrid::sandbox::SlotCgroups>> made =
      hierarchy.ok()
          ? flowgrid::sandbox::SlotCgroups::Create(*hierarchy, options.worker_id, slots, slot_cpu)
          : hierarchy.status();
  if (made.ok()) {
    cgroups = *std::move(made);
    flowgrid::LogInfo(absl::StrCat(
        "slot cgroups: ", slots, " under ",
        hierarchy->version == flowgrid::sandbox::CgroupVersion::kV2
            ? absl::StrCat("cgroup v2 ", hierarchy->v2_parent)
            : absl::StrCat("cgroup v1 ", hierarchy->memory_parent, " (memory)"),
        "; ", flowgrid::sandbox::DescribeSlotCpu(*hierarchy, slot_cpu)));
  } else if (!insecure) {
    flowgrid::LogError(absl::StrCat("cannot set up slot cgroups, refusing to start "
                                    "(--insecure_no_sandbox runs without them): ",
                                    made.status().ToString()));
    return 1;
  } else {
    flowgrid::LogWarning(absl::StrCat(
        "INSECURE: --insecure_no_sandbox given and slot cgroups failed (",
        made.status().ToString(), "); jobs run WITHOUT memory or process limits"));
  }

  std::unique_ptr<flowgrid::runtimes::python::PythonZygotes> zygotes;
  if (absl::GetFlag(FLAGS_python_zygote)) {
    flowgrid::runtimes::python::ZygoteOptions zygote_options;
    zygote_options.binary = absl::GetFlag(FLAGS_python_zygote_binary);
    if (zygote_options.binary.empty()) {
      zygote_options.binary = BesideThisBinary("flowgrid-python-zygote");
    }
    zygote_options.isolated = sandboxed;
    zygote_options.max_jobs = absl::GetFlag(FLAGS_python_zygote_max_jobs);
    zygotes = std::make_unique<flowgrid::runtimes::python::PythonZygotes>(zygote_options);
    if (absl::Status warm = WarmZygotes(*zygotes, cgroups.get(), slots); !warm.ok()) {
      flowgrid::LogError(absl::StrCat("cannot start the Python zygotes, refusing to start "
                                      "(--python_zygote=false runs a fresh interpreter per "
                                      "job): ",
                                      warm.ToString()));
      return 1;
    }
  }

  // After the kernel sandbox: its processes are spawned sandboxed. Declared
  // before the agent, so it outlives every job.
  // Its processes are born in cgroups of their own, where their jobs run
  // (node_pool.h); named "flowgrid-<worker id>-node-<pid>-slot<N>".
  std::unique_ptr<flowgrid::sandbox::SlotCgroups> node_cgroups;
  if (node_pool_size > 0 && cgroups != nullptr) {
    absl::StatusOr<std::unique_ptr<flowgrid::sandbox::SlotCgroups>> made_for_node =
        flowgrid::sandbox::SlotCgroups::Create(*hierarchy, absl::StrCat(options.worker_id, "-node"),
                                               node_pool_cgroups, slot_cpu);
    if (!made_for_node.ok()) {
      flowgrid::LogError(absl::StrCat("cannot set up the node pool's cgroups, refusing to start "
                                      "(--node_pool_size=0 runs a fresh node per job): ",
                                      made_for_node.status().ToString()));
      return 1;
    }
    node_cgroups = *std::move(made_for_node);
  }
  std::unique_ptr<flowgrid::runtimes::node::NodePool> node_pool;
  if (node_pool_size > 0) {
    node_pool = std::make_unique<flowgrid::runtimes::node::NodePool>(
        node_pool_size,
        flowgrid::runtimes::node::NodeProgram(
            node, flowgrid::job::EffectiveMemoryBytes(flowgrid::v1::Limits())),
        node_cgroups.get());
  }

  // Declared after the slot cgroups and the zygotes: it finishes the jobs
  // still holding them before they go.
  flowgrid::job::Reaper reaper;
  flowgrid::job::JobRunnerOptions runner_options;
  runner_options.cgroups = cgroups.get();
  runner_options.python_zygotes = zygotes.get();
  runner_options.reaper = &reaper;
  runner_options.node_pool = node_pool.get();
  runner_options.python_path = python;
  runner_options.node_path = node;
  runner_options.max_result_bytes = static_cast<size_t>(max_result_bytes);
  runner_options.metrics = metrics.get();
  const flowgrid::job::JobRunner runner(runner_options);
  options.runtimes = runner.Runtimes();

  flowgrid::agent::Agent agent(options, [&runner](const flowgrid::v1::Job& job, int cancel_fd) {
    return runner.Run(job, cancel_fd);
  });
  flowgrid::LogInfo(absl::StrCat("flowgrid-worker ", FLOWGRID_VERSION, " starting: ", slots,
                                 " slot(s), python ", python,
                                 zygotes != nullptr ? " (warm zygotes), " : " (fresh per job), ",
                                 node.empty() ? "no JavaScript"
                                              : absl::StrCat("node ", node, " (pool of ",
                                                             node_pool_size, ")"),
                                 sandboxed ? "; kernel sandbox on"
                                           : "; INSECURE: no kernel sandbox",
                                 options.credentials != nullptr ? "; TLS to the scheduler"
                                                                : "; plaintext to the scheduler",
                                 options.token_file.empty() ? "" : " with a worker token"));

  // The first stop signal drains; a second one exits at once (job
  // processes die with the worker through their parent-death signal).
  flowgrid::sandbox::UniqueFd stop_fd(::eventfd(0, EFD_CLOEXEC));
  if (!stop_fd.valid()) {
    flowgrid::LogError("eventfd failed");
    return 1;
  }
  std::thread signal_thread([&signal_fd, &stop_fd, &agent] {
    bool draining = false;
    while (true) {
      struct pollfd fds[2] = {{signal_fd.get(), POLLIN, 0}, {stop_fd.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;  // EINTR
      if (fds[1].revents != 0) return;
      struct signalfd_siginfo info;
      if (::read(signal_fd.get(), &info, sizeof(info)) != sizeof(info)) continue;
      if (draining) {
        flowgrid::LogWarning("second stop signal: exiting without waiting for jobs");
        ::_exit(1);
      }
      draining = true;
      flowgrid::LogInfo(absl::StrCat("received signal ", info.ssi_signo, "; draining"));
      agent.RequestDrain();
    }
  });

  const absl::Status status = agent.Run();
  const uint64_t one = 1;
  (void)!::write(stop_fd.get(), &one, sizeof(one));
  signal_thread.join();
  if (!status.ok()) {
    flowgrid::LogError(status.ToString());
    return 1;
  }
  return 0;
}
