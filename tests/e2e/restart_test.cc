// End-to-end: a 200-node workflow (fan-out/fan-in layers of code nodes,
// each layer followed by an if-else whose two branches meet again in a
// variable aggregator) runs to completion on real processes; then the
// scheduler is stopped — gracefully (SIGTERM), then as in a crash
// (SIGKILL) — and started again on the same data directory. The run
// history read back from the store must be exactly what it was, and the
// workers, which were never restarted, must reconnect and take new jobs.
// Then runs caught mid-way by a SIGKILL resume on the restarted scheduler:
// they succeed, nodes finished before the kill are not run again, and a
// client watching across the restart sees every event once.
//
// This suite starts its own cluster: restarting the shared one would
// disturb the other tests.
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "client/sdk/client.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "deploy/local/local_cluster.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"

namespace flowgrid {
namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr absl::Duration kWatchTimeout = absl::Seconds(90);

// The generated workflow: kLayers layers of kWidth code nodes, each layer
// followed by join (fan-in), check (if-else on the parity of the join's
// sum), even / odd (the branches) and agg (aggregator), which fans out to
// the next layer: 2 + kLayers * (kWidth + 5) = 200 nodes.
constexpr int kWidth = 13;
constexpr int kLayers = 11;
constexpr int64_t kModulus = 1'000'003;

std::string LayerNode(int k, int j) { return absl::StrCat("n", k, "_", j); }

v1::Type NumberType() {
  v1::Type type;
  type.set_kind(v1::Type::NUMBER);
  return type;
}

v1::Node* AddCode(v1::Workflow& workflow, const std::string& id, const std::string& code,
                  const std::vector<std::pair<std::string, std::vector<std::string>>>& inputs,
                  const std::vector<std::string>& number_outputs) {
  v1::Node* node = workflow.add_nodes();
  node->set_id(id);
  v1::CodeNode* body = node->mutable_code();
  body->set_language(v1::CodeNode::PYTHON3);
  body->set_code(code);
  for (const auto& [name, selector] : inputs) {
    v1::VariableBinding* binding = body->add_inputs();
    binding->set_name(name);
    for (const std::string& part : selector) binding->add_selector(part);
  }
  for (const std::string& output : number_outputs) (*body->mutable_outputs())[output] = NumberType();
  return node;
}

void AddEdge(v1::Workflow& workflow, const std::string& source, const std::string& target,
             const std::string& handle = "") {
  v1::Edge* edge = workflow.add_edges();
  edge->set_source(source);
  edge->set_target(target);
  edge->set_source_handle(handle);
}

// The start node "start" with one required number input, "seed".
void AddSeededStart(v1::Workflow& workflow) {
  v1::Node* start = workflow.add_nodes();
  start->set_id("start");
  v1::InputVariable* seed = start->mutable_start()->add_variables();
  seed->set_name("seed");
  *seed->mutable_type() = NumberType();
  seed->set_required(true);
}

// The end node "end" with `outputs` as {name, selector}.
void AddEnd(v1::Workflow& workflow,
            const std::vector<std::pair<std::string, std::vector<std::string>>>& outputs) {
  v1::Node* end = workflow.add_nodes();
  end->set_id("end");
  for (const auto& [name, selector] : outputs) {
    v1::VariableBinding* output = end->mutable_end()->add_outputs();
    output->set_name(name);
    for (const std::string& part : selector) output->add_selector(part);
  }
}

v1::Workflow LayeredWorkflow() {
  v1::Workflow workflow;
  workflow.set_name("layered-200");
  AddSeededStart(workflow);

  for (int k = 0; k < kLayers; ++k) {
    const std::string join = absl::StrCat("join", k), check = absl::StrCat("check", k);
    const std::string even = absl::StrCat("even", k), odd = absl::StrCat("odd", k);
    const std::string agg = absl::StrCat("agg", k);
    std::vector<std::pair<std::string, std::vector<std::string>>> join_inputs;
    std::vector<std::string> join_params;
    for (int j = 0; j < kWidth; ++j) {
      if (k == 0) {
        AddCode(workflow, LayerNode(k, j),
                absl::StrCat("def main(x: int) -> dict:\n    return {\"v\": (x * ", j + 1,
                             " + 7) % ", kModulus, "}\n"),
                {{"x", {"start", "seed"}}}, {"v"});
        AddEdge(workflow, "start", LayerNode(k, j));
      } else {
        AddCode(workflow, LayerNode(k, j),
                absl::StrCat("def main(a: int, b: int, c: int) -> dict:\n"
                             "    return {\"v\": (a + 2 * b + c + ", j, ") % ", kModulus, "}\n"),
                {{"a", {LayerNode(k - 1, j), "v"}},
                 {"b", {LayerNode(k - 1, (j + 1) % kWidth), "v"}},
                 {"c", {absl::StrCat("agg", k - 1), "output"}}},
                {"v"});
        AddEdge(workflow, absl::StrCat("agg", k - 1), LayerNode(k, j));
      }
      AddEdge(workflow, LayerNode(k, j), join);
      join_inputs.push_back({absl::StrCat("v", j), {LayerNode(k, j), "v"}});
      join_params.push_back(absl::StrCat("v", j));
    }
    v1::Node* join_node =
        AddCode(workflow, join,
                absl::StrCat("def main(", absl::StrJoin(join_params, ", "), ") -> dict:\n",
                             "    s = ", absl::StrJoin(join_params, " + "), "\n",
                             "    return {\"s\": s, \"parity\": \"even\" if s % 2 == 0 else "
                             "\"odd\"}\n"),
                join_inputs, {"s"});
    (*join_node->mutable_code()->mutable_outputs())["parity"].set_kind(v1::Type::STRING);

    v1::Node* check_node = workflow.add_nodes();
    check_node->set_id(check);
    v1::IfElseNode::Case* is_even = check_node->mutable_if_else()->add_cases();
    is_even->set_case_id("even");
    v1::Condition* condition = is_even->add_conditions();
    condition->add_selector(join);
    condition->add_selector("parity");
    condition->set_comparison_operator("is");
    condition->mutable_value()->set_string_value("even");
    AddEdge(workflow, join, check);

    AddCode(workflow, even, "def main(s: int) -> dict:\n    return {\"out\": s // 2}\n",
            {{"s", {join, "s"}}}, {"out"});
    AddCode(workflow, odd, "def main(s: int) -> dict:\n    return {\"out\": 3 * s + 1}\n",
            {{"s", {join, "s"}}}, {"out"});
    AddEdge(workflow, check, even, "even");
    AddEdge(workflow, check, odd, "false");

    v1::Node* agg_node = workflow.add_nodes();
    agg_node->set_id(agg);
    v1::VariableAggregatorNode* aggregator = agg_node->mutable_variable_aggregator();
    *aggregator->mutable_output_type() = NumberType();
    for (const std::string& branch : {even, odd}) {
      v1::Selector* selector = aggregator->add_variables();
      selector->add_selector(branch);
      selector->add_selector("out");
      AddEdge(workflow, branch, agg);
    }
  }
  AddEnd(workflow, {{"final", {absl::StrCat("agg", kLayers - 1), "output"}},
                   {"first_sum", {"join0", "s"}}});
  AddEdge(workflow, absl::StrCat("agg", kLayers - 1), "end");
  return workflow;
}

// What each node of LayeredWorkflow() computes for `seed`, from the
// formulas in its code: layer values, join sums and the branch taken.
struct Expected {
  std::vector<std::vector<int64_t>> values;  // [layer][j]
  std::vector<int64_t> sums;                 // [layer]
  std::vector<bool> even;                    // [layer]
  std::vector<int64_t> aggregated;           // [layer]
};

Expected Compute(int64_t seed) {
  Expected expected;
  for (int k = 0; k < kLayers; ++k) {
    std::vector<int64_t> layer(kWidth);
    for (int j = 0; j < kWidth; ++j) {
      if (k == 0) {
        layer[j] = (seed * (j + 1) + 7) % kModulus;
      } else {
        const std::vector<int64_t>& prev = expected.values[k - 1];
        layer[j] = (prev[j] + 2 * prev[(j + 1) % kWidth] + expected.aggregated[k - 1] + j) %
                   kModulus;
      }
    }
    int64_t sum = 0;
    for (int64_t v : layer) sum += v;
    expected.values.push_back(layer);
    expected.sums.push_back(sum);
    expected.even.push_back(sum % 2 == 0);
    expected.aggregated.push_back(sum % 2 == 0 ? sum / 2 : 3 * sum + 1);
  }
  return expected;
}

class SchedulerRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_dir_ = e2e::MakeWorkDir("flowgrid-e2e-restart");
    ASSERT_FALSE(work_dir_.empty());
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster =
        LocalCluster::Start(e2e::ClusterOptions(work_dir_, 2, 1));
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    Reconnect();
  }

  void TearDown() override {
    client_.reset();
    e2e::StopAndCleanUp(cluster_, work_dir_, HasFailure(), "e2e restart");
  }

  void Reconnect() {
    ClientOptions options;
    options.watch_timeout = kWatchTimeout;
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(cluster_->client_address(), options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  // The run's record and the first page of the history must be exactly as
  // they were before the restart.
  void ExpectHistoryIntact(const std::string& run_id, const v1::Run& record,
                           const v1::ListRunsResponse& history, const std::string& when) {
    absl::StatusOr<v1::Run> again = client_->Get(run_id);
    ASSERT_TRUE(again.ok()) << when << ": " << again.status();
    std::string difference;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&difference);
    EXPECT_TRUE(differencer.Compare(record, *again)) << when << ":\n" << difference;
    absl::StatusOr<v1::ListRunsResponse> listed = client_->List(10);
    ASSERT_TRUE(listed.ok()) << when << ": " << listed.status();
    EXPECT_TRUE(MessageDifferencer::Equals(history, *listed))
        << when << ":\n" << listed->DebugString();
  }

  std::string work_dir_;
  std::unique_ptr<LocalCluster> cluster_;
  std::unique_ptr<Client> client_;
};

