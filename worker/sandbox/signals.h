// Signal state of a job's child process. The worker spawns with every
// signal blocked (so no worker handler can run in the child while it shares
// the worker's memory) and ignores SIGPIPE; neither may leak into the job,
// because a blocked mask and ignored dispositions survive exec.
#ifndef FLOWGRID_WORKER_SANDBOX_SIGNALS_H_
#define FLOWGRID_WORKER_SANDBOX_SIGNALS_H_

#include <signal.h>

namespace flowgrid::sandbox {

// Child side: every disposition back to SIG_DFL, then the signal mask set to
// `mask_for_exec` (normally empty). Returns 0 or errno.
int ResetSignals(const sigset_t& mask_for_exec) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_SIGNALS_H_
