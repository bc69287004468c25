// The web console of a real scheduler (--console_addr) with a real worker,
// over HTTP as a browser reaches it: the page's files, the runs list and
// its filters, a run's detail and event stream, cancel, re-run, workers.
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"
#include "tests/e2e/http_client.h"

namespace flowgrid::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using flowgrid::testing::Fetch;
using flowgrid::testing::HttpAnswer;
using flowgrid::testing::HttpCall;

constexpr char kIndex[] = "<!doctype html><title>flowgrid console</title>";

// One request to the console at `console` ("http://HOST:PORT"); a transport
// failure fails the test and answers an empty HttpAnswer.
HttpAnswer CallConsole(const std::string& console, const std::string& method,
                       const std::string& path, std::vector<std::string> headers) {
  HttpCall call;
  call.method = method;
  call.url = console + path;
  call.headers = std::move(headers);
  absl::StatusOr<HttpAnswer> answer = Fetch(call);
  EXPECT_TRUE(answer.ok()) << answer.status();
  return answer.value_or(HttpAnswer{});
}

class ConsoleTest : public ClusterTest {
 protected:
  // A cluster whose scheduler serves the console from a temporary assets
  // directory; console_ is its base URL.
  void StartConsoleCluster(const std::string& name) {
    assets_dir_ = MakeWorkDir(name + "-assets");
    ASSERT_FALSE(assets_dir_.empty());
    std::filesystem::create_directories(assets_dir_ + "/assets");
    std::ofstream(assets_dir_ + "/index.html") << kIndex;
    std::ofstream(assets_dir_ + "/assets/app.js") << "export const app = 1;";
    ASSERT_NO_FATAL_FAILURE(StartCluster(
        name, 1, 2, absl::Seconds(60), [&](LocalClusterOptions& options) {
          options.scheduler_console_addr = "127.0.0.1:0";
          options.extra_scheduler_args.push_back("--console_assets_dir=" + assets_dir_);
        }));
    ASSERT_FALSE(cluster_->console_address().empty());
    console_ = "http://" + cluster_->console_address();
  }

  void TearDown() override {
    ClusterTest::TearDown();
    if (!assets_dir_.empty()) std::filesystem::remove_all(assets_dir_);
  }

  HttpAnswer Call(const std::string& method, const std::string& path,
                  std::vector<std::string> headers = {}) {
    return CallConsole(console_, method, path, std::move(headers));
  }

