// Slot cgroups: detection from mountinfo text, the v1 path against this
// machine's real hierarchy, the v2 path against a real cgroup2 mount in a
// private mount namespace (where the kernel allows it) and its file
// protocol against a FAKE tree of v2 files (a hybrid host binds memory and
// pids to v1, so a real v2 mount here has no memory/pids files).
#include "worker/sandbox/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/job_testing.h"
#include "worker/sandbox/contain.h"
#include "worker/sandbox/sandbox.h"

namespace flowgrid::sandbox {
namespace {

using cgroup_internal::ReadFile;
using cgroup_internal::WriteFile;

std::string MakeTempDir() {
  char pattern[] = "/tmp/flowgrid-cgroup-test-XXXXXX";
  const char* dir = ::mkdtemp(pattern);
  EXPECT_NE(dir, nullptr) << std::strerror(errno);
  return dir == nullptr ? "" : dir;
}

void WriteFakeFile(const std::string& path, const std::string& text) {
  ASSERT_EQ(::close(::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644)), 0);
  ASSERT_TRUE(WriteFile(path, text).ok());
}

std::string Contents(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() ? *text : absl::StrCat("<", text.status().ToString(), ">");
}

// This machine kind's lines (abridged).
constexpr char kHybridMountinfo[] =
    "30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "33 30 0:29 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
    "34 30 0:30 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "35 30 0:31 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "36 30 0:32 / /nonexistent-unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr char kHybridProcCgroup[] =
    "8:pids:/\n6:freezer:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n0::/\n";

TEST(CgroupDetectTest, HybridHostUsesV1WithTheWorkersOwnCgroups) {
  absl::StatusOr<CgroupHierarchy> h =
      DetectCgroupHierarchyFromText(kHybridMountinfo, kHybridProcCgroup, "");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, CgroupVersion::kV1);
  EXPECT_EQ(h->memory_parent, "/sys/fs/cgroup/memory/process_api/abc");
  EXPECT_EQ(h->pids_parent, "/sys/fs/cgroup/pids");
  EXPECT_EQ(h->cpuacct_parent, "/sys/fs/cgroup/cpuacct");
  EXPECT_EQ(h->cpu_parent, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(h->freezer_parent, "/sys/fs/cgroup/freezer");
}

TEST(CgroupDetectTest, ConfiguredParentAndSubtreeMounts) {
  const std::string mountinfo =
      "33 30 0:29 /process_api /mnt/memory rw - cgroup cgroup rw,memory\n"
      "35 30 0:31 / /mnt/pids rw - cgroup cgroup rw,pids\n"
      "32 30 0:28 / /mnt/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
  absl::StatusOr<CgroupHierarchy> h =
      DetectCgroupHierarchyFromText(mountinfo, "4:memory:/process_api/abc\n3:pids:/x\n2:cpu,cpuacct:/\n", "");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->memory_parent, "/mnt/memory/abc");
  EXPECT_EQ(h->pids_parent, "/mnt/pids/x");
  EXPECT_EQ(h->cpuacct_parent, "/mnt/cpu,cpuacct");
  EXPECT_EQ(h->cpu_parent, "/mnt/cpu,cpuacct");  // co-mounted: the same directory
  EXPECT_EQ(h->freezer_parent, "");  // optional

  h = DetectCgroupHierarchyFromText(mountinfo, "", "/flowgrid");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->pids_parent, "/mnt/pids/flowgrid");
}

TEST(CgroupDetectTest, MissingControllerIsNamed) {
  absl::StatusOr<CgroupHierarchy> h = DetectCgroupHierarchyFromText(
      "35 30 0:31 / /mnt/pids rw - cgroup cgroup rw,pids\n", "3:pids:/\n", "");
  ASSERT_FALSE(h.ok());
  EXPECT_TRUE(absl::StrContains(h.status().message(), "\"memory\"")) << h.status();
}

