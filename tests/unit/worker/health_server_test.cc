// The worker's health endpoint's start-up: the address it listens on, and
// the error naming an address it cannot use. (What it serves as the agent's
// state changes is checked end to end, tests/e2e/worker_metrics_test.cc.)
#include "worker/agent/health_server.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(HealthServerTest, ListensOnAnyFreePortAndSaysWhich) {
  absl::StatusOr<std::unique_ptr<HealthServer>> health = HealthServer::Start("127.0.0.1:0");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_THAT((*health)->bound_address(), MatchesRegex("127\\.0\\.0\\.1:[1-9][0-9]*"));
}

TEST(HealthServerTest, AnAddressItCannotUseIsAnErrorNamingIt) {
  for (const char* bad : {"nonsense", ":7073", "256.1.1.1:7073"}) {
    absl::StatusOr<std::unique_ptr<HealthServer>> health = HealthServer::Start(bad);
    ASSERT_FALSE(health.ok()) << bad;
    EXPECT_EQ(health.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(health.status().message(), HasSubstr(absl::StrCat("\"", bad, "\"")));
  }
  // A port already taken.
  absl::StatusOr<std::unique_ptr<HealthServer>> first = HealthServer::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<HealthServer>> second =
      HealthServer::Start((*first)->bound_address());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace flowgrid::agent