TEST_F(SchedulerRestartTest, TwoHundredNodeRunHistorySurvivesSigtermAndSigkillRestarts) {
  const v1::Workflow workflow = LayeredWorkflow();
  ASSERT_EQ(workflow.nodes_size(), 200);
  constexpr int64_t kSeed = 12345;
  const Expected expected = Compute(kSeed);

  ValueMap hello_inputs;
  hello_inputs["name"] = StringValue("before");
  absl::StatusOr<v1::Workflow> hello = LoadWorkflowFile(e2e::kExamples + "hello.json");
  ASSERT_TRUE(hello.ok()) << hello.status();
  absl::StatusOr<v1::RunFinished> hello_run = client_->Run(*hello, hello_inputs, nullptr);
  ASSERT_TRUE(hello_run.ok()) << hello_run.status();

  ValueMap inputs;
  inputs["seed"] = IntValue(kSeed);
  std::string run_id;
  int finished_events = 0;
  absl::StatusOr<v1::RunFinished> finished = client_->Run(
      workflow, inputs,
      [&](const v1::RunEvent& event) { finished_events += event.has_node_finished(); },
      [&](const std::string& id) { run_id = id; });
  ASSERT_TRUE(finished.ok()) << finished.status();
  ASSERT_EQ(finished->status(), v1::RUN_SUCCEEDED) << finished->DebugString();
  EXPECT_EQ(finished->outputs().at("final").int_value(), expected.aggregated.back());
  EXPECT_EQ(finished->outputs().at("first_sum").int_value(), expected.sums.front());

  absl::StatusOr<v1::Run> record = client_->Get(run_id);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(record->nodes_size(), finished_events);
  std::map<std::string, const v1::NodeExecution*> by_id;
  for (const v1::NodeExecution& node : record->nodes()) {
    EXPECT_TRUE(by_id.emplace(node.node_id(), &node).second) << node.node_id() << " twice";
  }
  auto output_of = [&](const std::string& id, const std::string& name) -> int64_t {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "no execution of " << id;
      return -1;
    }
    EXPECT_EQ(it->second->result().status(), v1::NODE_SUCCEEDED) << id;
    return it->second->result().outputs().count(name) != 0
               ? it->second->result().outputs().at(name).int_value()
               : -1;
  };
  int executed = 0;
  for (int k = 0; k < kLayers; ++k) {
    for (int j = 0; j < kWidth; ++j) {
      EXPECT_EQ(output_of(LayerNode(k, j), "v"), expected.values[k][j]) << LayerNode(k, j);
    }
    EXPECT_EQ(output_of(absl::StrCat("join", k), "s"), expected.sums[k]) << "layer " << k;
    const std::string taken = absl::StrCat(expected.even[k] ? "even" : "odd", k);
    const std::string untaken = absl::StrCat(expected.even[k] ? "odd" : "even", k);
    EXPECT_EQ(output_of(taken, "out"), expected.aggregated[k]) << taken;
    EXPECT_EQ(output_of(absl::StrCat("agg", k), "output"), expected.aggregated[k]);
    auto skipped = by_id.find(untaken);
    if (skipped != by_id.end()) {
      EXPECT_EQ(skipped->second->result().status(), v1::NODE_SKIPPED) << untaken;
    }
    executed += kWidth + 4;  // the layer, join, check, the branch taken, agg
  }
  int succeeded = 0;
  for (const v1::NodeExecution& node : record->nodes()) {
    succeeded += node.result().status() == v1::NODE_SUCCEEDED;
  }
  EXPECT_EQ(succeeded, executed + 2) << "start and end too";

  absl::StatusOr<v1::ListRunsResponse> history = client_->List(10);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->runs_size(), 2);
  EXPECT_EQ(history->runs(0).run_id(), run_id);
  EXPECT_EQ(history->runs(0).status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(history->runs(1).workflow_name(), "hello");

  // A graceful stop, then the same addresses again.
  absl::StatusOr<ChildExit> terminated =
      cluster_->StopScheduler(LocalCluster::StopSignal::kTerminate);
  ASSERT_TRUE(terminated.ok()) << terminated.status();
  EXPECT_TRUE(terminated->clean) << "scheduler " << terminated->description << " on SIGTERM";
  ASSERT_TRUE(cluster_->RestartScheduler().ok());
  Reconnect();
  ExpectHistoryIntact(run_id, *record, *history, "after SIGTERM and restart");

  // A crash, then a new client port (the worker port stays: the workers
  // only know that one).
  const std::string old_client_address = cluster_->client_address();
  absl::StatusOr<ChildExit> killed = cluster_->StopScheduler(LocalCluster::StopSignal::kKill);
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->description, "killed by signal 9 (Killed)");
  absl::Status restarted = cluster_->RestartScheduler("127.0.0.1:0");
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_NE(cluster_->client_address(), old_client_address);
  Reconnect();
  ExpectHistoryIntact(run_id, *record, *history, "after SIGKILL and restart");

  // The workers, never restarted, reconnected: a new run gets done.
  hello_inputs["name"] = StringValue("after");
  absl::StatusOr<v1::RunFinished> after = client_->Run(*hello, hello_inputs, nullptr);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(after->outputs().at("greeting").string_value(), "Hello, after!");
}

