// The Node pool: warm (pre-spawned, sandboxed, single-use) processes and
// the pool that keeps them, first with small shell programs, then with real
// JavaScript jobs through the JobRunner. This binary runs under the kernel
// sandbox (kernel_sandbox_test.cc enables it), as the worker does.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/value_json.h"
#include "common/value_types.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/job_testing.h"
#include "worker/job/job_runner.h"
#include "worker/runtimes/node/node_pool.h"
#include "worker/runtimes/node/node_runtime.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/kernel_sandbox.h"
#include "worker/sandbox/warm_child.h"

namespace flowgrid::runtimes::node {
namespace {

using sandbox::SandboxRequest;
using sandbox::SupervisedOutcome;
using sandbox::WarmChild;

constexpr absl::Duration kFillTimeout = absl::Seconds(20);

// Echoes its input (one line) to the result channel. The shell reads fd 3
// itself, as the node harness does: the process that reads the input is
// the one that was spawned.
constexpr char kEcho[] = "read -r -u 3 line; printf %s \"$line\" >&4";

SandboxRequest Shell(const std::string& script, const std::string& input = "") {
  SandboxRequest request;
  request.executable = "/bin/bash";
  request.argv = {"bash", "-c", script};
  request.env = {"PATH=/usr/bin:/bin"};
  request.input = input;
  request.limits.wall_timeout = absl::Seconds(5);
  return request;
}

bool Gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Sandbox uids not leased now.
int FreeUids() {
  sandbox::UidPool& uids = sandbox::ActiveKernelSandbox()->uids();
  std::vector<uid_t> taken;
  for (absl::StatusOr<uid_t> uid = uids.Acquire(); uid.ok(); uid = uids.Acquire()) {
    taken.push_back(*uid);
  }
  for (uid_t uid : taken) uids.Release(uid);
  return static_cast<int>(taken.size());
}

// A job on `pool` without cgroup limits; NotFound when no process waits.
absl::StatusOr<SupervisedOutcome> RunPooled(NodePool& pool, const SandboxRequest& request,
                                            const sandbox::FinishLater* finish_later = nullptr) {
  absl::StatusOr<std::optional<SupervisedOutcome>> outcome =
      pool.Run(request, sandbox::CgroupLimits{}, -1, finish_later);
  if (!outcome.ok()) return outcome.status();
  if (!outcome->has_value()) return absl::NotFoundError("no waiting process");
  return **std::move(outcome);
}

// Polls `done` every 10 ms for at most 10 s.
template <typename Predicate>
bool Eventually(Predicate done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

// --- one warm child --------------------------------------------------------

TEST(WarmChildTest, RunsOneJobWhoseInputArrivesLater) {
  absl::StatusOr<std::unique_ptr<WarmChild>> child = WarmChild::Spawn(Shell(kEcho));
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_TRUE((*child)->Alive());
  // Its start-up ends blocked reading fd 3.
  EXPECT_TRUE(Eventually([&] { return (*child)->Ready(); }));
  EXPECT_TRUE((*child)->Runs(Shell(kEcho, "other input")));
  EXPECT_FALSE((*child)->Runs(Shell("cat <&3 >&4")));
  absl::StatusOr<SupervisedOutcome> outcome = (*child)->Run(Shell(kEcho, "the job"), -1);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->result, "the job");
  EXPECT_TRUE(outcome->exited);
  EXPECT_TRUE(Gone(outcome->pid));
  // Spent: a second job is refused.
  EXPECT_EQ((*child)->Run(Shell(kEcho, "again"), -1).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(WarmChildTest, DeathBeforeTheInputIsWrittenIsUnavailable) {
  // Dead before the job came.
  absl::StatusOr<std::unique_ptr<WarmChild>> child = WarmChild::Spawn(Shell("exit 3"));
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(Eventually([&] { return !(*child)->Alive(); }));
  absl::StatusOr<SupervisedOutcome> outcome = (*child)->Run(Shell("exit 3", "{}"), -1);
  EXPECT_TRUE(absl::IsUnavailable(outcome.status())) << outcome.status();

  // Dead while a large input was being written (it never read it).
  const std::string script = "sleep 0.2; exit 0";
  child = WarmChild::Spawn(Shell(script));
  ASSERT_TRUE(child.ok()) << child.status();
  outcome = (*child)->Run(Shell(script, std::string(4 << 20, 'x')), -1);
  EXPECT_TRUE(absl::IsUnavailable(outcome.status())) << outcome.status();
}

TEST(WarmChildTest, ADeadlineThatPassesWhileWritingTheInputIsATimeout) {
  const std::string script = "sleep 5";
  absl::StatusOr<std::unique_ptr<WarmChild>> child = WarmChild::Spawn(Shell(script));
  ASSERT_TRUE(child.ok()) << child.status();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE((*child)->Ready());  // blocked, but not reading its input
  SandboxRequest request = Shell(script, std::string(4 << 20, 'x'));
  request.limits.wall_timeout = absl::Milliseconds(300);
  absl::StatusOr<SupervisedOutcome> outcome = (*child)->Run(request, -1);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_LT(outcome->wall, absl::Seconds(2));
}

TEST(WarmChildTest, WallTimeStartsWithTheInputAndTheCpuLimitIsTheJobs) {
  // The second cat starts after the input, so it inherits the job's
  // RLIMIT_CPU set by prlimit.
  const std::string script = "cat <&3 >/dev/null; cat /proc/self/limits >&4";
  absl::StatusOr<std::unique_ptr<WarmChild>> child = WarmChild::Spawn(Shell(script));
  ASSERT_TRUE(child.ok()) << child.status();
  absl::SleepFor(absl::Milliseconds(700));
  SandboxRequest request = Shell(script, "{}");
  request.limits.wall_timeout = absl::Milliseconds(500);
  absl::StatusOr<SupervisedOutcome> outcome = (*child)->Run(request, -1);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_LT(outcome->wall, absl::Milliseconds(500));
  // RlimitsForJob(500 ms): soft 2 s, hard 3 s, plus the start-up's CPU
  // rounded up to whole seconds (the shell's: 0 or 1).
  int64_t soft = -1, hard = -1;
  for (absl::string_view line : absl::StrSplit(outcome->result, '\n')) {
    if (!absl::ConsumePrefix(&line, "Max cpu time")) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    ASSERT_GE(fields.size(), 2u) << line;
    ASSERT_TRUE(absl::SimpleAtoi(fields[0], &soft)) << line;
    ASSERT_TRUE(absl::SimpleAtoi(fields[1], &hard)) << line;
  }
  EXPECT_TRUE(soft == 2 || soft == 3) << outcome->result;
  EXPECT_EQ(hard, soft + 1);
}

// --- the pool ----------------------------------------------------------------

TEST(NodePoolTest, RunsOnAWaitingProcessAndRefills) {
  NodePool pool(2, Shell(kEcho));
  ASSERT_TRUE(pool.WaitUntilReady(kFillTimeout));
  const std::vector<pid_t> waiting = pool.WaitingPids();
  ASSERT_EQ(waiting.size(), 2u);

  absl::StatusOr<SupervisedOutcome> outcome = RunPooled(pool, Shell(kEcho, "input 1"));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->result, "input 1");
  EXPECT_NE(std::find(waiting.begin(), waiting.end(), outcome->pid), waiting.end());
  EXPECT_EQ(pool.stats().hits, 1);
  EXPECT_EQ(pool.stats().misses, 0);

  // Refilled in the background with a new process; the used one is gone.
  ASSERT_TRUE(pool.WaitUntilReady(kFillTimeout));
  const std::vector<pid_t> refilled = pool.WaitingPids();
  EXPECT_EQ(std::find(refilled.begin(), refilled.end(), outcome->pid), refilled.end());
  EXPECT_TRUE(Gone(outcome->pid));
}

TEST(NodePoolTest, AnotherProgramIsNotServedAndBecomesTheRecipe) {
  const std::string other = absl::StrCat(kEcho, "; echo ' (other)' >&4");
  NodePool pool(1, Shell(kEcho));
  ASSERT_TRUE(pool.WaitUntilReady(kFillTimeout));
  const pid_t old_recipe = pool.WaitingPids().at(0);

  // The caller runs it elsewhere (a fresh process).
  absl::StatusOr<SupervisedOutcome> outcome = RunPooled(pool, Shell(other, "x"));
  EXPECT_TRUE(absl::IsNotFound(outcome.status())) << outcome.status();
  EXPECT_EQ(pool.stats().misses, 1);

  // The waiting process of the old program is replaced by the new one's.
  ASSERT_TRUE(pool.WaitUntilReady(kFillTimeout));
  EXPECT_TRUE(Eventually([&] { return Gone(old_recipe); }));
  outcome = RunPooled(pool, Shell(other, "y"));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->result, "y (other)\n");
  EXPECT_EQ(pool.stats().hits, 1);
}

TEST(NodePoolTest, ProcessThatDiedWhileWaitingIsReplacedAndNeverRunsAJob) {
  NodePool pool(1, Shell(kEcho));
  ASSERT_TRUE(pool.WaitUntilReady(kFillTimeout));
  const pid_t victim = pool.WaitingPids().at(0);
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return pool.stats().discarded == 1; }));
  EXPECT_TRUE(Eventually([&] { return Gone(victim); }));  // reaped, no zombie
  ASSERT_TRUE(pool.WaitUntilReady(kFillTimeout));
  EXPECT_NE(pool.WaitingPids().at(0), victim);

  // Killed just before the job: the job is not run on it, but on its
  // replacement if that is already waiting, or else by the caller
  // elsewhere (a fresh process).
  const pid_t second = pool.WaitingPids().at(0);
  ASSERT_EQ(::kill(second, SIGKILL), 0);
  absl::StatusOr<SupervisedOutcome> outcome = RunPooled(pool, Shell(kEcho, "elsewhere"));
  if (outcome.ok()) {
    EXPECT_EQ(outcome->result, "elsewhere");
    EXPECT_NE(outcome->pid, second);
  } else {
    EXPECT_TRUE(absl::IsNotFound(outcome.status())) << outcome.status();
  }
  EXPECT_TRUE(Eventually([&] { return pool.stats().discarded == 2; }));
  EXPECT_TRUE(Eventually([&] { return Gone(second); }));
}

