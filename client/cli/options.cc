#include "client/cli/options.h"

#include "absl/strings/str_cat.h"

namespace flowgrid::cli {
namespace {

using Kind = FlagSpec::Kind;

FlagSpec AddrFlag() {
  return {"addr", Kind::kValue, "HOST:PORT",
          "scheduler client API address (default: $FLOWGRID_ADDR, else 127.0.0.1:7070)"};
}

}  // namespace

const CommandSpec& RunCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "run",
      "Submit a workflow file, stream its progress to stderr and print its outputs.",
      "FILE",
      1,
      1,
      {
          {"input", Kind::kRepeated, "NAME=VALUE",
           "a start input; VALUE is JSON if it parses as JSON, else a string"},
          {"inputs_json", Kind::kValue, "FILE", "a JSON object of start inputs"},
          AddrFlag(),
          {"output", Kind::kValue, "table|json", "how outputs are printed (default: table)"},
          {"timeout", Kind::kValue, "DURATION", "give up watching after this long (e.g. 60s)"},
          {"quiet", Kind::kBool, "", "print no progress, only outputs and errors"},
      }};
  return *spec;
}

const CommandSpec& ValidateCommandSpec() {
  static const CommandSpec* spec = new CommandSpec{
      "validate",
      "Ask the scheduler for every problem of a workflow file; exit 1 if it has any.",
      "FILE",
      1,
      1,
      {AddrFlag()}};
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
      }};
  return *spec;
}

std::vector<CommandSpec> AllCommandSpecs() {
  return {DevCommandSpec(), RunCommandSpec(), ValidateCommandSpec()};
}

std::string ResolveAddress(const ParsedArgs& args, const char* env_address) {
  if (std::optional<std::string> addr = args.Get("addr"); addr.has_value()) return *addr;
  if (env_address != nullptr && env_address[0] != '\0') return env_address;
  return kDefaultAddress;
}

absl::StatusOr<RunOptions> ParseRunOptions(const ParsedArgs& args, const char* env_address) {
  RunOptions options;
  options.workflow_path = args.positional.at(0);
  options.named_inputs = args.GetAll("input");
  options.inputs_json_path = args.Get("inputs_json");
  options.address = ResolveAddress(args, env_address);
  std::string output = args.Get("output").value_or("table");
  if (output == "table") {
    options.output = OutputFormat::kTable;
  } else if (output == "json") {
    options.output = OutputFormat::kJson;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--output must be table or json, got \"", output, "\""));
  }
  absl::StatusOr<absl::Duration> timeout =
      args.GetDuration("timeout", absl::InfiniteDuration());
  if (!timeout.ok()) return timeout.status();
  options.timeout = *timeout;
  options.quiet = args.GetBool("quiet");
  return options;
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
  for (const std::string& named : named_inputs) {
    absl::StatusOr<std::pair<std::string, v1::Value>> input = ParseNamedInput(named);
    if (!input.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--input: ", input.status().message()));
    }
    inputs[input->first] = std::move(input->second);
  }
  return inputs;
}

ValidateOptions ParseValidateOptions(const ParsedArgs& args, const char* env_address) {
  return ValidateOptions{args.positional.at(0), ResolveAddress(args, env_address)};
}

absl::StatusOr<DevOptions> ParseDevOptions(const ParsedArgs& args,
                                           const std::string& binary_dir) {
  DevOptions options;
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
  return options;
}

}  // namespace flowgrid::cli
