#include "client/cli/options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ParsedArgs Parse(const CommandSpec& spec, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(spec, args);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.value_or(ParsedArgs{});
}

const ClientEnvironment kNoEnv;

ClientEnvironment EnvAddress(const char* address) {
  ClientEnvironment env;
  env.address = address;
  return env;
}

TEST(ResolveConnectionTest, AddressFromFlagThenEnvironmentThenDefault) {
  ParsedArgs with_flag = Parse(RunCommandSpec(), {"wf.json", "--addr=h:1"});
  EXPECT_EQ(ResolveConnection(with_flag, EnvAddress("env:2")).address, "h:1");
  ParsedArgs without = Parse(RunCommandSpec(), {"wf.json"});
  EXPECT_EQ(ResolveConnection(without, EnvAddress("env:2")).address, "env:2");
  EXPECT_EQ(ResolveConnection(without, EnvAddress("")).address, "127.0.0.1:7070");
  EXPECT_EQ(ResolveConnection(without, kNoEnv).address, "127.0.0.1:7070");
}

TEST(ResolveConnectionTest, NothingSetIsPlaintextWithoutKey) {
  Connection connection = ResolveConnection(Parse(RunsListCommandSpec(), {}), kNoEnv);
  EXPECT_EQ(connection.tls_ca_file, "");
  EXPECT_EQ(connection.tls_server_name, "");
  EXPECT_EQ(connection.api_key, "");
  EXPECT_EQ(connection.api_key_file, "");
}

TEST(ResolveConnectionTest, TlsCaFromFlagThenEnvironmentAndAnEmptyFlagTurnsTlsOff) {
  ClientEnvironment env;
  env.tls_ca = "/env/ca.pem";
  EXPECT_EQ(ResolveConnection(Parse(CancelCommandSpec(), {"r-1"}), env).tls_ca_file,
            "/env/ca.pem");
  EXPECT_EQ(
      ResolveConnection(Parse(CancelCommandSpec(), {"r-1", "--tls_ca=/flag/ca.pem"}), env)
          .tls_ca_file,
      "/flag/ca.pem");
  EXPECT_EQ(ResolveConnection(Parse(CancelCommandSpec(), {"r-1", "--tls_ca="}), env).tls_ca_file,
            "");
  Connection named = ResolveConnection(
      Parse(ValidateCommandSpec(), {"wf.json", "--tls_server_name", "scheduler.internal"}), env);
  EXPECT_EQ(named.tls_server_name, "scheduler.internal");
}

TEST(ResolveConnectionTest, ApiKeyFromFlagFileThenEnvironmentKeyThenEnvironmentFile) {
  ClientEnvironment env;
  env.api_key = "env-key-0123456789";
  env.api_key_file = "/env/dev.key";
  Connection flag = ResolveConnection(
      Parse(WorkersListCommandSpec(), {"--api_key_file=/flag/dev.key"}), env);
  EXPECT_EQ(flag.api_key_file, "/flag/dev.key");
  EXPECT_EQ(flag.api_key, "");
  Connection env_key = ResolveConnection(Parse(WorkersListCommandSpec(), {}), env);
  EXPECT_EQ(env_key.api_key, "env-key-0123456789");
  EXPECT_EQ(env_key.api_key_file, "");
  env.api_key = "";
  EXPECT_EQ(ResolveConnection(Parse(WorkersListCommandSpec(), {}), env).api_key_file,
            "/env/dev.key");
  Connection none = ResolveConnection(Parse(WorkersListCommandSpec(), {"--api_key_file="}), env);
  EXPECT_EQ(none.api_key_file, "");
  EXPECT_EQ(none.api_key, "");
}

TEST(ResolveConnectionTest, EveryCommandThatCallsTheSchedulerTakesTheConnectionFlags) {
  for (const CommandSpec& spec : AllCommandSpecs()) {
    if (spec.name == "dev" || spec.name == "import dify") continue;
    std::vector<std::string> flags;
    for (const FlagSpec& flag : spec.flags) flags.push_back(flag.name);
    EXPECT_THAT(flags, ::testing::IsSupersetOf(
                           {"addr", "tls_ca", "tls_server_name", "api_key_file"}))
        << spec.name;
  }
}

