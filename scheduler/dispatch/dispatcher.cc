#include "scheduler/dispatch/dispatcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace flowgrid::dispatch {
namespace {

// The runtime a job needs: templates render in Python.
v1::CodeNode::Language RequiredRuntime(const v1::Job& job) {
  return job.kind() == v1::Job::RENDER_TEMPLATE ? v1::CodeNode::PYTHON3 : job.language();
}

}  // namespace

std::string JobKey::ToJobId() const { return absl::StrCat(run_id, "/", task, "/", attempt); }

Dispatcher::Dispatcher(ResultHandler on_result, DispatcherOptions options)
    : on_result_(std::move(on_result)), options_(options) {}

void Dispatcher::Enqueue(const JobKey& key, v1::Job job) {
  job.set_job_id(key.ToJobId());
  job.set_attempt(1);
  absl::MutexLock lock(&mu_);
  v1::CodeNode::Language runtime = RequiredRuntime(job);
  queues_[runtime].push_back({key, 1, std::move(job), /*cancelled=*/false, next_order_++});
  PumpLocked();
}

int64_t Dispatcher::AddWorker(std::string worker_id, int slots,
                              std::vector<v1::CodeNode::Language> runtimes, WorkerSink sink) {
  absl::MutexLock lock(&mu_);
  int64_t handle = next_handle_++;
  auto [it, inserted] =
      workers_.emplace(handle, Worker{std::move(worker_id), std::max(slots, 0),
                                      std::move(runtimes), std::move(sink), /*draining=*/false,
                                      /*running=*/{}, /*indexed_free=*/0});
  IndexLocked(handle, it->second);
  PumpLocked();
  return handle;
}

void Dispatcher::RemoveWorker(int64_t handle) {
  std::vector<Delivery> lost;
  {
    absl::MutexLock lock(&mu_);
    auto it = workers_.find(handle);
    if (it == workers_.end()) return;
    UnindexLocked(handle, it->second);
    for (auto& [job_id, held] : it->second.running) {
      RequeueOrFailLocked(std::move(held), it->second.worker_id, lost);
    }
    workers_.erase(it);
    PumpLocked();
  }
  Deliver(std::move(lost));
}

void Dispatcher::RequeueOrFailLocked(QueuedJob held, const std::string& worker_id,
                                     std::vector<Delivery>& lost) {
  if (held.cancelled) return;
  if (held.delivery >= options_.max_attempts) {
    v1::NodeResult result;
    result.set_status(v1::NODE_FAILED);
    result.mutable_error()->set_code(v1::WORKER_LOST);
    result.mutable_error()->set_message(
        absl::StrCat("the worker running this job was lost ", held.delivery,
                     " times (last: ", worker_id, "); giving up"));
    lost.push_back({held.key, std::move(result)});
    return;
  }
  LogWarning(absl::StrCat("job ", held.job.job_id(), " delivery ", held.delivery,
                          " was lost with worker ", worker_id, "; requeued as delivery ",
                          held.delivery + 1));
  held.delivery += 1;
  held.job.set_attempt(held.delivery);
  // Requeued work goes first: it has waited longest.
  held.order = next_front_order_--;
  v1::CodeNode::Language runtime = RequiredRuntime(held.job);
  queues_[runtime].push_front(std::move(held));
}

void Dispatcher::OnResult(int64_t handle, const v1::JobResult& result) {
  std::vector<Delivery> done;
  {
    absl::MutexLock lock(&mu_);
    auto it = workers_.find(handle);
    if (it == workers_.end()) return;
    auto job = it->second.running.find(result.job_id());
    if (job == it->second.running.end() || job->second.delivery != result.attempt()) {
      LogWarning(absl::StrCat("discarding stale result for job ", result.job_id(),
                              " delivery ", result.attempt(), " from worker ",
                              it->second.worker_id));
      return;
    }
    QueuedJob held = std::move(job->second);
    it->second.running.erase(job);
    IndexLocked(handle, it->second);
    // A worker that could not start the job (e.g. it began draining) hands
    // it back: run it elsewhere.
    if (result.result().status() == v1::NODE_FAILED &&
        result.result().error().code() == v1::WORKER_LOST) {
      RequeueOrFailLocked(std::move(held), it->second.worker_id, done);
    } else if (!held.cancelled) {
      done.push_back({std::move(held.key), result.result()});
    }
    PumpLocked();
  }
  Deliver(std::move(done));
}

