#include "scheduler/engine/plan_cache.h"

#include "gtest/gtest.h"
#include "tests/unit/scheduler/workflow_builder.h"

namespace flowgrid::engine {
namespace {

using flowgrid::testing::WorkflowBuilder;

std::shared_ptr<const graph::Plan> Compile(const v1::Workflow& workflow) {
  graph::CompileResult result = graph::Plan::Compile(workflow);
  EXPECT_TRUE(result.diagnostics.empty());
  return result.plan;
}

v1::Workflow Named(const std::string& end_id) {
  return WorkflowBuilder().Start("s").End(end_id).Edge("s", end_id).Build();
}

TEST(PlanCache, FindsThePlanOfAnEqualWorkflow) {
  PlanCache cache;
  v1::Workflow workflow = Named("e");
  auto plan = Compile(workflow);
  cache.Insert(CanonicalBytes(workflow), plan);
  EXPECT_EQ(cache.Find(CanonicalBytes(Named("e"))), plan);
  EXPECT_EQ(cache.Find(CanonicalBytes(Named("other"))), nullptr);
}

TEST(PlanCache, DropsTheOldestBeyondItsCount) {
  PlanCache cache(/*max_plans=*/2);
  for (const char* id : {"a", "b", "c"}) cache.Insert(CanonicalBytes(Named(id)), Compile(Named(id)));
  EXPECT_EQ(cache.Find(CanonicalBytes(Named("a"))), nullptr);
  EXPECT_NE(cache.Find(CanonicalBytes(Named("b"))), nullptr);
  EXPECT_NE(cache.Find(CanonicalBytes(Named("c"))), nullptr);
}

TEST(PlanCache, DropsTheOldestBeyondItsBytes) {
  std::string a = CanonicalBytes(Named("a"));
  PlanCache cache(/*max_plans=*/10, /*max_bytes=*/a.size() * 2);
  for (const char* id : {"a", "b", "c"}) cache.Insert(CanonicalBytes(Named(id)), Compile(Named(id)));
  EXPECT_EQ(cache.Find(a), nullptr);
  EXPECT_NE(cache.Find(CanonicalBytes(Named("c"))), nullptr);
}

TEST(PlanCache, AWorkflowLargerThanTheBudgetIsNotKept) {
  std::string key = CanonicalBytes(Named("a"));
  PlanCache cache(/*max_plans=*/10, /*max_bytes=*/key.size() - 1);
  cache.Insert(key, Compile(Named("a")));
  EXPECT_EQ(cache.Find(key), nullptr);
}

}  // namespace
}  // namespace flowgrid::engine
