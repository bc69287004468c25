#include "worker/runtimes/node/node_runtime.h"

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
  if (job.limits().memory_bytes() >= kMiB) {
    request->argv.push_back(
        absl::StrCat("--max-old-space-size=", job.limits().memory_bytes() / kMiB));
  }
  for (const char* flag : {"--v8-pool-size=0", "--no-addons", "--no-experimental-fetch", "-e"}) {
    request->argv.emplace_back(flag);
  }
  request->argv.emplace_back(NodeHarnessSource());
  return request;
}

}  // namespace flowgrid::runtimes::node
