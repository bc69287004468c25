// The job root: what the prepared tree holds and how it is mounted (seen
// from the host), what a process sees after entering it (a forked child
// that unshares its mount namespace, as a zygote does), and the removal of
// roots left by dead workers. Needs root, like the worker.
#include "worker/sandbox/job_root.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace flowgrid::sandbox {
namespace {

std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return {absl::StrCat("<cannot list ", dir, ": ", std::strerror(errno), ">")};
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

unsigned long MountFlags(const std::string& path) {
  struct statvfs st;
  EXPECT_EQ(::statvfs(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
  return st.f_flag;
}

std::string SymlinkTarget(const std::string& path) {
  char buffer[4096];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof(buffer));
  return n < 0 ? "<not a symlink>" : std::string(buffer, static_cast<size_t>(n));
}

class JobRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting the job root needs root";
    char pattern[] = "/tmp/flowgrid-job-root-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr) << std::strerror(errno);
    parent_ = pattern;
  }
  void TearDown() override {
    if (parent_.empty()) return;
    EXPECT_EQ(::rmdir(parent_.c_str()), 0) << "left behind in " << parent_ << ": "
                                           << std::strerror(errno);
  }

  std::unique_ptr<JobRoot> Prepare() {
    JobRootOptions options;
    options.parent_dir = parent_;
    absl::StatusOr<std::unique_ptr<JobRoot>> root = JobRoot::Prepare(options);
    EXPECT_TRUE(root.ok()) << root.status();
    return root.ok() ? *std::move(root) : nullptr;
  }

  std::string parent_;
};

TEST_F(JobRootTest, HoldsOnlyWhatTheRuntimesNeedReadOnly) {
  std::unique_ptr<JobRoot> root = Prepare();
  ASSERT_NE(root, nullptr);
  const std::string& r = root->path();
  EXPECT_EQ(r, absl::StrCat(parent_, "/flowgrid-root-", ::getpid(), "/root"));
  struct stat st;
  ASSERT_EQ(::stat((parent_ + "/flowgrid-root-" + std::to_string(::getpid())).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u) << "the root's directory must be private on the host";

  // Everything at the top is one of these; the usr-merged symlinks are the
  // host's own.
  for (const std::string& name : Listing(r)) {
    const std::vector<std::string> allowed = {"bin",  "dev",   "etc",    "lib",  "lib32", "lib64",
                                              "libx32", "proc", "sbin", "tmp",  "usr"};
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), name), allowed.end()) << name;
  }
  for (const char* link : {"/bin", "/lib", "/lib64", "/sbin"}) {
    if (SymlinkTarget(link) == "<not a symlink>") continue;
    EXPECT_EQ(SymlinkTarget(r + link), SymlinkTarget(link)) << link;
  }
  EXPECT_EQ(Listing(r + "/etc"), (std::vector<std::string>{"ld.so.cache", "localtime"}));
  EXPECT_EQ(Listing(r + "/dev"),
            (std::vector<std::string>{"null", "random", "shm", "urandom", "zero"}));
  EXPECT_TRUE(Listing(r + "/tmp").empty());
  EXPECT_TRUE(Listing(r + "/proc").empty());
  EXPECT_TRUE(Exists(r + "/usr/bin/python3"));

  const unsigned long top = MountFlags(r);
  EXPECT_TRUE(top & ST_RDONLY);
  EXPECT_TRUE(top & ST_NOSUID);
  EXPECT_TRUE(top & ST_NODEV);
  EXPECT_TRUE(top & ST_NOEXEC);
  const unsigned long usr = MountFlags(r + "/usr");
  EXPECT_TRUE(usr & ST_RDONLY);
  EXPECT_TRUE(usr & ST_NOSUID);
  EXPECT_TRUE(usr & ST_NODEV);
  EXPECT_FALSE(usr & ST_NOEXEC) << "the runtimes are executed from /usr";
  const unsigned long null_device = MountFlags(r + "/dev/null");
  EXPECT_TRUE(null_device & ST_RDONLY);
  EXPECT_TRUE(null_device & ST_NOSUID);
  EXPECT_FALSE(null_device & ST_NODEV) << "/dev/null must stay usable";
  ASSERT_EQ(::stat((r + "/dev/urandom").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));

  EXPECT_NE(::mkdir((r + "/home").c_str(), 0755), 0);
  EXPECT_EQ(errno, EROFS);

  ASSERT_TRUE(root->Remove().ok());
  EXPECT_FALSE(Exists(r));
  EXPECT_TRUE(Listing(parent_).empty());
  EXPECT_TRUE(root->Remove().ok()) << "a second removal does nothing";
}

