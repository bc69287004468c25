// flowgridctl: the command-line client of a flowgrid cluster.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "client/cli/args.h"
#include "client/cli/commands.h"
#include "client/cli/options.h"

namespace {

using namespace flowgrid::cli;

// The directory of this executable: flowgrid-scheduler and flowgrid-worker
// are installed (and built) next to it.
std::string OwnBinaryDir() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return ".";
  return self.parent_path().string();
}

int Main(int argc, char** argv) {
  const std::vector<CommandSpec> commands = AllCommandSpecs();
  if (argc < 2) {
    std::cerr << TopLevelUsage(commands);
    return kExitUsage;
  }
  const std::string first = argv[1];
  if (first == "help" || first == "--help" || first == "-h") {
    std::cout << TopLevelUsage(commands);
    return kExitOk;
  }
  const std::vector<std::string> all_args(argv, argv + argc);
  absl::StatusOr<ResolvedCommand> resolved = ResolveCommand(commands, all_args);
  if (!resolved.ok()) {
    std::cerr << "flowgridctl: " << resolved.status().message() << "\n\n"
              << TopLevelUsage(commands);
    return kExitUsage;
  }
  const CommandSpec* spec = resolved->spec;
  const std::string& name = spec->name;
  absl::StatusOr<ParsedArgs> args = ParseArgs(
      *spec, std::vector<std::string>(all_args.begin() + resolved->argc_used, all_args.end()));
  if (!args.ok()) {
    std::cerr << "flowgridctl " << name << ": " << args.status().message() << "\n\n"
              << CommandUsage(*spec);
    return kExitUsage;
  }
  if (args->help) {
    std::cout << CommandUsage(*spec);
    return kExitOk;
  }
  // A client command reports a failed connection itself, with gRPC's
  // reason (client/sdk/client.h): gRPC's own log lines for each attempt
  // (e.g. every failed TLS handshake) would only repeat it. dev's children
  // inherit the environment and keep their gRPC logs; so does a user's
  // explicit GRPC_VERBOSITY.
  if (name != "dev") ::setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
  const ClientEnvironment env{std::getenv(kAddressEnvVar), std::getenv(kTlsCaEnvVar),
                              std::getenv(kApiKeyEnvVar), std::getenv(kApiKeyFileEnvVar)};
  auto usage_error = [&](const absl::Status& status) {
    std::cerr << "flowgridctl " << name << ": " << status.message() << "\n\n"
              << CommandUsage(*spec);
    return kExitUsage;
  };
  if (name == "run") {
    absl::StatusOr<RunOptions> options = ParseRunOptions(*args, env);
    if (!options.ok()) return usage_error(options.status());
    return RunCommand(*options);
  }
  if (name == "validate") return ValidateCommand(ParseValidateOptions(*args, env));
  if (name == "run-node") {
    absl::StatusOr<RunNodeOptions> options = ParseRunNodeOptions(*args, env);
    if (!options.ok()) return usage_error(options.status());
    return RunNodeCommand(*options);
  }
  if (name == "runs list") {
    absl::StatusOr<RunsListOptions> options = ParseRunsListOptions(*args, env);
    if (!options.ok()) return usage_error(options.status());
    return RunsListCommand(*options);
  }
  if (name == "runs show") {
    absl::StatusOr<RunsShowOptions> options = ParseRunsShowOptions(*args, env);
    if (!options.ok()) return usage_error(options.status());
    return RunsShowCommand(*options);
  }
  if (name == "runs watch") {
    absl::StatusOr<RunsWatchOptions> options = ParseRunsWatchOptions(*args, env);
    if (!options.ok()) return usage_error(options.status());
    return RunsWatchCommand(*options);
  }
  if (name == "cancel") return CancelCommand(ParseCancelOptions(*args, env));
  if (name == "workers list") {
    absl::StatusOr<WorkersListOptions> options = ParseWorkersListOptions(*args, env);
    if (!options.ok()) return usage_error(options.status());
    return WorkersListCommand(*options);
  }
  if (name == "workers drain") {
    return WorkersDrainCommand(ParseWorkersDrainOptions(*args, env));
  }
  if (name == "import dify") return ImportDifyCommand(ParseImportDifyOptions(*args));
  // The only command left is dev.
  absl::StatusOr<DevOptions> options = ParseDevOptions(*args, OwnBinaryDir());
  if (!options.ok()) return usage_error(options.status());
  return DevCommand(*options);
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
