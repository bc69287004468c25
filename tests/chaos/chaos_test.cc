// The chaos acceptance test (issue 7): 1 scheduler + 3 workers, many runs
// submitted concurrently with idempotency keys; while they run, one worker
// is SIGKILLed every few seconds and started again, and the scheduler is
// SIGKILLed once mid-way and started again on the same store and ports.
// Then every accepted run must have reached exactly one terminal state,
// every SUCCEEDED run must have the right outputs, no node result may be
// duplicated, and each key must still name its run (run_check.h).
//
// Forms (README.md): the short one by default (CI); FLOWGRID_CHAOS_FULL=1
// for the full one (2,000 runs); FLOWGRID_CHAOS_RUNS=N overrides the count.
//
// Threads: the main thread owns the processes (their parent-death signal
// is tied to it) and injects the faults; client threads submit and wait.
// Everything is bounded by one deadline; a watchdog ends the process
// (and so, by their parent-death signal, every child) if the test itself
// hangs past it.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "client/sdk/client.h"
#include "gtest/gtest.h"
#include "tests/chaos/chaos_cluster.h"
#include "tests/chaos/chaos_workload.h"
#include "tests/chaos/run_check.h"

namespace flowgrid::chaos {
namespace {

// How much chaos: the short form runs in CI, the full one on demand.
struct Form {
  int runs = 250;
  int client_threads = 16;
  // Between two submissions of one client thread: runs arrive over a while,
  // so that the scheduler kill hits submissions as well as running runs.
  absl::Duration submit_spacing = absl::Milliseconds(400);
  absl::Duration worker_kill_interval = absl::Seconds(2);
  int max_worker_kills = 12;
  // Fraction of the runs accepted when the scheduler is killed.
  double scheduler_kill_at = 0.6;
  // Time for every run to reach its end, faults included.
  absl::Duration run_deadline = absl::Seconds(150);
};

Form ChosenForm() {
  Form form;
  const char* full = std::getenv("FLOWGRID_CHAOS_FULL");
  if (full != nullptr && std::string(full) == "1") {
    form.runs = 2000;
    form.client_threads = 32;
    form.submit_spacing = absl::Milliseconds(250);
    form.worker_kill_interval = absl::Seconds(3);
    form.max_worker_kills = 100;
    form.run_deadline = absl::Seconds(900);
  }
  int runs = 0;
  const char* count = std::getenv("FLOWGRID_CHAOS_RUNS");
  if (count != nullptr && absl::SimpleAtoi(count, &runs) && runs > 0) form.runs = runs;
  return form;
}

// Time after a worker kill before the worker is started again, and after
// the scheduler kill before it is.
constexpr absl::Duration kRestartDelay = absl::Milliseconds(500);
// Submissions are retried with the same key on these codes: the scheduler
// is down or restarting (UNAVAILABLE, or a call cut off by the crash:
// DEADLINE_EXCEEDED), or it is full (RESOURCE_EXHAUSTED).
constexpr absl::Duration kSubmitBackoffMax = absl::Seconds(2);
constexpr int kFailuresShown = 10;

bool Retryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kDeadlineExceeded;
}

std::string IdempotencyKey(int index) { return absl::StrCat("chaos-run-", index); }

// One run of the test: what the client learned about it.
struct RunSlot {
  std::string run_id;           // set once accepted
  absl::Status submit_error;    // why it was never accepted
  absl::Status wait_error;      // why waiting for its end failed
  RunVerdict verdict;           // after the faults
  std::vector<std::string> other_problems;  // reading it back, its key
};

class Counters {
 public:
  void Add(const std::string& what) {
    absl::MutexLock lock(&mu_);
    ++counts_[what];
  }
  std::string Text() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> parts;
    for (const auto& [what, count] : counts_) parts.push_back(absl::StrCat(what, " ", count));
    return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> counts_ ABSL_GUARDED_BY(mu_);
};

// Public: the test body passes its member functions to client threads.
// How long clients take to reach the restarted scheduler: from the moment
// it is ready to the first submission it accepts.
class Reconnection {
 public:
  void SchedulerReady() {
    absl::MutexLock lock(&mu_);
    ready_ = absl::Now();
  }
  void Accepted() {
    absl::MutexLock lock(&mu_);
    if (ready_ != absl::InfinitePast() && accepted_ == absl::InfinitePast()) {
      accepted_ = absl::Now();
    }
  }
  std::string Text() const {
    absl::MutexLock lock(&mu_);
    if (ready_ == absl::InfinitePast()) return "no scheduler restart";
    if (accepted_ == absl::InfinitePast()) return "no submission after the scheduler restart";
    return absl::StrCat(
        "first submission accepted ",
        absl::FormatDuration(absl::Trunc(accepted_ - ready_, absl::Milliseconds(10))),
        " after the restarted scheduler was ready");
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time ready_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time accepted_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

class ChaosTest : public ::testing::Test {
 public:
  void SetUp() override {
    form_ = ChosenForm();
    char pattern[] = "/tmp/flowgrid-chaos-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    work_dir_ = pattern;
    deadline_ = absl::Now() + form_.run_deadline;
    // Beyond the deadline plus the time to verify and stop: the test hangs.
    watchdog_ = std::thread([this, hard = deadline_ + absl::Seconds(120)] {
      if (!done_.WaitForNotificationWithDeadline(hard)) {
        std::cerr << "chaos: the test is still going long after its deadline; exiting "
                     "(the children die with it)"
                  << std::endl;
        ::_exit(3);
      }
    });
  }

  void TearDown() override {
    if (cluster_ != nullptr) {
      for (const std::string& ending : cluster_->Stop(absl::Seconds(10))) {
        std::cout << "chaos: stopped " << ending << "\n";
      }
    }
    done_.Notify();
    if (watchdog_.joinable()) watchdog_.join();
    if (HasFailure()) {
      std::cerr << "chaos: keeping the store and process logs in " << work_dir_ << "\n";
    } else {
      std::filesystem::remove_all(work_dir_);
    }
  }

  absl::StatusOr<std::string> SubmitWithRetry(Client& client, int index) {
    absl::Duration backoff = absl::Milliseconds(50);
    while (true) {
      absl::StatusOr<std::string> run_id =
          client.Submit(workflow_, RunInputs(index), IdempotencyKey(index));
      if (run_id.ok()) reconnection_.Accepted();
      if (run_id.ok() || !Retryable(run_id.status().code())) return run_id;
      submit_retries_.Add(absl::StatusCodeToString(run_id.status().code()));
      if (absl::Now() + backoff >= deadline_) return run_id;
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, kSubmitBackoffMax);
    }
  }

  // Waits for the run's end; the SDK re-attaches by itself a few times,
  // and the test goes on re-attaching after the last event seen while the
  // scheduler is away for longer.
  absl::Status WaitForEnd(Client& client, const std::string& run_id) {
    int64_t last_sequence = 0;
    while (true) {
      absl::StatusOr<v1::RunFinished> finished = client.Watch(
          run_id, last_sequence, [&](const v1::RunEvent& event) { last_sequence = event.sequence(); });
      if (finished.ok()) return absl::OkStatus();
      if (finished.status().code() != absl::StatusCode::kUnavailable || absl::Now() >= deadline_) {
        return finished.status();
      }
      watch_reattaches_.Add("UNAVAILABLE");
      absl::SleepFor(absl::Milliseconds(500));
    }
  }

  // Client thread `t`: submits its share of the runs, then waits for each.
  void SubmitAndWait(Client& client, int t) {
    for (int i = t; i < form_.runs; i += form_.client_threads) {
      if (i != t) absl::SleepFor(form_.submit_spacing);
      absl::StatusOr<std::string> run_id = SubmitWithRetry(client, i);
      if (run_id.ok()) {
        slots_[i].run_id = *run_id;
        ++accepted_;
      } else {
        slots_[i].submit_error = run_id.status();
        ++resolved_;
      }
    }
    for (int i = t; i < form_.runs; i += form_.client_threads) {
      if (slots_[i].run_id.empty()) continue;
      slots_[i].wait_error = WaitForEnd(client, slots_[i].run_id);
      ++resolved_;
    }
  }

  // After the faults: reads each run back and checks it; the same key
  // must give the same run.
  void Verify(Client& client, int t) {
    for (int i = t; i < form_.runs; i += form_.client_threads) {
      RunSlot& slot = slots_[i];
      if (slot.run_id.empty()) continue;
      absl::StatusOr<v1::Run> record = client.Get(slot.run_id);
      if (!record.ok()) {
        slot.other_problems.push_back(
            absl::StrCat("cannot read the run back: ", record.status().ToString()));
      } else if (!slot.wait_error.ok()) {
        slot.verdict.status = record->status();  // the wait error says what is wrong
      } else {
        std::vector<v1::RunEvent> events;
        absl::StatusOr<v1::RunFinished> log = client.Watch(
            slot.run_id, 0, [&](const v1::RunEvent& event) { events.push_back(event); });
        if (!log.ok()) {
          slot.other_problems.push_back(
              absl::StrCat("cannot read its event log: ", log.status().ToString()));
        }
        slot.verdict = CheckRun(Expected(i, workload_), *record, events);
      }
      absl::StatusOr<std::string> again = SubmitWithRetry(client, i);
      if (!again.ok()) {
        slot.other_problems.push_back(
            absl::StrCat("submitting its key again failed: ", again.status().ToString()));
      } else if (*again != slot.run_id) {
        slot.other_problems.push_back(absl::StrCat("its key ", IdempotencyKey(i),
                                                   " now names another run, ", *again));
      }
    }
  }

  template <typename Work>
  void OnClientThreads(Client& client, Work work) {
    std::vector<std::thread> threads;
    for (int t = 0; t < form_.client_threads; ++t) {
      threads.emplace_back([this, &client, work, t] { (this->*work)(client, t); });
    }
    for (std::thread& thread : threads) thread.join();
  }

  void Log(const std::string& line) {
    std::cout << "chaos: t=" << absl::FormatDuration(absl::Trunc(absl::Now() - start_,
                                                                 absl::Milliseconds(100)))
              << " " << line << std::endl;
  }

  Form form_;
  WorkloadOptions workload_;
  v1::Workflow workflow_ = ChaosWorkflow(workload_);
  std::string work_dir_;
  absl::Time start_ = absl::Now();
  absl::Time deadline_;
  absl::Notification done_;
  std::thread watchdog_;
  std::unique_ptr<ChaosCluster> cluster_;
  std::vector<RunSlot> slots_;
  std::atomic<int> accepted_{0};
  std::atomic<int> resolved_{0};
  Counters submit_retries_;
  Counters watch_reattaches_;
  Reconnection reconnection_;
};

TEST_F(ChaosTest, EveryAcceptedRunEndsOnceAndCorrectlyThroughWorkerAndSchedulerKills) {
  ChaosClusterOptions options;
  options.scheduler_binary = FLOWGRID_SCHEDULER_BIN;
  options.worker_binary = FLOWGRID_WORKER_BIN;
  options.work_dir = work_dir_;
  // Two chaos tests at once (two checkouts) must not share job uids either.
  options.uid_base = 200000 + (::getpid() % 1000) * options.workers * 1024;
  absl::StatusOr<std::unique_ptr<ChaosCluster>> cluster = ChaosCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  cluster_ = *std::move(cluster);

  ClientOptions client_options;
  client_options.call_timeout = absl::Seconds(10);
  client_options.watch_timeout = form_.run_deadline;
  client_options.watch_max_backoff = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(cluster_->client_address(), client_options);
  ASSERT_TRUE(client.ok()) << client.status();

  slots_.resize(form_.runs);
  start_ = absl::Now();
  Log(absl::StrCat("submitting ", form_.runs, " runs from ", form_.client_threads,
                   " client threads to ", options.workers, " workers x ",
                   options.slots_per_worker, " slots"));
  std::thread clients([&] { OnClientThreads(**client, &ChaosTest::SubmitAndWait); });

  // The faults, until every run is resolved or the deadline passes.
  int worker_kills = 0;
  int scheduler_kills = 0;
  std::vector<std::string> fault_errors;
  absl::Time next_worker_kill = absl::Now() + form_.worker_kill_interval;
  while (resolved_ < form_.runs && absl::Now() < deadline_) {
    absl::SleepFor(absl::Milliseconds(50));
    if (std::string exits = cluster_->UnexpectedExits(); !exits.empty()) {
      fault_errors.push_back(exits);
      break;
    }
    const std::string progress = absl::StrCat(accepted_.load(), " runs accepted, ",
                                              resolved_.load(), " done of ", form_.runs);
    if (scheduler_kills == 0 && accepted_ >= form_.runs * form_.scheduler_kill_at) {
      absl::StatusOr<std::string> ended = cluster_->KillScheduler();
      Log(absl::StrCat("scheduler ", ended.ok() ? *ended : ended.status().ToString(), "; ",
                       progress));
      ++scheduler_kills;
      absl::SleepFor(kRestartDelay);
      if (absl::Status restarted = cluster_->RestartScheduler(); !restarted.ok()) {
        fault_errors.push_back(absl::StrCat("restarting the scheduler: ", restarted.ToString()));
        break;
      }
      reconnection_.SchedulerReady();
      Log("scheduler restarted");
    }
    if (worker_kills < form_.max_worker_kills && absl::Now() >= next_worker_kill) {
      const int index = worker_kills % cluster_->workers();
      absl::StatusOr<std::string> ended = cluster_->KillWorker(index);
      Log(absl::StrCat("worker ", index + 1, " ",
                       ended.ok() ? *ended : ended.status().ToString(), "; ", progress));
      ++worker_kills;
      absl::SleepFor(kRestartDelay);
      if (absl::Status restarted = cluster_->RestartWorker(index); !restarted.ok()) {
        fault_errors.push_back(
            absl::StrCat("restarting worker ", index + 1, ": ", restarted.ToString()));
        break;
      }
      next_worker_kill = absl::Now() + form_.worker_kill_interval;
    }
  }
  clients.join();
  const absl::Duration chaos_time = absl::Now() - start_;
  Log(absl::StrCat("every client is done; checking the runs"));
  // Reading back a finished run's log takes no time: a stream that does not
  // end is a fault to report, not to wait for.
  client_options.watch_timeout = absl::Seconds(30);
  absl::StatusOr<std::unique_ptr<Client>> reader =
      Client::Connect(cluster_->client_address(), client_options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  OnClientThreads(**reader, &ChaosTest::Verify);

  // The summary.
  int passed = 0, failed = 0, worker_lost = 0, resumed = 0;
  std::map<std::string, int> by_status, by_code;
  std::vector<std::string> failures;
  for (int i = 0; i < form_.runs; ++i) {
    const RunSlot& slot = slots_[i];
    std::vector<std::string> problems = slot.other_problems;
    if (!slot.submit_error.ok()) {
      problems.push_back(absl::StrCat("never accepted: ", slot.submit_error.ToString()));
      ++by_status["NOT_ACCEPTED"];
    } else {
      if (!slot.wait_error.ok()) {
        problems.push_back(absl::StrCat("waiting for its end: ", slot.wait_error.ToString()));
      }
      problems.insert(problems.end(), slot.verdict.problems.begin(), slot.verdict.problems.end());
      ++by_status[v1::RunStatus_Name(slot.verdict.status)];
      if (slot.verdict.error_code != v1::ERROR_CODE_UNSPECIFIED) {
        ++by_code[v1::ErrorCode_Name(slot.verdict.error_code)];
      }
      worker_lost += slot.verdict.worker_lost;
      resumed += slot.verdict.resumed;
    }
    if (problems.empty()) {
      ++passed;
    } else {
      ++failed;
      if (static_cast<int>(failures.size()) < kFailuresShown) {
        failures.push_back(absl::StrCat(IdempotencyKey(i), " (run ",
                                        slot.run_id.empty() ? "-" : slot.run_id,
                                        "): ", absl::StrJoin(problems, "; ")));
      }
    }
  }
  auto counts = [](const std::map<std::string, int>& map) {
    std::vector<std::string> parts;
    for (const auto& [name, count] : map) parts.push_back(absl::StrCat(name, " ", count));
    return parts.empty() ? std::string("none") : absl::StrJoin(parts, ", ");
  };
  std::cout << "chaos: " << form_.runs << " runs, " << worker_kills << " worker kills, "
            << scheduler_kills << " scheduler kill(s), faults over "
            << absl::FormatDuration(absl::Trunc(chaos_time, absl::Milliseconds(100))) << "\n"
            << "chaos: " << passed << " passed, " << failed << " failed\n"
            << "chaos: by final status: " << counts(by_status) << "\n"
            << "chaos: by error code: " << counts(by_code) << " (WORKER_LOST after the "
            << options.max_job_attempts << "-delivery cap, allowed: " << worker_lost << ")\n"
            << "chaos: submissions retried: " << submit_retries_.Text()
            << "; watches re-attached by the test: " << watch_reattaches_.Text() << "\n"
            << "chaos: runs resumed by the restarted scheduler: " << resumed << "; "
            << reconnection_.Text() << "\n";
  for (const std::string& failure : failures) std::cout << "chaos: FAILED " << failure << "\n";
  std::cout << std::flush;

  EXPECT_EQ(failed, 0) << "see the failures above";
  EXPECT_TRUE(fault_errors.empty()) << absl::StrJoin(fault_errors, "\n");
  // The test must have done what it claims.
  EXPECT_EQ(scheduler_kills, 1) << "the runs ended before the scheduler was killed";
  EXPECT_GE(worker_kills, 2) << "the runs ended before two workers were killed";
}

}  // namespace
}  // namespace flowgrid::chaos
