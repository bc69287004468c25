#include "scheduler/run/execution.h"

#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "common/value_types.h"

namespace flowgrid::run {
namespace {

v1::RunEvent NodeStartedEvent(const std::string& node_id, int attempt, const ValueMap& inputs) {
  v1::RunEvent event;
  v1::NodeStarted* started = event.mutable_node_started();
  started->set_node_id(node_id);
  started->set_attempt(attempt);
  *started->mutable_inputs() = inputs;
  return event;
}

v1::RunEvent NodeFinishedEvent(const std::string& node_id, int attempt, const ValueMap& inputs,
                               v1::NodeResult result) {
  v1::RunEvent event;
  v1::NodeFinished* finished = event.mutable_node_finished();
  finished->set_node_id(node_id);
  finished->set_attempt(attempt);
  *finished->mutable_inputs() = inputs;
  *finished->mutable_result() = std::move(result);
  return event;
}

}  // namespace

Execution::Execution(std::shared_ptr<const graph::Plan> plan, ValueMap inputs,
                     ExecutionOptions options)
    : plan_(std::move(plan)),
      inputs_(std::move(inputs)),
      options_(options),
      edges_(plan_->edges().size(), EdgeState::kUnknown),
      nodes_(plan_->size(), NodeState::kPending),
      attempts_(plan_->size(), 0),
      outputs_(plan_->size()),
      node_inputs_(plan_->size()),
      open_nodes_(plan_->size()) {}

Step Execution::Start() {
  Step step;
  status_ = v1::RUN_RUNNING;
  v1::RunEvent started;
  *started.mutable_run_started()->mutable_inputs() = inputs_;
  step.events.push_back(std::move(started));
  RunNode(plan_->start_node(), step);
  return step;
}

Step Execution::OnJobFinished(int node, int attempt, const v1::NodeResult& result) {
  Step step;
  if (finished() || node < 0 || node >= plan_->size() ||
      nodes_[node] != NodeState::kRunning || attempts_[node] != attempt) {
    return step;
  }
  const std::string& id = plan_->node(node).id();
  step.events.push_back(NodeFinishedEvent(id, attempt, node_inputs_[node], result));
  if (result.status() == v1::NODE_SUCCEEDED) {
    outputs_[node] = result.outputs();
    Complete(node, step);
  } else {
    nodes_[node] = NodeState::kFailed;
    --open_nodes_;
    v1::NodeError error = result.error();
    if (error.code() == v1::ERROR_CODE_UNSPECIFIED) error.set_code(v1::INTERNAL);
    FailRun(step, error, id);
  }
  return step;
}

Step Execution::Cancel(absl::string_view reason) {
  Step step;
  if (finished()) return step;
  step.cancelled_nodes = RunningNodes();
  v1::RunFinished finished;
  finished.set_status(v1::RUN_CANCELLED);
  finished.mutable_error()->set_code(v1::CANCELLED);
  finished.mutable_error()->set_message(
      absl::StrCat("run cancelled", reason.empty() ? "" : ": ", reason));
  Finish(step, std::move(finished));
  return step;
}

// Decides a pending node once all of its incoming edges are known.
void Execution::Visit(int node, Step& step) {
  if (finished() || nodes_[node] != NodeState::kPending) return;
  bool any_taken = false;
  for (int e : plan_->incoming(node)) {
    if (edges_[e] == EdgeState::kUnknown) return;
    any_taken |= edges_[e] == EdgeState::kTaken;
  }
  if (any_taken) {
    RunNode(node, step);
  } else {
    Skip(node, step);
  }
}

void Execution::RunNode(int node, Step& step) {
  if (++steps_ > options_.max_steps) {
    v1::NodeError error;
    error.set_code(v1::INTERNAL);
    error.set_message(absl::StrCat("run exceeded the maximum of ", options_.max_steps,
                                   " steps"));
    FailRun(step, error, plan_->node(node).id());
    return;
  }
  const v1::Node& def = plan_->node(node);
  attempts_[node] = 1;
  if (def.has_code()) {
    nodes_[node] = NodeState::kRunning;
    node_inputs_[node] = ResolveBindings(def.code().inputs());
    step.events.push_back(NodeStartedEvent(def.id(), 1, node_inputs_[node]));
    step.jobs.push_back({node, 1, node_inputs_[node]});
    return;
  }
  // Start and end nodes are evaluated in place.
  v1::NodeResult result;
  result.set_status(v1::NODE_SUCCEEDED);
  if (def.has_start()) {
    outputs_[node] = inputs_;
  } else if (def.has_end()) {
    node_inputs_[node] = ResolveBindings(def.end().outputs());
    outputs_[node] = node_inputs_[node];
    if (reached_end_ < 0) reached_end_ = node;
  }
  *result.mutable_outputs() = outputs_[node];
  step.events.push_back(NodeStartedEvent(def.id(), 1, node_inputs_[node]));
  step.events.push_back(NodeFinishedEvent(def.id(), 1, node_inputs_[node], std::move(result)));
  Complete(node, step);
}

void Execution::Complete(int node, Step& step) {
  nodes_[node] = NodeState::kSucceeded;
  --open_nodes_;
  for (int e : plan_->outgoing(node)) {
    edges_[e] = plan_->edges()[e].handle == graph::kSourceHandle ? EdgeState::kTaken
                                                                 : EdgeState::kSkipped;
  }
  for (int e : plan_->outgoing(node)) Visit(plan_->edges()[e].target, step);
  FinishIfDone(step);
}

void Execution::Skip(int node, Step& step) {
  nodes_[node] = NodeState::kSkipped;
  --open_nodes_;
  for (int e : plan_->outgoing(node)) edges_[e] = EdgeState::kSkipped;
  for (int e : plan_->outgoing(node)) Visit(plan_->edges()[e].target, step);
  FinishIfDone(step);
}

void Execution::FailRun(Step& step, const v1::NodeError& error, std::string failed_node_id) {
  step.cancelled_nodes = RunningNodes();
  v1::RunFinished finished;
  finished.set_status(v1::RUN_FAILED);
  *finished.mutable_error() = error;
  finished.set_failed_node_id(std::move(failed_node_id));
  Finish(step, std::move(finished));
}

void Execution::FinishIfDone(Step& step) {
  if (finished() || open_nodes_ > 0) return;
  v1::RunFinished finished;
  finished.set_status(v1::RUN_SUCCEEDED);
  if (reached_end_ >= 0) *finished.mutable_outputs() = outputs_[reached_end_];
  Finish(step, std::move(finished));
}

void Execution::Finish(Step& step, v1::RunFinished finished) {
  status_ = finished.status();
  v1::RunEvent event;
  *event.mutable_run_finished() = std::move(finished);
  step.events.push_back(std::move(event));
}

ValueMap Execution::ResolveBindings(
    const google::protobuf::RepeatedPtrField<v1::VariableBinding>& bindings) const {
  ValueMap values;
  for (const v1::VariableBinding& binding : bindings) {
    values[binding.name()] = Resolve(binding.selector());
  }
  return values;
}

// A selector whose node was skipped, or whose path does not exist, gives
// null — as in Dify, where such a variable is None.
v1::Value Execution::Resolve(const google::protobuf::RepeatedPtrField<std::string>& selector) const {
  int source = plan_->IndexOf(selector[0]);
  if (source < 0 || nodes_[source] != NodeState::kSucceeded) return NullValue();
  auto it = outputs_[source].find(selector[1]);
  if (it == outputs_[source].end()) return NullValue();
  std::vector<std::string> path(selector.begin() + 2, selector.end());
  absl::StatusOr<v1::Value> value = LookupPath(it->second, path);
  return value.ok() ? *std::move(value) : NullValue();
}

std::vector<int> Execution::RunningNodes() const {
  std::vector<int> running;
  for (int v = 0; v < plan_->size(); ++v) {
    if (nodes_[v] == NodeState::kRunning) running.push_back(v);
  }
  return running;
}

}  // namespace flowgrid::run
