#include "scheduler/engine/code_checks.h"

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
  std::vector<graph::Diagnostic> diagnostics;
  std::vector<int> unchecked;
  std::vector<std::string> keys;
  {
    absl::MutexLock lock(&mu_);
    for (int v = 0; v < plan.size(); ++v) {
      if (!plan.node(v).has_code()) continue;
      std::string key = CacheKey(plan.node(v).code());
      auto it = cache_.find(key);
      if (it == cache_.end()) {
        unchecked.push_back(v);
        keys.push_back(std::move(key));
      } else if (!it->second.empty()) {
        diagnostics.push_back({plan.node(v).id(), "code.code", it->second});
      }
    }
  }
  if (unchecked.empty() || dispatcher_->stats().workers == 0) return diagnostics;
  std::vector<v1::Job> jobs;
  for (int v : unchecked) {
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
  std::vector<std::optional<v1::NodeResult>> results =
      waiter_->RunAll(std::move(jobs), absl::Now() + budget);
  absl::MutexLock lock(&mu_);
  if (cache_.size() + results.size() > kMaxCached) cache_.clear();
  for (size_t i = 0; i < results.size(); ++i) {
    const std::optional<v1::NodeResult>& result = results[i];
    if (!result) {
      LogWarning(absl::StrCat("code check of node ", plan.node(unchecked[i]).id(),
                              " got no answer in time; skipped"));
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
    cache_[keys[i]] = message;
    if (compile_error) diagnostics.push_back({plan.node(unchecked[i]).id(), "code.code", message});
  }
  return diagnostics;
}

}  // namespace flowgrid::engine
