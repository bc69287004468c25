#include "scheduler/dispatch/dispatcher.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/metrics/labels.h"

namespace flowgrid::dispatch {
namespace {

// The runtime a job needs: templates render in Python.
v1::CodeNode::Language RequiredRuntime(const v1::Job& job) {
  return job.kind() == v1::Job::RENDER_TEMPLATE ? v1::CodeNode::PYTHON3 : job.language();
}

// The outcome of a job dropped without a result of its own.
const v1::NodeResult& CancelledResult() {
  static const v1::NodeResult* const kResult = [] {
    auto* result = new v1::NodeResult();
    result->set_status(v1::NODE_FAILED);
    result->mutable_error()->set_code(v1::CANCELLED);
    return result;
  }();
  return *kResult;
}

}  // namespace

bool Dispatcher::Worker::Runs(v1::CodeNode::Language runtime) const {
  return std::find(connection.runtimes.begin(), connection.runtimes.end(), runtime) !=
         connection.runtimes.end();
}

Dispatcher::Dispatcher(ResultHandler on_result, DispatcherOptions options,
                       metrics::SchedulerMetrics* metrics)
    : on_result_(std::move(on_result)), options_(std::move(options)), metrics_(metrics) {
  if (options_.sweep_interval > absl::ZeroDuration()) {
    sweeper_ = std::thread([this] { SweepLoop(); });
  }
}

Dispatcher::~Dispatcher() {
  stopping_.Notify();
  if (sweeper_.joinable()) sweeper_.join();
}

void Dispatcher::SweepLoop() {
  while (!stopping_.WaitForNotificationWithTimeout(options_.sweep_interval)) Sweep();
}

void Dispatcher::Enqueue(const JobKey& key, v1::Job job) {
  job.set_job_id(key.ToJobId());
  job.set_attempt(1);
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  v1::CodeNode::Language runtime = RequiredRuntime(job);
  queues_[runtime].jobs.Push({key, 1, std::move(job), /*cancelled=*/false, next_order_++,
                              /*queued_at=*/now, /*enqueued_at=*/now});
  PumpLocked();
}

int64_t Dispatcher::AddWorker(WorkerConnection connection) {
  const absl::Time now = options_.now();
  std::vector<Delivery> lost;
  int64_t handle;
  {
    absl::MutexLock lock(&mu_);
    handle = next_handle_++;
    auto [known, fresh] = handles_.try_emplace(connection.worker_id, handle);
    if (!fresh) {
      const int64_t replaced = known->second;
      LogWarning(absl::StrCat("worker ", connection.worker_id, " connected again from ",
                              connection.peer, "; its previous stream from ",
                              workers_.at(replaced).connection.peer,
                              " is closed and its jobs are requeued"));
      LoseLocked(replaced, lost);
      handles_[connection.worker_id] = handle;
    }
    const int slots = std::max(connection.slots, 0);
    auto [it, inserted] = workers_.emplace(
        handle, Worker{std::move(connection), slots, /*draining=*/false, /*connected_at=*/now,
                       /*last_seen=*/now, /*running=*/{}, /*indexed_free=*/0, /*verdicts=*/{}});
    IndexLocked(handle, it->second);
    PumpLocked();
  }
  Deliver(std::move(lost));
  return handle;
}

int64_t Dispatcher::AddWorker(std::string worker_id, int slots,
                              std::vector<v1::CodeNode::Language> runtimes, WorkerSink sink) {
  return AddWorker({.worker_id = std::move(worker_id),
                    .peer = "in-process",
                    .slots = slots,
                    .runtimes = std::move(runtimes),
                    .sink = std::move(sink),
                    .leased = false});
}

void Dispatcher::RemoveWorker(int64_t handle) {
  std::vector<Delivery> lost;
  {
    absl::MutexLock lock(&mu_);
    if (!workers_.contains(handle)) return;
    LoseLocked(handle, lost);
    PumpLocked();
  }
  Deliver(std::move(lost));
}

void Dispatcher::LoseLocked(int64_t handle, std::vector<Delivery>& lost) {
  auto it = workers_.find(handle);
  Worker& worker = it->second;
  UnindexLocked(handle, worker);
  worker.connection.close();
  if (metrics_ != nullptr && (!worker.draining || !worker.running.empty())) {
    metrics_->WorkerLost();
  }
  for (auto& [job_id, held] : worker.running) {
    RequeueOrFailLocked(std::move(held), worker.connection.worker_id, lost);
  }
  auto known = handles_.find(worker.connection.worker_id);
  if (known != handles_.end() && known->second == handle) handles_.erase(known);
  workers_.erase(it);
}

void Dispatcher::RequeueOrFailLocked(QueuedJob held, const std::string& worker_id,
                                     std::vector<Delivery>& lost) {
  if (held.cancelled) {
    RecordFinishedLocked(held, CancelledResult());
    return;
  }
  if (held.delivery >= options_.max_attempts) {
    v1::NodeResult result;
    result.set_status(v1::NODE_FAILED);
    result.mutable_error()->set_code(v1::WORKER_LOST);
    result.mutable_error()->set_message(
        absl::StrCat("the worker running this job was lost ", held.delivery,
                     " times (last: ", worker_id, "); giving up"));
    RecordFinishedLocked(held, result);
    lost.push_back({held.key, std::move(result)});
    return;
  }
  if (metrics_ != nullptr) metrics_->JobRequeued();
  LogWarning(absl::StrCat("job ", held.job.job_id(), " delivery ", held.delivery,
                          " was lost with worker ", worker_id, "; requeued as delivery ",
                          held.delivery + 1));
  held.delivery += 1;
  held.job.set_attempt(held.delivery);
  held.queued_at = options_.now();
  v1::CodeNode::Language runtime = RequiredRuntime(held.job);
  queues_[runtime].jobs.PushRequeued(std::move(held));
}

Dispatcher::Worker* Dispatcher::SeenLocked(int64_t handle) {
  auto it = workers_.find(handle);
  if (it == workers_.end()) return nullptr;
  it->second.last_seen = options_.now();
  return &it->second;
}

void Dispatcher::OnResult(int64_t handle, const v1::JobResult& result) {
  std::vector<Delivery> done;
  {
    absl::MutexLock lock(&mu_);
    Worker* worker = SeenLocked(handle);
    if (worker == nullptr) {
      LogWarning(absl::StrCat("discarding result for job ", result.job_id(), " delivery ",
                              result.attempt(), " from a worker connection that was lost"));
      return;
    }
    auto job = worker->running.find(result.job_id());
    if (job == worker->running.end() || job->second.delivery != result.attempt()) {
      LogWarning(absl::StrCat("discarding stale result for job ", result.job_id(),
                              " delivery ", result.attempt(), " from worker ",
                              worker->connection.worker_id));
      return;
    }
    QueuedJob held = std::move(job->second);
    worker->running.erase(job);
    IndexLocked(handle, *worker);
    // A worker that could not start the job (e.g. it began draining) hands
    // it back: run it elsewhere.
    if (result.result().status() == v1::NODE_FAILED &&
        result.result().error().code() == v1::WORKER_LOST) {
      RequeueOrFailLocked(std::move(held), worker->connection.worker_id, done);
    } else {
      ++worker->verdicts[metrics::Verdict(result.result())];
      RecordFinishedLocked(held, result.result());
      if (!held.cancelled) done.push_back({std::move(held.key), result.result()});
    }
    PumpLocked();
  }
  Deliver(std::move(done));
}

void Dispatcher::SetFreeSlots(int64_t handle, int free_slots) {
  absl::MutexLock lock(&mu_);
  Worker* worker = SeenLocked(handle);
  if (worker == nullptr) return;
  worker->capacity = static_cast<int>(worker->running.size()) + std::max(free_slots, 0);
  IndexLocked(handle, *worker);
  PumpLocked();
}

void Dispatcher::Heartbeat(int64_t handle) {
  absl::MutexLock lock(&mu_);
  SeenLocked(handle);
}

void Dispatcher::SetDraining(int64_t handle) {
  absl::MutexLock lock(&mu_);
  Worker* worker = SeenLocked(handle);
  if (worker == nullptr) return;
  worker->draining = true;
  IndexLocked(handle, *worker);
}

absl::Status Dispatcher::DrainWorker(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto known = handles_.find(worker_id);
  if (known == handles_.end()) {
    return absl::NotFoundError(absl::StrCat("no worker with id \"", worker_id,
                                            "\" is connected"));
  }
  Worker& worker = workers_.at(known->second);
  v1::SchedulerMessage drain;
  drain.mutable_drain();
  worker.connection.sink(drain);
  // Do not wait for its Draining answer to stop sending it jobs.
  worker.draining = true;
  IndexLocked(known->second, worker);
  return absl::OkStatus();
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
    queue.jobs.EraseIf([&](const QueuedJob& q) {
      if (!matches(q.key)) return false;
      RecordFinishedLocked(q, CancelledResult());
      return true;
    });
  }
  for (auto& [handle, worker] : workers_) {
    for (auto& [job_id, held] : worker.running) {
      if (held.cancelled || !matches(held.key)) continue;
      v1::SchedulerMessage cancel;
      cancel.mutable_cancel()->set_job_id(job_id);
      worker.connection.sink(cancel);
      // The slot stays taken until the worker reports the job's end.
      held.cancelled = true;
    }
  }
}

