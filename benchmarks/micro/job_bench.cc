// One code-node job through the worker's job runner, fully sandboxed as the
// worker runs it (kernel sandbox, one slot cgroup), with the warm runtimes
// and without them: the worker-side cost of a job, without the scheduler,
// gRPC or the store. Needs root, like the worker.
//
// BM_PythonJob/zygote: forked from the slot's warm zygote, answered when
//   the job closes its channels and reaped in the background, as in the
//   worker (issue 6 floor: ≈ 1.3–1.8 ms per sandboxed job,
//   shared/notes/sandbox-spike.md).
// BM_PythonJob/fresh: a fresh /usr/bin/python3 -I -S per job (the baseline).
// BM_NodeJob/pool: on a pre-spawned node process (the pool refills in the
//   background; the benchmark waits for a ready process before each job,
//   outside the timing, so it measures a job that finds one), answered and
//   reaped as a zygote's job.
// BM_NodeJob/fresh: a fresh node per job.
//
// Counters, CPU per job (what caps throughput: issue 6 needs ≤ 2 ms per run
// in total): job_cpu_us, the job cgroups' (the slot's and the node pool's:
// the job processes, and the zygote or the pool's processes, their
// start-up included); worker_cpu_us, this process's, all threads (the job
// runner, the supervisor, the reaper, the pool's refill).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "flowgrid/v1/worker.pb.h"
#include "worker/job/job_runner.h"
#include "worker/runtimes/node/node_pool.h"
#include "worker/runtimes/node/node_runtime.h"
#include "worker/runtimes/python/zygote_client.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/kernel_sandbox.h"

