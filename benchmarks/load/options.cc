#include "benchmarks/load/options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli/options.h"

namespace flowgrid::bench {
namespace {

using Kind = cli::FlagSpec::Kind;

// flowgridctl's usage printer names its own program; flowgrid-bench is a
// program of its own sharing the same flag syntax.
constexpr char kCliUsagePrefix[] = "usage: flowgridctl ";

absl::StatusOr<int64_t> GetInt64(const cli::ParsedArgs& args, const std::string& name,
                                 int64_t min_value) {
  std::optional<std::string> text = args.Get(name);
  int64_t value = 0;
  if (!text.has_value() || !absl::SimpleAtoi(*text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be an integer, got \"", text.value_or(""), "\""));
  }
  if (value < min_value) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be at least ", min_value, ", got ", value));
  }
  return value;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace

const cli::CommandSpec& BenchCommandSpec() {
  static const cli::CommandSpec* spec = new cli::CommandSpec{
      "flowgrid-bench",
      "Load a flowgrid scheduler with workflow runs, each submitted and awaited to its final "
      "status; report runs/s, latency percentiles and a histogram.",
      "",
      0,
      0,
      {
          {"addr", Kind::kValue, "HOST:PORT",
           "scheduler client API (default: $FLOWGRID_ADDR, else 127.0.0.1:7070)"},
          {"workflow", Kind::kValue, "FILE", "workflow JSON file to run (required)"},
          {"input", Kind::kRepeated, "NAME=VALUE",
           "run input; VALUE is JSON when it parses as JSON, else a string"},
          {"inputs_json", Kind::kValue, "FILE", "JSON object of run inputs (--input on top)"},
          {"total", Kind::kValue, "N",
           absl::StrCat("measured runs (default ", kDefaultTotal, " unless --duration)")},
          {"duration", Kind::kValue, "D",
           absl::StrCat("measure for this long instead of --total (at most ",
                        absl::FormatDuration(kMaxDuration), ")")},
          {"concurrency", Kind::kValue, "C",
           absl::StrCat("runs in flight at once (default 1, at most ", kMaxConcurrency, ")")},
          {"rate", Kind::kValue, "R", "runs started per second, 0 = unlimited (default 0)"},
          {"warmup", Kind::kValue, "N", "runs before measuring, not counted (default 0)"},
          {"timeout", Kind::kValue, "D", "deadline of each call of a run (default 30s)"},
          {"json", Kind::kBool, "", "print the report as JSON"},
          {"no_retry", Kind::kBool, "",
           "one attempt per call: overload shows as RESOURCE_EXHAUSTED, not as latency"},
          {"allow_remote", Kind::kBool, "", "allow a scheduler address that is not loopback"},
      }};
  return *spec;
}

std::string BenchUsage() {
  std::string usage = cli::CommandUsage(BenchCommandSpec());
  if (absl::StartsWith(usage, kCliUsagePrefix)) {
    usage = absl::StrCat("usage: ", usage.substr(sizeof(kCliUsagePrefix) - 1));
  }
  return usage;
}

bool IsLoopbackTarget(const std::string& target) {
  absl::string_view rest = target;
  if (absl::StartsWith(rest, "unix:") || absl::StartsWith(rest, "unix-abstract:")) return true;
  for (absl::string_view scheme : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (absl::ConsumePrefix(&rest, scheme)) break;
  }
  std::string host;
  if (absl::StartsWith(rest, "[")) {
    size_t close = rest.find(']');
    if (close == absl::string_view::npos) return false;
    host = std::string(rest.substr(1, close - 1));
  } else {
    size_t colon = rest.rfind(':');
    host = std::string(colon == absl::string_view::npos ? rest : rest.substr(0, colon));
  }
  return IsLoopbackHost(host);
}

absl::StatusOr<BenchOptions> ParseBenchOptions(const cli::ParsedArgs& args,
                                               const char* env_address) {
  BenchOptions options;
  options.address = cli::ResolveConnection(args, cli::ClientEnvironment{env_address}).address;
  options.allow_remote = args.GetBool("allow_remote");
  if (!options.allow_remote && !IsLoopbackTarget(options.address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to load ", options.address,
        ": it is not a loopback address (127.0.0.0/8, ::1, localhost); pass --allow_remote "
        "to load a remote scheduler"));
  }

  std::optional<std::string> workflow = args.Get("workflow");
  if (!workflow.has_value() || workflow->empty()) {
    return absl::InvalidArgumentError("--workflow FILE is required");
  }
  options.workflow_path = *workflow;
  options.named_inputs = args.GetAll("input");
  options.inputs_json_path = args.Get("inputs_json");

  const bool has_total = args.Get("total").has_value();
  const bool has_duration = args.Get("duration").has_value();
  if (has_total && has_duration) {
    return absl::InvalidArgumentError("give either --total or --duration, not both");
  }
  if (has_duration) {
    absl::StatusOr<absl::Duration> duration = args.GetDuration("duration", absl::Seconds(1));
    if (!duration.ok()) return duration.status();
    if (*duration > kMaxDuration) {
      return absl::InvalidArgumentError(
          absl::StrCat("--duration must be at most ", absl::FormatDuration(kMaxDuration),
                       ", got ", absl::FormatDuration(*duration)));
    }
    options.duration = *duration;
  } else if (has_total) {
    absl::StatusOr<int64_t> total = GetInt64(args, "total", 1);
    if (!total.ok()) return total.status();
    options.total = *total;
  } else {
    options.total = kDefaultTotal;
  }

  absl::StatusOr<int> concurrency = args.GetInt("concurrency", 1, 1);
  if (!concurrency.ok()) return concurrency.status();
  if (*concurrency > kMaxConcurrency) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--concurrency must be at most ", kMaxConcurrency, ", got ", *concurrency));
  }
  options.concurrency = *concurrency;

  if (std::optional<std::string> rate = args.Get("rate"); rate.has_value()) {
    if (!absl::SimpleAtod(*rate, &options.rate) || !(options.rate >= 0) ||
        options.rate > 1e9) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--rate must be a number of runs per second >= 0 (0 = unlimited), got \"", *rate,
          "\""));
    }
  }
  if (args.Get("warmup").has_value()) {
    absl::StatusOr<int64_t> warmup = GetInt64(args, "warmup", 0);
    if (!warmup.ok()) return warmup.status();
    options.warmup = *warmup;
  }
  absl::StatusOr<absl::Duration> timeout = args.GetDuration("timeout", options.timeout);
  if (!timeout.ok()) return timeout.status();
  options.timeout = *timeout;
  options.json = args.GetBool("json");
  options.retry = !args.GetBool("no_retry");
  return options;
}

}  // namespace flowgrid::bench
