// End-to-end: the real flowgrid-scheduler and flowgrid-worker binaries,
// started as separate processes by LocalCluster on loopback with ports
// picked at runtime and a fresh data directory, driven through the C++ SDK
// and the real flowgridctl binary.
//
// One cluster serves the whole suite (SetUpTestSuite): starting it costs
// about a second, and sharing it also exercises a scheduler that has already
// run other workflows. Every wait is bounded (connect, watch and subprocess
// timeouts); the cluster is stopped in TearDownTestSuite, and should this
// process die first, its children get SIGTERM from PR_SET_PDEATHSIG.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/sdk/client.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "deploy/local/local_cluster.h"
#include "gmock/gmock.h"
#include "tests/e2e/e2e_support.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace flowgrid {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

using e2e::kBadData;
using e2e::kExamples;

// Bounds every run the tests watch; the slowest workflow here takes well
// under a second on an idle machine.
constexpr absl::Duration kWatchTimeout = absl::Seconds(60);
constexpr absl::Duration kCliTimeout = absl::Seconds(60);

v1::Workflow LoadOrDie(const std::string& path) {
  absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(path);
  EXPECT_TRUE(workflow.ok()) << workflow.status();
  return workflow.value_or(v1::Workflow{});
}

ValueMap InputsFileOrDie(const std::string& name) {
  absl::StatusOr<std::string> text = ReadFile(kExamples + "inputs/" + name);
  EXPECT_TRUE(text.ok()) << text.status();
  absl::StatusOr<ValueMap> inputs = ParseValueMapJson(text.value_or("{}"));
  EXPECT_TRUE(inputs.ok()) << inputs.status();
  return inputs.value_or(ValueMap{});
}

// A run as the tests see it: every event in order, then the result.
struct WatchedRun {
  std::string run_id;
  std::vector<v1::RunEvent> events;
  std::vector<absl::Time> received_at;  // when each event reached the test
  absl::StatusOr<v1::RunFinished> finished = absl::UnknownError("not run");
};

struct ProcessResult {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};

class EndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string work_dir = e2e::MakeWorkDir("flowgrid-e2e");
    ASSERT_FALSE(work_dir.empty());
    work_dir_ = new std::string(work_dir);
    // Two workers with one slot each: the diamond's parallel branches can
    // only overlap if jobs really are spread over separate processes.
    LocalClusterOptions options = e2e::ClusterOptions(work_dir, 2, 1);
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
    WaitForWorkersToConnect();

    ClientOptions client_options;
    client_options.watch_timeout = kWatchTimeout;
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(cluster_->client_address(), client_options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = client->release();
  }

  static void TearDownTestSuite() {
    delete client_;
    client_ = nullptr;
    if (cluster_ != nullptr) {
      // Every process must have survived the suite and stopped cleanly on
      // SIGTERM (exit status 0), as their contracts promise.
      absl::Status stopped = cluster_->Stop();
      EXPECT_TRUE(stopped.ok()) << stopped;
      delete cluster_;
      cluster_ = nullptr;
    }
    if (::testing::UnitTest::GetInstance()->Passed()) {
      std::filesystem::remove_all(*work_dir_);
    } else {
      std::cerr << "e2e: keeping process logs in " << *work_dir_ << "/logs\n";
    }
    delete work_dir_;
  }

  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "the cluster did not start";
    ASSERT_NE(client_, nullptr) << "the client did not connect";
    std::optional<ChildExit> exited = cluster_->PollExited();
    ASSERT_FALSE(exited.has_value())
        << exited->name << " " << exited->description << " during the suite";
  }

  // Workers have no readiness signal (LocalCluster's contract): a run
  // submitted earlier just waits in the queue. The parallelism test needs
  // both workers, though, so the suite waits for each worker's own log line
  // "connected to scheduler" -- the only sign of it the worker gives today.
  static void WaitForWorkersToConnect() {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    for (const auto& [name, log_path] : cluster_->LogFiles()) {
      if (name.rfind("worker-", 0) != 0) continue;
      while (ReadFile(log_path).value_or("").find("connected to scheduler") ==
             std::string::npos) {
        ASSERT_LT(absl::Now(), deadline)
            << name << " did not connect within 30s; its log " << log_path << ":\n"
            << ReadFile(log_path).value_or("");
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
  }

  static WatchedRun RunWorkflow(const v1::Workflow& workflow, const ValueMap& inputs) {
    WatchedRun run;
    run.finished = client_->Run(
        workflow, inputs,
        [&](const v1::RunEvent& event) {
          run.events.push_back(event);
          run.received_at.push_back(absl::Now());
        },
        [&](const std::string& run_id) { run.run_id = run_id; });
    return run;
  }

  // Runs flowgridctl with `args`, its stdout and stderr captured in files,
  // killed when it outlives kCliTimeout.
  static ProcessResult RunFlowgridctl(const std::vector<std::string>& args) {
    ProcessResult result;
    static int counter = 0;
    const std::string base = absl::StrCat(*work_dir_, "/cli-", ++counter);
    const std::string out_path = base + ".out";
    const std::string err_path = base + ".err";
    std::vector<std::string> argv_storage = {FLOWGRIDCTL_BIN};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EXPECT_GE(out_fd, 0);
    EXPECT_GE(err_fd, 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(err_fd, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out_fd);
    ::close(err_fd);
    EXPECT_GT(pid, 0);
    int wait_status = 0;
    const absl::Time deadline = absl::Now() + kCliTimeout;
    while (::waitpid(pid, &wait_status, WNOHANG) == 0) {
      if (absl::Now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &wait_status, 0);
        ADD_FAILURE() << "flowgridctl " << args.front() << " did not finish within "
                      << kCliTimeout;
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    if (WIFEXITED(wait_status)) result.exit_code = WEXITSTATUS(wait_status);
    result.stdout_text = ReadFile(out_path).value_or("");
    result.stderr_text = ReadFile(err_path).value_or("");
    return result;
  }

  static std::string* work_dir_;
  static LocalCluster* cluster_;
  static Client* client_;
};

std::string* EndToEndTest::work_dir_ = nullptr;
LocalCluster* EndToEndTest::cluster_ = nullptr;
Client* EndToEndTest::client_ = nullptr;

// Index of the first event matching `kind` for `node_id`, or -1.
int EventIndex(const std::vector<v1::RunEvent>& events, v1::RunEvent::KindCase kind,
               const std::string& node_id) {
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::RunEvent& event = events[i];
    if (event.kind_case() != kind) continue;
    const std::string& id = kind == v1::RunEvent::kNodeStarted
                                ? event.node_started().node_id()
                                : event.node_finished().node_id();
    if (id == node_id) return static_cast<int>(i);
  }
  return -1;
}

ValueMap MakeInputs(const std::map<std::string, v1::Value>& values) {
  return ValueMap(values.begin(), values.end());
}

v1::Value ObjectOf(const std::map<std::string, v1::Value>& fields) {
  v1::Value value;
  for (const auto& [key, item] : fields) {
    (*value.mutable_object_value()->mutable_fields())[key] = item;
  }
  return value;
}

// Field-by-field equality: int 2 and double 2.0 differ, map order does not.
MATCHER_P(EqualsValue, expected, "") {
  *result_listener << "is " << ValueToJson(arg).value_or("<no JSON form>");
  return google::protobuf::util::MessageDifferencer::Equals(arg, expected);
}

// ---------------------------------------------------------------- examples --

TEST_F(EndToEndTest, HelloGreets) {
  ValueMap inputs;
  inputs["name"] = StringValue("World");
  WatchedRun run = RunWorkflow(LoadOrDie(kExamples + "hello.json"), inputs);
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
  ASSERT_EQ(run.finished->outputs_size(), 1);
  EXPECT_EQ(run.finished->outputs().at("greeting").string_value(), "Hello, World!");

  // Events are numbered 1, 2, 3... and bracketed by run_started/run_finished.
  ASSERT_GE(run.events.size(), 4u);
  for (size_t i = 0; i < run.events.size(); ++i) {
    EXPECT_EQ(run.events[i].sequence(), static_cast<int64_t>(i + 1));
  }
  EXPECT_TRUE(run.events.front().has_run_started());
  EXPECT_TRUE(run.events.back().has_run_finished());
  EXPECT_GE(EventIndex(run.events, v1::RunEvent::kNodeFinished, "greet"), 0);
}

TEST_F(EndToEndTest, DiamondBranchesRunInParallel) {
  // Large enough that each branch computes for a noticeable time (a Python
  // loop of 2e6 steps), small enough that the sums fit int64.
  constexpr int64_t n = 2'000'000;
  ValueMap inputs;
  inputs["n"] = IntValue(n);
  WatchedRun run = RunWorkflow(LoadOrDie(kExamples + "diamond.json"), inputs);
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();

  int64_t sum_of_squares = 0;
  int64_t sum_of_multiples = 0;
  for (int64_t i = 0; i < n; ++i) {
    sum_of_squares += i * i;
    if (i % 3 == 0 || i % 5 == 0) sum_of_multiples += i;
  }
  const auto& outputs = run.finished->outputs();
  EXPECT_EQ(outputs.at("sum_of_squares").int_value(), sum_of_squares);
  EXPECT_EQ(outputs.at("sum_of_multiples").int_value(), sum_of_multiples);
  EXPECT_EQ(outputs.at("total").int_value(), sum_of_squares + sum_of_multiples);

  // Parallel means the two branch jobs overlapped in time. The scheduler
  // emits node_started when a job is queued (not when a slot takes it) and
  // its event times have whole-second resolution, so neither tells. What
  // does: the worker-measured run time of each job (usage.wall_us) and when
  // each node_finished reached us. Had they run one after the other, the
  // later one started after the earlier finished, so the gap between the
  // two finishes would be at least the later job's own run time; when they
  // overlap, the gap is shorter than that.
  const int squares_finished = EventIndex(run.events, v1::RunEvent::kNodeFinished, "squares");
  const int multiples_finished = EventIndex(run.events, v1::RunEvent::kNodeFinished, "multiples");
  const int join_started = EventIndex(run.events, v1::RunEvent::kNodeStarted, "join");
  ASSERT_GE(squares_finished, 0);
  ASSERT_GE(multiples_finished, 0);
  ASSERT_GE(join_started, 0);
  const int earlier = std::min(squares_finished, multiples_finished);
  const int later = std::max(squares_finished, multiples_finished);
  const absl::Duration later_ran =
      absl::Microseconds(run.events[later].node_finished().result().usage().wall_us());
  const absl::Duration gap = run.received_at[later] - run.received_at[earlier];
  ASSERT_GT(later_ran, absl::ZeroDuration()) << "the worker reported no wall time";
  EXPECT_LT(gap, later_ran) << "the branches ran one after the other: "
                            << run.events[later].node_finished().node_id() << " ran "
                            << later_ran << " and finished " << gap << " after the other";
  EXPECT_GT(join_started, later) << "join started before both branches finished";
}

TEST_F(EndToEndTest, ParseLlmOutputFromJsonAndFromText) {
  const v1::Workflow workflow = LoadOrDie(kExamples + "parse_llm_output.json");

  ValueMap json_input;
  json_input["llm_output"] = StringValue(R"({"name": "Grace Hopper", "score": 88})");
  WatchedRun from_json = RunWorkflow(workflow, json_input);
  ASSERT_TRUE(from_json.finished.ok()) << from_json.finished.status();
  ASSERT_EQ(from_json.finished->status(), v1::RUN_SUCCEEDED) << from_json.finished->DebugString();
  EXPECT_EQ(from_json.finished->outputs().at("name").string_value(), "Grace Hopper");
  EXPECT_EQ(from_json.finished->outputs().at("score").int_value(), 88);

  // The shipped inputs file: prose around "Name:" / "Score:" lines, so the
  // regex fallback is what parses it.
  WatchedRun from_text = RunWorkflow(workflow, InputsFileOrDie("parse_llm_output.json"));
  ASSERT_TRUE(from_text.finished.ok()) << from_text.finished.status();
  ASSERT_EQ(from_text.finished->status(), v1::RUN_SUCCEEDED) << from_text.finished->DebugString();
  EXPECT_EQ(from_text.finished->outputs().at("name").string_value(), "Ada Lovelace");
  EXPECT_EQ(from_text.finished->outputs().at("score").int_value(), 97);
}

TEST_F(EndToEndTest, HmacAuthHeaderIsTheStripeStyleSignature) {
  WatchedRun run = RunWorkflow(LoadOrDie(kExamples + "hmac_auth_header.json"),
                               InputsFileOrDie("hmac_auth_header.json"));
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
  // Computed independently of flowgrid, with Debian's Python:
  //   /usr/bin/python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_s3cr3t',
  //     b'1700000000.{\"amount\":4200,\"currency\":\"eur\"}', hashlib.sha256).hexdigest())"
  // for the secret, timestamp and payload of inputs/hmac_auth_header.json.
  const std::string expected_header =
      "t=1700000000,v1=268acd789b0fbafcb647c9fe695343a5537145462206b0cae18d1048564ed2bb";
  const auto& outputs = run.finished->outputs();
  EXPECT_EQ(outputs.at("auth_header").string_value(), expected_header);
  EXPECT_EQ(outputs.at("timestamp").string_value(), "1700000000");
  EXPECT_THAT(outputs.at("headers"),
              EqualsValue(ObjectOf({{"X-Api-Key", StringValue("pk_test_123")},
                                    {"X-Signature", StringValue(expected_header)}})));
}

TEST_F(EndToEndTest, DedupeItemsCleansAndDeduplicates) {
  WatchedRun run = RunWorkflow(LoadOrDie(kExamples + "dedupe_items.json"),
                               InputsFileOrDie("dedupe_items.json"));
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
  const auto& outputs = run.finished->outputs();
  EXPECT_EQ(outputs.at("count").int_value(), 3);
  // " SKU-1 " and "sku-1" are one item, the first kept; the empty id is
  // dropped; a missing value is 0.0; values are floats (Python float()).
  v1::Value expected;
  v1::ListValue* items = expected.mutable_list_value();
  *items->add_items() = ObjectOf({{"id", StringValue("sku-1")},
                                  {"label", StringValue("Blue Widget")},
                                  {"value", DoubleValue(3.5)}});
  *items->add_items() = ObjectOf({{"id", StringValue("sku-2")},
                                  {"label", StringValue("Red Gadget")},
                                  {"value", DoubleValue(2.0)}});
  *items->add_items() = ObjectOf({{"id", StringValue("sku-3")},
                                  {"label", StringValue("Green Gizmo")},
                                  {"value", DoubleValue(0.0)}});
  EXPECT_THAT(outputs.at("items"), EqualsValue(expected));
}

// ------------------------------------------------ workflow-engine examples --

// The events of one kind for one node, in order.
std::vector<v1::RunEvent> EventsOf(const WatchedRun& run, v1::RunEvent::KindCase kind,
                                   const std::string& node_id) {
  std::vector<v1::RunEvent> found;
  for (const v1::RunEvent& event : run.events) {
    if (event.kind_case() != kind) continue;
    const std::string& id = kind == v1::RunEvent::kNodeStarted  ? event.node_started().node_id()
                            : kind == v1::RunEvent::kNodeRetry ? event.node_retry().node_id()
                                                               : event.node_finished().node_id();
    if (id == node_id) found.push_back(event);
  }
  return found;
}

v1::Value ListOf(const std::vector<v1::Value>& items) {
  v1::Value value;
  v1::ListValue* list = value.mutable_list_value();
  for (const v1::Value& item : items) *list->add_items() = item;
  return value;
}

TEST_F(EndToEndTest, IfElseTakesTheFirstMatchingCaseAndTheAggregatorJoinsTheBranches) {
  const v1::Workflow workflow = LoadOrDie(kExamples + "if_else.json");
  // The cases of the "grade" node, as its conditions say: "top" when
  // score >= 90 and tag does not contain "draft"; else "pass" when
  // score > 50 or tag is "vip" or tag starts with "retake"; else "false".
  auto expected_branch = [](int64_t score, const std::string& tag) -> std::string {
    if (score >= 90 && tag.find("draft") == std::string::npos) return "top";
    if (score > 50 || tag == "vip" || tag.rfind("retake", 0) == 0) return "pass";
    return "false";
  };
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {95, "final"}, {90, "final"}, {95, "draft"}, {51, "x"}, {50, "x"}, {30, "vip"},
      {30, "vipx"},  {30, "retake-2"}, {10, "draft"}};
  for (const auto& [score, tag] : cases) {
    WatchedRun run = RunWorkflow(workflow, MakeInputs({{"score", IntValue(score)},
                                                       {"tag", StringValue(tag)}}));
    ASSERT_TRUE(run.finished.ok()) << run.finished.status();
    ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
    const std::string branch = expected_branch(score, tag);
    const std::string label = branch == "false" ? "fail" : branch;
    EXPECT_EQ(run.finished->outputs().at("message").string_value(),
              absl::StrCat(label, ": ", score, " (", tag, ")"))
        << score << " " << tag;
    std::vector<v1::RunEvent> grade = EventsOf(run, v1::RunEvent::kNodeFinished, "grade");
    ASSERT_EQ(grade.size(), 1u);
    EXPECT_EQ(grade[0].node_finished().branch(), branch) << score << " " << tag;
    // Only the branch taken ran; the others were skipped (an untaken node
    // has no node_started and at most a SKIPPED node_finished).
    for (const char* node : {"top_message", "pass_message", "fail_message"}) {
      const bool taken = absl::StrCat(label, "_message") == node;
      EXPECT_EQ(EventsOf(run, v1::RunEvent::kNodeStarted, node).size(), taken ? 1u : 0u)
          << node << " for " << score << " " << tag;
      for (const v1::RunEvent& finished : EventsOf(run, v1::RunEvent::kNodeFinished, node)) {
        EXPECT_EQ(finished.node_finished().result().status(),
                  taken ? v1::NODE_SUCCEEDED : v1::NODE_SKIPPED)
            << node << " for " << score << " " << tag;
      }
    }
  }
}

TEST_F(EndToEndTest, TemplateRendersJinjaLoopsAndFilters) {
  const ValueMap inputs = InputsFileOrDie("template.json");
  WatchedRun run = RunWorkflow(LoadOrDie(kExamples + "template.json"), inputs);
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
  // The template: the title upper-cased, one "- name xqty" line per item,
  // then the sum of the quantities (Jinja2 drops the template's own final
  // newline only, and there is none).
  std::string expected = absl::AsciiStrToUpper(inputs.at("title").string_value()) + "\n";
  int64_t total = 0;
  for (const v1::Value& item : inputs.at("items").list_value().items()) {
    const auto& fields = item.object_value().fields();
    absl::StrAppend(&expected, "- ", fields.at("name").string_value(), " x",
                    fields.at("qty").int_value(), "\n");
    total += fields.at("qty").int_value();
  }
  absl::StrAppend(&expected, "total: ", total, " item(s)");
  EXPECT_EQ(run.finished->outputs().at("text").string_value(), expected);
}

TEST_F(EndToEndTest, GroupedAggregatorGivesEachGroupFromTheBranchTaken) {
  const v1::Workflow workflow = LoadOrDie(kExamples + "aggregator_grouped.json");
  for (const auto& [lang, greeting, farewell] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"fr", "Bonjour, Ada!", "Au revoir, Ada."}, {"en", "Hello, Ada!", "Goodbye, Ada."}}) {
    WatchedRun run = RunWorkflow(
        workflow, MakeInputs({{"name", StringValue("Ada")}, {"lang", StringValue(lang)}}));
    ASSERT_TRUE(run.finished.ok()) << run.finished.status();
    ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
    EXPECT_EQ(run.finished->outputs().at("greeting").string_value(), greeting) << lang;
    EXPECT_EQ(run.finished->outputs().at("farewell").string_value(), farewell) << lang;
  }
}

