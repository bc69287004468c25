// The console's API over a real WorkflowService and ClusterService (engine,
// in-memory store) reached through an in-process channel, as the
// scheduler wires it; requests go through the Router.
#include <memory>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/value_json.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "scheduler/console/event_stream.h"
#include "scheduler/console/json_gateway.h"
#include "scheduler/console/router.h"
#include "scheduler/console/static_assets.h"
#include "scheduler/engine/run_engine.h"
#include "scheduler/service/cluster_service.h"
#include "scheduler/service/workflow_service.h"
#include "scheduler/store/sqlite_run_store.h"
#include "tests/unit/scheduler/console/recording_connection.h"
#include "tests/unit/scheduler/workflow_builder.h"

namespace flowgrid::console {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using flowgrid::console::testing::RecordingConnection;
using flowgrid::testing::WorkflowBuilder;

constexpr char kSecret[] = "s3cret-value";
constexpr char kKey[] = "0123456789abcdef-key";

// start -> end, with a secret and a plain environment variable.
v1::Workflow Quick(const std::string& name) {
  v1::Workflow workflow = WorkflowBuilder().Start("start", {"q"}).End("end", {{"out", "start.q"}})
                              .Edge("start", "end").Build();
  workflow.set_name(name);
  v1::EnvironmentVariable* secret = workflow.add_environment();
  secret->set_name("TOKEN");
  *secret->mutable_value() = StringValue(kSecret);
  secret->set_secret(true);
  v1::EnvironmentVariable* plain = workflow.add_environment();
  plain->set_name("REGION");
  *plain->mutable_value() = StringValue("eu");
  return workflow;
}

// start -> code -> end: with no worker connected, it stays running.
v1::Workflow Stuck() {
  v1::Workflow workflow = WorkflowBuilder()
                              .Start("start", {"q"})
                              .Code("code", {{"q", "start.q"}}, {"r"})
                              .End("end", {{"out", "code.r"}})
                              .Edge("start", "code")
                              .Edge("code", "end")
                              .Build();
  workflow.set_name("stuck");
  return workflow;
}

engine::EngineOptions Options() {
  engine::EngineOptions options = engine::DefaultEngineOptions();
  // No worker answers code checks here: skip them at once.
  options.code_check_budget = absl::Milliseconds(1);
  return options;
}

class ConsoleGatewayTest : public ::testing::Test {
 protected:
  ConsoleGatewayTest()
      : store_(*store::SqliteRunStore::Open(":memory:")),
        engine_(store_.get(), Options()),
        workflow_service_(&engine_, store_.get()),
        cluster_service_(&engine_.dispatcher()) {
    grpc::ServerBuilder builder;
    builder.RegisterService(&workflow_service_);
    builder.RegisterService(&cluster_service_);
    server_ = builder.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
    workflows_ = v1::WorkflowService::NewStub(channel_);
    cluster_ = v1::ClusterService::NewStub(channel_);
    gateway_ = std::make_unique<JsonGateway>(workflows_.get(), cluster_.get());
    events_ = std::make_unique<EventStreams>(
        workflows_.get(), EventStreamOptions{.max_streams = 1,
                                             .keepalive = absl::Milliseconds(20),
                                             .retry_delay = absl::Seconds(3)});
  }
  ~ConsoleGatewayTest() override {
    events_->Stop();
    server_->Shutdown();
  }

  std::string Submit(const v1::Workflow& workflow) {
    google::protobuf::Map<std::string, v1::Value> inputs, system;
    inputs["q"] = StringValue("hello");
    system["query"] = StringValue("sys-query");
    absl::StatusOr<engine::SubmitResult> submitted =
        engine_.Submit(workflow, inputs, system, "");
    EXPECT_TRUE(submitted.ok()) << submitted.status();
    return submitted.ok() ? submitted->run_id : "";
  }

  void AwaitFinished(const std::string& run_id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      absl::StatusOr<v1::Run> run = store_->GetRun(run_id);
      if (run.ok() && run->status() != v1::RUN_RUNNING) return;
      absl::SleepFor(absl::Milliseconds(5));
    }
    ADD_FAILURE() << "run " << run_id << " did not finish";
  }

