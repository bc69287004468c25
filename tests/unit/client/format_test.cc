#include "client/cli/format.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ValueMap SampleOutputs() {
  ValueMap outputs;
  outputs["greeting"] = StringValue("Hello, World!");
  outputs["n"] = IntValue(9223372036854775807);
  v1::Value list;
  *list.mutable_list_value()->add_items() = DoubleValue(2.5);
  *list.mutable_list_value()->add_items() = BoolValue(true);
  outputs["xs"] = list;
  return outputs;
}

TEST(FormatOutputsTest, TableHasOneAlignedRowPerOutputSortedByName) {
  absl::StatusOr<std::string> table = FormatOutputs(SampleOutputs(), OutputFormat::kTable);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(*table,
            "greeting  \"Hello, World!\"\n"
            "n         9223372036854775807\n"
            "xs        [2.5,true]\n");
}

TEST(FormatOutputsTest, JsonIsOneObjectWithExactIntegers) {
  absl::StatusOr<std::string> json = FormatOutputs(SampleOutputs(), OutputFormat::kJson);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, "{\"greeting\":\"Hello, World!\",\"n\":9223372036854775807,\"xs\":[2.5,true]}\n");
}

TEST(FormatOutputsTest, NoOutputs) {
  EXPECT_EQ(FormatOutputs({}, OutputFormat::kTable).value(), "");
  EXPECT_EQ(FormatOutputs({}, OutputFormat::kJson).value(), "{}\n");
}

TEST(FormatOutputsTest, NonFiniteNumberNamesTheOutput) {
  ValueMap outputs;
  outputs["ratio"] = DoubleValue(std::numeric_limits<double>::infinity());
  absl::StatusOr<std::string> table = FormatOutputs(outputs, OutputFormat::kTable);
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("output ratio"));
}