namespace flowgrid::bench {
namespace {

constexpr int64_t kMemoryBytes = 256 << 20;

// The worker's set-up, made once for the whole binary.
struct Worker {
  std::unique_ptr<sandbox::SlotCgroups> cgroups;
  std::unique_ptr<sandbox::SlotCgroups> node_cgroups;  // the pool's own
  std::unique_ptr<runtimes::python::PythonZygotes> zygotes;
  std::unique_ptr<runtimes::node::NodePool> node_pool;
  std::unique_ptr<job::Reaper> reaper;
  std::string error;
  // The job cgroups' cumulative CPU counters (v1 cpuacct.usage, ns): the
  // slot's and the node pool's; none when the hierarchy is not v1.
  std::vector<std::string> cpu_files;
};

Worker& TheWorker() {
  static Worker* const worker = [] {
    auto* w = new Worker;
    sandbox::KernelSandboxOptions options;
    options.syscall_profiles = {{"/usr/bin/python3", sandbox::SyscallProfile::kPython},
                                {"/usr/bin/node", sandbox::SyscallProfile::kNode}};
    if (absl::Status s = sandbox::EnableKernelSandbox(options); !s.ok()) {
      w->error = s.ToString();
      return w;
    }
    absl::StatusOr<sandbox::CgroupHierarchy> hierarchy = sandbox::DetectCgroupHierarchy("");
    absl::StatusOr<std::unique_ptr<sandbox::SlotCgroups>> cgroups =
        hierarchy.ok() ? sandbox::SlotCgroups::Create(*hierarchy, "job-bench", 1)
                       : hierarchy.status();
    if (!cgroups.ok()) {
      w->error = cgroups.status().ToString();
      return w;
    }
    w->cgroups = *std::move(cgroups);
    cgroups = sandbox::SlotCgroups::Create(*hierarchy, "job-bench-node",
                                           runtimes::node::NodePool::CgroupsNeeded(1, 1));
    if (!cgroups.ok()) {
      w->error = cgroups.status().ToString();
      return w;
    }
    w->node_cgroups = *std::move(cgroups);
    if (hierarchy->version == sandbox::CgroupVersion::kV1) {
      w->cpu_files.push_back(absl::StrCat(hierarchy->cpuacct_parent, "/flowgrid-job-bench-",
                                          ::getpid(), "-slot0/cpuacct.usage"));
      for (int i = 0; i < runtimes::node::NodePool::CgroupsNeeded(1, 1); ++i) {
        w->cpu_files.push_back(absl::StrCat(hierarchy->cpuacct_parent,
                                            "/flowgrid-job-bench-node-", ::getpid(), "-slot", i,
                                            "/cpuacct.usage"));
      }
    }
    runtimes::python::ZygoteOptions zygote;
    zygote.binary = FLOWGRID_PYTHON_ZYGOTE_BINARY;
    zygote.isolated = true;
    w->zygotes = std::make_unique<runtimes::python::PythonZygotes>(zygote);
    w->reaper = std::make_unique<job::Reaper>();
    w->node_pool = std::make_unique<runtimes::node::NodePool>(
        1, runtimes::node::NodeProgram("/usr/bin/node", kMemoryBytes), w->node_cgroups.get());
    return w;
  }();
  return *worker;
}

// CPU used so far, in µs: the job cgroups' (-1 if unknown) and this
// process's.
int64_t JobCgroupsCpuUs(const Worker& worker) {
  if (worker.cpu_files.empty()) return -1;
  int64_t total_ns = 0;
  for (const std::string& path : worker.cpu_files) {
    std::ifstream file(path);
    int64_t ns = -1;
    if (!(file >> ns)) return -1;
    total_ns += ns;
  }
  return total_ns / 1000;
}

int64_t ProcessCpuUs() {
  struct rusage usage = {};
  ::getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000L + usage.ru_utime.tv_usec +
         usage.ru_stime.tv_usec;
}

v1::Job EchoJob(v1::CodeNode::Language language) {
  v1::Job job;
  job.set_job_id("bench");
  job.set_attempt(1);
  job.set_kind(v1::Job::RUN_CODE);
  job.set_language(language);
  job.set_code(language == v1::CodeNode::PYTHON3
                   ? "def main(x: int) -> dict:\n    return {'y': x + 1}\n"
                   : "function main({x}) { return {y: x + 1}; }\n");
  (*job.mutable_inputs())["x"].set_int_value(41);
  (*job.mutable_outputs())["y"].set_kind(v1::Type::NUMBER);
  job.mutable_limits()->set_memory_bytes(kMemoryBytes);
  return job;
}

void RunJobs(benchmark::State& state, v1::CodeNode::Language language, bool warm) {
  Worker& worker = TheWorker();
  if (!worker.error.empty()) {
    state.SkipWithError(worker.error.c_str());
    return;
  }
  job::JobRunnerOptions options;
  options.cgroups = worker.cgroups.get();
  // As in the worker: a warm job that answers before its exit is finished
  // by the reaper.
  if (warm) options.reaper = worker.reaper.get();
  if (warm && language == v1::CodeNode::PYTHON3) options.python_zygotes = worker.zygotes.get();
  if (warm && language == v1::CodeNode::JAVASCRIPT) options.node_pool = worker.node_pool.get();
  const job::JobRunner runner(options);
  const v1::Job job = EchoJob(language);
  // The first job starts the zygote; it is not what is measured.
  v1::NodeResult first = runner.Run(job, -1);
  if (first.status() != v1::NODE_SUCCEEDED) {
    state.SkipWithError(first.DebugString().c_str());
    return;
  }
  const int64_t cgroups_cpu_before = JobCgroupsCpuUs(worker);
  const int64_t process_cpu_before = ProcessCpuUs();
  for (auto _ : state) {
    if (options.node_pool != nullptr) {
      state.PauseTiming();
      worker.node_pool->WaitUntilReady(absl::Seconds(30));
      state.ResumeTiming();
    }
    v1::NodeResult result = runner.Run(job, -1);
    if (result.status() != v1::NODE_SUCCEEDED) {
      state.SkipWithError(result.DebugString().c_str());
      return;
    }
  }
  // Reads after the last job's reap (the slot lease waits for it; a pooled
  // node's may still be under way: one job's exit in many).
  { const auto slot = worker.cgroups->Acquire(); }
  const double jobs = static_cast<double>(state.iterations());
  const int64_t cgroups_cpu_after = JobCgroupsCpuUs(worker);
  if (cgroups_cpu_before >= 0 && cgroups_cpu_after >= 0) {
    state.counters["job_cpu_us"] = static_cast<double>(cgroups_cpu_after - cgroups_cpu_before) / jobs;
  }
  state.counters["worker_cpu_us"] =
      static_cast<double>(ProcessCpuUs() - process_cpu_before) / jobs;
}

void BM_PythonJob(benchmark::State& state) {
  RunJobs(state, v1::CodeNode::PYTHON3, state.range(0) == 1);
  state.SetLabel(state.range(0) == 1 ? "zygote" : "fresh");
}
BENCHMARK(BM_PythonJob)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_NodeJob(benchmark::State& state) {
  RunJobs(state, v1::CodeNode::JAVASCRIPT, state.range(0) == 1);
  state.SetLabel(state.range(0) == 1 ? "pool" : "fresh");
}
BENCHMARK(BM_NodeJob)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace flowgrid::bench

BENCHMARK_MAIN();
