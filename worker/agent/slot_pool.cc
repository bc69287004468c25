#include "worker/agent/slot_pool.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace flowgrid::agent {
namespace {

v1::NodeResult FailedResult(v1::ErrorCode code, std::string message) {
  v1::NodeResult result;
  result.set_status(v1::NODE_FAILED);
  result.mutable_error()->set_code(code);
  result.mutable_error()->set_message(std::move(message));
  return result;
}

}  // namespace

SlotPool::SlotPool(int slots, RunFn run, DoneFn done, metrics::WorkerMetrics* metrics)
    : run_(std::move(run)), done_(std::move(done)), metrics_(metrics) {
  threads_.reserve(slots);
  for (int i = 0; i < slots; ++i) threads_.emplace_back([this] { SlotLoop(); });
}

SlotPool::~SlotPool() {
  CancelAll();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

void SlotPool::Submit(v1::Job job, uint64_t connection) {
  auto entry = std::make_shared<Entry>();
  entry->connection = connection;
  entry->cancel_fd.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  std::string rejection;
  {
    absl::MutexLock lock(&mu_);
    if (present_.contains(job.job_id())) {
      rejection = absl::StrCat("Job ", job.job_id(), " is already present on this worker.");
    } else if (!entry->cancel_fd.valid()) {
      rejection = absl::StrCat("Worker cannot create a cancel event: ", std::strerror(errno));
    } else {
      if (static_cast<int>(present_.size()) >= slots()) {
        LogWarning(absl::StrCat("scheduler sent job ", job.job_id(), " beyond the free credits (",
                                present_.size(), " of ", slots(),
                                " slots in use); it waits for a slot"));
      }
      entry->job = std::move(job);
      present_[entry->job.job_id()] = entry;
      queue_.push_back(std::move(entry));
      return;
    }
  }
  LogError(rejection);
  done_(FinishedJob{job.job_id(), job.attempt(), connection, job.kind(), job.language(),
                    FailedResult(v1::INTERNAL, std::move(rejection))});
}

void SlotPool::SignalCancel(Entry& entry) {
  entry.cancelled = true;
  const uint64_t one = 1;
  // Cannot fail short of a bug: the counter is far from overflowing.
  (void)!::write(entry.cancel_fd.get(), &one, sizeof(one));
}

bool SlotPool::Cancel(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  auto it = present_.find(job_id);
  if (it == present_.end()) return false;
  SignalCancel(*it->second);
  return true;
}

int SlotPool::CancelAll() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, entry] : present_) SignalCancel(*entry);
  return static_cast<int>(present_.size());
}

int SlotPool::InUse() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(present_.size());
}

int SlotPool::RunningLocked() const {
  return static_cast<int>(present_.size() - queue_.size());
}

bool SlotPool::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return present_.empty() && reporting_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void SlotPool::SlotLoop() {
  while (true) {
    std::shared_ptr<Entry> entry;
    bool cancelled_before_start = false;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      if (queue_.empty()) return;  // stopping
      entry = std::move(queue_.front());
      queue_.pop_front();
      cancelled_before_start = entry->cancelled;
      if (metrics_ != nullptr) metrics_->SlotsBusy(RunningLocked());
    }
    v1::NodeResult result =
        cancelled_before_start ? FailedResult(v1::CANCELLED, "Job was cancelled.")
                               : run_(entry->job, entry->cancel_fd.get());
    {
      absl::MutexLock lock(&mu_);
      present_.erase(entry->job.job_id());
      ++reporting_;
      if (metrics_ != nullptr) metrics_->SlotsBusy(RunningLocked());
    }
    done_(FinishedJob{entry->job.job_id(), entry->job.attempt(), entry->connection,
                      entry->job.kind(), entry->job.language(), std::move(result)});
    {
      absl::MutexLock lock(&mu_);
      --reporting_;
    }
  }
}

}  // namespace flowgrid::agent
