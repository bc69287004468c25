// run::Execution — one run's state machine.
//
// It takes events (start, a job finished, a timer fired, cancel) and returns
// the actions the shell must carry out (dispatch or cancel jobs, set
// timers, emit events). No threads, no I/O and no clocks inside: every
// graph semantic is testable as a plain function of its inputs. Not
// thread-safe; the owner serializes calls.
//
// Semantics (Dify's):
// - A node becomes ready when none of its incoming edges is still unknown
//   and at least one was taken (OR-join); when every incoming edge was
//   skipped, the node is skipped and skip propagates downstream.
// - start, end, answer, if-else, variable-aggregator and assigner nodes are
//   evaluated here; code and template nodes become jobs; iteration and loop
//   nodes run their sub-graphs in frames (one per item or round).
// - A failing node is retried (max_retries, interval_ms), then its error
//   strategy applies: NONE fails the enclosing graph (the run, or the
//   iteration/loop around it), FAIL_BRANCH takes the "fail-branch" edges,
//   DEFAULT_VALUE continues with the declared defaults. A run with handled
//   failures ends PARTIAL_SUCCEEDED.
// - The first end node reached gives the run's outputs; without one, the
//   answers of answer nodes, joined, are the output "answer".
#ifndef FLOWGRID_SCHEDULER_RUN_EXECUTION_H_
#define FLOWGRID_SCHEDULER_RUN_EXECUTION_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/value_json.h"
#include "flowgrid/v1/worker.pb.h"
#include "flowgrid/v1/workflow.pb.h"
#include "scheduler/graph/plan.h"

namespace flowgrid::run {

// A job that must run on a worker. `task` names the node's execution in
// one frame; each retry of it is a new `attempt`.
struct JobRequest {
  int task;
  int attempt;
  int node;  // global node index in the plan
  v1::Job::Kind kind;
  ValueMap inputs;  // real values, secrets included
};

struct JobRef {
  int task;
  int attempt;
  bool operator==(const JobRef&) const = default;
};

// Call OnTimer(timer) after delay_ms. The timer starts `task` again (a
// retry after its interval).
struct TimerRequest {
  int timer;
  int delay_ms;
  int task;
};

// Where a task runs: its node (global index) and, inside iterations and
// loops, the enclosing rounds (as in the task's events).
struct TaskPlace {
  int node;
  v1::NodeScope scope;
};

// What the shell must do after one call. Events carry no run id, sequence
// number or time: the shell stamps them.
struct Step {
  std::vector<JobRequest> jobs;
  std::vector<JobRef> cancelled_jobs;
  std::vector<TimerRequest> timers;
  std::vector<v1::RunEvent> events;
};

struct ExecutionOptions {
  // Node executions allowed in one run (nested ones count) before it fails.
  int max_steps = 500;
  // Items of a parallel iteration in flight when parallel_nums is 0.
  int default_parallel_nums = 10;
};

class Execution {
 public:
  // `inputs` are the start node's values, already checked (CheckRunInputs);
  // `system` the values of ["sys", name] selectors.
  Execution(std::shared_ptr<const graph::Plan> plan, ValueMap inputs, ValueMap system = {},
            ExecutionOptions options = {});
  ~Execution();

  // Emits run_started and runs everything that is ready.
  Step Start();

  // A job ended. Results for a job that is not running, or for another
  // attempt, are ignored (empty step): they are stale.
  Step OnJobFinished(JobRef job, const v1::NodeResult& result);

  // A timer set by an earlier step fired (unknown timers are ignored).
  Step OnTimer(int timer);

  // Stops the run: running jobs are cancelled and the run ends CANCELLED.
  Step Cancel(absl::string_view reason);

  // Ends the run FAILED with `error` (e.g. its maximum run time passed).
  Step Abort(const v1::NodeError& error);

  // The shell lost every job and timer of this run (its process stopped)
  // and took the run over again: emits run_resumed, starts every job that
  // was in flight again as a new attempt (node_started follows; the lost
  // attempt does not use up a retry, and its result is stale from now on)
  // and sets every pending retry timer again. Empty once finished.
  Step Resume(v1::RunResumed resumed);

  // Where `task` (of a JobRequest or TimerRequest) runs.
  TaskPlace PlaceOf(int task) const;

  bool finished() const { return status_ != v1::RUN_RUNNING && status_ != v1::RUN_PENDING; }
  v1::RunStatus status() const { return status_; }
  const graph::Plan& plan() const { return *plan_; }

 private:
  struct Frame;
  struct Container;
  struct Task {
    int frame;
    int node;
  };

  Frame& frame(int f) { return *frames_[f]; }
  int NewFrame(int scope, int parent, int round, v1::Value item);
  void Visit(int f, int node, Step& step);
  void RunNode(int f, int node, Step& step);
  void Dispatch(int f, int node, Step& step);
  void StartIteration(int f, int node, Step& step);
  void LaunchIterationItems(int f, int node, Step& step);
  void StartLoop(int f, int node, Step& step);
  void NextLoopRound(int f, int node, Step& step);
  void Succeed(int f, int node, ValueMap outputs, const std::string& branch, Step& step,
               v1::NodeResult result = {});
  void Skip(int f, int node, Step& step);
  void TakeEdges(int f, int node, const std::vector<std::string>& handles, Step& step);
  void Fail(int f, int node, const v1::NodeError& error, Step& step, v1::NodeResult result = {});
  void FailFrame(int f, const v1::NodeError& error, const std::string& node_id, Step& step);
  void FrameDone(int f, Step& step);
  void CheckFrameDone(int f, Step& step);
  void CancelFrame(int f, Step& step);
  void FailRun(Step& step, const v1::NodeError& error, std::string failed_node_id);
  void Finish(Step& step, v1::RunFinished finished);

  // Variable lookup from inside frame `f`. `masked` hides secret
  // environment variables (for events and history).
  v1::Value Resolve(int f, const google::protobuf::RepeatedPtrField<std::string>& selector,
                    bool masked) const;
  ValueMap ResolveBindings(int f,
                           const google::protobuf::RepeatedPtrField<v1::VariableBinding>& bindings,
                           bool masked) const;
  v1::NodeScope ScopeOf(int f) const;
  void Emit(Step& step, v1::RunEvent event, int f) const;
  // node_started with the node's current attempt and (masked) inputs.
  void EmitStarted(int f, int node, Step& step) const;
  Container* ContainerAt(int f, int node);
  int EnclosingLoopFrame(int f, int loop_node) const;

  std::shared_ptr<const graph::Plan> plan_;
  ValueMap inputs_;
  ValueMap system_;
  ExecutionOptions options_;
  v1::RunStatus status_ = v1::RUN_PENDING;
  std::vector<std::unique_ptr<Frame>> frames_;
  std::vector<Task> tasks_;
  absl::flat_hash_map<int, JobRef> retry_timers_;  // timer -> job to re-dispatch
  int next_timer_ = 1;
  int steps_ = 0;
  bool handled_failures_ = false;
  std::optional<ValueMap> end_outputs_;
  std::vector<std::string> answers_;
};

}  // namespace flowgrid::run

#endif  // FLOWGRID_SCHEDULER_RUN_EXECUTION_H_