TEST(ParseRunOptionsTest, CollectsEveryFlag) {
  absl::StatusOr<RunOptions> options = ParseRunOptions(
      Parse(RunCommandSpec(), {"wf.json", "--input", "a=1", "--input=b=x", "--inputs_json=in.json",
                               "--output=json", "--timeout=2m", "--quiet"}),
      kNoEnv);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->workflow_path, "wf.json");
  EXPECT_THAT(options->named_inputs, ElementsAre("a=1", "b=x"));
  EXPECT_EQ(options->inputs_json_path, "in.json");
  EXPECT_EQ(options->watch.output, OutputFormat::kJson);
  EXPECT_EQ(options->watch.timeout, absl::Minutes(2));
  EXPECT_TRUE(options->watch.quiet);
}

TEST(ParseRunOptionsTest, DefaultsToTableWithoutTimeout) {
  absl::StatusOr<RunOptions> options = ParseRunOptions(Parse(RunCommandSpec(), {"wf.json"}), kNoEnv);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->watch.output, OutputFormat::kTable);
  EXPECT_EQ(options->watch.timeout, absl::InfiniteDuration());
  EXPECT_FALSE(options->watch.quiet);
  EXPECT_EQ(options->inputs_json_path, std::nullopt);
}

TEST(ParseRunOptionsTest, RejectsUnknownOutputFormat) {
  absl::StatusOr<RunOptions> options =
      ParseRunOptions(Parse(RunCommandSpec(), {"wf.json", "--output=yaml"}), kNoEnv);
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("--output must be table or json, got \"yaml\""));
}

TEST(BuildRunInputsTest, NamedInputsAreJsonOrPlainStrings) {
  absl::StatusOr<ValueMap> inputs =
      BuildRunInputs({"n=9223372036854775807", "name=World", "list=[1,\"a\"]", "flag=true"},
                     std::nullopt);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  EXPECT_EQ(inputs->at("n").int_value(), 9223372036854775807);
  EXPECT_EQ(inputs->at("name").string_value(), "World");
  ASSERT_EQ(inputs->at("list").list_value().items_size(), 2);
  EXPECT_EQ(inputs->at("list").list_value().items(1).string_value(), "a");
  EXPECT_TRUE(inputs->at("flag").bool_value());
}

TEST(BuildRunInputsTest, NamedInputsOverrideTheJsonFileAndLaterWins) {
  absl::StatusOr<ValueMap> inputs =
      BuildRunInputs({"a=2", "a=3"}, std::string(R"({"a": 1, "b": "kept"})"));
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  EXPECT_EQ(inputs->at("a").int_value(), 3);
  EXPECT_EQ(inputs->at("b").string_value(), "kept");
}

TEST(BuildRunInputsTest, ErrorsNameTheirSource) {
  EXPECT_THAT(BuildRunInputs({"no-equals-sign"}, std::nullopt).status().message(),
              HasSubstr("--input: input \"no-equals-sign\" is not of the form name=value"));
  EXPECT_THAT(BuildRunInputs({}, std::string("[1, 2]")).status().message(),
              HasSubstr("--inputs_json: expected a JSON object"));
  EXPECT_THAT(BuildRunInputs({}, std::string("{\"a\": ")).status().message(),
              HasSubstr("--inputs_json: invalid JSON"));
}

TEST(ParseRunOptionsTest, SystemVariablesAreRepeatableAndTypedLikeInputs) {
  absl::StatusOr<RunOptions> options = ParseRunOptions(
      Parse(RunCommandSpec(), {"wf.json", "--sys", "query=hello there", "--sys=user_id=42"}),
      kNoEnv);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->named_system, ElementsAre("query=hello there", "user_id=42"));
  absl::StatusOr<ValueMap> system = BuildSystemInputs(options->named_system);
  ASSERT_TRUE(system.ok()) << system.status();
  EXPECT_EQ(system->at("query").string_value(), "hello there");
  EXPECT_EQ(system->at("user_id").int_value(), 42);
  EXPECT_THAT(BuildSystemInputs({"query"}).status().message(),
              HasSubstr("--sys: input \"query\" is not of the form name=value"));
}

