// Resource limits of a job's child process (setrlimit). The plan is
// computed in the worker from the job's limits; the child applies it.
#ifndef FLOWGRID_WORKER_SANDBOX_RLIMITS_H_
#define FLOWGRID_WORKER_SANDBOX_RLIMITS_H_

#include <sys/resource.h>

#include "absl/time/time.h"

namespace flowgrid::sandbox {

struct RlimitPlan {
  // RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one.
  rlim_t cpu_seconds_soft = 0;
  rlim_t cpu_seconds_hard = 0;
  // RLIMIT_FSIZE: largest file the job may write (SIGXFSZ beyond).
  rlim_t file_size_bytes = 0;
  // RLIMIT_NOFILE: highest descriptor number + 1.
  rlim_t open_files = 0;
  // RLIMIT_CORE is always 0: a core dump of user code is a data leak.
};

// The CPU limit is derived from the wall timeout: the wall deadline is the
// real limit, the CPU limit is a kernel-enforced backstop one second later
// (a job cannot burn more CPU than wall time unless it runs threads).
RlimitPlan RlimitsForJob(absl::Duration wall_timeout);

// Child side: applies the plan and RLIMIT_CORE=0. Returns 0 or errno.
int ApplyRlimits(const RlimitPlan& plan) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_RLIMITS_H_
