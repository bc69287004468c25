#include "tests/security/attack_suite.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "worker/runtimes/node/node_pool.h"
#include "worker/runtimes/node/node_runtime.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/kernel_sandbox.h"

namespace flowgrid::security {
namespace {


// The slot cgroups of the worker under attack; one slot, as cases run one
// job at a time.
std::unique_ptr<sandbox::SlotCgroups>& SlotCgroups() {
  static auto* const cgroups = new std::unique_ptr<sandbox::SlotCgroups>;
  return *cgroups;
}

std::unique_ptr<runtimes::python::PythonZygotes>& PythonZygotes() {
  static auto* const zygotes = new std::unique_ptr<runtimes::python::PythonZygotes>;
  return *zygotes;
}

// As in the worker: a job that answers before its exit is finished by a
// reaper, which holds its slot until then. It must stop before the zygotes
// and cgroups its queued work still uses go.
std::unique_ptr<job::Reaper>& Reaper() {
  static auto* const reaper = new std::unique_ptr<job::Reaper>;
  return *reaper;
}

// With the warm runtimes, JavaScript jobs run on pre-spawned node processes
// as in the worker, each in a cgroup of its pool's: one pool per memory
// limit (node's flags carry it), made on first use.
struct NodePoolWithCgroups {
  std::unique_ptr<sandbox::SlotCgroups> cgroups;
  std::unique_ptr<runtimes::node::NodePool> pool;  // destroyed first
};
std::map<int64_t, NodePoolWithCgroups>& NodePools() {
  static auto* const pools = new std::map<int64_t, NodePoolWithCgroups>;
  return *pools;
}

// A pool whose process for `memory_bytes` has finished starting up, so
// that the job runs on it.
runtimes::node::NodePool* ReadyNodePool(int64_t memory_bytes) {
  NodePoolWithCgroups& entry = NodePools()[memory_bytes];
  if (entry.pool == nullptr) {
    absl::StatusOr<sandbox::CgroupHierarchy> hierarchy = sandbox::DetectCgroupHierarchy("");
    absl::StatusOr<std::unique_ptr<sandbox::SlotCgroups>> cgroups =
        hierarchy.ok() ? sandbox::SlotCgroups::Create(
                             *hierarchy, absl::StrCat("attacks-node", memory_bytes >> 20),
                             runtimes::node::NodePool::CgroupsNeeded(1, 1))
                       : hierarchy.status();
    EXPECT_TRUE(cgroups.ok()) << cgroups.status();
    if (!cgroups.ok()) return nullptr;
    entry.cgroups = *std::move(cgroups);
    entry.pool = std::make_unique<runtimes::node::NodePool>(
        1, runtimes::node::NodeProgram("/usr/bin/node", memory_bytes), entry.cgroups.get());
  }
  EXPECT_TRUE(entry.pool->WaitUntilReady(absl::Seconds(30)));
  return entry.pool.get();
}

void PlantCanaryFile(const std::string& path) {
  { std::ofstream(path) << kCanaryValue; }
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0) << path;
}

// The worker as deployed: kernel sandbox with both runtimes' filters, slot
// cgroups, and secrets within reach of a careless worker.
class SandboxedWorkerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_EQ(::setenv("FLOWGRID_CANARY", kCanaryValue, 1), 0);
    PlantCanaryFile(RootCanaryFile());
    std::filesystem::create_directories(CanaryDir());
    ASSERT_EQ(::chmod(CanaryDir().c_str(), 0755), 0);
    PlantCanaryFile(CanaryFile());

    sandbox::KernelSandboxOptions options;
    options.syscall_profiles = {{"/usr/bin/python3", sandbox::SyscallProfile::kPython},
                                {"/usr/bin/node", sandbox::SyscallProfile::kNode}};
    const absl::Status status = sandbox::EnableKernelSandbox(options);
    ASSERT_TRUE(status.ok()) << "the attack suite runs as root, like the worker: " << status;
    absl::StatusOr<sandbox::CgroupHierarchy> hierarchy = sandbox::DetectCgroupHierarchy("");
    ASSERT_TRUE(hierarchy.ok()) << hierarchy.status();
    absl::StatusOr<std::unique_ptr<sandbox::SlotCgroups>> cgroups =
        sandbox::SlotCgroups::Create(*hierarchy, "attacks", 1);
    ASSERT_TRUE(cgroups.ok()) << cgroups.status();
    SlotCgroups() = *std::move(cgroups);
    if (SuiteRunsWarmRuntimes()) {
      runtimes::python::ZygoteOptions zygote;
      zygote.binary = FLOWGRID_PYTHON_ZYGOTE_BINARY;
      zygote.isolated = true;
      PythonZygotes() = std::make_unique<runtimes::python::PythonZygotes>(zygote);
      Reaper() = std::make_unique<job::Reaper>();
    }
  }

  void TearDown() override {
    Reaper().reset();
    PythonZygotes().reset();
    NodePools().clear();
    SlotCgroups().reset();
    ::unlink(RootCanaryFile().c_str());
    std::filesystem::remove_all(CanaryDir());
  }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SandboxedWorkerEnvironment);

