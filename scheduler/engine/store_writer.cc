#include "scheduler/engine/store_writer.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace flowgrid::engine {

void StoreWriter::Write(store::RunWrite write, DurableFn durable) {
  absl::MutexLock lock(&mu_);
  queue_.push_back({std::move(write), std::move(durable)});
  ++queued_;
}

void StoreWriter::Drain() {
  std::vector<Pending> batch;
  std::vector<store::RunWrite> writes;
  absl::MutexLock lock(&mu_);
  if (committing_) return;  // that thread takes what is queued
  committing_ = true;
  while (!queue_.empty()) {
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    mu_.Unlock();
    writes.clear();
    for (Pending& pending : batch) writes.push_back(std::move(pending.write));
    const absl::Time started = absl::Now();
    std::vector<absl::Status> statuses = store_->Write(writes);
    if (metrics_ != nullptr) {
      metrics_->StoreWritten(absl::Now() - started,
                             std::count_if(statuses.begin(), statuses.end(),
                                           [](const absl::Status& s) { return !s.ok(); }));
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].durable) batch[i].durable(std::move(statuses[i]), std::move(writes[i].events));
    }
    const int64_t written = static_cast<int64_t>(batch.size());
    batch.clear();
    mu_.Lock();
    ++transactions_;
    done_ += written;
  }
  committing_ = false;
}

void StoreWriter::Flush() {
  int64_t target;
  {
    absl::MutexLock lock(&mu_);
    target = queued_;
  }
  Drain();
  absl::MutexLock lock(&mu_);
  auto reached = [this, target]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return done_ >= target; };
  mu_.Await(absl::Condition(&reached));
}

int64_t StoreWriter::transactions() const {
  absl::MutexLock lock(&mu_);
  return transactions_;
}

}  // namespace flowgrid::engine
