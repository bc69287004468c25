// What the end-to-end test files share: where the binaries and data are,
// a scratch directory and the LocalCluster options for it.
#ifndef FLOWGRID_TESTS_E2E_E2E_SUPPORT_H_
#define FLOWGRID_TESTS_E2E_E2E_SUPPORT_H_

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <functional>
#include <string>

#include "absl/strings/str_split.h"
#include "client/sdk/client.h"
#include "deploy/local/local_cluster.h"
#include "gtest/gtest.h"

namespace flowgrid::e2e {

inline const std::string kSourceDir = FLOWGRID_SOURCE_DIR;
inline const std::string kExamples = kSourceDir + "/examples/workflows/";
inline const std::string kBadData = kSourceDir + "/tests/e2e/data/";

// A new directory under the system's temporary directory ("" on failure).
inline std::string MakeWorkDir(const std::string& prefix) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

// The real binaries, ports picked by the kernel, the store in
// <work_dir>/data and one log file per process in <work_dir>/logs.
inline LocalClusterOptions ClusterOptions(const std::string& work_dir, int workers,
                                          int slots_per_worker) {
  LocalClusterOptions options;
  options.scheduler_binary = FLOWGRID_SCHEDULER_BIN;
  options.worker_binary = FLOWGRID_WORKER_BIN;
  options.data_dir = work_dir + "/data";
  options.log_dir = work_dir + "/logs";
  options.workers = workers;
  options.slots_per_worker = slots_per_worker;
  options.ready_timeout = absl::Seconds(30);
  options.stop_grace = absl::Seconds(15);
  return options;
}

// Stops the cluster (a failed stop is a test failure), then removes the
// work directory, or keeps it and says where its logs are when `failed`.
inline void StopAndCleanUp(std::unique_ptr<LocalCluster>& cluster, const std::string& work_dir,
                           bool failed, const std::string& what) {
  if (cluster != nullptr) {
    absl::Status stopped = cluster->Stop();
    EXPECT_TRUE(stopped.ok()) << stopped;
  }
  if (!failed) {
    std::filesystem::remove_all(work_dir);
  } else {
    std::cerr << what << ": keeping process logs in " << work_dir << "/logs\n";
  }
}

// A test with a cluster of its own and a client connected to it. SetUp
// calls StartCluster (under ASSERT_NO_FATAL_FAILURE); TearDown stops the
// cluster and keeps its logs when the test failed.
class ClusterTest : public ::testing::Test {
 protected:
  // Starts ClusterOptions(<new work dir>, workers, slots_per_worker), first
  // adjusted by `adjust` when given, and connects client_ with
  // `watch_timeout`. `name` names the work dir and the kept logs.
  void StartCluster(const std::string& name, int workers, int slots_per_worker,
                    absl::Duration watch_timeout,
                    const std::function<void(LocalClusterOptions&)>& adjust = nullptr) {
    name_ = name;
    work_dir_ = MakeWorkDir(name);
    ASSERT_FALSE(work_dir_.empty());
    LocalClusterOptions options = ClusterOptions(work_dir_, workers, slots_per_worker);
    if (adjust) adjust(options);
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    ClientOptions client_options;
    client_options.watch_timeout = watch_timeout;
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(cluster_->client_address(), client_options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  void TearDown() override {
    client_.reset();
    StopAndCleanUp(cluster_, work_dir_, HasFailure(), name_);
  }

  std::string name_;
  std::string work_dir_;
  std::unique_ptr<LocalCluster> cluster_;
  std::unique_ptr<Client> client_;
};

// The pid of this process's child started with --worker_id=`worker_id`
// (LocalCluster names its workers worker-1, worker-2...); 0 if none.
inline pid_t WorkerPid(const std::string& worker_id) {
  const std::string wanted = "--worker_id=" + worker_id;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // "pid (comm) state ppid ...": comm may hold spaces, so parse after ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != ::getpid()) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    for (absl::string_view arg : absl::StrSplit(args, '\0')) {
      if (arg == wanted) return static_cast<pid_t>(std::stoi(name));
    }
  }
  return 0;
}

}  // namespace flowgrid::e2e

#endif  // FLOWGRID_TESTS_E2E_E2E_SUPPORT_H_
