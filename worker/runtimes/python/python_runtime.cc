#include "worker/runtimes/python/python_runtime.h"

#include "worker/runtimes/harness_input.h"
#include "worker/runtimes/harness_source.h"

namespace flowgrid::runtimes::python {

absl::StatusOr<sandbox::SandboxRequest> PythonSandboxRequest(const v1::Job& job,
                                                             const std::string& python_path) {
  absl::StatusOr<sandbox::SandboxRequest> request = HarnessRequest(job, python_path);
  if (!request.ok()) return request.status();
  for (const char* flag : {"-I", "-S", "-c"}) request->argv.emplace_back(flag);
  request->argv.emplace_back(PythonHarnessSource());
  request->env = {"LC_ALL=C.UTF-8"};
  return request;
}

}  // namespace flowgrid::runtimes::python
