// The process of a running job, as the supervisor sees it: something to
// watch, to kill and to reap. Two kinds exist: a child the worker spawned
// itself (OwnChild, below) and a job forked by a runtime's zygote (the
// zygote reaps it and reports how it ended; runtimes/python/zygote_client.h).
#ifndef FLOWGRID_WORKER_SANDBOX_JOB_PROCESS_H_
#define FLOWGRID_WORKER_SANDBOX_JOB_PROCESS_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/contain.h"

namespace flowgrid::sandbox {

// How the job's main process ended and what it used.
struct ProcessExit {
  int wait_status = 0;  // as from waitpid
  absl::Duration cpu;   // user + system
  int64_t peak_rss_bytes = 0;
};

class JobProcess {
 public:
  virtual ~JobProcess() = default;
  // In the worker's pid namespace.
  virtual pid_t pid() const = 0;
  // Becomes readable when the main process has exited.
  virtual int pidfd() const = 0;
  // Ends every process of the job. Never fails: a job already gone is fine.
  virtual void Kill() = 0;
  // Waits until the main process is reaped. Afterwards no process of the
  // job runs any more. Errors are the worker's own (a lost zygote).
  virtual absl::StatusOr<ProcessExit> Reap() = 0;
};

// A child spawned by SpawnContained. Kill() signals its process group;
// Reap() waits for it, then kills whatever escaped the group into the slot
// cgroup (`cgroup`, may be nullptr): setsid daemons, double forks.
class OwnChild final : public JobProcess {
 public:
  OwnChild(SpawnedChild child, SlotCgroup* cgroup)
      : child_(std::move(child)), cgroup_(cgroup) {}

  pid_t pid() const override { return child_.pid; }
  int pidfd() const override { return child_.pidfd.get(); }
  void Kill() override;
  absl::StatusOr<ProcessExit> Reap() override;

 private:
  SpawnedChild child_;
  SlotCgroup* cgroup_;
};

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_JOB_PROCESS_H_
