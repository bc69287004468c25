#include "client/cli/args.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace flowgrid::cli {
namespace {

const FlagSpec* FindFlag(const CommandSpec& spec, const std::string& name) {
  for (const FlagSpec& flag : spec.flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::string FlagSyntax(const FlagSpec& flag) {
  if (flag.kind == FlagSpec::Kind::kBool) return absl::StrCat("--", flag.name);
  return absl::StrCat("--", flag.name, "=", flag.value_name);
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return {};
  return it->second;
}

bool ParsedArgs::GetBool(const std::string& name) const { return values.contains(name); }

absl::StatusOr<int> ParsedArgs::GetInt(const std::string& name, int default_value,
                                       int min_value) const {
  std::optional<std::string> text = Get(name);
  if (!text.has_value()) return default_value;
  int value = 0;
  if (!absl::SimpleAtoi(*text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be an integer, got \"", *text, "\""));
  }
  if (value < min_value) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be at least ", min_value, ", got ", value));
  }
  return value;
}

absl::StatusOr<absl::Duration> ParsedArgs::GetDuration(const std::string& name,
                                                       absl::Duration default_value) const {
  std::optional<std::string> text = Get(name);
  if (!text.has_value()) return default_value;
  absl::Duration value;
  if (!absl::ParseDuration(*text, &value) || value <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " must be a positive duration such as 30s or 2m, got \"", *text, "\""));
  }
  return value;
}

absl::StatusOr<ParsedArgs> ParseArgs(const CommandSpec& spec,
                                     const std::vector<std::string>& args) {
  ParsedArgs parsed;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || !absl::StartsWith(arg, "-")) {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag ", arg, " for 'flowgridctl ", spec.name, "' (flags are --name=value)"));
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const FlagSpec* flag = FindFlag(spec, name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for 'flowgridctl ", spec.name, "'"));
    }
    std::string value;
    if (flag->kind == FlagSpec::Kind::kBool) {
      if (eq != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value, got \"", arg, "\""));
      }
    } else if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " needs a value: ", FlagSyntax(*flag)));
    }
    std::vector<std::string>& slot = parsed.values[name];
    if (!slot.empty() && flag->kind != FlagSpec::Kind::kRepeated) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given more than once"));
    }
    slot.push_back(std::move(value));
  }
  if (parsed.help) return parsed;
  if (parsed.positional.size() < spec.min_positional ||
      parsed.positional.size() > spec.max_positional) {
    std::string expected = spec.positional.empty() ? "no arguments besides flags"
                                                   : spec.positional;
    return absl::InvalidArgumentError(absl::StrCat(
        "'flowgridctl ", spec.name, "' expects ", expected, ", got ",
        parsed.positional.size(), " positional argument(s)"));
  }
  return parsed;
}

std::string CommandUsage(const CommandSpec& spec) {
  std::string out = absl::StrCat("usage: flowgridctl ", spec.name);
  if (!spec.positional.empty()) absl::StrAppend(&out, " ", spec.positional);
  if (!spec.flags.empty()) absl::StrAppend(&out, " [flags]");
  absl::StrAppend(&out, "\n\n", spec.summary, "\n");
  if (spec.flags.empty()) return out;
  absl::StrAppend(&out, "\nflags:\n");
  size_t width = 0;
  for (const FlagSpec& flag : spec.flags) width = std::max(width, FlagSyntax(flag).size());
  for (const FlagSpec& flag : spec.flags) {
    std::string syntax = FlagSyntax(flag);
    absl::StrAppend(&out, "  ", syntax, std::string(width - syntax.size() + 2, ' '), flag.help,
                    flag.kind == FlagSpec::Kind::kRepeated ? " (repeatable)" : "", "\n");
  }
  return out;
}

std::string TopLevelUsage(const std::vector<CommandSpec>& commands) {
  std::string out = "usage: flowgridctl COMMAND [args] [flags]\n\ncommands:\n";
  size_t width = 0;
  for (const CommandSpec& command : commands) width = std::max(width, command.name.size());
  for (const CommandSpec& command : commands) {
    absl::StrAppend(&out, "  ", command.name, std::string(width - command.name.size() + 2, ' '),
                    command.summary, "\n");
  }
  absl::StrAppend(&out, "\n'flowgridctl COMMAND --help' describes a command's flags.\n");
  return out;
}

absl::StatusOr<ResolvedCommand> ResolveCommand(const std::vector<CommandSpec>& commands,
                                               const std::vector<std::string>& argv) {
  if (argv.size() < 2) return absl::NotFoundError("no command given");
  const std::string& first = argv[1];
  const std::string second = argv.size() > 2 ? argv[2] : "";
  std::vector<std::string> group;
  for (const CommandSpec& command : commands) {
    if (command.name == first) return ResolvedCommand{&command, 2};
    if (absl::StartsWith(command.name, first + " ")) {
      if (command.name == absl::StrCat(first, " ", second)) return ResolvedCommand{&command, 3};
      group.push_back(command.name);
    }
  }
  if (group.empty()) return absl::NotFoundError(absl::StrCat("unknown command \"", first, "\""));
  std::string given =
      second.empty() || absl::StartsWith(second, "-") ? absl::StrCat("'flowgridctl ", first, "' needs a command")
                     : absl::StrCat("unknown command \"", first, " ", second, "\"");
  return absl::NotFoundError(absl::StrCat(given, "; one of: ", absl::StrJoin(group, ", ")));
}

}  // namespace flowgrid::cli