TEST_F(EndToEndTest, IterationRunsItsSubGraphPerItemWithAParallelBound) {
  const ValueMap inputs = InputsFileOrDie("iteration.json");
  WatchedRun run = RunWorkflow(LoadOrDie(kExamples + "iteration.json"), inputs);
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
  std::vector<v1::Value> labels;
  std::vector<std::string> label_texts;
  const auto& words = inputs.at("words").list_value().items();
  for (int i = 0; i < words.size(); ++i) {
    const std::string& word = words[i].string_value();
    label_texts.push_back(
        absl::StrCat(i, ":", absl::AsciiStrToUpper(word), ":", word.size()));
    labels.push_back(StringValue(label_texts.back()));
  }
  const auto& outputs = run.finished->outputs();
  EXPECT_THAT(outputs.at("labels"), EqualsValue(ListOf(labels)));
  EXPECT_EQ(outputs.at("joined").string_value(), absl::StrJoin(label_texts, " "));
  EXPECT_EQ(outputs.at("count").int_value(), words.size());

  // One inner execution per item, each scoped [each, index]; never more
  // than parallel_nums = 2 of them in flight at once.
  std::set<int> indexes;
  int in_flight = 0;
  int most_in_flight = 0;
  for (const v1::RunEvent& event : run.events) {
    if (event.has_node_started() && event.node_started().node_id() == "label") {
      ASSERT_EQ(event.node_started().scope().levels_size(), 1);
      EXPECT_EQ(event.node_started().scope().levels(0).node_id(), "each");
      indexes.insert(event.node_started().scope().levels(0).index());
      most_in_flight = std::max(most_in_flight, ++in_flight);
    }
    if (event.has_node_finished() && event.node_finished().node_id() == "label") --in_flight;
  }
  EXPECT_EQ(indexes.size(), static_cast<size_t>(words.size()));
  EXPECT_LE(most_in_flight, 2);
  EXPECT_EQ(most_in_flight, 2) << "the items did not run in parallel";
}

