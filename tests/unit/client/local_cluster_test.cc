// LocalCluster against stand-in shell scripts (the real binaries are the
// e2e tests' business): readiness through the ready file, the worker
// command line, crash detection, and the SIGTERM-then-SIGKILL stop path.
#include "deploy/local/local_cluster.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/workflow_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid {
namespace {

using ::testing::HasSubstr;

// A scheduler stand-in: appends its arguments to scheduler-args next to
// itself, writes the ready file the way the real one does (temp file +
// rename) and exits 0 on SIGTERM.
constexpr char kGoodScheduler[] = R"(#!/bin/sh
echo "$@" >> "$(dirname "$0")/scheduler-args"
for arg in "$@"; do
  case "$arg" in --ready_file=*) ready="${arg#--ready_file=}";; esac
done
trap 'exit 0' TERM
printf '{"client_addr":"127.0.0.1:17070","worker_addr":"127.0.0.1:17071"}' > "$ready.tmp"
mv "$ready.tmp" "$ready"
while true; do sleep 0.05; done
)";

// A worker stand-in that records its arguments and exits 0 on SIGTERM.
constexpr char kGoodWorker[] = R"(#!/bin/sh
trap 'exit 0' TERM
echo "$@" > "$(dirname "$0")/args-$$"
while true; do sleep 0.05; done
)";

class LocalClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "lc-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Script(const std::string& name, const std::string& body) {
    std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << body;
    ::chmod(path.c_str(), 0755);
    return path;
  }

  LocalClusterOptions Options(const std::string& scheduler, const std::string& worker) {
    LocalClusterOptions options;
    options.scheduler_binary = scheduler;
    options.worker_binary = worker;
    options.data_dir = dir_ + "/data";
    options.log_dir = dir_ + "/logs";
    options.ready_timeout = absl::Seconds(10);
    options.stop_grace = absl::Seconds(2);
    return options;
  }

  std::string dir_;
};

