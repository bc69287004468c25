#include "scheduler/graph/node_limits.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// start → code "work" (asking for `limits`) → end.
std::shared_ptr<const Plan> PlanAsking(const v1::Limits& limits) {
  v1::Workflow wf;
  wf.add_nodes()->set_id("start");
  wf.mutable_nodes(0)->mutable_start();
  v1::Node* work = wf.add_nodes();
  work->set_id("work");
  work->mutable_code()->set_language(v1::CodeNode::PYTHON3);
  work->mutable_code()->set_code("def main():\n    return {}\n");
  *work->mutable_limits() = limits;
  wf.add_nodes()->set_id("end");
  wf.mutable_nodes(2)->mutable_end();
  for (auto [from, to] : {std::pair{"start", "work"}, std::pair{"work", "end"}}) {
    v1::Edge* edge = wf.add_edges();
    edge->set_source(from);
    edge->set_target(to);
  }
  CompileResult compiled = Plan::Compile(wf);
  EXPECT_THAT(compiled.diagnostics, IsEmpty());
  return compiled.plan;
}

v1::Limits Maxima() {
  v1::Limits maxima;
  maxima.set_timeout_ms(60'000);
  maxima.set_memory_bytes(1 << 30);
  maxima.set_max_processes(64);
  maxima.set_max_output_bytes(4 << 20);
  return maxima;
}

std::vector<std::string> Messages(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) out.push_back(FormatDiagnostic(d));
  return out;
}

TEST(NodeLimits, AsksWithinTheMaximaAndDefaultsPass) {
  v1::Limits within;
  within.set_timeout_ms(60'000);  // the maximum itself is allowed
  within.set_memory_bytes(64 << 20);
  EXPECT_THAT(CheckNodeLimits(*PlanAsking(within), Maxima()), IsEmpty());
  EXPECT_THAT(CheckNodeLimits(*PlanAsking(v1::Limits()), Maxima()), IsEmpty());
}

TEST(NodeLimits, EveryLimitAboveItsMaximumIsNamed) {
  v1::Limits greedy;
  greedy.set_timeout_ms(60'001);
  greedy.set_memory_bytes(int64_t{2} << 30);
  greedy.set_max_processes(65);
  greedy.set_max_output_bytes(-1);
  EXPECT_THAT(
      Messages(CheckNodeLimits(*PlanAsking(greedy), Maxima())),
      ElementsAre("node work: limits.timeout_ms: 60001 is above this cluster's maximum of 60000",
                  "node work: limits.memory_bytes: 2147483648 is above this cluster's maximum "
                  "of 1073741824",
                  "node work: limits.max_processes: 65 is above this cluster's maximum of 64",
                  "node work: limits.max_output_bytes: must not be negative (got -1)"));
}

TEST(NodeLimits, ZeroMaximumMeansUnbounded) {
  v1::Limits huge;
  huge.set_timeout_ms(int64_t{1} << 40);
  EXPECT_THAT(CheckNodeLimits(*PlanAsking(huge), v1::Limits()), IsEmpty());
}

}  // namespace
}  // namespace flowgrid::graph
