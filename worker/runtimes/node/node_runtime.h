// The JavaScript runtime: how a code-node job becomes a sandboxed
// `node <flags> -e <harness.js>` process (RUN_CODE and CHECK_CODE; Node
// does not render templates).
//
// A fresh Node.js process costs ≈ 130 ms here; node_pool.h keeps processes
// started before their jobs (Node cannot fork a warm interpreter).
#ifndef FLOWGRID_WORKER_RUNTIMES_NODE_NODE_RUNTIME_H_
#define FLOWGRID_WORKER_RUNTIMES_NODE_NODE_RUNTIME_H_

#include <string>

#include "absl/status/statusor.h"
#include "flowgrid/v1/worker.pb.h"
#include "worker/sandbox/sandbox.h"

namespace flowgrid::runtimes::node {

// The program, arguments, environment and input (runtimes/harness_input.h)
// for `job`; limits are left to the caller. `node_path` is absolute. Flags:
//   --max-old-space-size  limits.memory_bytes in MiB, when set: V8 aborts
//                         the process beyond it (SIGABRT).
//   --v8-pool-size=0      no V8 worker threads: they cost ~15 ms of start-up
//                         and a short single job has no use for them.
//   --no-addons           no native addons (a shared library is code the
//                         harness cannot vet).
//   --no-experimental-fetch  no fetch/Request/Response globals: code nodes
//                         make no network calls.
// Code generation from strings (eval, new Function) stays allowed: user code
// may rely on it, and such code finds the same globals as the user's own,
// without process or require (see harness.js).
// The environment is empty (no NODE_OPTIONS can reach the process).
// Fails as HarnessRequest does.
absl::StatusOr<sandbox::SandboxRequest> NodeSandboxRequest(const v1::Job& job,
                                                           const std::string& node_path);

// The program (executable, argv, env; no input) of NodeSandboxRequest for
// jobs whose limits.memory_bytes is `memory_bytes` (the only part of the
// job in node's command line): what a NodePool starts before the job.
sandbox::SandboxRequest NodeProgram(const std::string& node_path, int64_t memory_bytes);

}  // namespace flowgrid::runtimes::node

#endif  // FLOWGRID_WORKER_RUNTIMES_NODE_NODE_RUNTIME_H_
