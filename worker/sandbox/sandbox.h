// The sandbox's entry point: run one program as a contained, supervised
// job. Wires the channels (stdout, stderr, job input, result), spawns
// through SpawnContained and supervises to the end.
//
// Channels seen by the child:
//   0  /dev/null
//   1  stdout pipe, 2 stderr pipe (captured, capped)
//   3  the job input (a sealed-size memfd, read to EOF)
//   4  the result channel (a pipe; written then closed). It is separate from
//      stdout so that nothing the job prints can be taken for its result.
#ifndef FLOWGRID_WORKER_SANDBOX_SANDBOX_H_
#define FLOWGRID_WORKER_SANDBOX_SANDBOX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/supervisor.h"

namespace flowgrid::sandbox {

struct SandboxRequest {
  std::string executable;         // absolute path
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // the whole environment
  std::string input;              // bytes the child reads from fd 3
  SupervisionLimits limits;
  // The slot's cgroup, limits already set (nullptr: none). The child is
  // born in it: on v2 through clone3 CLONE_INTO_CGROUP, on v1 because the
  // spawning thread enters it around the clone (SlotCgroup::BeforeSpawn).
  SlotCgroup* cgroup = nullptr;
};

// Runs the request to completion. `cancel_fd` (eventfd, or -1) ends it
// early with outcome.cancelled. Errors are the worker's own failures
// (descriptors exhausted, setup step failed), not the job's.
absl::StatusOr<SupervisedOutcome> RunInSandbox(const SandboxRequest& request, int cancel_fd);

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_SANDBOX_H_
