// Python jobs forked from a warm zygote (runtimes/python/zygote_client.h),
// run through the job runner as the worker runs them — in this binary under
// the kernel sandbox (see kernel_sandbox_test.cc).
#include "worker/runtimes/python/zygote_client.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/value_json.h"
#include "common/value_types.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/job_testing.h"
#include "worker/job/job_runner.h"
#include "worker/sandbox/kernel_sandbox.h"

namespace flowgrid::job {
namespace {

using runtimes::python::PythonZygotes;
using runtimes::python::ZygoteOptions;

std::string JsonOf(const v1::Value& value) {
  absl::StatusOr<std::string> json = ValueToJson(value);
  return json.ok() ? *json : json.status().ToString();
}

ZygoteOptions TestZygoteOptions(int max_jobs = 10000) {
  ZygoteOptions options;
  options.binary = FLOWGRID_PYTHON_ZYGOTE_BINARY;
  options.isolated = sandbox::ActiveKernelSandbox() != nullptr;
  options.max_jobs = max_jobs;
  return options;
}

class PythonZygoteTest : public ::testing::Test {
 protected:
  explicit PythonZygoteTest(int max_jobs = 10000) : zygotes_(TestZygoteOptions(max_jobs)) {}

  // A job declaring the outputs `outputs`, of any type.
  v1::NodeResult Run(const std::string& code, int timeout_ms = 5000,
                     const std::vector<std::string>& outputs = {}) {
    v1::Job job = MakeJob(v1::CodeNode::PYTHON3, code);
    job.mutable_limits()->set_timeout_ms(timeout_ms);
    for (const std::string& name : outputs) {
      (*job.mutable_outputs())[name] = MakeType(v1::Type::ANY);
    }
    JobRunnerOptions options;
    options.python_zygotes = &zygotes_;
    return JobRunner(options).Run(job, -1);
  }

  // The pid the job reports for its parent's parent is not visible in its
  // pid namespace, so the zygote's identity is read from the worker side:
  // the pid of the zygote serving the next lease.
  pid_t ZygotePid() {
    absl::StatusOr<std::unique_ptr<PythonZygotes::Lease>> lease = zygotes_.Acquire(nullptr);
    EXPECT_TRUE(lease.ok()) << lease.status();
    return lease.ok() ? (**lease)->pid() : -1;
  }

