// The system-call allow-list of a job's child process, per runtime.
//
// Compiled with libseccomp to classic BPF ONCE per worker (compiling per job
// costs ≈ 0.4 ms, ../shared/notes/sandbox-spike.md) and loaded by the child
// as its last step before execve, so it also covers the dynamic loader and
// the interpreter's start-up: no user code ever runs unfiltered.
//
// Policy (docs/SECURITY.md explains each entry):
//   - unlisted system calls fail with EPERM (a surprising libc call fails
//     cleanly instead of killing the job);
//   - clearly hostile ones kill the whole job (SIGSYS): ptrace,
//     process_vm_*, bpf, perf_event_open, userfaultfd, key management,
//     kexec, module loading, mount family, unshare/setns, execveat;
//   - io_uring_* fail with ENOSYS (libuv then falls back to its thread
//     pool, as on a kernel without io_uring);
//   - another architecture's ABI (i386 `int 0x80`, x32) kills the job;
//   - no sockets, no new processes; threads only for Node.js (V8 needs
//     them), clone3 fails with ENOSYS so glibc falls back to clone, whose
//     flags the filter can inspect;
//   - signals only to the job itself: it is pid 1 of its pid namespace.
#ifndef FLOWGRID_WORKER_SANDBOX_SECCOMP_POLICY_H_
#define FLOWGRID_WORKER_SANDBOX_SECCOMP_POLICY_H_

#include <linux/filter.h>

#include <vector>

#include "absl/status/statusor.h"

namespace flowgrid::sandbox {

enum class SyscallProfile {
  kPython,        // single-threaded CPython, exec'd after the filter is loaded
  kForkedPython,  // the same, forked from a warm zygote: no execve at all
  kNode,    // Node.js: V8 and libuv threads
};

// A compiled filter; `program()` points into `instructions`.
struct SeccompProgram {
  std::vector<sock_filter> instructions;
  sock_fprog program() const;
};

absl::StatusOr<SeccompProgram> CompileSeccompPolicy(SyscallProfile profile);

// Child side, async-signal-safe; needs no_new_privs (or CAP_SYS_ADMIN).
// Returns 0 or errno.
int LoadSeccompProgram(const sock_fprog& program) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_SECCOMP_POLICY_H_
