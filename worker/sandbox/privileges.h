// Privilege restrictions of a job's child process. Child side,
// async-signal-safe; returns 0 or errno. (Dropping to an unprivileged uid
// and the seccomp filter belong here too; they come with the full sandbox.)
#ifndef FLOWGRID_WORKER_SANDBOX_PRIVILEGES_H_
#define FLOWGRID_WORKER_SANDBOX_PRIVILEGES_H_

namespace flowgrid::sandbox {

// PR_SET_NO_NEW_PRIVS: exec can never grant privileges (setuid binaries,
// file capabilities). Also a precondition of an unprivileged seccomp filter.
int ForbidNewPrivileges() noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_PRIVILEGES_H_
