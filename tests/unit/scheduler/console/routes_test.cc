// The console's pure parts: routing, query parsing, the JSON mapping,
// request authentication and the static assets.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "scheduler/console/api_auth.h"
#include "scheduler/console/default_assets_dir.h"
#include "scheduler/console/json_gateway.h"
#include "scheduler/console/json_mapping.h"
#include "scheduler/console/query_params.h"
#include "scheduler/console/routes.h"
#include "scheduler/console/static_assets.h"
#include "common/retry_delay.h"

namespace flowgrid::console {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(MatchApiRoute, NamesEachEndpointAndItsRun) {
  EXPECT_EQ(MatchApiRoute("GET", "/api/v1/runs")->endpoint, Endpoint::kListRuns);
  EXPECT_EQ(MatchApiRoute("GET", "/api/v1/runs/")->endpoint, Endpoint::kListRuns);
  EXPECT_EQ(MatchApiRoute("GET", "/api/v1/workers")->endpoint, Endpoint::kListWorkers);
  absl::StatusOr<ApiRoute> run = MatchApiRoute("GET", "/api/v1/runs/r-1");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->endpoint, Endpoint::kGetRun);
  EXPECT_EQ(run->run_id, "r-1");
  absl::StatusOr<ApiRoute> events = MatchApiRoute("GET", "/api/v1/runs/r-2/events");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->endpoint, Endpoint::kRunEvents);
  EXPECT_EQ(events->run_id, "r-2");
  EXPECT_EQ(MatchApiRoute("POST", "/api/v1/runs/r/cancel")->endpoint, Endpoint::kCancelRun);
  EXPECT_EQ(MatchApiRoute("POST", "/api/v1/runs/r/rerun")->endpoint, Endpoint::kRerunRun);
}

TEST(MatchApiRoute, RefusesUnknownPathsAndOtherMethods) {
  for (const char* path : {"/api", "/api/", "/api/v1", "/api/v2/runs", "/api/v1/runs/r/x",
                           "/api/v1/runs//events", "/api/v1/nodes", "/api/v1/runs/r/events/x"}) {
    EXPECT_EQ(MatchApiRoute("GET", path).status().code(), absl::StatusCode::kNotFound) << path;
  }
  absl::Status get_cancel = MatchApiRoute("GET", "/api/v1/runs/r/cancel").status();
  EXPECT_EQ(get_cancel.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(get_cancel.message(), HasSubstr("use POST"));
  EXPECT_EQ(MatchApiRoute("DELETE", "/api/v1/runs/r").status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnimplemented), 405);
}

TEST(IsApiPath, OnlyTheApiPrefix) {
  EXPECT_TRUE(IsApiPath("/api"));
  EXPECT_TRUE(IsApiPath("/api/v1/runs"));
  EXPECT_FALSE(IsApiPath("/apiary"));
  EXPECT_FALSE(IsApiPath("/runs/api"));
  EXPECT_FALSE(IsApiPath("/"));
}

TEST(ParseQuery, DecodesNamesAndValues) {
  absl::StatusOr<std::map<std::string, std::string>> params =
      ParseQuery("workflow=my%20flow&status=&x+y=a+b%2Bc&flag");
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_THAT(*params, UnorderedElementsAre(Pair("workflow", "my flow"), Pair("status", ""),
                                            Pair("x y", "a b+c"), Pair("flag", "")));
  EXPECT_TRUE(ParseQuery("")->empty());
  EXPECT_EQ(ParseQuery("a=%zz").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseQuery("a=%2").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseQuery("a=%").status().code(), absl::StatusCode::kInvalidArgument);
  absl::Status twice = ParseQuery("a=1&a=2").status();
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(twice.message(), HasSubstr("twice"));
}

TEST(ListRunsRequestFromQuery, MapsEveryFilter) {
  absl::StatusOr<v1::ListRunsRequest> request = ListRunsRequestFromQuery(
      "page_size=20&page_token=17&status=RUN_FAILED&workflow=diamond&"
      "created_after=2026-01-31T12:00:00Z&created_before=2026-02-01T00:00:00.5%2B01:00");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->page_size(), 20);
  EXPECT_EQ(request->page_token(), "17");
  EXPECT_EQ(request->status(), v1::RUN_FAILED);
  EXPECT_EQ(request->workflow_name(), "diamond");
  EXPECT_EQ(request->created_after().seconds(), 1769860800);
  EXPECT_EQ(request->created_before().seconds(), 1769900400);
  EXPECT_EQ(request->created_before().nanos(), 500000000);
  // The contract's spelling of a status, and empty (cleared) filters.
  EXPECT_EQ(ListRunsRequestFromQuery("status=RUN_STATUS_CANCELLED")->status(), v1::RUN_CANCELLED);
  absl::StatusOr<v1::ListRunsRequest> cleared = ListRunsRequestFromQuery("status=&workflow=");
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->status(), v1::RUN_STATUS_UNSPECIFIED);
  EXPECT_TRUE(cleared->workflow_name().empty());
}