TEST(CgroupDetectTest, UnifiedHierarchyWithMemoryAndPidsIsV2) {
  // FAKE v2 mount: a directory with the files detection reads.
  const std::string root = MakeTempDir();
  ASSERT_EQ(::mkdir((root + "/kubepods").c_str(), 0755), 0);
  WriteFakeFile(root + "/kubepods/cgroup.controllers", "cpuset cpu io memory pids\n");
  const std::string mountinfo = absl::StrCat("40 30 0:40 / ", root, " rw - cgroup2 cgroup2 rw\n",
                                             kHybridMountinfo);
  absl::StatusOr<CgroupHierarchy> h =
      DetectCgroupHierarchyFromText(mountinfo, "0::/kubepods\n", "");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, CgroupVersion::kV2);
  EXPECT_EQ(h->v2_parent, root + "/kubepods");
  EXPECT_TRUE(h->v2_cpu);

  WriteFakeFile(root + "/kubepods/cgroup.controllers", "cpuset io memory pids\n");
  h = DetectCgroupHierarchyFromText(mountinfo, "0::/kubepods\n", "");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->v2_cpu) << "cpuset is not cpu";

  // Without memory offered there (a hybrid host), v1 is used.
  WriteFakeFile(root + "/kubepods/cgroup.controllers", "hugetlb\n");
  h = DetectCgroupHierarchyFromText(mountinfo, absl::StrCat(kHybridProcCgroup, "0::/kubepods\n"),
                                    "");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, CgroupVersion::kV1);
  ASSERT_EQ(::system(absl::StrCat("rm -rf ", root).c_str()), 0);
}

TEST(SlotCpuTest, QuotaNeedsTheCpuControllerAndASaneValue) {
  CgroupHierarchy v1;
  v1.cpu_parent = "/sys/fs/cgroup/cpu";
  CgroupHierarchy v1_without_cpu;
  CgroupHierarchy v2;
  v2.version = CgroupVersion::kV2;
  v2.v2_parent = "/sys/fs/cgroup/kubepods";
  v2.v2_cpu = true;
  CgroupHierarchy v2_without_cpu = v2;
  v2_without_cpu.v2_cpu = false;

  for (const CgroupHierarchy* h : {&v1, &v1_without_cpu, &v2, &v2_without_cpu}) {
    EXPECT_TRUE(CheckSlotCpu(*h, SlotCpu{0}).ok()) << "no quota needs nothing";
  }
  EXPECT_TRUE(CheckSlotCpu(v1, SlotCpu{1.5}).ok());
  EXPECT_TRUE(CheckSlotCpu(v2, SlotCpu{0.25}).ok());
  absl::Status status = CheckSlotCpu(v1_without_cpu, SlotCpu{1});
  EXPECT_TRUE(absl::StrContains(status.message(), "no cgroup v1 \"cpu\" mount")) << status;
  status = CheckSlotCpu(v2_without_cpu, SlotCpu{1});
  EXPECT_TRUE(absl::StrContains(status.message(), "/sys/fs/cgroup/kubepods/cgroup.controllers"))
      << status;
  for (double bad : {-1.0, 0.001, 1e9}) {
    EXPECT_EQ(CheckSlotCpu(v1, SlotCpu{bad}).code(), absl::StatusCode::kInvalidArgument) << bad;
  }

  EXPECT_EQ(DescribeSlotCpu(v1, SlotCpu{0}), "cpu: equal weight per slot (cpu.shares), no quota");
  EXPECT_EQ(DescribeSlotCpu(v2, SlotCpu{1.5}),
            "cpu: equal weight per slot (cpu.weight), quota 1.5 CPU per slot (cpu.max)");
  EXPECT_TRUE(absl::StartsWith(DescribeSlotCpu(v2_without_cpu, SlotCpu{0}),
                               "cpu: NOT controlled"));
}

