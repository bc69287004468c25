// Ties a job's child process to the job: its own session and process group
// (so the supervisor can kill everything it started with one kill(-pgid))
// and death with the worker thread that spawned it. Child side,
// async-signal-safe; each function returns 0 or errno.
#ifndef FLOWGRID_WORKER_SANDBOX_PROCESS_LIFETIME_H_
#define FLOWGRID_WORKER_SANDBOX_PROCESS_LIFETIME_H_

#include <sys/types.h>

namespace flowgrid::sandbox {

// setsid(): a new session and process group whose id is the child's pid,
// detached from the worker's controlling terminal (no ^C from a shell).
int StartOwnSession() noexcept;

// PR_SET_PDEATHSIG SIGKILL. The kernel sends it when the spawning *thread*
// exits, which is why jobs are spawned from long-lived slot threads. If the
// worker is already gone (parent is no longer `worker_pid`), fails ESRCH.
int DieWithWorker(pid_t worker_pid) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_PROCESS_LIFETIME_H_
