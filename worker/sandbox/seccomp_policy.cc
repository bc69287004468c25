#include "worker/sandbox/seccomp_policy.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::sandbox {
namespace {

// Observed under strace for python3 -I -S and node running the harnesses
// and representative jobs (memory growth, imports, printing, exceptions,
// timers), plus their close relatives (e.g. fstat next to newfstatat).
constexpr int kCommonSyscalls[] = {
    // Memory.
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
    SCMP_SYS(madvise), SCMP_SYS(membarrier),
    // Files and descriptors (the mount namespace decides what is reachable).
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
    SCMP_SYS(pwrite64), SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(close), SCMP_SYS(lseek),
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx),
    SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(getdents64),
    SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(getcwd), SCMP_SYS(chdir),
    SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(pipe2),
    SCMP_SYS(ftruncate), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(unlink),
    SCMP_SYS(unlinkat), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rename),
    SCMP_SYS(renameat), SCMP_SYS(umask),
    // Identity and limits (read-only or only lowering as non-root).
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
    SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getresuid), SCMP_SYS(getresgid),
    SCMP_SYS(getgroups), SCMP_SYS(getpgrp), SCMP_SYS(getpgid), SCMP_SYS(getsid),
    SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(prlimit64), SCMP_SYS(getrlimit),
    SCMP_SYS(getrusage), SCMP_SYS(times), SCMP_SYS(capget), SCMP_SYS(sched_getaffinity),
    SCMP_SYS(sched_yield), SCMP_SYS(getcpu),
    // Process start-up and exit (execve: see AddRules).
    SCMP_SYS(arch_prctl), SCMP_SYS(set_tid_address),
    SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list), SCMP_SYS(rseq), SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    // Signals and time.
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday),
    SCMP_SYS(getrandom), SCMP_SYS(futex),
    // Waiting (event loops).
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
    SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_pwait2), SCMP_SYS(eventfd2),
};

// Only for Node.js: V8's memory protection keys and its worker threads.
constexpr int kNodeSyscalls[] = {
    SCMP_SYS(pkey_alloc), SCMP_SYS(pkey_free), SCMP_SYS(pkey_mprotect),
    SCMP_SYS(sched_getparam), SCMP_SYS(sched_getscheduler), SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
};

// Hostile by nature: the whole job dies on the first attempt.
constexpr int kKillSyscalls[] = {
    SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
    SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd), SCMP_SYS(keyctl),
    SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load), SCMP_SYS(init_module), SCMP_SYS(finit_module),
    SCMP_SYS(delete_module), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
    SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(execveat), SCMP_SYS(open_by_handle_at),
    SCMP_SYS(fsopen), SCMP_SYS(fsmount), SCMP_SYS(move_mount), SCMP_SYS(open_tree),
    SCMP_SYS(mount_setattr), SCMP_SYS(process_madvise), SCMP_SYS(pidfd_getfd),
};

// The job's tgid in its own pid namespace.
constexpr scmp_datum_t kJobPid = 1;

struct ContextDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};

absl::Status Check(int rc, absl::string_view what) {
  if (rc == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("seccomp ", what, ": ", std::strerror(-rc)));
}

absl::Status AddRules(scmp_filter_ctx ctx, SyscallProfile profile) {
  for (int nr : kCommonSyscalls) {
    if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0), "allow");
        !s.ok()) {
      return s;
    }
  }
  for (int nr : kKillSyscalls) {
    if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0), "kill");
        !s.ok()) {
      return s;
    }
  }
  // Terminal queries only: TIOCSTI and friends could inject into a tty.
  for (scmp_datum_t request : {TCGETS, TIOCGWINSZ, FIONBIO, FIOCLEX, FIONCLEX, FIONREAD}) {
    if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                                SCMP_A1(SCMP_CMP_EQ, request)),
                               "ioctl");
        !s.ok()) {
      return s;
    }
  }
  // Signals to itself only (pid 0 is its own process group, which holds
  // nothing else: no process can be created).
  for (scmp_datum_t pid : {scmp_datum_t{0}, kJobPid}) {
    if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                                                SCMP_A0(SCMP_CMP_EQ, pid)),
                               "kill");
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                                              SCMP_A0(SCMP_CMP_EQ, kJobPid)),
                             "tgkill");
      !s.ok()) {
    return s;
  }
  // ENOSYS, not EPERM: glibc then falls back to clone (threads) and libuv
  // to its thread pool (io_uring), as on a kernel without them.
  for (int nr : {SCMP_SYS(clone3), SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
                 SCMP_SYS(io_uring_register)}) {
    if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0), "enosys");
        !s.ok()) {
      return s;
    }
  }
  // The filter is loaded before the runtime's execve, which it must allow;
  // a child forked from a warm zygote is already running its runtime, so
  // it never needs to exec anything (EPERM: os.execv fails cleanly).
  if (profile != SyscallProfile::kForkedPython) {
    if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0),
                               "allow");
        !s.ok()) {
      return s;
    }
  }
  if (profile == SyscallProfile::kNode) {
    for (int nr : kNodeSyscalls) {
      if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0), "allow");
          !s.ok()) {
        return s;
      }
    }
    // Threads, never processes.
    if (absl::Status s = Check(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                                                SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
                                                        CLONE_THREAD)),
                               "clone");
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

sock_fprog SeccompProgram::program() const {
  return sock_fprog{static_cast<unsigned short>(instructions.size()),
                    const_cast<sock_filter*>(instructions.data())};
}

absl::StatusOr<SeccompProgram> CompileSeccompPolicy(SyscallProfile profile) {
  std::unique_ptr<void, ContextDeleter> ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  if (absl::Status s = Check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH,
                                              SCMP_ACT_KILL_PROCESS),
                             "bad-arch action");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AddRules(ctx.get(), profile); !s.ok()) return s;

  // libseccomp 2.5 exports only to a descriptor.
  UniqueFd memfd(::memfd_create("flowgrid-seccomp", MFD_CLOEXEC));
  if (!memfd.valid()) return absl::InternalError("memfd_create for the seccomp filter");
  if (absl::Status s = Check(seccomp_export_bpf(ctx.get(), memfd.get()), "export"); !s.ok()) {
    return s;
  }
  const off_t size = ::lseek(memfd.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) {
    return absl::InternalError("seccomp export produced no whole program");
  }
  SeccompProgram compiled;
  compiled.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(memfd.get(), compiled.instructions.data(), static_cast<size_t>(size), 0) != size) {
    return absl::InternalError("reading back the seccomp filter");
  }
  return compiled;
}

int LoadSeccompProgram(const sock_fprog& program) noexcept {
  return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) == 0 ? 0 : errno;
}

}  // namespace flowgrid::sandbox
