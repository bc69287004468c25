#include "client/cli/options.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace flowgrid::cli {
namespace {

using Kind = FlagSpec::Kind;

// The flags of every command that calls the scheduler (ResolveConnection),
// after the command's own.
std::vector<FlagSpec> WithConnectionFlags(std::vector<FlagSpec> flags) {
  flags.push_back({"addr", Kind::kValue, "HOST:PORT",
                   "scheduler client API address (default: $FLOWGRID_ADDR, else 127.0.0.1:7070)"});
  flags.push_back({"tls_ca", Kind::kValue, "FILE",
                   "connect with TLS, verifying the scheduler against this PEM CA bundle "
                   "(default: $FLOWGRID_TLS_CA; empty: plaintext)"});
  flags.push_back({"tls_server_name", Kind::kValue, "NAME",
                   "the name in the scheduler's certificate, when not the address's host"});
  flags.push_back({"api_key_file", Kind::kValue, "FILE",
                   "send the API key on this file's first line (default: $FLOWGRID_API_KEY, "
                   "else $FLOWGRID_API_KEY_FILE; empty: none)"});
  return flags;
}

// An environment variable's value; "" when unset.
std::string EnvValue(const char* value) { return value == nullptr ? "" : value; }

FlagSpec OutputFlag(const char* what) {
  return {"output", Kind::kValue, "table|json", absl::StrCat(what, " (default: table)")};
}

// name=value pairs from a repeated flag, each value read as by --input.
absl::StatusOr<ValueMap> AddNamedValues(const std::string& flag,
                                        const std::vector<std::string>& named,
                                        ValueMap values) {
  for (const std::string& item : named) {
    absl::StatusOr<std::pair<std::string, v1::Value>> parsed = ParseNamedInput(item);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": ", parsed.status().message()));
    }
    values[parsed->first] = std::move(parsed->second);
  }
  return values;
}

}  // namespace

const CommandSpec& RunCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "run",
      "Submit a workflow file (JSON, or a Dify export .yml), stream its progress to stderr and "
      "print its outputs.",
      "FILE",
      1,
      1,
      WithConnectionFlags({
          {"input", Kind::kRepeated, "NAME=VALUE",
           "a start input; VALUE is JSON if it parses as JSON, else a string"},
          {"inputs_json", Kind::kValue, "FILE", "a JSON object of start inputs"},
          {"sys", Kind::kRepeated, "NAME=VALUE",
           "a system variable read as [\"sys\", NAME] (query, user_id, files, "
           "conversation_id); VALUE as for --input"},
          OutputFlag("how outputs are printed"),
          {"timeout", Kind::kValue, "DURATION", "give up watching after this long (e.g. 60s)"},
          {"quiet", Kind::kBool, "", "print no progress, only outputs and errors"},
      })};
  return *spec;
}

const CommandSpec& ValidateCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "validate",
      "Ask the scheduler for every problem of a workflow file; exit 1 if it has any.",
      "FILE",
      1,
      1,
      WithConnectionFlags({})};
  return *spec;
}

const CommandSpec& DevCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "dev",
      "Run a local cluster (scheduler + workers) in the foreground until Ctrl-C.",
      "",
      0,
      0,
      {
          {"insecure", Kind::kBool, "",
           "plaintext ports and no API key (default: TLS on both ports, workers with client "
           "certificates, a generated API key)"},
          {"workers", Kind::kValue, "N", "worker processes (default: 1)"},
          {"slots", Kind::kValue, "N", "job slots per worker (default: 2)"},
          {"data", Kind::kValue, "DIR", "scheduler store directory (default: ./.flowgrid-dev)"},
          {"client_addr", Kind::kValue, "HOST:PORT",
           "client API listen address (default: 127.0.0.1:7070; port 0 picks one)"},
          {"worker_addr", Kind::kValue, "HOST:PORT",
           "worker API listen address (default: 127.0.0.1:7071; port 0 picks one)"},
          {"scheduler_bin", Kind::kValue, "PATH",
           "flowgrid-scheduler binary (default: next to flowgridctl)"},
          {"worker_bin", Kind::kValue, "PATH",
           "flowgrid-worker binary (default: next to flowgridctl)"},
          {"worker_arg", Kind::kRepeated, "ARG", "extra argument for every worker"},
          {"console_addr", Kind::kValue, "HOST:PORT",
           "the web console's listen address (default: 127.0.0.1:0, a free port; empty: "
           "off)"},
      }};
  return *spec;
}