TEST(FakeV1TreeTest, CpuWeightAndQuotaFiles) {
  // FAKE v1 directories (not kernel cgroups), one per controller.
  const std::string root = MakeTempDir();
  for (const char* dir : {"memory", "pids", "cpuacct", "cpu"}) {
    ASSERT_EQ(::mkdir((root + "/" + dir).c_str(), 0755), 0);
  }
  // A fake file is not truncated by a write (a cgroup file takes one value
  // per write): emptied before each SetCpu.
  auto empty_files = [&] {
    for (const char* name : {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us"}) {
      WriteFakeFile(root + "/cpu/" + name, "");
    }
  };
  empty_files();
  std::unique_ptr<SlotCgroup> cgroup = cgroup_internal::NewV1(
      root + "/memory", root + "/pids", root + "/cpuacct", root + "/cpu", "");
  ASSERT_TRUE(cgroup->SetCpu(SlotCpu{0.5}).ok());
  EXPECT_EQ(Contents(root + "/cpu/cpu.shares"), "1024");
  EXPECT_EQ(Contents(root + "/cpu/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Contents(root + "/cpu/cpu.cfs_quota_us"), "50000");
  empty_files();
  ASSERT_TRUE(cgroup->SetCpu(SlotCpu{0}).ok());
  EXPECT_EQ(Contents(root + "/cpu/cpu.cfs_quota_us"), "-1");

  // Without a cpu hierarchy: weights are skipped, a quota is refused.
  std::unique_ptr<SlotCgroup> without_cpu = cgroup_internal::NewV1(
      root + "/memory", root + "/pids", root + "/cpuacct", "", "");
  EXPECT_TRUE(without_cpu->SetCpu(SlotCpu{0}).ok());
  EXPECT_FALSE(without_cpu->SetCpu(SlotCpu{1}).ok());
  ASSERT_EQ(::system(absl::StrCat("rm -rf ", root).c_str()), 0);
}

// A pid that was just in use and is now free (a reaped child).
pid_t DeadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  EXPECT_EQ(::waitpid(pid, nullptr, 0), pid);
  return pid;
}

TEST(StaleSlotCgroupsTest, OnlyEmptySlotsOfDeadWorkersAreStale) {
  // FAKE v2 parent directory (not a kernel cgroup).
  const std::string root = MakeTempDir();
  const pid_t dead = DeadPid();
  auto slot = [&](const std::string& name, const std::string& procs) {
    ASSERT_EQ(::mkdir((root + "/" + name).c_str(), 0755), 0);
    WriteFakeFile(root + "/" + name + "/cgroup.procs", procs);
  };
  slot(absl::StrCat("flowgrid-host-1-", dead, "-slot0"), "");      // stale
  slot(absl::StrCat("flowgrid-host-1-", dead, "-slot1"), "4242\n");  // still holds a process
  slot(absl::StrCat("flowgrid-host-1-", ::getpid(), "-slot0"), "");  // a live worker's
  slot("flowgrid-worker", "");                                       // the worker's leaf
  slot(absl::StrCat("flowgrid-", dead, "-slotx"), "");                // not the pattern
  slot(absl::StrCat("other-", dead, "-slot0"), "");
  CgroupHierarchy h;
  h.version = CgroupVersion::kV2;
  h.v2_parent = root;
  absl::StatusOr<std::vector<std::string>> stale = FindStaleSlotCgroups(h);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(*stale,
            std::vector<std::string>{absl::StrCat(root, "/flowgrid-host-1-", dead, "-slot0")});
  ASSERT_EQ(::system(absl::StrCat("rm -rf ", root).c_str()), 0);
}

// --- v2 file protocol on a FAKE tree (not a kernel cgroup) ----------------

class FakeV2TreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/slot0";
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
    for (const char* name : {"memory.max", "memory.swap.max", "pids.max", "cgroup.kill",
                             "cgroup.procs"}) {
      WriteFakeFile(dir_ + "/" + name, "");
    }
    SetCounters(1, 4, 1000);
  }
  void TearDown() override { ASSERT_EQ(::system(absl::StrCat("rm -rf ", root_).c_str()), 0); }

  void SetCounters(int oom_kill, int pids_max, int usage_usec) {
    WriteFakeFile(dir_ + "/memory.current", absl::StrCat(usage_usec * 4096, "\n"));
    WriteFakeFile(dir_ + "/memory.events",
                  absl::StrCat("low 0\nhigh 0\nmax 7\noom 2\noom_kill ", oom_kill, "\n"));
    WriteFakeFile(dir_ + "/pids.events", absl::StrCat("max ", pids_max, "\n"));
    WriteFakeFile(dir_ + "/cpu.stat", absl::StrCat("usage_usec ", usage_usec,
                                                   "\nuser_usec 1\nsystem_usec 2\n"));
  }

  std::string root_;
  std::string dir_;
};

