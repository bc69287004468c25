// The worker refuses to start when its sandbox or its warm runtimes cannot
// be set up, saying which step failed, rather than running jobs unconfined
// or failing each job later.
#include <stdio.h>
#include <sys/wait.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"

namespace flowgrid {
namespace {

struct Exit {
  int status = -1;
  std::string output;
};

// Runs a daemon that is expected to refuse to start and returns its exit
// and its log.
Exit RunRefusedDaemon(const std::string& command_line) {
  const std::string command = absl::StrCat("timeout 60 ", command_line, " 2>&1");
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

// Runs the worker with `flags` (it never gets as far as connecting: the
// scheduler address is a closed port).
Exit RunWorker(const std::string& flags) {
  return RunRefusedDaemon(
      absl::StrCat(FLOWGRID_WORKER_BIN, " --scheduler=127.0.0.1:1 --slots=1 ", flags));
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

// Two schedulers on one store would both write its runs' events; two on one
// port would share its connections (gRPC's default SO_REUSEPORT). The second
// one refuses to start instead.
class SchedulerStartupTest : public e2e::ClusterTest {};

TEST_F(SchedulerStartupTest, RefusesAStoreOrAPortAnotherSchedulerHolds) {
  ASSERT_NO_FATAL_FAILURE(StartCluster("flowgrid-startup", 1, 1, absl::Seconds(60)));

  Exit same_store = RunRefusedDaemon(absl::StrCat(
      FLOWGRID_SCHEDULER_BIN, " --client_addr=127.0.0.1:0 --worker_addr=127.0.0.1:0 --data_dir=",
      work_dir_, "/data"));
  EXPECT_EQ(same_store.status, 1) << same_store.output;
  EXPECT_TRUE(absl::StrContains(same_store.output, "in use by another scheduler"))
      << same_store.output;

  Exit same_port = RunRefusedDaemon(absl::StrCat(
      FLOWGRID_SCHEDULER_BIN, " --client_addr=", cluster_->client_address(),
      " --worker_addr=127.0.0.1:0 --data_dir=", work_dir_, "/other-data"));
  EXPECT_EQ(same_port.status, 1) << same_port.output;
  EXPECT_TRUE(absl::StrContains(same_port.output, "cannot listen on")) << same_port.output;
}

}  // namespace
}  // namespace flowgrid
