// One child process of the chaos test (a scheduler or a worker), which the
// test kills and starts again at will.
//
// Nothing may outlive the test: each child gets PR_SET_PDEATHSIG(SIGKILL),
// so the kernel kills it when the thread that started it ends (start every
// child from the test's main thread), and the destructor SIGKILLs the
// child's process group and reaps it. Output is appended to a log file, so
// a restarted child's log continues its predecessor's.
//
// Not thread-safe: one owner thread.
#ifndef FLOWGRID_TESTS_CHAOS_CHILD_PROCESS_H_
#define FLOWGRID_TESTS_CHAOS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace flowgrid::chaos {

class ChildProcess {
 public:
  // Forks and execs `binary` with `args` in a process group of its own,
  // stdout and stderr appended to `log_path`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      std::string name, const std::string& binary, const std::vector<std::string>& args,
      const std::string& log_path);

  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // True until the child has exited (reaps it when it has).
  bool Running();

  // Sends `signal` to the child alone (not its group: what the child
  // started must die by its own means, as after a real crash) and waits up
  // to `grace` for it to exit; then SIGKILLs its whole group. Returns how it
  // ended ("exited with status 0", "killed by signal 9 (Killed)"); an error
  // when it was no longer running.
  absl::StatusOr<std::string> Stop(int signal, absl::Duration grace);

 private:
  ChildProcess(std::string name, pid_t pid, std::string log_path)
      : name_(std::move(name)), pid_(pid), log_path_(std::move(log_path)) {}

  std::string name_;
  pid_t pid_;
  std::string log_path_;
  bool running_ = true;
  int wait_status_ = 0;
};

}  // namespace flowgrid::chaos

#endif  // FLOWGRID_TESTS_CHAOS_CHILD_PROCESS_H_
