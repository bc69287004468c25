#include "client/cli/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CommandSpec TestSpec() {
  return CommandSpec{"run",
                     "Runs things.",
                     "FILE",
                     1,
                     1,
                     {{"input", FlagSpec::Kind::kRepeated, "NAME=VALUE", "an input"},
                      {"addr", FlagSpec::Kind::kValue, "HOST:PORT", "where"},
                      {"quiet", FlagSpec::Kind::kBool, "", "hush"},
                      {"count", FlagSpec::Kind::kValue, "N", "how many"},
                      {"timeout", FlagSpec::Kind::kValue, "DURATION", "how long"}}};
}

TEST(ParseArgsTest, AcceptsBothValueFormsAndRepeatedFlags) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(
      TestSpec(), {"--input", "a=1", "wf.json", "--input=b=2", "--addr=h:1", "--quiet"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->positional, ElementsAre("wf.json"));
  EXPECT_THAT(args->GetAll("input"), ElementsAre("a=1", "b=2"));
  EXPECT_EQ(args->Get("addr"), "h:1");
  EXPECT_TRUE(args->GetBool("quiet"));
  EXPECT_FALSE(args->help);
}

TEST(ParseArgsTest, AbsentFlagsHaveNoValue) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"wf.json"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("addr"), std::nullopt);
  EXPECT_TRUE(args->GetAll("input").empty());
  EXPECT_FALSE(args->GetBool("quiet"));
}

TEST(ParseArgsTest, DoubleDashEndsFlags) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"--", "--weird-file-name"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->positional, ElementsAre("--weird-file-name"));
}

TEST(ParseArgsTest, UnknownFlagIsNamed) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"wf.json", "--inptu=a=1"});
  ASSERT_FALSE(args.ok());
  EXPECT_THAT(args.status().message(), HasSubstr("unknown flag --inptu"));
  EXPECT_THAT(args.status().message(), HasSubstr("flowgridctl run"));
}

TEST(ParseArgsTest, SingleDashFlagIsUnknown) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"wf.json", "-q"});
  ASSERT_FALSE(args.ok());
  EXPECT_THAT(args.status().message(), HasSubstr("unknown flag -q"));
}

TEST(ParseArgsTest, MissingValueIsAnError) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"wf.json", "--addr"});
  ASSERT_FALSE(args.ok());
  EXPECT_THAT(args.status().message(), HasSubstr("--addr needs a value"));
}

TEST(ParseArgsTest, SingleValuedFlagCannotRepeat) {
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(TestSpec(), {"wf.json", "--addr=a:1", "--addr=b:2"});
  ASSERT_FALSE(args.ok());
  EXPECT_THAT(args.status().message(), HasSubstr("--addr given more than once"));
}

TEST(ParseArgsTest, BoolFlagTakesNoValue) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"wf.json", "--quiet=yes"});
  ASSERT_FALSE(args.ok());
  EXPECT_THAT(args.status().message(), HasSubstr("--quiet takes no value"));
}

TEST(ParseArgsTest, PositionalCountIsChecked) {
  absl::StatusOr<ParsedArgs> none = ParseArgs(TestSpec(), {});
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("expects FILE, got 0"));
  absl::StatusOr<ParsedArgs> two = ParseArgs(TestSpec(), {"a.json", "b.json"});
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.status().message(), HasSubstr("got 2"));
}

TEST(ParseArgsTest, HelpSkipsThePositionalCheck) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"--help"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->help);
  absl::StatusOr<ParsedArgs> short_form = ParseArgs(TestSpec(), {"-h"});
  ASSERT_TRUE(short_form.ok()) << short_form.status();
  EXPECT_TRUE(short_form->help);
}

