// `flowgridctl runs list`, `runs show` and `cancel`: the run history and
// run control, through the SDK.
#include <iostream>

#include "client/cli/commands.h"
#include "client/cli/format.h"
#include "client/sdk/client.h"

namespace flowgrid::cli {
namespace {

// NOT_FOUND (unknown run) and FAILED_PRECONDITION (e.g. cancelling a
// finished run) are answers about the run, not usage errors: exit 1.
int FailCall(const std::string& command, const absl::Status& status) {
  const bool about_the_run = status.code() == absl::StatusCode::kNotFound ||
                             status.code() == absl::StatusCode::kFailedPrecondition;
  return Fail(command, about_the_run ? kExitFailed : kExitUsage, status);
}

}  // namespace

int RunsListCommand(const RunsListOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToScheduler(options.connection);
  if (!client.ok()) return Fail("runs list", kExitUsage, client.status());
  absl::StatusOr<v1::ListRunsResponse> page =
      (*client)->List(options.limit, options.page_token, options.status);
  if (!page.ok()) return FailCall("runs list", page.status());
  absl::StatusOr<std::string> text = FormatRunList(*page, options.output);
  if (!text.ok()) return Fail("runs list", kExitFailed, text.status());
  std::cout << *text << std::flush;
  return kExitOk;
}

int RunsShowCommand(const RunsShowOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToScheduler(options.connection);
  if (!client.ok()) return Fail("runs show", kExitUsage, client.status());
  absl::StatusOr<v1::Run> run = (*client)->Get(options.run_id);
  if (!run.ok()) return FailCall("runs show", run.status());
  absl::StatusOr<std::string> text = FormatRun(*run, options.output);
  if (!text.ok()) return Fail("runs show", kExitFailed, text.status());
  std::cout << *text << std::flush;
  return kExitOk;
}

int CancelCommand(const CancelOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectToScheduler(options.connection);
  if (!client.ok()) return Fail("cancel", kExitUsage, client.status());
  absl::StatusOr<v1::Run> run = (*client)->Cancel(options.run_id);
  if (!run.ok()) return FailCall("cancel", run.status());
  std::cout << "run " << run->run_id() << " " << RunStatusText(run->status()) << "\n"
            << std::flush;
  return kExitOk;
}

}  // namespace flowgrid::cli