v1::RunEvent EventAt(int64_t sequence, absl::Duration since_epoch) {
  v1::RunEvent event;
  event.set_run_id("r-1");
  event.set_sequence(sequence);
  int64_t nanos = absl::ToInt64Nanoseconds(since_epoch);
  event.mutable_time()->set_seconds(nanos / 1'000'000'000);
  event.mutable_time()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  return event;
}

TEST(ProgressPrinterTest, SuccessfulRun) {
  ProgressPrinter printer;
  v1::RunEvent started = EventAt(1, absl::Seconds(100));
  started.mutable_run_started();
  EXPECT_EQ(printer.OnEvent(started), "run r-1 started\n");

  v1::RunEvent node_started = EventAt(2, absl::Seconds(100) + absl::Milliseconds(5));
  node_started.mutable_node_started()->set_node_id("greet");
  node_started.mutable_node_started()->set_attempt(1);
  EXPECT_EQ(printer.OnEvent(node_started), "[greet] started\n");

  v1::RunEvent node_finished = EventAt(3, absl::Seconds(100) + absl::Milliseconds(17));
  v1::NodeFinished* finished = node_finished.mutable_node_finished();
  finished->set_node_id("greet");
  finished->mutable_result()->set_status(v1::NODE_SUCCEEDED);
  finished->mutable_result()->set_stdout("line one\nline two\n");
  finished->mutable_result()->add_warnings("output \"extra\" is not declared");
  finished->mutable_result()->mutable_usage()->set_wall_us(10'160);
  EXPECT_EQ(printer.OnEvent(node_finished),
            "[greet] stdout | line one\n"
            "[greet] stdout | line two\n"
            "[greet] warning: output \"extra\" is not declared\n"
            "[greet] succeeded in 12.0ms (ran 10.2ms)\n");

  v1::RunEvent run_finished = EventAt(4, absl::Seconds(101) + absl::Milliseconds(500));
  run_finished.mutable_run_finished()->set_status(v1::RUN_SUCCEEDED);
  EXPECT_EQ(printer.OnEvent(run_finished), "run r-1 finished: SUCCEEDED in 1.50s\n");
}

TEST(ProgressPrinterTest, FailedNodeShowsErrorAndIndentedTraceback) {
  ProgressPrinter printer;
  v1::RunEvent node_started = EventAt(2, absl::Seconds(10));
  node_started.mutable_node_started()->set_node_id("divide");
  node_started.mutable_node_started()->set_attempt(2);
  EXPECT_EQ(printer.OnEvent(node_started), "[divide] started (attempt 2)\n");

  v1::RunEvent node_finished = EventAt(3, absl::Seconds(10) + absl::Milliseconds(3));
  v1::NodeResult* result = node_finished.mutable_node_finished()->mutable_result();
  node_finished.mutable_node_finished()->set_node_id("divide");
  result->set_status(v1::NODE_FAILED);
  result->set_stderr("oops");
  result->set_stderr_truncated(true);
  result->mutable_error()->set_code(v1::RUNTIME_ERROR);
  result->mutable_error()->set_message("ZeroDivisionError: division by zero");
  result->mutable_error()->set_traceback(
      "Traceback (most recent call last):\n  File \"<code>\", line 3, in main\n");
  EXPECT_EQ(printer.OnEvent(node_finished),
            "[divide] stderr | oops\n"
            "[divide] stderr truncated\n"
            "[divide] failed in 3.0ms: RUNTIME_ERROR: ZeroDivisionError: division by zero\n"
            "    Traceback (most recent call last):\n"
            "      File \"<code>\", line 3, in main\n");
}

TEST(ProgressPrinterTest, FinishWithoutSeenStartShowsOnlyTheWorkerWallTime) {
  ProgressPrinter printer;
  v1::RunEvent node_finished = EventAt(7, absl::Seconds(10));
  node_finished.mutable_node_finished()->set_node_id("late");
  node_finished.mutable_node_finished()->mutable_result()->set_status(v1::NODE_SUCCEEDED);
  node_finished.mutable_node_finished()->mutable_result()->mutable_usage()->set_wall_us(2500);
  EXPECT_EQ(printer.OnEvent(node_finished), "[late] succeeded (ran 2.5ms)\n");
}

TEST(ProgressPrinterTest, InstantNodeShowsZeroMilliseconds) {
  ProgressPrinter printer;
  v1::RunEvent node_started = EventAt(2, absl::Seconds(10));
  node_started.mutable_node_started()->set_node_id("start");
  printer.OnEvent(node_started);
  v1::RunEvent node_finished = EventAt(3, absl::Seconds(10));
  node_finished.mutable_node_finished()->set_node_id("start");
  node_finished.mutable_node_finished()->mutable_result()->set_status(v1::NODE_SUCCEEDED);
  EXPECT_EQ(printer.OnEvent(node_finished), "[start] succeeded in 0.0ms\n");
}

TEST(ProgressPrinterTest, SkippedAndRetriedNodes) {
  ProgressPrinter printer;
  v1::RunEvent skipped = EventAt(5, absl::Seconds(1));
  skipped.mutable_node_finished()->set_node_id("branch");
  skipped.mutable_node_finished()->mutable_result()->set_status(v1::NODE_SKIPPED);
  EXPECT_EQ(printer.OnEvent(skipped), "[branch] skipped\n");

  v1::RunEvent retry = EventAt(6, absl::Seconds(1));
  retry.mutable_node_retry()->set_node_id("flaky");
  retry.mutable_node_retry()->set_attempt(1);
  retry.mutable_node_retry()->mutable_error()->set_code(v1::TIMEOUT);
  retry.mutable_node_retry()->mutable_error()->set_message("exceeded 10s");
  EXPECT_EQ(printer.OnEvent(retry), "[flaky] attempt 1 failed, retrying: TIMEOUT: exceeded 10s\n");
}

TEST(DescribeRunFailureTest, NamesNodeAndError) {
  v1::RunFinished finished;
  finished.set_status(v1::RUN_FAILED);
  finished.set_failed_node_id("divide");
  finished.mutable_error()->set_code(v1::RUNTIME_ERROR);
  finished.mutable_error()->set_message("ZeroDivisionError: division by zero");
  finished.mutable_error()->set_traceback("  File \"<code>\", line 3, in main");
  EXPECT_EQ(DescribeRunFailure("r-9", finished, /*with_traceback=*/false),
            "run r-9 FAILED at node divide: RUNTIME_ERROR: ZeroDivisionError: division by zero\n");
  EXPECT_THAT(DescribeRunFailure("r-9", finished, /*with_traceback=*/true),
              HasSubstr("\n      File \"<code>\", line 3, in main\n"));
}

TEST(DescribeRunFailureTest, CancelledRunWithoutNode) {
  v1::RunFinished finished;
  finished.set_status(v1::RUN_CANCELLED);
  std::string text = DescribeRunFailure("r-2", finished, /*with_traceback=*/true);
  EXPECT_EQ(text, "run r-2 CANCELLED\n");
  EXPECT_THAT(text, Not(HasSubstr("at node")));
}

TEST(FormatDiagnosticsTest, OneLinePerDiagnostic) {
  v1::ValidateWorkflowResponse response;
  v1::Diagnostic* cycle = response.add_diagnostics();
  cycle->set_node_id("a");
  cycle->set_field("edges");
  cycle->set_message("cycle a -> b -> a");
  v1::Diagnostic* global = response.add_diagnostics();
  global->set_message("no end node");
  EXPECT_EQ(FormatDiagnostics(response),
            "node a: edges: cycle a -> b -> a\n"
            "workflow: no end node\n");
}

TEST(StatusTextTest, DropsEnumPrefixes) {
  EXPECT_EQ(RunStatusText(v1::RUN_PARTIAL_SUCCEEDED), "PARTIAL_SUCCEEDED");
  EXPECT_EQ(NodeStatusText(v1::NODE_EXCEPTION), "EXCEPTION");
  EXPECT_EQ(ErrorCodeText(v1::MEMORY_LIMIT), "MEMORY_LIMIT");
}

}  // namespace
}  // namespace flowgrid::cli