TEST(NodePoolTest, ShutdownKillsAndReapsEveryWaitingProcessAndReleasesTheirUids) {
  const int free_before = FreeUids();
  std::vector<pid_t> waiting;
  {
    NodePool pool(3, Shell(kEcho));
    ASSERT_TRUE(pool.WaitUntilReady(kFillTimeout));
    waiting = pool.WaitingPids();
    EXPECT_EQ(FreeUids(), free_before - 3);
  }
  ASSERT_EQ(waiting.size(), 3u);
  // kill(pid, 0) succeeds on a zombie: ESRCH means reaped.
  for (pid_t pid : waiting) EXPECT_TRUE(Gone(pid)) << pid;
  EXPECT_EQ(FreeUids(), free_before);
}

// --- JavaScript jobs through the JobRunner -----------------------------------

constexpr int64_t kJobMemory = int64_t{256} << 20;

v1::Job JavaScript(const std::string& code, int64_t memory_bytes = kJobMemory) {
  v1::Job job = job::MakeJob(v1::CodeNode::JAVASCRIPT, code);
  job.mutable_limits()->set_memory_bytes(memory_bytes);
  return job;
}

class PooledJobTest : public ::testing::Test {
 protected:
  v1::NodeResult Run(const v1::Job& job) {
    job::JobRunnerOptions options;
    options.node_pool = &pool_;
    return job::JobRunner(options).Run(job, -1);
  }