TEST_F(EndToEndTest, LoopAccumulatesWithTheAssignerUntilItsBreakCondition) {
  const v1::Workflow workflow = LoadOrDie(kExamples + "loop.json");
  for (int64_t n : {4, 7, 0}) {
    WatchedRun run = RunWorkflow(workflow, MakeInputs({{"n", IntValue(n)}}));
    ASSERT_TRUE(run.finished.ok()) << run.finished.status();
    ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
    // i counts rounds from 0; the break (i >= n) is checked before the first
    // round, so n = 0 runs none.
    int64_t total = 0;
    std::vector<v1::Value> seen;
    for (int64_t i = 0; i < n; ++i) {
      total += i * i;
      seen.push_back(IntValue(i * i));
    }
    const auto& outputs = run.finished->outputs();
    EXPECT_EQ(outputs.at("total").int_value(), total) << "n = " << n;
    EXPECT_EQ(outputs.at("rounds").int_value(), n);
    EXPECT_THAT(outputs.at("seen"), EqualsValue(ListOf(seen))) << "n = " << n;
    EXPECT_EQ(EventsOf(run, v1::RunEvent::kNodeFinished, "square").size(),
              static_cast<size_t>(n));
  }
}

TEST_F(EndToEndTest, JavaScriptAsyncMainRunsWithCapturedConsole) {
  const std::string text = "flowgrid runs  Dify workflows";
  WatchedRun run = RunWorkflow(LoadOrDie(kExamples + "javascript.json"),
                               MakeInputs({{"text", StringValue(text)}}));
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  ASSERT_EQ(run.finished->status(), v1::RUN_SUCCEEDED) << run.finished->DebugString();
  std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  std::vector<v1::Value> lengths;
  std::string longest;
  for (const std::string& word : words) {
    lengths.push_back(IntValue(static_cast<int64_t>(word.size())));
    if (word.size() > longest.size()) longest = word;
  }
  const auto& outputs = run.finished->outputs();
  EXPECT_EQ(outputs.at("word_count").int_value(), static_cast<int64_t>(words.size()));
  EXPECT_EQ(outputs.at("longest").string_value(), longest);
  EXPECT_EQ(outputs.at("shouted").string_value(), absl::AsciiStrToUpper(text));
  EXPECT_THAT(outputs.at("lengths"), EqualsValue(ListOf(lengths)));
  std::vector<v1::RunEvent> stats = EventsOf(run, v1::RunEvent::kNodeFinished, "stats");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].node_finished().result().stdout(),
            absl::StrCat("counted ", words.size(), " words\n"));
}

TEST_F(EndToEndTest, FailBranchRoutesTheErrorToTheRecoveryPath) {
  const v1::Workflow workflow = LoadOrDie(kExamples + "fail_branch.json");
  WatchedRun parsed = RunWorkflow(workflow, MakeInputs({{"raw", StringValue("2.5")}}));
  ASSERT_TRUE(parsed.finished.ok()) << parsed.finished.status();
  EXPECT_EQ(parsed.finished->status(), v1::RUN_SUCCEEDED) << parsed.finished->DebugString();
  EXPECT_THAT(parsed.finished->outputs().at("result"), EqualsValue(DoubleValue(5.0)));
  EXPECT_EQ(parsed.finished->outputs().at("note").string_value(), "parsed");

  WatchedRun failed = RunWorkflow(workflow, MakeInputs({{"raw", StringValue("abc")}}));
  ASSERT_TRUE(failed.finished.ok()) << failed.finished.status();
  EXPECT_EQ(failed.finished->status(), v1::RUN_PARTIAL_SUCCEEDED)
      << failed.finished->DebugString();
  EXPECT_THAT(failed.finished->outputs().at("result"), EqualsValue(IntValue(0)));
  // recover's note is "<error_type>: <error_message>" of the failed node.
  EXPECT_EQ(failed.finished->outputs().at("note").string_value(),
            "RUNTIME_ERROR: ValueError: not a number: 'abc'");
  std::vector<v1::RunEvent> parse = EventsOf(failed, v1::RunEvent::kNodeFinished, "parse");
  ASSERT_EQ(parse.size(), 1u);
  const v1::NodeResult& result = parse[0].node_finished().result();
  EXPECT_EQ(result.status(), v1::NODE_EXCEPTION);
  EXPECT_EQ(result.outputs().at("error_type").string_value(), "RUNTIME_ERROR");
  EXPECT_EQ(result.outputs().at("error_message").string_value(),
            "ValueError: not a number: 'abc'");
  // The success branch did not run.
  EXPECT_TRUE(EventsOf(failed, v1::RunEvent::kNodeStarted, "double").empty());
  EXPECT_EQ(EventsOf(failed, v1::RunEvent::kNodeStarted, "recover").size(), 1u);
}

TEST_F(EndToEndTest, DefaultValueReplacesTheOutputsAfterTheRetry) {
  const v1::Workflow workflow = LoadOrDie(kExamples + "default_value.json");
  WatchedRun ok = RunWorkflow(workflow, MakeInputs({{"x", IntValue(16)}}));
  ASSERT_TRUE(ok.finished.ok()) << ok.finished.status();
  EXPECT_EQ(ok.finished->status(), v1::RUN_SUCCEEDED) << ok.finished->DebugString();
  EXPECT_THAT(ok.finished->outputs().at("root"), EqualsValue(DoubleValue(4.0)));
  EXPECT_THAT(ok.finished->outputs().at("exact"), EqualsValue(BoolValue(true)));
  EXPECT_THAT(ok.finished->outputs().at("error"), EqualsValue(NullValue()));

  WatchedRun failed = RunWorkflow(workflow, MakeInputs({{"x", IntValue(-4)}}));
  ASSERT_TRUE(failed.finished.ok()) << failed.finished.status();
  EXPECT_EQ(failed.finished->status(), v1::RUN_PARTIAL_SUCCEEDED)
      << failed.finished->DebugString();
  // The declared defaults, and the error of the last attempt.
  EXPECT_THAT(failed.finished->outputs().at("root"), EqualsValue(IntValue(-1)));
  EXPECT_THAT(failed.finished->outputs().at("exact"), EqualsValue(BoolValue(false)));
  EXPECT_EQ(failed.finished->outputs().at("error").string_value(),
            "ValueError: math domain error");
  // max_retries 1: one retry 100 ms after the first failure, then attempt 2.
  std::vector<v1::RunEvent> retries = EventsOf(failed, v1::RunEvent::kNodeRetry, "root");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].node_retry().attempt(), 1);
  EXPECT_EQ(retries[0].node_retry().retry_in_ms(), 100);
  std::vector<v1::RunEvent> finished = EventsOf(failed, v1::RunEvent::kNodeFinished, "root");
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].node_finished().attempt(), 2);
  EXPECT_EQ(finished[0].node_finished().result().status(), v1::NODE_EXCEPTION);
}

