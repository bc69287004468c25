// The Node pool: pre-spawned, already sandboxed, single-use node processes
// (sandbox/warm_child.h) waiting for their JavaScript job. Node cannot
// fork a warm interpreter and costs ≈ 130 ms to start here, so the pool
// takes the start-up off the job's path: a job with a waiting process
// costs a cgroup attach, a prlimit and a pipe write. Throughput is still
// bounded by how fast node processes start (one per job, on the same CPUs).
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
// released, and replaced. Every waiting process holds a sandbox uid: the
// kernel sandbox's UidPool needs slots + size of them.
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
  // are ignored). `size` >= 1.
  NodePool(int size, sandbox::SandboxRequest recipe);
  ~NodePool();
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  // Runs `request` as RunInSandbox does (same contract and outcome), on a
  // waiting process of the same program when there is one; a process that
  // turns out dead is discarded and the next one tried. `finish_later`:
  // WarmChild::Run's (on a waiting process only; a fresh one is waited for).
  absl::StatusOr<sandbox::SupervisedOutcome> Run(const sandbox::SandboxRequest& request,
                                                 int cancel_fd,
                                                 const sandbox::FinishLater* finish_later = nullptr);

  struct Stats {
    int64_t hits = 0;       // jobs run on a waiting process
    int64_t misses = 0;     // jobs run as a fresh process
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
  // Removes (into `out`) the waiting processes that died or run another
  // program than the recipe.
  void TakeUnusable(std::vector<std::unique_ptr<sandbox::WarmChild>>& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Blocks until the wake eventfd is written or a waiting process exits.
  void Sleep(absl::Duration timeout);
  void Wake();
  bool AllReady() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const int size_;
  sandbox::UniqueFd wake_fd_;  // eventfd
  mutable absl::Mutex mu_;
  sandbox::SandboxRequest recipe_ ABSL_GUARDED_BY(mu_);
  // Oldest first: the likeliest to have finished starting up.
  std::deque<std::unique_ptr<sandbox::WarmChild>> waiting_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread refill_thread_;
};

}  // namespace flowgrid::runtimes::node

#endif  // FLOWGRID_WORKER_RUNTIMES_NODE_NODE_POOL_H_
