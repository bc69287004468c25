// The worker refuses to start when its sandbox or its warm runtimes cannot
// be set up, saying which step failed, rather than running jobs unconfined
// or failing each job later.
#include <stdio.h>
#include <sys/wait.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace flowgrid {
namespace {

struct Exit {
  int status = -1;
  std::string output;
};

// Runs the worker with `flags` (it never gets as far as connecting: the
// scheduler address is a closed port) and returns its exit and its log.
Exit RunWorker(const std::string& flags) {
  const std::string command = absl::StrCat("timeout 60 ", FLOWGRID_WORKER_BIN,
                                           " --scheduler=127.0.0.1:1 --slots=1 ", flags, " 2>&1");
  Exit exit;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return exit;
  char chunk[4096];
  size_t n;
  while ((n = ::fread(chunk, 1, sizeof(chunk), pipe)) > 0) exit.output.append(chunk, n);
  const int status = ::pclose(pipe);
  exit.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return exit;
}

TEST(WorkerStartupTest, RefusesToStartWhenTheSandboxCannotBeSetUp) {
  Exit exit = RunWorker("--sandbox_root_parent=/flowgrid-no-such-directory");
  EXPECT_EQ(exit.status, 1) << exit.output;
  EXPECT_TRUE(absl::StrContains(exit.output, "refusing to start")) << exit.output;
  EXPECT_TRUE(absl::StrContains(exit.output, "/flowgrid-no-such-directory")) << exit.output;
}

TEST(WorkerStartupTest, RefusesToStartWhenThePythonZygoteCannotStart) {
  Exit exit = RunWorker("--python_zygote_binary=/flowgrid-no-such-zygote");
  EXPECT_EQ(exit.status, 1) << exit.output;
  EXPECT_TRUE(absl::StrContains(exit.output, "cannot start the Python zygotes")) << exit.output;
  EXPECT_TRUE(absl::StrContains(exit.output, "/flowgrid-no-such-zygote")) << exit.output;
}

}  // namespace
}  // namespace flowgrid