// ------------------------------------------------------------- the SDK API --

TEST_F(EndToEndTest, WatchReplaysAfterAGivenSequenceAndGetHasTheRecord) {
  ValueMap inputs;
  inputs["name"] = StringValue("replay");
  WatchedRun run = RunWorkflow(LoadOrDie(kExamples + "hello.json"), inputs);
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  ASSERT_GE(run.events.size(), 3u);

  // Re-attaching after sequence 2 delivers exactly the rest, the same events.
  std::vector<v1::RunEvent> rest;
  absl::StatusOr<v1::RunFinished> again = client_->Watch(
      run.run_id, 2, [&](const v1::RunEvent& event) { rest.push_back(event); });
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(rest.size(), run.events.size() - 2);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].SerializeAsString(), run.events[i + 2].SerializeAsString())
        << "event " << i + 3;
  }

  absl::StatusOr<v1::Run> record = client_->Get(run.run_id);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->run_id(), run.run_id);
  EXPECT_EQ(record->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(record->outputs().at("greeting").string_value(), "Hello, replay!");
  EXPECT_EQ(record->inputs().at("name").string_value(), "replay");
}

TEST_F(EndToEndTest, RepeatedIdempotencyKeyReturnsTheFirstRun) {
  ValueMap inputs;
  inputs["name"] = StringValue("once");
  const v1::Workflow workflow = LoadOrDie(kExamples + "hello.json");
  const std::string key = absl::StrCat("e2e-idempotency-", ::getpid());
  absl::StatusOr<std::string> first = client_->Submit(workflow, inputs, key);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::string> second = client_->Submit(workflow, inputs, key);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*first, *second);
  absl::StatusOr<v1::RunFinished> finished = client_->Watch(*first, 0, nullptr);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED);
}

TEST_F(EndToEndTest, UnknownRunIsNotFound) {
  absl::StatusOr<v1::Run> record = client_->Get("no-such-run");
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.status().code(), absl::StatusCode::kNotFound) << record.status();
}

// ------------------------------------------------------------- bad inputs --

TEST_F(EndToEndTest, CycleIsRejectedNamingItsNodes) {
  const v1::Workflow workflow = LoadOrDie(kBadData + "cycle.json");
  ValueMap inputs;
  inputs["x"] = IntValue(1);
  absl::StatusOr<std::string> run_id = client_->Submit(workflow, inputs);
  ASSERT_FALSE(run_id.ok()) << "a cyclic workflow was accepted as run " << *run_id;
  EXPECT_EQ(run_id.status().code(), absl::StatusCode::kInvalidArgument) << run_id.status();
  EXPECT_THAT(run_id.status().message(),
              AllOf(HasSubstr("cycle"), HasSubstr("alpha"), HasSubstr("beta")));

  absl::StatusOr<v1::ValidateWorkflowResponse> validation = client_->Validate(workflow);
  ASSERT_TRUE(validation.ok()) << validation.status();
  EXPECT_FALSE(validation->valid());
  std::string diagnostics;
  for (const v1::Diagnostic& diagnostic : validation->diagnostics()) {
    absl::StrAppend(&diagnostics, diagnostic.node_id(), " ", diagnostic.field(), " ",
                    diagnostic.message(), "\n");
  }
  EXPECT_THAT(diagnostics, AllOf(HasSubstr("cycle"), HasSubstr("alpha"), HasSubstr("beta")));
}

TEST_F(EndToEndTest, DanglingEdgeIsRejectedNamingTheMissingNode) {
  ValueMap inputs;
  inputs["x"] = IntValue(1);
  absl::StatusOr<std::string> run_id =
      client_->Submit(LoadOrDie(kBadData + "dangling_edge.json"), inputs);
  ASSERT_FALSE(run_id.ok()) << "accepted as run " << *run_id;
  EXPECT_EQ(run_id.status().code(), absl::StatusCode::kInvalidArgument) << run_id.status();
  EXPECT_THAT(run_id.status().message(), HasSubstr("nowhere"));
}

TEST_F(EndToEndTest, MissingRequiredInputIsRejectedNamingTheInput) {
  absl::StatusOr<std::string> run_id =
      client_->Submit(LoadOrDie(kExamples + "hello.json"), ValueMap{});
  ASSERT_FALSE(run_id.ok()) << "accepted as run " << *run_id;
  EXPECT_EQ(run_id.status().code(), absl::StatusCode::kInvalidArgument) << run_id.status();
  EXPECT_THAT(run_id.status().message(), HasSubstr("name"));
}

TEST_F(EndToEndTest, RaisingCodeFailsWithTracebackAtTheUsersLine) {
  ValueMap inputs;
  inputs["x"] = IntValue(21);
  WatchedRun run = RunWorkflow(LoadOrDie(kBadData + "raises.json"), inputs);
  ASSERT_TRUE(run.finished.ok()) << run.finished.status();
  EXPECT_EQ(run.finished->status(), v1::RUN_FAILED) << run.finished->DebugString();
  EXPECT_EQ(run.finished->failed_node_id(), "divide");
  const v1::NodeError& error = run.finished->error();
  EXPECT_EQ(error.code(), v1::RUNTIME_ERROR) << error.DebugString();
  EXPECT_THAT(error.message(), HasSubstr("ZeroDivisionError"));
  // Line 3 of the user's code: `return {"ratio": doubled / (x - x)}`.
  EXPECT_THAT(error.traceback(), AllOf(HasSubstr("line 3"), HasSubstr("ZeroDivisionError")));

  const int finished = EventIndex(run.events, v1::RunEvent::kNodeFinished, "divide");
  ASSERT_GE(finished, 0);
  const v1::NodeResult& result = run.events[finished].node_finished().result();
  EXPECT_EQ(result.status(), v1::NODE_FAILED);
  EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR);
  EXPECT_THAT(result.error().traceback(), HasSubstr("line 3"));
}

// ------------------------------------------------------------- flowgridctl --

TEST_F(EndToEndTest, CliRunPrintsOutputsTable) {
  ProcessResult cli = RunFlowgridctl({"run", kExamples + "hello.json", "--input", "name=World",
                                      "--addr=" + cluster_->client_address()});
  EXPECT_EQ(cli.exit_code, 0) << cli.stderr_text;
  EXPECT_EQ(cli.stdout_text, "greeting  \"Hello, World!\"\n");
  EXPECT_THAT(cli.stderr_text, HasSubstr("[greet] started"));
  EXPECT_THAT(cli.stderr_text, MatchesRegex("(.|\n)*\\[greet\\] succeeded in [0-9.]+m?s \\(ran [0-9.]+m?s\\)\n(.|\n)*"));
  EXPECT_THAT(cli.stderr_text, HasSubstr("finished: SUCCEEDED"));
}