// start → first (a random stamp: a second execution would change it) →
// slow (sleeps, so the scheduler is killed while it runs) → last → end.
v1::Workflow SlowChain() {
  v1::Workflow workflow;
  workflow.set_name("slow-chain");
  AddSeededStart(workflow);
  v1::Node* first = AddCode(workflow, "first",
                            "import uuid\n"
                            "def main(x: int) -> dict:\n"
                            "    return {\"stamp\": uuid.uuid4().hex, \"v\": x + 1}\n",
                            {{"x", {"start", "seed"}}}, {"v"});
  (*first->mutable_code()->mutable_outputs())["stamp"].set_kind(v1::Type::STRING);
  AddCode(workflow, "slow",
          "import time\n"
          "def main(v: int) -> dict:\n"
          "    time.sleep(4)\n"
          "    return {\"v\": v * 2}\n",
          {{"v", {"first", "v"}}}, {"v"});
  AddCode(workflow, "last", "def main(v: int) -> dict:\n    return {\"v\": v + 3}\n",
          {{"v", {"slow", "v"}}}, {"v"});
  AddEnd(workflow, {{"v", {"last", "v"}}, {"stamp", {"first", "stamp"}}});
  AddEdge(workflow, "start", "first");
  AddEdge(workflow, "first", "slow");
  AddEdge(workflow, "slow", "last");
  AddEdge(workflow, "last", "end");
  return workflow;
}