TEST(ListRunsRequestFromQuery, NamesWhatIsWrong) {
  auto message = [](const std::string& query) {
    absl::Status status = ListRunsRequestFromQuery(query).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << query;
    return std::string(status.message());
  };
  EXPECT_THAT(message("status=DONE"), HasSubstr("\"DONE\" is not a run status"));
  EXPECT_THAT(message("page_size=ten"), HasSubstr("page_size"));
  EXPECT_THAT(message("page_size=-1"), HasSubstr("page_size"));
  EXPECT_THAT(message("created_after=yesterday"), HasSubstr("RFC 3339"));
  EXPECT_THAT(message("sort=asc"), HasSubstr("unknown query parameter \"sort\""));
}

TEST(JsonMapping, KeepsProtoNamesZerosAndInt64Strings) {
  v1::Run run;
  run.set_run_id("r1");
  (*run.mutable_inputs())["n"].set_int_value(9007199254740993);
  nlohmann::json json = nlohmann::json::parse(MessageJson(run));
  EXPECT_EQ(json["run_id"], "r1");
  EXPECT_EQ(json["workflow_name"], "");
  EXPECT_EQ(json["status"], "RUN_STATUS_UNSPECIFIED");
  EXPECT_EQ(json["inputs"]["n"]["int_value"], "9007199254740993");
  EXPECT_EQ(HttpResponse(JsonResponse(run)).content_type, "application/json");
}

TEST(JsonMapping, ErrorsCarryCodeMessageStatusAndRetryAfter) {
  HttpResponse not_found = ErrorResponse(absl::NotFoundError("run x does not exist"));
  EXPECT_EQ(not_found.status, 404);
  nlohmann::json body = nlohmann::json::parse(not_found.body);
  EXPECT_EQ(body["code"], "NOT_FOUND");
  EXPECT_EQ(body["message"], "run x does not exist");
  EXPECT_TRUE(not_found.headers.empty());
  HttpResponse busy = ErrorResponse(
      WithRetryDelay(absl::UnavailableError("busy"), absl::Milliseconds(1500)));
  EXPECT_EQ(busy.status, 503);
  EXPECT_THAT(busy.headers, ::testing::Contains(Pair("Retry-After", "2")));
  EXPECT_EQ(ErrorResponse(absl::UnauthenticatedError("")).status, 401);
  EXPECT_EQ(ErrorResponse(absl::FailedPreconditionError("")).status, 409);
  EXPECT_EQ(ErrorResponse(absl::InvalidArgumentError("")).status, 400);
  EXPECT_EQ(ErrorResponse(absl::ResourceExhaustedError("")).status, 429);
  EXPECT_EQ(ErrorResponse(absl::InternalError("")).status, 500);
  // Bytes that are not UTF-8 do not break the body.
  EXPECT_NO_THROW(nlohmann::json::parse(ErrorResponse(absl::InternalError("\xff")).body));
}

TEST(AuthenticateRequest, TakesABearerKnownKey) {
  ApiKeyCheck check = [](absl::string_view key) -> absl::StatusOr<std::string> {
    if (key == "0123456789abcdef") return std::string("alice");
    return absl::UnauthenticatedError("unknown API key");
  };
  EXPECT_EQ(*AuthenticateRequest(check, "Bearer 0123456789abcdef"), "alice");
  EXPECT_EQ(*AuthenticateRequest(check, "bearer  0123456789abcdef "), "alice");
  for (const char* header :
       {"", "Basic YWxpY2U6eA==", "0123456789abcdef", "Bearer wrong-key-0000000"}) {
    absl::StatusOr<std::string> refused = AuthenticateRequest(check, header);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << header;
    EXPECT_THAT(refused.status().message(), ::testing::Not(HasSubstr("wrong-key"))) << header;
  }
  EXPECT_THAT(AuthenticateRequest(check, "").status().message(), HasSubstr("needs an API key"));
  EXPECT_THAT(AuthenticateRequest(check, "Basic x").status().message(), HasSubstr("not a Bearer"));
  // No check: keys are off.
  EXPECT_TRUE(AuthenticateRequest(nullptr, "").ok());
}