TEST_F(EndToEndTest, CliRunJsonOutputWithRepeatedInputsAndInputsFile) {
  // --inputs_json provides every input; a repeated --input overrides one.
  ProcessResult cli = RunFlowgridctl(
      {"run", kExamples + "hmac_auth_header.json", "--inputs_json",
       kExamples + "inputs/hmac_auth_header.json", "--input", "timestamp=1",
       "--input=timestamp=1700000000", "--output=json", "--quiet",
       "--addr=" + cluster_->client_address()});
  EXPECT_EQ(cli.exit_code, 0) << cli.stderr_text;
  EXPECT_EQ(cli.stderr_text, "");
  absl::StatusOr<v1::Value> printed = ParseValueJson(cli.stdout_text);
  ASSERT_TRUE(printed.ok()) << printed.status() << "\n" << cli.stdout_text;
  EXPECT_EQ(printed->object_value().fields().at("timestamp").string_value(), "1700000000");
  EXPECT_THAT(printed->object_value().fields().at("auth_header").string_value(),
              HasSubstr("t=1700000000,v1=268acd78"));
}

TEST_F(EndToEndTest, CliRunOfFailingCodeExitsOneWithTraceback) {
  ProcessResult cli = RunFlowgridctl({"run", kBadData + "raises.json", "--input", "x=2",
                                      "--addr=" + cluster_->client_address()});
  EXPECT_EQ(cli.exit_code, 1) << cli.stderr_text;
  EXPECT_EQ(cli.stdout_text, "");
  EXPECT_THAT(cli.stderr_text, HasSubstr("[divide] failed"));
  EXPECT_THAT(cli.stderr_text, HasSubstr("RUNTIME_ERROR"));
  EXPECT_THAT(cli.stderr_text, HasSubstr("line 3"));
  EXPECT_THAT(cli.stderr_text, HasSubstr("FAILED at node divide"));
}

TEST_F(EndToEndTest, CliRunOfMalformedFileExitsTwoNamingTheFile) {
  ProcessResult cli = RunFlowgridctl(
      {"run", kBadData + "malformed.json", "--addr=" + cluster_->client_address()});
  EXPECT_EQ(cli.exit_code, 2) << cli.stderr_text;
  EXPECT_THAT(cli.stderr_text,
              AllOf(HasSubstr("malformed.json"), HasSubstr("invalid workflow JSON")));
}

TEST_F(EndToEndTest, CliRunWithMissingInputExitsTwoWithTheDiagnostic) {
  ProcessResult cli =
      RunFlowgridctl({"run", kExamples + "hello.json", "--addr=" + cluster_->client_address()});
  EXPECT_EQ(cli.exit_code, 2) << cli.stderr_text;
  EXPECT_THAT(cli.stderr_text, AllOf(HasSubstr("rejected"), HasSubstr("name")));
}

TEST_F(EndToEndTest, CliValidateReportsTheCycle) {
  ProcessResult cli = RunFlowgridctl(
      {"validate", kBadData + "cycle.json", "--addr=" + cluster_->client_address()});
  EXPECT_EQ(cli.exit_code, 1) << cli.stderr_text;
  EXPECT_THAT(cli.stdout_text, AllOf(HasSubstr("cycle.json is invalid"), HasSubstr("alpha"),
                                     HasSubstr("beta")));
}

TEST_F(EndToEndTest, CliValidatePrintsTheOrderOfAValidWorkflow) {
  ProcessResult cli = RunFlowgridctl(
      {"validate", kExamples + "hello.json", "--addr=" + cluster_->client_address()});
  EXPECT_EQ(cli.exit_code, 0) << cli.stderr_text;
  EXPECT_THAT(cli.stdout_text, HasSubstr("hello.json is valid; order: start -> greet -> end"));
}

TEST_F(EndToEndTest, CliRunPassesSystemVariablesAndMasksSecrets) {
  const std::string addr = "--addr=" + cluster_->client_address();
  ProcessResult cli = RunFlowgridctl({"run", kBadData + "system_vars.json", "--sys",
                                      "query=what is flowgrid?", "--sys=user_id=u-7",
                                      "--output=json", "--quiet", addr});
  ASSERT_EQ(cli.exit_code, 0) << cli.stderr_text;
  absl::StatusOr<v1::Value> printed = ParseValueJson(cli.stdout_text);
  ASSERT_TRUE(printed.ok()) << printed.status() << "\n" << cli.stdout_text;
  const auto& outputs = printed->object_value().fields();
  EXPECT_EQ(outputs.at("text").string_value(), "Howdy u-7, you asked: what is flowgrid?");
  // The secret reached the code ("sk-secret-123" has 13 characters)...
  EXPECT_EQ(outputs.at("key_length").int_value(), 13);
  // ...but not the history.
  const std::string run_id = outputs.at("run_id").string_value();
  ProcessResult show = RunFlowgridctl({"runs", "show", run_id, "--output=json", addr});
  ASSERT_EQ(show.exit_code, 0) << show.stderr_text;
  EXPECT_THAT(show.stdout_text, ::testing::Not(HasSubstr("sk-secret-123")));
  EXPECT_THAT(show.stdout_text, HasSubstr("\"user\":\"u-7\""));
}

TEST_F(EndToEndTest, CliRunShowsScopedNodesAndRetries) {
  const std::string addr = "--addr=" + cluster_->client_address();
  ProcessResult iteration = RunFlowgridctl(
      {"run", kExamples + "iteration.json", "--inputs_json",
       kExamples + "inputs/iteration.json", addr});
  ASSERT_EQ(iteration.exit_code, 0) << iteration.stderr_text;
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(iteration.stderr_text, HasSubstr(absl::StrCat("[each/label #", i, "] started\n")));
  }
  ProcessResult retried =
      RunFlowgridctl({"run", kExamples + "default_value.json", "--input=x=-1", addr});
  ASSERT_EQ(retried.exit_code, 0) << retried.stderr_text;
  EXPECT_THAT(retried.stderr_text,
              AllOf(HasSubstr("[root] attempt 1 failed, retrying in 100.0ms: RUNTIME_ERROR: "
                              "ValueError: math domain error\n"),
                    HasSubstr("[root] started (attempt 2)\n"),
                    HasSubstr("finished: PARTIAL_SUCCEEDED")));
  EXPECT_EQ(retried.stdout_text,
            "error  \"ValueError: math domain error\"\nexact  false\nroot   -1\n");
}

TEST_F(EndToEndTest, CliWithoutASchedulerExitsTwoWithAHint) {
  // Port 1 on loopback: nothing listens there.
  ProcessResult cli =
      RunFlowgridctl({"run", kExamples + "hello.json", "--addr=127.0.0.1:1", "--input=name=x"});
  EXPECT_EQ(cli.exit_code, 2) << cli.stderr_text;
  EXPECT_THAT(cli.stderr_text, AllOf(HasSubstr("cannot connect"), HasSubstr("127.0.0.1:1"),
                                     HasSubstr("flowgridctl dev")));
}

// --------------------------------------------------- run history and control --

// The run ids of `flowgridctl runs list --output json`, newest first.
std::vector<std::string> ListedRunIds(const std::string& json_text) {
  std::vector<std::string> ids;
  absl::StatusOr<v1::Value> printed = ParseValueJson(json_text);
  EXPECT_TRUE(printed.ok()) << printed.status() << "\n" << json_text;
  if (!printed.ok()) return ids;
  for (const v1::Value& run : printed->object_value().fields().at("runs").list_value().items()) {
    ids.push_back(run.object_value().fields().at("run_id").string_value());
  }
  return ids;
}

