// How a supervised outcome becomes a NodeResult, without running anything.
#include <signal.h>

#include "gtest/gtest.h"
#include "worker/job/job_runner.h"
#include "worker/job/utf8.h"

namespace flowgrid::job {
namespace {

struct VerdictCase {
  std::string name;
  sandbox::SupervisedOutcome outcome;
  v1::NodeStatus status;
  v1::ErrorCode code;
  std::string message;
};

sandbox::SupervisedOutcome Exited(int code, std::string result = "") {
  sandbox::SupervisedOutcome outcome;
  outcome.exited = true;
  outcome.exit_code = code;
  outcome.result = std::move(result);
  return outcome;
}

sandbox::SupervisedOutcome Signaled(int signal_number) {
  sandbox::SupervisedOutcome outcome;
  outcome.term_signal = signal_number;
  return outcome;
}

TEST(VerdictTest, Table) {
  // Killed by the CPU rlimit's hard limit (pid 1 ignores SIGXCPU).
  sandbox::SupervisedOutcome cpu_exhausted = Signaled(SIGKILL);
  cpu_exhausted.cpu = absl::Seconds(2);
  sandbox::SupervisedOutcome killed_early = Signaled(SIGKILL);
  killed_early.cpu = absl::Milliseconds(300);
  sandbox::SupervisedOutcome timed_out = Signaled(SIGKILL);
  timed_out.timed_out = true;
  sandbox::SupervisedOutcome cancelled = Signaled(SIGKILL);
  cancelled.cancelled = true;
  sandbox::SupervisedOutcome too_large = Exited(0, "{");
  too_large.result_too_large = true;

  const std::vector<VerdictCase> cases = {
      {"success", Exited(0, R"({"ok":true,"result":{"a":1}})"), v1::NODE_SUCCEEDED,
       v1::ERROR_CODE_UNSPECIFIED, ""},
      {"a reply decides whatever the exit", Exited(1, R"({"ok":true,"result":{"a":1}})"),
       v1::NODE_SUCCEEDED, v1::ERROR_CODE_UNSPECIFIED, ""},
      {"contract failure", Exited(0, R"({"ok":true,"result":{}})"), v1::NODE_FAILED,
       v1::INVALID_RESULT, "Output a is missing."},
      {"timeout", timed_out, v1::NODE_FAILED, v1::TIMEOUT, "Execution timed out after 250 ms"},
      {"cancel wins over timeout", [&] { auto o = timed_out; o.cancelled = true; return o; }(),
       v1::NODE_FAILED, v1::CANCELLED, "Job was cancelled."},
      {"cancelled", cancelled, v1::NODE_FAILED, v1::CANCELLED, "Job was cancelled."},
      {"result too large", too_large, v1::NODE_FAILED, v1::RESULT_TOO_LARGE,
       "The result is larger than 64 bytes."},
      {"forged garbage on the result channel", Exited(0, "not json"), v1::NODE_FAILED,
       v1::INVALID_RESULT, ""},
      {"cpu limit", Signaled(SIGXCPU), v1::NODE_FAILED, v1::CPU_LIMIT,
       "CPU time limit of 2 s exceeded"},
      {"cpu limit's hard kill", cpu_exhausted, v1::NODE_FAILED, v1::CPU_LIMIT,
       "CPU time limit of 2 s exceeded"},
      {"killed before the cpu limit", killed_early, v1::NODE_FAILED, v1::RUNTIME_ERROR,
       "The process was killed by signal 9 (SIGKILL) before returning a result."},
      {"forbidden system call", Signaled(SIGSYS), v1::NODE_FAILED, v1::SANDBOX_VIOLATION,
       "The sandbox stopped a forbidden system call (the process was killed by SIGSYS)."},
      {"file size limit", Signaled(SIGXFSZ), v1::NODE_FAILED, v1::OUTPUT_LIMIT,
       "File size limit of 16777216 bytes exceeded"},
      {"crash", Signaled(SIGSEGV), v1::NODE_FAILED, v1::RUNTIME_ERROR,
       "The process was killed by signal 11 (SIGSEGV) before returning a result."},
      {"exit without result", Exited(3), v1::NODE_FAILED, v1::RUNTIME_ERROR,
       "The process exited with code 3 without a result."},
  };
  v1::Job job;
  job.mutable_limits()->set_timeout_ms(250);
  (*job.mutable_outputs())["a"].set_kind(v1::Type::NUMBER);
  for (const VerdictCase& c : cases) {
    SCOPED_TRACE(c.name);
    v1::NodeResult result = NodeResultFromOutcome(job, c.outcome, 64);
    EXPECT_EQ(result.status(), c.status);
    EXPECT_EQ(result.error().code(), c.code);
    if (!c.message.empty()) {
      EXPECT_EQ(result.error().message(), c.message);
    }
  }
}

TEST(VerdictTest, KindDecidesWhatASuccessfulReplyMustHold) {
  v1::Job job;
  (*job.mutable_outputs())["a"].set_kind(v1::Type::NUMBER);

  job.set_kind(v1::Job::CHECK_CODE);
  v1::NodeResult result = NodeResultFromOutcome(job, Exited(0, R"({"ok":true,"result":{}})"), 64);
  EXPECT_EQ(result.status(), v1::NODE_SUCCEEDED);
  EXPECT_EQ(result.outputs_size(), 0);

  job.set_kind(v1::Job::RENDER_TEMPLATE);
  result = NodeResultFromOutcome(job, Exited(0, R"({"ok":true,"result":{"output":"hi"}})"), 64);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("output").string_value(), "hi");
  EXPECT_FALSE(result.outputs().contains("a"));
  result = NodeResultFromOutcome(job, Exited(0, R"({"ok":true,"result":{"output":3}})"), 64);
  EXPECT_EQ(result.error().code(), v1::INVALID_RESULT);
  EXPECT_EQ(result.error().message(), "output must be string, got number");
}

TEST(VerdictTest, OutputAndUsageAreAlwaysReported) {
  sandbox::SupervisedOutcome outcome = Signaled(SIGSEGV);
  outcome.stdout_text = "partial \xE2\x82";  // a cut-off euro sign
  outcome.stdout_truncated = true;
  outcome.stderr_text = "boom";
  outcome.wall = absl::Milliseconds(12);
  outcome.cpu = absl::Milliseconds(7);
  outcome.peak_rss_bytes = 4096;
  v1::NodeResult result = NodeResultFromOutcome(v1::Job(), outcome, 64);
  EXPECT_EQ(result.stdout(), "partial \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(result.stdout_truncated());
  EXPECT_EQ(result.stderr(), "boom");
  EXPECT_EQ(result.usage().wall_us(), 12000);
  EXPECT_EQ(result.usage().cpu_us(), 7000);
  EXPECT_EQ(result.usage().peak_memory_bytes(), 4096);
}

TEST(Utf8Test, ValidTextIsUnchangedInvalidBytesAreReplaced) {
  EXPECT_EQ(ToValidUtf8("héllo €𝄞"), "héllo €𝄞");
  EXPECT_EQ(ToValidUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");        // overlong
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

}  // namespace
}  // namespace flowgrid::job
