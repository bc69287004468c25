// Runs one code-node job end to end: runtime → sandbox → verdict → result
// contract → NodeResult. Knows nothing about gRPC or slots.
#ifndef FLOWGRID_WORKER_JOB_JOB_RUNNER_H_
#define FLOWGRID_WORKER_JOB_JOB_RUNNER_H_

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "flowgrid/v1/worker.pb.h"
#include "flowgrid/v1/workflow.pb.h"
#include "worker/sandbox/supervisor.h"

namespace flowgrid::job {

struct JobRunnerOptions {
  // Debian's interpreter, by absolute path.
  std::string python_path = "/usr/bin/python3";
  // Bound on the result channel; beyond it the job fails RESULT_TOO_LARGE.
  size_t max_result_bytes = 4 << 20;
};

// Job.limits with defaults for zero fields: 10 s wall time, 1 MiB per
// output stream.
absl::Duration EffectiveTimeout(const v1::Limits& limits);
size_t EffectiveMaxOutputBytes(const v1::Limits& limits);

// Thread-safe (stateless between calls).
class JobRunner {
 public:
  explicit JobRunner(JobRunnerOptions options) : options_(std::move(options)) {}

  // Runs `job` to completion. Every outcome, the worker's own failures
  // included (INTERNAL), is a NodeResult. `cancel_fd` is an eventfd (or -1):
  // readable means kill the job and report CANCELLED.
  v1::NodeResult Run(const v1::Job& job, int cancel_fd) const;

 private:
  JobRunnerOptions options_;
};

// The verdict on a supervised job (pure; exposed for tests), in order:
// cancelled → CANCELLED; deadline → TIMEOUT "Execution timed out after N ms";
// result channel overflow → RESULT_TOO_LARGE; a reply on the result channel
// decides (the harness's error, or the result contract), whatever the exit
// status; no reply: SIGXCPU → CPU_LIMIT, SIGXFSZ → OUTPUT_LIMIT, another
// signal or an exit → RUNTIME_ERROR with the exit information.
// stdout/stderr (made valid UTF-8) and usage are always filled in.
v1::NodeResult NodeResultFromOutcome(const v1::Job& job, sandbox::SupervisedOutcome outcome,
                                     size_t max_result_bytes);

}  // namespace flowgrid::job

#endif  // FLOWGRID_WORKER_JOB_JOB_RUNNER_H_
