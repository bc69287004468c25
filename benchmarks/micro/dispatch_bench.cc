// Scheduler dispatch of nodes that need no worker, and the dispatcher's
// queue under a backlog.
//
// BM_EngineRun: whole runs of start / if-else / variable-aggregator / end
// graphs submitted to the real engine::RunEngine over the SQLite store
// (in memory, or a file as the scheduler uses it): compile, persist,
// execute, publish. Target (issue 6): >= 50,000 nodes/s.
// BM_Execution: the same graphs through run::Execution alone (the state
// machine without the shell), to tell where the time goes.
// BM_DispatchWithBacklog: one Python job dispatched and answered while
// `backlog` JavaScript jobs wait for a runtime that is busy.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "benchmarks/micro/workflow_shapes.h"
#include "common/value_json.h"
#include "scheduler/dispatch/dispatcher.h"
#include "scheduler/engine/run_engine.h"
#include "scheduler/run/execution.h"
#include "scheduler/store/sqlite_run_store.h"

namespace flowgrid::bench {
namespace {

enum class StoreKind { kMemory, kFile };

// A SQLite store in memory, or in a file of a fresh temporary directory
// removed afterwards.
class ScratchStore {
 public:
  explicit ScratchStore(StoreKind kind) {
    std::string path = ":memory:";
    if (kind == StoreKind::kFile) {
      std::string pattern = (std::filesystem::temp_directory_path() / "flowgrid-bench-XXXXXX");
      if (mkdtemp(pattern.data()) == nullptr) return;
      dir_ = pattern;
      path = dir_ + "/flowgrid.db";
    }
    absl::StatusOr<std::unique_ptr<store::SqliteRunStore>> opened =
        store::SqliteRunStore::Open(path);
    if (opened.ok()) store_ = *std::move(opened);
  }
  ~ScratchStore() {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  store::SqliteRunStore* get() { return store_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<store::SqliteRunStore> store_;
};

ValueMap Inputs() {
  ValueMap inputs;
  inputs[kInputName] = StringValue(kInputValue);
  return inputs;
}

engine::EngineOptions Options() {
  engine::EngineOptions options = engine::DefaultEngineOptions();
  options.execution.max_steps = 1'000'000;  // the graphs here are larger than a default run
  return options;
}

void BM_EngineRun(benchmark::State& state, Shape shape, StoreKind kind) {
  const int nodes = static_cast<int>(state.range(0));
  const v1::Workflow workflow = MakeWorkflow(shape, nodes);
  ScratchStore store(kind);
  if (store.get() == nullptr) {
    state.SkipWithError("cannot open the store");
    return;
  }
  engine::RunEngine engine(store.get(), Options());
  std::string last_run;
  for (auto _ : state) {
    absl::StatusOr<engine::SubmitResult> submitted = engine.Submit(workflow, Inputs(), {}, "");
    if (!submitted.ok()) {
      state.SkipWithError(std::string(submitted.status().message()).c_str());
      return;
    }
    last_run = submitted->run_id;
  }
  // Every node runs in place, so the run has ended within Submit.
  absl::StatusOr<v1::Run> run = store.get()->GetRun(last_run);
  if (!run.ok() || run->status() != v1::RUN_SUCCEEDED || run->nodes_size() != nodes) {
    state.SkipWithError("the last run did not succeed with every node");
    return;
  }
  state.SetItemsProcessed(state.iterations() * nodes);
  state.counters["nodes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * nodes),
                         benchmark::Counter::kIsRate);
}

// Rates are per second of the benchmark thread's CPU time: on a shared
// machine that says more than wall time (both are printed).
void EngineArgs(benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMicrosecond); }

BENCHMARK_CAPTURE(BM_EngineRun, chain_memory, Shape::kChain, StoreKind::kMemory)
    ->Arg(10)->Arg(100)->Arg(1000)->Apply(EngineArgs);
BENCHMARK_CAPTURE(BM_EngineRun, fan_memory, Shape::kFan, StoreKind::kMemory)
    ->Arg(100)->Arg(1000)->Apply(EngineArgs);
BENCHMARK_CAPTURE(BM_EngineRun, layered_memory, Shape::kLayered, StoreKind::kMemory)
    ->Arg(1000)->Apply(EngineArgs);
BENCHMARK_CAPTURE(BM_EngineRun, chain_file, Shape::kChain, StoreKind::kFile)
    ->Arg(10)->Arg(100)->Arg(1000)->Apply(EngineArgs);
BENCHMARK_CAPTURE(BM_EngineRun, fan_file, Shape::kFan, StoreKind::kFile)
    ->Arg(1000)->Apply(EngineArgs);

void BM_Execution(benchmark::State& state, Shape shape) {
  const int nodes = static_cast<int>(state.range(0));
  std::shared_ptr<const graph::Plan> plan = graph::Plan::Compile(MakeWorkflow(shape, nodes)).plan;
  if (plan == nullptr) {
    state.SkipWithError("invalid workflow");
    return;
  }
  run::ExecutionOptions options;
  options.max_steps = 1'000'000;
  for (auto _ : state) {
    run::Execution execution(plan, Inputs(), {}, options);
    run::Step step = execution.Start();
    if (execution.status() != v1::RUN_SUCCEEDED) {
      state.SkipWithError("the run did not succeed");
      return;
    }
    benchmark::DoNotOptimize(step);
  }
  state.SetItemsProcessed(state.iterations() * nodes);
}
BENCHMARK_CAPTURE(BM_Execution, chain, Shape::kChain)->Arg(100)->Arg(1000);
BENCHMARK_CAPTURE(BM_Execution, fan, Shape::kFan)->Arg(1000);
BENCHMARK_CAPTURE(BM_Execution, layered, Shape::kLayered)->Arg(1000);

v1::Job JobFor(v1::CodeNode::Language language) {
  v1::Job job;
  job.set_kind(v1::Job::RUN_CODE);
  job.set_language(language);
  return job;
}

void BM_DispatchWithBacklog(benchmark::State& state) {
  const int backlog = static_cast<int>(state.range(0));
  const int workers = static_cast<int>(state.range(1));
  // Jobs pushed to workers, with the index of the worker that got each.
  std::vector<std::pair<int, v1::Job>> sent;
  auto sink = [&sent](int w) {
    return [&sent, w](const v1::SchedulerMessage& m) {
      if (m.has_job()) sent.emplace_back(w, m.job());
    };
  };
  dispatch::Dispatcher dispatcher([](const dispatch::JobKey&, v1::NodeResult) {});
  // The JavaScript workers are full, so the backlog waits; the Python
  // workers have room.
  std::vector<int64_t> python;
  for (int w = 0; w < workers; ++w) {
    dispatcher.AddWorker(absl::StrCat("js-", w), 1, {v1::CodeNode::JAVASCRIPT}, sink(-1));
    dispatcher.Enqueue({"busy", w, 1}, JobFor(v1::CodeNode::JAVASCRIPT));
    python.push_back(dispatcher.AddWorker(absl::StrCat("py-", w), 4, {v1::CodeNode::PYTHON3},
                                          sink(w)));
  }
  for (int i = 0; i < backlog; ++i) {
    dispatcher.Enqueue({"backlog", i, 1}, JobFor(v1::CodeNode::JAVASCRIPT));
  }
  sent.clear();
  int task = 0;
  v1::JobResult result;
  result.mutable_result()->set_status(v1::NODE_SUCCEEDED);
  for (auto _ : state) {
    dispatcher.Enqueue({"run", task++, 1}, JobFor(v1::CodeNode::PYTHON3));
    if (sent.size() != 1 || sent.front().first < 0) {
      state.SkipWithError("the Python job was not dispatched at once");
      return;
    }
    result.set_job_id(sent.front().second.job_id());
    result.set_attempt(sent.front().second.attempt());
    int64_t worker = python[sent.front().first];
    sent.clear();
    dispatcher.OnResult(worker, result);
  }
  if (dispatcher.stats().queued != backlog) state.SkipWithError("the backlog moved");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DispatchWithBacklog)
    ->Args({0, 1})->Args({1000, 1})->Args({10000, 1})->Args({1000, 8})->Args({10000, 8});

}  // namespace
}  // namespace flowgrid::bench

BENCHMARK_MAIN();