const CommandSpec& RunsListCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "runs list",
      "List runs from the scheduler's history, newest first.",
      "",
      0,
      0,
      WithConnectionFlags({
          {"status", Kind::kValue, "STATUS",
           "only runs with this status: pending, running, succeeded, partial_succeeded, "
           "failed, cancelled"},
          {"limit", Kind::kValue, "N", "runs per page (default: 20)"},
          {"page_token", Kind::kValue, "TOKEN", "continue after a previous page"},
          OutputFlag("how runs are printed"),
      })};
  return *spec;
}

const CommandSpec& RunsShowCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "runs show",
      "Show one run: status, inputs, outputs, error and every node execution.",
      "RUN_ID",
      1,
      1,
      WithConnectionFlags({OutputFlag("how the run is printed")})};
  return *spec;
}

const CommandSpec& RunsWatchCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "runs watch",
      "Follow a run's progress on stderr until it ends (across scheduler restarts) and print "
      "its outputs, as run does.",
      "RUN_ID",
      1,
      1,
      WithConnectionFlags({
          {"after", Kind::kValue, "N", "show only the events after sequence N (default: 0, all)"},
          OutputFlag("how outputs are printed"),
          {"timeout", Kind::kValue, "DURATION", "give up watching after this long (e.g. 60s)"},
          {"quiet", Kind::kBool, "", "print no progress, only outputs and errors"},
      })};
  return *spec;
}

const CommandSpec& RunNodeCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "run-node",
      "Run one node of a workflow file alone with the given inputs (Dify's Run This Node).",
      "FILE NODE_ID",
      2,
      2,
      WithConnectionFlags({
          {"input", Kind::kRepeated, "NAME=VALUE",
           "an input of the node (code/template: its input names; other kinds: "
           "\"node_id.variable\"); VALUE as JSON if it parses, else a string"},
          {"inputs_json", Kind::kValue, "FILE", "a JSON object of the node's inputs"},
          OutputFlag("how the node's result is printed"),
      })};
  return *spec;
}

const CommandSpec& CancelCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "cancel",
      "Cancel a run: no more of its nodes start and its running jobs are killed.",
      "RUN_ID",
      1,
      1,
      WithConnectionFlags({})};
  return *spec;
}

const CommandSpec& WorkersListCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "workers list",
      "List the connected workers: state, slots, running jobs, runtimes, last heartbeat.",
      "",
      0,
      0,
      WithConnectionFlags({OutputFlag("how workers are printed")})};
  return *spec;
}

const CommandSpec& WorkersDrainCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "workers drain",
      "Drain a worker: it takes no new job, finishes its running ones, then exits.",
      "WORKER_ID",
      1,
      1,
      WithConnectionFlags({})};
  return *spec;
}

const CommandSpec& ImportDifyCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "import dify",
      "Convert a Dify app export (DSL .yml) into flowgrid's workflow JSON, reporting every "
      "node flowgrid does not run.",
      "FILE",
      1,
      1,
      {{"out", Kind::kValue, "FILE", "write the workflow JSON here (default: stdout)"}}};
  return *spec;
}

std::vector<CommandSpec> AllCommandSpecs() {
  return {DevCommandSpec(),       RunCommandSpec(),        RunNodeCommandSpec(),
          ValidateCommandSpec(),  RunsListCommandSpec(),   RunsShowCommandSpec(),
          RunsWatchCommandSpec(), CancelCommandSpec(),     WorkersListCommandSpec(),
          WorkersDrainCommandSpec(), ImportDifyCommandSpec()};
}