TEST_F(LocalClusterTest, StartsReportsAddressesAndStopsCleanly) {
  LocalClusterOptions options =
      Options(Script("scheduler", kGoodScheduler), Script("worker", kGoodWorker));
  options.workers = 2;
  options.slots_per_worker = 3;
  options.extra_worker_args = {"--extra=1"};
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ((*cluster)->client_address(), "127.0.0.1:17070");
  EXPECT_EQ((*cluster)->worker_address(), "127.0.0.1:17071");
  EXPECT_EQ((*cluster)->PollExited(), std::nullopt);

  // Both workers got the reported worker address, their slots and id.
  std::vector<std::string> worker_args;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (worker_args.size() < 2 && absl::Now() < deadline) {
    worker_args.clear();
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      if (entry.path().filename().string().starts_with("args-")) {
        absl::StatusOr<std::string> text = ReadFile(entry.path().string());
        if (text.ok() && !text->empty()) worker_args.push_back(*text);
      }
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(worker_args.size(), 2u);
  std::sort(worker_args.begin(), worker_args.end());
  // Each worker gets a job uid range of its own.
  EXPECT_EQ(worker_args[0],
            "--scheduler=127.0.0.1:17071 --slots=3 --worker_id=worker-1 "
            "--sandbox_uid_base=60000 --extra=1\n");
  EXPECT_EQ(worker_args[1],
            "--scheduler=127.0.0.1:17071 --slots=3 --worker_id=worker-2 "
            "--sandbox_uid_base=61024 --extra=1\n");

  EXPECT_TRUE((*cluster)->Stop().ok());
  EXPECT_TRUE((*cluster)->Stop().ok()) << "Stop is idempotent";
}

TEST_F(LocalClusterTest, ReportsAWorkerThatDies) {
  std::string worker = Script("worker", "#!/bin/sh\nexit 3\n");
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster =
      LocalCluster::Start(Options(Script("scheduler", kGoodScheduler), worker));
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  std::optional<ChildExit> exited;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!exited.has_value() && absl::Now() < deadline) {
    exited = (*cluster)->PollExited();
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(exited->name, "worker-1");
  EXPECT_EQ(exited->description, "exited with status 3");
  EXPECT_FALSE(exited->clean);
  absl::Status stopped = (*cluster)->Stop();
  EXPECT_THAT(stopped.message(), HasSubstr("worker-1 exited with status 3"));
  EXPECT_THAT(stopped.message(), HasSubstr("worker-1.log"));
}

TEST_F(LocalClusterTest, SchedulerExitingBeforeReadyIsAnError) {
  std::string scheduler = Script("scheduler", "#!/bin/sh\necho 'port in use' >&2\nexit 1\n");
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster =
      LocalCluster::Start(Options(scheduler, Script("worker", kGoodWorker)));
  ASSERT_FALSE(cluster.ok());
  EXPECT_THAT(cluster.status().message(),
              HasSubstr("scheduler exited with status 1 before becoming ready"));
  EXPECT_THAT(cluster.status().message(), HasSubstr("scheduler.log"));
  absl::StatusOr<std::string> log = ReadFile(dir_ + "/logs/scheduler.log");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(*log, "port in use\n");
}

TEST_F(LocalClusterTest, ReadyTimeoutStopsTheScheduler) {
  std::string scheduler =
      Script("scheduler", "#!/bin/sh\ntrap 'exit 0' TERM\nwhile true; do sleep 0.05; done\n");
  LocalClusterOptions options = Options(scheduler, Script("worker", kGoodWorker));
  options.ready_timeout = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(cluster.status().message(), HasSubstr("did not write its ready file"));
}

TEST_F(LocalClusterTest, ChildIgnoringSigtermIsKilled) {
  std::string worker =
      Script("worker", "#!/bin/sh\ntrap '' TERM\nwhile true; do sleep 0.05; done\n");
  LocalClusterOptions options = Options(Script("scheduler", kGoodScheduler), worker);
  options.stop_grace = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  absl::SleepFor(absl::Milliseconds(200));  // let the worker install its trap
  const absl::Time before = absl::Now();
  absl::Status stopped = (*cluster)->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
  EXPECT_THAT(stopped.message(),
              HasSubstr("worker-1 did not stop within 300ms of SIGTERM and was killed"));
  EXPECT_THAT(stopped.message(), testing::Not(HasSubstr("scheduler")));
}

TEST_F(LocalClusterTest, RestartsTheSchedulerOnTheSameDataDirAndAddresses) {
  LocalClusterOptions options =
      Options(Script("scheduler", kGoodScheduler), Script("worker", kGoodWorker));
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  LocalCluster& lc = **cluster;

  EXPECT_EQ(lc.RestartScheduler().code(), absl::StatusCode::kFailedPrecondition)
      << "a running scheduler is not replaced";
  absl::StatusOr<ChildExit> terminated = lc.StopScheduler(LocalCluster::StopSignal::kTerminate);
  ASSERT_TRUE(terminated.ok()) << terminated.status();
  EXPECT_EQ(terminated->description, "exited with status 0");
  EXPECT_EQ(lc.StopScheduler(LocalCluster::StopSignal::kKill).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(lc.RestartScheduler().ok());

  absl::StatusOr<ChildExit> killed = lc.StopScheduler(LocalCluster::StopSignal::kKill);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->description, "killed by signal 9 (Killed)");
  EXPECT_FALSE(killed->clean);
  ASSERT_TRUE(lc.RestartScheduler("127.0.0.1:0").ok());

  // The first start used the options; each restart the addresses the
  // previous one reported (or the new client address), on the same data dir.
  const std::string data = "--data_dir=" + dir_ + "/data --ready_file=" + dir_ +
                           "/data/scheduler.ready.json\n";
  EXPECT_EQ(ReadFile(dir_ + "/scheduler-args").value_or(""),
            "--client_addr=127.0.0.1:0 --worker_addr=127.0.0.1:0 " + data +
                "--client_addr=127.0.0.1:17070 --worker_addr=127.0.0.1:17071 " + data +
                "--client_addr=127.0.0.1:0 --worker_addr=127.0.0.1:17071 " + data);
  std::vector<std::string> names;
  for (const auto& [name, log] : lc.LogFiles()) names.push_back(name);
  EXPECT_THAT(names, testing::ElementsAre("scheduler-restart-2", "worker-1"));
  EXPECT_EQ(lc.PollExited(), std::nullopt) << "the worker kept running";
  EXPECT_TRUE(lc.Stop().ok());
}

TEST_F(LocalClusterTest, MissingBinaryIsNamed) {
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster =
      LocalCluster::Start(Options(dir_ + "/no-such-scheduler", Script("worker", kGoodWorker)));
  ASSERT_FALSE(cluster.ok());
  EXPECT_THAT(cluster.status().message(),
              HasSubstr("scheduler binary " + dir_ + "/no-such-scheduler is not executable"));
}

}  // namespace
}  // namespace flowgrid
