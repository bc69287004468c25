// run::Execution — one run's state machine.
//
// It takes events (start, a job finished, cancel) and returns the actions
// the shell must carry out (dispatch jobs, cancel jobs, emit events). No
// threads, no I/O and no clocks inside: every graph semantic is testable as
// a plain function of its inputs. Not thread-safe; the owner serializes
// calls.
//
// Semantics (Dify's): a node becomes ready when none of its incoming edges
// is still unknown and at least one was taken (OR-join); when every incoming
// edge is skipped the node is skipped and skip propagates downstream. Start
// and end nodes are evaluated here; code nodes become jobs. A failed code
// node fails the run (error strategies come with the workflow engine).
#ifndef FLOWGRID_SCHEDULER_RUN_EXECUTION_H_
#define FLOWGRID_SCHEDULER_RUN_EXECUTION_H_

#include <memory>
#include <string>
#include <vector>

#include "common/value_json.h"
#include "flowgrid/v1/workflow.pb.h"
#include "scheduler/graph/plan.h"

namespace flowgrid::run {

// A code node that must run on a worker.
struct JobRequest {
  int node;
  int attempt;  // 1 for the first attempt
  ValueMap inputs;
};

// What the shell must do after one call. Events carry no run id, sequence
// number or time: the shell stamps them.
struct Step {
  std::vector<JobRequest> jobs;
  // Code nodes whose running jobs are no longer wanted.
  std::vector<int> cancelled_nodes;
  std::vector<v1::RunEvent> events;
};

struct ExecutionOptions {
  // Node executions allowed in one run before it fails.
  int max_steps = 500;
};

class Execution {
 public:
  // `inputs` are the start node's values, already checked (CheckRunInputs).
  Execution(std::shared_ptr<const graph::Plan> plan, ValueMap inputs,
            ExecutionOptions options = {});

  // Emits run_started and runs everything that is ready.
  Step Start();

  // A job of `node` ended. Results for a node that is not running, or for
  // another attempt, are ignored (empty step): they are stale.
  Step OnJobFinished(int node, int attempt, const v1::NodeResult& result);

  // Stops the run: running jobs are cancelled and the run ends CANCELLED.
  Step Cancel(absl::string_view reason);

  bool finished() const { return status_ != v1::RUN_RUNNING && status_ != v1::RUN_PENDING; }
  v1::RunStatus status() const { return status_; }
  const graph::Plan& plan() const { return *plan_; }

 private:
  enum class EdgeState { kUnknown, kTaken, kSkipped };
  enum class NodeState { kPending, kRunning, kSucceeded, kFailed, kSkipped };

  void Visit(int node, Step& step);
  void RunNode(int node, Step& step);
  void Complete(int node, Step& step);
  void Skip(int node, Step& step);
  void FailRun(Step& step, const v1::NodeError& error, std::string failed_node_id);
  void FinishIfDone(Step& step);
  void Finish(Step& step, v1::RunFinished finished);
  ValueMap ResolveBindings(
      const google::protobuf::RepeatedPtrField<v1::VariableBinding>& bindings) const;
  v1::Value Resolve(const google::protobuf::RepeatedPtrField<std::string>& selector) const;
  std::vector<int> RunningNodes() const;

  std::shared_ptr<const graph::Plan> plan_;
  ValueMap inputs_;
  ExecutionOptions options_;
  v1::RunStatus status_ = v1::RUN_PENDING;
  std::vector<EdgeState> edges_;
  std::vector<NodeState> nodes_;
  std::vector<int> attempts_;
  // The variable pool: each finished node's outputs.
  std::vector<ValueMap> outputs_;
  std::vector<ValueMap> node_inputs_;
  int open_nodes_;  // not yet succeeded, failed or skipped
  int steps_ = 0;
  int reached_end_ = -1;
};

}  // namespace flowgrid::run

#endif  // FLOWGRID_SCHEDULER_RUN_EXECUTION_H_
