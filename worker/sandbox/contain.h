// Starting a job's child process inside its containment.
//
// SpawnContained is the one place where a child is created. Between clone
// and exec the child runs an ordered pipeline of setup steps (see
// RunChildPipeline in contain.cc, modelled on nsjail's contain.cc); each
// step lives in its own file. The clone (clone3.h) shares the worker's
// memory and suspends the calling thread until exec (vfork semantics), so
// the child makes only async-signal-safe system calls and allocates
// nothing — safe in the multithreaded worker, and cheap.
#ifndef FLOWGRID_WORKER_SANDBOX_CONTAIN_H_
#define FLOWGRID_WORKER_SANDBOX_CONTAIN_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/sandbox/fd_hygiene.h"
#include "worker/sandbox/kernel_sandbox.h"
#include "worker/sandbox/rlimits.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::sandbox {

struct ChildSpec {
  // Absolute path; never looked up in PATH.
  std::string executable;
  // argv[0] included.
  std::vector<std::string> argv;
  // The child's whole environment ("NAME=value"); nothing is inherited.
  std::vector<std::string> env;
  ChildFds fds;
  RlimitPlan rlimits;
  // The kernel layers (new namespaces, mounts, unprivileged uid); nullptr
  // runs the base pipeline only.
  const ChildIsolation* isolation = nullptr;
  // A cgroup v2 directory the child is born in (clone3 CLONE_INTO_CGROUP),
  // so that none of its code runs outside the cgroup's limits; -1: the
  // calling thread's cgroups (v1: see SlotCgroup::BeforeSpawn).
  int cgroup_fd = -1;
};

struct SpawnedChild {
  pid_t pid = -1;
  // Refers to the child even after it exits (until reaped): pollable for
  // exit and immune to pid reuse.
  UniqueFd pidfd;
};

// Starts the child. On success the child has exec'd (setup succeeded) and
// the caller must reap it. A failing setup step or exec is an error naming
// the step and errno; that child is already reaped.
absl::StatusOr<SpawnedChild> SpawnContained(const ChildSpec& spec);

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_CONTAIN_H_
