// The Node pool: pre-spawned, already sandboxed, single-use node processes
// (sandbox/warm_child.h) waiting for their JavaScript job. Node cannot
// fork a warm interpreter and costs ≈ 130 ms to start here, so the pool
// takes the start-up off the job's path: a job with a waiting process
// costs a few cgroup file writes (its limits), a prlimit and a pipe write.
// Throughput is still bounded by how fast node processes start (one per
// job, on the same CPUs).
//
// Cgroups: each process is born in a cgroup of its own, leased from the
// pool's set (`cgroups`, made like slot cgroups, with the slots' CPU
// weight), in which its job then runs: no attach on the job's path. While
// it waits, the cgroup has start-up limits (no user code runs); the job's
// limits are set before its input is written (sandbox::ReadyForJob, the
// start-up footprint counted as resident: what the job adds is bounded by
// its memory limit, and its usage is its own). The cgroup goes back to the
// set, emptied, once the job's process is reaped; a job answered before its
// exit hands that to `finish_later` (the worker's reaper). The next job
// runs on another waiting process in another cgroup under another uid, so
// it shares nothing with a predecessor still being killed. The set needs a
// cgroup per waiting process and per job running on, or being finished
// from, a pooled process: CgroupsNeeded(size, slots); with fewer, refills
// wait for one to come back.
//
// One program at a time: the pool makes processes of its current recipe
// (executable, argv, env — node's flags include the job's V8 heap limit,
// so two memory limits are two recipes; the scheduler gives every node the
// same default). A job whose program differs from the waiting ones runs as
// a fresh process (RunInSandbox: the baseline) and makes its program the
// recipe; waiting processes of the old recipe are then replaced. Workloads
// that alternate memory limits therefore get fresh processes.
//
// Refills happen on the pool's own thread, off the jobs' path: it spawns
// until `size` processes wait, and watches their pidfds so that a process
// that died while waiting (OOM kill, stray signal) is reaped, its uid
// released, and replaced. Every pooled process holds a sandbox uid until it
// is reaped: the kernel sandbox's UidPool needs slots + CgroupsNeeded of
// them.
//
// Thread-safe. Must be created after the kernel sandbox is enabled and
// destroyed after the last job it ran has finished: the waiting processes'
// parent-death signal follows the refill thread, which ends with the pool.
// The destructor kills and reaps every waiting process.
#ifndef FLOWGRID_WORKER_RUNTIMES_NODE_NODE_POOL_H_
#define FLOWGRID_WORKER_RUNTIMES_NODE_NODE_POOL_H_

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "worker/sandbox/sandbox.h"
#include "worker/sandbox/unique_fd.h"
#include "worker/sandbox/warm_child.h"

namespace flowgrid::runtimes::node {

class NodePool {
 public:
  // Starts refilling at once with `recipe` (its input, limits and cgroup
  // are ignored). `size` >= 1. `cgroups` (nullptr: none, jobs then run
  // without cgroup limits) must outlive the pool and serve nothing else.
  NodePool(int size, sandbox::SandboxRequest recipe, sandbox::SlotCgroups* cgroups = nullptr);
  ~NodePool();
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  // The cgroups a pool of `size` needs in a worker of `slots` slots.
  static int CgroupsNeeded(int size, int slots) { return size + 2 * slots; }
  // Whether its processes run in cgroups.
  bool confined() const { return cgroups_ != nullptr; }

  // Runs `request` as RunInSandbox does (same contract and outcome; its
  // cgroup is ignored), on a waiting process of the same program, in that
  // process's cgroup with `limits`; a process that turns out dead is
  // discarded and the next one tried. nullopt when no process of the
  // program waits: the caller runs the job elsewhere (a fresh process), and
  // the program becomes the pool's recipe. `finish_later`: as for
  // WarmChild::Run; the job's cgroup goes back to the pool after it.
  absl::StatusOr<std::optional<sandbox::SupervisedOutcome>> Run(
      const sandbox::SandboxRequest& request, const sandbox::CgroupLimits& limits, int cancel_fd,
      const sandbox::FinishLater* finish_later = nullptr);

  struct Stats {
    int64_t hits = 0;       // jobs run on a waiting process
    int64_t misses = 0;     // jobs that found no waiting process
    int64_t discarded = 0;  // processes found dead while waiting
  };
  Stats stats() const;
  // The pids of the processes waiting now (tests, diagnostics).
  std::vector<pid_t> WaitingPids() const;
  // Blocks until `size` processes of the current recipe wait, each done
  // starting up (WarmChild::Ready); false on timeout. For tests and
  // benchmarks: it polls.
  bool WaitUntilReady(absl::Duration timeout) const;

 private:
  // The refill thread: replaces dead and stale processes, spawns up to
  // `size_`, then sleeps until a job takes one, one dies, or stop.
  void RefillLoop();
  // A waiting process and the cgroup it was born in (leased from
  // `cgroups_`; none without them). The process goes first.
  struct Waiting {
    std::unique_ptr<sandbox::SlotCgroups::Lease> cgroup;
    std::unique_ptr<sandbox::WarmChild> child;
  };
  // Removes (into `out`) the waiting processes that died or run another
  // program than the recipe.
  void TakeUnusable(std::vector<Waiting>& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A free cgroup, emptied and with start-up limits, for the next process;
  // nullptr when none is free (or without cgroups).
  absl::StatusOr<std::unique_ptr<sandbox::SlotCgroups::Lease>> CgroupForNext();
  // Runs the job on `taken` (see Run).
  absl::StatusOr<sandbox::SupervisedOutcome> RunOn(Waiting taken,
                                                   const sandbox::SandboxRequest& request,
                                                   const sandbox::CgroupLimits& limits,
                                                   int cancel_fd,
                                                   const sandbox::FinishLater* finish_later);
  // Blocks until the wake eventfd is written or a waiting process exits.
  void Sleep(absl::Duration timeout);
  void Wake();
  bool AllReady() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const int size_;
  sandbox::SlotCgroups* const cgroups_;
  sandbox::UniqueFd wake_fd_;  // eventfd
  mutable absl::Mutex mu_;
  sandbox::SandboxRequest recipe_ ABSL_GUARDED_BY(mu_);
  // Oldest first: the likeliest to have finished starting up.
  std::deque<Waiting> waiting_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread refill_thread_;
};

}  // namespace flowgrid::runtimes::node

#endif  // FLOWGRID_WORKER_RUNTIMES_NODE_NODE_POOL_H_