  NodePool pool_{1, NodeProgram("/usr/bin/node", kJobMemory)};
};

TEST_F(PooledJobTest, VerdictsAreThoseOfAFreshProcess) {
  ASSERT_TRUE(pool_.WaitUntilReady(kFillTimeout));
  v1::Job job = JavaScript("function main({a, b}) {\n  return {sum: a + b};\n}\n");
  (*job.mutable_inputs())["a"] = IntValue(40);
  (*job.mutable_inputs())["b"] = IntValue(2);
  (*job.mutable_outputs())["sum"] = MakeType(v1::Type::NUMBER);
  v1::NodeResult result = Run(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("sum").int_value(), 42);

  ASSERT_TRUE(pool_.WaitUntilReady(kFillTimeout));
  result = Run(JavaScript("function helper() {\n  throw new RangeError('bad');\n}\n"
                          "function main() {\n  return helper();\n}\n"));
  EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR) << result.DebugString();
  EXPECT_EQ(result.error().traceback(),
            "RangeError: bad\n    at helper (<code>:2:9)\n    at main (<code>:5:10)");

  ASSERT_TRUE(pool_.WaitUntilReady(kFillTimeout));
  job = JavaScript("function main() {\n  while (true) {}\n}\n");
  job.mutable_limits()->set_timeout_ms(400);
  result = Run(job);
  EXPECT_EQ(result.error().code(), v1::TIMEOUT) << result.DebugString();
  EXPECT_EQ(result.error().message(), "Execution timed out after 400 ms");

  ASSERT_TRUE(pool_.WaitUntilReady(kFillTimeout));
  result = Run(JavaScript("function main() {\n  return {};", kJobMemory));
  EXPECT_EQ(result.error().code(), v1::COMPILE_ERROR) << result.DebugString();
  EXPECT_EQ(pool_.stats().hits, 4);
  EXPECT_EQ(pool_.stats().misses, 0);
}