  // Answers `method` `target` ("/path?query") through a router that checks
  // keys with `check` (none: keys off).
  std::unique_ptr<RecordingConnection> Request(const std::string& method,
                                               const std::string& target,
                                               const std::string& authorization = "",
                                               ApiKeyCheck check = nullptr,
                                               int writes_accepted = INT_MAX) {
    Router router(gateway_.get(), events_.get(), &assets_, std::move(check));
    HttpRequest request;
    request.method = method;
    std::pair<std::string, std::string> path_query =
        absl::StrSplit(target, absl::MaxSplits('?', 1));
    request.path = path_query.first;
    request.query = path_query.second;
    request.authorization = authorization;
    auto connection = std::make_unique<RecordingConnection>(writes_accepted);
    router.Handle(request, *connection);
    return connection;
  }

  static nlohmann::json Json(const RecordingConnection& connection) {
    return nlohmann::json::parse(connection.response().body);
  }

  std::unique_ptr<store::SqliteRunStore> store_;
  engine::RunEngine engine_;
  service::WorkflowServiceImpl workflow_service_;
  service::ClusterServiceImpl cluster_service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkflowService::Stub> workflows_;
  std::unique_ptr<v1::ClusterService::Stub> cluster_;
  std::unique_ptr<JsonGateway> gateway_;
  std::unique_ptr<EventStreams> events_;
  StaticAssets assets_{"/nonexistent"};
};

TEST_F(ConsoleGatewayTest, RunDetailHasTheWorkflowWithoutSecretsAndTheSystemValues) {
  const std::string run_id = Submit(Quick("quick"));
  AwaitFinished(run_id);
  auto response = Request("GET", "/api/v1/runs/" + run_id);
  ASSERT_EQ(response->response().status, 200) << response->response().body;
  EXPECT_THAT(response->response().body, Not(HasSubstr(kSecret)));
  nlohmann::json run = Json(*response);
  EXPECT_EQ(run["run_id"], run_id);
  EXPECT_EQ(run["status"], "RUN_SUCCEEDED");
  EXPECT_EQ(run["workflow"]["name"], "quick");
  ASSERT_EQ(run["workflow"]["nodes"].size(), 2u);
  ASSERT_EQ(run["workflow"]["environment"].size(), 2u);
  EXPECT_EQ(run["workflow"]["environment"][0]["name"], "TOKEN");
  EXPECT_EQ(run["workflow"]["environment"][0]["secret"], true);
  EXPECT_EQ(run["workflow"]["environment"][0]["value"]["string_value"], "");
  EXPECT_EQ(run["workflow"]["environment"][1]["value"]["string_value"], "eu");
  EXPECT_EQ(run["system"]["query"]["string_value"], "sys-query");
  EXPECT_EQ(run["system"]["workflow_run_id"]["string_value"], run_id);
  EXPECT_EQ(run["inputs"]["q"]["string_value"], "hello");
  EXPECT_EQ(response->Header("Cache-Control"), "no-store");

  auto missing = Request("GET", "/api/v1/runs/nope");
  EXPECT_EQ(missing->response().status, 404);
  EXPECT_EQ(Json(*missing)["code"], "NOT_FOUND");
}

TEST_F(ConsoleGatewayTest, RunsListFiltersAndStaysLight) {
  const std::string a = Submit(Quick("alpha"));
  const std::string b = Submit(Quick("beta"));
  AwaitFinished(a);
  AwaitFinished(b);
  auto all = Request("GET", "/api/v1/runs");
  ASSERT_EQ(all->response().status, 200) << all->response().body;
  EXPECT_EQ(Json(*all)["runs"].size(), 2u);
  EXPECT_THAT(all->response().body, Not(HasSubstr(kSecret)));

  auto alpha = Request("GET", "/api/v1/runs?workflow=alpha&status=RUN_SUCCEEDED");
  nlohmann::json runs = Json(*alpha)["runs"];
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["run_id"], a);
  EXPECT_EQ(runs[0]["workflow_name"], "alpha");
  EXPECT_FALSE(runs[0].contains("workflow"));
  EXPECT_TRUE(runs[0]["system"].empty());
  EXPECT_TRUE(runs[0]["nodes"].empty());
  EXPECT_TRUE(runs[0].contains("created_at"));
  EXPECT_TRUE(runs[0].contains("finished_at"));

  EXPECT_TRUE(Json(*Request("GET", "/api/v1/runs?status=RUN_FAILED"))["runs"].empty());
  EXPECT_TRUE(
      Json(*Request("GET", "/api/v1/runs?created_after=2999-01-01T00:00:00Z"))["runs"].empty());
  EXPECT_EQ(Json(*Request("GET", "/api/v1/runs?created_before=2999-01-01T00:00:00Z"))["runs"]
                .size(),
            2u);
  auto paged = Request("GET", "/api/v1/runs?page_size=1");
  EXPECT_EQ(Json(*paged)["runs"].size(), 1u);
  EXPECT_NE(Json(*paged)["next_page_token"], "");

  auto bad = Request("GET", "/api/v1/runs?status=DONE");
  EXPECT_EQ(bad->response().status, 400);
  EXPECT_EQ(Json(*bad)["code"], "INVALID_ARGUMENT");
}

