#include "scheduler/dispatch/fair_queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace flowgrid::dispatch {

std::string JobKey::ToJobId() const { return absl::StrCat(run_id, "/", task, "/", attempt); }

void FairQueue::Push(QueuedJob job) {
  auto it = runs_.find(job.key.run_id);
  if (it == runs_.end()) {
    if (spare_runs_.empty()) {
      it = runs_.try_emplace(job.key.run_id).first;
    } else {
      Runs::node_type spare = std::move(spare_runs_.back());
      spare_runs_.pop_back();
      spare.key() = job.key.run_id;
      it = runs_.insert(std::move(spare)).position;
    }
    turns_.push_back(&it->second);
  }
  it->second.push_back(std::move(job));
  ++size_;
}

void FairQueue::PushRequeued(QueuedJob job) {
  requeued_.push_back(std::move(job));
  ++size_;
}

const QueuedJob& FairQueue::Front() const {
  if (!requeued_.empty()) return requeued_.front();
  return turns_.front()->front();
}

QueuedJob FairQueue::PopFront() {
  --size_;
  if (!requeued_.empty()) {
    QueuedJob job = std::move(requeued_.front());
    requeued_.pop_front();
    return job;
  }
  std::deque<QueuedJob>* run = turns_.front();
  turns_.pop_front();
  QueuedJob job = std::move(run->front());
  run->pop_front();
  if (run->empty()) {
    auto it = runs_.find(job.key.run_id);
    if (spare_runs_.size() < kMaxSpareRuns) {
      spare_runs_.push_back(runs_.extract(it));
    } else {
      runs_.erase(it);
    }
  } else {
    turns_.push_back(run);
  }
  return job;
}

void FairQueue::EraseIf(const std::function<bool(const QueuedJob&)>& matches) {
  size_ -= std::erase_if(requeued_, matches);
  for (auto& [run_id, jobs] : runs_) size_ -= std::erase_if(jobs, matches);
  DropEmptyRuns();
}

std::vector<QueuedJob> FairQueue::TakeQueuedUpTo(absl::Time cutoff) {
  std::vector<QueuedJob> taken;
  // Each deque is in queued_at order (jobs are pushed at the current time),
  // so the overdue ones are at its front.
  auto take_overdue = [&](std::deque<QueuedJob>& jobs) {
    while (!jobs.empty() && jobs.front().queued_at <= cutoff) {
      taken.push_back(std::move(jobs.front()));
      jobs.pop_front();
    }
  };
  take_overdue(requeued_);
  for (auto& [run_id, jobs] : runs_) take_overdue(jobs);
  if (taken.empty()) return taken;
  size_ -= taken.size();
  DropEmptyRuns();
  return taken;
}

absl::Time FairQueue::OldestQueuedAt() const {
  // As in TakeQueuedUpTo, each deque's front is its oldest job.
  absl::Time oldest = absl::InfiniteFuture();
  if (!requeued_.empty()) oldest = requeued_.front().queued_at;
  for (const std::deque<QueuedJob>* run : turns_) oldest = std::min(oldest, run->front().queued_at);
  return oldest;
}

void FairQueue::DropEmptyRuns() {
  std::erase_if(turns_, [](const std::deque<QueuedJob>* run) { return run->empty(); });
  absl::erase_if(runs_, [](const auto& entry) { return entry.second.empty(); });
}

}  // namespace flowgrid::dispatch
