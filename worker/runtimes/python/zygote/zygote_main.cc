// flowgrid-python-zygote: a warm Python interpreter that forks one
// sandboxed child per job (README.md). Started by the worker, one per job
// slot, with the control socket on fd 3 and, when isolated, the worker's
// empty network namespace on fd 4 (protocol.h). It exits when the worker
// closes the socket, and dies with the worker (parent-death signal).
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "worker/runtimes/python/zygote/embedded_harness.h"
#include "worker/runtimes/python/zygote/zygote_server.h"

ABSL_FLAG(bool, isolated, false,
          "Apply the kernel sandbox to every job: join the network namespace on fd 4, new "
          "pid/mount/ipc/uts namespaces, the job's uid, the seccomp filter");
ABSL_FLAG(std::string, root, "", "The job root the zygote enters once (isolated; job_root.h)");
ABSL_FLAG(std::string, scratch_tmpfs_options, "",
          "tmpfs options of each job's /tmp and /dev/shm (isolated; mounts.h)");

namespace {

// Ends the zygote without exit-time handlers: nothing is buffered, and
// after the pivot into the job root they would find no /proc (a
// sanitizer's leak check reads it). The interpreter is never finalized:
// its heap dies with the process.
[[noreturn]] void Exit(const absl::Status& status) {
  if (!status.ok()) fprintf(stderr, "flowgrid-python-zygote: %s\n", status.ToString().c_str());
  ::_exit(status.ok() ? 0 : 1);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using flowgrid::runtimes::python::zygote::ZygoteServer;
  ZygoteServer::Options options;
  options.isolated = absl::GetFlag(FLAGS_isolated);
  options.root_dir = absl::GetFlag(FLAGS_root);
  options.scratch.tmpfs_data = absl::GetFlag(FLAGS_scratch_tmpfs_options);
  // The process-wide layers come first, before the interpreter opens a
  // single file: the network namespace and the job root, in a mount
  // namespace of our own that each job's copy starts from.
  absl::StatusOr<std::unique_ptr<ZygoteServer>> server = ZygoteServer::Create(options);
  if (!server.ok()) Exit(server.status());
  if (absl::Status status = flowgrid::runtimes::python::zygote::StartWarmHarness();
      !status.ok()) {
    Exit(status);
  }
  Exit((*server)->Serve());
}
