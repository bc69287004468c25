#include "scheduler/engine/node_runner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/value_types.h"
#include "scheduler/graph/plan.h"
#include "scheduler/run/local_nodes.h"

namespace flowgrid::engine {
namespace {

using Strings = google::protobuf::RepeatedPtrField<std::string>;

absl::StatusOr<v1::RunNodeResponse> RunOnWorker(const v1::Node& node, const ValueMap& inputs,
                                                JobWaiter& waiter, const JobDefaults& defaults,
                                                absl::Duration queue_wait) {
  const auto& bindings = node.has_code() ? node.code().inputs() : node.template_().variables();
  ValueMap job_inputs;
  for (const v1::VariableBinding& binding : bindings) {
    auto it = inputs.find(binding.name());
    job_inputs[binding.name()] = it == inputs.end() ? NullValue() : it->second;
  }
  for (const auto& [name, value] : inputs) {
    if (!job_inputs.contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", node.id(), " has no input \"", name, "\""));
    }
  }
  v1::Job job = BuildJob(node, std::move(job_inputs), defaults);
  absl::Duration timeout = absl::Milliseconds(job.limits().timeout_ms()) + queue_wait;
  std::vector<v1::Job> jobs;
  jobs.push_back(std::move(job));
  std::optional<v1::NodeResult> result = waiter.RunAll(std::move(jobs), absl::Now() + timeout)[0];
  if (!result) {
    return absl::DeadlineExceededError(absl::StrCat("no worker ran node ", node.id(), " within ",
                                                    absl::FormatDuration(timeout)));
  }
  v1::RunNodeResponse response;
  *response.mutable_result() = *std::move(result);
  return response;
}

}  // namespace

absl::StatusOr<v1::RunNodeResponse> NodeRunner::Run(const v1::RunNodeRequest& request) const {
  graph::CompileResult compiled = graph::Plan::Compile(request.workflow());
  if (!compiled.diagnostics.empty()) return graph::DiagnosticsToStatus(compiled.diagnostics);
  const graph::Plan& plan = *compiled.plan;
  int index = plan.IndexOf(request.node_id());
  if (index < 0) {
    return absl::NotFoundError(
        absl::StrCat("the workflow has no node \"", request.node_id(), "\""));
  }
  const v1::Node& node = plan.node(index);
  if (node.has_code() || node.has_template_()) {
    return RunOnWorker(node, request.inputs(), *waiter_, defaults_, queue_wait_);
  }
  // Selectors read "node_id.variable" from the given inputs, then follow
  // any further path.
  run::Resolver resolve = [&](const Strings& selector) {
    if (selector.size() < 2) return NullValue();
    auto it = request.inputs().find(absl::StrCat(selector[0], ".", selector[1]));
    if (it == request.inputs().end()) return NullValue();
    std::vector<std::string> path(selector.begin() + 2, selector.end());
    absl::StatusOr<v1::Value> value = LookupPath(it->second, path);
    return value.ok() ? *std::move(value) : NullValue();
  };
  v1::RunNodeResponse response;
  v1::NodeResult* result = response.mutable_result();
  result->set_status(v1::NODE_SUCCEEDED);
  if (node.has_if_else()) {
    absl::StatusOr<std::string> branch = run::ChooseBranch(node.if_else(), resolve);
    if (!branch.ok()) {
      result->set_status(v1::NODE_FAILED);
      result->mutable_error()->set_code(v1::INVALID_INPUT);
      result->mutable_error()->set_message(std::string(branch.status().message()));
    } else {
      response.set_branch(*branch);
    }
  } else if (node.has_variable_aggregator()) {
    *result->mutable_outputs() = run::AggregateVariables(node.variable_aggregator(), resolve);
  } else if (node.has_answer()) {
    (*result->mutable_outputs())["answer"] =
        StringValue(run::RenderReferences(node.answer().answer(), resolve));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "node ", node.id(), " cannot run alone: RunNode takes code, template, if_else, "
        "variable_aggregator and answer nodes"));
  }
  return response;
}

}  // namespace flowgrid::engine