absl::StatusOr<OutputFormat> ParseOutputFormat(const ParsedArgs& args) {
  std::string output = args.Get("output").value_or("table");
  if (output == "table") return OutputFormat::kTable;
  if (output == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--output must be table or json, got \"", output, "\""));
}

Connection ResolveConnection(const ParsedArgs& args, const ClientEnvironment& env) {
  Connection connection;
  connection.address = args.Get("addr").value_or(EnvValue(env.address));
  if (connection.address.empty()) connection.address = kDefaultAddress;
  connection.tls_ca_file = args.Get("tls_ca").value_or(EnvValue(env.tls_ca));
  connection.tls_server_name = args.Get("tls_server_name").value_or("");
  if (std::optional<std::string> key_file = args.Get("api_key_file"); key_file.has_value()) {
    connection.api_key_file = *key_file;
  } else if (!EnvValue(env.api_key).empty()) {
    connection.api_key = env.api_key;
  } else {
    connection.api_key_file = EnvValue(env.api_key_file);
  }
  return connection;
}

absl::StatusOr<RunOptions> ParseRunOptions(const ParsedArgs& args, const ClientEnvironment& env) {
  RunOptions options;
  options.workflow_path = args.positional.at(0);
  options.named_inputs = args.GetAll("input");
  options.inputs_json_path = args.Get("inputs_json");
  options.named_system = args.GetAll("sys");
  options.connection = ResolveConnection(args, env);
  absl::StatusOr<WatchFlags> watch = ParseWatchFlags(args);
  if (!watch.ok()) return watch.status();
  options.watch = *watch;
  return options;
}

absl::StatusOr<WatchFlags> ParseWatchFlags(const ParsedArgs& args) {
  WatchFlags flags;
  absl::StatusOr<OutputFormat> output = ParseOutputFormat(args);
  if (!output.ok()) return output.status();
  flags.output = *output;
  absl::StatusOr<absl::Duration> timeout =
      args.GetDuration("timeout", absl::InfiniteDuration());
  if (!timeout.ok()) return timeout.status();
  flags.timeout = *timeout;
  flags.quiet = args.GetBool("quiet");
  return flags;
}

absl::StatusOr<ValueMap> BuildRunInputs(const std::vector<std::string>& named_inputs,
                                        const std::optional<std::string>& inputs_json_text) {
  ValueMap inputs;
  if (inputs_json_text.has_value()) {
    absl::StatusOr<ValueMap> from_file = ParseValueMapJson(*inputs_json_text);
    if (!from_file.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--inputs_json: ", from_file.status().message()));
    }
    inputs = *std::move(from_file);
  }
  return AddNamedValues("input", named_inputs, std::move(inputs));
}

absl::StatusOr<ValueMap> BuildSystemInputs(const std::vector<std::string>& named_system) {
  return AddNamedValues("sys", named_system, ValueMap{});
}

ValidateOptions ParseValidateOptions(const ParsedArgs& args, const ClientEnvironment& env) {
  return ValidateOptions{args.positional.at(0), ResolveConnection(args, env)};
}

absl::StatusOr<DevOptions> ParseDevOptions(const ParsedArgs& args,
                                           const std::string& binary_dir) {
  DevOptions options;
  options.secure = !args.GetBool("insecure");
  absl::StatusOr<int> workers = args.GetInt("workers", 1, 0);
  if (!workers.ok()) return workers.status();
  options.workers = *workers;
  absl::StatusOr<int> slots = args.GetInt("slots", 2, 1);
  if (!slots.ok()) return slots.status();
  options.slots = *slots;
  options.data_dir = args.Get("data").value_or(".flowgrid-dev");
  options.client_addr = args.Get("client_addr").value_or("127.0.0.1:7070");
  options.worker_addr = args.Get("worker_addr").value_or("127.0.0.1:7071");
  options.scheduler_binary =
      args.Get("scheduler_bin").value_or(binary_dir + "/flowgrid-scheduler");
  options.worker_binary = args.Get("worker_bin").value_or(binary_dir + "/flowgrid-worker");
  options.worker_args = args.GetAll("worker_arg");
  options.console_addr = args.Get("console_addr").value_or("127.0.0.1:0");
  return options;
}