TEST_F(PooledJobTest, AJobSeesNothingOfThePreviousOne) {
  ASSERT_TRUE(pool_.WaitUntilReady(kFillTimeout));
  v1::NodeResult result = Run(JavaScript(
      "function main() {\n  globalThis.left = 'secret';\n  return {};\n}\n"));
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  ASSERT_TRUE(pool_.WaitUntilReady(kFillTimeout));
  v1::Job job = JavaScript("function main() {\n  return {left: typeof globalThis.left};\n}\n");
  (*job.mutable_outputs())["left"] = MakeType(v1::Type::STRING);
  result = Run(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("left").string_value(), "undefined");
  EXPECT_EQ(pool_.stats().hits, 2);
}

TEST_F(PooledJobTest, AnotherMemoryLimitIsAnotherProgram) {
  ASSERT_TRUE(pool_.WaitUntilReady(kFillTimeout));
  v1::NodeResult result = Run(JavaScript("function main() { return {}; }", 128 << 20));
  EXPECT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(pool_.stats().misses, 1);
  ASSERT_TRUE(pool_.WaitUntilReady(kFillTimeout));
  result = Run(JavaScript("function main() { return {}; }", 128 << 20));
  EXPECT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(pool_.stats().hits, 1);
}

// With the pool's own cgroups (root, cgroup v1 or v2 as the host has).
class PooledCgroupJobTest : public ::testing::Test {
 protected:
  static constexpr int kSize = 2;

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "creating cgroups needs root";
    absl::StatusOr<sandbox::CgroupHierarchy> h = sandbox::DetectCgroupHierarchy("");
    ASSERT_TRUE(h.ok()) << h.status();
    absl::StatusOr<std::unique_ptr<sandbox::SlotCgroups>> made = sandbox::SlotCgroups::Create(
        *h, id_, NodePool::CgroupsNeeded(kSize, /*slots=*/1));
    ASSERT_TRUE(made.ok()) << made.status();
    cgroups_ = *std::move(made);
  }
  void TearDown() override { pool_.reset(); }

  void StartPool(const SandboxRequest& recipe) {
    pool_ = std::make_unique<NodePool>(kSize, recipe, cgroups_.get());
  }

  v1::NodeResult Run(const v1::Job& job) {
    job::JobRunnerOptions options;
    options.node_pool = pool_.get();
    return job::JobRunner(options).Run(job, -1);
  }

  // The processes in the cgroups no waiting process or job holds.
  std::vector<pid_t> InFreeCgroups() {
    std::vector<std::unique_ptr<sandbox::SlotCgroups::Lease>> free;
    std::vector<pid_t> pids;
    while (std::unique_ptr<sandbox::SlotCgroups::Lease> lease = cgroups_->TryAcquire()) {
      absl::StatusOr<std::vector<pid_t>> in = (*lease)->Pids();
      EXPECT_TRUE(in.ok()) << in.status();
      if (in.ok()) pids.insert(pids.end(), in->begin(), in->end());
      free.push_back(std::move(lease));
    }
    free_cgroups_seen_ = static_cast<int>(free.size());
    return pids;
  }

  // Whether every cgroup of `pid` (v1: memory and pids; v2: the one) is one
  // of the pool's.
  bool InAPoolCgroup(pid_t pid) {
    std::ifstream file(absl::StrCat("/proc/", pid, "/cgroup"));
    std::string line;
    int checked = 0;
    while (std::getline(file, line)) {
      std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
      if (parts.size() != 3) continue;
      std::vector<std::string> controllers = absl::StrSplit(parts[1], ',');
      const bool wanted = parts[0] == "0" ||
                          std::find(controllers.begin(), controllers.end(), "memory") !=
                              controllers.end() ||
                          std::find(controllers.begin(), controllers.end(), "pids") !=
                              controllers.end();
      if (!wanted) continue;
      if (parts[0] == "0" && parts[2] == "/") continue;  // v1 host: the unused v2 line
      if (parts[2].find(absl::StrCat("flowgrid-", id_, "-")) == std::string::npos) return false;
      ++checked;
    }
    return checked > 0;
  }

  static constexpr int64_t kMemory = int64_t{64} << 20;
  const std::string id_ = absl::StrCat("nodepool-test-", ::getpid());
  std::unique_ptr<sandbox::SlotCgroups> cgroups_;
  std::unique_ptr<NodePool> pool_;
  int free_cgroups_seen_ = 0;
};

