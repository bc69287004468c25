// Namespaces of a job's child process. Per job the child is cloned into new
// pid, mount, ipc and uts namespaces (tens of µs each). A new network
// namespace per job costs ≈ 0.5 ms plus a slow teardown
// (../shared/notes/sandbox-spike.md), so the worker creates ONE empty
// network namespace at start-up (only `lo`, and it is down) and every child
// joins it with setns (≈ 5 µs): jobs reach no network, not even each other.
#ifndef FLOWGRID_WORKER_SANDBOX_NAMESPACES_H_
#define FLOWGRID_WORKER_SANDBOX_NAMESPACES_H_

#include <sched.h>

#include "absl/status/statusor.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::sandbox {

// Added to the clone flags of a contained child. With CLONE_NEWPID the job
// is pid 1 of its namespace: when it exits the kernel kills everything it
// started (daemons, double forks), and a SIGKILL from the worker (outside
// the namespace) still ends it.
inline constexpr int kJobNamespaceFlags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;

// Parent side, once per worker: a new, empty network namespace, held open
// by the returned descriptor (O_CLOEXEC). Created on a short-lived thread so
// that no worker thread leaves the host's network namespace.
absl::StatusOr<UniqueFd> CreateEmptyNetworkNamespace();

// Child side, async-signal-safe: joins the namespace `netns_fd` refers to.
// Returns 0 or errno.
int JoinNetworkNamespace(int netns_fd) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_NAMESPACES_H_
