#include "scheduler/metrics/scheduler_metrics.h"

#include "common/metrics/latency_buckets.h"
#include "common/metrics/labels.h"

namespace flowgrid::metrics {
namespace {

prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& registry,
                                                       const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Counter& Counter(prometheus::Registry& registry, const char* name, const char* help) {
  return CounterFamily(registry, name, help).Add({});
}

prometheus::Gauge& Gauge(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Family<prometheus::Histogram>& HistogramFamily(prometheus::Registry& registry,
                                                           const char* name, const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

}  // namespace

SchedulerMetrics::SchedulerMetrics(prometheus::Registry& registry)
    : runs_submitted_(Counter(registry, "flowgrid_runs_submitted_total",
                              "Runs accepted (new runs; idempotent repeats not counted).")),
      runs_finished_(CounterFamily(registry, "flowgrid_runs_finished_total",
                                   "Runs reaching a final status.")),
      runs_active_(Gauge(registry, "flowgrid_runs_active", "Runs in progress now.")),
      run_duration_(HistogramFamily(registry, "flowgrid_run_duration_seconds",
                                    "From a run's submission to its final status.")
                        .Add({}, LatencyBuckets())),
      rejected_(CounterFamily(registry, "flowgrid_submissions_rejected_total",
                              "Client requests refused: SubmitRun overloaded (RESOURCE_EXHAUSTED), "
                              "invalid or too large, WatchRun rate limited.")),
      node_retries_(Counter(registry, "flowgrid_node_retries_total",
                            "Node retries from a node's retry policy.")),
      jobs_dispatched_(CounterFamily(registry, "flowgrid_jobs_dispatched_total",
                                     "Job deliveries sent to workers (redeliveries included).")),
      jobs_finished_(CounterFamily(registry, "flowgrid_jobs_finished_total",
                                   "Job outcomes as the scheduler records them.")),
      job_duration_(HistogramFamily(registry, "flowgrid_job_duration_seconds",
                                    "From a job's first queueing to its result.")),
      job_requeues_(Counter(registry, "flowgrid_job_requeues_total",
                            "Jobs put back in the queue after their worker was lost or "
                            "handed them back.")),
      workers_lost_(Counter(registry, "flowgrid_workers_lost_total",
                            "Workers declared lost (stream broke or lease expired).")),
      store_write_duration_(HistogramFamily(registry, "flowgrid_store_write_duration_seconds",
                                            "One store write (a batch in one transaction).")
                                .Add({}, LatencyBuckets())),
      store_write_errors_(
          Counter(registry, "flowgrid_store_write_errors_total", "Failed store writes (one run record or its events each).")),
      watch_streams_(Gauge(registry, "flowgrid_watch_streams", "WatchRun streams open.")) {
  for (size_t r = 0; r < kRejections.size(); ++r) {
    rejected_by_reason_[r] = &rejected_.Add({{"reason", RejectionLabel(kRejections[r])}});
  }
  for (v1::RunStatus status :
       {v1::RUN_SUCCEEDED, v1::RUN_PARTIAL_SUCCEEDED, v1::RUN_FAILED, v1::RUN_CANCELLED}) {
    runs_finished_by_status_[status] = &runs_finished_.Add({{"status", RunStatusLabel(status)}});
  }
  for (size_t l = 0; l < kLanguages.size(); ++l) {
    const std::string language = LanguageLabel(kLanguages[l]);
    dispatched_by_language_[l] = &jobs_dispatched_.Add({{"language", language}});
    job_duration_by_language_[l] = &job_duration_.Add({{"language", language}}, LatencyBuckets());
    for (size_t code = 0; code < kVerdicts; ++code) {
      if (!v1::ErrorCode_IsValid(static_cast<int>(code))) continue;
      finished_by_verdict_[l][code] = &jobs_finished_.Add(
          {{"language", language},
           {"verdict", VerdictLabel(static_cast<v1::ErrorCode>(code))}});
    }
  }
}

size_t SchedulerMetrics::LanguageIndex(v1::CodeNode::Language language) {
  for (size_t l = 0; l < kLanguages.size(); ++l) {
    if (kLanguages[l] == language) return l;
  }
  return kLanguages.size();
}

void SchedulerMetrics::RunSubmitted() { runs_submitted_.Increment(); }

void SchedulerMetrics::RunFinished(v1::RunStatus status, absl::Duration duration) {
  if (status >= 0 && static_cast<size_t>(status) < runs_finished_by_status_.size() &&
      runs_finished_by_status_[status] != nullptr) {
    runs_finished_by_status_[status]->Increment();
  }
  run_duration_.Observe(absl::ToDoubleSeconds(duration));
}

void SchedulerMetrics::SetRunsActive(size_t runs) {
  runs_active_.Set(static_cast<double>(runs));
}

void SchedulerMetrics::SubmissionRejected(Rejection why) {
  for (size_t r = 0; r < kRejections.size(); ++r) {
    if (kRejections[r] == why) rejected_by_reason_[r]->Increment();
  }
}

void SchedulerMetrics::NodeRetried() { node_retries_.Increment(); }

void SchedulerMetrics::JobDispatched(v1::CodeNode::Language language) {
  const size_t l = LanguageIndex(language);
  if (l < kLanguages.size()) dispatched_by_language_[l]->Increment();
}

void SchedulerMetrics::JobFinished(v1::CodeNode::Language language, const v1::NodeResult& result,
                                   absl::Duration duration) {
  const size_t l = LanguageIndex(language);
  if (l == kLanguages.size()) return;
  finished_by_verdict_[l][Verdict(result)]->Increment();
  job_duration_by_language_[l]->Observe(absl::ToDoubleSeconds(duration));
}

void SchedulerMetrics::JobRequeued() { job_requeues_.Increment(); }

void SchedulerMetrics::WorkerLost() { workers_lost_.Increment(); }

void SchedulerMetrics::StoreWritten(absl::Duration duration, int64_t failed_writes) {
  store_write_duration_.Observe(absl::ToDoubleSeconds(duration));
  if (failed_writes > 0) store_write_errors_.Increment(static_cast<double>(failed_writes));
}

void SchedulerMetrics::WatchStreamOpened() { watch_streams_.Increment(); }

void SchedulerMetrics::WatchStreamClosed() { watch_streams_.Decrement(); }

}  // namespace flowgrid::metrics
