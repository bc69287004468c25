// The subcommands' bodies. Each returns the process exit code (options.h)
// and writes its results to stdout and its progress and errors to stderr.
#ifndef FLOWGRID_CLIENT_CLI_COMMANDS_H_
#define FLOWGRID_CLIENT_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/cli/options.h"
#include "client/sdk/client.h"

namespace flowgrid::cli {

// Prints "flowgridctl COMMAND: <message>" (plus how to start a cluster when
// the scheduler was unreachable, or how to give an API key when it refused
// the call) to stderr and returns `exit_code`.
int Fail(const std::string& command, int exit_code, const absl::Status& status);

// Reads a workflow file, JSON or Dify DSL (client/dify/workflow_loader.h),
// printing the Dify import's warnings as "flowgridctl COMMAND: warning: ..."
// to stderr.
absl::StatusOr<v1::Workflow> LoadWorkflowForCommand(const std::string& command,
                                                    const std::string& path);

// Client::Connect with `connection`'s address, TLS and API key (its key
// file read now) on top of `options`.
absl::StatusOr<std::unique_ptr<Client>> ConnectToScheduler(const Connection& connection,
                                                           ClientOptions options = {});

int RunCommand(const RunOptions& options);
int ImportDifyCommand(const ImportDifyOptions& options);
int ValidateCommand(const ValidateOptions& options);
int RunNodeCommand(const RunNodeOptions& options);
int RunsListCommand(const RunsListOptions& options);
int RunsShowCommand(const RunsShowOptions& options);
int RunsWatchCommand(const RunsWatchOptions& options);
int CancelCommand(const CancelOptions& options);
int WorkersListCommand(const WorkersListOptions& options);
int WorkersDrainCommand(const WorkersDrainOptions& options);
// Blocks SIGINT/SIGTERM/SIGCHLD in the calling thread to wait for them
// synchronously; call it from the main thread before any other threads exist.
int DevCommand(const DevOptions& options);

}  // namespace flowgrid::cli

#endif  // FLOWGRID_CLIENT_CLI_COMMANDS_H_