TEST_F(FakeV2TreeTest, LimitsCountersAndKill) {
  absl::StatusOr<std::unique_ptr<SlotCgroup>> made = cgroup_internal::NewV2(dir_);
  ASSERT_TRUE(made.ok()) << made.status();
  std::unique_ptr<SlotCgroup>& cgroup = *made;
  EXPECT_GE(cgroup->SpawnFd(), 0) << "the directory, for CLONE_INTO_CGROUP";
  ASSERT_TRUE(cgroup->Reset().ok());
  ASSERT_TRUE(cgroup->SetLimits({64 << 20, 8}).ok());
  EXPECT_EQ(Contents(dir_ + "/memory.max"), absl::StrCat(64 << 20));
  EXPECT_EQ(Contents(dir_ + "/memory.swap.max"), "0");
  EXPECT_EQ(Contents(dir_ + "/pids.max"), "8");

  SetCounters(3, 9, 1500);  // what a job did
  absl::StatusOr<CgroupUsage> usage = cgroup->ReadUsage();
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->oom_kills, 2);
  EXPECT_EQ(usage->pids_limit_hits, 5);
  EXPECT_EQ(usage->cpu_usage_us, 500);
  EXPECT_EQ(usage->memory_bytes, 1500 * 4096);  // as it is now, not a difference
  // No memory.peak (a kernel before 6.12 has it read-only): not reported.
  EXPECT_EQ(usage->peak_memory_bytes, -1);

  ASSERT_TRUE(cgroup->Reset().ok());
  usage = cgroup->ReadUsage();
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->oom_kills, 0);

  // Without +cpu at the parent (no cpu.weight): no weight, and no quota.
  EXPECT_TRUE(cgroup->SetCpu(SlotCpu{0}).ok());
  EXPECT_FALSE(cgroup->SetCpu(SlotCpu{2}).ok());
  WriteFakeFile(dir_ + "/cpu.weight", "");
  WriteFakeFile(dir_ + "/cpu.max", "");
  ASSERT_TRUE(cgroup->SetCpu(SlotCpu{2}).ok());
  EXPECT_EQ(Contents(dir_ + "/cpu.weight"), "100");
  EXPECT_EQ(Contents(dir_ + "/cpu.max"), "200000 100000");
  WriteFakeFile(dir_ + "/cpu.max", "");  // not truncated by a write
  ASSERT_TRUE(cgroup->SetCpu(SlotCpu{0}).ok());
  EXPECT_EQ(Contents(dir_ + "/cpu.max"), "max 100000");

  // Empty (cgroup.procs lists nothing): no kill needed, none written. The
  // kill of a live process is tested on the real cgroup2 mount below.
  ASSERT_TRUE(cgroup->KillAll().ok());
  EXPECT_EQ(Contents(dir_ + "/cgroup.kill"), "");
}

TEST_F(FakeV2TreeTest, ReadyForJobCountsAResidentsChargeOutsideTheJobsLimit) {
  absl::StatusOr<std::unique_ptr<SlotCgroup>> made = cgroup_internal::NewV2(dir_);
  ASSERT_TRUE(made.ok()) << made.status();
  SlotCgroup& cgroup = **made;
  SetCounters(1, 4, 1000);  // memory.current: 1000 pages
  absl::StatusOr<int64_t> resident = ReadyForJob(cgroup, {64 << 20, 8}, false);
  ASSERT_TRUE(resident.ok()) << resident.status();
  EXPECT_EQ(*resident, 0);
  EXPECT_EQ(Contents(dir_ + "/memory.max"), absl::StrCat(64 << 20));
  EXPECT_EQ(Contents(dir_ + "/pids.max"), "8");

  // A process living there before the job (a zygote, a waiting node).
  resident = ReadyForJob(cgroup, {64 << 20, 8}, true);
  ASSERT_TRUE(resident.ok()) << resident.status();
  EXPECT_EQ(*resident, 1000 * 4096);
  EXPECT_EQ(Contents(dir_ + "/memory.max"), absl::StrCat((64 << 20) + 1000 * 4096));
  EXPECT_EQ(Contents(dir_ + "/pids.max"), "8");
  // And the counters start from the job.
  SetCounters(3, 6, 1500);
  absl::StatusOr<CgroupUsage> usage = cgroup.ReadUsage();
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->oom_kills, 2);
  EXPECT_EQ(usage->pids_limit_hits, 2);
  EXPECT_EQ(usage->cpu_usage_us, 500);
}

TEST_F(FakeV2TreeTest, MissingCounterFileIsNamed) {
  ASSERT_EQ(::unlink((dir_ + "/pids.events").c_str()), 0);
  absl::Status status = (*cgroup_internal::NewV2(dir_))->Reset();
  EXPECT_TRUE(absl::StrContains(status.message(), dir_ + "/pids.events")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "No such file")) << status;
}

TEST_F(FakeV2TreeTest, CreateEnablesControllersOrNamesTheMissingOne) {
  WriteFakeFile(root_ + "/cgroup.controllers", "cpu io memory pids\n");
  WriteFakeFile(root_ + "/cgroup.subtree_control", "");
  absl::StatusOr<std::unique_ptr<SlotCgroup>> made = cgroup_internal::CreateV2(root_, "slot1");
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(Contents(root_ + "/cgroup.subtree_control"), "+memory +pids +cpu");
  struct stat st;
  EXPECT_EQ(::stat((root_ + "/slot1").c_str(), &st), 0);

  WriteFakeFile(root_ + "/cgroup.controllers", "cpu memory\n");
  made = cgroup_internal::CreateV2(root_, "slot2");
  ASSERT_FALSE(made.ok());
  EXPECT_TRUE(absl::StrContains(made.status().message(), "\"pids\" is not offered"))
      << made.status();
}

