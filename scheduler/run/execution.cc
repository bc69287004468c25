#include "scheduler/run/execution.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/value_types.h"
#include "scheduler/run/assignment.h"
#include "scheduler/run/local_nodes.h"

namespace flowgrid::run {
namespace {

using Strings = google::protobuf::RepeatedPtrField<std::string>;

enum class EdgeState { kUnknown, kTaken, kSkipped };
enum class NodeState { kPending, kRunning, kSucceeded, kException, kFailed, kSkipped };

constexpr absl::string_view kMaskedSecret = "******";

v1::NodeError MakeError(v1::ErrorCode code, std::string message) {
  v1::NodeError error;
  error.set_code(code);
  error.set_message(std::move(message));
  return error;
}

}  // namespace

// An iteration or loop in progress.
struct Execution::Container {
  // Iteration.
  std::vector<v1::Value> items;
  size_t next = 0;
  int in_flight = 0;
  // Per item; nullopt for an item removed by REMOVE_ABNORMAL_OUTPUT.
  std::vector<std::optional<v1::Value>> results;
  // Loop.
  ValueMap variables;
  int round = 0;
  // Both.
  std::vector<int> child_frames;
  bool completed = false;
};

// One instance of a graph: the top level, or one item/round of a
// container's sub-graph. Vectors are indexed by the nodes' local indices
// and the scope's edge indices.
struct Execution::Frame {
  int scope;
  int parent;  // the frame holding the container; -1 for the top level
  int round;   // item index or loop round
  v1::Value item;
  std::vector<EdgeState> edges;
  std::vector<NodeState> states;
  std::vector<int> attempts;
  // Attempts lost with a previous scheduler process (see Resume): they do
  // not count against max_retries.
  std::vector<int> lost_attempts;
  std::vector<int> tasks;
  std::vector<ValueMap> outputs;
  std::vector<ValueMap> event_inputs;  // masked
  absl::flat_hash_map<int, std::unique_ptr<Container>> containers;
  int open;             // nodes not yet finished or skipped
  bool closed = false;  // completed, failed or abandoned: ignores results
};

Execution::Execution(std::shared_ptr<const graph::Plan> plan, ValueMap inputs, ValueMap system,
                     ExecutionOptions options)
    : plan_(std::move(plan)),
      inputs_(std::move(inputs)),
      system_(std::move(system)),
      options_(options) {}

Execution::~Execution() = default;

int Execution::NewFrame(int scope, int parent, int round, v1::Value item) {
  const graph::Scope& sc = plan_->scope(scope);
  auto fr = std::make_unique<Frame>();
  fr->scope = scope;
  fr->parent = parent;
  fr->round = round;
  fr->item = std::move(item);
  size_t n = sc.members.size();
  fr->edges.assign(sc.edges.size(), EdgeState::kUnknown);
  fr->states.assign(n, NodeState::kPending);
  fr->attempts.assign(n, 0);
  fr->lost_attempts.assign(n, 0);
  fr->tasks.assign(n, -1);
  fr->outputs.resize(n);
  fr->event_inputs.resize(n);
  fr->open = static_cast<int>(n);
  frames_.push_back(std::move(fr));
  return static_cast<int>(frames_.size()) - 1;
}

Step Execution::Start() {
  Step step;
  status_ = v1::RUN_RUNNING;
  v1::RunEvent started;
  *started.mutable_run_started()->mutable_inputs() = inputs_;
  step.events.push_back(std::move(started));
  int top = NewFrame(0, -1, 0, NullValue());
  RunNode(top, plan_->start_node(), step);
  return step;
}

Step Execution::OnJobFinished(JobRef job, const v1::NodeResult& result) {
  Step step;
  if (finished() || job.task < 0 || job.task >= static_cast<int>(tasks_.size())) return step;
  Task task = tasks_[job.task];
  Frame& fr = frame(task.frame);
  int local = plan_->local_index(task.node);
  if (fr.closed || fr.states[local] != NodeState::kRunning || fr.attempts[local] != job.attempt) {
    return step;
  }
  if (result.status() == v1::NODE_SUCCEEDED) {
    Succeed(task.frame, task.node, result.outputs(), "", step, result);
  } else {
    v1::NodeError error = result.error();
    if (error.code() == v1::ERROR_CODE_UNSPECIFIED) error.set_code(v1::INTERNAL);
    Fail(task.frame, task.node, error, step, result);
  }
  return step;
}

Step Execution::OnTimer(int timer) {
  Step step;
  auto it = retry_timers_.find(timer);
  if (it == retry_timers_.end()) return step;
  JobRef job = it->second;
  retry_timers_.erase(it);
  if (finished()) return step;
  Task task = tasks_[job.task];
  Frame& fr = frame(task.frame);
  int local = plan_->local_index(task.node);
  if (fr.closed || fr.states[local] != NodeState::kRunning || fr.attempts[local] != job.attempt) {
    return step;
  }
  RunNode(task.frame, task.node, step);
  return step;
}

Step Execution::Cancel(absl::string_view reason) {
  Step step;
  if (finished()) return step;
  for (int f = 0; f < static_cast<int>(frames_.size()); ++f) CancelFrame(f, step);
  v1::RunFinished finished;
  finished.set_status(v1::RUN_CANCELLED);
  *finished.mutable_error() = MakeError(
      v1::CANCELLED, absl::StrCat("run cancelled", reason.empty() ? "" : ": ", reason));
  Finish(step, std::move(finished));
  return step;
}

Step Execution::Abort(const v1::NodeError& error) {
  Step step;
  if (!finished()) FailRun(step, error, "");
  return step;
}

Step Execution::Resume(v1::RunResumed resumed) {
  Step step;
  if (finished()) return step;
  v1::RunEvent event;
  *event.mutable_run_resumed() = std::move(resumed);
  step.events.push_back(std::move(event));
  absl::flat_hash_set<int> waiting_for_timer;
  for (const auto& [timer, job] : retry_timers_) {
    waiting_for_timer.insert(job.task);
    step.timers.push_back(
        {timer, plan_->node(tasks_[job.task].node).retry().interval_ms(), job.task});
  }
  std::sort(step.timers.begin(), step.timers.end(),
            [](const TimerRequest& a, const TimerRequest& b) { return a.timer < b.timer; });
  // Frames and nodes in index order: replaying the same history resumes
  // the same way.
  for (int f = 0; f < static_cast<int>(frames_.size()); ++f) {
    Frame& fr = frame(f);
    if (fr.closed) continue;
    const graph::Scope& sc = plan_->scope(fr.scope);
    for (size_t local = 0; local < sc.members.size(); ++local) {
      int node = sc.members[local];
      const v1::Node& def = plan_->node(node);
      if (fr.states[local] != NodeState::kRunning || fr.tasks[local] < 0 ||
          !(def.has_code() || def.has_template_()) ||
          waiting_for_timer.contains(fr.tasks[local])) {
        continue;
      }
      ++fr.lost_attempts[local];
      Dispatch(f, node, step);
    }
  }
  return step;
}

TaskPlace Execution::PlaceOf(int task) const {
  const Task& t = tasks_.at(task);
  return {t.node, ScopeOf(t.frame)};
}

// Decides a pending node once all of its incoming edges are known.
void Execution::Visit(int f, int node, Step& step) {
  Frame& fr = frame(f);
  int local = plan_->local_index(node);
  if (finished() || fr.closed || fr.states[local] != NodeState::kPending) return;
  bool any_taken = false;
  for (int e : plan_->incoming(node)) {
    if (fr.edges[e] == EdgeState::kUnknown) return;
    any_taken |= fr.edges[e] == EdgeState::kTaken;
  }
  if (any_taken) {
    RunNode(f, node, step);
  } else {
    Skip(f, node, step);
  }
}

void Execution::RunNode(int f, int node, Step& step) {
  const v1::Node& def = plan_->node(node);
  Frame& fr = frame(f);
  int local = plan_->local_index(node);
  if (++steps_ > options_.max_steps) {
    FailRun(step,
            MakeError(v1::INTERNAL,
                      absl::StrCat("run exceeded the maximum of ", options_.max_steps, " steps")),
            def.id());
    return;
  }
  fr.states[local] = NodeState::kRunning;
  if (def.has_code() || def.has_template_()) {
    Dispatch(f, node, step);
    return;
  }
  if (def.has_iteration()) {
    StartIteration(f, node, step);
    return;
  }
  if (def.has_loop()) {
    StartLoop(f, node, step);
    return;
  }
  // Nodes evaluated in place: started and finished in the same step.
  fr.attempts[local] = 1;
  if (def.has_end()) {
    fr.event_inputs[local] = ResolveBindings(f, def.end().outputs(), /*masked=*/true);
  }
  EmitStarted(f, node, step);
  Resolver resolver = [&](const Strings& selector) {
    return Resolve(f, selector, /*masked=*/false);
  };
  ValueMap outputs;
  std::string branch;
  if (def.has_start()) {
    outputs = inputs_;
  } else if (def.has_end()) {
    outputs = ResolveBindings(f, def.end().outputs(), /*masked=*/false);
    if (!end_outputs_) end_outputs_ = outputs;
  } else if (def.has_answer()) {
    std::string answer = RenderReferences(def.answer().answer(), resolver);
    outputs["answer"] = StringValue(answer);
    answers_.push_back(std::move(answer));
  } else if (def.has_variable_aggregator()) {
    outputs = AggregateVariables(def.variable_aggregator(), resolver);
  } else if (def.has_if_else()) {
    absl::StatusOr<std::string> chosen = ChooseBranch(def.if_else(), resolver);
    if (!chosen.ok()) {
      Fail(f, node, MakeError(v1::INVALID_INPUT, std::string(chosen.status().message())), step);
      return;
    }
    branch = *std::move(chosen);
  } else if (def.has_assigner()) {
    for (int i = 0; i < def.assigner().items_size(); ++i) {
      const auto& item = def.assigner().items(i);
      int loop = plan_->IndexOf(item.variable_selector(0));
      int loop_frame = EnclosingLoopFrame(f, loop);
      Container* cr = ContainerAt(loop_frame, loop);
      const std::string& name = item.variable_selector(1);
      v1::Type type;
      for (const auto& var : plan_->node(loop).loop().loop_variables()) {
        if (var.name() == name) type = var.type();
      }
      v1::Value operand = item.value_selector_size() >= 2
                              ? Resolve(f, item.value_selector(), /*masked=*/false)
                              : item.value();
      absl::StatusOr<v1::Value> updated =
          ApplyAssignment(item.operation(), type, cr->variables[name], operand);
      if (!updated.ok()) {
        Fail(f, node,
             MakeError(v1::INVALID_INPUT, absl::StrCat("items[", i, "] (", name, " ",
                                                       item.operation(), "): ",
                                                       updated.status().message())),
             step);
        return;
      }
      cr->variables[name] = *std::move(updated);
    }
  }
  Succeed(f, node, std::move(outputs), branch, step);
}

void Execution::EmitStarted(int f, int node, Step& step) const {
  const Frame& fr = *frames_[f];
  int local = plan_->local_index(node);
  v1::RunEvent started;
  started.mutable_node_started()->set_node_id(plan_->node(node).id());
  started.mutable_node_started()->set_attempt(fr.attempts[local]);
  *started.mutable_node_started()->mutable_inputs() = fr.event_inputs[local];
  Emit(step, std::move(started), f);
}

void Execution::Dispatch(int f, int node, Step& step) {
  const v1::Node& def = plan_->node(node);
  Frame& fr = frame(f);
  int local = plan_->local_index(node);
  if (fr.tasks[local] < 0) {
    fr.tasks[local] = static_cast<int>(tasks_.size());
    tasks_.push_back({f, node});
  }
  int attempt = ++fr.attempts[local];
  const auto& bindings = def.has_code() ? def.code().inputs() : def.template_().variables();
  ValueMap inputs = ResolveBindings(f, bindings, /*masked=*/false);
  fr.event_inputs[local] = ResolveBindings(f, bindings, /*masked=*/true);
  EmitStarted(f, node, step);
  step.jobs.push_back({fr.tasks[local], attempt, node,
                       def.has_code() ? v1::Job::RUN_CODE : v1::Job::RENDER_TEMPLATE,
                       std::move(inputs)});
}

void Execution::StartIteration(int f, int node, Step& step) {
  const v1::Node& def = plan_->node(node);
  Frame& fr = frame(f);
  int local = plan_->local_index(node);
  ++fr.attempts[local];
  v1::Value iterator = Resolve(f, def.iteration().iterator_selector(), /*masked=*/false);
  fr.event_inputs[local].clear();
  fr.event_inputs[local]["iterator"] =
      Resolve(f, def.iteration().iterator_selector(), /*masked=*/true);
  EmitStarted(f, node, step);
  if (!iterator.has_list_value()) {
    Fail(f, node,
         MakeError(v1::INVALID_INPUT,
                   absl::StrCat("iterator_selector [",
                                absl::StrJoin(def.iteration().iterator_selector(), ", "),
                                "] must be an array, got ", ValueKindName(iterator))),
         step);
    return;
  }
  auto cr = std::make_unique<Container>();
  cr->items.assign(iterator.list_value().items().begin(), iterator.list_value().items().end());
  cr->results.resize(cr->items.size());
  fr.containers[local] = std::move(cr);
  LaunchIterationItems(f, node, step);
}

void Execution::LaunchIterationItems(int f, int node, Step& step) {
  const v1::IterationNode& it = plan_->node(node).iteration();
  Frame& fr = frame(f);
  int local = plan_->local_index(node);
  Container* cr = ContainerAt(f, node);
  int bound = it.parallel()
                  ? (it.parallel_nums() > 0 ? it.parallel_nums() : options_.default_parallel_nums)
                  : 1;
  while (!finished() && !fr.closed && fr.states[local] == NodeState::kRunning &&
         cr->in_flight < bound && cr->next < cr->items.size()) {
    int index = static_cast<int>(cr->next++);
    int child = NewFrame(plan_->child_scope(node), f, index, cr->items[index]);
    cr->child_frames.push_back(child);
    ++cr->in_flight;
    const graph::Scope& sc = plan_->scope(plan_->child_scope(node));
    for (int e : sc.entry_edges) frame(child).edges[e] = EdgeState::kTaken;
    for (int e : sc.entry_edges) Visit(child, sc.edges[e].target, step);
    // An item that finished or failed at once may have failed the
    // iteration, whose retry replaces this container (or leaves none).
    cr = ContainerAt(f, node);
    if (cr == nullptr) return;
  }
  if (finished() || fr.closed || fr.states[local] != NodeState::kRunning || cr->completed ||
      cr->next < cr->items.size() || cr->in_flight > 0) {
    return;
  }
  cr->completed = true;
  v1::Value output;
  auto* items = output.mutable_list_value()->mutable_items();
  for (const std::optional<v1::Value>& result : cr->results) {
    if (!result) continue;
    if (it.flatten_output() && result->has_list_value()) {
      for (const v1::Value& v : result->list_value().items()) *items->Add() = v;
    } else {
      *items->Add() = *result;
    }
  }
  ValueMap outputs;
  outputs["output"] = std::move(output);
  Succeed(f, node, std::move(outputs), "", step);
}

void Execution::StartLoop(int f, int node, Step& step) {
  const v1::Node& def = plan_->node(node);
  Frame& fr = frame(f);
  int local = plan_->local_index(node);
  ++fr.attempts[local];
  auto cr = std::make_unique<Container>();
  for (const auto& var : def.loop().loop_variables()) {
    cr->variables[var.name()] = var.value_selector_size() >= 2
                                    ? Resolve(f, var.value_selector(), /*masked=*/false)
                                    : var.value();
  }
  fr.event_inputs[local] = cr->variables;
  fr.containers[local] = std::move(cr);
  EmitStarted(f, node, step);
  NextLoopRound(f, node, step);
}

// Checks the break conditions (in the context of the round just finished,
// or before the first round) and starts the next round or ends the loop.
void Execution::NextLoopRound(int f, int node, Step& step) {
  const v1::LoopNode& loop = plan_->node(node).loop();
  Container* cr = ContainerAt(f, node);
  int round = cr->round;
  int child = NewFrame(plan_->child_scope(node), f, round, NullValue());
  cr->child_frames.push_back(child);
  int context = child;
  if (round > 0) context = cr->child_frames[cr->child_frames.size() - 2];
  bool stop = round >= loop.loop_count();
  if (!stop && loop.break_conditions_size() > 0) {
    absl::StatusOr<bool> holds = EvaluateConditions(
        loop.break_conditions(), loop.logical_operator(),
        [&](const Strings& selector) { return Resolve(context, selector, /*masked=*/false); });
    if (!holds.ok()) {
      frame(child).closed = true;
      Fail(f, node,
           MakeError(v1::INVALID_INPUT,
                     absl::StrCat("break condition: ", holds.status().message())),
           step);
      return;
    }
    stop = *holds;
  }
  if (stop) {
    frame(child).closed = true;
    cr->completed = true;
    Succeed(f, node, cr->variables, "", step);
    return;
  }
  const graph::Scope& sc = plan_->scope(plan_->child_scope(node));
  for (int e : sc.entry_edges) frame(child).edges[e] = EdgeState::kTaken;
  for (int e : sc.entry_edges) Visit(child, sc.edges[e].target, step);
}

void Execution::Succeed(int f, int node, ValueMap outputs, const std::string& branch, Step& step,
                        v1::NodeResult result) {
  const v1::Node& def = plan_->node(node);
  Frame& fr = frame(f);
  int local = plan_->local_index(node);
  fr.states[local] = NodeState::kSucceeded;
  fr.outputs[local] = outputs;
  --fr.open;
  result.set_status(v1::NODE_SUCCEEDED);
  *result.mutable_outputs() = std::move(outputs);
  v1::RunEvent finished;
  v1::NodeFinished* nf = finished.mutable_node_finished();
  nf->set_node_id(def.id());
  nf->set_attempt(fr.attempts[local]);
  *nf->mutable_inputs() = fr.event_inputs[local];
  *nf->mutable_result() = std::move(result);
  nf->set_branch(branch);
  Emit(step, std::move(finished), f);
  std::vector<std::string> handles;
  if (def.has_if_else()) {
    handles.push_back(branch);
    bool named_true = false;
    for (const auto& c : def.if_else().cases()) named_true |= c.case_id() == graph::kTrueHandle;
    if (!named_true && def.if_else().cases_size() > 0 && branch == def.if_else().cases(0).case_id()) {
      handles.emplace_back(graph::kTrueHandle);
    }
  } else {
    handles = {std::string(graph::kSourceHandle), std::string(graph::kSuccessBranchHandle)};
  }
  TakeEdges(f, node, handles, step);
  CheckFrameDone(f, step);
}

void Execution::TakeEdges(int f, int node, const std::vector<std::string>& handles, Step& step) {
  Frame& fr = frame(f);
  const graph::Scope& sc = plan_->scope(plan_->scope_of(node));
  for (int e : plan_->outgoing(node)) {
    bool taken = std::find(handles.begin(), handles.end(), sc.edges[e].handle) != handles.end();
    fr.edges[e] = taken ? EdgeState::kTaken : EdgeState::kSkipped;
  }
  for (int e : plan_->outgoing(node)) Visit(f, sc.edges[e].target, step);
}

void Execution::Skip(int f, int node, Step& step) {
  Frame& fr = frame(f);
  fr.states[plan_->local_index(node)] = NodeState::kSkipped;
  --fr.open;
  TakeEdges(f, node, {}, step);
  CheckFrameDone(f, step);
}

void Execution::Fail(int f, int node, const v1::NodeError& error, Step& step,
                     v1::NodeResult result) {
  const v1::Node& def = plan_->node(node);
  Frame& fr = frame(f);
  int local = plan_->local_index(node);
  int attempt = fr.attempts[local];
  if (attempt - fr.lost_attempts[local] <= def.retry().max_retries()) {
    v1::RunEvent retry;
    v1::NodeRetry* nr = retry.mutable_node_retry();
    nr->set_node_id(def.id());
    nr->set_attempt(attempt);
    *nr->mutable_error() = error;
    nr->set_retry_in_ms(def.retry().interval_ms());
    Emit(step, std::move(retry), f);
    fr.containers.erase(local);
    if (def.retry().interval_ms() > 0) {
      int timer = next_timer_++;
      if (fr.tasks[local] < 0) {
        fr.tasks[local] = static_cast<int>(tasks_.size());
        tasks_.push_back({f, node});
      }
      retry_timers_[timer] = {fr.tasks[local], attempt};
      step.timers.push_back({timer, def.retry().interval_ms(), fr.tasks[local]});
    } else {
      RunNode(f, node, step);
    }
    return;
  }
  result.set_status(v1::NODE_FAILED);
  *result.mutable_error() = error;
  v1::ErrorStrategy::Kind strategy = def.error_strategy().kind();
  ValueMap outputs;
  if (strategy != v1::ErrorStrategy::NONE) {
    handled_failures_ = true;
    result.set_status(v1::NODE_EXCEPTION);
    if (strategy == v1::ErrorStrategy::DEFAULT_VALUE) outputs = def.error_strategy().defaults();
    outputs[std::string(graph::kErrorMessageOutput)] = StringValue(error.message());
    outputs[std::string(graph::kErrorTypeOutput)] = StringValue(v1::ErrorCode_Name(error.code()));
    *result.mutable_outputs() = outputs;
  }
  fr.states[local] = strategy == v1::ErrorStrategy::NONE ? NodeState::kFailed : NodeState::kException;
  fr.outputs[local] = outputs;
  --fr.open;
  v1::RunEvent finished;
  v1::NodeFinished* nf = finished.mutable_node_finished();
  nf->set_node_id(def.id());
  nf->set_attempt(attempt);
  *nf->mutable_inputs() = fr.event_inputs[local];
  *nf->mutable_result() = std::move(result);
  Emit(step, std::move(finished), f);
  if (strategy == v1::ErrorStrategy::FAIL_BRANCH) {
    TakeEdges(f, node, {std::string(graph::kFailBranchHandle)}, step);
    CheckFrameDone(f, step);
  } else if (strategy == v1::ErrorStrategy::DEFAULT_VALUE) {
    TakeEdges(f, node, {std::string(graph::kSourceHandle), std::string(graph::kSuccessBranchHandle)},
              step);
    CheckFrameDone(f, step);
  } else {
    FailFrame(f, error, def.id(), step);
  }
}

void Execution::FailFrame(int f, const v1::NodeError& error, const std::string& node_id,
                          Step& step) {
  Frame& fr = frame(f);
  CancelFrame(f, step);
  if (fr.parent < 0) {
    FailRun(step, error, node_id);
    return;
  }
  int parent = fr.parent;
  int container = plan_->scope(fr.scope).container;
  const v1::Node& def = plan_->node(container);
  int local = plan_->local_index(container);
  Container* cr = ContainerAt(parent, container);
  if (finished() || frame(parent).closed || cr == nullptr ||
      frame(parent).states[local] != NodeState::kRunning) {
    return;
  }
  v1::NodeError wrapped = error;
  wrapped.set_message(absl::StrCat("node ", node_id, " failed in ",
                                   def.has_iteration() ? "item " : "round ", fr.round, ": ",
                                   error.message()));
  if (def.has_iteration() &&
      def.iteration().error_handle_mode() != v1::IterationNode::TERMINATED) {
    if (def.iteration().error_handle_mode() == v1::IterationNode::CONTINUE_ON_ERROR) {
      cr->results[fr.round] = NullValue();
    } else {
      cr->results[fr.round] = std::nullopt;
    }
    --cr->in_flight;
    LaunchIterationItems(parent, container, step);
    return;
  }
  for (int child : cr->child_frames) CancelFrame(child, step);
  Fail(parent, container, wrapped, step);
}

void Execution::CheckFrameDone(int f, Step& step) {
  Frame& fr = frame(f);
  if (fr.closed || fr.open > 0 || finished()) return;
  fr.closed = true;
  FrameDone(f, step);
}

void Execution::FrameDone(int f, Step& step) {
  Frame& fr = frame(f);
  if (fr.parent < 0) {
    v1::RunFinished done;
    done.set_status(handled_failures_ ? v1::RUN_PARTIAL_SUCCEEDED : v1::RUN_SUCCEEDED);
    if (end_outputs_) {
      *done.mutable_outputs() = *end_outputs_;
    } else if (!answers_.empty()) {
      (*done.mutable_outputs())["answer"] = StringValue(absl::StrJoin(answers_, ""));
    }
    Finish(step, std::move(done));
    return;
  }
  int parent = fr.parent;
  int container = plan_->scope(fr.scope).container;
  Container* cr = ContainerAt(parent, container);
  if (cr == nullptr || frame(parent).closed) return;
  const v1::Node& def = plan_->node(container);
  if (def.has_iteration()) {
    cr->results[fr.round] = Resolve(f, def.iteration().output_selector(), /*masked=*/false);
    --cr->in_flight;
    LaunchIterationItems(parent, container, step);
  } else {
    ++cr->round;
    NextLoopRound(parent, container, step);
  }
}

void Execution::CancelFrame(int f, Step& step) {
  Frame& fr = frame(f);
  if (fr.closed) return;
  fr.closed = true;
  const graph::Scope& sc = plan_->scope(fr.scope);
  for (size_t local = 0; local < sc.members.size(); ++local) {
    if (fr.states[local] != NodeState::kRunning) continue;
    if (fr.tasks[local] >= 0) step.cancelled_jobs.push_back({fr.tasks[local], fr.attempts[local]});
    auto it = fr.containers.find(static_cast<int>(local));
    if (it != fr.containers.end()) {
      for (int child : it->second->child_frames) CancelFrame(child, step);
    }
  }
}

void Execution::FailRun(Step& step, const v1::NodeError& error, std::string failed_node_id) {
  for (int f = 0; f < static_cast<int>(frames_.size()); ++f) CancelFrame(f, step);
  v1::RunFinished finished;
  finished.set_status(v1::RUN_FAILED);
  *finished.mutable_error() = error;
  finished.set_failed_node_id(std::move(failed_node_id));
  Finish(step, std::move(finished));
}

void Execution::Finish(Step& step, v1::RunFinished finished) {
  status_ = finished.status();
  v1::RunEvent event;
  *event.mutable_run_finished() = std::move(finished);
  step.events.push_back(std::move(event));
}

v1::Value Execution::Resolve(int f, const Strings& selector, bool masked) const {
  if (selector.size() < 2) return NullValue();
  std::vector<std::string> path(selector.begin() + 2, selector.end());
  auto follow = [&](const v1::Value& root) {
    absl::StatusOr<v1::Value> value = LookupPath(root, path);
    return value.ok() ? *std::move(value) : NullValue();
  };
  if (selector[0] == graph::kSystemRoot) {
    auto it = system_.find(selector[1]);
    return it == system_.end() ? NullValue() : follow(it->second);
  }
  if (selector[0] == graph::kEnvironmentRoot) {
    const v1::EnvironmentVariable* env = plan_->environment(selector[1]);
    if (env == nullptr) return NullValue();
    if (masked && env->secret()) return StringValue(kMaskedSecret);
    return follow(env->value());
  }
  int node = plan_->IndexOf(selector[0]);
  if (node < 0) return NullValue();
  for (int cur = f; cur >= 0; cur = frames_[cur]->parent) {
    const Frame& fr = *frames_[cur];
    if (plan_->scope_of(node) == fr.scope) {
      int local = plan_->local_index(node);
      if (fr.states[local] != NodeState::kSucceeded && fr.states[local] != NodeState::kException) {
        return NullValue();
      }
      auto it = fr.outputs[local].find(selector[1]);
      return it == fr.outputs[local].end() ? NullValue() : follow(it->second);
    }
    if (plan_->scope(fr.scope).container == node) {
      const v1::Node& def = plan_->node(node);
      if (def.has_iteration()) {
        if (selector[1] == "item") return follow(fr.item);
        if (selector[1] == "index") return IntValue(fr.round);
        return NullValue();
      }
      const Frame& holder = *frames_[fr.parent];
      auto cr = holder.containers.find(plan_->local_index(node));
      if (cr == holder.containers.end()) return NullValue();
      auto it = cr->second->variables.find(selector[1]);
      return it == cr->second->variables.end() ? NullValue() : follow(it->second);
    }
  }
  return NullValue();
}

ValueMap Execution::ResolveBindings(
    int f, const google::protobuf::RepeatedPtrField<v1::VariableBinding>& bindings,
    bool masked) const {
  ValueMap values;
  for (const v1::VariableBinding& binding : bindings) {
    values[binding.name()] = Resolve(f, binding.selector(), masked);
  }
  return values;
}

v1::NodeScope Execution::ScopeOf(int f) const {
  std::vector<const Frame*> chain;
  for (int cur = f; cur >= 0 && frames_[cur]->parent >= 0; cur = frames_[cur]->parent) {
    chain.push_back(frames_[cur].get());
  }
  v1::NodeScope scope;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    v1::NodeScope::Level* level = scope.add_levels();
    level->set_node_id(plan_->node(plan_->scope((*it)->scope).container).id());
    level->set_index((*it)->round);
  }
  return scope;
}

void Execution::Emit(Step& step, v1::RunEvent event, int f) const {
  if (frames_[f]->parent >= 0) {
    v1::NodeScope scope = ScopeOf(f);
    if (event.has_node_started()) *event.mutable_node_started()->mutable_scope() = scope;
    if (event.has_node_finished()) *event.mutable_node_finished()->mutable_scope() = scope;
    if (event.has_node_retry()) *event.mutable_node_retry()->mutable_scope() = scope;
  }
  step.events.push_back(std::move(event));
}

Execution::Container* Execution::ContainerAt(int f, int node) {
  auto it = frame(f).containers.find(plan_->local_index(node));
  return it == frame(f).containers.end() ? nullptr : it->second.get();
}

int Execution::EnclosingLoopFrame(int f, int loop_node) const {
  for (int cur = f; cur >= 0; cur = frames_[cur]->parent) {
    if (plan_->scope(frames_[cur]->scope).container == loop_node) return frames_[cur]->parent;
  }
  return -1;
}

}  // namespace flowgrid::run
