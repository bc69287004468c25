// A job's process, forked from the zygote: the per-job steps of DESIGN.md
// "Sandbox", in the same order as for a freshly spawned interpreter
// (sandbox/contain.cc), then the harness. The zygote already paid for
// everything that is per process rather than per job: its network
// namespace, the pivot into the job root, the interpreter, the compiled
// seccomp filter.
#ifndef FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_JOB_CHILD_H_
#define FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_JOB_CHILD_H_

#include <linux/filter.h>

#include "worker/runtimes/python/zygote/protocol.h"
#include "worker/sandbox/fd_hygiene.h"
#include "worker/sandbox/mounts.h"

namespace flowgrid::runtimes::python::zygote {

// Where a child reports a failed setup step: a page shared with the zygote
// (MAP_SHARED), unmapped by the child before any user code runs, so that a
// job can never write a report.
struct SetupReport {
  JobStep failed_step = JobStep::kNone;
  int failed_errno = 0;
};

struct JobChildSpec {
  const JobRequest* request = nullptr;
  sandbox::ChildFds fds;
  // The kernel sandbox: new namespaces (given by the zygote's clone),
  // mounts, the job's uid/gid and the seccomp filter. Without it (a worker
  // started with --insecure_no_sandbox) only the base steps run.
  bool isolated = false;
  const sandbox::ScratchMounts* scratch = nullptr;
  const sock_fprog* seccomp = nullptr;
  SetupReport* report = nullptr;
  // Checked by the parent-death step when there is no pid namespace.
  pid_t zygote_pid = -1;
};

// In the child right after the fork; never returns. A failing step is
// written to the report and ends the child with exit code 127.
[[noreturn]] void RunJobChild(const JobChildSpec& spec);

}  // namespace flowgrid::runtimes::python::zygote

#endif  // FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_JOB_CHILD_H_