// Runs `body` in a forked child with its own mount namespace that entered
// `root`; returns its exit code (0: every check held; 100 + errno: the
// entry failed).
int InEnteredRoot(const std::string& root, const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(99);
    if (int err = EnterJobRoot(root.c_str()); err != 0) ::_exit(100 + err);
    ::_exit(body());
  }
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  return WEXITSTATUS(status);
}

TEST_F(JobRootTest, AfterEnteringNothingOfTheHostIsLeft) {
  std::unique_ptr<JobRoot> root = Prepare();
  ASSERT_NE(root, nullptr);
  const int code = InEnteredRoot(root->path(), [] {
    int failed = 0;
    for (const char* hidden : {"/etc/shadow", "/etc/passwd", "/root", "/home", "/var", "/run",
                               "/srv", "/sys", "/work", "/opt", "/mnt"}) {
      ++failed;
      if (Exists(hidden)) return failed;
    }
    // The old root is gone: no mount's root lies outside the new tree, and
    // ".." of "/" is "/".
    struct stat slash, dotdot;
    if (::stat("/", &slash) != 0 || ::stat("/..", &dotdot) != 0) return 20;
    if (slash.st_ino != dotdot.st_ino) return 21;
    if (!Exists("/usr/bin/python3") || !Exists("/bin/sh")) return 22;
    const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "x", 1) != 1) return 23;
    ::close(fd);
    if (::open("/x", O_WRONLY | O_CREAT | O_CLOEXEC, 0644) >= 0 || errno != EROFS) return 24;
    return 0;
  });
  EXPECT_EQ(code, 0) << "failed check (see the body)";
  // Its own mount namespace: the host still has the root until removal.
  EXPECT_TRUE(Exists(root->path() + "/usr"));
}

TEST_F(JobRootTest, NoMountOfTheRootSharesPropagationWithTheHost) {
  // A systemd host's mounts are shared, and a bind of a shared mount joins
  // its peer group. Such a host is made in a child's own mount namespace.
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(99);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr) != 0) ::_exit(98);
    JobRootOptions options;
    options.parent_dir = parent_;
    absl::StatusOr<std::unique_ptr<JobRoot>> root = JobRoot::Prepare(options);
    if (!root.ok()) ::_exit(97);
    std::ifstream mountinfo("/proc/self/mountinfo");
    int mounts = 0;
    int shared = 0;
    for (std::string line; std::getline(mountinfo, line);) {
      if (line.find(" " + (*root)->path()) == std::string::npos) continue;
      ++mounts;
      if (line.find(" shared:") != std::string::npos) ++shared;
    }
    if (!(*root)->Remove().ok()) ::_exit(96);
    ::_exit(mounts < 6 ? 95 : shared);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "mounts of the root in a peer group (>= 95: a failed step)";
}

TEST_F(JobRootTest, RootsOfDeadWorkersAreRemovedLiveOnesKept) {
  // A dead worker: a reaped child's pid, with a mounted root as a SIGKILL
  // leaves it.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const std::string dead_dir = absl::StrCat(parent_, "/flowgrid-root-", dead);
  ASSERT_EQ(::mkdir(dead_dir.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((dead_dir + "/root").c_str(), 0755), 0);
  ASSERT_EQ(::mount("tmpfs", (dead_dir + "/root").c_str(), "tmpfs", 0, "size=1m"), 0);
  // A live one (this process's parent) and an unrelated directory.
  const std::string live_dir = absl::StrCat(parent_, "/flowgrid-root-", ::getppid());
  ASSERT_EQ(::mkdir(live_dir.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((parent_ + "/flowgrid-root-x").c_str(), 0700), 0);

  absl::StatusOr<int> removed = RemoveStaleJobRoots(parent_);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(Listing(parent_),
            (std::vector<std::string>{absl::StrCat("flowgrid-root-", ::getppid()),
                                      "flowgrid-root-x"}));
  ASSERT_EQ(::rmdir(live_dir.c_str()), 0);
  ASSERT_EQ(::rmdir((parent_ + "/flowgrid-root-x").c_str()), 0);
}

TEST_F(JobRootTest, EtcFilesOutsideEtcAreRefused) {
  JobRootOptions options;
  options.parent_dir = parent_;
  options.etc_files = {"/etc/../root/.bashrc"};
  absl::StatusOr<std::unique_ptr<JobRoot>> root = JobRoot::Prepare(options);
  ASSERT_FALSE(root.ok());
  EXPECT_NE(root.status().message().find("is not a file under /etc"), std::string::npos)
      << root.status();
  EXPECT_TRUE(Listing(parent_).empty()) << "a failed preparation leaves nothing";
}

}  // namespace
}  // namespace flowgrid::sandbox
