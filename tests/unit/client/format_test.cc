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

TEST(ProgressPrinterTest, ResumedRunSaysAfterWhichEvent) {
  ProgressPrinter printer;
  v1::RunEvent resumed = EventAt(7, absl::Seconds(10));
  resumed.mutable_run_resumed()->set_after_sequence(6);
  resumed.mutable_run_resumed()->set_reason("the scheduler restarted");
  EXPECT_EQ(printer.OnEvent(resumed), "run r-1 resumed after event 6: the scheduler restarted\n");
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
  retry.mutable_node_retry()->set_retry_in_ms(250);
  EXPECT_EQ(printer.OnEvent(retry),
            "[flaky] attempt 1 failed, retrying in 250.0ms: TIMEOUT: exceeded 10s\n");
}

TEST(ScopedNodeLabelTest, TopLevelNestedAndDeeplyNested) {
  v1::NodeScope scope;
  EXPECT_EQ(ScopedNodeLabel("inner", scope), "inner");
  v1::NodeScope::Level* iter = scope.add_levels();
  iter->set_node_id("iter");
  iter->set_index(2);
  EXPECT_EQ(ScopedNodeLabel("inner", scope), "iter/inner #2");
  v1::NodeScope nested;
  nested.add_levels()->set_node_id("outer");
  *nested.add_levels() = *iter;
  EXPECT_EQ(ScopedNodeLabel("inner", nested), "outer/iter/inner #0.2");
}