// --- real hierarchies -----------------------------------------------------

// A child that waits for a byte on a pipe, then runs `body` and exits 0.
struct WaitingChild {
  pid_t pid = -1;
  int go_fd = -1;
  void Go() {
    ASSERT_EQ(::write(go_fd, "g", 1), 1);
    ::close(go_fd);
  }
  int Wait() {
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    return status;
  }
};

WaitingChild SpawnWaiting(const std::function<void()>& body) {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    char byte;
    if (::read(fds[0], &byte, 1) != 1) ::_exit(3);
    body();
    ::_exit(0);
  }
  ::close(fds[0]);
  return WaitingChild{pid, fds[1]};
}

// A contained `sleep 30` born in `cgroup` (nullptr: none).
absl::StatusOr<SpawnedChild> SpawnSleeper(SlotCgroup* cgroup) {
  ChildSpec spec;
  spec.executable = "/bin/sleep";
  spec.argv = {"sleep", "30"};
  const int dev_null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  spec.fds = ChildFds{dev_null, dev_null, dev_null, dev_null};
  spec.rlimits = RlimitsForJob(absl::Seconds(30));
  absl::StatusOr<SpawnedChild> child = SpawnInCgroup(spec, cgroup);
  ::close(dev_null);
  return child;
}

class RealV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "creating cgroups needs root";
    absl::StatusOr<CgroupHierarchy> h = DetectCgroupHierarchy("");
    ASSERT_TRUE(h.ok()) << h.status();
    if (h->version != CgroupVersion::kV1) GTEST_SKIP() << "this host's hierarchy is v2";
    hierarchy_ = *h;
    absl::StatusOr<std::unique_ptr<SlotCgroup>> made =
        CreateSlotCgroup(hierarchy_, absl::StrCat("flowgrid-test-", ::getpid()));
    ASSERT_TRUE(made.ok()) << made.status();
    cgroup_ = *std::move(made);
    ASSERT_TRUE(cgroup_->Reset().ok());
  }
  void TearDown() override {
    if (cgroup_ == nullptr) return;
    EXPECT_TRUE(cgroup_->Remove().ok());
    struct stat st;
    EXPECT_NE(::stat((hierarchy_.memory_parent + "/flowgrid-test-" + std::to_string(::getpid()))
                         .c_str(), &st), 0);
  }

  CgroupHierarchy hierarchy_;
  std::unique_ptr<SlotCgroup> cgroup_;
};

TEST_F(RealV1Test, SlotGetsEqualSharesAndTheQuota) {
  if (hierarchy_.cpu_parent.empty()) GTEST_SKIP() << "no cgroup v1 cpu controller here";
  const std::string name = absl::StrCat("flowgrid-test-cpu-", ::getpid());
  absl::StatusOr<std::unique_ptr<SlotCgroup>> made =
      CreateSlotCgroup(hierarchy_, name, SlotCpu{0.5});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string dir = hierarchy_.cpu_parent + "/" + name;
  EXPECT_EQ(Contents(dir + "/cpu.shares"), "1024\n");
  EXPECT_EQ(Contents(dir + "/cpu.cfs_period_us"), "100000\n");
  EXPECT_EQ(Contents(dir + "/cpu.cfs_quota_us"), "50000\n");
  // A job is born in the cpu cgroup too (BeforeSpawn moves the thread).
  ASSERT_TRUE((*made)->BeforeSpawn().ok());
  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_TRUE((*made)->AfterSpawn(child).ok());
  // Only the child: the spawning thread went back to the parent.
  absl::StatusOr<std::vector<pid_t>> tasks = cgroup_internal::ReadPids(dir + "/tasks");
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  EXPECT_EQ(*tasks, std::vector<pid_t>{child});
  EXPECT_TRUE((*made)->Remove().ok());
  EXPECT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_NE(::access(dir.c_str(), F_OK), 0);
}