void Dispatcher::Sweep() {
  const absl::Time now = options_.now();
  std::vector<Delivery> finished;
  {
    absl::MutexLock lock(&mu_);
    std::vector<int64_t> expired;
    for (const auto& [handle, worker] : workers_) {
      if (worker.connection.leased && now - worker.last_seen >= options_.worker_lease) {
        expired.push_back(handle);
      }
    }
    for (int64_t handle : expired) {
      const Worker& worker = workers_.at(handle);
      LogWarning(absl::StrCat("worker ", worker.connection.worker_id, " (",
                              worker.connection.peer, ") sent nothing for ",
                              absl::FormatDuration(now - worker.last_seen),
                              ", past its lease of ", absl::FormatDuration(options_.worker_lease),
                              "; declaring it lost"));
      LoseLocked(handle, finished);
    }
    if (options_.max_queue_wait > absl::ZeroDuration()) ExpireQueueWaitsLocked(now, finished);
    if (!expired.empty()) PumpLocked();
  }
  Deliver(std::move(finished));
}

void Dispatcher::ExpireQueueWaitsLocked(absl::Time now, std::vector<Delivery>& expired) {
  for (auto& [runtime, queue] : queues_) {
    std::vector<QueuedJob> overdue = queue.jobs.TakeQueuedUpTo(now - options_.max_queue_wait);
    if (overdue.empty()) continue;
    int able = 0;
    for (const auto& [handle, worker] : workers_) able += worker.Runs(runtime) ? 1 : 0;
    const std::string runtime_name = v1::CodeNode::Language_Name(runtime);
    const std::string workers =
        able == 0 ? absl::StrCat("no connected worker runs ", runtime_name)
                  : absl::StrCat(able, " connected worker(s) run ", runtime_name,
                                 " but none had a free slot");
    for (QueuedJob& job : overdue) {
      v1::NodeResult result;
      result.set_status(v1::NODE_FAILED);
      result.mutable_error()->set_code(v1::QUEUE_TIMEOUT);
      result.mutable_error()->set_message(absl::StrCat(
          "the job waited ", absl::FormatDuration(now - job.queued_at),
          " for a worker running ", runtime_name, " (the limit is ",
          absl::FormatDuration(options_.max_queue_wait), "): ", workers));
      RecordFinishedLocked(job, result);
      expired.push_back({std::move(job.key), std::move(result)});
    }
    LogWarning(absl::StrCat(overdue.size(), " job(s) for ", runtime_name,
                            " exceeded the queue wait limit: ", workers));
  }
}

