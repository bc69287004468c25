// The subcommands' bodies. Each returns the process exit code (options.h)
// and writes its results to stdout and its progress and errors to stderr.
#ifndef FLOWGRID_CLIENT_CLI_COMMANDS_H_
#define FLOWGRID_CLIENT_CLI_COMMANDS_H_

#include "client/cli/options.h"

namespace flowgrid::cli {

int RunCommand(const RunOptions& options);
int ValidateCommand(const ValidateOptions& options);
// Blocks SIGINT/SIGTERM/SIGCHLD in the calling thread to wait for them
// synchronously; call it from the main thread before any other threads exist.
int DevCommand(const DevOptions& options);

}  // namespace flowgrid::cli

#endif  // FLOWGRID_CLIENT_CLI_COMMANDS_H_
