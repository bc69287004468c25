#include "benchmarks/load/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace flowgrid::bench {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<BenchOptions> Parse(const std::vector<std::string>& argv,
                                   const char* env_address = nullptr) {
  absl::StatusOr<cli::ParsedArgs> args = cli::ParseArgs(BenchCommandSpec(), argv);
  if (!args.ok()) return args.status();
  return ParseBenchOptions(*args, env_address);
}

TEST(BenchOptions, DefaultsAreBounded) {
  absl::StatusOr<BenchOptions> options = Parse({"--workflow", "w.json"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->address, "127.0.0.1:7070");
  EXPECT_EQ(options->workflow_path, "w.json");
  EXPECT_EQ(options->total, kDefaultTotal);
  EXPECT_FALSE(options->duration.has_value());
  EXPECT_EQ(options->concurrency, 1);
  EXPECT_EQ(options->rate, 0);
  EXPECT_EQ(options->warmup, 0);
  EXPECT_EQ(options->timeout, absl::Seconds(30));
  EXPECT_FALSE(options->json);
  EXPECT_TRUE(options->retry);
}

TEST(BenchOptions, EveryFlagIsRead) {
  absl::StatusOr<BenchOptions> options =
      Parse({"--addr=localhost:9000", "--workflow=w.json", "--input", "a=1", "--input=b=x",
             "--inputs_json=in.json", "--duration=90s", "--concurrency=32", "--rate=2.5",
             "--warmup=7", "--timeout=5s", "--json", "--no_retry"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->address, "localhost:9000");
  EXPECT_THAT(options->named_inputs, ::testing::ElementsAre("a=1", "b=x"));
  EXPECT_EQ(options->inputs_json_path, "in.json");
  EXPECT_FALSE(options->total.has_value());
  EXPECT_EQ(options->duration, absl::Seconds(90));
  EXPECT_EQ(options->concurrency, 32);
  EXPECT_EQ(options->rate, 2.5);
  EXPECT_EQ(options->warmup, 7);
  EXPECT_EQ(options->timeout, absl::Seconds(5));
  EXPECT_TRUE(options->json);
  EXPECT_FALSE(options->retry);
}

TEST(BenchOptions, AddressComesFromTheEnvironmentUnlessGiven) {
  EXPECT_EQ(Parse({"--workflow=w"}, "127.0.0.2:1")->address, "127.0.0.2:1");
  EXPECT_EQ(Parse({"--workflow=w"}, "")->address, "127.0.0.1:7070");
  EXPECT_EQ(Parse({"--workflow=w", "--addr=[::1]:5"}, "127.0.0.2:1")->address, "[::1]:5");
}

TEST(BenchOptions, WorkflowIsRequired) {
  absl::StatusOr<BenchOptions> options = Parse({"--total=3"});
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("--workflow"));
}

TEST(BenchOptions, TotalAndDurationExcludeEachOther) {
  absl::StatusOr<BenchOptions> options = Parse({"--workflow=w", "--total=3", "--duration=1s"});
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("not both"));
  EXPECT_EQ(Parse({"--workflow=w", "--total=3"})->total, 3);
}

TEST(BenchOptions, BadNumbersNameTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--total=0"}, "--total"},
      {{"--total=many"}, "--total"},
      {{"--duration=11m"}, "--duration must be at most 10m"},
      {{"--duration=-1s"}, "--duration"},
      {{"--concurrency=0"}, "--concurrency"},
      {{"--concurrency=513"}, "--concurrency must be at most 512"},
      {{"--rate=-1"}, "--rate"},
      {{"--rate=fast"}, "--rate"},
      {{"--rate=nan"}, "--rate"},
      {{"--warmup=-1"}, "--warmup"},
      {{"--timeout=0s"}, "--timeout"},
  };
  for (const auto& [flags, expected] : cases) {
    std::vector<std::string> argv = flags;
    argv.push_back("--workflow=w");
    absl::StatusOr<BenchOptions> options = Parse(argv);
    ASSERT_FALSE(options.ok()) << flags[0];
    EXPECT_THAT(options.status().message(), HasSubstr(expected)) << flags[0];
  }
}

TEST(BenchOptions, RemoteAddressNeedsAllowRemote) {
  absl::StatusOr<BenchOptions> refused = Parse({"--workflow=w", "--addr=10.1.2.3:7070"});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("10.1.2.3:7070"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--allow_remote"));
  absl::StatusOr<BenchOptions> allowed =
      Parse({"--workflow=w", "--addr=10.1.2.3:7070", "--allow_remote"});
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_TRUE(allowed->allow_remote);
}

TEST(BenchOptions, UnknownFlagIsAnError) {
  absl::StatusOr<BenchOptions> options = Parse({"--workflow=w", "--connections=4"});
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("--connections"));
}

TEST(BenchOptions, LoopbackTargets) {
  for (const char* target :
       {"127.0.0.1:7070", "127.1.2.3:1", "localhost:7070", "[::1]:7070", "unix:/tmp/s.sock",
        "dns:///localhost:80", "ipv4:127.0.0.1:1", "ipv6:[::1]:2"}) {
    EXPECT_TRUE(IsLoopbackTarget(target)) << target;
  }
  for (const char* target : {"10.0.0.1:7070", "example.com:80", "0.0.0.0:7070", "[::]:1",
                             "128.0.0.1:1", "[::1", "localhost.example.com:1", "dns:///10.0.0.1:1"}) {
    EXPECT_FALSE(IsLoopbackTarget(target)) << target;
  }
}

TEST(BenchOptions, UsageNamesTheProgramAndItsFlags) {
  std::string usage = BenchUsage();
  EXPECT_THAT(usage, ::testing::StartsWith("usage: flowgrid-bench [flags]"));
  for (const char* flag : {"--addr", "--workflow", "--input", "--inputs_json", "--total",
                           "--duration", "--concurrency", "--rate", "--warmup", "--timeout",
                           "--json", "--allow_remote", "--no_retry"}) {
    EXPECT_THAT(usage, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace flowgrid::bench
