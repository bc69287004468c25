// The worker's side of a Python zygote (zygote/README.md): starts one,
// hands it jobs, and supervises the children it forks. One zygote serves
// one job slot, lives in that slot's cgroup (so its jobs are born there),
// and runs one job at a time.
#ifndef FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_CLIENT_H_
#define FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_CLIENT_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "worker/runtimes/python/zygote/protocol.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/fd_hygiene.h"
#include "worker/sandbox/job_process.h"
#include "worker/sandbox/rlimits.h"
#include "worker/sandbox/sandbox.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::runtimes::python {

struct ZygoteOptions {
  // The flowgrid-python-zygote binary, absolute.
  std::string binary;
  // Every job gets the kernel sandbox (ActiveKernelSandbox() must be set:
  // the zygote joins its network namespace, enters its job root and gives
  // its jobs the same scratch mounts).
  bool isolated = false;
  // A zygote is replaced after this many jobs: its hash seed (fixed when
  // the interpreter starts) is shared by all its jobs.
  int max_jobs = 10000;
};

// One running zygote. Not thread-safe: its owner (a slot) runs one job at
// a time.
class PythonZygote {
 public:
  // Starts the zygote (in `cgroup` when not null) and waits until it is
  // warm. The error carries the zygote's own account of what failed, which
  // it writes to the worker's stderr.
  static absl::StatusOr<std::unique_ptr<PythonZygote>> Start(const ZygoteOptions& options,
                                                             sandbox::SlotCgroup* cgroup);
  // Closes the socket (the zygote exits on its own) and reaps it, killing
  // it if it does not go at once.
  ~PythonZygote();

  // Forks the job's child with these channels. The returned process must
  // be supervised to its end (Reap) before the next StartJob. Unavailable:
  // the zygote had exited, no child exists. Any error but a failed fork
  // leaves the zygote unusable.
  absl::StatusOr<std::unique_ptr<sandbox::JobProcess>> StartJob(const sandbox::ChildFds& fds,
                                                                uid_t uid, gid_t gid,
                                                                const sandbox::RlimitPlan& rlimits);

  // False once the zygote exited or broke the protocol, or served max_jobs.
  bool usable() const;
  pid_t pid() const { return process_.pid; }

 private:
  class Job;
  PythonZygote(sandbox::SpawnedChild process, sandbox::UniqueFd socket, int max_jobs);
  // The next event, which must be about `job_number`.
  absl::StatusOr<zygote::ZygoteEvent> NextEvent(uint64_t job_number,
                                                   std::vector<sandbox::UniqueFd>* fds);

  sandbox::SpawnedChild process_;
  sandbox::UniqueFd socket_;
  const int max_jobs_;
  int jobs_started_ = 0;
  bool healthy_ = true;
};

// The zygotes of a worker: one per slot cgroup (or, without cgroups, one
// per concurrent job), started on first use and replaced when dead or
// recycled.
class PythonZygotes {
 public:
  explicit PythonZygotes(ZygoteOptions options) : options_(std::move(options)) {}

  class Lease {
   public:
    Lease(PythonZygotes* owner, sandbox::SlotCgroup* key, std::unique_ptr<PythonZygote> zygote)
        : owner_(owner), key_(key), zygote_(std::move(zygote)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { owner_->Release(key_, std::move(zygote_)); }
    PythonZygote* operator->() const { return zygote_.get(); }
    PythonZygote& operator*() const { return *zygote_; }
    // A fresh zygote in place of this one (which exited).
    absl::Status Replace();

   private:
    PythonZygotes* owner_;
    sandbox::SlotCgroup* key_;
    std::unique_ptr<PythonZygote> zygote_;
  };

  // A usable zygote for a job in `cgroup` (the caller holds that slot's
  // cgroup lease; nullptr without cgroups), started now if needed.
  absl::StatusOr<std::unique_ptr<Lease>> Acquire(sandbox::SlotCgroup* cgroup);

 private:
  void Release(sandbox::SlotCgroup* key, std::unique_ptr<PythonZygote> zygote);
  absl::StatusOr<std::unique_ptr<PythonZygote>> StartZygote(sandbox::SlotCgroup* cgroup);

  const ZygoteOptions options_;
  absl::Mutex mu_;
  // Idle zygotes by slot cgroup (the nullptr key holds several).
  absl::flat_hash_map<sandbox::SlotCgroup*, std::vector<std::unique_ptr<PythonZygote>>> idle_
      ABSL_GUARDED_BY(mu_);
};

// Runs `request` (its input, limits and cgroup; executable, argv and env
// are the zygote's own) as a child of the leased zygote, replacing it
// first if it is found dead before the job starts.
absl::StatusOr<sandbox::SupervisedOutcome> RunOnZygote(
    PythonZygotes::Lease& zygote, const sandbox::SandboxRequest& request, int cancel_fd,
    const sandbox::FinishLater* finish_later = nullptr);

}  // namespace flowgrid::runtimes::python

#endif  // FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_CLIENT_H_