TEST_F(RealV1Test, SpawnInCgroupGivesBirthInEveryControllerAndLeasesAreCounted) {
  absl::StatusOr<std::unique_ptr<SlotCgroups>> slots =
      SlotCgroups::Create(hierarchy_, absl::StrCat("test-birth-", ::getpid()), 2);
  ASSERT_TRUE(slots.ok()) << slots.status();
  std::unique_ptr<SlotCgroups::Lease> first = (*slots)->TryAcquire();
  std::unique_ptr<SlotCgroups::Lease> second = (*slots)->TryAcquire();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ((*slots)->TryAcquire(), nullptr) << "both are leased";

  absl::StatusOr<SpawnedChild> child = SpawnSleeper(first->get());
  ASSERT_TRUE(child.ok()) << child.status();
  // In the memory cgroup (Pids) and the pids one, and never attached: the
  // spawning thread went back.
  absl::StatusOr<std::vector<pid_t>> pids = (*first)->Pids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_EQ(*pids, std::vector<pid_t>{child->pid});
  const std::string name = absl::StrCat("flowgrid-test-birth-", ::getpid(), "-", ::getpid());
  absl::StatusOr<std::string> own = ReadFile(absl::StrCat("/proc/", child->pid, "/cgroup"));
  ASSERT_TRUE(own.ok()) << own.status();
  int in_pool = 0;
  for (absl::string_view line : absl::StrSplit(*own, '\n', absl::SkipEmpty())) {
    if ((absl::StrContains(line, ":pids:") || absl::StrContains(line, ":memory:")) &&
        absl::StrContains(line, name)) {
      ++in_pool;
    }
  }
  EXPECT_EQ(in_pool, 2) << *own;
  absl::StatusOr<std::string> mine = ReadFile("/proc/thread-self/cgroup");
  ASSERT_TRUE(mine.ok());
  EXPECT_FALSE(absl::StrContains(*mine, name)) << *mine;

  ASSERT_TRUE((*first)->KillAll().ok());
  EXPECT_EQ(::waitpid(child->pid, nullptr, 0), child->pid);
  first.reset();
  EXPECT_NE((*slots)->TryAcquire(), nullptr) << "released";
}

TEST_F(RealV1Test, StaleSlotOfADeadWorkerIsRemovedAtStart) {
  const std::string name = absl::StrCat("flowgrid-test-", DeadPid(), "-slot0");
  const std::string stale = hierarchy_.memory_parent + "/" + name;
  ASSERT_EQ(::mkdir(stale.c_str(), 0755), 0) << std::strerror(errno);
  absl::StatusOr<std::vector<std::string>> found = FindStaleSlotCgroups(hierarchy_);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_NE(std::find(found->begin(), found->end(), stale), found->end());
  absl::StatusOr<std::unique_ptr<SlotCgroups>> slots =
      SlotCgroups::Create(hierarchy_, absl::StrCat("test-", ::getpid()), 1);
  ASSERT_TRUE(slots.ok()) << slots.status();
  EXPECT_NE(::access(stale.c_str(), F_OK), 0) << "the stale slot cgroup is still there";
  ::rmdir(stale.c_str());
}

TEST_F(RealV1Test, OomKillIsCountedAndPeakMeasured) {
  ASSERT_TRUE(cgroup_->SetLimits({32 << 20, 8}).ok());
  WaitingChild child = SpawnWaiting([] {
    const size_t size = 128 << 20;
    // volatile: the compiler must not drop the stores (or the malloc).
    volatile char* p = static_cast<volatile char*>(::malloc(size));
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
  });
  ASSERT_TRUE(cgroup_->Attach(child.pid).ok());
  child.Go();
  const int status = child.Wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  absl::StatusOr<CgroupUsage> usage = cgroup_->ReadUsage();
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->oom_kills, 1);
  EXPECT_GT(usage->peak_memory_bytes, 16 << 20);
  EXPECT_LE(usage->peak_memory_bytes, 32 << 20);
  EXPECT_GT(usage->cpu_usage_us, 0);

  // The next job starts from zero.
  ASSERT_TRUE(cgroup_->Reset().ok());
  usage = cgroup_->ReadUsage();
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->oom_kills, 0);
}

TEST_F(RealV1Test, PidsLimitHitsAreCounted) {
  ASSERT_TRUE(cgroup_->SetLimits({64 << 20, 3}).ok());
  WaitingChild child = SpawnWaiting([] {
    int failed = 0;
    for (int i = 0; i < 5; ++i) {
      const pid_t p = ::fork();
      if (p == 0) {
        ::pause();
        ::_exit(0);
      }
      if (p < 0 && errno == EAGAIN) ++failed;
    }
    ::_exit(failed == 3 ? 0 : 10 + failed);
  });
  ASSERT_TRUE(cgroup_->Attach(child.pid).ok());
  child.Go();
  const int status = child.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  absl::StatusOr<CgroupUsage> usage = cgroup_->ReadUsage();
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->pids_limit_hits, 3);
  // The two grandchildren that did start are orphans still in the cgroup.
  absl::StatusOr<std::vector<pid_t>> pids = cgroup_->Pids();
  ASSERT_TRUE(pids.ok());
  EXPECT_EQ(pids->size(), 2u);
  ASSERT_TRUE(cgroup_->KillAll().ok());
  pids = cgroup_->Pids();
  ASSERT_TRUE(pids.ok());
  EXPECT_TRUE(pids->empty());
}

