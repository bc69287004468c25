#include "scheduler/engine/job_waiter.h"

#include "absl/strings/str_cat.h"

namespace flowgrid::engine {

std::vector<std::optional<v1::NodeResult>> JobWaiter::RunAll(std::vector<v1::Job> jobs,
                                                             absl::Time deadline) {
  auto batch = std::make_shared<Batch>();
  batch->results.resize(jobs.size());
  batch->remaining = static_cast<int>(jobs.size());
  std::string id;
  {
    absl::MutexLock lock(&mu_);
    // Not a run id (those are hex): results are told apart by this prefix.
    id = absl::StrCat("adhoc-", next_batch_++);
    batches_[id] = batch;
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    dispatcher_->Enqueue({id, static_cast<int>(i), 1}, std::move(jobs[i]));
  }
  {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return batch->remaining == 0; };
    mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
    batches_.erase(id);
  }
  for (size_t i = 0; i < batch->results.size(); ++i) {
    if (!batch->results[i]) dispatcher_->CancelJob({id, static_cast<int>(i), 1});
  }
  return batch->results;
}

bool JobWaiter::OnResult(const dispatch::JobKey& key, const v1::NodeResult& result) {
  absl::MutexLock lock(&mu_);
  auto it = batches_.find(key.run_id);
  if (it == batches_.end()) return key.run_id.rfind("adhoc-", 0) == 0;
  Batch& batch = *it->second;
  if (key.task < 0 || key.task >= static_cast<int>(batch.results.size()) ||
      batch.results[key.task]) {
    return true;
  }
  batch.results[key.task] = result;
  --batch.remaining;
  return true;
}

}  // namespace flowgrid::engine
