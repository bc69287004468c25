// flowgrid-bench's command line: the flag set and the typed, checked
// options parsed from it. Pure (no I/O), so every rule is unit-tested.
//
// Bounds, so that a typo cannot turn a benchmark into a runaway load:
// exactly one of --total / --duration (neither: --total=200), a hard cap on
// the wall time of the measured phase (kMaxDuration, also for --total), a
// cap on concurrency, and a loopback-only target unless --allow_remote.
#ifndef FLOWGRID_BENCHMARKS_LOAD_OPTIONS_H_
#define FLOWGRID_BENCHMARKS_LOAD_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/args.h"

namespace flowgrid::bench {

inline constexpr int64_t kDefaultTotal = 200;
inline constexpr absl::Duration kMaxDuration = absl::Minutes(10);
inline constexpr int kMaxConcurrency = 512;

struct BenchOptions {
  std::string address;
  std::string workflow_path;
  std::vector<std::string> named_inputs;  // "name=value", command-line order
  std::optional<std::string> inputs_json_path;
  // Exactly one of the two is set.
  std::optional<int64_t> total;
  std::optional<absl::Duration> duration;
  int concurrency = 1;
  double rate = 0;  // runs started per second over all workers; 0 = unlimited
  int64_t warmup = 0;
  // Deadline of each call of a run (its submission, and the wait for its
  // final status).
  absl::Duration timeout = absl::Seconds(30);
  bool json = false;
  bool allow_remote = false;
  // The SDK's retries of UNAVAILABLE / RESOURCE_EXHAUSTED (--no_retry: one
  // attempt per call, so a full scheduler shows as RESOURCE_EXHAUSTED in
  // the error counts instead of as latency).
  bool retry = true;
};

const cli::CommandSpec& BenchCommandSpec();

// "usage: flowgrid-bench [flags]" and one line per flag.
std::string BenchUsage();

// `env_address` is $FLOWGRID_ADDR (nullptr or empty = unset). Errors name
// the flag and the bad value; a non-loopback address without --allow_remote
// is an error that says how to allow it.
absl::StatusOr<BenchOptions> ParseBenchOptions(const cli::ParsedArgs& args,
                                               const char* env_address);

// Whether a gRPC target (HOST:PORT, [V6]:PORT, or unix:PATH) names this
// machine only: 127.0.0.0/8, ::1, localhost, or a unix socket. A DNS scheme
// or an ipv4:/ipv6: prefix is looked through.
bool IsLoopbackTarget(const std::string& target);

}  // namespace flowgrid::bench

#endif  // FLOWGRID_BENCHMARKS_LOAD_OPTIONS_H_
