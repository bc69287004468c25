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
//   - Cgroup: the process is born in the cgroup its job will run in (v2:
//     clone3 CLONE_INTO_CGROUP; v1: the spawning thread enters it around
//     the clone, SpawnInCgroup), a cgroup of its own that no other process
//     shares, so the job needs no attach: on v1 a cgroup.procs write after
//     an idle period waits for an RCU grace period (≈ 8 ms measured here),
//     which is now paid at spawn, off the job's path. Whoever owns the
//     cgroup sets the job's limits before Run (runtimes/node/node_pool.h:
//     sandbox::ReadyForJob, with the start-up footprint, ≈ 40 MB for node,
//     as a resident charge: the memory limit bounds what the job adds, and
//     its peak_memory_bytes is that growth; node's V8 heap flag still
//     bounds the heap as for a fresh process). Its counters are reset then,
//     so the start-up's CPU and memory are not the job's.
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
  // input, limits and cgroup are the job's and are ignored here), born in
  // `cgroup` (nullptr: none), which must outlive the child and hold no
  // other process. Must be called after the kernel sandbox is enabled, like
  // RunInSandbox. The process's parent-death signal follows the calling
  // thread: the process is killed when that thread ends.
  static absl::StatusOr<std::unique_ptr<WarmChild>> Spawn(const SandboxRequest& recipe,
                                                          SlotCgroup* cgroup = nullptr);

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

  // Runs the job `request` (its input and limits; the program must be this
  // one's) on this process, as RunInSandbox would, in the cgroup the
  // process was born in (request.cgroup is ignored; its limits must be the
  // job's already), and spends the child: call it once. Unavailable when
  // the process was already dead or died before its input was written
  // (reaped, its cgroup emptied: run the job elsewhere). Other errors are
  // the worker's own.
  // With `finish_later`, a job that answers before its process exits is
  // returned at once and its process (and uid) handed there, as
  // RunContainedJob does.
  absl::StatusOr<SupervisedOutcome> Run(const SandboxRequest& request, int cancel_fd,
                                        const FinishLater* finish_later = nullptr);

 private:
  WarmChild(IdentityLease lease, SpawnedChild child, SlotCgroup* cgroup, ChildStreams streams,
            UniqueFd input, UniqueFd input_read_end, const SandboxRequest& recipe);

  // Whether input is left in the pipe (the process never read all of it).
  bool InputUnread() const;
  // Writes the whole input before `deadline`. Unavailable if the process
  // exits first; false if the deadline passed (the job then times out).
  absl::StatusOr<bool> WriteInput(const std::string& input, absl::Time deadline);
  // Kills the process and reaps it.
  void End();
  // Unavailable: the process is reaped and its cgroup emptied.
  absl::Status Discard(absl::string_view why);

  // Declared first, destroyed last: the uid is released after the reap.
  IdentityLease lease_;
  const pid_t pid_;
  // pid -1 once reaped.
  SpawnedChild child_;
  SlotCgroup* const cgroup_;  // where it was born; nullptr: none
  ChildStreams streams_;
  UniqueFd input_;  // the write end; closed (EOF) once the input is written
  // The worker's copy of the child's read end: after a death it tells
  // whether the input was read (and writes never raise SIGPIPE).
  UniqueFd input_read_end_;
  const SandboxRequest program_;
};

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_WARM_CHILD_H_
