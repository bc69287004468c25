// The sandbox's entry point: run one job as a contained, supervised
// process. Wires the channels (stdout, stderr, job input, result), starts
// the process (a fresh spawn through SpawnContained, or a fork of a warm
// runtime: RunContainedJob's starter) and supervises it to the end.
//
// Channels seen by the child:
//   0  /dev/null
//   1  stdout pipe, 2 stderr pipe (captured, capped)
//   3  the job input (a sealed-size memfd, read to EOF)
//   4  the result channel (a pipe; written then closed). It is separate from
//      stdout so that nothing the job prints can be taken for its result.
#ifndef FLOWGRID_WORKER_SANDBOX_SANDBOX_H_
#define FLOWGRID_WORKER_SANDBOX_SANDBOX_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/fd_hygiene.h"
#include "worker/sandbox/job_process.h"
#include "worker/sandbox/kernel_sandbox.h"
#include "worker/sandbox/rlimits.h"
#include "worker/sandbox/supervisor.h"
#include "worker/sandbox/unique_fd.h"

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

// The identity a job's processes run under: with the kernel sandbox, a
// uid/gid leased from its pool for the job's duration.
struct JobIdentity {
  bool isolated = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Leases the job's identity from the active kernel sandbox (none without
// it) until destroyed, which must follow the end of every process of the
// job.
class IdentityLease {
 public:
  static absl::StatusOr<IdentityLease> Acquire();
  IdentityLease(IdentityLease&& other) noexcept;
  IdentityLease& operator=(IdentityLease&&) = delete;
  IdentityLease(const IdentityLease&) = delete;
  ~IdentityLease();
  const JobIdentity& identity() const { return identity_; }

 private:
  IdentityLease() = default;
  KernelSandbox* kernel_ = nullptr;
  JobIdentity identity_;
};

// The kernel layers of a child of `executable` under `identity`, for
// ChildSpec::isolation; none when the identity is not isolated.
std::optional<ChildIsolation> IsolationFor(const JobIdentity& identity,
                                           const std::string& executable);

// Both ends O_CLOEXEC: a child spawned concurrently for another job must
// not inherit them. (warm_child.cc makes its channels with it too.)
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
absl::StatusOr<Pipe> MakePipe();

// What a job writes: stdout, stderr and the result channel, as pipes. The
// child gets the write ends; the supervisor watches the read ends.
struct OutputChannels {
  UniqueFd stdout_write;
  UniqueFd stderr_write;
  UniqueFd result_write;
  ChildStreams read_ends;
  // After the child has its copies: EOF on a pipe means every writer is
  // gone, and the worker must not count as one.
  void CloseWriteEnds();
};
absl::StatusOr<OutputChannels> OpenOutputChannels();

// SpawnContained with the child born in `cgroup` (limits already set;
// nullptr: none), as SandboxRequest::cgroup describes. A child that could
// not be placed in every controller is killed and reaped: it never runs
// outside its limits.
absl::StatusOr<SpawnedChild> SpawnInCgroup(ChildSpec spec, SlotCgroup* cgroup);

// Starts the job's process with its channels at `fds`, under `identity` and
// `rlimits`; the process is then supervised by the caller.
using JobStarter = std::function<absl::StatusOr<std::unique_ptr<JobProcess>>(
    const ChildFds& fds, const JobIdentity& identity, const RlimitPlan& rlimits)>;

// Takes over a job whose outcome is out while its process still runs
// (SupervisedOutcome::answered_before_exit): `finish` kills and reaps it
// and then releases what the job held (its uid). The caller must run it
// before the job's slot serves another job.
using FinishLater = std::function<void(std::function<void()> finish)>;

// The frame of every job, whoever starts its process: opens the channels,
// leases the identity, starts the process through `start` and supervises
// it to the end under `request.limits` (request.executable, argv and env
// are the starter's business). With `finish_later`, a job that answers
// before its process exits is returned at once and finished there;
// without, it is finished before returning.
absl::StatusOr<SupervisedOutcome> RunContainedJob(const SandboxRequest& request, int cancel_fd,
                                                  const JobStarter& start,
                                                  const FinishLater* finish_later = nullptr);

// Runs the request to completion in a freshly spawned process. `cancel_fd` (eventfd, or -1) ends it
// early with outcome.cancelled. Errors are the worker's own failures
// (descriptors exhausted, setup step failed), not the job's.
absl::StatusOr<SupervisedOutcome> RunInSandbox(const SandboxRequest& request, int cancel_fd,
                                               const FinishLater* finish_later = nullptr);

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_SANDBOX_H_
