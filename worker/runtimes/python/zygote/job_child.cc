#include "worker/runtimes/python/zygote/job_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "worker/runtimes/python/zygote/embedded_harness.h"
#include "worker/sandbox/credentials.h"
#include "worker/sandbox/privileges.h"
#include "worker/sandbox/process_lifetime.h"
#include "worker/sandbox/rlimits.h"
#include "worker/sandbox/seccomp_policy.h"

namespace flowgrid::runtimes::python::zygote {
namespace {

[[noreturn]] void Fail(const JobChildSpec& spec, JobStep step, int err) {
  spec.report->failed_step = step;
  spec.report->failed_errno = err;
  ::_exit(127);
}

// When the slot runs out of memory the OOM killer must pick the job, never
// the zygote that shares the slot's cgroup. Raising one's own score needs
// no privilege (lowering the zygote's would need CAP_SYS_RESOURCE, which
// containers often lack).
int BecomeFirstOomVictim() {
  const int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const bool written = ::write(fd, "1000", 4) == 4;
  const int err = errno;
  ::close(fd);
  return written ? 0 : err;
}

}  // namespace

void RunJobChild(const JobChildSpec& spec) {
  AfterForkInChild();
  // Every disposition is the default already (ZygoteServer::Serve resets
  // them once); the zygote blocks SIGCHLD for its signalfd, and the job
  // starts with nothing blocked.
  sigset_t empty;
  sigemptyset(&empty);
  if (::sigprocmask(SIG_SETMASK, &empty, nullptr) != 0) {
    Fail(spec, JobStep::kUnblockSignals, errno);
  }
  // Its own process group, so that outside a pid namespace one kill(-pid)
  // still reaches everything the job started.
  if (int err = sandbox::StartOwnSession(); err != 0) {
    Fail(spec, JobStep::kStartOwnSession, err);
  }
  if (spec.isolated) {
    if (int err = sandbox::MountJobScratch(*spec.scratch); err != 0) {
      Fail(spec, JobStep::kMountFilesystems, err);
    }
  }
  // Needs /proc, so after the job's own is mounted.
  if (int err = BecomeFirstOomVictim(); err != 0) Fail(spec, JobStep::kRaiseOomScore, err);
  if (int err = sandbox::ArrangeChildFds(spec.fds); err != 0) {
    Fail(spec, JobStep::kArrangeFds, err);
  }
  if (int err = sandbox::ApplyRlimits(spec.request->rlimits); err != 0) {
    Fail(spec, JobStep::kApplyRlimits, err);
  }
  // Before the parent-death signal: a change of credentials clears it.
  if (spec.isolated) {
    if (int err = sandbox::DropToUser(spec.request->uid, spec.request->gid); err != 0) {
      Fail(spec, JobStep::kDropCredentials, err);
    }
  }
  // Outside a pid namespace the zygote's pid can be checked; inside, the
  // parent is invisible (getppid() is 0).
  if (int err = sandbox::DieWithWorker(spec.isolated ? 0 : spec.zygote_pid); err != 0) {
    Fail(spec, JobStep::kDieWithZygote, err);
  }
  if (int err = sandbox::ForbidNewPrivileges(); err != 0) {
    Fail(spec, JobStep::kForbidNewPrivileges, err);
  }
  if (spec.seccomp != nullptr) {
    if (int err = sandbox::LoadSeccompProgram(*spec.seccomp); err != 0) {
      Fail(spec, JobStep::kLoadSeccomp, err);
    }
  }
  // From here on the job may be hostile: it loses the report page first.
  ::munmap(spec.report, sizeof(SetupReport));
  RunJob();
}

}  // namespace flowgrid::runtimes::python::zygote