TEST_F(EndToEndTest, CliRunsListAndShowAfterACoupleOfRuns) {
  const v1::Workflow hello = LoadOrDie(kExamples + "hello.json");
  std::vector<std::string> run_ids;
  for (const char* name : {"first", "second"}) {
    ValueMap inputs;
    inputs["name"] = StringValue(name);
    WatchedRun run = RunWorkflow(hello, inputs);
    ASSERT_TRUE(run.finished.ok()) << run.finished.status();
    run_ids.push_back(run.run_id);
  }
  WatchedRun failed = RunWorkflow(LoadOrDie(kBadData + "raises.json"), MakeInputs({{"x", IntValue(4)}}));
  ASSERT_TRUE(failed.finished.ok()) << failed.finished.status();
  const std::string addr = "--addr=" + cluster_->client_address();

  // Newest first: the failed run, then "second", then "first".
  ProcessResult page = RunFlowgridctl({"runs", "list", "--limit=3", "--output=json", addr});
  ASSERT_EQ(page.exit_code, 0) << page.stderr_text;
  EXPECT_THAT(ListedRunIds(page.stdout_text),
              ::testing::ElementsAre(failed.run_id, run_ids[1], run_ids[0]));

  // Paging: two runs, then the next page starts with the third.
  ProcessResult first_page = RunFlowgridctl({"runs", "list", "--limit", "2", addr});
  ASSERT_EQ(first_page.exit_code, 0) << first_page.stderr_text;
  EXPECT_THAT(first_page.stdout_text,
              MatchesRegex("RUN ID +WORKFLOW +STATUS +CREATED \\(UTC\\) +DURATION\n" +
                           failed.run_id + " +raises +FAILED +[0-9: -]+ +[0-9.]+m?s\n" +
                           run_ids[1] + " +hello +SUCCEEDED +[0-9: -]+ +[0-9.]+m?s\n" +
                           "next page: --page_token=[0-9]+\n"));
  const std::string hint = "next page: --page_token=";
  const size_t at = first_page.stdout_text.find(hint);
  ASSERT_NE(at, std::string::npos) << first_page.stdout_text;
  const std::string token = first_page.stdout_text.substr(
      at + hint.size(), first_page.stdout_text.find('\n', at) - at - hint.size());
  ProcessResult next_page = RunFlowgridctl(
      {"runs", "list", "--limit=1", "--page_token=" + token, "--output=json", addr});
  ASSERT_EQ(next_page.exit_code, 0) << next_page.stderr_text;
  EXPECT_THAT(ListedRunIds(next_page.stdout_text), ::testing::ElementsAre(run_ids[0]));

  // The status filter keeps only failed runs.
  ProcessResult only_failed =
      RunFlowgridctl({"runs", "list", "--status=failed", "--output=json", addr});
  ASSERT_EQ(only_failed.exit_code, 0) << only_failed.stderr_text;
  std::vector<std::string> failed_ids = ListedRunIds(only_failed.stdout_text);
  EXPECT_THAT(failed_ids, ::testing::Contains(failed.run_id));
  EXPECT_THAT(failed_ids, ::testing::Not(::testing::Contains(run_ids[0])));

  ProcessResult show = RunFlowgridctl({"runs", "show", run_ids[1], addr});
  ASSERT_EQ(show.exit_code, 0) << show.stderr_text;
  EXPECT_THAT(show.stdout_text,
              AllOf(HasSubstr("run       " + run_ids[1] + "\n"), HasSubstr("workflow  hello\n"),
                    HasSubstr("status    SUCCEEDED\n"), HasSubstr("inputs:\n  name  \"second\"\n"),
                    HasSubstr("outputs:\n  greeting  \"Hello, second!\"\n")));
  EXPECT_THAT(show.stdout_text, MatchesRegex("(.|\n)*\n  greet +1 +SUCCEEDED +[0-9.]+m?s\n(.|\n)*"));

  ProcessResult show_failed = RunFlowgridctl({"runs", "show", failed.run_id, addr});
  ASSERT_EQ(show_failed.exit_code, 0) << show_failed.stderr_text;
  EXPECT_THAT(show_failed.stdout_text,
              AllOf(HasSubstr("status    FAILED\n"),
                    HasSubstr("error     RUNTIME_ERROR: ZeroDivisionError: division by zero "
                              "(node divide)\n"),
                    HasSubstr("    error: RUNTIME_ERROR: ZeroDivisionError: division by zero\n"),
                    HasSubstr("line 3")));

  ProcessResult show_json = RunFlowgridctl({"runs", "show", failed.run_id, "--output=json", addr});
  ASSERT_EQ(show_json.exit_code, 0) << show_json.stderr_text;
  absl::StatusOr<v1::Value> record = ParseValueJson(show_json.stdout_text);
  ASSERT_TRUE(record.ok()) << record.status() << "\n" << show_json.stdout_text;
  const auto& fields = record->object_value().fields();
  EXPECT_EQ(fields.at("status").string_value(), "FAILED");
  EXPECT_EQ(fields.at("failed_node_id").string_value(), "divide");
  EXPECT_EQ(fields.at("inputs").object_value().fields().at("x").int_value(), 4);

  ProcessResult unknown = RunFlowgridctl({"runs", "show", "no-such-run", addr});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.stderr_text;
  EXPECT_THAT(unknown.stderr_text, HasSubstr("no-such-run"));
}

TEST_F(EndToEndTest, CliCancelStopsALongRunningRun) {
  absl::StatusOr<std::string> run_id = client_->Submit(LoadOrDie(kBadData + "spin.json"), ValueMap{});
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  // Wait until the spinning job has been handed out, then cancel it.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::StatusOr<v1::Run> run = client_->Get(*run_id);
    ASSERT_TRUE(run.ok()) << run.status();
    if (run->status() == v1::RUN_RUNNING) break;
    ASSERT_LT(absl::Now(), deadline) << "run " << *run_id << " did not start";
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(300));
  const std::string addr = "--addr=" + cluster_->client_address();
  const absl::Time cancelled_at = absl::Now();
  ProcessResult cancel = RunFlowgridctl({"cancel", *run_id, addr});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.stderr_text;
  EXPECT_EQ(cancel.stdout_text, "run " + *run_id + " CANCELLED\n");

  std::vector<v1::RunEvent> events;
  absl::StatusOr<v1::RunFinished> finished =
      client_->Watch(*run_id, 0, [&](const v1::RunEvent& event) { events.push_back(event); });
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_CANCELLED) << finished->DebugString();
  // Far sooner than the job's own 60 s timeout.
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(10));

  // A finished run cannot be cancelled again: exit 1 saying so.
  ProcessResult again = RunFlowgridctl({"cancel", *run_id, addr});
  EXPECT_EQ(again.exit_code, 1) << again.stderr_text;
  EXPECT_THAT(again.stderr_text, HasSubstr("already finished"));

  // The cluster goes on taking runs.
  WatchedRun after = RunWorkflow(LoadOrDie(kExamples + "hello.json"), MakeInputs({{"name", StringValue("x")}}));
  ASSERT_TRUE(after.finished.ok()) << after.finished.status();
  EXPECT_EQ(after.finished->status(), v1::RUN_SUCCEEDED);
}

