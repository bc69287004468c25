// The kernel layers (namespaces, mounts, credentials), each observed from
// inside a real child. The environment below enables them for this whole
// test binary, so every other worker test (Python and JavaScript jobs, the
// base pipeline) also runs under the sandbox a worker ships with.
#include "worker/sandbox/kernel_sandbox.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "worker/sandbox/credentials.h"
#include "worker/sandbox/sandbox.h"

namespace flowgrid::sandbox {
namespace {

class KernelSandboxEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const absl::Status status = EnableKernelSandbox(KernelSandboxOptions{});
    ASSERT_TRUE(status.ok()) << "the worker tests run as root, under the kernel sandbox: "
                             << status;
  }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new KernelSandboxEnvironment);

SupervisedOutcome RunProgram(const std::string& executable, std::vector<std::string> argv) {
  SandboxRequest request;
  request.executable = executable;
  request.argv = std::move(argv);
  request.env = {"PATH=/usr/bin:/bin"};
  request.limits.wall_timeout = absl::Seconds(5);
  absl::StatusOr<SupervisedOutcome> outcome = RunInSandbox(request, -1);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() ? *std::move(outcome) : SupervisedOutcome{};
}

SupervisedOutcome RunShell(const std::string& script) {
  return RunProgram("/bin/sh", {"sh", "-c", script});
}

TEST(KernelSandboxTest, JobIsPidOneAndSeesOnlyItsOwnProcesses) {
  SupervisedOutcome outcome =
      RunShell("echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.stderr_text;
  // sh itself, then at most the pipeline's own processes.
  std::vector<std::string> lines = absl::StrSplit(outcome.stdout_text, '\n');
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "1");
  for (absl::string_view pid : absl::StrSplit(lines[1], ' ', absl::SkipEmpty())) {
    int value = 0;
    ASSERT_TRUE(absl::SimpleAtoi(pid, &value));
    EXPECT_LT(value, 10) << outcome.stdout_text;
  }
}

// Whether any host process has `needle` in its command line.
bool HostProcessWithArgument(const std::string& needle) {
  DIR* dir = ::opendir("/proc");
  bool found = false;
  while (dirent* entry = ::readdir(dir)) {
    std::ifstream cmdline(absl::StrCat("/proc/", entry->d_name, "/cmdline"));
    std::stringstream content;
    content << cmdline.rdbuf();
    if (content.str().find(needle) != std::string::npos) found = true;
  }
  ::closedir(dir);
  return found;
}

TEST(KernelSandboxTest, DetachedDaemonDoesNotOutliveTheJob) {
  // setsid leaves the job's process group, so only the pid namespace's
  // teardown (its pid 1 exiting) can end the daemon.
  SupervisedOutcome outcome = RunShell("setsid sleep 987654 </dev/null >/dev/null 2>&1 & "
                                       "sleep 0.2; exit 0");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.stderr_text;
  EXPECT_FALSE(HostProcessWithArgument("987654"));
}

TEST(KernelSandboxTest, TmpIsFreshAndPrivateForEveryJob) {
  const std::string name = absl::StrCat("flowgrid-probe-", ::getpid());
  SupervisedOutcome first = RunShell(absl::StrCat("ls -A /tmp; echo x > /tmp/", name,
                                                  " && ls /tmp"));
  EXPECT_EQ(first.exit_code, 0) << first.stderr_text;
  EXPECT_EQ(first.stdout_text, name + "\n");
  EXPECT_NE(::access(("/tmp/" + name).c_str(), F_OK), 0) << "the job wrote to the host's /tmp";
  SupervisedOutcome second = RunShell("ls -A /tmp /dev/shm");
  EXPECT_EQ(second.stdout_text, "/dev/shm:\n\n/tmp:\n");
}

TEST(KernelSandboxTest, RootIsReadOnlyAndPrivateDirectoriesAreHidden) {
  SupervisedOutcome outcome = RunShell(
      "awk '$5 == \"/\" { print substr($6, 1, 2) }' /proc/self/mountinfo; ls -A /root");
  EXPECT_EQ(outcome.stdout_text, "ro\n");
}

TEST(KernelSandboxTest, JobRunsAsAnUnprivilegedUidWithoutGroups) {
  SupervisedOutcome outcome = RunShell("id -u; id -g; id -G; cat /etc/shadow");
  std::vector<std::string> lines = absl::StrSplit(outcome.stdout_text, '\n');
  ASSERT_EQ(lines.size(), 4u) << outcome.stdout_text;
  int uid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(lines[0], &uid));
  EXPECT_GE(uid, 60000);
  EXPECT_EQ(lines[1], lines[0]);
  EXPECT_EQ(lines[2], lines[0]) << "supplementary groups were kept";
  EXPECT_NE(outcome.exit_code, 0) << "/etc/shadow was readable";
  EXPECT_NE(outcome.stderr_text.find("Permission denied"), std::string::npos);
}

TEST(KernelSandboxTest, NetworkHasOnlyADownLoopback) {
  // A listener on the host's loopback that the job must not reach.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);

  SupervisedOutcome outcome = RunProgram(
      "/usr/bin/python3",
      {"python3", "-I", "-c",
       absl::StrCat("import socket\n"
                    "print([name for _, name in socket.if_nameindex()])\n"
                    "try:\n"
                    "    socket.create_connection(('127.0.0.1', ",
                    port,
                    "), 1)\n"
                    "    print('connected')\n"
                    "except OSError as e:\n"
                    "    print('refused', e.errno)\n")});
  ::close(listener);
  EXPECT_EQ(outcome.stdout_text, "['lo']\nrefused 101\n") << outcome.stderr_text;
}

TEST(UidPoolTest, LeasesDistinctUidsAndReusesReleasedOnes) {
  UidPool pool(1000, 2);
  absl::StatusOr<uid_t> a = pool.Acquire();
  absl::StatusOr<uid_t> b = pool.Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, 1000u);
  EXPECT_EQ(*b, 1001u);
  EXPECT_FALSE(pool.Acquire().ok());
  pool.Release(*a);
  EXPECT_EQ(*pool.Acquire(), 1000u);
}

}  // namespace
}  // namespace flowgrid::sandbox
