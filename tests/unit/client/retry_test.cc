// The SDK's retry policy (client/sdk/retry.h) on its own, then the Client's
// unary calls against an in-process fake scheduler that refuses at first:
// RESOURCE_EXHAUSTED with a `retry-after-ms` trailer, UNAVAILABLE.
#include "client/sdk/retry.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/sdk/client.h"
#include "common/grpc_status.h"
#include "common/retry_delay.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace flowgrid {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

RetryPolicy Policy(int max_attempts) {
  RetryPolicy policy;
  policy.max_attempts = max_attempts;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(1000);
  policy.backoff_multiplier = 2;
  return policy;
}

TEST(RetryPolicy, RetriesUnavailableAndResourceExhaustedOnly) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("down")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("full")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("bad")));
  EXPECT_FALSE(IsRetryable(absl::DeadlineExceededError("late")));
  EXPECT_FALSE(IsRetryable(absl::NotFoundError("gone")));
  EXPECT_FALSE(IsRetryable(absl::InternalError("bug")));
}

TEST(RetryPolicy, BackoffGrowsExponentiallyUpToTheMaximum) {
  const RetryPolicy policy = Policy(10);
  const absl::Status down = absl::UnavailableError("down");
  EXPECT_EQ(BackoffDelay(policy, 1, down, 0), absl::Milliseconds(100));
  EXPECT_EQ(BackoffDelay(policy, 2, down, 0), absl::Milliseconds(200));
  EXPECT_EQ(BackoffDelay(policy, 4, down, 0), absl::Milliseconds(800));
  EXPECT_EQ(BackoffDelay(policy, 5, down, 0), absl::Milliseconds(1000));
  EXPECT_EQ(BackoffDelay(policy, 1000, down, 0), absl::Milliseconds(1000));
}

TEST(RetryPolicy, JitterStretchesByUpToHalf) {
  const RetryPolicy policy = Policy(10);
  const absl::Status down = absl::UnavailableError("down");
  EXPECT_EQ(BackoffDelay(policy, 2, down, 0.5), absl::Milliseconds(250));
  absl::Duration longest = BackoffDelay(policy, 2, down, 0.999);
  EXPECT_GT(longest, absl::Milliseconds(299));
  EXPECT_LT(longest, absl::Milliseconds(300));
}

TEST(RetryPolicy, ServerRetryDelayReplacesTheBackoffAndIsNeverShortened) {
  const RetryPolicy policy = Policy(10);
  absl::Status full =
      WithRetryDelay(absl::ResourceExhaustedError("full"), absl::Milliseconds(3000));
  // Longer than max_backoff: the server knows when it has room.
  EXPECT_EQ(BackoffDelay(policy, 1, full, 0), absl::Milliseconds(3000));
  EXPECT_EQ(BackoffDelay(policy, 7, full, 0), absl::Milliseconds(3000));
  EXPECT_EQ(BackoffDelay(policy, 1, full, 0.5), absl::Milliseconds(3750));
}

