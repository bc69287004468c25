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
  const std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    std::cout << TopLevelUsage(commands);
    return kExitOk;
  }
  const CommandSpec* spec = nullptr;
  for (const CommandSpec& command : commands) {
    if (command.name == name) spec = &command;
  }
  if (spec == nullptr) {
    std::cerr << "flowgridctl: unknown command \"" << name << "\"\n\n" << TopLevelUsage(commands);
    return kExitUsage;
  }
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(*spec, std::vector<std::string>(argv + 2, argv + argc));
  if (!args.ok()) {
    std::cerr << "flowgridctl " << name << ": " << args.status().message() << "\n\n"
              << CommandUsage(*spec);
    return kExitUsage;
  }
  if (args->help) {
    std::cout << CommandUsage(*spec);
    return kExitOk;
  }
  const char* env_address = std::getenv(kAddressEnvVar);
  auto usage_error = [&](const absl::Status& status) {
    std::cerr << "flowgridctl " << name << ": " << status.message() << "\n\n"
              << CommandUsage(*spec);
    return kExitUsage;
  };
  if (name == "run") {
    absl::StatusOr<RunOptions> options = ParseRunOptions(*args, env_address);
    if (!options.ok()) return usage_error(options.status());
    return RunCommand(*options);
  }
  if (name == "validate") return ValidateCommand(ParseValidateOptions(*args, env_address));
  // The only command left is dev.
  absl::StatusOr<DevOptions> options = ParseDevOptions(*args, OwnBinaryDir());
  if (!options.ok()) return usage_error(options.status());
  return DevCommand(*options);
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