void Dispatcher::SetFreeSlots(int64_t handle, int free_slots) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(handle);
  if (it == workers_.end()) return;
  it->second.capacity = static_cast<int>(it->second.running.size()) + std::max(free_slots, 0);
  IndexLocked(handle, it->second);
  PumpLocked();
}

void Dispatcher::SetDraining(int64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(handle);
  if (it == workers_.end()) return;
  it->second.draining = true;
  IndexLocked(handle, it->second);
}

void Dispatcher::CancelRun(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  CancelLocked([&](const JobKey& key) { return key.run_id == run_id; });
}

void Dispatcher::CancelJob(const JobKey& key) {
  absl::MutexLock lock(&mu_);
  CancelLocked([&](const JobKey& candidate) { return candidate == key; });
}

void Dispatcher::CancelLocked(const std::function<bool(const JobKey&)>& matches) {
  for (auto& [runtime, queue] : queues_) {
    std::erase_if(queue, [&](const QueuedJob& q) { return matches(q.key); });
  }
  for (auto& [handle, worker] : workers_) {
    for (auto& [job_id, held] : worker.running) {
      if (held.cancelled || !matches(held.key)) continue;
      v1::SchedulerMessage cancel;
      cancel.mutable_cancel()->set_job_id(job_id);
      worker.sink(cancel);
      // The slot stays taken until the worker reports the job's end.
      held.cancelled = true;
    }
  }
}

Dispatcher::Stats Dispatcher::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s;
  for (const auto& [runtime, queue] : queues_) s.queued += static_cast<int>(queue.size());
  s.workers = static_cast<int>(workers_.size());
  for (const auto& [handle, worker] : workers_) {
    s.running += static_cast<int>(worker.running.size());
    if (worker.draining) continue;
    s.free_slots += std::max(0, worker.capacity - static_cast<int>(worker.running.size()));
  }
  return s;
}

// FIFO across runtimes, except that a job no free worker can run (its
// runtime is missing or busy) does not hold back the jobs behind it: each
// step takes, among the runtimes some free worker runs, the queue whose
// first job came first.
void Dispatcher::PumpLocked() {
  while (true) {
    std::deque<QueuedJob>* queue = nullptr;
    const FreeIndex* candidates = nullptr;
    for (auto& [runtime, jobs] : queues_) {
      if (jobs.empty()) continue;
      auto free = free_.find(runtime);
      if (free == free_.end() || free->second.empty()) continue;
      if (queue == nullptr || jobs.front().order < queue->front().order) {
        queue = &jobs;
        candidates = &free->second;
      }
    }
    if (queue == nullptr) return;
    int64_t handle = candidates->begin()->second;
    Worker& best = workers_.find(handle)->second;
    QueuedJob job = std::move(queue->front());
    queue->pop_front();
    v1::SchedulerMessage message;
    *message.mutable_job() = job.job;
    best.sink(message);
    std::string job_id = job.job.job_id();
    best.running.emplace(std::move(job_id), std::move(job));
    IndexLocked(handle, best);
  }
}

void Dispatcher::UnindexLocked(int64_t handle, Worker& worker) {
  if (worker.indexed_free == 0) return;
  for (v1::CodeNode::Language runtime : worker.runtimes) {
    free_[runtime].erase({-worker.indexed_free, handle});
  }
  worker.indexed_free = 0;
}

void Dispatcher::IndexLocked(int64_t handle, Worker& worker) {
  int free = worker.draining ? 0 : std::max(worker.free(), 0);
  if (free == worker.indexed_free) return;
  UnindexLocked(handle, worker);
  if (free == 0) return;
  for (v1::CodeNode::Language runtime : worker.runtimes) free_[runtime].insert({-free, handle});
  worker.indexed_free = free;
}

void Dispatcher::Deliver(std::vector<Delivery> deliveries) {
  for (Delivery& d : deliveries) on_result_(d.key, std::move(d.result));
}

}  // namespace flowgrid::dispatch
