// The job runner's sandbox setup metric on each way a job's process starts:
// a fresh process, a Python zygote's fork, a pooled node process — real
// interpreters, in this binary under the kernel sandbox.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/worker/job_testing.h"
#include "tests/unit/worker/metrics_testing.h"
#include "worker/job/job_runner.h"
#include "worker/metrics/worker_metrics.h"
#include "worker/runtimes/node/node_pool.h"
#include "worker/runtimes/node/node_runtime.h"
#include "worker/runtimes/python/zygote_client.h"
#include "worker/sandbox/kernel_sandbox.h"

namespace flowgrid::job {
namespace {

using metrics::Observed;

constexpr char kPython[] = "def main():\n    return {}\n";
constexpr char kJavaScript[] = "function main() { return {}; }";

class JobMetricsTest : public ::testing::Test {
 protected:
  JobMetricsTest() { options_.metrics = &metrics_; }

  // Runs `job` and expects success.
  void RunOk(const v1::Job& job) {
    const v1::NodeResult result = JobRunner(options_).Run(job, -1);
    EXPECT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  }

  prometheus::ClientMetric::Histogram Setup(const std::string& language) {
    return Observed(registry_, "flowgrid_worker_sandbox_setup_seconds", {{"language", language}});
  }

  prometheus::Registry registry_;
  metrics::WorkerMetrics metrics_{registry_, 1};
  JobRunnerOptions options_;
};

TEST_F(JobMetricsTest, AFreshProcessRecordsItsSetupUnderItsRuntime) {
  RunOk(MakeJob(v1::CodeNode::PYTHON3, kPython));
  RunOk(MakeJob(v1::CodeNode::JAVASCRIPT, kJavaScript));
  // A template runs on Python.
  const v1::NodeResult rendered =
      JobRunner(options_).Run(MakeJob(v1::CodeNode::LANGUAGE_UNSPECIFIED, "{{ 1 + 1 }}",
                                      v1::Job::RENDER_TEMPLATE),
                              -1);
  EXPECT_EQ(rendered.status(), v1::NODE_SUCCEEDED) << rendered.DebugString();
  EXPECT_EQ(Setup("python3").sample_count, 2u);
  EXPECT_GT(Setup("python3").sample_sum, 0);
  EXPECT_EQ(Setup("javascript").sample_count, 1u);
  EXPECT_GT(Setup("javascript").sample_sum, 0);
}

TEST_F(JobMetricsTest, AJobThatStartsNoProcessRecordsNoSetup) {
  const v1::NodeResult result =
      JobRunner(options_).Run(MakeJob(v1::CodeNode::LANGUAGE_UNSPECIFIED, kPython), -1);
  EXPECT_EQ(result.error().code(), v1::INVALID_INPUT) << result.DebugString();
  EXPECT_EQ(Setup("python3").sample_count, 0u);
  EXPECT_EQ(Setup("javascript").sample_count, 0u);
  EXPECT_FALSE(metrics::Sample(registry_, "flowgrid_worker_sandbox_setup_seconds",
                               {{"language", "unspecified"}})
                   .has_value());
}

TEST_F(JobMetricsTest, AZygotesForkRecordsItsSetup) {
  runtimes::python::ZygoteOptions zygote_options;
  zygote_options.binary = FLOWGRID_PYTHON_ZYGOTE_BINARY;
  zygote_options.isolated = sandbox::ActiveKernelSandbox() != nullptr;
  runtimes::python::PythonZygotes zygotes(zygote_options);
  options_.python_zygotes = &zygotes;
  RunOk(MakeJob(v1::CodeNode::PYTHON3, kPython));
  RunOk(MakeJob(v1::CodeNode::PYTHON3, kPython));
  EXPECT_EQ(Setup("python3").sample_count, 2u);
  EXPECT_GT(Setup("python3").sample_sum, 0);
}

TEST_F(JobMetricsTest, APooledNodeProcessRecordsItsSetup) {
  // The pool runs the program of the job's memory limit.
  constexpr int64_t kMemory = int64_t{256} << 20;
  runtimes::node::NodePool pool(1, runtimes::node::NodeProgram("/usr/bin/node", kMemory));
  options_.node_pool = &pool;
  ASSERT_TRUE(pool.WaitUntilReady(absl::Seconds(20)));
  v1::Job job = MakeJob(v1::CodeNode::JAVASCRIPT, kJavaScript);
  job.mutable_limits()->set_memory_bytes(kMemory);
  RunOk(job);
  EXPECT_EQ(pool.stats().hits, 1);
  EXPECT_EQ(Setup("javascript").sample_count, 1u);
  EXPECT_GT(Setup("javascript").sample_sum, 0);
}

}  // namespace
}  // namespace flowgrid::job