absl::StatusOr<v1::RunStatus> ParseRunStatus(const std::string& text) {
  std::string name = absl::AsciiStrToUpper(text);
  if (!absl::StartsWith(name, "RUN_")) name = absl::StrCat("RUN_", name);
  v1::RunStatus status = v1::RUN_STATUS_UNSPECIFIED;
  if (name == "RUN_STATUS_UNSPECIFIED" || !v1::RunStatus_Parse(name, &status)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--status must be one of pending, running, succeeded, partial_succeeded, failed, "
        "cancelled; got \"",
        text, "\""));
  }
  return status;
}

absl::StatusOr<RunsListOptions> ParseRunsListOptions(const ParsedArgs& args,
                                                     const ClientEnvironment& env) {
  RunsListOptions options;
  options.connection = ResolveConnection(args, env);
  if (std::optional<std::string> status = args.Get("status"); status.has_value()) {
    absl::StatusOr<v1::RunStatus> parsed = ParseRunStatus(*status);
    if (!parsed.ok()) return parsed.status();
    options.status = *parsed;
  }
  absl::StatusOr<int> limit = args.GetInt("limit", options.limit, 1);
  if (!limit.ok()) return limit.status();
  options.limit = *limit;
  options.page_token = args.Get("page_token").value_or("");
  absl::StatusOr<OutputFormat> output = ParseOutputFormat(args);
  if (!output.ok()) return output.status();
  options.output = *output;
  return options;
}

absl::StatusOr<RunsShowOptions> ParseRunsShowOptions(const ParsedArgs& args,
                                                     const ClientEnvironment& env) {
  absl::StatusOr<OutputFormat> output = ParseOutputFormat(args);
  if (!output.ok()) return output.status();
  return RunsShowOptions{args.positional.at(0), ResolveConnection(args, env), *output};
}

absl::StatusOr<RunsWatchOptions> ParseRunsWatchOptions(const ParsedArgs& args,
                                                       const ClientEnvironment& env) {
  RunsWatchOptions options;
  options.run_id = args.positional.at(0);
  options.connection = ResolveConnection(args, env);
  absl::StatusOr<int> after = args.GetInt("after", 0, 0);
  if (!after.ok()) return after.status();
  options.after_sequence = *after;
  absl::StatusOr<WatchFlags> watch = ParseWatchFlags(args);
  if (!watch.ok()) return watch.status();
  options.watch = *watch;
  return options;
}

absl::StatusOr<RunNodeOptions> ParseRunNodeOptions(const ParsedArgs& args,
                                                   const ClientEnvironment& env) {
  RunNodeOptions options;
  options.workflow_path = args.positional.at(0);
  options.node_id = args.positional.at(1);
  options.named_inputs = args.GetAll("input");
  options.inputs_json_path = args.Get("inputs_json");
  options.connection = ResolveConnection(args, env);
  absl::StatusOr<OutputFormat> output = ParseOutputFormat(args);
  if (!output.ok()) return output.status();
  options.output = *output;
  return options;
}

CancelOptions ParseCancelOptions(const ParsedArgs& args, const ClientEnvironment& env) {
  return CancelOptions{args.positional.at(0), ResolveConnection(args, env)};
}

absl::StatusOr<WorkersListOptions> ParseWorkersListOptions(const ParsedArgs& args,
                                                           const ClientEnvironment& env) {
  absl::StatusOr<OutputFormat> output = ParseOutputFormat(args);
  if (!output.ok()) return output.status();
  return WorkersListOptions{ResolveConnection(args, env), *output};
}

WorkersDrainOptions ParseWorkersDrainOptions(const ParsedArgs& args, const ClientEnvironment& env) {
  return WorkersDrainOptions{args.positional.at(0), ResolveConnection(args, env)};
}

ImportDifyOptions ParseImportDifyOptions(const ParsedArgs& args) {
  return ImportDifyOptions{args.positional.at(0), args.Get("out")};
}

}  // namespace flowgrid::cli