// Collects the events a watching client delivers, from another thread.
class Watcher {
 public:
  Watcher(const std::string& address, const std::string& run_id) {
    ClientOptions options;
    options.watch_timeout = kWatchTimeout;
    options.watch_max_backoff = absl::Seconds(1);
    options.watch_max_reattempts = 60;
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(address, options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return;
    client_ = *std::move(client);
    thread_ = std::thread([this, run_id] {
      absl::StatusOr<v1::RunFinished> finished =
          client_->Watch(run_id, 0, [this](const v1::RunEvent& event) {
            absl::MutexLock lock(&mu_);
            events_.push_back(event);
          });
      absl::MutexLock lock(&mu_);
      finished_ = std::move(finished);
    });
  }
  ~Watcher() {
    if (thread_.joinable()) thread_.join();
  }

  // Waits (bounded) until an event satisfying `matches` was delivered.
  bool AwaitEvent(const std::function<bool(const v1::RunEvent&)>& matches) {
    absl::MutexLock lock(&mu_);
    auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return std::any_of(events_.begin(), events_.end(), matches);
    };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), kWatchTimeout);
  }

  // Waits for the watch to end and returns its result and events.
  std::pair<absl::StatusOr<v1::RunFinished>, std::vector<v1::RunEvent>> Join() {
    if (thread_.joinable()) thread_.join();
    absl::MutexLock lock(&mu_);
    return {finished_, events_};
  }

 private:
  std::unique_ptr<Client> client_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::RunEvent> events_ ABSL_GUARDED_BY(mu_);
  absl::StatusOr<v1::RunFinished> finished_ ABSL_GUARDED_BY(mu_) =
      absl::UnknownError("still watching");
};

