// The worker's Prometheus metrics (component="worker"; names, labels and
// meanings are the catalogue's, docs/OPERATIONS.md "Metrics"). Recorded
// where each thing happens: the slot pool (slots), the job runner (sandbox
// setup), the agent (job outcomes as sent, stream state, drain). Each of
// those takes a WorkerMetrics* (nullptr: not recorded), so they stay
// testable without HTTP: a test gives this its own prometheus::Registry and
// reads the values back through Collect().
//
// Label values: language "python3" | "javascript" (a template runs on
// Python: "python3"), verdict "ok" or the ErrorCode name lower-cased. Never
// an id. Thread-safe.
#ifndef FLOWGRID_WORKER_METRICS_WORKER_METRICS_H_
#define FLOWGRID_WORKER_METRICS_WORKER_METRICS_H_

#include <string>

#include "absl/time/time.h"
#include "flowgrid/v1/worker.pb.h"
#include "flowgrid/v1/workflow.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace flowgrid::metrics {

// The runtime a job runs on, as a label value (common/metrics/labels.h):
// RENDER_TEMPLATE is Python whatever its language; a language the worker
// does not know is "unspecified".
std::string LanguageLabel(v1::Job::Kind kind, v1::CodeNode::Language language);

class WorkerMetrics {
 public:
  // Registers the worker's families in `registry`, which must outlive this.
  // `slots`: the worker's job slots (all free at first).
  WorkerMetrics(prometheus::Registry& registry, int slots);
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;

  // A job's outcome as the worker reports it: counted by verdict, and its
  // usage (wall time, CPU, peak memory) observed.
  void JobFinished(v1::Job::Kind kind, v1::CodeNode::Language language,
                   const v1::NodeResult& result);

  // From the job's slot starting it to its process being handed the code.
  void SandboxSetUp(v1::Job::Kind kind, v1::CodeNode::Language language, absl::Duration setup);

  // `busy` of the worker's slots run a job now.
  void SlotsBusy(int busy);

  void SetConnected(bool connected);
  void SetDraining(bool draining);
  // A (re)connect attempt after the stream broke or could not be opened.
  void ReconnectAttempted();

 private:
  const int slot_count_;
  prometheus::Family<prometheus::Counter>& jobs_;
  prometheus::Family<prometheus::Histogram>& job_duration_;
  prometheus::Family<prometheus::Histogram>& sandbox_setup_;
  prometheus::Family<prometheus::Counter>& job_cpu_;
  prometheus::Family<prometheus::Histogram>& job_peak_memory_;
  prometheus::Family<prometheus::Gauge>& slots_;
  prometheus::Gauge& slots_busy_;
  prometheus::Gauge& slots_free_;
  prometheus::Gauge& connected_;
  prometheus::Gauge& draining_;
  prometheus::Counter& reconnects_;
};

}  // namespace flowgrid::metrics

#endif  // FLOWGRID_WORKER_METRICS_WORKER_METRICS_H_
