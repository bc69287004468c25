// The zygote's side of protocol.h: takes job requests from the worker,
// forks a child per job (job_child.h) into new pid, mount, ipc and uts
// namespaces, reaps it and reports how it ended. Single-threaded by design:
// a fork copies only the forking thread, so the zygote checks before every
// fork that it has no other.
#ifndef FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_ZYGOTE_SERVER_H_
#define FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_ZYGOTE_SERVER_H_

#include <linux/filter.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/runtimes/python/zygote/job_child.h"
#include "worker/runtimes/python/zygote/protocol.h"
#include "worker/sandbox/mounts.h"
#include "worker/sandbox/seccomp_policy.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::runtimes::python::zygote {

class ZygoteServer {
 public:
  struct Options {
    bool isolated = false;
    // The worker's job root (JobRoot::path) and its jobs' scratch mounts.
    std::string root_dir;
    sandbox::ScratchMounts scratch;
  };

  // The once-per-zygote layers (isolated): joins the network namespace on
  // kNetnsFd, enters the job root in a mount namespace of its own and
  // compiles the seccomp filter. Must run before the interpreter
  // starts. The error names the step.
  static absl::StatusOr<std::unique_ptr<ZygoteServer>> Create(const Options& options);
  ~ZygoteServer();

  // Announces kReady, then serves until the worker closes the socket (OK)
  // or a system call of the zygote's own fails.
  absl::Status Serve();

 private:
  explicit ZygoteServer(const Options& options);
  absl::Status StartJob(const JobRequest& request, std::vector<sandbox::UniqueFd> fds);
  absl::Status ReapChildren();

  const Options options_;
  std::optional<sandbox::SeccompProgram> seccomp_;
  sock_fprog seccomp_program_ = {};
  sandbox::UniqueFd sigchld_fd_;
  sandbox::UniqueFd stat_fd_;  // /proc/self/stat, for the thread count
  SetupReport* report_ = nullptr;  // MAP_SHARED with every child
  // The job in progress (one at a time).
  pid_t child_pid_ = -1;
  uint64_t child_job_number_ = 0;
};

}  // namespace flowgrid::runtimes::python::zygote

#endif  // FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_ZYGOTE_SERVER_H_
