// End-to-end: draining a busy worker loses no job. A local cluster of two
// workers runs jobs that take about a second; one worker is drained while
// it runs some — by SIGTERM, and by `flowgridctl workers drain` — and must
// take no new job, finish the ones it holds (their results recorded), and
// exit 0, while every run succeeds with exactly one node_finished per node.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/sdk/client.h"
#include "common/value_json.h"
#include "deploy/local/local_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"

namespace flowgrid {
namespace {

using ::testing::HasSubstr;

constexpr char kDrained[] = "worker-1";
constexpr int kRunsBefore = 8;
constexpr int kRunsAfter = 4;
// Bounds every wait of the test.
constexpr absl::Duration kWait = absl::Seconds(60);
constexpr absl::Duration kPoll = absl::Milliseconds(50);

// start(n) -> slow (about a second of work, returns 2n) -> end(twice).
v1::Workflow SlowWorkflow() {
  v1::Workflow workflow;
  workflow.set_name("slow");
  v1::Node* start = workflow.add_nodes();
  start->set_id("start");
  v1::InputVariable* n = start->mutable_start()->add_variables();
  n->set_name("n");
  n->mutable_type()->set_kind(v1::Type::NUMBER);
  n->set_required(true);
  v1::Node* slow = workflow.add_nodes();
  slow->set_id("slow");
  v1::CodeNode* code = slow->mutable_code();
  code->set_language(v1::CodeNode::PYTHON3);
  code->set_code(
      "import datetime\n"
      "def main(n: int) -> dict:\n"
      "    until = datetime.datetime.now() + datetime.timedelta(seconds=1)\n"
      "    while datetime.datetime.now() < until:\n"
      "        pass\n"
      "    return {\"twice\": n * 2}\n");
  v1::VariableBinding* input = code->add_inputs();
  input->set_name("n");
  input->add_selector("start");
  input->add_selector("n");
  (*code->mutable_outputs())["twice"].set_kind(v1::Type::NUMBER);
  v1::Node* end = workflow.add_nodes();
  end->set_id("end");
  v1::VariableBinding* output = end->mutable_end()->add_outputs();
  output->set_name("twice");
  output->add_selector("slow");
  output->add_selector("twice");
  for (auto [source, target] : {std::pair{"start", "slow"}, std::pair{"slow", "end"}}) {
    v1::Edge* edge = workflow.add_edges();
    edge->set_source(source);
    edge->set_target(target);
  }
  return workflow;
}

// Runs a flowgridctl command line; returns its exit status and stdout.
std::pair<int, std::string> Flowgridctl(const std::string& args) {
  const std::string command = absl::StrCat(FLOWGRIDCTL_BIN, " ", args);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::string out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class DrainTest : public e2e::ClusterTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartCluster("flowgrid-e2e-drain", 2, 2, kWait)); }

  // The drained worker's status, or nullopt once it is gone.
  std::optional<v1::WorkerStatus> Find(const std::string& worker_id) {
    absl::StatusOr<v1::ListWorkersResponse> workers = client_->ListWorkers();
    EXPECT_TRUE(workers.ok()) << workers.status();
    if (!workers.ok()) return std::nullopt;
    for (const v1::WorkerStatus& worker : workers->workers()) {
      if (worker.worker_id() == worker_id) return worker;
    }
    return std::nullopt;
  }

  std::vector<std::string> SubmitRuns(int first, int count) {
    std::vector<std::string> ids;
    for (int n = first; n < first + count; ++n) {
      ValueMap inputs;
      inputs["n"] = IntValue(n);
      absl::StatusOr<std::string> id = client_->Submit(workflow_, inputs);
      EXPECT_TRUE(id.ok()) << id.status();
      if (id.ok()) ids.push_back(*id);
    }
    return ids;
  }