std::vector<WorkerInfo> Dispatcher::ListWorkers() const {
  absl::MutexLock lock(&mu_);
  std::vector<WorkerInfo> list;
  list.reserve(workers_.size());
  for (const auto& [handle, worker] : workers_) {
    WorkerInfo info;
    info.worker_id = worker.connection.worker_id;
    info.peer = worker.connection.peer;
    info.slots = worker.capacity;
    info.free_slots = std::max(worker.free(), 0);
    for (const auto& [job_id, held] : worker.running) info.running_jobs.push_back(job_id);
    std::sort(info.running_jobs.begin(), info.running_jobs.end());
    info.runtimes = worker.connection.runtimes;
    info.draining = worker.draining;
    info.connected_at = worker.connected_at;
    info.last_seen = worker.last_seen;
    info.verdicts = worker.verdicts;
    list.push_back(std::move(info));
  }
  std::sort(list.begin(), list.end(), [](const WorkerInfo& a, const WorkerInfo& b) {
    return a.worker_id < b.worker_id;
  });
  return list;
}

Dispatcher::Stats Dispatcher::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s;
  absl::Time oldest = absl::InfiniteFuture();
  for (const auto& [runtime, queue] : queues_) {
    s.queued += static_cast<int>(queue.jobs.size());
    s.queued_by_runtime[runtime] = static_cast<int>(queue.jobs.size());
    oldest = std::min(oldest, queue.jobs.OldestQueuedAt());
  }
  if (oldest != absl::InfiniteFuture()) s.oldest_wait = options_.now() - oldest;
  s.workers = static_cast<int>(workers_.size());
  for (const auto& [handle, worker] : workers_) {
    s.running += static_cast<int>(worker.running.size());
    if (worker.draining) {
      ++s.draining_workers;
      continue;
    }
    s.free_slots += std::max(0, worker.free());
  }
  return s;
}

