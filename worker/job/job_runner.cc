#include "worker/job/job_runner.h"

#include <signal.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/value_types.h"
#include "worker/job/harness_reply.h"
#include "worker/job/result_contract.h"
#include "worker/job/utf8.h"
#include "worker/runtimes/node/node_runtime.h"
#include "worker/runtimes/python/python_runtime.h"
#include "worker/sandbox/rlimits.h"
#include "worker/sandbox/sandbox.h"

namespace flowgrid::job {
namespace {

constexpr absl::Duration kDefaultTimeout = absl::Seconds(10);
constexpr size_t kDefaultMaxOutputBytes = 1 << 20;
constexpr int64_t kDefaultMemoryBytes = 256 << 20;
constexpr int64_t kDefaultMaxProcesses = 32;

v1::NodeResult Failed(v1::ErrorCode code, std::string message) {
  v1::NodeResult result;
  result.set_status(v1::NODE_FAILED);
  result.mutable_error()->set_code(code);
  result.mutable_error()->set_message(std::move(message));
  return result;
}

// "9 (SIGKILL)"; sigabbrev_np is thread-safe, unlike strsignal.
std::string SignalName(int signal_number) {
  const char* abbreviation = sigabbrev_np(signal_number);
  return abbreviation == nullptr ? absl::StrCat(signal_number)
                                 : absl::StrCat(signal_number, " (SIG", abbreviation, ")");
}

// The outputs a reply's result must provide: a template's only output is
// its rendering.
DeclaredOutputs DeclaredOutputsOf(const v1::Job& job) {
  if (job.kind() != v1::Job::RENDER_TEMPLATE) return job.outputs();
  DeclaredOutputs rendering;
  rendering["output"] = MakeType(v1::Type::STRING);
  return rendering;
}

// A successful reply: a check has no outputs; the others go through the
// result contract.
v1::NodeResult Succeeded(const v1::Job& job, const RawResult& raw) {
  v1::NodeResult result;
  if (job.kind() == v1::Job::CHECK_CODE) {
    result.set_status(v1::NODE_SUCCEEDED);
    return result;
  }
  ContractOutcome contract = ApplyResultContract(raw, DeclaredOutputsOf(job), job.output_limits());
  if (contract.ok) {
    result.set_status(v1::NODE_SUCCEEDED);
    *result.mutable_outputs() = std::move(contract.outputs);
  } else {
    result.set_status(v1::NODE_FAILED);
    *result.mutable_error() = std::move(contract.error);
  }
  for (std::string& warning : contract.warnings) result.add_warnings(std::move(warning));
  return result;
}

// The verdict on the job itself; the caller adds output and usage.
v1::NodeResult Verdict(const v1::Job& job, const sandbox::SupervisedOutcome& outcome,
                       size_t max_result_bytes) {
  if (outcome.cancelled) return Failed(v1::CANCELLED, "Job was cancelled.");
  if (outcome.timed_out) {
    return Failed(v1::TIMEOUT, absl::StrCat("Execution timed out after ",
                                            absl::ToInt64Milliseconds(JobTimeout(job)), " ms"));
  }
  if (outcome.cgroup_measured && outcome.cgroup_usage.oom_kills > 0) {
    return Failed(v1::MEMORY_LIMIT,
                  absl::StrCat("Memory limit of ", EffectiveMemoryBytes(job.limits()) >> 20,
                               " MiB exceeded"));
  }
  if (outcome.result_too_large) {
    return Failed(v1::RESULT_TOO_LARGE,
                  absl::StrCat("The result is larger than ", max_result_bytes, " bytes."));
  }
  if (!outcome.result.empty()) {
    absl::StatusOr<HarnessReply> reply = ParseHarnessReply(outcome.result);
    if (!reply.ok()) return Failed(v1::INVALID_RESULT, std::string(reply.status().message()));
    if (!reply->ok) {
      v1::NodeResult result;
      result.set_status(v1::NODE_FAILED);
      *result.mutable_error() = reply->error;
      return result;
    }
    return Succeeded(job, reply->result);
  }
  const sandbox::RlimitPlan rlimits = sandbox::RlimitsForJob(JobTimeout(job));
  // The job is pid 1 of its namespace, which ignores the kernel's SIGXCPU:
  // the hard limit's SIGKILL is what ends it, recognised by the CPU used.
  bool cpu_exhausted = outcome.term_signal == SIGKILL && !outcome.timed_out &&
                       !outcome.cancelled &&
                       outcome.cpu >= absl::Seconds(static_cast<int64_t>(rlimits.cpu_seconds_soft));
  if (outcome.term_signal == SIGXCPU || cpu_exhausted) {
    return Failed(v1::CPU_LIMIT, absl::StrCat("CPU time limit of ", rlimits.cpu_seconds_soft,
                                              " s exceeded"));
  }
  if (outcome.term_signal == SIGXFSZ) {
    return Failed(v1::OUTPUT_LIMIT, absl::StrCat("File size limit of ",
                                                 rlimits.file_size_bytes, " bytes exceeded"));
  }
  if (outcome.term_signal == SIGSYS) {
    // Only the seccomp filter sends SIGSYS with a fatal default: the job
    // made a system call the sandbox forbids (ptrace, bpf, mount, a foreign
    // ABI, ...).
    return Failed(v1::SANDBOX_VIOLATION,
                  "The sandbox stopped a forbidden system call (the process was killed by "
                  "SIGSYS).");
  }
  if (outcome.term_signal != 0) {
    return Failed(v1::RUNTIME_ERROR,
                  absl::StrCat("The process was killed by signal ", SignalName(outcome.term_signal),
                               " before returning a result."));
  }
  return Failed(v1::RUNTIME_ERROR, absl::StrCat("The process exited with code ",
                                                outcome.exit_code, " without a result."));
}

// Templates are Jinja2, whatever the language says.
bool UsesPython(const v1::Job& job) {
  return job.kind() == v1::Job::RENDER_TEMPLATE || job.language() == v1::CodeNode::PYTHON3;
}

}  // namespace

absl::Duration EffectiveTimeout(const v1::Limits& limits) {
  return limits.timeout_ms() > 0 ? absl::Milliseconds(limits.timeout_ms()) : kDefaultTimeout;
}

size_t EffectiveMaxOutputBytes(const v1::Limits& limits) {
  return limits.max_output_bytes() > 0 ? static_cast<size_t>(limits.max_output_bytes())
                                       : kDefaultMaxOutputBytes;
}

int64_t EffectiveMemoryBytes(const v1::Limits& limits) {
  return limits.memory_bytes() > 0 ? limits.memory_bytes() : kDefaultMemoryBytes;
}

int64_t EffectiveMaxProcesses(const v1::Limits& limits) {
  return limits.max_processes() > 0 ? limits.max_processes() : kDefaultMaxProcesses;
}

sandbox::CgroupLimits CgroupLimitsOf(const v1::Job& job) {
  return {EffectiveMemoryBytes(job.limits()), EffectiveMaxProcesses(job.limits())};
}

absl::Duration JobTimeout(const v1::Job& job) {
  const absl::Duration timeout = EffectiveTimeout(job.limits());
  return job.kind() == v1::Job::CHECK_CODE ? std::min(timeout, kCheckCodeTimeout) : timeout;
}

v1::NodeResult NodeResultFromOutcome(const v1::Job& job, sandbox::SupervisedOutcome outcome,
                                     size_t max_result_bytes) {
  v1::NodeResult result = Verdict(job, outcome, max_result_bytes);
  // Hitting pids.max makes fork/thread creation fail with EAGAIN, which
  // user code usually sees as an exception: name the limit instead.
  if (result.status() == v1::NODE_FAILED && result.error().code() == v1::RUNTIME_ERROR &&
      outcome.cgroup_measured && outcome.cgroup_usage.pids_limit_hits > 0) {
    result.mutable_error()->set_code(v1::PROCESS_LIMIT);
    result.mutable_error()->set_message(absl::StrCat(
        "Process limit of ", EffectiveMaxProcesses(job.limits()), " exceeded"));
  }
  result.set_stdout(ToValidUtf8(outcome.stdout_text));
  result.set_stdout_truncated(outcome.stdout_truncated);
  result.set_stderr(ToValidUtf8(outcome.stderr_text));
  result.set_stderr_truncated(outcome.stderr_truncated);
  v1::Usage* usage = result.mutable_usage();
  usage->set_wall_us(absl::ToInt64Microseconds(outcome.wall));
  usage->set_cpu_us(outcome.cgroup_measured ? outcome.cgroup_usage.cpu_usage_us
                                            : absl::ToInt64Microseconds(outcome.cpu));
  // The cgroup's peak covers every process of the job; -1 when the kernel
  // cannot restart it per job (v2 before 6.12): the child's own then.
  usage->set_peak_memory_bytes(
      outcome.cgroup_measured && outcome.cgroup_usage.peak_memory_bytes >= 0
          ? outcome.cgroup_usage.peak_memory_bytes
          : outcome.peak_rss_bytes);
  return result;
}

std::vector<v1::CodeNode::Language> JobRunner::Runtimes() const {
  std::vector<v1::CodeNode::Language> runtimes = {v1::CodeNode::PYTHON3};
  if (!options_.node_path.empty()) runtimes.push_back(v1::CodeNode::JAVASCRIPT);
  return runtimes;
}

absl::StatusOr<sandbox::SandboxRequest> JobRunner::SandboxRequestFor(const v1::Job& job) const {
  if (UsesPython(job)) {
    return runtimes::python::PythonSandboxRequest(job, options_.python_path);
  }
  if (job.language() == v1::CodeNode::JAVASCRIPT && !options_.node_path.empty()) {
    return runtimes::node::NodeSandboxRequest(job, options_.node_path);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("Language ", v1::CodeNode::Language_Name(job.language()),
                   " is not supported by this worker."));
}

absl::Status JobRunner::PrepareCgroup(const v1::Job& job, sandbox::SlotCgroup* cgroup,
                                      bool shared_with_zygote, int64_t* zygote_charge) const {
  sandbox::CgroupLimits limits = CgroupLimitsOf(job);
  // The zygote lives in the slot: it is one more process (and its charge
  // is not the job's).
  if (shared_with_zygote) limits.max_pids += 1;
  absl::StatusOr<int64_t> resident = sandbox::ReadyForJob(*cgroup, limits, shared_with_zygote);
  if (!resident.ok()) return resident.status();
  *zygote_charge = *resident;
  return absl::OkStatus();
}

v1::NodeResult JobRunner::Finish(const v1::Job& job, absl::Time started,
                                 sandbox::SupervisedOutcome outcome) const {
  if (options_.metrics != nullptr) {
    options_.metrics->SandboxSetUp(job.kind(), job.language(),
                                   outcome.code_handed_over - started);
  }
  return NodeResultFromOutcome(job, std::move(outcome), options_.max_result_bytes);
}

v1::NodeResult JobRunner::Run(const v1::Job& job, int cancel_fd) const {
  const absl::Time started = sandbox::MonotonicNow();
  absl::StatusOr<sandbox::SandboxRequest> request = SandboxRequestFor(job);
  if (!request.ok()) return Failed(v1::INVALID_INPUT, std::string(request.status().message()));
  request->limits.wall_timeout = JobTimeout(job);
  request->limits.max_output_bytes = EffectiveMaxOutputBytes(job.limits());
  request->limits.max_result_bytes = options_.max_result_bytes;
  const auto sandbox_failure = [&job](absl::string_view what, const absl::Status& status) {
    LogError(absl::StrCat("job ", job.job_id(), " attempt ", job.attempt(), ": ", what, ": ",
                          status.ToString()));
    return Failed(v1::INTERNAL, absl::StrCat("Worker sandbox failure: ", status.message()));
  };

  if (options_.node_pool != nullptr && !UsesPython(job) &&
      job.language() == v1::CodeNode::JAVASCRIPT) {
    if (options_.cgroups != nullptr && !options_.node_pool->confined()) {
      return sandbox_failure("node pool", absl::FailedPreconditionError(
                                              "the node pool has no cgroups, this worker's jobs "
                                              "run in cgroups"));
    }
    // The pool's processes run in cgroups of their own (not a slot's): a
    // job answered before its exit leaves its cgroup and uid to the reaper.
    const sandbox::FinishLater to_reaper = [this](std::function<void()> finish) {
      options_.reaper->Post(std::move(finish));
    };
    absl::StatusOr<std::optional<sandbox::SupervisedOutcome>> pooled =
        options_.node_pool->Run(*request, CgroupLimitsOf(job), cancel_fd,
                                options_.reaper != nullptr && options_.node_pool->confined()
                                    ? &to_reaper
                                    : nullptr);
    if (!pooled.ok()) return sandbox_failure("node pool failure", pooled.status());
    if (pooled->has_value()) return Finish(job, started, **std::move(pooled));
    // None waiting: a fresh node in a slot, as without the pool.
  }

  std::unique_ptr<sandbox::SlotCgroups::Lease> cgroup;
  if (options_.cgroups != nullptr) {
    cgroup = options_.cgroups->Acquire();
    request->cgroup = cgroup->get();
  }
  // Zygote leases are released before the cgroup's (declared after it).
  std::unique_ptr<runtimes::python::PythonZygotes::Lease> zygote;
  if (options_.python_zygotes != nullptr && UsesPython(job)) {
    absl::StatusOr<std::unique_ptr<runtimes::python::PythonZygotes::Lease>> leased =
        options_.python_zygotes->Acquire(request->cgroup);
    if (!leased.ok()) return sandbox_failure("Python zygote", leased.status());
    zygote = *std::move(leased);
  }
  int64_t zygote_charge = 0;
  if (request->cgroup != nullptr) {
    absl::Status ready =
        PrepareCgroup(job, request->cgroup, zygote != nullptr, &zygote_charge);
    if (!ready.ok()) return sandbox_failure("slot cgroup failure", ready);
  }

  // A zygote's job that answers before its process exits hands its leases
  // (and the reap) to the reaper; until then its slot serves no other job.
  const sandbox::FinishLater finish_later = [this, &cgroup,
                                             &zygote](std::function<void()> finish) {
    struct Held {
      std::unique_ptr<sandbox::SlotCgroups::Lease> cgroup;
      std::unique_ptr<runtimes::python::PythonZygotes::Lease> zygote;  // released first
    };
    auto held = std::make_shared<Held>(Held{std::move(cgroup), std::move(zygote)});
    options_.reaper->Post([finish = std::move(finish), held]() mutable {
      finish();
      finish = nullptr;  // the uid goes back before the slot does
    });
  };
  // Part of the warm path (DESIGN.md "Speed"), so a zygote's job only, and
  // one holding a slot cgroup: its lease is what keeps the slot's next job
  // (and its uid) waiting until the reap. A fresh interpreter is waited
  // for, as in the baseline the benchmarks compare with.
  const sandbox::FinishLater* answer_early =
      options_.reaper != nullptr && zygote != nullptr && cgroup != nullptr ? &finish_later
                                                                          : nullptr;
  absl::StatusOr<sandbox::SupervisedOutcome> outcome =
      zygote != nullptr ? runtimes::python::RunOnZygote(*zygote, *request, cancel_fd, answer_early)
                        : sandbox::RunInSandbox(*request, cancel_fd, answer_early);
  if (!outcome.ok()) return sandbox_failure("sandbox failure", outcome.status());
  if (outcome->cgroup_measured && outcome->cgroup_usage.peak_memory_bytes >= 0) {
    outcome->cgroup_usage.peak_memory_bytes =
        std::max<int64_t>(0, outcome->cgroup_usage.peak_memory_bytes - zygote_charge);
  }
  return Finish(job, started, *std::move(outcome));
}

}  // namespace flowgrid::job