TEST(ParsedArgsTest, GetIntValidatesTheNumberAndMinimum) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"wf.json", "--count=3"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->GetInt("count", 7, 1).value(), 3);
  EXPECT_EQ(args->GetInt("missing", 7, 1).value(), 7);
  EXPECT_THAT(args->GetInt("count", 7, 4).status().message(),
              HasSubstr("--count must be at least 4, got 3"));
  absl::StatusOr<ParsedArgs> bad = ParseArgs(TestSpec(), {"wf.json", "--count=three"});
  ASSERT_TRUE(bad.ok());
  EXPECT_THAT(bad->GetInt("count", 7, 1).status().message(),
              HasSubstr("--count must be an integer, got \"three\""));
}

TEST(ParsedArgsTest, GetDurationParsesAbslDurations) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(TestSpec(), {"wf.json", "--timeout=90s"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->GetDuration("timeout", absl::Seconds(1)).value(), absl::Seconds(90));
  absl::StatusOr<ParsedArgs> bad = ParseArgs(TestSpec(), {"wf.json", "--timeout=90"});
  ASSERT_TRUE(bad.ok());
  EXPECT_THAT(bad->GetDuration("timeout", absl::Seconds(1)).status().message(),
              HasSubstr("--timeout must be a positive duration"));
}

TEST(UsageTest, CommandUsageListsEveryFlag) {
  std::string usage = CommandUsage(TestSpec());
  EXPECT_THAT(usage, HasSubstr("usage: flowgridctl run FILE [flags]"));
  EXPECT_THAT(usage, HasSubstr("--input=NAME=VALUE"));
  EXPECT_THAT(usage, HasSubstr("(repeatable)"));
  EXPECT_THAT(usage, HasSubstr("--quiet "));
}

TEST(UsageTest, TopLevelUsageListsCommands) {
  std::string usage = TopLevelUsage({TestSpec()});
  EXPECT_THAT(usage, HasSubstr("run  Runs things."));
}

std::vector<CommandSpec> GroupedSpecs() {
  return {CommandSpec{"run", "Runs.", "", 0, 0, {}},
          CommandSpec{"run-node", "Runs a node.", "", 0, 0, {}},
          CommandSpec{"runs list", "Lists.", "", 0, 0, {}},
          CommandSpec{"runs show", "Shows.", "", 0, 0, {}}};
}

TEST(ResolveCommandTest, OneAndTwoWordCommands) {
  const std::vector<CommandSpec> specs = GroupedSpecs();
  absl::StatusOr<ResolvedCommand> run = ResolveCommand(specs, {"flowgridctl", "run", "wf.json"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->spec->name, "run");
  EXPECT_EQ(run->argc_used, 2u);
  absl::StatusOr<ResolvedCommand> run_node = ResolveCommand(specs, {"flowgridctl", "run-node"});
  ASSERT_TRUE(run_node.ok()) << run_node.status();
  EXPECT_EQ(run_node->spec->name, "run-node");
  absl::StatusOr<ResolvedCommand> show =
      ResolveCommand(specs, {"flowgridctl", "runs", "show", "r-1", "--output=json"});
  ASSERT_TRUE(show.ok()) << show.status();
  EXPECT_EQ(show->spec->name, "runs show");
  EXPECT_EQ(show->argc_used, 3u);
}

TEST(ResolveCommandTest, UnknownCommandsAndIncompleteGroupsAreNamed) {
  const std::vector<CommandSpec> specs = GroupedSpecs();
  EXPECT_THAT(ResolveCommand(specs, {"flowgridctl", "rnu"}).status().message(),
              HasSubstr("unknown command \"rnu\""));
  EXPECT_THAT(ResolveCommand(specs, {"flowgridctl", "runs"}).status().message(),
              HasSubstr("'flowgridctl runs' needs a command; one of: runs list, runs show"));
  EXPECT_THAT(ResolveCommand(specs, {"flowgridctl", "runs", "--help"}).status().message(),
              HasSubstr("needs a command"));
  EXPECT_THAT(ResolveCommand(specs, {"flowgridctl", "runs", "delete"}).status().message(),
              HasSubstr("unknown command \"runs delete\"; one of: runs list, runs show"));
  EXPECT_FALSE(ResolveCommand(specs, {"flowgridctl"}).ok());
}

}  // namespace
}  // namespace flowgrid::cli