// Among the runtimes some free worker runs, a queue with a requeued job
// goes first, then the queue served longest ago (never served: the one
// whose next job came first), so that every runtime's runs get their turn.
void Dispatcher::PumpLocked() {
  while (true) {
    RuntimeQueue* queue = nullptr;
    const FreeIndex* candidates = nullptr;
    auto rank = [](const RuntimeQueue& q) {
      return std::make_tuple(!q.jobs.front_is_requeued(), q.last_served, q.jobs.Front().order);
    };
    for (auto& [runtime, waiting] : queues_) {
      if (waiting.jobs.empty()) continue;
      auto free = free_.find(runtime);
      if (free == free_.end() || free->second.empty()) continue;
      if (queue == nullptr || rank(waiting) < rank(*queue)) {
        queue = &waiting;
        candidates = &free->second;
      }
    }
    if (queue == nullptr) return;
    int64_t handle = candidates->begin()->second;
    Worker& best = workers_.find(handle)->second;
    QueuedJob job = queue->jobs.PopFront();
    queue->last_served = ++served_;
    v1::SchedulerMessage message;
    *message.mutable_job() = job.job;
    best.connection.sink(message);
    if (metrics_ != nullptr) metrics_->JobDispatched(RequiredRuntime(job.job));
    std::string job_id = job.job.job_id();
    best.running.emplace(std::move(job_id), std::move(job));
    IndexLocked(handle, best);
  }
}

void Dispatcher::UnindexLocked(int64_t handle, Worker& worker) {
  if (worker.indexed_free == 0) return;
  for (v1::CodeNode::Language runtime : worker.connection.runtimes) {
    free_[runtime].erase({-worker.indexed_free, handle});
  }
  worker.indexed_free = 0;
}

void Dispatcher::IndexLocked(int64_t handle, Worker& worker) {
  int free = worker.draining ? 0 : std::max(worker.free(), 0);
  if (free == worker.indexed_free) return;
  UnindexLocked(handle, worker);
  if (free == 0) return;
  for (v1::CodeNode::Language runtime : worker.connection.runtimes) {
    free_[runtime].insert({-free, handle});
  }
  worker.indexed_free = free;
}

void Dispatcher::RecordFinishedLocked(const QueuedJob& job, const v1::NodeResult& result) {
  if (metrics_ == nullptr) return;
  metrics_->JobFinished(RequiredRuntime(job.job), result, options_.now() - job.enqueued_at);
}

void Dispatcher::Deliver(std::vector<Delivery> deliveries) {
  for (Delivery& d : deliveries) on_result_(d.key, std::move(d.result));
}

}  // namespace flowgrid::dispatch
