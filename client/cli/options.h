// flowgridctl's subcommands: their flag sets and the typed options parsed
// from them. Pure (no I/O beyond what the caller passes in), so every rule
// here is unit-tested without a server.
#ifndef FLOWGRID_CLIENT_CLI_OPTIONS_H_
#define FLOWGRID_CLIENT_CLI_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/args.h"
#include "common/value_json.h"

namespace flowgrid::cli {

// Exit codes shared by all subcommands.
inline constexpr int kExitOk = 0;
// The run failed, was cancelled or outlived --timeout; the workflow is
// invalid (validate).
inline constexpr int kExitFailed = 1;
// Bad command line, unreadable or malformed file, workflow rejected by the
// scheduler, or the scheduler could not be reached.
inline constexpr int kExitUsage = 2;

inline constexpr char kDefaultAddress[] = "127.0.0.1:7070";
inline constexpr char kAddressEnvVar[] = "FLOWGRID_ADDR";
inline constexpr char kTlsCaEnvVar[] = "FLOWGRID_TLS_CA";
inline constexpr char kApiKeyEnvVar[] = "FLOWGRID_API_KEY";
inline constexpr char kApiKeyFileEnvVar[] = "FLOWGRID_API_KEY_FILE";

// The environment variables the client commands default to (nullptr or
// empty: unset). main.cc reads them from the process.
struct ClientEnvironment {
  const char* address = nullptr;       // $FLOWGRID_ADDR
  const char* tls_ca = nullptr;        // $FLOWGRID_TLS_CA
  const char* api_key = nullptr;       // $FLOWGRID_API_KEY
  const char* api_key_file = nullptr;  // $FLOWGRID_API_KEY_FILE
};

// Where and how a client command reaches the scheduler.
struct Connection {
  std::string address;
  // Set: TLS, the scheduler's certificate checked against this CA bundle.
  // Empty: plaintext.
  std::string tls_ca_file;
  // The name expected in the scheduler's certificate (empty: the address's
  // host); needs TLS.
  std::string tls_server_name;
  // The API key itself ($FLOWGRID_API_KEY), or the file holding it, read
  // when connecting; at most one is set, neither: no key.
  std::string api_key;
  std::string api_key_file;
};

// Each setting from its flag, else from the environment, else the default:
//   address     --addr, $FLOWGRID_ADDR, 127.0.0.1:7070
//   TLS CA      --tls_ca, $FLOWGRID_TLS_CA, none (plaintext); --tls_ca=""
//               turns TLS off whatever the environment says
//   server name --tls_server_name
//   API key     --api_key_file, $FLOWGRID_API_KEY, $FLOWGRID_API_KEY_FILE,
//               none; --api_key_file="" sends none
// (No flag takes the key itself: a command line is visible to every user.)
Connection ResolveConnection(const ParsedArgs& args, const ClientEnvironment& env);

const CommandSpec& RunCommandSpec();
const CommandSpec& ValidateCommandSpec();
const CommandSpec& DevCommandSpec();
const CommandSpec& RunsListCommandSpec();
const CommandSpec& RunsShowCommandSpec();
const CommandSpec& RunsWatchCommandSpec();
const CommandSpec& RunNodeCommandSpec();
const CommandSpec& CancelCommandSpec();
const CommandSpec& WorkersListCommandSpec();
const CommandSpec& WorkersDrainCommandSpec();
const CommandSpec& ImportDifyCommandSpec();
std::vector<CommandSpec> AllCommandSpecs();


enum class OutputFormat { kTable, kJson };
// The --output flag (default table); the error names the bad value.
absl::StatusOr<OutputFormat> ParseOutputFormat(const ParsedArgs& args);

// How `run` and `runs watch` follow a run: --output, --timeout, --quiet.
struct WatchFlags {
  OutputFormat output = OutputFormat::kTable;
  // Bound on the whole run as watched by the CLI.
  absl::Duration timeout = absl::InfiniteDuration();
  bool quiet = false;  // no progress on stderr
};
absl::StatusOr<WatchFlags> ParseWatchFlags(const ParsedArgs& args);

struct RunOptions {
  std::string workflow_path;
  std::vector<std::string> named_inputs;  // "name=value", command-line order
  std::optional<std::string> inputs_json_path;
  std::vector<std::string> named_system;  // --sys "name=value", command-line order
  Connection connection;
  WatchFlags watch;
};
absl::StatusOr<RunOptions> ParseRunOptions(const ParsedArgs& args, const ClientEnvironment& env);

// The run inputs: the JSON object from --inputs_json (when given), then each
// --input on top of it, a later one replacing an earlier one of the same name.
absl::StatusOr<ValueMap> BuildRunInputs(const std::vector<std::string>& named_inputs,
                                        const std::optional<std::string>& inputs_json_text);

// The system variables (["sys", name]) from --sys flags, a later one
// replacing an earlier one of the same name.
absl::StatusOr<ValueMap> BuildSystemInputs(const std::vector<std::string>& named_system);

struct ValidateOptions {
  std::string workflow_path;
  Connection connection;
};
ValidateOptions ParseValidateOptions(const ParsedArgs& args, const ClientEnvironment& env);

struct DevOptions {
  // TLS on both ports (a dev PKI under <data_dir>/tls, workers with client
  // certificates) and a generated API key; --insecure turns both off.
  bool secure = true;
  int workers = 1;
  int slots = 2;
  std::string data_dir;
  std::string client_addr;
  std::string worker_addr;
  std::string scheduler_binary;
  std::string worker_binary;
  std::vector<std::string> worker_args;
  // The scheduler's web console (--console_addr); empty: off.
  std::string console_addr;
};
// `binary_dir` is where flowgridctl itself lives: the default location of
// flowgrid-scheduler and flowgrid-worker.
absl::StatusOr<DevOptions> ParseDevOptions(const ParsedArgs& args,
                                           const std::string& binary_dir);

// A run status as written on the command line: "succeeded",
// "PARTIAL_SUCCEEDED", "RUN_FAILED" (case-insensitive, prefix optional).
absl::StatusOr<v1::RunStatus> ParseRunStatus(const std::string& text);

struct RunsListOptions {
  Connection connection;
  v1::RunStatus status = v1::RUN_STATUS_UNSPECIFIED;  // unspecified = all
  int limit = 20;
  std::string page_token;
  OutputFormat output = OutputFormat::kTable;
};
absl::StatusOr<RunsListOptions> ParseRunsListOptions(const ParsedArgs& args,
                                                     const ClientEnvironment& env);

struct RunsShowOptions {
  std::string run_id;
  Connection connection;
  OutputFormat output = OutputFormat::kTable;
};
absl::StatusOr<RunsShowOptions> ParseRunsShowOptions(const ParsedArgs& args,
                                                     const ClientEnvironment& env);

struct RunsWatchOptions {
  std::string run_id;
  int64_t after_sequence = 0;  // events after this one are shown
  Connection connection;
  WatchFlags watch;
};
absl::StatusOr<RunsWatchOptions> ParseRunsWatchOptions(const ParsedArgs& args,
                                                       const ClientEnvironment& env);

struct RunNodeOptions {
  std::string workflow_path;
  std::string node_id;
  std::vector<std::string> named_inputs;
  std::optional<std::string> inputs_json_path;
  Connection connection;
  OutputFormat output = OutputFormat::kTable;
};
absl::StatusOr<RunNodeOptions> ParseRunNodeOptions(const ParsedArgs& args,
                                                   const ClientEnvironment& env);

struct CancelOptions {
  std::string run_id;
  Connection connection;
};
CancelOptions ParseCancelOptions(const ParsedArgs& args, const ClientEnvironment& env);

struct WorkersListOptions {
  Connection connection;
  OutputFormat output = OutputFormat::kTable;
};
absl::StatusOr<WorkersListOptions> ParseWorkersListOptions(const ParsedArgs& args,
                                                           const ClientEnvironment& env);

struct WorkersDrainOptions {
  std::string worker_id;
  Connection connection;
};
WorkersDrainOptions ParseWorkersDrainOptions(const ParsedArgs& args, const ClientEnvironment& env);

struct ImportDifyOptions {
  std::string dify_path;
  // Where the workflow JSON goes; stdout when unset.
  std::optional<std::string> out_path;
};
ImportDifyOptions ParseImportDifyOptions(const ParsedArgs& args);

}  // namespace flowgrid::cli

#endif  // FLOWGRID_CLIENT_CLI_OPTIONS_H_
