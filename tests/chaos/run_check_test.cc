// The chaos test's verdict must catch each fault it claims to: a run that
// is right passes, and each kind of damage done to it is named.
#include "tests/chaos/run_check.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::chaos {
namespace {

using ::testing::HasSubstr;

constexpr int kIndex = 7;

// A correct log and record of run kIndex: run_started, then start, mix,
// route, the branch taken, the one skipped, pick and end, run_finished.
struct GoodRun {
  ExpectedOutputs expected;
  v1::Run record;
  std::vector<v1::RunEvent> events;

  GoodRun() {
    WorkloadOptions options;
    options.work = 100;  // the verdict does not depend on the amount of work
    expected = Expected(kIndex, options);
    record.set_run_id("r1");
    record.set_status(v1::RUN_SUCCEEDED);
    ValueMap& outputs = *record.mutable_outputs();
    outputs["h"] = IntValue(expected.h);
    outputs["route"] = StringValue(expected.route);
    outputs["word"] = StringValue(expected.word);

    Add().mutable_run_started();
    const std::string taken = expected.route == "js" ? "shout" : "tail";
    const std::string skipped = expected.route == "js" ? "tail" : "shout";
    for (const std::string node : {"start", "mix", "route", "pick", "end"}) {
      AddNode(node, v1::NODE_SUCCEEDED);
    }
    AddNode(taken, v1::NODE_SUCCEEDED);
    AddNode(skipped, v1::NODE_SKIPPED);
    (*record.mutable_nodes(1)->mutable_result()->mutable_outputs())["h"] = IntValue(expected.h);
    v1::RunFinished* finished = Add().mutable_run_finished();
    finished->set_status(v1::RUN_SUCCEEDED);
    *finished->mutable_outputs() = outputs;
  }

  v1::RunEvent& Add() {
    v1::RunEvent& event = events.emplace_back();
    event.set_run_id(record.run_id());
    event.set_sequence(static_cast<int64_t>(events.size()));
    return event;
  }

  void AddNode(const std::string& node_id, v1::NodeStatus status) {
    v1::NodeFinished* finished = Add().mutable_node_finished();
    finished->set_node_id(node_id);
    finished->mutable_result()->set_status(status);
    v1::NodeExecution* execution = record.add_nodes();
    execution->set_node_id(node_id);
    execution->mutable_result()->set_status(status);
  }

  // Turns the run into one that failed at `node` with `code`.
  void FailAt(const std::string& node, v1::ErrorCode code) {
    record.set_status(v1::RUN_FAILED);
    record.clear_outputs();
    record.mutable_error()->set_code(code);
    record.set_failed_node_id(node);
    for (v1::NodeExecution& execution : *record.mutable_nodes()) {
      if (execution.node_id() != node) continue;
      execution.mutable_result()->set_status(v1::NODE_FAILED);
      execution.mutable_result()->mutable_error()->set_code(code);
    }
    v1::RunFinished* finished = events.back().mutable_run_finished();
    finished->set_status(v1::RUN_FAILED);
    finished->clear_outputs();
    *finished->mutable_error() = record.error();
  }