TEST_F(SchedulerRestartTest, RunsCaughtBySigkillResumeWithoutRerunningFinishedNodes) {
  const v1::Workflow workflow = SlowChain();
  const std::vector<int64_t> seeds = {1, 20, 300};
  std::vector<std::string> run_ids;
  for (int64_t seed : seeds) {
    ValueMap inputs;
    inputs["seed"] = IntValue(seed);
    absl::StatusOr<std::string> run_id = client_->Submit(workflow, inputs);
    ASSERT_TRUE(run_id.ok()) << run_id.status();
    run_ids.push_back(*run_id);
  }
  Watcher watcher(cluster_->client_address(), run_ids[0]);
  ASSERT_TRUE(watcher.AwaitEvent([](const v1::RunEvent& e) {
    return e.has_node_started() && e.node_started().node_id() == "slow";
  })) << "the first run never reached its slow node";

  // Every run has "first" done (its stamp recorded) and "slow" in flight.
  std::vector<std::string> stamps;
  for (const std::string& run_id : run_ids) {
    std::string stamp;
    for (int poll = 0; poll < 600 && stamp.empty(); ++poll) {
      absl::StatusOr<v1::Run> run = client_->Get(run_id);
      ASSERT_TRUE(run.ok()) << run.status();
      for (const v1::NodeExecution& node : run->nodes()) {
        if (node.node_id() == "first") stamp = node.result().outputs().at("stamp").string_value();
        ASSERT_NE(node.node_id(), "slow") << "slow finished before the kill";
      }
      if (stamp.empty()) absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_FALSE(stamp.empty()) << "run " << run_id << " never finished its first node";
    stamps.push_back(stamp);
  }

  absl::StatusOr<ChildExit> killed = cluster_->StopScheduler(LocalCluster::StopSignal::kKill);
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_TRUE(cluster_->RestartScheduler().ok());
  Reconnect();

  for (size_t i = 0; i < run_ids.size(); ++i) {
    const std::string& run_id = run_ids[i];
    std::vector<v1::RunEvent> events;
    absl::StatusOr<v1::RunFinished> finished =
        client_->Watch(run_id, 0, [&](const v1::RunEvent& e) { events.push_back(e); });
    ASSERT_TRUE(finished.ok()) << finished.status();
    ASSERT_EQ(finished->status(), v1::RUN_SUCCEEDED) << finished->DebugString();
    EXPECT_EQ(finished->outputs().at("v").int_value(), (seeds[i] + 1) * 2 + 3);
    EXPECT_EQ(finished->outputs().at("stamp").string_value(), stamps[i])
        << "first ran again after the restart";

    // The history: one run_resumed; every node finished once; nothing that
    // finished before it started again after it; slow started again as
    // attempt 2 and finished under it.
    std::map<std::string, int> finished_count;
    std::set<std::string> finished_before;
    int resumed_at = -1;
    for (size_t k = 0; k < events.size(); ++k) {
      const v1::RunEvent& e = events[k];
      EXPECT_EQ(e.sequence(), static_cast<int64_t>(k) + 1) << run_id;
      if (e.has_run_resumed()) {
        EXPECT_EQ(resumed_at, -1) << run_id << " resumed twice";
        resumed_at = static_cast<int>(k);
      }
      if (e.has_node_finished()) {
        ++finished_count[e.node_finished().node_id()];
        if (resumed_at < 0) finished_before.insert(e.node_finished().node_id());
        if (e.node_finished().node_id() == "slow") {
          EXPECT_EQ(e.node_finished().attempt(), 2) << run_id;
        }
      }
      if (e.has_node_started() && resumed_at >= 0) {
        EXPECT_FALSE(finished_before.contains(e.node_started().node_id()))
            << run_id << ": " << e.node_started().node_id() << " ran again";
      }
    }
    ASSERT_GE(resumed_at, 0) << run_id << " has no run_resumed event";
    EXPECT_TRUE(finished_before.contains("first")) << run_id;
    EXPECT_EQ(finished_count, (std::map<std::string, int>{
                                  {"start", 1}, {"first", 1}, {"slow", 1}, {"last", 1}, {"end", 1}}))
        << run_id;

    if (i == 0) {
      // The client that watched across the restart got the same events,
      // each once, in order.
      auto [watched, watched_events] = watcher.Join();
      ASSERT_TRUE(watched.ok()) << watched.status();
      EXPECT_EQ(watched->status(), v1::RUN_SUCCEEDED);
      ASSERT_EQ(watched_events.size(), events.size());
      for (size_t k = 0; k < events.size(); ++k) {
        EXPECT_EQ(watched_events[k].sequence(), events[k].sequence());
        EXPECT_EQ(watched_events[k].kind_case(), events[k].kind_case()) << "event " << k + 1;
      }
    }
  }

  // The workers reconnected by themselves: a new run gets done.
  absl::StatusOr<v1::Workflow> hello = LoadWorkflowFile(e2e::kExamples + "hello.json");
  ASSERT_TRUE(hello.ok()) << hello.status();
  ValueMap hello_inputs;
  hello_inputs["name"] = StringValue("resumed");
  absl::StatusOr<v1::RunFinished> after = client_->Run(*hello, hello_inputs, nullptr);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status(), v1::RUN_SUCCEEDED);
}

}  // namespace
}  // namespace flowgrid
