// run::Replay — rebuilds a run's Execution from its persisted events, so
// that a new scheduler process can take over a run the previous one left
// unfinished.
//
// The Execution is deterministic: fed the same job results and timers in
// the same order, it takes the same steps. Replay starts a fresh Execution
// (built from the run's stored workflow, inputs and system values) and
// feeds it, in sequence order, the outside happenings the history records:
// each node_finished / node_retry of a job becomes that job's result, each
// node_started that follows a retry interval fires that retry's timer, each
// run_resumed is an earlier Resume. Every event the Execution emits must
// match the next persisted one (kind, node, scope, attempt, status,
// branch); the history of another workflow, or a gap, is an error naming
// the event. Nothing runs during a replay: no job is dispatched, no timer
// set.
#ifndef FLOWGRID_SCHEDULER_RUN_REPLAY_H_
#define FLOWGRID_SCHEDULER_RUN_REPLAY_H_

#include <vector>

#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"
#include "scheduler/run/execution.h"

namespace flowgrid::run {

// Replays `history` (the run's persisted events, in sequence order) into
// `execution`, which must be new (Start not called), then resumes it
// (Execution::Resume with `resumed`). Returns the step the shell must carry
// out: first the events the history lacks because the last persisted step
// was cut short (without their jobs: those are in flight like the others),
// then Resume's run_resumed, node_started events, jobs and timers. Empty
// if the history already led to the run's end, apart from the events it
// lacked. FailedPrecondition, naming the event, when the history does not
// follow from the execution.
absl::StatusOr<Step> ReplayAndResume(Execution& execution,
                                     const std::vector<v1::RunEvent>& history,
                                     v1::RunResumed resumed);

}  // namespace flowgrid::run

#endif  // FLOWGRID_SCHEDULER_RUN_REPLAY_H_