constexpr char kPythonPrelude[] =
    "import random, json\n"
    "os = random._os\n"
    "_imp = json.__builtins__['__import__']\n"
    "ctypes = _imp('ctypes')\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "def sys_call(nr, *args):\n"
    "    rc = libc.syscall(nr, *[ctypes.c_long(a) for a in args])\n"
    "    return rc if rc >= 0 else -ctypes.get_errno()\n"
    "_kept = []\n"
    "def buf(data):\n"
    "    b = ctypes.create_string_buffer(data, len(data) + 1)\n"
    "    _kept.append(b)\n"
    "    return ctypes.addressof(b)\n"
    "def iovec(address, length):\n"
    "    return buf(_imp('struct').pack('<QQ', address, length))\n";

v1::NodeResult Run(v1::CodeNode::Language language, std::string code,
                   const v1::Limits& limits) {
  v1::Job job;
  job.set_job_id("attack");
  job.set_attempt(1);
  job.set_kind(v1::Job::RUN_CODE);
  job.set_language(language);
  job.set_code(std::move(code));
  *job.mutable_limits() = limits;
  job::JobRunnerOptions options = SuiteRunnerOptions();
  if (language == v1::CodeNode::JAVASCRIPT && SuiteRunsWarmRuntimes()) {
    options.node_pool = ReadyNodePool(limits.memory_bytes());
  }
  return job::JobRunner(options).Run(job, -1);
}

}  // namespace

std::string CanaryDir() { return absl::StrCat("/var/lib/flowgrid-canary-", ::getpid()); }
std::string CanaryFile() { return CanaryDir() + "/secret"; }
std::string RootCanaryFile() { return absl::StrCat("/root/.flowgrid-canary-", ::getpid()); }

bool SuiteRunsWarmRuntimes() {
  const char* mode = ::getenv("FLOWGRID_ATTACK_RUNTIMES");
  return mode != nullptr && std::string(mode) == "warm";
}

job::JobRunnerOptions SuiteRunnerOptions() {
  job::JobRunnerOptions options;
  options.cgroups = SlotCgroups().get();
  options.python_zygotes = PythonZygotes().get();
  options.reaper = Reaper().get();
  return options;
}

v1::Limits JobLimits(absl::Duration timeout, int64_t memory_bytes) {
  v1::Limits limits;
  limits.set_timeout_ms(absl::ToInt64Milliseconds(timeout));
  limits.set_memory_bytes(memory_bytes);
  return limits;
}

v1::NodeResult RunPython(const std::string& body, const v1::Limits& limits) {
  return Run(v1::CodeNode::PYTHON3,
             absl::StrCat(kPythonPrelude, "def main():\n", body, "    return {}\n"), limits);
}

v1::NodeResult RunNode(const std::string& code, const v1::Limits& limits) {
  return Run(v1::CodeNode::JAVASCRIPT, code, limits);
}

void ExpectContained(const v1::NodeResult& result, const std::string& expected) {
  if (result.status() == v1::NODE_SUCCEEDED) {
    EXPECT_EQ(result.stdout(), expected);
  } else {
    EXPECT_EQ(result.error().code(), v1::SANDBOX_VIOLATION) << result.DebugString();
  }
}

void ExpectPrinted(const v1::NodeResult& result, const std::string& expected) {
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.stdout(), expected);
}

void ExpectFailure(const v1::NodeResult& result, v1::ErrorCode code,
                   const std::string& message_part) {
  EXPECT_EQ(result.status(), v1::NODE_FAILED) << result.DebugString();
  EXPECT_EQ(result.error().code(), code) << result.DebugString();
  EXPECT_TRUE(absl::StrContains(result.error().message(), message_part))
      << "expected \"" << message_part << "\" in: " << result.error().message();
}

bool HostProcessWith(const std::string& needle) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::stringstream content;
    content << cmdline.rdbuf();
    if (content.str().find(needle) != std::string::npos) return true;
  }
  return false;
}

void AttackTest::TearDown() {
  {
    std::unique_ptr<sandbox::SlotCgroups::Lease> slot = SlotCgroups()->Acquire();
    absl::StatusOr<std::vector<pid_t>> left = (*slot)->Pids();
    ASSERT_TRUE(left.ok()) << left.status();
    // With warm runtimes the slot's Python zygote lives there between
    // jobs; nothing else may.
    for (pid_t pid : *left) {
      std::error_code error;
      const std::filesystem::path exe =
          std::filesystem::read_symlink(absl::StrCat("/proc/", pid, "/exe"), error);
      EXPECT_TRUE(SuiteRunsWarmRuntimes() && exe.filename() == "flowgrid-python-zygote")
          << "process " << pid << " (" << exe << ") outlived the job";
    }
  }
  ExpectPrinted(RunPython("    print(json.dumps({'ok': 1}))\n"), "{\"ok\": 1}\n");
  ExpectPrinted(RunNode("function main() { console.log('ok'); return {ok: 1}; }\n"), "ok\n");
}

}  // namespace flowgrid::security
