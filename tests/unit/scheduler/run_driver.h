// Drives a run::Execution in tests: keeps the jobs it asked for by node id,
// completes or fails them on request, fires timers, and records events.
#ifndef FLOWGRID_TESTS_UNIT_SCHEDULER_RUN_DRIVER_H_
#define FLOWGRID_TESTS_UNIT_SCHEDULER_RUN_DRIVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/value_json.h"
#include "common/workflow_file.h"
#include "gtest/gtest.h"
#include "scheduler/graph/plan.h"
#include "scheduler/run/execution.h"

namespace flowgrid::testing {

inline std::shared_ptr<const graph::Plan> CompileOrDie(const v1::Workflow& wf) {
  graph::CompileResult r = graph::Plan::Compile(wf);
  for (const graph::Diagnostic& d : r.diagnostics) ADD_FAILURE() << graph::FormatDiagnostic(d);
  return r.plan;
}

inline std::shared_ptr<const graph::Plan> CompileJson(const std::string& json) {
  absl::StatusOr<v1::Workflow> wf = ParseWorkflowJson(json);
  EXPECT_TRUE(wf.ok()) << wf.status();
  return CompileOrDie(*wf);
}

inline ValueMap Json(const char* object) { return *ParseValueMapJson(object); }

class RunDriver {
 public:
  explicit RunDriver(std::shared_ptr<const graph::Plan> plan, ValueMap inputs = {},
                     ValueMap system = {}, run::ExecutionOptions options = {})
      : plan_(plan), exec_(plan, std::move(inputs), std::move(system), options) {}

  void Start() { Take(exec_.Start()); }

  // Jobs waiting for a result, as "node" or "node#attempt" for retries.
  std::vector<std::string> Pending() const {
    std::vector<std::string> out;
    for (const auto& job : jobs_) out.push_back(Name(job));
    return out;
  }
  const run::JobRequest& Job(const std::string& node) const { return jobs_.at(Find(node)); }

  void Succeed(const std::string& node, const char* outputs_json) {
    v1::NodeResult r;
    r.set_status(v1::NODE_SUCCEEDED);
    *r.mutable_outputs() = Json(outputs_json);
    Finish(node, r);
  }
  // Completes the pending job of `node` whose input `input` is `value`
  // (e.g. one item of a parallel iteration).
  void SucceedWhere(const std::string& node, const std::string& input, int64_t value,
                    const char* outputs_json) {
    for (size_t i = 0; i < jobs_.size(); ++i) {
      auto it = jobs_[i].inputs.find(input);
      if (plan_->node(jobs_[i].node).id() != node || it == jobs_[i].inputs.end() ||
          it->second.int_value() != value) {
        continue;
      }
      run::JobRequest job = jobs_[i];
      jobs_.erase(jobs_.begin() + static_cast<long>(i));
      v1::NodeResult r;
      r.set_status(v1::NODE_SUCCEEDED);
      *r.mutable_outputs() = Json(outputs_json);
      Take(exec_.OnJobFinished({job.task, job.attempt}, r));
      return;
    }
    ADD_FAILURE() << "no pending job of " << node << " with " << input << "=" << value;
  }
  void Fail(const std::string& node, v1::ErrorCode code, const std::string& message) {
    v1::NodeResult r;
    r.set_status(v1::NODE_FAILED);
    r.mutable_error()->set_code(code);
    r.mutable_error()->set_message(message);
    Finish(node, r);
  }
  void FireTimers() {
    std::vector<run::TimerRequest> due = std::move(timers_);
    timers_.clear();
    for (const run::TimerRequest& t : due) Take(exec_.OnTimer(t.timer));
  }
  void Cancel() { Take(exec_.Cancel("test")); }
  void Abort(const v1::NodeError& error) { Take(exec_.Abort(error)); }

  run::Execution& execution() { return exec_; }
  const std::vector<v1::RunEvent>& events() const { return events_; }
  const std::vector<run::JobRef>& cancelled() const { return cancelled_; }
  const std::vector<run::TimerRequest>& timers() const { return timers_; }
  const v1::RunFinished& finished() const { return events_.back().run_finished(); }
  // Compact event log: "started:a", "finished:a=SUCCEEDED", "retry:a#1", ...
  std::vector<std::string> Trace() const {
    std::vector<std::string> out;
    for (const v1::RunEvent& e : events_) {
      std::string scope;
      auto scoped = [&](const v1::NodeScope& s) {
        for (const auto& l : s.levels()) scope += l.node_id() + "[" + std::to_string(l.index()) + "]/";
      };
      if (e.has_node_started()) {
        scoped(e.node_started().scope());
        out.push_back("started:" + scope + e.node_started().node_id());
      } else if (e.has_node_finished()) {
        scoped(e.node_finished().scope());
        std::string status = v1::NodeStatus_Name(e.node_finished().result().status()).substr(5);
        out.push_back("finished:" + scope + e.node_finished().node_id() + "=" + status);
      } else if (e.has_node_retry()) {
        out.push_back("retry:" + e.node_retry().node_id() + "#" +
                      std::to_string(e.node_retry().attempt()));
      } else if (e.has_run_finished()) {
        out.push_back("run:" + v1::RunStatus_Name(e.run_finished().status()).substr(4));
      }
    }
    return out;
  }

 private:
  std::string Name(const run::JobRequest& job) const {
    std::string name = plan_->node(job.node).id();
    if (job.attempt > 1) name += "#" + std::to_string(job.attempt);
    return name;
  }
  size_t Find(const std::string& node) const {
    for (size_t i = 0; i < jobs_.size(); ++i) {
      if (Name(jobs_[i]) == node || plan_->node(jobs_[i].node).id() == node) return i;
    }
    ADD_FAILURE() << "no pending job for " << node;
    return 0;
  }
  void Finish(const std::string& node, const v1::NodeResult& result) {
    size_t i = Find(node);
    if (i >= jobs_.size()) return;
    run::JobRequest job = jobs_[i];
    jobs_.erase(jobs_.begin() + static_cast<long>(i));
    Take(exec_.OnJobFinished({job.task, job.attempt}, result));
  }
  void Take(run::Step step) {
    for (auto& job : step.jobs) jobs_.push_back(std::move(job));
    for (const run::JobRef& ref : step.cancelled_jobs) {
      cancelled_.push_back(ref);
      std::erase_if(jobs_, [&](const run::JobRequest& j) {
        return j.task == ref.task && j.attempt == ref.attempt;
      });
    }
    for (const auto& t : step.timers) timers_.push_back(t);
    for (auto& e : step.events) events_.push_back(std::move(e));
  }

  std::shared_ptr<const graph::Plan> plan_;
  run::Execution exec_;
  std::vector<run::JobRequest> jobs_;
  std::vector<run::JobRef> cancelled_;
  std::vector<run::TimerRequest> timers_;
  std::vector<v1::RunEvent> events_;
};

}  // namespace flowgrid::testing

#endif  // FLOWGRID_TESTS_UNIT_SCHEDULER_RUN_DRIVER_H_