TEST(ParseRunStatusTest, AcceptsAnyCaseWithOrWithoutPrefix) {
  EXPECT_EQ(ParseRunStatus("succeeded").value(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(ParseRunStatus("PARTIAL_SUCCEEDED").value(), v1::RUN_PARTIAL_SUCCEEDED);
  EXPECT_EQ(ParseRunStatus("run_cancelled").value(), v1::RUN_CANCELLED);
  EXPECT_THAT(ParseRunStatus("done").status().message(),
              HasSubstr("--status must be one of pending, running, succeeded, "
                        "partial_succeeded, failed, cancelled; got \"done\""));
  EXPECT_FALSE(ParseRunStatus("status_unspecified").ok());
}

TEST(ParseRunsListOptionsTest, DefaultsAndFlags) {
  absl::StatusOr<RunsListOptions> defaults =
      ParseRunsListOptions(Parse(RunsListCommandSpec(), {}), EnvAddress("env:1"));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->connection.address, "env:1");
  EXPECT_EQ(defaults->status, v1::RUN_STATUS_UNSPECIFIED);
  EXPECT_EQ(defaults->limit, 20);
  EXPECT_EQ(defaults->page_token, "");
  EXPECT_EQ(defaults->output, OutputFormat::kTable);

  absl::StatusOr<RunsListOptions> options = ParseRunsListOptions(
      Parse(RunsListCommandSpec(),
            {"--status=failed", "--limit", "5", "--page_token=17", "--output=json"}),
      kNoEnv);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->status, v1::RUN_FAILED);
  EXPECT_EQ(options->limit, 5);
  EXPECT_EQ(options->page_token, "17");
  EXPECT_EQ(options->output, OutputFormat::kJson);

  EXPECT_THAT(ParseRunsListOptions(Parse(RunsListCommandSpec(), {"--limit=0"}), kNoEnv)
                  .status()
                  .message(),
              HasSubstr("--limit must be at least 1, got 0"));
}

TEST(ParseRunsShowOptionsTest, TakesTheRunId) {
  absl::StatusOr<RunsShowOptions> options =
      ParseRunsShowOptions(Parse(RunsShowCommandSpec(), {"r-7", "--output=json"}), kNoEnv);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->run_id, "r-7");
  EXPECT_EQ(options->output, OutputFormat::kJson);
  EXPECT_THAT(ParseArgs(RunsShowCommandSpec(), {}).status().message(),
              HasSubstr("'flowgridctl runs show' expects RUN_ID, got 0"));
}

TEST(ParseRunNodeOptionsTest, TakesFileNodeAndInputs) {
  absl::StatusOr<RunNodeOptions> options = ParseRunNodeOptions(
      Parse(RunNodeCommandSpec(),
            {"wf.json", "greet", "--input=name=Ada", "--inputs_json", "in.json", "--addr=h:2"}),
      kNoEnv);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->workflow_path, "wf.json");
  EXPECT_EQ(options->node_id, "greet");
  EXPECT_THAT(options->named_inputs, ElementsAre("name=Ada"));
  EXPECT_EQ(options->inputs_json_path, "in.json");
  EXPECT_EQ(options->connection.address, "h:2");
  EXPECT_THAT(ParseArgs(RunNodeCommandSpec(), {"wf.json"}).status().message(),
              HasSubstr("expects FILE NODE_ID, got 1"));
}

TEST(ParseRunsWatchOptionsTest, TakesTheRunIdAndWhereToStart) {
  absl::StatusOr<RunsWatchOptions> options = ParseRunsWatchOptions(
      Parse(RunsWatchCommandSpec(), {"r-9", "--after=12", "--timeout=30s", "--quiet"}), kNoEnv);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->run_id, "r-9");
  EXPECT_EQ(options->after_sequence, 12);
  EXPECT_EQ(options->watch.timeout, absl::Seconds(30));
  EXPECT_TRUE(options->watch.quiet);
  absl::StatusOr<RunsWatchOptions> defaults =
      ParseRunsWatchOptions(Parse(RunsWatchCommandSpec(), {"r-9"}), kNoEnv);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->after_sequence, 0);
  EXPECT_EQ(defaults->watch.timeout, absl::InfiniteDuration());
  EXPECT_FALSE(ParseRunsWatchOptions(Parse(RunsWatchCommandSpec(), {"r-9", "--after=-1"}), kNoEnv)
                   .ok());
}

TEST(ParseCancelOptionsTest, TakesTheRunId) {
  CancelOptions options = ParseCancelOptions(Parse(CancelCommandSpec(), {"r-3"}), kNoEnv);
  EXPECT_EQ(options.run_id, "r-3");
  EXPECT_EQ(options.connection.address, "127.0.0.1:7070");
}

TEST(AllCommandSpecsTest, EveryCommandIsListedOnce) {
  std::vector<std::string> names;
  for (const CommandSpec& spec : AllCommandSpecs()) names.push_back(spec.name);
  EXPECT_THAT(names, ElementsAre("dev", "run", "run-node", "validate", "runs list",
                                 "runs show", "runs watch", "cancel", "workers list",
                                 "workers drain", "import dify"));
}

