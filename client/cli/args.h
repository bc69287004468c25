// Command-line parsing for flowgridctl's subcommands.
//
// Abseil flags are process-global and cannot repeat a flag, while each
// subcommand has its own flag set and `run` needs `--input a=1 --input b=2`;
// so flags are declared per subcommand here and parsed by hand.
//
// Accepted forms: `--name=value`, `--name value`, `--flag` (boolean),
// `--help`/`-h`, and `--` to end flags. Everything else beginning with `-`
// is an unknown flag, an error.
#ifndef FLOWGRID_CLIENT_CLI_ARGS_H_
#define FLOWGRID_CLIENT_CLI_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace flowgrid::cli {

struct FlagSpec {
  enum class Kind { kValue, kRepeated, kBool };
  std::string name;        // without the leading "--"
  Kind kind = Kind::kValue;
  std::string value_name;  // shown in usage: --addr=HOST:PORT
  std::string help;
};

struct CommandSpec {
  // "run", or two words for a command of a group: "runs list".
  std::string name;
  std::string summary;     // one line for the top-level usage
  std::string positional;  // usage text for positional arguments: "FILE"
  size_t min_positional = 0;
  size_t max_positional = 0;
  std::vector<FlagSpec> flags;
};

class ParsedArgs {
 public:
  bool help = false;
  std::vector<std::string> positional;

  // The value of a single-valued flag, if given.
  std::optional<std::string> Get(const std::string& name) const;
  // Every value of a repeated flag, in command-line order.
  std::vector<std::string> GetAll(const std::string& name) const;
  bool GetBool(const std::string& name) const;

  // Typed accessors; errors name the flag and the bad value.
  absl::StatusOr<int> GetInt(const std::string& name, int default_value, int min_value) const;
  absl::StatusOr<absl::Duration> GetDuration(const std::string& name,
                                             absl::Duration default_value) const;

  std::map<std::string, std::vector<std::string>> values;
};

// Parses the arguments after the subcommand name. InvalidArgument names the
// offending argument (unknown flag, missing value, repeated single flag,
// wrong number of positional arguments). With --help the positional count is
// not checked.
absl::StatusOr<ParsedArgs> ParseArgs(const CommandSpec& spec,
                                     const std::vector<std::string>& args);

// "usage: flowgridctl run FILE [flags]" followed by one line per flag.
std::string CommandUsage(const CommandSpec& spec);

// The list of subcommands with their summaries.
std::string TopLevelUsage(const std::vector<CommandSpec>& commands);

// Which command argv names: `argv[1]`, or `argv[1] argv[2]` for a group
// ("runs list"). `argc_used` is how many leading argv entries the command
// name took (the program name included), so flags start there.
struct ResolvedCommand {
  const CommandSpec* spec = nullptr;
  size_t argc_used = 0;
};
// NotFound names the unknown command; for a group given without (or with an
// unknown) member, the message lists the group's commands.
absl::StatusOr<ResolvedCommand> ResolveCommand(const std::vector<CommandSpec>& commands,
                                               const std::vector<std::string>& argv);

}  // namespace flowgrid::cli

#endif  // FLOWGRID_CLIENT_CLI_ARGS_H_