  // Submits runs until the worker to drain holds jobs, drains it with
  // `drain`, and checks everything the file's comment promises.
  void DrainBusyWorker(const std::function<void()>& drain) {
    const absl::Time deadline = absl::Now() + kWait;
    while (!Find(kDrained).has_value() || !Find("worker-2").has_value()) {
      ASSERT_LT(absl::Now(), deadline) << "the workers never connected";
      absl::SleepFor(kPoll);
    }
    std::vector<std::string> runs = SubmitRuns(0, kRunsBefore);
    while (Find(kDrained).value_or(v1::WorkerStatus()).running_jobs().empty()) {
      ASSERT_LT(absl::Now(), deadline) << kDrained << " never got a job";
      absl::SleepFor(kPoll);
    }
    drain();

    // From the moment it is seen draining, it only ever holds fewer of the
    // jobs it held then, until it leaves.
    std::optional<std::set<std::string>> held_when_draining;
    std::optional<ChildExit> exit;
    while (!exit.has_value()) {
      ASSERT_LT(absl::Now(), deadline) << kDrained << " did not exit";
      if (std::optional<v1::WorkerStatus> worker = Find(kDrained); worker.has_value()) {
        std::set<std::string> held(worker->running_jobs().begin(), worker->running_jobs().end());
        if (held_when_draining.has_value()) {
          for (const std::string& job : held) {
            EXPECT_TRUE(held_when_draining->contains(job)) << "new job " << job << " while draining";
          }
        } else if (worker->state() == v1::WorkerStatus::DRAINING) {
          held_when_draining = held;
        }
      }
      for (std::optional<ChildExit> child = cluster_->PollExited(); child.has_value();
           child = cluster_->PollExited()) {
        ASSERT_EQ(child->name, kDrained) << child->description;
        exit = child;
      }
      absl::SleepFor(kPoll);
    }
    EXPECT_TRUE(exit->clean) << kDrained << " " << exit->description;
    EXPECT_FALSE(Find(kDrained).has_value());
    ASSERT_TRUE(Find("worker-2").has_value());

    std::vector<std::string> after = SubmitRuns(kRunsBefore, kRunsAfter);
    runs.insert(runs.end(), after.begin(), after.end());
    ASSERT_EQ(runs.size(), static_cast<size_t>(kRunsBefore + kRunsAfter));
    for (size_t i = 0; i < runs.size(); ++i) {
      std::map<std::string, int> finished_per_node;
      absl::StatusOr<v1::RunFinished> finished =
          client_->Watch(runs[i], 0, [&](const v1::RunEvent& event) {
            if (event.has_node_finished()) ++finished_per_node[event.node_finished().node_id()];
          });
      ASSERT_TRUE(finished.ok()) << runs[i] << ": " << finished.status();
      EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED) << finished->DebugString();
      EXPECT_EQ(finished->outputs().at("twice").int_value(), 2 * static_cast<int64_t>(i));
      EXPECT_THAT(finished_per_node, ::testing::UnorderedElementsAre(
                                         std::pair<const std::string, int>("start", 1),
                                         std::pair<const std::string, int>("slow", 1),
                                         std::pair<const std::string, int>("end", 1)))
          << runs[i];
    }
  }

  const v1::Workflow workflow_ = SlowWorkflow();
};

TEST_F(DrainTest, SigtermDrainsABusyWorkerWithoutLosingAJob) {
  DrainBusyWorker([&] {
    const pid_t pid = e2e::WorkerPid(kDrained);
    ASSERT_GT(pid, 0) << "no child process runs " << kDrained;
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
  });
}

TEST_F(DrainTest, FlowgridctlWorkersDrainDrainsABusyWorkerWithoutLosingAJob) {
  const std::string addr = "--addr=" + cluster_->client_address();
  DrainBusyWorker([&] {
    auto [listed, table] = Flowgridctl("workers list " + addr);
    EXPECT_EQ(listed, 0) << table;
    EXPECT_THAT(table, HasSubstr("WORKER"));
    EXPECT_THAT(table, HasSubstr(kDrained));
    auto [status, out] = Flowgridctl(absl::StrCat("workers drain ", kDrained, " ", addr));
    EXPECT_EQ(status, 0) << out;
    EXPECT_THAT(out, HasSubstr("is draining"));
  });
  auto [json_status, json] = Flowgridctl("workers list --output=json " + addr);
  EXPECT_EQ(json_status, 0) << json;
  EXPECT_THAT(json, HasSubstr("\"worker_id\":\"worker-2\""));
  EXPECT_THAT(json, ::testing::Not(HasSubstr(kDrained)));
  auto [unknown, message] = Flowgridctl("workers drain nobody 2>&1 " + addr);
  EXPECT_EQ(unknown, 1) << message;
  EXPECT_THAT(message, HasSubstr("nobody"));
}

}  // namespace
}  // namespace flowgrid
