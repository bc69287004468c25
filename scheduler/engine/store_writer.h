// engine::StoreWriter — group commit of run records and events: writes are
// queued in order (cheap, e.g. under the engine's lock), and Drain(), called
// outside that lock, commits everything queued in one transaction. When a
// thread is already committing, Drain() returns at once and that thread
// commits the newcomers in its next transaction: at low load a write is
// committed inline by the thread that made it (no thread hop), under load N
// writers share one commit and only one thread waits for the store.
//
// Contract: writes are applied in the order Write() was called; each
// write's `durable` callback runs after the transaction holding it has
// committed (or failed: the status says which), in the same order, never
// two at a time, and gets the write's events back (moved, not copied) so
// that they can be published only once durable. A write is committed by
// the first Drain() or Flush() that starts after it was queued, or by the
// Drain() in progress when it was queued. Thread-safe.
#ifndef FLOWGRID_SCHEDULER_ENGINE_STORE_WRITER_H_
#define FLOWGRID_SCHEDULER_ENGINE_STORE_WRITER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "scheduler/metrics/scheduler_metrics.h"
#include "scheduler/store/run_store.h"

namespace flowgrid::engine {

class StoreWriter {
 public:
  using DurableFn = std::function<void(absl::Status status, std::vector<v1::RunEvent> events)>;

  // At most this many writes go into one transaction.
  static constexpr size_t kMaxBatch = 256;

  // `metrics` (not owned) may be null; otherwise each transaction's
  // duration and failed writes are recorded.
  explicit StoreWriter(store::RunStore* store, metrics::SchedulerMetrics* metrics = nullptr)
      : store_(store), metrics_(metrics) {}
  // Commits what is still queued.
  ~StoreWriter() { Flush(); }
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Queues a write; it is committed by the next Drain().
  void Write(store::RunWrite write, DurableFn durable);

  // Commits what is queued, unless another thread is committing (it then
  // takes these writes too). Must not be called from a `durable` callback.
  void Drain();

  // Drains, then waits until every write queued before this call has
  // committed and its callback has returned.
  void Flush();

  // Transactions committed so far (tests and diagnostics).
  int64_t transactions() const;

 private:
  struct Pending {
    store::RunWrite write;
    DurableFn durable;
  };

  store::RunStore* const store_;
  metrics::SchedulerMetrics* const metrics_;
  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  // A thread is committing (the only one that may).
  bool committing_ ABSL_GUARDED_BY(mu_) = false;
  // Writes queued since the start, and writes whose callback has returned.
  int64_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t done_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t transactions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_STORE_WRITER_H_