TEST(ParseImportDifyOptionsTest, TakesTheFileAndAnOptionalOutput) {
  ImportDifyOptions to_stdout = ParseImportDifyOptions(Parse(ImportDifyCommandSpec(), {"app.yml"}));
  EXPECT_EQ(to_stdout.dify_path, "app.yml");
  EXPECT_FALSE(to_stdout.out_path.has_value());
  ImportDifyOptions to_file =
      ParseImportDifyOptions(Parse(ImportDifyCommandSpec(), {"app.yml", "--out", "app.json"}));
  EXPECT_EQ(to_file.out_path, "app.json");
}

TEST(ParseWorkersOptionsTest, ListTakesTheOutputAndDrainTheWorkerId) {
  absl::StatusOr<WorkersListOptions> list =
      ParseWorkersListOptions(Parse(WorkersListCommandSpec(), {"--output=json"}), EnvAddress("env:1"));
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->output, OutputFormat::kJson);
  EXPECT_EQ(list->connection.address, "env:1");
  EXPECT_FALSE(
      ParseWorkersListOptions(Parse(WorkersListCommandSpec(), {"--output=yaml"}), kNoEnv).ok());
  WorkersDrainOptions drain =
      ParseWorkersDrainOptions(Parse(WorkersDrainCommandSpec(), {"w-7", "--addr=h:1"}), kNoEnv);
  EXPECT_EQ(drain.worker_id, "w-7");
  EXPECT_EQ(drain.connection.address, "h:1");
  EXPECT_FALSE(ParseArgs(WorkersDrainCommandSpec(), {}).ok());
}

TEST(ParseDevOptionsTest, DefaultsFindBinariesNextToFlowgridctl) {
  absl::StatusOr<DevOptions> options = ParseDevOptions(Parse(DevCommandSpec(), {}), "/opt/fg/bin");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->workers, 1);
  EXPECT_EQ(options->slots, 2);
  EXPECT_EQ(options->data_dir, ".flowgrid-dev");
  EXPECT_EQ(options->client_addr, "127.0.0.1:7070");
  EXPECT_EQ(options->worker_addr, "127.0.0.1:7071");
  EXPECT_EQ(options->scheduler_binary, "/opt/fg/bin/flowgrid-scheduler");
  EXPECT_EQ(options->worker_binary, "/opt/fg/bin/flowgrid-worker");
  EXPECT_TRUE(options->worker_args.empty());
  EXPECT_TRUE(options->secure);
  EXPECT_EQ(options->console_addr, "127.0.0.1:0");
}

TEST(ParseDevOptionsTest, EmptyConsoleAddressTurnsTheConsoleOff) {
  absl::StatusOr<DevOptions> off =
      ParseDevOptions(Parse(DevCommandSpec(), {"--console_addr="}), "/unused");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->console_addr, "");
  absl::StatusOr<DevOptions> fixed =
      ParseDevOptions(Parse(DevCommandSpec(), {"--console_addr=127.0.0.1:7080"}), "/unused");
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(fixed->console_addr, "127.0.0.1:7080");
}

TEST(ParseDevOptionsTest, InsecureTurnsTlsAndApiKeysOff) {
  absl::StatusOr<DevOptions> options =
      ParseDevOptions(Parse(DevCommandSpec(), {"--insecure"}), "/unused");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->secure);
}

TEST(ParseDevOptionsTest, FlagsOverrideDefaults) {
  absl::StatusOr<DevOptions> options = ParseDevOptions(
      Parse(DevCommandSpec(), {"--workers=3", "--slots=4", "--data=/tmp/d", "--client_addr=127.0.0.1:0",
                               "--worker_addr=127.0.0.1:0", "--scheduler_bin=/s", "--worker_bin=/w",
                               "--worker_arg=--a", "--worker_arg=--b"}),
      "/unused");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->workers, 3);
  EXPECT_EQ(options->slots, 4);
  EXPECT_EQ(options->data_dir, "/tmp/d");
  EXPECT_EQ(options->client_addr, "127.0.0.1:0");
  EXPECT_EQ(options->scheduler_binary, "/s");
  EXPECT_EQ(options->worker_binary, "/w");
  EXPECT_THAT(options->worker_args, ElementsAre("--a", "--b"));
}

TEST(ParseDevOptionsTest, RejectsZeroSlots) {
  absl::StatusOr<DevOptions> options =
      ParseDevOptions(Parse(DevCommandSpec(), {"--slots=0"}), "/unused");
  ASSERT_FALSE(options.ok());
  EXPECT_THAT(options.status().message(), HasSubstr("--slots must be at least 1"));
}

}  // namespace
}  // namespace flowgrid::cli