  std::string Problems() const {
    return absl::StrJoin(CheckRun(expected, record, events).problems, "\n");
  }
};

TEST(ChaosRunCheck, ACorrectRunPasses) {
  GoodRun run;
  RunVerdict verdict = CheckRun(run.expected, run.record, run.events);
  EXPECT_TRUE(verdict.passed()) << absl::StrJoin(verdict.problems, "\n");
  EXPECT_EQ(verdict.status, v1::RUN_SUCCEEDED);
  EXPECT_FALSE(verdict.worker_lost);
  EXPECT_FALSE(verdict.resumed);
}

TEST(ChaosRunCheck, AResumedRunPassesAndSaysSo) {
  GoodRun run;
  v1::RunEvent resumed;
  resumed.set_run_id(run.record.run_id());
  resumed.mutable_run_resumed()->set_after_sequence(3);
  run.events.insert(run.events.begin() + 3, resumed);
  for (size_t i = 0; i < run.events.size(); ++i) {
    run.events[i].set_sequence(static_cast<int64_t>(i) + 1);
  }
  RunVerdict verdict = CheckRun(run.expected, run.record, run.events);
  EXPECT_TRUE(verdict.passed()) << absl::StrJoin(verdict.problems, "\n");
  EXPECT_TRUE(verdict.resumed);
}

TEST(ChaosRunCheck, WrongOutputsFail) {
  GoodRun run;
  (*run.record.mutable_outputs())["word"] = StringValue("wrong");
  (*run.events.back().mutable_run_finished()->mutable_outputs())["word"] = StringValue("wrong");
  EXPECT_THAT(run.Problems(), HasSubstr("output word is"));
}

TEST(ChaosRunCheck, AWrongNodeResultFailsEvenWhenTheEndIsRight) {
  GoodRun run;
  (*run.record.mutable_nodes(1)->mutable_result()->mutable_outputs())["h"] = IntValue(-1);
  EXPECT_THAT(run.Problems(), HasSubstr("node mix output h"));
}

TEST(ChaosRunCheck, ADuplicatedNodeResultFails) {
  GoodRun run;
  v1::RunEvent finished = run.events.back();
  run.events.pop_back();
  run.AddNode("mix", v1::NODE_SUCCEEDED);
  finished.set_sequence(static_cast<int64_t>(run.events.size()) + 1);
  run.events.push_back(finished);
  const std::string problems = run.Problems();
  EXPECT_THAT(problems, HasSubstr("node mix finished 2 times"));
  EXPECT_THAT(problems, HasSubstr("the record has node mix twice"));
}

TEST(ChaosRunCheck, TwoTerminalEventsFail) {
  GoodRun run;
  v1::RunEvent again = run.events.back();
  again.set_sequence(static_cast<int64_t>(run.events.size()) + 1);
  run.events.push_back(again);
  EXPECT_THAT(run.Problems(), HasSubstr("2 run_finished events"));
}

TEST(ChaosRunCheck, NoTerminalEventFails) {
  GoodRun run;
  run.events.pop_back();
  EXPECT_THAT(run.Problems(), HasSubstr("0 run_finished events"));
}

TEST(ChaosRunCheck, AnEventAfterTheEndFails) {
  GoodRun run;
  run.Add().mutable_node_retry()->set_node_id("mix");
  EXPECT_THAT(run.Problems(), HasSubstr("run_finished is not the last event"));
}

TEST(ChaosRunCheck, AGapInTheLogFails) {
  GoodRun run;
  run.events.erase(run.events.begin() + 2);
  EXPECT_THAT(run.Problems(), HasSubstr("has sequence"));
}

TEST(ChaosRunCheck, ALogDisagreeingWithTheRecordFails) {
  GoodRun run;
  run.record.set_status(v1::RUN_FAILED);
  EXPECT_THAT(run.Problems(), HasSubstr("run_finished says RUN_SUCCEEDED, the record RUN_FAILED"));
}

TEST(ChaosRunCheck, ANonTerminalRecordFails) {
  GoodRun run;
  run.record.set_status(v1::RUN_RUNNING);
  EXPECT_THAT(run.Problems(), HasSubstr("not terminal"));
}

TEST(ChaosRunCheck, ALostNodeResultFails) {
  GoodRun run;
  run.record.mutable_nodes()->RemoveLast();
  EXPECT_THAT(run.Problems(), HasSubstr("6 node executions, the log 7 node results"));
}

TEST(ChaosRunCheck, WorkerLostAtTheCapIsAllowed) {
  GoodRun run;
  run.FailAt("mix", v1::WORKER_LOST);
  RunVerdict verdict = CheckRun(run.expected, run.record, run.events);
  EXPECT_TRUE(verdict.passed()) << absl::StrJoin(verdict.problems, "\n");
  EXPECT_TRUE(verdict.worker_lost);
  EXPECT_EQ(verdict.error_code, v1::WORKER_LOST);
}

TEST(ChaosRunCheck, WorkerLostWithoutANodeSayingSoFails) {
  GoodRun run;
  run.FailAt("mix", v1::WORKER_LOST);
  run.record.set_failed_node_id("nowhere");
  EXPECT_THAT(run.Problems(), HasSubstr("has no WORKER_LOST result"));
}

TEST(ChaosRunCheck, AnyOtherFailureFails) {
  GoodRun run;
  run.FailAt("mix", v1::INTERNAL);
  RunVerdict verdict = CheckRun(run.expected, run.record, run.events);
  EXPECT_FALSE(verdict.passed());
  EXPECT_EQ(verdict.error_code, v1::INTERNAL);
  EXPECT_THAT(absl::StrJoin(verdict.problems, "\n"),
              HasSubstr("the run ended RUN_FAILED (INTERNAL at node mix)"));
}

TEST(ChaosRunCheck, CancelledFails) {
  GoodRun run;
  run.record.set_status(v1::RUN_CANCELLED);
  run.record.clear_outputs();
  v1::RunFinished* finished = run.events.back().mutable_run_finished();
  finished->set_status(v1::RUN_CANCELLED);
  finished->clear_outputs();
  EXPECT_THAT(run.Problems(), HasSubstr("the run ended RUN_CANCELLED"));
}

}  // namespace
}  // namespace flowgrid::chaos
