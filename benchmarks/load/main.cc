// flowgrid-bench: loads a scheduler's client API with workflow runs through
// the C++ SDK (each run submitted and watched to its final status) and
// reports throughput and latency. See benchmarks/README.md.
//
// Exit status: 0 when every measured run ended RUN_SUCCEEDED, 1 when some
// did not (the report still prints), 2 for a bad command line, an
// unreadable or invalid workflow, or an unreachable scheduler.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/load/load_loop.h"
#include "benchmarks/load/options.h"
#include "benchmarks/load/report.h"
#include "client/cli/format.h"
#include "client/cli/options.h"
#include "client/sdk/client.h"
#include "common/workflow_file.h"

namespace flowgrid::bench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRunsFailed = 1;
constexpr int kExitUsage = 2;

int Fail(const absl::Status& status) {
  std::cerr << "flowgrid-bench: " << status.message() << "\n";
  return kExitUsage;
}

absl::StatusOr<ValueMap> ReadInputs(const BenchOptions& options) {
  std::optional<std::string> inputs_json;
  if (options.inputs_json_path.has_value()) {
    absl::StatusOr<std::string> text = ReadFile(*options.inputs_json_path);
    if (!text.ok()) return text.status();
    inputs_json = *std::move(text);
  }
  return cli::BuildRunInputs(options.named_inputs, inputs_json);
}

// A run that did not succeed says why in its error (code and message).
std::string DescribeFailure(const v1::RunFinished& finished) {
  if (!finished.has_error()) return "(no error recorded)";
  std::string text = absl::StrCat(v1::ErrorCode_Name(finished.error().code()), ": ",
                                  finished.error().message());
  if (!finished.failed_node_id().empty()) {
    text = absl::StrCat("node ", finished.failed_node_id(), ": ", text);
  }
  return text;
}

int Main(int argc, char** argv) {
  absl::StatusOr<cli::ParsedArgs> args =
      cli::ParseArgs(BenchCommandSpec(), std::vector<std::string>(argv + 1, argv + argc));
  if (!args.ok()) {
    std::cerr << "flowgrid-bench: " << args.status().message() << "\n\n" << BenchUsage();
    return kExitUsage;
  }
  if (args->help) {
    std::cout << BenchUsage();
    return kExitOk;
  }
  absl::StatusOr<BenchOptions> options = ParseBenchOptions(*args, std::getenv(cli::kAddressEnvVar));
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(options->workflow_path);
  if (!workflow.ok()) return Fail(workflow.status());
  absl::StatusOr<ValueMap> inputs = ReadInputs(*options);
  if (!inputs.ok()) return Fail(inputs.status());

  ClientOptions client_options;
  client_options.call_timeout = options->timeout;
  client_options.watch_timeout = options->timeout;
  if (!options->retry) client_options.retry.max_attempts = 1;
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(options->address, client_options);
  if (!client.ok()) return Fail(client.status());

  // An invalid workflow would make every run an error: refuse it up front
  // with the scheduler's own diagnostics.
  absl::StatusOr<v1::ValidateWorkflowResponse> validation = (*client)->Validate(*workflow);
  if (!validation.ok()) return Fail(validation.status());
  if (!validation->valid()) {
    std::cerr << "flowgrid-bench: the scheduler rejects " << options->workflow_path << ":\n"
              << cli::FormatDiagnostics(*validation);
    return kExitUsage;
  }

  RunOnce run_once = [&]() -> absl::StatusOr<RunEnd> {
    absl::StatusOr<v1::RunFinished> finished =
        (*client)->Run(*workflow, *inputs, [](const v1::RunEvent&) {});
    if (!finished.ok()) return finished.status();
    RunEnd end{finished->status(), ""};
    if (end.status != v1::RUN_SUCCEEDED) end.failure = DescribeFailure(*finished);
    return end;
  };

  if (options->warmup > 0) {
    LoadResult warmup =
        RunLoad({options->warmup, kMaxDuration, options->concurrency, /*rate=*/0}, run_once);
    Report warmup_report = BuildReport(*options, warmup);
    std::cerr << "flowgrid-bench: warmup: " << warmup_report.finished << " runs in "
              << absl::FormatDuration(absl::Trunc(warmup.elapsed, absl::Milliseconds(1)))
              << (warmup_report.AllSucceeded() ? "" : " (not all succeeded)") << "\n";
  }
  LoadResult result = RunLoad({options->total, options->duration.value_or(kMaxDuration),
                               options->concurrency, options->rate},
                              run_once);
  Report report = BuildReport(*options, result);
  std::cout << (options->json ? FormatJson(report) : FormatText(report)) << std::flush;
  return report.AllSucceeded() ? kExitOk : kExitRunsFailed;
}

}  // namespace
}  // namespace flowgrid::bench

int main(int argc, char** argv) { return flowgrid::bench::Main(argc, argv); }
