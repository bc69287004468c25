// A pre-spawned ("warm") job process: started through the whole sandbox
// pipeline before its job exists, it waits for its input, and runs exactly
// one job. It hides a runtime's start-up (Node.js: ≈ 130 ms here, and Node
// cannot fork a warm interpreter). The pool that keeps them is
// runtimes/node/node_pool.h.
//
// What differs from RunInSandbox, and why it is as safe:
//   - Spawn: the same SpawnContained pipeline (namespaces, mounts, a leased
//     uid, rlimits, no_new_privs, seccomp), so the process is sandboxed
//     before it exists as a job's. fd 3 is the read end of a pipe instead of
//     a memfd; the harness reads it to EOF before it runs anything of the
//     job (harness.js: entry() starts with readFileSync(3)), so no code of a
//     job runs before its input is complete, and a process never runs two
//     jobs. The uid stays leased until the job ends.
//   - CPU limit: RLIMIT_CPU is the only rlimit that depends on the job (its
//     wall timeout). The process is spawned without one (RLIM_INFINITY:
//     it runs only its runtime's start-up and then blocks) and gets the
//     job's with prlimit(2) from the worker before the input is written:
//     the kernel counts CPU from the process start, so the seconds the
//     start-up used (rounded up) are added to the job's soft and hard limits.
//     Lowering a limit needs no privilege. `SupervisedOutcome.cpu` is the
//     job's own: the start-up CPU is subtracted.
//   - Cgroup: the process waits outside every slot cgroup (in the worker's
//     own cgroup: it runs no user code there), so the end-of-job kill of a
//     slot never reaches a waiting process, and is attached to the job's
//     slot cgroup (limits already set) before the input is written. Neither
//     cgroup version moves memory charges with a process (v1's
//     memory.move_charge_at_immigrate is rejected by kernels since 6.x,
//     this machine's included; v2 never had it): the start-up footprint
//     (≈ 40 MB for node) stays charged to the worker's cgroup, and the slot
//     counts what the job adds. So a pooled job's peak_memory_bytes is its
//     own growth, not the whole process, and its memory limit bounds that
//     growth (node's V8 heap flag still bounds the heap as for a fresh
//     process). The attach is a cgroup.procs write per controller; on v1 the
//     first write after an idle period waits for an RCU grace period
//     (≈ 8 ms measured here, 20 µs when writes are frequent) — the fresh
//     path's BeforeSpawn pays the same.
//   - Time: the wall time and the deadline start when the input starts to
//     be written, not at the spawn.
//   - Death: a process that died while waiting (OOM kill, a stray signal)
//     is never handed a job: Run checks its pidfd first, and a death
//     before it had read all of its input (seen on the pidfd while
//     writing, or afterwards from the bytes left in the pipe, whose read
//     end the worker keeps) is Unavailable: no code of the job can have
//     run, so the caller runs it elsewhere. A kill is asynchronous, so
//     the second check is what catches a process killed just before its
//     job came.
#ifndef FLOWGRID_WORKER_SANDBOX_WARM_CHILD_H_
#define FLOWGRID_WORKER_SANDBOX_WARM_CHILD_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/sandbox/sandbox.h"

namespace flowgrid::sandbox {

// A request's program: its executable, argv and env (no input, default
// limits, no cgroup).
SandboxRequest ProgramOf(const SandboxRequest& request);
// Whether `a` and `b` run the same program.
bool SameProgram(const SandboxRequest& a, const SandboxRequest& b);

class WarmChild {
 public:
  // Spawns the process of `recipe`: its executable, argv and env (its
  // input, limits and cgroup are the job's and are ignored here). Must be
  // called after the kernel sandbox is enabled, like RunInSandbox. The
  // process's parent-death signal follows the calling thread: the process
  // is killed when that thread ends.
  static absl::StatusOr<std::unique_ptr<WarmChild>> Spawn(const SandboxRequest& recipe);

  // A child that has not run kills its process and reaps it; the uid is
  // released in every case.
  ~WarmChild();
  WarmChild(const WarmChild&) = delete;
  WarmChild& operator=(const WarmChild&) = delete;

  // Whether `request` runs this process's program (SameProgram).
  bool Runs(const SandboxRequest& request) const { return SameProgram(request, program_); }
  pid_t pid() const { return pid_; }
  // Readable once the process has exited (for a poll of waiting children).
  int pidfd() const { return child_.pidfd.get(); }
  // False once the process has exited (checked without blocking).
  bool Alive() const;
  // Whether its start-up is over: it is blocked reading its input, as
  // /proc/<pid>/syscall shows (needs ptrace access: the worker's root, or
  // the same uid). A job can be handed a process before that; it then
  // waits for the rest of the start-up.
  bool Ready() const;

  // Runs the job `request` (its input, limits and cgroup; the program must
  // be this one's) on this process, as RunInSandbox would, and spends the
  // child: call it once. Unavailable when the process was already dead or
  // died before its input was written (reaped, the cgroup's counters
  // reset: run the job elsewhere). Other errors are the worker's own.
  // With `finish_later`, a job that answers before its process exits is
  // returned at once and its process (and uid) handed there, as
  // RunContainedJob does.
  absl::StatusOr<SupervisedOutcome> Run(const SandboxRequest& request, int cancel_fd,
                                        const FinishLater* finish_later = nullptr);

 private:
  WarmChild(IdentityLease lease, SpawnedChild child, ChildStreams streams, UniqueFd input,
            UniqueFd input_read_end, const SandboxRequest& recipe);

  // Whether input is left in the pipe (the process never read all of it).
  bool InputUnread() const;
  // Writes the whole input before `deadline`. Unavailable if the process
  // exits first; false if the deadline passed (the job then times out).
  absl::StatusOr<bool> WriteInput(const std::string& input, absl::Time deadline);
  // Kills the process and reaps it.
  void End();
  // Unavailable: the process is reaped and `cgroup` as the caller left it.
  absl::Status Discard(SlotCgroup* cgroup, absl::string_view why);

  // Declared first, destroyed last: the uid is released after the reap.
  IdentityLease lease_;
  const pid_t pid_;
  // pid -1 once reaped.
  SpawnedChild child_;
  ChildStreams streams_;
  UniqueFd input_;  // the write end; closed (EOF) once the input is written
  // The worker's copy of the child's read end: after a death it tells
  // whether the input was read (and writes never raise SIGPIPE).
  UniqueFd input_read_end_;
  const SandboxRequest program_;
};

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_WARM_CHILD_H_
