// The supervisor: the worker-side half of a job's containment. It never
// runs in the child. It enforces the wall deadline, watches for
// cancellation, captures stdout/stderr and the result channel under caps,
// kills every process of the job and reaps it, reporting how it ended and
// what it used.
#ifndef FLOWGRID_WORKER_SANDBOX_SUPERVISOR_H_
#define FLOWGRID_WORKER_SANDBOX_SUPERVISOR_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/job_process.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::sandbox {

struct SupervisionLimits {
  absl::Duration wall_timeout = absl::Seconds(10);
  // Per stream (stdout and stderr each).
  size_t max_output_bytes = 1 << 20;
  size_t max_result_bytes = 4 << 20;
  // After the child exits, how long to wait for its pipes to reach EOF.
  // Descendants that escaped the process group (setsid) could hold them
  // open forever; the full sandbox's PID namespace removes that case.
  absl::Duration drain_grace = absl::Milliseconds(200);
};

// The worker's read ends of the child's pipes.
struct ChildStreams {
  UniqueFd stdout_read;
  UniqueFd stderr_read;
  UniqueFd result_read;
};

struct SupervisedOutcome {
  // The job's main process, in the worker's pid namespace.
  pid_t pid = -1;
  // The job closed stdout, stderr and the result channel, with a reply,
  // before its process exited (see Supervise): the process is still to be
  // killed and reaped by the caller, and the exit fields below are unset.
  bool answered_before_exit = false;
  bool timed_out = false;
  bool cancelled = false;
  // From the child's wait status: exited with exit_code, or killed by
  // term_signal (the supervisor's own SIGKILL included).
  bool exited = false;
  int exit_code = 0;
  int term_signal = 0;
  std::string stdout_text;  // with a truncation marker when truncated
  bool stdout_truncated = false;
  std::string stderr_text;
  bool stderr_truncated = false;
  // The bytes written to the result channel (at most max_result_bytes).
  std::string result;
  bool result_too_large = false;
  absl::Duration wall;
  // When the job's process was handed its code (a MonotonicNow time), set
  // by whoever started it: a fresh process exec'd, a zygote's child
  // forked, a waiting process's input written. User code starts after the
  // runtime's own remaining start-up, which the worker does not see.
  absl::Time code_handed_over;
  absl::Duration cpu;  // user + system of the child
  int64_t peak_rss_bytes = 0;
  // From the slot cgroup when the job ran in one: the whole job's
  // processes, not only the child.
  bool cgroup_measured = false;
  CgroupUsage cgroup_usage;
};

// Supervises `process` until it exits, its deadline passes or `cancel_fd`
// (an eventfd, -1 for none) becomes readable. Ends with every process of
// the job killed and reaped: no zombie is left. `started` is the monotonic
// time the job began (for wall usage and the deadline). With a `cgroup`
// (the slot the job ran in) its usage is read after the reap.
//
// With `answer_before_exit`, a job that has closed all three channels with
// a reply has said all it will say: Supervise returns then, with
// answered_before_exit and the cgroup's usage so far, and leaves the kill
// and the reap (Finish) to the caller — a process's exit and namespace
// teardown cost about a quarter of a short job's latency.
// Errors are failures of the supervisor's own system calls.
absl::StatusOr<SupervisedOutcome> Supervise(JobProcess& process, ChildStreams streams,
                                            const SupervisionLimits& limits,
                                            int cancel_fd, absl::Time started,
                                            SlotCgroup* cgroup = nullptr,
                                            bool answer_before_exit = false);

// Kills and reaps a process Supervise left running (answered_before_exit).
// Errors are logged: the job's outcome is already out.
void FinishAnsweredJob(JobProcess& process);

// The monotonic clock used for `started` (absl::Now is wall-clock time,
// which can jump).
absl::Time MonotonicNow();

// A poll(2) timeout that ends at `deadline` (a MonotonicNow time): rounded
// up, 0 once it has passed.
int MillisecondsUntil(absl::Time deadline);

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_SUPERVISOR_H_
