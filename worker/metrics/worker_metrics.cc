#include "worker/metrics/worker_metrics.h"

#include <cstdint>
#include <vector>

#include "common/metrics/labels.h"
#include "common/metrics/latency_buckets.h"

namespace flowgrid::metrics {
namespace {

// 1 MiB to 1 GiB, ×4 a bucket.
const std::vector<double>& PeakMemoryBuckets() {
  static const std::vector<double> buckets = [] {
    std::vector<double> bounds;
    for (int64_t bytes = int64_t{1} << 20; bytes <= int64_t{1} << 30; bytes *= 4) {
      bounds.push_back(static_cast<double>(bytes));
    }
    return bounds;
  }();
  return buckets;
}

constexpr const char* kLanguages[] = {"python3", "javascript"};

}  // namespace

std::string LanguageLabel(v1::Job::Kind kind, v1::CodeNode::Language language) {
  return LanguageLabel(kind == v1::Job::RENDER_TEMPLATE ? v1::CodeNode::PYTHON3 : language);
}

WorkerMetrics::WorkerMetrics(prometheus::Registry& registry, int slots)
    : slot_count_(slots),
      jobs_(prometheus::BuildCounter()
                .Name("flowgrid_worker_jobs_total")
                .Help("Jobs this worker ran, by the runtime they ran on and the verdict it "
                      "reported")
                .Register(registry)),
      job_duration_(prometheus::BuildHistogram()
                        .Name("flowgrid_worker_job_duration_seconds")
                        .Help("Job wall time in the sandbox, as the worker reports it")
                        .Register(registry)),
      sandbox_setup_(
          prometheus::BuildHistogram()
              .Name("flowgrid_worker_sandbox_setup_seconds")
              .Help("From a job slot starting the job (its arrival, unless the scheduler sent "
                    "more jobs than free slots) to the job's process being handed the code: a "
                    "fresh process exec'd, a Python zygote's child forked, a pooled node "
                    "process's input written. The runtime's own remaining start-up before user "
                    "code (interpreter start in a fresh process, the child's sandbox steps "
                    "after a zygote's fork) is not included")
              .Register(registry)),
      job_cpu_(prometheus::BuildCounter()
                   .Name("flowgrid_worker_job_cpu_seconds_total")
                   .Help("CPU time used by jobs (their cgroup's, else their processes')")
                   .Register(registry)),
      job_peak_memory_(prometheus::BuildHistogram()
                           .Name("flowgrid_worker_job_peak_memory_bytes")
                           .Help("Peak memory of each job (its cgroup's peak, else its "
                                 "process's largest resident size)")
                           .Register(registry)),
      slots_(prometheus::BuildGauge()
                 .Name("flowgrid_worker_slots")
                 .Help("This worker's job slots: busy running a job, or free")
                 .Register(registry)),
      slots_busy_(slots_.Add({{"state", "busy"}})),
      slots_free_(slots_.Add({{"state", "free"}})),
      connected_(prometheus::BuildGauge()
                     .Name("flowgrid_worker_connected")
                     .Help("1 while the stream to the scheduler is up")
                     .Register(registry)
                     .Add({})),
      draining_(prometheus::BuildGauge()
                    .Name("flowgrid_worker_draining")
                    .Help("1 while the worker drains")
                    .Register(registry)
                    .Add({})),
      reconnects_(prometheus::BuildCounter()
                      .Name("flowgrid_worker_reconnects_total")
                      .Help("Stream (re)connect attempts after the stream broke or could not "
                            "be opened")
                      .Register(registry)
                      .Add({})) {
  // The per-language series exist from the start, at zero.
  for (const char* language : kLanguages) {
    job_duration_.Add({{"language", language}}, LatencyBuckets());
    sandbox_setup_.Add({{"language", language}}, LatencyBuckets());
    job_cpu_.Add({{"language", language}});
    job_peak_memory_.Add({{"language", language}}, PeakMemoryBuckets());
  }
  SlotsBusy(0);
}

void WorkerMetrics::JobFinished(v1::Job::Kind kind, v1::CodeNode::Language language,
                                const v1::NodeResult& result) {
  const std::string runtime = LanguageLabel(kind, language);
  jobs_.Add({{"language", runtime}, {"verdict", VerdictLabel(Verdict(result))}}).Increment();
  const v1::Usage& usage = result.usage();
  job_duration_.Add({{"language", runtime}}, LatencyBuckets())
      .Observe(static_cast<double>(usage.wall_us()) / 1e6);
  job_cpu_.Add({{"language", runtime}}).Increment(static_cast<double>(usage.cpu_us()) / 1e6);
  job_peak_memory_.Add({{"language", runtime}}, PeakMemoryBuckets())
      .Observe(static_cast<double>(usage.peak_memory_bytes()));
}

void WorkerMetrics::SandboxSetUp(v1::Job::Kind kind, v1::CodeNode::Language language,
                                 absl::Duration setup) {
  sandbox_setup_.Add({{"language", LanguageLabel(kind, language)}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(setup));
}

void WorkerMetrics::SlotsBusy(int busy) {
  slots_busy_.Set(busy);
  slots_free_.Set(slot_count_ - busy);
}

void WorkerMetrics::SetConnected(bool connected) { connected_.Set(connected ? 1 : 0); }

void WorkerMetrics::SetDraining(bool draining) { draining_.Set(draining ? 1 : 0); }

void WorkerMetrics::ReconnectAttempted() { reconnects_.Increment(); }

}  // namespace flowgrid::metrics
