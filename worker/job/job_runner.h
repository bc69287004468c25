// Runs one job end to end: runtime → sandbox → verdict → result contract →
// NodeResult. Knows nothing about gRPC or slots.
//
// By Job.kind:
//   RUN_CODE         PYTHON3 or JAVASCRIPT code; outputs per Job.outputs.
//   RENDER_TEMPLATE  a Jinja2 template, always on the Python runtime (the
//                    language is ignored); the one output "output" is a
//                    string (Job.outputs are ignored).
//   CHECK_CODE       compile only: COMPILE_ERROR, or success with no
//                    outputs. Bounded by kCheckCodeTimeout.
#ifndef FLOWGRID_WORKER_JOB_JOB_RUNNER_H_
#define FLOWGRID_WORKER_JOB_JOB_RUNNER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "flowgrid/v1/worker.pb.h"
#include "flowgrid/v1/workflow.pb.h"
#include "worker/job/reaper.h"
#include "worker/metrics/worker_metrics.h"
#include "worker/runtimes/python/zygote_client.h"
#include "worker/runtimes/node/node_pool.h"
#include "worker/sandbox/sandbox.h"
#include "worker/sandbox/supervisor.h"

namespace flowgrid::job {

struct JobRunnerOptions {
  // Debian's interpreter, by absolute path.
  std::string python_path = "/usr/bin/python3";
  // Node.js, by absolute path; empty: JAVASCRIPT jobs fail INVALID_INPUT.
  std::string node_path = "/usr/bin/node";
  // Bound on the result channel; beyond it the job fails RESULT_TOO_LARGE.
  size_t max_result_bytes = 4 << 20;
  // The slot cgroups jobs run in, with Job.limits' memory and process
  // limits (nullptr: no cgroups; those limits are then not enforced).
  sandbox::SlotCgroups* cgroups = nullptr;
  // Python jobs and templates fork from a warm zygote (one per slot)
  // instead of starting an interpreter each (nullptr: they start one).
  runtimes::python::PythonZygotes* python_zygotes = nullptr;
  // A zygote's or a pooled node's job that has replied and closed its
  // channels is answered at once; its process's exit, reap and leases are
  // finished here (nullptr: every job is finished before Run returns).
  Reaper* reaper = nullptr;
  // Pre-spawned node processes for JAVASCRIPT jobs (nullptr: a fresh node
  // per job); with `cgroups`, it must have cgroups of its own (its jobs run
  // there, not in a slot's). Must outlive the runner's jobs.
  runtimes::node::NodePool* node_pool = nullptr;
  // Records each job's sandbox setup: from Run's start to its process
  // being handed the code (nullptr: not recorded). Must outlive the runner.
  metrics::WorkerMetrics* metrics = nullptr;
};

// A code check compiles and never runs user code: it needs far less than a
// run, and a job that takes longer is stuck.
inline constexpr absl::Duration kCheckCodeTimeout = absl::Seconds(3);

// Job.limits with defaults for zero fields: 10 s wall time, 1 MiB per
// output stream.
absl::Duration EffectiveTimeout(const v1::Limits& limits);
size_t EffectiveMaxOutputBytes(const v1::Limits& limits);
// 256 MiB and 32 processes/threads.
int64_t EffectiveMemoryBytes(const v1::Limits& limits);
int64_t EffectiveMaxProcesses(const v1::Limits& limits);

// The memory and process limits of `job`'s cgroup.
sandbox::CgroupLimits CgroupLimitsOf(const v1::Job& job);

// The wall deadline of `job`: EffectiveTimeout, at most kCheckCodeTimeout
// for CHECK_CODE.
absl::Duration JobTimeout(const v1::Job& job);

// Thread-safe (stateless between calls).
class JobRunner {
 public:
  explicit JobRunner(JobRunnerOptions options) : options_(std::move(options)) {}

  // Runs `job` to completion. Every outcome, the worker's own failures
  // included (INTERNAL), is a NodeResult. `cancel_fd` is an eventfd (or -1):
  // readable means kill the job and report CANCELLED.
  v1::NodeResult Run(const v1::Job& job, int cancel_fd) const;

  // The languages this runner runs (for Hello): PYTHON3, and JAVASCRIPT
  // when a node_path is set.
  std::vector<v1::CodeNode::Language> Runtimes() const;

 private:
  // The runtime's process for `job`; InvalidArgument for a language this
  // runner does not run or an input without a JSON form.
  absl::StatusOr<sandbox::SandboxRequest> SandboxRequestFor(const v1::Job& job) const;
  // The slot's cgroup set up for `job`: leased, reset, limited. With a
  // zygote in the slot, its own charge and process are added to the limits
  // and reported in `zygote_charge`.
  absl::Status PrepareCgroup(const v1::Job& job, sandbox::SlotCgroup* cgroup,
                             bool shared_with_zygote, int64_t* zygote_charge) const;
  // The NodeResult of `job`'s supervised `outcome`; its setup (from
  // `started`) goes to the metrics.
  v1::NodeResult Finish(const v1::Job& job, absl::Time started,
                        sandbox::SupervisedOutcome outcome) const;

  JobRunnerOptions options_;
};

// The verdict on a supervised job (pure; exposed for tests), in order:
// cancelled → CANCELLED; deadline → TIMEOUT "Execution timed out after N ms";
// an OOM kill in the slot cgroup → MEMORY_LIMIT "Memory limit of N MiB
// exceeded"; result channel overflow → RESULT_TOO_LARGE; a reply on the result channel
// decides (the harness's error, or the kind's result contract: see above),
// whatever the exit status; no reply: SIGXCPU → CPU_LIMIT, SIGXFSZ → OUTPUT_LIMIT, another
// signal or an exit → RUNTIME_ERROR with the exit information. A
// RUNTIME_ERROR while the cgroup's process limit was hit (fork or thread
// creation failing with EAGAIN) is PROCESS_LIMIT "Process limit of N
// exceeded" (the traceback kept).
// stdout/stderr (made valid UTF-8) and usage are always filled in.
v1::NodeResult NodeResultFromOutcome(const v1::Job& job, sandbox::SupervisedOutcome outcome,
                                     size_t max_result_bytes);

}  // namespace flowgrid::job

#endif  // FLOWGRID_WORKER_JOB_JOB_RUNNER_H_