TEST_F(ConsoleGatewayTest, RerunStartsTheSameWorkflowInputsAndSystemValues) {
  const std::string first = Submit(Quick("quick"));
  AwaitFinished(first);
  auto rerun = Request("POST", "/api/v1/runs/" + first + "/rerun");
  ASSERT_EQ(rerun->response().status, 200) << rerun->response().body;
  const std::string second = Json(*rerun)["run_id"];
  ASSERT_FALSE(second.empty());
  EXPECT_NE(second, first);
  AwaitFinished(second);
  // The new run has the secret value (blank only in what leaves).
  absl::StatusOr<store::NewRun> record = store_->GetRunRecord(second);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->workflow.environment(0).value().string_value(), kSecret);
  EXPECT_EQ(record->inputs.at("q").string_value(), "hello");
  EXPECT_EQ(record->system.at("query").string_value(), "sys-query");
  EXPECT_EQ(record->system.at("workflow_run_id").string_value(), second);
  EXPECT_EQ(store_->GetRun(second)->status(), v1::RUN_SUCCEEDED);

  EXPECT_EQ(Request("POST", "/api/v1/runs/nope/rerun")->response().status, 404);
  EXPECT_EQ(Request("GET", "/api/v1/runs/" + first + "/rerun")->response().status, 405);
}

TEST_F(ConsoleGatewayTest, CancelStopsARunningRunAndRefusesAFinishedOne) {
  const std::string stuck = Submit(Stuck());
  auto cancelled = Request("POST", "/api/v1/runs/" + stuck + "/cancel");
  ASSERT_EQ(cancelled->response().status, 200) << cancelled->response().body;
  EXPECT_EQ(Json(*cancelled)["run_id"], stuck);
  AwaitFinished(stuck);
  EXPECT_EQ(store_->GetRun(stuck)->status(), v1::RUN_CANCELLED);

  auto again = Request("POST", "/api/v1/runs/" + stuck + "/cancel");
  EXPECT_EQ(again->response().status, 409);
  EXPECT_EQ(Json(*again)["code"], "FAILED_PRECONDITION");
  EXPECT_EQ(Request("POST", "/api/v1/runs/nope/cancel")->response().status, 404);
}

TEST_F(ConsoleGatewayTest, WorkersListsConnectedWorkersAndTheirVerdicts) {
  engine_.dispatcher().AddWorker("w1", 2, {v1::CodeNode::PYTHON3},
                                 [](const v1::SchedulerMessage&) {});
  auto response = Request("GET", "/api/v1/workers");
  ASSERT_EQ(response->response().status, 200) << response->response().body;
  nlohmann::json workers = Json(*response)["workers"];
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0]["worker_id"], "w1");
  EXPECT_EQ(workers[0]["slots"], 2);
  EXPECT_EQ(workers[0]["state"], "CONNECTED");
  EXPECT_TRUE(workers[0]["verdicts"].is_object());
}

// The events of a stream, parsed: (id, data JSON) per SSE event.
std::vector<std::pair<int64_t, nlohmann::json>> SseEvents(const std::string& stream) {
  std::vector<std::pair<int64_t, nlohmann::json>> events;
  for (absl::string_view block : absl::StrSplit(stream, "\n\n", absl::SkipEmpty())) {
    if (absl::StartsWith(block, ":")) continue;  // keepalive
    std::vector<absl::string_view> lines = absl::StrSplit(block, '\n');
    EXPECT_EQ(lines.size(), 2u) << block;
    if (lines.size() != 2 || !absl::ConsumePrefix(&lines[0], "id: ") ||
        !absl::ConsumePrefix(&lines[1], "data: ")) {
      ADD_FAILURE() << "not an event: " << block;
      continue;
    }
    int64_t id = 0;
    EXPECT_TRUE(absl::SimpleAtoi(lines[0], &id));
    events.emplace_back(id, nlohmann::json::parse(lines[1]));
  }
  return events;
}

