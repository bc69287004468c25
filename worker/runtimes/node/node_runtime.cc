#include "worker/runtimes/node/node_runtime.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/runtimes/harness_input.h"
#include "worker/runtimes/harness_source.h"

namespace flowgrid::runtimes::node {
namespace {

constexpr int64_t kMiB = 1 << 20;

}  // namespace

absl::StatusOr<sandbox::SandboxRequest> NodeSandboxRequest(const v1::Job& job,
                                                           const std::string& node_path) {
  absl::StatusOr<sandbox::SandboxRequest> request = HarnessRequest(job, node_path);
  if (!request.ok()) return request.status();
  sandbox::SandboxRequest program = NodeProgram(node_path, job.limits().memory_bytes());
  request->argv = std::move(program.argv);
  request->env = std::move(program.env);
  return request;
}

sandbox::SandboxRequest NodeProgram(const std::string& node_path, int64_t memory_bytes) {
  sandbox::SandboxRequest program;
  program.executable = node_path;
  program.argv = {node_path};
  if (memory_bytes >= kMiB) {
    program.argv.push_back(absl::StrCat("--max-old-space-size=", memory_bytes / kMiB));
  }
  for (const char* flag : {"--v8-pool-size=0", "--no-addons", "--no-experimental-fetch", "-e"}) {
    program.argv.emplace_back(flag);
  }
  program.argv.emplace_back(NodeHarnessSource());
  return program;
}

}  // namespace flowgrid::runtimes::node
