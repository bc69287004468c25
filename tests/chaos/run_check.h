// The chaos test's verdict on one finished run, from its record (GetRun)
// and its whole event log (WatchRun from sequence 0). A pure function, so
// that the checks themselves are unit-tested (run_check_test.cc).
//
// A run passes when
//  - its record is in a terminal state and its log holds sequences 1..n
//    with exactly one run_finished, the last event, agreeing with the
//    record (status and outputs);
//  - no (node, scope) has more than one node_finished, and the record has
//    one execution per node_finished (no duplicated or lost node result);
//  - it SUCCEEDED with exactly the expected outputs (end node and mix), or
//    it FAILED with WORKER_LOST on a node whose result says so — the one
//    infrastructure failure allowed, reached only after the scheduler's
//    delivery cap.
// Anything else (FAILED for another reason, CANCELLED, PARTIAL_SUCCEEDED)
// fails the run.
#ifndef FLOWGRID_TESTS_CHAOS_RUN_CHECK_H_
#define FLOWGRID_TESTS_CHAOS_RUN_CHECK_H_

#include <string>
#include <vector>

#include "flowgrid/v1/scheduler.pb.h"
#include "flowgrid/v1/workflow.pb.h"
#include "tests/chaos/chaos_workload.h"

namespace flowgrid::chaos {

struct RunVerdict {
  v1::RunStatus status = v1::RUN_STATUS_UNSPECIFIED;
  // The run's error code (ERROR_CODE_UNSPECIFIED when it has none).
  v1::ErrorCode error_code = v1::ERROR_CODE_UNSPECIFIED;
  // FAILED with WORKER_LOST: allowed, counted apart.
  bool worker_lost = false;
  // Its log has run_resumed: a restarted scheduler took it over.
  bool resumed = false;
  // Empty when the run passes; otherwise each one names what is wrong.
  std::vector<std::string> problems;

  bool passed() const { return problems.empty(); }
};

RunVerdict CheckRun(const ExpectedOutputs& expected, const v1::Run& record,
                    const std::vector<v1::RunEvent>& events);

}  // namespace flowgrid::chaos

#endif  // FLOWGRID_TESTS_CHAOS_RUN_CHECK_H_