  static nlohmann::json Json(const HttpAnswer& answer) {
    nlohmann::json json = nlohmann::json::parse(answer.body, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << answer.body;
    return json;
  }

  static v1::Workflow Load(const std::string& path) {
    absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(path);
    EXPECT_TRUE(workflow.ok()) << workflow.status();
    return workflow.value_or(v1::Workflow{});
  }

  // Submits and waits for the end of a run; its id.
  std::string RunToEnd(const v1::Workflow& workflow, const ValueMap& inputs) {
    std::string run_id;
    absl::StatusOr<v1::RunFinished> finished = client_->Run(
        workflow, inputs, [](const v1::RunEvent&) {},
        [&run_id](const std::string& id) { run_id = id; });
    EXPECT_TRUE(finished.ok()) << finished.status();
    return run_id;
  }

  std::string assets_dir_;
  std::string console_;
};

TEST_F(ConsoleTest, ServesThePageTheApiAndLiveEvents) {
  ASSERT_NO_FATAL_FAILURE(StartConsoleCluster("console"));

  // The page and its assets; unknown page paths get the page.
  HttpAnswer index = Call("GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, kIndex);
  EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");
  HttpAnswer script = Call("GET", "/assets/app.js");
  EXPECT_EQ(script.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(Call("GET", "/runs/some-run").body, kIndex);
  for (const char* path : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                           "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd"}) {
    EXPECT_THAT(Call("GET", path).body, Not(HasSubstr("root:"))) << path;
  }

  // A succeeded and a failed run.
  ValueMap hello_inputs;
  hello_inputs["name"] = StringValue("console");
  const std::string hello = RunToEnd(Load(kExamples + "hello.json"), hello_inputs);
  ValueMap raises_inputs;
  raises_inputs["x"] = IntValue(2);
  const std::string raises = RunToEnd(Load(kBadData + "raises.json"), raises_inputs);

  nlohmann::json all = Json(Call("GET", "/api/v1/runs"));
  ASSERT_EQ(all["runs"].size(), 2u) << all.dump();
  EXPECT_EQ(all["runs"][0]["run_id"], raises);  // newest first
  nlohmann::json failed = Json(Call("GET", "/api/v1/runs?status=RUN_FAILED"));
  ASSERT_EQ(failed["runs"].size(), 1u);
  EXPECT_EQ(failed["runs"][0]["run_id"], raises);
  nlohmann::json by_name = Json(Call("GET", "/api/v1/runs?workflow=hello"));
  ASSERT_EQ(by_name["runs"].size(), 1u);
  EXPECT_EQ(by_name["runs"][0]["run_id"], hello);

  // The failed run's detail: its graph and the user's traceback.
  HttpAnswer detail = Call("GET", "/api/v1/runs/" + raises);
  ASSERT_EQ(detail.status, 200) << detail.body;
  nlohmann::json run = Json(detail);
  EXPECT_EQ(run["status"], "RUN_FAILED");
  EXPECT_EQ(run["workflow"]["name"], "raises");
  EXPECT_EQ(run["failed_node_id"], "divide");
  bool traceback = false;
  for (const nlohmann::json& node : run["nodes"]) {
    if (node["node_id"] == "divide") {
      traceback = absl::StrContains(node["result"]["error"]["traceback"].get<std::string>(),
                                    "ZeroDivisionError");
    }
  }
  EXPECT_TRUE(traceback) << detail.body;

  // A finished run's events end with run_finished (the server ends the
  // stream).
  HttpAnswer events = Call("GET", "/api/v1/runs/" + hello + "/events");
  EXPECT_EQ(events.status, 200);
  EXPECT_EQ(events.headers["content-type"], "text/event-stream");
  EXPECT_TRUE(absl::StartsWith(events.body, "id: 1\ndata: {")) << events.body;
  EXPECT_THAT(events.body, HasSubstr("\"run_finished\""));

  // A live run: its events come while it runs; cancel ends it.
  absl::StatusOr<std::string> spin = client_->Submit(Load(kBadData + "spin.json"), ValueMap{});
  ASSERT_TRUE(spin.ok()) << spin.status();
  HttpCall stream;
  stream.url = console_ + "/api/v1/runs/" + *spin + "/events";
  stream.timeout = absl::Seconds(60);
  stream.enough = [](const std::string& body) {
    return absl::StrContains(body, "\"run_finished\"");
  };
  absl::StatusOr<HttpAnswer> live;
  std::thread watching([&] { live = Fetch(stream); });
  // Cancel once the spinning node runs on the worker.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    nlohmann::json workers = Json(Call("GET", "/api/v1/workers"));
    if (!workers["workers"].empty() && !workers["workers"][0]["running_jobs"].empty()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  HttpAnswer cancelled = Call("POST", "/api/v1/runs/" + *spin + "/cancel");
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  watching.join();
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_THAT(live->body, HasSubstr("\"node_started\""));
  EXPECT_THAT(live->body, HasSubstr("RUN_CANCELLED"));
  EXPECT_EQ(Call("POST", "/api/v1/runs/" + *spin + "/cancel").status, 409);

  // Re-run: the same workflow and inputs, a new run.
  HttpAnswer rerun = Call("POST", "/api/v1/runs/" + hello + "/rerun");
  ASSERT_EQ(rerun.status, 200) << rerun.body;
  const std::string again = Json(rerun)["run_id"];
  absl::StatusOr<v1::RunFinished> finished = client_->Watch(again, 0, [](const v1::RunEvent&) {});
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(finished->outputs().at("greeting").string_value(), "Hello, console!");

  // Workers with their verdicts.
  nlohmann::json workers = Json(Call("GET", "/api/v1/workers"));
  ASSERT_EQ(workers["workers"].size(), 1u) << workers.dump();
  // (code checks count among the successes)
  const nlohmann::json& verdicts = workers["workers"][0]["verdicts"];
  ASSERT_TRUE(verdicts.contains("ok") && verdicts.contains("runtime_error")) << workers.dump();
  EXPECT_GE(std::stoi(verdicts["ok"].get<std::string>()), 2);
  EXPECT_EQ(verdicts["runtime_error"], "1");

  // Errors are JSON with their HTTP status.
  HttpAnswer missing = Call("GET", "/api/v1/runs/no-such-run");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Json(missing)["code"], "NOT_FOUND");
  EXPECT_EQ(Call("GET", "/api/v1/runs/" + hello + "/cancel").status, 405);
  EXPECT_EQ(Call("GET", "/api/v1/nothing").status, 404);
}

// With API keys (which need TLS) every /api/ request needs a known key,
// checked by the console itself; the page's files need none.
TEST(ConsoleKeysTest, ApiNeedsAKnownKeyAndFilesDoNot) {
  const std::string work_dir = MakeWorkDir("console-keys");
  ASSERT_FALSE(work_dir.empty());
  const std::string key = "console-test-key-0123456789";
  std::ofstream(work_dir + "/api-keys") << "# e2e\nbrowser " << key << "\n";
  std::filesystem::create_directories(work_dir + "/assets");
  std::ofstream(work_dir + "/assets/index.html") << kIndex;
  LocalClusterOptions options = ClusterOptions(work_dir, 0, 1);
  options.tls_dir = work_dir + "/tls";
  options.api_keys_file = work_dir + "/api-keys";
  options.scheduler_console_addr = "127.0.0.1:0";
  options.extra_scheduler_args = {"--console_assets_dir=" + work_dir + "/assets"};
  absl::StatusOr<std::unique_ptr<LocalCluster>> started = LocalCluster::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<LocalCluster> cluster = *std::move(started);
  const std::string console = "http://" + cluster->console_address();
  auto fetch = [&](const std::string& method, const std::string& path,
                   std::vector<std::string> headers) {
    return CallConsole(console, method, path, std::move(headers));
  };
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/runs"},
           {"GET", "/api/v1/workers"},
           {"GET", "/api/v1/runs/some-run"},
           {"GET", "/api/v1/runs/some-run/events"},
           {"POST", "/api/v1/runs/some-run/cancel"},
           {"POST", "/api/v1/runs/some-run/rerun"}}) {
    HttpAnswer missing = fetch(method, path, {});
    EXPECT_EQ(missing.status, 401) << method << " " << path << ": " << missing.body;
    EXPECT_THAT(missing.body, HasSubstr("\"UNAUTHENTICATED\""));
    HttpAnswer wrong = fetch(method, path, {"Authorization: Bearer not-a-known-key-0000"});
    EXPECT_EQ(wrong.status, 401) << method << " " << path;
    EXPECT_THAT(wrong.body, Not(HasSubstr("not-a-known-key")));
  }
  HttpAnswer runs = fetch("GET", "/api/v1/runs", {"Authorization: Bearer " + key});
  EXPECT_EQ(runs.status, 200) << runs.body;
  EXPECT_EQ(fetch("GET", "/api/v1/runs/some-run", {"Authorization: Bearer " + key}).status, 404);
  HttpAnswer page = fetch("GET", "/", {});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, kIndex);
  absl::Status stopped = cluster->Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(work_dir);
}

}  // namespace
}  // namespace flowgrid::e2e
