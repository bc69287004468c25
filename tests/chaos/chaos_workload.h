// The chaos test's workload: one small workflow whose outputs are a
// deterministic function of each run's inputs, so every SUCCEEDED run can
// be checked exactly.
//
//   start(x, label) → mix (Python: `work` rounds of an LCG seeded by x,
//   outputs h and route = "js" when h % 4 == 0, else "py")
//   → route (if-else on mix.route)
//       "js":  shout (JavaScript: sleeps js_sleep_ms, word = LABEL#(h % 1000003))
//       false: tail  (Python: `work` rounds of a second LCG from h,
//                     word = label:value)
//   → pick (aggregator of shout.word / tail.word) → end(h, route, word)
//
// The code nodes are busy for tens of milliseconds, so killed workers take
// jobs with them; a quarter of the runs take the JavaScript branch.
#ifndef FLOWGRID_TESTS_CHAOS_CHAOS_WORKLOAD_H_
#define FLOWGRID_TESTS_CHAOS_CHAOS_WORKLOAD_H_

#include <cstdint>
#include <string>

#include "common/value_json.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::chaos {

struct WorkloadOptions {
  // LCG rounds of each Python node (about 10-30 ms at 40000).
  int work = 40000;
  int js_sleep_ms = 30;
};

v1::Workflow ChaosWorkflow(const WorkloadOptions& options);

// The inputs of run number `index` (distinct per index).
ValueMap RunInputs(int index);

struct ExpectedOutputs {
  int64_t h = 0;
  std::string route;
  std::string word;
};

// What the end node of ChaosWorkflow(options) outputs for RunInputs(index).
ExpectedOutputs Expected(int index, const WorkloadOptions& options);

}  // namespace flowgrid::chaos

#endif  // FLOWGRID_TESTS_CHAOS_CHAOS_WORKLOAD_H_
