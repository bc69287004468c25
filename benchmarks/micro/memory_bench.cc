// Scheduler memory with a long history: drives --runs small runs
// (start -> Python code -> end, the code answered by an in-process fake
// worker) through the real engine::RunEngine and SQLite store, then reports
// the process's resident memory (VmRSS, and its peak VmHWM, from
// /proc/self/status). Target (issue 6): <= 200 MB with 10,000 finished runs.
// Exits 1 if a run fails or the peak exceeds --max_rss_mb.
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/value_json.h"
#include "scheduler/engine/run_engine.h"
#include "scheduler/store/sqlite_run_store.h"

ABSL_FLAG(int, runs, 10000, "Runs to drive through the engine.");
ABSL_FLAG(int, concurrency, 32, "Runs in flight at once.");
ABSL_FLAG(std::string, store, "file", "\"file\" (a SQLite file in a temporary directory) or "
          "\"memory\".");
ABSL_FLAG(int, max_rss_mb, 200, "Exit 1 when VmHWM ends above this many MiB.");

namespace flowgrid::bench {
namespace {

// A /proc/self/status field in kB ("VmRSS", "VmHWM"), or -1.
int64_t StatusKb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    int64_t kb = -1;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits += c;
    }
    return absl::SimpleAtoi(digits, &kb) ? kb : -1;
  }
  return -1;
}

double Mb(int64_t kb) { return static_cast<double>(kb) / 1024.0; }

v1::Workflow SmallWorkflow() {
  v1::Workflow wf;
  wf.set_name("memory-bench");
  v1::Node* start = wf.add_nodes();
  start->set_id("s");
  v1::InputVariable* x = start->mutable_start()->add_variables();
  x->set_name("x");
  x->mutable_type()->set_kind(v1::Type::STRING);
  v1::Node* code = wf.add_nodes();
  code->set_id("c");
  code->mutable_code()->set_language(v1::CodeNode::PYTHON3);
  code->mutable_code()->set_code("def main(a):\n    return {\"y\": a.upper()}\n");
  v1::VariableBinding* a = code->mutable_code()->add_inputs();
  a->set_name("a");
  a->add_selector("s");
  a->add_selector("x");
  (*code->mutable_code()->mutable_outputs())["y"].set_kind(v1::Type::STRING);
  v1::Node* end = wf.add_nodes();
  end->set_id("e");
  v1::VariableBinding* out = end->mutable_end()->add_outputs();
  out->set_name("out");
  out->add_selector("c");
  out->add_selector("y");
  for (auto [source, target] : {std::pair{"s", "c"}, std::pair{"c", "e"}}) {
    v1::Edge* edge = wf.add_edges();
    edge->set_source(source);
    edge->set_target(target);
  }
  return wf;
}

// Answers every job pushed to it from a thread of its own (a sink must not
// call back into the dispatcher): code checks pass, code returns y = "OK".
class FakeWorker {
 public:
  explicit FakeWorker(dispatch::Dispatcher& dispatcher) : dispatcher_(dispatcher) {
    handle_ = dispatcher_.AddWorker("memory-bench", 64, {v1::CodeNode::PYTHON3},
                                    [this](const v1::SchedulerMessage& m) {
                                      if (!m.has_job()) return;
                                      absl::MutexLock lock(&mu_);
                                      jobs_.push_back(m.job());
                                    });
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeWorker() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
    dispatcher_.RemoveWorker(handle_);
  }

 private:
  void Loop() {
    while (true) {
      v1::Job job;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return stopping_ || !jobs_.empty();
        };
        mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(1));
        if (stopping_) return;
        if (jobs_.empty()) continue;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      v1::JobResult result;
      result.set_job_id(job.job_id());
      result.set_attempt(job.attempt());
      result.mutable_result()->set_status(v1::NODE_SUCCEEDED);
      if (job.kind() == v1::Job::RUN_CODE) {
        (*result.mutable_result()->mutable_outputs())["y"] = StringValue("OK");
      }
      dispatcher_.OnResult(handle_, result);
    }
  }

  dispatch::Dispatcher& dispatcher_;
  int64_t handle_;
  absl::Mutex mu_;
  std::deque<v1::Job> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Waits (bounded) until the run's log says it finished.