  PythonZygotes zygotes_;
};

TEST_F(PythonZygoteTest, RunsCodeWithInputsOutputsAndPrints) {
  v1::Job job = MakeJob(v1::CodeNode::PYTHON3,
                        "import json\n"
                        "def main(n: int) -> dict:\n"
                        "    print('n is', n)\n"
                        "    return {'twice': n * 2, 'text': json.dumps([n])}\n");
  (*job.mutable_inputs())["n"] = IntValue(21);
  (*job.mutable_outputs())["twice"] = MakeType(v1::Type::NUMBER);
  (*job.mutable_outputs())["text"] = MakeType(v1::Type::STRING);
  JobRunnerOptions options;
  options.python_zygotes = &zygotes_;
  v1::NodeResult result = JobRunner(options).Run(job, -1);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(JsonOf(result.outputs().at("twice")), "42");
  EXPECT_EQ(JsonOf(result.outputs().at("text")), "\"[21]\"");
  EXPECT_EQ(result.stdout(), "n is 21\n");
  EXPECT_GT(result.usage().wall_us(), 0);
}

TEST_F(PythonZygoteTest, TemplatesAndChecksRunOnTheZygoteToo) {
  JobRunnerOptions options;
  options.python_zygotes = &zygotes_;
  v1::Job render = MakeJob(v1::CodeNode::PYTHON3, "{{ a }}-{{ a * 2 }}", v1::Job::RENDER_TEMPLATE);
  (*render.mutable_inputs())["a"] = IntValue(4);
  v1::NodeResult rendered = JobRunner(options).Run(render, -1);
  ASSERT_EQ(rendered.status(), v1::NODE_SUCCEEDED) << rendered.DebugString();
  EXPECT_EQ(JsonOf(rendered.outputs().at("output")), "\"4-8\"");

  v1::Job check = MakeJob(v1::CodeNode::PYTHON3, "def main(:\n", v1::Job::CHECK_CODE);
  v1::NodeResult checked = JobRunner(options).Run(check, -1);
  EXPECT_EQ(checked.error().code(), v1::COMPILE_ERROR) << checked.DebugString();
}

TEST_F(PythonZygoteTest, NothingOfOneJobReachesTheNext) {
  // Each job is a fork of the same warm process; what one changes dies
  // with it.
  const std::string tamper =
      "import json, random\n"
      "def main():\n"
      "    json.loads = lambda *a, **k: 'forged'\n"
      "    __builtins__['len'] = lambda x: -1\n"
      "    random.seed(7)\n"
      "    return {'dumps': [0], 'len': 0, 'r': random.random()}\n";
  const std::string observe =
      "import json, random\n"
      "def main():\n"
      "    return {'dumps': json.loads('[1]'), 'len': len([1, 2]), 'r': random.random()}\n";
  const std::vector<std::string> outputs = {"dumps", "len", "r"};
  v1::NodeResult first = Run(tamper, 5000, outputs);
  ASSERT_EQ(first.status(), v1::NODE_SUCCEEDED) << first.DebugString();
  v1::NodeResult second = Run(observe, 5000, outputs);
  ASSERT_EQ(second.status(), v1::NODE_SUCCEEDED) << second.DebugString();
  EXPECT_EQ(JsonOf(second.outputs().at("dumps")), "[1]");
  EXPECT_EQ(JsonOf(second.outputs().at("len")), "2");
  EXPECT_NE(JsonOf(second.outputs().at("r")), JsonOf(first.outputs().at("r")));
  // Every child re-seeds: two jobs never draw the same random numbers.
  v1::NodeResult third = Run(observe, 5000, outputs);
  EXPECT_NE(JsonOf(third.outputs().at("r")), JsonOf(second.outputs().at("r")));
}

TEST_F(PythonZygoteTest, ImportGuardOfOneJobIsNotTheNextOnes) {
  // The guarded builtins are made once in the zygote; each job changes its
  // own copy-on-write copy.
  v1::NodeResult tampered = Run(
      "def main():\n"
      "    __builtins__['__import__'] = lambda *a, **k: 'tampered'\n"
      "    del __builtins__['len']\n"
      "    return {}\n");
  ASSERT_EQ(tampered.status(), v1::NODE_SUCCEEDED) << tampered.DebugString();
  v1::NodeResult blocked = Run("import os\ndef main():\n    return {}\n");
  EXPECT_EQ(blocked.error().code(), v1::RUNTIME_ERROR) << blocked.DebugString();
  EXPECT_NE(blocked.error().message().find("Module \"os\" is not allowed"), std::string::npos)
      << blocked.DebugString();
  v1::NodeResult allowed =
      Run("import json\ndef main():\n    return {'n': len(json.dumps([1]))}\n", 5000, {"n"});
  ASSERT_EQ(allowed.status(), v1::NODE_SUCCEEDED) << allowed.DebugString();
  EXPECT_EQ(JsonOf(allowed.outputs().at("n")), "3");
}

TEST_F(PythonZygoteTest, JobStartsWithDefaultSignalsAndOneConsistentThread) {
  // Signal dispositions are reset once in the zygote, not in every job,
  // and threading's after-fork hook is not registered there: the job must
  // still see no blocked, ignored or caught signal, and threading must
  // know exactly the one thread it runs on.
  const std::string code =
      "import random\n"
      "threading = random._os.sys.modules['threading']\n"
      "def main():\n"
      "    masks = {}\n"
      "    with open('/proc/self/status') as status:\n"
      "        for line in status:\n"
      "            key, _, value = line.partition(':')\n"
      "            if key in ('SigBlk', 'SigIgn', 'SigCgt'):\n"
      "                masks[key] = int(value, 16)\n"
      "    lock = threading.Lock()\n"
      "    with lock:\n"
      "        pass\n"
      "    return {'masks': masks, 'threads': threading.active_count(),\n"
      "            'main': threading.current_thread() is threading.main_thread(),\n"
      "            'ident': threading.get_ident() == threading.main_thread().ident}\n";
  // threading is no module a job may import, but allowed modules hand it
  // out (the guard is guidance, not the boundary: harness.py).
  v1::NodeResult result = Run(code, 5000, {"masks", "threads", "main", "ident"});
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(JsonOf(result.outputs().at("masks")), "{\"SigBlk\":0,\"SigCgt\":0,\"SigIgn\":0}");
  EXPECT_EQ(JsonOf(result.outputs().at("threads")), "1");
  EXPECT_EQ(JsonOf(result.outputs().at("main")), "true");
  EXPECT_EQ(JsonOf(result.outputs().at("ident")), "true");
}

TEST_F(PythonZygoteTest, TimeoutKillsTheJobNotTheZygote) {
  ASSERT_EQ(Run("def main():\n    return {}\n").status(), v1::NODE_SUCCEEDED);
  const pid_t zygote = ZygotePid();
  v1::NodeResult result = Run("def main():\n    while True:\n        pass\n", 300);
  EXPECT_EQ(result.error().code(), v1::TIMEOUT) << result.DebugString();
  EXPECT_EQ(ZygotePid(), zygote);
  EXPECT_EQ(Run("def main():\n    return {}\n").status(), v1::NODE_SUCCEEDED);
}

TEST_F(PythonZygoteTest, DeadZygoteIsReplacedAndOnlyItsJobFails) {
  ASSERT_EQ(Run("def main():\n    return {}\n").status(), v1::NODE_SUCCEEDED);
  pid_t zygote = ZygotePid();
  ASSERT_EQ(::kill(zygote, SIGKILL), 0);
  // Killed between jobs: the next job gets a new zygote.
  v1::NodeResult after_idle_death = Run("def main():\n    return {}\n");
  EXPECT_EQ(after_idle_death.status(), v1::NODE_SUCCEEDED) << after_idle_death.DebugString();
  const pid_t replacement = ZygotePid();
  EXPECT_NE(replacement, zygote);

  // Killed during a job: that job fails as the worker's failure, the job
  // process dies with its zygote, and the next job runs.
  std::thread killer([replacement] {
    absl::SleepFor(absl::Milliseconds(300));
    ::kill(replacement, SIGKILL);
  });
  v1::NodeResult during = Run("import time\ndef main():\n    time.sleep(3)\n    return {}\n");
  killer.join();
  EXPECT_EQ(during.error().code(), v1::INTERNAL) << during.DebugString();
  EXPECT_EQ(Run("def main():\n    return {}\n").status(), v1::NODE_SUCCEEDED);
}

class RecycledZygoteTest : public PythonZygoteTest {
 protected:
  RecycledZygoteTest() : PythonZygoteTest(/*max_jobs=*/2) {}
};

TEST_F(RecycledZygoteTest, ZygoteIsReplacedAfterItsJobQuota) {
  ASSERT_EQ(Run("def main():\n    return {}\n").status(), v1::NODE_SUCCEEDED);
  const pid_t first = ZygotePid();  // the lease itself starts no job
  ASSERT_EQ(Run("def main():\n    return {}\n").status(), v1::NODE_SUCCEEDED);
  // Two jobs served: the next lease gets a fresh zygote (a new hash seed).
  EXPECT_NE(ZygotePid(), first);
}

}  // namespace
}  // namespace flowgrid::job