// --- v2 on a real cgroup2 mount in a private mount namespace ---------------

// Runs in a forked child (a mount namespace must not leak into the test
// process). Returns 0 or the number of the failed step; 77: mount refused.
int RealV2Steps(const std::string& mountpoint) {
  if (::unshare(CLONE_NEWNS) != 0) return 77;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 77;
  if (::mount("none", mountpoint.c_str(), "cgroup2", 0, nullptr) != 0) return 77;
  const std::string dir = absl::StrCat(mountpoint, "/flowgrid-v2-test-", ::getpid());
  if (!cgroup_internal::MakeDir(dir).ok()) return 1;
  absl::StatusOr<std::unique_ptr<SlotCgroup>> made = cgroup_internal::NewV2(dir);
  if (!made.ok()) return 1;
  std::unique_ptr<SlotCgroup>& cgroup = *made;

  // Born in the cgroup: spawned with its directory (clone3
  // CLONE_INTO_CGROUP) and never attached. Without it, not in it.
  for (const bool into : {false, true}) {
    absl::StatusOr<SpawnedChild> child = SpawnSleeper(into ? cgroup.get() : nullptr);
    if (!child.ok()) return 12;
    absl::StatusOr<std::vector<pid_t>> pids = cgroup->Pids();
    const bool inside = pids.ok() && *pids == std::vector<pid_t>{child->pid};
    ::kill(child->pid, SIGKILL);
    ::waitpid(child->pid, nullptr, 0);
    if (!pids.ok() || inside != into) return into ? 13 : 14;
  }

  const pid_t sleeper = ::fork();
  if (sleeper == 0) {
    ::pause();
    ::_exit(0);
  }
  if (!cgroup->Attach(sleeper).ok()) return 2;
  absl::StatusOr<std::vector<pid_t>> pids = cgroup->Pids();
  if (!pids.ok() || *pids != std::vector<pid_t>{sleeper}) return 3;
  if (!cgroup->KillAll().ok()) return 4;
  int status = 0;
  if (::waitpid(sleeper, &status, 0) != sleeper || !WIFSIGNALED(status) ||
      WTERMSIG(status) != SIGKILL) {
    return 5;
  }
  pids = cgroup->Pids();
  if (!pids.ok() || !pids->empty()) return 6;
  if (!cgroup->Remove().ok()) return 7;
  if (::access(dir.c_str(), F_OK) == 0) return 8;
  // Slot creation needs memory and pids offered: here either they are
  // (pure v2) or the error names what is missing (hybrid host).
  absl::StatusOr<std::unique_ptr<SlotCgroup>> slot =
      cgroup_internal::CreateV2(mountpoint, absl::StrCat("flowgrid-v2-slot-", ::getpid()));
  if (slot.ok()) {
    if (!(*slot)->Reset().ok() || !(*slot)->SetLimits({64 << 20, 8}).ok()) return 9;
    if (!(*slot)->Remove().ok()) return 10;
  } else if (!absl::StrContains(slot.status().message(), "is not offered")) {
    return 11;
  }
  return 0;
}

TEST(RealV2Test, SpawnIntoAttachKillRemoveOnAPrivateCgroup2Mount) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting cgroup2 needs root";
  const std::string mountpoint = MakeTempDir();
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(RealV2Steps(mountpoint));
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::rmdir(mountpoint.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << status;
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "the kernel refused a private cgroup2 mount";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "failed step (see RealV2Steps)";
}

// --- verdicts from cgroup usage (pure) --------------------------------------

TEST(CgroupVerdictTest, OomKillIsMemoryLimitAndPidsHitsTurnRuntimeErrorsIntoProcessLimit) {
  v1::Job job = job::MakeJob(v1::CodeNode::PYTHON3, "");
  job.mutable_limits()->set_memory_bytes(64 << 20);
  job.mutable_limits()->set_max_processes(8);
  SupervisedOutcome outcome;
  outcome.term_signal = SIGKILL;
  outcome.peak_rss_bytes = 5;
  outcome.cgroup_measured = true;
  outcome.cgroup_usage.oom_kills = 1;
  outcome.cgroup_usage.peak_memory_bytes = 64 << 20;
  v1::NodeResult result = job::NodeResultFromOutcome(job, outcome, 1 << 20);
  EXPECT_EQ(result.error().code(), v1::MEMORY_LIMIT);
  EXPECT_EQ(result.error().message(), "Memory limit of 64 MiB exceeded");
  EXPECT_EQ(result.usage().peak_memory_bytes(), 64 << 20);

  outcome = SupervisedOutcome{};
  outcome.exited = true;
  outcome.exit_code = 1;
  outcome.peak_rss_bytes = 5;
  outcome.cgroup_measured = true;
  outcome.cgroup_usage.peak_memory_bytes = -1;  // v2 before 6.12: the child's own
  result = job::NodeResultFromOutcome(job, outcome, 1 << 20);
  EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR);
  EXPECT_EQ(result.usage().peak_memory_bytes(), 5);

  outcome.cgroup_usage.pids_limit_hits = 2;
  result = job::NodeResultFromOutcome(job, outcome, 1 << 20);
  EXPECT_EQ(result.error().code(), v1::PROCESS_LIMIT);
  EXPECT_EQ(result.error().message(), "Process limit of 8 exceeded");
}