TEST_F(PooledCgroupJobTest, MemoryBombIsMemoryLimitAndUsageIsTheJobsOwn) {
  StartPool(NodeProgram("/usr/bin/node", kMemory));
  ASSERT_TRUE(pool_->WaitUntilReady(kFillTimeout));
  // Born in cgroups of the pool's: the job needs no attach.
  for (pid_t pid : pool_->WaitingPids()) EXPECT_TRUE(InAPoolCgroup(pid)) << pid;
  // Buffers live outside the V8 heap: the cgroup's limit ends it.
  v1::NodeResult result = Run(JavaScript(
      "function main() {\n  const kept = [];\n"
      "  for (;;) kept.push(Buffer.alloc(8 << 20, 1));\n}\n",
      kMemory));
  EXPECT_EQ(result.error().code(), v1::MEMORY_LIMIT) << result.DebugString();
  EXPECT_EQ(result.error().message(), "Memory limit of 64 MiB exceeded");
  EXPECT_TRUE(InFreeCgroups().empty());
  // The other waiting process, in a cgroup of its own, lives on.
  const std::vector<pid_t> waiting = pool_->WaitingPids();
  ASSERT_FALSE(waiting.empty());
  for (pid_t pid : waiting) EXPECT_FALSE(Gone(pid)) << pid;

  ASSERT_TRUE(pool_->WaitUntilReady(kFillTimeout));
  v1::Job job = JavaScript(
      "function main() {\n  return {n: Buffer.alloc(16 << 20, 1).length};\n}\n", kMemory);
  (*job.mutable_outputs())["n"] = MakeType(v1::Type::NUMBER);
  result = Run(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  // The job's own growth: the 16 MiB buffer, not node's start-up (charged
  // to the cgroup before the job, as a resident). A few pages the buffer
  // reuses may already be in that resident charge, hence the margin.
  EXPECT_GE(result.usage().peak_memory_bytes(), 15 << 20);
  EXPECT_LT(result.usage().peak_memory_bytes(), kMemory);
  EXPECT_GT(result.usage().cpu_us(), 0);
  // Node's start-up alone takes well over 100 ms of CPU here: not counted.
  EXPECT_LT(result.usage().cpu_us(), 100000);
  EXPECT_TRUE(InFreeCgroups().empty());
  EXPECT_EQ(pool_->stats().hits, 2);
}

TEST_F(PooledCgroupJobTest, AJobGetsItsOwnProcessLimit) {
  // The job's process (exec'd: no fork) tries three forks under the job's
  // limit of 2 tasks (not the start-up's): one succeeds.
  const std::string script =
      "read -r -u 3 line; exec /usr/bin/python3 -c '\n"
      "import os\n"
      "failed = 0\n"
      "for _ in range(3):\n"
      "    try:\n"
      "        if os.fork() == 0: os._exit(0)\n"
      "    except OSError: failed += 1\n"
      "os.write(4, b\"%d\" % failed)'";
  StartPool(Shell(script));
  ASSERT_TRUE(pool_->WaitUntilReady(kFillTimeout));
  absl::StatusOr<std::optional<SupervisedOutcome>> outcome =
      pool_->Run(Shell(script, "x\n"), sandbox::CgroupLimits{kMemory, 2}, -1);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->has_value());
  const SupervisedOutcome& done = **outcome;
  EXPECT_EQ(done.result, "2") << done.stderr_text;
  ASSERT_TRUE(done.cgroup_measured);
  EXPECT_EQ(done.cgroup_usage.pids_limit_hits, 2);
  // Nothing of the job is left.
  EXPECT_TRUE(InFreeCgroups().empty());
}