TEST_F(EndToEndTest, CliRunNodeRunsOneCodeNode) {
  const std::string addr = "--addr=" + cluster_->client_address();
  ProcessResult cli = RunFlowgridctl(
      {"run-node", kExamples + "hello.json", "greet", "--input", "name=Ada", addr});
  EXPECT_EQ(cli.exit_code, 0) << cli.stderr_text;
  EXPECT_THAT(cli.stdout_text,
              AllOf(HasSubstr("node      greet\n"), HasSubstr("status    SUCCEEDED\n"),
                    HasSubstr("outputs:\n  greeting  \"Hello, Ada!\"\n")));

  ProcessResult failing =
      RunFlowgridctl({"run-node", kBadData + "raises.json", "divide", "--input=x=5",
                      "--output=json", addr});
  EXPECT_EQ(failing.exit_code, 1) << failing.stderr_text;
  absl::StatusOr<v1::Value> printed = ParseValueJson(failing.stdout_text);
  ASSERT_TRUE(printed.ok()) << printed.status() << "\n" << failing.stdout_text;
  const auto& error = printed->object_value().fields().at("error").object_value().fields();
  EXPECT_EQ(error.at("code").string_value(), "RUNTIME_ERROR");
  EXPECT_THAT(error.at("traceback").string_value(), HasSubstr("line 3"));
}


TEST_F(EndToEndTest, CodeThatDoesNotCompileIsRejectedBeforeAnythingRuns) {
  absl::StatusOr<v1::Workflow> workflow = ParseWorkflowJson(R"json({
    "name": "broken",
    "nodes": [
      {"id": "start", "start": {}},
      {"id": "py_syntax", "code": {"language": "PYTHON3",
        "code": "def main():\n    return {'a': 1\n", "outputs": {"a": {"kind": "NUMBER"}}}},
      {"id": "py_params", "code": {"language": "PYTHON3",
        "code": "def main(x, y):\n    return {}\n",
        "inputs": [{"name": "x", "selector": ["sys", "query"]}]}},
      {"id": "js_syntax", "code": {"language": "JAVASCRIPT",
        "code": "function main() {\n  return {a: };\n}\n", "outputs": {"a": {"kind": "NUMBER"}}}},
      {"id": "end", "end": {}}],
    "edges": [{"source": "start", "target": "py_syntax"}, {"source": "py_syntax", "target": "py_params"},
              {"source": "py_params", "target": "js_syntax"}, {"source": "js_syntax", "target": "end"}]})json");
  ASSERT_TRUE(workflow.ok()) << workflow.status();
  absl::StatusOr<std::string> run_id = client_->Submit(*workflow, ValueMap{});
  ASSERT_FALSE(run_id.ok()) << "accepted as run " << *run_id;
  EXPECT_EQ(run_id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(run_id.status().message(),
              AllOf(HasSubstr("node py_syntax: code.code: SyntaxError"), HasSubstr("line 2"),
                    HasSubstr("node py_params: code.code: main() requires parameter \"y\", "
                              "which is not an input of this node"),
                    HasSubstr("node js_syntax: code.code: SyntaxError")));
  absl::StatusOr<v1::ValidateWorkflowResponse> validation = client_->Validate(*workflow);
  ASSERT_TRUE(validation.ok()) << validation.status();
  EXPECT_FALSE(validation->valid());
  EXPECT_EQ(validation->diagnostics_size(), 3);
}


// The same retry and error-strategy semantics hold for JavaScript nodes.
TEST_F(EndToEndTest, JavaScriptNodeRetriesThenTakesItsFailBranch) {
  absl::StatusOr<v1::Workflow> workflow = ParseWorkflowJson(R"json({
    "name": "js-fail-branch",
    "nodes": [
      {"id": "start", "start": {"variables": [{"name": "raw", "type": {"kind": "STRING"}}]}},
      {"id": "parse", "code": {"language": "JAVASCRIPT",
        "code": "function main({raw}) {\n  const n = Number(raw);\n  if (Number.isNaN(n)) throw new RangeError(`not a number: ${raw}`);\n  return {value: n * 2};\n}\n",
        "inputs": [{"name": "raw", "selector": ["start", "raw"]}], "outputs": {"value": {"kind": "NUMBER"}}},
       "retry": {"max_retries": 1, "interval_ms": 10},
       "error_strategy": {"kind": "FAIL_BRANCH"}},
      {"id": "recover", "code": {"language": "JAVASCRIPT",
        "code": "async function main({why}) {\n  return {value: -1, why};\n}\n",
        "inputs": [{"name": "why", "selector": ["parse", "error_message"]}],
        "outputs": {"value": {"kind": "NUMBER"}, "why": {"kind": "STRING"}}}},
      {"id": "outcome", "variable_aggregator": {"variables": [
        {"selector": ["parse", "value"]}, {"selector": ["recover", "value"]}]}},
      {"id": "end", "end": {"outputs": [{"name": "value", "selector": ["outcome", "output"]},
                                        {"name": "why", "selector": ["recover", "why"]}]}}],
    "edges": [{"source": "start", "target": "parse"},
              {"source": "parse", "source_handle": "success-branch", "target": "outcome"},
              {"source": "parse", "source_handle": "fail-branch", "target": "recover"},
              {"source": "recover", "target": "outcome"}, {"source": "outcome", "target": "end"}]})json");
  ASSERT_TRUE(workflow.ok()) << workflow.status();

  WatchedRun ok = RunWorkflow(*workflow, MakeInputs({{"raw", StringValue("21")}}));
  ASSERT_TRUE(ok.finished.ok()) << ok.finished.status();
  EXPECT_EQ(ok.finished->status(), v1::RUN_SUCCEEDED) << ok.finished->DebugString();
  EXPECT_THAT(ok.finished->outputs().at("value"), EqualsValue(IntValue(42)));
  EXPECT_THAT(ok.finished->outputs().at("why"), EqualsValue(NullValue()));

  WatchedRun failed = RunWorkflow(*workflow, MakeInputs({{"raw", StringValue("abc")}}));
  ASSERT_TRUE(failed.finished.ok()) << failed.finished.status();
  EXPECT_EQ(failed.finished->status(), v1::RUN_PARTIAL_SUCCEEDED)
      << failed.finished->DebugString();
  EXPECT_THAT(failed.finished->outputs().at("value"), EqualsValue(IntValue(-1)));
  EXPECT_EQ(failed.finished->outputs().at("why").string_value(), "RangeError: not a number: abc");
  std::vector<v1::RunEvent> retries = EventsOf(failed, v1::RunEvent::kNodeRetry, "parse");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].node_retry().error().code(), v1::RUNTIME_ERROR);
  std::vector<v1::RunEvent> finished = EventsOf(failed, v1::RunEvent::kNodeFinished, "parse");
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].node_finished().attempt(), 2);
  EXPECT_EQ(finished[0].node_finished().result().status(), v1::NODE_EXCEPTION);
}

}  // namespace
}  // namespace flowgrid