TEST(CallWithRetries, StopsAtSuccessAtAFailureNotRetryableAndAtMaxAttempts) {
  const absl::Time far = absl::Now() + absl::Seconds(30);
  RetryPolicy policy = Policy(4);
  policy.initial_backoff = absl::Milliseconds(1);

  int calls = 0;
  EXPECT_TRUE(CallWithRetries(policy, far, [&] {
                return ++calls < 3 ? absl::UnavailableError("down") : absl::OkStatus();
              }).ok());
  EXPECT_EQ(calls, 3);

  calls = 0;
  absl::Status bad = CallWithRetries(policy, far, [&] {
    ++calls;
    return absl::InvalidArgumentError("bad");
  });
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);

  calls = 0;
  absl::Status full = CallWithRetries(policy, far, [&] {
    ++calls;
    return WithRetryDelay(absl::ResourceExhaustedError("full"), absl::Milliseconds(1));
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(full.message(), "full (gave up after 4 attempts)");
  EXPECT_EQ(GetRetryDelay(full), absl::Milliseconds(1));
}

TEST(CallWithRetries, DoesNotWaitPastTheDeadline) {
  int calls = 0;
  absl::Status full = CallWithRetries(Policy(5), absl::Now() + absl::Seconds(2), [&] {
    ++calls;
    return WithRetryDelay(absl::ResourceExhaustedError("full"), absl::Seconds(10));
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(full.message(), "full");
}

// Refuses the first `refusals` calls of each method: SubmitRun and GetRun
// with RESOURCE_EXHAUSTED and a 40 ms retry delay, RunNode with
// UNAVAILABLE; then answers. Records the idempotency key of every
// SubmitRun attempt.
class RefusingService final : public v1::WorkflowService::Service {
 public:
  explicit RefusingService(int refusals) : refusals_(refusals) {}

  grpc::Status SubmitRun(grpc::ServerContext* context, const v1::SubmitRunRequest* request,
                         v1::SubmitRunResponse* response) override {
    absl::MutexLock lock(&mu_);
    keys_.push_back(request->idempotency_key());
    if (static_cast<int>(keys_.size()) <= refusals_) return Full(context);
    response->set_run_id("r-1");
    return grpc::Status::OK;
  }

  grpc::Status GetRun(grpc::ServerContext* context, const v1::GetRunRequest* request,
                      v1::Run* response) override {
    absl::MutexLock lock(&mu_);
    if (++gets_ <= refusals_) return Full(context);
    response->set_run_id(request->run_id());
    return grpc::Status::OK;
  }

  grpc::Status RunNode(grpc::ServerContext*, const v1::RunNodeRequest*,
                       v1::RunNodeResponse*) override {
    absl::MutexLock lock(&mu_);
    ++run_nodes_;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting");
  }

  std::vector<std::string> keys() {
    absl::MutexLock lock(&mu_);
    return keys_;
  }
  int run_nodes() {
    absl::MutexLock lock(&mu_);
    return run_nodes_;
  }

 private:
  static grpc::Status Full(grpc::ServerContext* context) {
    return ToGrpcStatus(
        WithRetryDelay(absl::ResourceExhaustedError("the scheduler is full"),
                       absl::Milliseconds(40)),
        context);
  }

  const int refusals_;
  absl::Mutex mu_;
  std::vector<std::string> keys_ ABSL_GUARDED_BY(mu_);
  int gets_ ABSL_GUARDED_BY(mu_) = 0;
  int run_nodes_ ABSL_GUARDED_BY(mu_) = 0;
};

class ClientRetryTest : public ::testing::Test {
 protected:
  std::unique_ptr<Client> Serve(int refusals, int max_attempts) {
    service_ = std::make_unique<RefusingService>(refusals);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
    ClientOptions options;
    options.retry = Policy(max_attempts);
    options.call_timeout = absl::Seconds(20);
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect("127.0.0.1:" + std::to_string(port), options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<RefusingService> service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(ClientRetryTest, SubmitWaitsTheServersDelayAndResendsOneGeneratedKey) {
  std::unique_ptr<Client> client = Serve(/*refusals=*/2, /*max_attempts=*/5);
  ASSERT_NE(client, nullptr);
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> run_id = client->Submit(v1::Workflow(), {});
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  EXPECT_EQ(*run_id, "r-1");
  // Two refusals, each asking for 40 ms: the client waited at least that.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(80));
  std::vector<std::string> keys = service_->keys();
  ASSERT_THAT(keys, SizeIs(3));
  EXPECT_THAT(keys[0], StartsWith("sdk-"));
  EXPECT_THAT(keys, Each(keys[0]));
}

TEST_F(ClientRetryTest, SubmitKeepsTheCallersKey) {
  std::unique_ptr<Client> client = Serve(1, 5);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Submit(v1::Workflow(), {}, "mine").ok());
  EXPECT_THAT(service_->keys(), ::testing::ElementsAre("mine", "mine"));
}

TEST_F(ClientRetryTest, WithoutRetriesOverloadIsReturnedWithTheRetryDelay) {
  std::unique_ptr<Client> client = Serve(1, /*max_attempts=*/1);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<std::string> run_id = client->Submit(v1::Workflow(), {});
  EXPECT_EQ(run_id.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(run_id.status().message(), HasSubstr("SubmitRun to 127.0.0.1:"));
  EXPECT_THAT(run_id.status().message(), HasSubstr("the scheduler is full"));
  EXPECT_EQ(GetRetryDelay(run_id.status()), absl::Milliseconds(40));
  // No retry, so no key is made up.
  EXPECT_THAT(service_->keys(), ::testing::ElementsAre(""));
}

TEST_F(ClientRetryTest, GiveUpAfterMaxAttemptsSaysSo) {
  std::unique_ptr<Client> client = Serve(/*refusals=*/10, /*max_attempts=*/3);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<v1::Run> run = client->Get("r-9");
  EXPECT_EQ(run.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::EndsWith(run.status().message(), "(gave up after 3 attempts)"))
      << run.status();
}

TEST_F(ClientRetryTest, GetIsRetriedAndRunNodeIsNot) {
  std::unique_ptr<Client> client = Serve(2, 5);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<v1::Run> run = client->Get("r-9");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->run_id(), "r-9");
  EXPECT_EQ(client->RunNode(v1::Workflow(), "n", {}).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(service_->run_nodes(), 1);
}

}  // namespace
}  // namespace flowgrid