bool AwaitFinished(engine::RunEngine& engine, const std::string& run_id) {
  std::shared_ptr<engine::RunEventLog> log = engine.ActiveLog(run_id);
  if (log == nullptr) return true;  // already finished
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!log->finished() && absl::Now() < deadline) {
    log->WaitAfter(std::numeric_limits<int64_t>::max(), absl::Seconds(1));
  }
  return log->finished();
}

int Main() {
  const int runs = absl::GetFlag(FLAGS_runs);
  const int concurrency = std::max(1, absl::GetFlag(FLAGS_concurrency));
  std::string dir;
  std::string path = ":memory:";
  if (absl::GetFlag(FLAGS_store) == "file") {
    std::string pattern = std::filesystem::temp_directory_path() / "flowgrid-memory-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = pattern;
    path = dir + "/flowgrid.db";
  }
  int status = 0;
  {
    absl::StatusOr<std::unique_ptr<store::SqliteRunStore>> store =
        store::SqliteRunStore::Open(path);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    engine::RunEngine engine(store->get(), engine::DefaultEngineOptions());
    FakeWorker worker(engine.dispatcher());
    const v1::Workflow workflow = SmallWorkflow();
    ValueMap inputs;
    inputs["x"] = StringValue("hello");
    int64_t rss_start = StatusKb("VmRSS");
    absl::Time began = absl::Now();
    std::deque<std::string> in_flight;
    int failed = 0;
    for (int i = 0; i < runs || !in_flight.empty();) {
      if (i < runs && static_cast<int>(in_flight.size()) < concurrency) {
        absl::StatusOr<engine::SubmitResult> submitted = engine.Submit(workflow, inputs, {}, "");
        ++i;
        if (!submitted.ok()) {
          std::fprintf(stderr, "submit: %s\n", submitted.status().ToString().c_str());
          ++failed;
          continue;
        }
        in_flight.push_back(submitted->run_id);
        continue;
      }
      if (!AwaitFinished(engine, in_flight.front())) ++failed;
      absl::StatusOr<v1::Run> run = (*store)->GetRun(in_flight.front());
      if (!run.ok() || run->status() != v1::RUN_SUCCEEDED) ++failed;
      in_flight.pop_front();
    }
    double seconds = absl::ToDoubleSeconds(absl::Now() - began);
    int64_t rss_end = StatusKb("VmRSS");
    int64_t hwm = StatusKb("VmHWM");
    int64_t db_bytes = 0;
    for (const char* suffix : {"", "-wal"}) {
      std::error_code ec;
      auto size = std::filesystem::file_size(path + suffix, ec);
      if (!ec) db_bytes += static_cast<int64_t>(size);
    }
    std::printf(
        "runs=%d failed=%d concurrency=%d store=%s seconds=%.2f runs_per_s=%.0f\n"
        "rss_start_mb=%.1f rss_end_mb=%.1f hwm_mb=%.1f growth_per_run_kb=%.2f "
        "store_file_mb=%.1f\n",
        runs, failed, concurrency, absl::GetFlag(FLAGS_store).c_str(), seconds, runs / seconds,
        Mb(rss_start), Mb(rss_end), Mb(hwm),
        runs > 0 ? static_cast<double>(rss_end - rss_start) / runs : 0.0,
        static_cast<double>(db_bytes) / (1 << 20));
    if (failed > 0) status = 1;
    if (Mb(hwm) > absl::GetFlag(FLAGS_max_rss_mb)) {
      std::printf("peak RSS %.1f MB is above the %d MB bound\n", Mb(hwm),
                  absl::GetFlag(FLAGS_max_rss_mb));
      status = 1;
    }
  }
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return status;
}

}  // namespace
}  // namespace flowgrid::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return flowgrid::bench::Main();
}