TEST_F(PooledCgroupJobTest, AnAnsweredJobKeepsItsCgroupAndUidUntilItIsFinished) {
  // Closes its channels after the reply, then lingers.
  const std::string script =
      "read -r -u 3 line; exec 1>&- 2>&-; printf %s \"$line\" >&4; exec 4>&-; sleep 30";
  StartPool(Shell(script));
  ASSERT_TRUE(pool_->WaitUntilReady(kFillTimeout));
  InFreeCgroups();
  const int free_before = free_cgroups_seen_;
  const int free_uids_before = FreeUids();
  std::function<void()> finish;
  const sandbox::FinishLater later = [&finish](std::function<void()> f) { finish = std::move(f); };
  absl::StatusOr<std::optional<SupervisedOutcome>> outcome =
      pool_->Run(Shell(script, "early\n"), sandbox::CgroupLimits{kMemory, 8}, -1, &later);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->has_value());
  EXPECT_TRUE((*outcome)->answered_before_exit);
  EXPECT_EQ((*outcome)->result, "early");
  ASSERT_TRUE(finish != nullptr);
  const pid_t pid = (*outcome)->pid;
  EXPECT_FALSE(Gone(pid));
  // Its cgroup and uid are still held; the refill took another of each.
  ASSERT_TRUE(pool_->WaitUntilReady(kFillTimeout));
  InFreeCgroups();
  EXPECT_EQ(free_cgroups_seen_, free_before - 1);
  EXPECT_EQ(FreeUids(), free_uids_before - 1);

  finish();
  finish = nullptr;
  EXPECT_TRUE(Gone(pid));
  EXPECT_TRUE(InFreeCgroups().empty());
  EXPECT_EQ(free_cgroups_seen_, free_before);
  EXPECT_EQ(FreeUids(), free_uids_before);
}

TEST(NodePoolRunnerTest, APoolWithoutCgroupsIsRefusedWhereJobsRunInCgroups) {
  if (::geteuid() != 0) GTEST_SKIP() << "creating cgroups needs root";
  absl::StatusOr<sandbox::CgroupHierarchy> h = sandbox::DetectCgroupHierarchy("");
  ASSERT_TRUE(h.ok()) << h.status();
  absl::StatusOr<std::unique_ptr<sandbox::SlotCgroups>> slots =
      sandbox::SlotCgroups::Create(*h, absl::StrCat("nodepool-refused-", ::getpid()), 1);
  ASSERT_TRUE(slots.ok()) << slots.status();
  NodePool pool(1, NodeProgram("/usr/bin/node", kJobMemory));
  job::JobRunnerOptions options;
  options.node_pool = &pool;
  options.cgroups = slots->get();
  v1::NodeResult result =
      job::JobRunner(options).Run(JavaScript("function main() { return {}; }"), -1);
  EXPECT_EQ(result.error().code(), v1::INTERNAL) << result.DebugString();
  EXPECT_EQ(pool.stats().hits, 0);
}

}  // namespace
}  // namespace flowgrid::runtimes::node