TEST_F(ConsoleGatewayTest, EventsOfAFinishedRunStreamToRunFinished) {
  const std::string run_id = Submit(Quick("quick"));
  AwaitFinished(run_id);
  auto response = Request("GET", "/api/v1/runs/" + run_id + "/events");
  EXPECT_TRUE(response->streamed());
  EXPECT_EQ(response->response().status, 200);
  EXPECT_EQ(response->response().content_type, "text/event-stream");
  std::vector<std::pair<int64_t, nlohmann::json>> events = SseEvents(response->stream());
  ASSERT_GE(events.size(), 3u) << response->stream();
  EXPECT_EQ(events.front().first, 1);
  EXPECT_TRUE(events.front().second.contains("run_started"));
  EXPECT_EQ(events.front().second["sequence"], "1");
  EXPECT_TRUE(events.back().second.contains("run_finished"));
  EXPECT_EQ(events.back().second["run_finished"]["status"], "RUN_SUCCEEDED");
  for (size_t i = 1; i < events.size(); ++i) EXPECT_EQ(events[i].first, events[i - 1].first + 1);

  auto after = Request("GET", "/api/v1/runs/" + run_id + "/events?after_sequence=2");
  std::vector<std::pair<int64_t, nlohmann::json>> rest = SseEvents(after->stream());
  ASSERT_EQ(rest.size(), events.size() - 2);
  EXPECT_EQ(rest.front().first, 3);

  auto missing = Request("GET", "/api/v1/runs/nope/events");
  EXPECT_FALSE(missing->streamed());
  EXPECT_EQ(missing->response().status, 404);
  EXPECT_EQ(Request("GET", "/api/v1/runs/" + run_id + "/events?after_sequence=x")
                ->response()
                .status,
            400);
}

TEST_F(ConsoleGatewayTest, EventStreamEndsWhenTheBrowserGoesAway) {
  const std::string run_id = Submit(Stuck());
  // The first events, then keepalives until a write fails.
  auto response = Request("GET", "/api/v1/runs/" + run_id + "/events", "", nullptr, 4);
  EXPECT_TRUE(response->streamed());
  EXPECT_THAT(response->stream(), HasSubstr("run_started"));
  EXPECT_EQ(events_->open_streams(), 0);
}

TEST_F(ConsoleGatewayTest, StreamsBeyondTheLimitAre503WithRetryAfterAndStopEndsThem) {
  const std::string run_id = Submit(Stuck());
  RecordingConnection first;
  std::thread streaming([&] {
    HttpRequest request;
    request.method = "GET";
    request.path = "/api/v1/runs/" + run_id + "/events";
    Router(gateway_.get(), events_.get(), &assets_, nullptr).Handle(request, first);
  });
  absl::Cleanup stop = [&] {
    events_->Stop();
    streaming.join();
  };
  // Open, and streaming.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!absl::StrContains(first.stream(), "run_started") && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_EQ(events_->open_streams(), 1);
  auto refused = Request("GET", "/api/v1/runs/" + run_id + "/events");
  EXPECT_EQ(refused->response().status, 503);
  EXPECT_EQ(refused->Header("Retry-After"), "3");
  EXPECT_THAT(Json(*refused)["message"].get<std::string>(), HasSubstr("limit of 1 event streams"));
  std::move(stop).Invoke();
  EXPECT_EQ(events_->open_streams(), 0);
}

TEST_F(ConsoleGatewayTest, KeysOnEveryApiRequestNeedsOne) {
  ApiKeyCheck check = [](absl::string_view key) -> absl::StatusOr<std::string> {
    if (key == kKey) return std::string("console-user");
    return absl::UnauthenticatedError("unknown API key");
  };
  for (const char* target : {"/api/v1/runs", "/api/v1/workers", "/api/v1/runs/x",
                             "/api/v1/runs/x/events", "/api/v1/nothing"}) {
    auto refused = Request("GET", target, "", check);
    EXPECT_EQ(refused->response().status, 401) << target;
    EXPECT_EQ(Json(*refused)["code"], "UNAUTHENTICATED") << target;
    EXPECT_EQ(refused->Header("WWW-Authenticate"), "Bearer realm=\"flowgrid\"");
    EXPECT_EQ(Request("GET", target, "Bearer wrong-key-000000000", check)->response().status,
              401);
  }
  EXPECT_EQ(Request("POST", "/api/v1/runs/x/cancel", "", check)->response().status, 401);
  auto allowed = Request("GET", "/api/v1/runs", std::string("Bearer ") + kKey, check);
  EXPECT_EQ(allowed->response().status, 200);
  // Static assets need no key.
  EXPECT_EQ(Request("GET", "/", "", check)->response().status, 404);  // none installed
  EXPECT_NE(Request("GET", "/", "", check)->response().status, 401);
}

}  // namespace
}  // namespace flowgrid::console
