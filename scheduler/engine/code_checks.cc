#include "scheduler/engine/code_checks.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace flowgrid::engine {
namespace {

std::string CacheKey(const v1::CodeNode& code) {
  std::string key = absl::StrCat(code.language(), "\n");
  for (const v1::VariableBinding& input : code.inputs()) absl::StrAppend(&key, input.name(), ",");
  absl::StrAppend(&key, "\n", code.code());
  return key;
}

}  // namespace

std::vector<graph::Diagnostic> CodeChecks::Check(const graph::Plan& plan, absl::Duration budget) {
  const absl::Time deadline = absl::Now() + budget;
  std::vector<graph::Diagnostic> diagnostics;
  // Checks this call runs, and checks of other calls it waits for.
  std::vector<int> mine_nodes;
  std::vector<std::string> mine_keys;
  std::vector<std::shared_ptr<InFlight>> mine_flights;
  std::vector<std::pair<int, std::shared_ptr<InFlight>>> awaited;
  // Without workers nothing can answer: only what is already known counts.
  const bool can_check = dispatcher_->stats().workers > 0;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    for (int v = 0; v < plan.size(); ++v) {
      if (!plan.node(v).has_code()) continue;
      std::string key = CacheKey(plan.node(v).code());
      if (auto it = cache_.find(key); it != cache_.end()) {
        if (!it->second.empty()) diagnostics.push_back({plan.node(v).id(), "code.code", it->second});
        continue;
      }
      if (!can_check) continue;
      if (auto it = unanswered_.find(key); it != unanswered_.end() && it->second > now) continue;
      if (auto it = in_flight_.find(key); it != in_flight_.end()) {
        awaited.emplace_back(v, it->second);
        continue;
      }
      auto flight = std::make_shared<InFlight>();
      in_flight_[key] = flight;
      mine_nodes.push_back(v);
      mine_keys.push_back(std::move(key));
      mine_flights.push_back(std::move(flight));
    }
  }
  if (!mine_nodes.empty()) {
    std::vector<v1::Job> jobs;
    for (int v : mine_nodes) {
      const v1::CodeNode& code = plan.node(v).code();
      v1::Job job;
      job.set_kind(v1::Job::CHECK_CODE);
      job.set_language(code.language());
      job.set_code(code.code());
      for (const v1::VariableBinding& input : code.inputs()) {
        (*job.mutable_inputs())[input.name()].set_null_value(v1::NULL_VALUE);
      }
      job.mutable_limits()->set_timeout_ms(absl::ToInt64Milliseconds(budget));
      jobs.push_back(std::move(job));
    }
    std::vector<std::optional<v1::NodeResult>> results = waiter_->RunAll(std::move(jobs), deadline);
    Finish(mine_keys, results, mine_flights, plan, mine_nodes);
    for (size_t i = 0; i < mine_flights.size(); ++i) {
      const std::optional<std::string>& message = mine_flights[i]->message;
      if (message && !message->empty()) {
        diagnostics.push_back({plan.node(mine_nodes[i]).id(), "code.code", *message});
      }
    }
  }
  for (const auto& [v, flight] : awaited) {
    // A check another submission runs that ends after our budget is
    // skipped here, as our own would have been.
    if (!flight->done.WaitForNotificationWithDeadline(deadline)) continue;
    if (flight->message && !flight->message->empty()) {
      diagnostics.push_back({plan.node(v).id(), "code.code", *flight->message});
    }
  }
  return diagnostics;
}

void CodeChecks::Finish(const std::vector<std::string>& keys,
                        const std::vector<std::optional<v1::NodeResult>>& results,
                        const std::vector<std::shared_ptr<InFlight>>& flights,
                        const graph::Plan& plan, const std::vector<int>& nodes) {
  {
    absl::MutexLock lock(&mu_);
    if (cache_.size() + results.size() > kMaxCached) cache_.clear();
    if (unanswered_.size() + results.size() > kMaxCached) unanswered_.clear();
    for (size_t i = 0; i < results.size(); ++i) {
      in_flight_.erase(keys[i]);
      const std::optional<v1::NodeResult>& result = results[i];
      if (!result) {
        LogWarning(absl::StrCat("code check of node ", plan.node(nodes[i]).id(),
                                " got no answer in time; skipped"));
        unanswered_[keys[i]] = absl::Now() + kRecheckAfterNoAnswer;
        continue;
      }
      bool compile_error = result->status() != v1::NODE_SUCCEEDED &&
                           result->error().code() == v1::COMPILE_ERROR;
      if (result->status() != v1::NODE_SUCCEEDED && !compile_error) {
        // The check itself failed (e.g. the worker lacks the runtime): not a
        // verdict on the code, so nothing is cached.
        continue;
      }
      std::string message = compile_error ? result->error().message() : "";
      unanswered_.erase(keys[i]);
      cache_[keys[i]] = message;
      flights[i]->message = std::move(message);
    }
  }
  for (const std::shared_ptr<InFlight>& flight : flights) flight->done.Notify();
}

}  // namespace flowgrid::engine