class StaticAssetsTest : public ::testing::Test {
 protected:
  // A directory of its own: ctest runs these tests in parallel processes.
  void SetUp() override {
    std::string parent = std::filesystem::path(::testing::TempDir()) / "console-test-XXXXXX";
    ASSERT_NE(mkdtemp(parent.data()), nullptr);
    parent_ = parent;
    root_ = parent_ / "console-assets";
    std::filesystem::create_directories(root_ / "assets");
    Write(root_ / "index.html", "<html>index</html>");
    Write(root_ / "assets" / "app.js", "console.log(1)");
    Write(root_ / "assets" / "style.CSS", "body{}");
    Write(root_ / ".secret", "hidden");
    Write(root_.parent_path() / "outside.txt", "outside");
    std::filesystem::create_symlink(root_.parent_path() / "outside.txt", root_ / "link.txt");
  }
  void TearDown() override { std::filesystem::remove_all(parent_); }
  static void Write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
  }
  std::filesystem::path parent_;
  std::filesystem::path root_;
};

TEST_F(StaticAssetsTest, ServesFilesWithTheirTypes) {
  StaticAssets assets(root_);
  HttpResponse js = assets.Serve("/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(assets.Serve("/assets/style.CSS").content_type, "text/css; charset=utf-8");
  HttpResponse index = assets.Serve("/");
  EXPECT_EQ(index.body, "<html>index</html>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(index.headers, ::testing::Contains(Pair("Cache-Control", "no-cache")));
  EXPECT_EQ(ContentTypeFor("a.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("a.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("README"), "application/octet-stream");
}

TEST_F(StaticAssetsTest, UnknownPathsGetTheIndexForClientRouting) {
  StaticAssets assets(root_);
  for (const char* path : {"/runs", "/runs/r-1", "/workers/", "/assets"}) {
    HttpResponse response = assets.Serve(path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.body, "<html>index</html>") << path;
  }
}

TEST_F(StaticAssetsTest, NeverLeavesTheDirectory) {
  StaticAssets assets(root_);
  for (const char* path : {"/../outside.txt", "/assets/../../outside.txt", "/..", "/.secret",
                           "/assets/..\\..\\outside.txt", "/%2e%2e/outside.txt"}) {
    HttpResponse response = assets.Serve(path);
    EXPECT_NE(response.body, "outside") << path;
    EXPECT_NE(response.body, "hidden") << path;
  }
  EXPECT_EQ(assets.Serve("/../outside.txt").status, 404);
  EXPECT_EQ(assets.Serve("/.secret").status, 404);
  // A link out of the directory is not followed: the index comes instead.
  EXPECT_EQ(assets.Serve("/link.txt").body, "<html>index</html>");
  EXPECT_EQ(RelativeAssetPath("/a/./b//c")->string(), "a/b/c");
  EXPECT_FALSE(RelativeAssetPath("/a/../b").ok());
}

TEST_F(StaticAssetsTest, MissingIndexIsA404NamingTheDirectory) {
  StaticAssets assets(root_ / "nowhere");
  HttpResponse response = assets.Serve("/");
  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(response.body, HasSubstr("--console_assets_dir"));
}

TEST_F(StaticAssetsTest, DefaultDirIsInstalledElseTheBuildTree) {
  const std::filesystem::path prefix = root_ / "prefix";
  std::filesystem::create_directories(prefix / "bin");
  std::filesystem::create_directories(prefix / "console" / "dist");
  const std::filesystem::path binary = prefix / "bin" / "flowgrid-scheduler";
  const std::filesystem::path installed = prefix / "share" / "flowgrid" / "console";
  // Nothing yet: the installed place.
  EXPECT_EQ(DefaultAssetsDir(binary), installed);
  Write(prefix / "console" / "dist" / "index.html", "build");
  EXPECT_EQ(DefaultAssetsDir(binary), prefix / "console" / "dist");
  std::filesystem::create_directories(installed);
  Write(installed / "index.html", "installed");
  EXPECT_EQ(DefaultAssetsDir(binary), installed);
}

}  // namespace
}  // namespace flowgrid::console