TEST(ProgressPrinterTest, ScopedRoundsAreTimedApartAndBranchesShown) {
  ProgressPrinter printer;
  // Rounds 0 and 1 of the same inner node overlap (a parallel iteration):
  // each is timed from its own start.
  v1::RunEvent start0 = EventAt(2, absl::Seconds(10));
  start0.mutable_node_started()->set_node_id("inner");
  start0.mutable_node_started()->mutable_scope()->add_levels()->set_node_id("iter");
  v1::RunEvent start1 = EventAt(3, absl::Seconds(10) + absl::Milliseconds(4));
  *start1.mutable_node_started() = start0.node_started();
  start1.mutable_node_started()->mutable_scope()->mutable_levels(0)->set_index(1);
  EXPECT_EQ(printer.OnEvent(start0), "[iter/inner #0] started\n");
  EXPECT_EQ(printer.OnEvent(start1), "[iter/inner #1] started\n");

  v1::RunEvent done1 = EventAt(4, absl::Seconds(10) + absl::Milliseconds(10));
  done1.mutable_node_finished()->set_node_id("inner");
  *done1.mutable_node_finished()->mutable_scope() = start1.node_started().scope();
  done1.mutable_node_finished()->mutable_result()->set_status(v1::NODE_SUCCEEDED);
  EXPECT_EQ(printer.OnEvent(done1), "[iter/inner #1] succeeded in 6.0ms\n");
  v1::RunEvent done0 = done1;
  done0.set_sequence(5);
  *done0.mutable_node_finished()->mutable_scope() = start0.node_started().scope();
  EXPECT_EQ(printer.OnEvent(done0), "[iter/inner #0] succeeded in 10.0ms\n");

  v1::RunEvent branch = EventAt(6, absl::Seconds(11));
  branch.mutable_node_finished()->set_node_id("check");
  branch.mutable_node_finished()->set_branch("false");
  branch.mutable_node_finished()->mutable_result()->set_status(v1::NODE_SUCCEEDED);
  EXPECT_EQ(printer.OnEvent(branch), "[check] succeeded, branch \"false\"\n");
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

google::protobuf::Timestamp At(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp time;
  time.set_seconds(seconds);
  time.set_nanos(nanos);
  return time;
}

// 1700000000 is 2023-11-14 22:13:20 UTC.
v1::Run FinishedRun() {
  v1::Run run;
  run.set_run_id("r-1");
  run.set_workflow_name("hello");
  run.set_status(v1::RUN_FAILED);
  *run.mutable_created_at() = At(1700000000);
  *run.mutable_finished_at() = At(1700000001, 250'000'000);
  (*run.mutable_inputs())["name"] = StringValue("Ada");
  run.mutable_error()->set_code(v1::RUNTIME_ERROR);
  run.mutable_error()->set_message("ValueError: bad");
  run.set_failed_node_id("greet");
  v1::NodeExecution* start = run.add_nodes();
  start->set_node_id("start");
  start->set_attempt(1);
  start->mutable_result()->set_status(v1::NODE_SUCCEEDED);
  (*start->mutable_result()->mutable_outputs())["name"] = StringValue("Ada");
  v1::NodeExecution* greet = run.add_nodes();
  greet->set_node_id("greet");
  greet->set_attempt(2);
  (*greet->mutable_inputs())["name"] = StringValue("Ada");
  v1::NodeResult* result = greet->mutable_result();
  result->set_status(v1::NODE_FAILED);
  result->mutable_usage()->set_wall_us(12'340);
  result->set_stdout("hi\n");
  result->mutable_error()->set_code(v1::RUNTIME_ERROR);
  result->mutable_error()->set_message("ValueError: bad");
  result->mutable_error()->set_traceback("  File \"<code>\", line 2, in main\nValueError: bad\n");
  return run;
}

TEST(FormatRunListTest, TableRowsAndNextPageHint) {
  v1::ListRunsResponse response;
  *response.add_runs() = FinishedRun();
  v1::Run* running = response.add_runs();
  running->set_run_id("r-22");
  running->set_workflow_name("diamond");
  running->set_status(v1::RUN_RUNNING);
  *running->mutable_created_at() = At(1700000060);
  response.set_next_page_token("21");
  EXPECT_EQ(FormatRunList(response, OutputFormat::kTable).value(),
            "RUN ID  WORKFLOW  STATUS   CREATED (UTC)        DURATION\n"
            "r-1     hello     FAILED   2023-11-14 22:13:20  1.25s\n"
            "r-22    diamond   RUNNING  2023-11-14 22:14:20  -\n"
            "next page: --page_token=21\n");
  response.clear_next_page_token();
  EXPECT_THAT(FormatRunList(response, OutputFormat::kTable).value(), Not(HasSubstr("next page")));
  EXPECT_EQ(FormatRunList(v1::ListRunsResponse{}, OutputFormat::kTable).value(), "no runs\n");
}

TEST(FormatRunListTest, JsonHasRunsWithoutNodesAndTheToken) {
  v1::ListRunsResponse response;
  *response.add_runs() = FinishedRun();
  response.set_next_page_token("21");
  absl::StatusOr<v1::Value> parsed =
      ParseValueJson(FormatRunList(response, OutputFormat::kJson).value());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto& top = parsed->object_value().fields();
  EXPECT_EQ(top.at("next_page_token").string_value(), "21");
  const auto& run = top.at("runs").list_value().items(0).object_value().fields();
  EXPECT_EQ(run.at("run_id").string_value(), "r-1");
  EXPECT_EQ(run.at("status").string_value(), "FAILED");
  EXPECT_EQ(run.at("created_at").string_value(), "2023-11-14T22:13:20+00:00");
  EXPECT_EQ(run.at("finished_at").string_value(), "2023-11-14T22:13:21.25+00:00");
  EXPECT_EQ(run.at("inputs").object_value().fields().at("name").string_value(), "Ada");
  EXPECT_EQ(run.at("error").object_value().fields().at("code").string_value(), "RUNTIME_ERROR");
  EXPECT_FALSE(run.contains("nodes"));
}

TEST(FormatRunTest, TableShowsFieldsValuesAndEveryNodeWithDetails) {
  EXPECT_EQ(FormatRun(FinishedRun(), OutputFormat::kTable).value(),
            "run       r-1\n"
            "workflow  hello\n"
            "status    FAILED\n"
            "created   2023-11-14 22:13:20 UTC\n"
            "finished  2023-11-14 22:13:21 UTC (took 1.25s)\n"
            "error     RUNTIME_ERROR: ValueError: bad (node greet)\n"
            "inputs:\n"
            "  name  \"Ada\"\n"
            "outputs:\n"
            "  (none)\n"
            "nodes:\n"
            "  NODE   ATTEMPT  STATUS     DURATION\n"
            "  start  1        SUCCEEDED  -\n"
            "  greet  2        FAILED     12.3ms\n"
            "    error: RUNTIME_ERROR: ValueError: bad\n"
            "          File \"<code>\", line 2, in main\n"
            "        ValueError: bad\n"
            "    stdout | hi\n");
}

TEST(FormatRunTest, JsonHasEveryNodeExecution) {
  absl::StatusOr<v1::Value> parsed =
      ParseValueJson(FormatRun(FinishedRun(), OutputFormat::kJson).value());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto& nodes = parsed->object_value().fields().at("nodes").list_value();
  ASSERT_EQ(nodes.items_size(), 2);
  const auto& greet = nodes.items(1).object_value().fields();
  EXPECT_EQ(greet.at("node_id").string_value(), "greet");
  EXPECT_EQ(greet.at("attempt").int_value(), 2);
  const auto& result = greet.at("result").object_value().fields();
  EXPECT_EQ(result.at("status").string_value(), "FAILED");
  EXPECT_EQ(result.at("wall_us").int_value(), 12340);
  EXPECT_EQ(result.at("stdout").string_value(), "hi\n");
  EXPECT_THAT(result.at("error").object_value().fields().at("traceback").string_value(),
              HasSubstr("line 2"));
  EXPECT_EQ(nodes.items(0).object_value().fields().at("result").object_value().fields()
                .at("error").kind_case(),
            v1::Value::kNullValue);
}

TEST(FormatRunNodeResultTest, TableWithBranchAndJson) {
  v1::RunNodeResponse response;
  response.set_branch("case_big");
  response.mutable_result()->set_status(v1::NODE_SUCCEEDED);
  (*response.mutable_result()->mutable_outputs())["result"] = BoolValue(true);
  EXPECT_EQ(FormatRunNodeResult("check", response, OutputFormat::kTable).value(),
            "node      check\n"
            "status    SUCCEEDED\n"
            "duration  -\n"
            "branch    case_big\n"
            "outputs:\n"
            "  result  true\n");
  absl::StatusOr<v1::Value> parsed =
      ParseValueJson(FormatRunNodeResult("check", response, OutputFormat::kJson).value());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto& fields = parsed->object_value().fields();
  EXPECT_EQ(fields.at("node_id").string_value(), "check");
  EXPECT_EQ(fields.at("branch").string_value(), "case_big");
  EXPECT_TRUE(fields.at("outputs").object_value().fields().at("result").bool_value());
}

TEST(FormatRunNodeResultTest, FailedCodeNodeShowsErrorAndOutput) {
  v1::RunNodeResponse response;
  v1::NodeResult* result = response.mutable_result();
  result->set_status(v1::NODE_FAILED);
  result->mutable_usage()->set_wall_us(1500);
  result->set_stderr("warn\n");
  result->add_warnings("output \"x\" is not declared");
  result->mutable_error()->set_code(v1::INVALID_RESULT);
  result->mutable_error()->set_message("Output y is missing.");
  EXPECT_EQ(FormatRunNodeResult("code", response, OutputFormat::kTable).value(),
            "node      code\n"
            "status    FAILED\n"
            "duration  1.5ms\n"
            "outputs:\n"
            "  (none)\n"
            "error: INVALID_RESULT: Output y is missing.\n"
            "stderr | warn\n"
            "warning: output \"x\" is not declared\n");
}

TEST(StatusTextTest, DropsEnumPrefixes) {
  EXPECT_EQ(RunStatusText(v1::RUN_PARTIAL_SUCCEEDED), "PARTIAL_SUCCEEDED");
  EXPECT_EQ(NodeStatusText(v1::NODE_EXCEPTION), "EXCEPTION");
  EXPECT_EQ(ErrorCodeText(v1::MEMORY_LIMIT), "MEMORY_LIMIT");
}

v1::ListWorkersResponse TwoWorkers() {
  v1::ListWorkersResponse response;
  v1::WorkerStatus* a = response.add_workers();
  a->set_worker_id("worker-1");
  a->set_peer("ipv4:127.0.0.1:4001");
  a->set_slots(2);
  a->set_free_slots(1);
  a->add_running_jobs("r-1/0/1");
  a->add_runtimes(v1::CodeNode::PYTHON3);
  a->add_runtimes(v1::CodeNode::JAVASCRIPT);
  a->set_state(v1::WorkerStatus::CONNECTED);
  *a->mutable_connected_at() = At(1700000000);
  *a->mutable_last_seen() = At(1700000058);
  v1::WorkerStatus* b = response.add_workers();
  b->set_worker_id("worker-2");
  b->set_peer("ipv4:127.0.0.1:4002");
  b->set_slots(4);
  b->add_runtimes(v1::CodeNode::PYTHON3);
  b->set_state(v1::WorkerStatus::DRAINING);
  *b->mutable_connected_at() = At(1700000010);
  *b->mutable_last_seen() = At(1700000060);
  return response;
}

TEST(FormatWorkerListTest, TableHasOneRowPerWorkerWithTheLastHeartbeatAge) {
  EXPECT_EQ(FormatWorkerList(TwoWorkers(), OutputFormat::kTable, absl::FromUnixSeconds(1700000060)),
            "WORKER    STATE      SLOTS  FREE  RUNNING  RUNTIMES            PEER                 "
            "CONNECTED (UTC)      LAST SEEN\n"
            "worker-1  CONNECTED  2      1     1        PYTHON3,JAVASCRIPT  ipv4:127.0.0.1:4001  "
            "2023-11-14 22:13:20  2s ago\n"
            "worker-2  DRAINING   4      0     0        PYTHON3             ipv4:127.0.0.1:4002  "
            "2023-11-14 22:13:30  0s ago\n");
  EXPECT_EQ(FormatWorkerList(v1::ListWorkersResponse{}, OutputFormat::kTable, absl::Now()),
            "no workers connected\n");
}

TEST(FormatWorkerListTest, JsonHasEveryFieldAndTheRunningJobs) {
  absl::StatusOr<v1::Value> parsed = ParseValueJson(
      FormatWorkerList(TwoWorkers(), OutputFormat::kJson, absl::FromUnixSeconds(1700000060)));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto& workers = parsed->object_value().fields().at("workers").list_value();
  ASSERT_EQ(workers.items_size(), 2);
  const auto& first = workers.items(0).object_value().fields();
  EXPECT_EQ(first.at("worker_id").string_value(), "worker-1");
  EXPECT_EQ(first.at("state").string_value(), "CONNECTED");
  EXPECT_EQ(first.at("slots").int_value(), 2);
  EXPECT_EQ(first.at("free_slots").int_value(), 1);
  EXPECT_EQ(first.at("running_jobs").list_value().items(0).string_value(), "r-1/0/1");
  EXPECT_EQ(first.at("runtimes").list_value().items(1).string_value(), "JAVASCRIPT");
  EXPECT_EQ(first.at("peer").string_value(), "ipv4:127.0.0.1:4001");
  EXPECT_EQ(first.at("connected_at").string_value(), "2023-11-14T22:13:20+00:00");
  EXPECT_EQ(first.at("last_seen").string_value(), "2023-11-14T22:14:18+00:00");
  EXPECT_EQ(workers.items(1).object_value().fields().at("state").string_value(), "DRAINING");
}

}  // namespace
}  // namespace flowgrid::cli
