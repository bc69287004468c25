// metrics::SchedulerMetrics — the scheduler's Prometheus series that are
// recorded where their event happens (the metrics catalogue of issue #8,
// docs/OPERATIONS.md): runs and rejected requests (engine::RunEngine and
// service::WorkflowServiceImpl),
// job deliveries, outcomes, requeues and lost workers (dispatch::Dispatcher),
// store writes (engine::StoreWriter), WatchRun streams
// (service::WorkflowServiceImpl). The gauges of the dispatcher's state
// (queue depth, workers, slots) are read when scraped instead
// (dispatch/dispatcher_gauges.h).
//
// Every series whose labels are known in advance is registered at
// construction with the value 0, so that rates and alerts see it from the
// first scrape. Jobs of a language other than python3 and javascript
// (refused by validation) are not recorded. The components take a SchedulerMetrics* and record nothing
// when it is null. Thread-safe; recording is a few atomic operations (no
// label lookup), cheap enough under the dispatcher's lock.
#ifndef FLOWGRID_SCHEDULER_METRICS_SCHEDULER_METRICS_H_
#define FLOWGRID_SCHEDULER_METRICS_SCHEDULER_METRICS_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "common/metrics/labels.h"
#include "flowgrid/v1/workflow.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace flowgrid::metrics {

class SchedulerMetrics {
 public:
  explicit SchedulerMetrics(prometheus::Registry& registry);
  SchedulerMetrics(const SchedulerMetrics&) = delete;
  SchedulerMetrics& operator=(const SchedulerMetrics&) = delete;

  // A new run was accepted (not an idempotent repeat).
  void RunSubmitted();
  // A run reached its final `status`, `duration` after it was submitted.
  void RunFinished(v1::RunStatus status, absl::Duration duration);
  void SetRunsActive(size_t runs);
  // A client's request refused (common/metrics/labels.h: which, and why).
  void SubmissionRejected(Rejection why);
  // A node failed and its retry policy runs it again.
  void NodeRetried();

  // A job was sent to a worker (every delivery, redeliveries included).
  void JobDispatched(v1::CodeNode::Language language);
  // A job left the scheduler with `result` (also WORKER_LOST after its
  // last delivery, QUEUE_TIMEOUT, CANCELLED), `duration` after it was
  // first queued.
  void JobFinished(v1::CodeNode::Language language, const v1::NodeResult& result,
                   absl::Duration duration);
  // A job went back to the queue because its worker was lost or handed it
  // back.
  void JobRequeued();
  void WorkerLost();

  // One store transaction (a batch of writes) took `duration`, and
  // `failed_writes` of its writes failed.
  void StoreWritten(absl::Duration duration, int64_t failed_writes);

  void WatchStreamOpened();
  void WatchStreamClosed();

 private:
  // python3 and javascript: the languages validation lets through.
  static constexpr std::array<v1::CodeNode::Language, 2> kLanguages = {v1::CodeNode::PYTHON3,
                                                                       v1::CodeNode::JAVASCRIPT};
  // Index 0 (ERROR_CODE_UNSPECIFIED) is the verdict "ok".
  static constexpr size_t kVerdicts = v1::ErrorCode_ARRAYSIZE;

  // The index of `language` in kLanguages; kLanguages.size() for another
  // one, which is then not recorded.
  static size_t LanguageIndex(v1::CodeNode::Language language);

  prometheus::Counter& runs_submitted_;
  prometheus::Family<prometheus::Counter>& runs_finished_;
  std::array<prometheus::Counter*, v1::RunStatus_ARRAYSIZE> runs_finished_by_status_{};
  prometheus::Gauge& runs_active_;
  prometheus::Histogram& run_duration_;
  prometheus::Family<prometheus::Counter>& rejected_;
  std::array<prometheus::Counter*, kRejections.size()> rejected_by_reason_{};
  prometheus::Counter& node_retries_;
  prometheus::Family<prometheus::Counter>& jobs_dispatched_;
  prometheus::Family<prometheus::Counter>& jobs_finished_;
  prometheus::Family<prometheus::Histogram>& job_duration_;
  std::array<prometheus::Counter*, kLanguages.size()> dispatched_by_language_{};
  std::array<std::array<prometheus::Counter*, kVerdicts>, kLanguages.size()>
      finished_by_verdict_{};
  std::array<prometheus::Histogram*, kLanguages.size()> job_duration_by_language_{};
  prometheus::Counter& job_requeues_;
  prometheus::Counter& workers_lost_;
  prometheus::Histogram& store_write_duration_;
  prometheus::Counter& store_write_errors_;
  prometheus::Gauge& watch_streams_;
};

}  // namespace flowgrid::metrics

#endif  // FLOWGRID_SCHEDULER_METRICS_SCHEDULER_METRICS_H_