// --- real jobs (/usr/bin/python3) in a slot cgroup -------------------------

class CgroupJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "creating cgroups needs root";
    absl::StatusOr<CgroupHierarchy> h = DetectCgroupHierarchy("");
    ASSERT_TRUE(h.ok()) << h.status();
    absl::StatusOr<std::unique_ptr<SlotCgroups>> made =
        SlotCgroups::Create(*h, absl::StrCat("test-", ::getpid()), 1);
    ASSERT_TRUE(made.ok()) << made.status();
    cgroups_ = *std::move(made);
  }

  v1::NodeResult Run(const std::string& code, int64_t memory_bytes, int max_processes) {
    v1::Job job = job::MakeJob(v1::CodeNode::PYTHON3, code);
    job.mutable_limits()->set_memory_bytes(memory_bytes);
    job.mutable_limits()->set_max_processes(max_processes);
    job::JobRunnerOptions options;
    options.cgroups = cgroups_.get();
    return job::JobRunner(options).Run(job, -1);
  }

  // What is left in the (only) slot cgroup.
  std::vector<pid_t> Left() {
    std::unique_ptr<SlotCgroups::Lease> lease = cgroups_->Acquire();
    absl::StatusOr<std::vector<pid_t>> pids = (*lease)->Pids();
    EXPECT_TRUE(pids.ok()) << pids.status();
    return pids.ok() ? *pids : std::vector<pid_t>{-1};
  }

  std::unique_ptr<SlotCgroups> cgroups_;
};

TEST_F(CgroupJobTest, MemoryBombIsMemoryLimitAndTheNextJobRuns) {
  v1::NodeResult result = Run("def main():\n    b = b'x' * (512 * 1024 * 1024)\n    return {}\n",
                              64 << 20, 32);
  EXPECT_EQ(result.error().code(), v1::MEMORY_LIMIT) << result.DebugString();
  EXPECT_EQ(result.error().message(), "Memory limit of 64 MiB exceeded");
  EXPECT_TRUE(Left().empty());

  result = Run("def main():\n    return {'n': len(b'x' * (8 * 1024 * 1024))}\n", 64 << 20, 32);
  EXPECT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_GT(result.usage().peak_memory_bytes(), 8 << 20);
  EXPECT_LT(result.usage().peak_memory_bytes(), 64 << 20);
  EXPECT_GT(result.usage().cpu_us(), 0);
}

TEST_F(CgroupJobTest, ForkBombIsProcessLimitAndLeavesNothing) {
  // random._os is the real os module (the import filter is not the boundary).
  v1::NodeResult result = Run(
      "import random, time\n"
      "def main():\n"
      "    for _ in range(50):\n"
      "        if random._os.fork() == 0:\n"
      "            time.sleep(60)\n"
      "    return {}\n",
      256 << 20, 8);
  EXPECT_EQ(result.error().code(), v1::PROCESS_LIMIT) << result.DebugString();
  EXPECT_EQ(result.error().message(), "Process limit of 8 exceeded");
  EXPECT_TRUE(Left().empty());
}

TEST_F(CgroupJobTest, SetsidDoubleForkDaemonDoesNotOutliveTheJob) {
  v1::NodeResult result = Run(
      "import random, time\n"
      "def main():\n"
      "    os = random._os\n"
      "    if os.fork() == 0:\n"
      "        os.setsid()\n"
      "        if os.fork() == 0:\n"
      "            time.sleep(60)\n"
      "        os._exit(0)\n"
      "    os.wait()\n"
      "    return {}\n",
      256 << 20, 32);
  EXPECT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  // Without the cgroup kill the daemon would still be sleeping in it.
  EXPECT_TRUE(Left().empty());
}

}  // namespace
}  // namespace flowgrid::sandbox
