#include "worker/runtimes/python/python_runtime.h"

#include "absl/strings/str_cat.h"
#include "common/value_json.h"
#include "nlohmann/json.hpp"
#include "worker/runtimes/python/harness_source.h"

namespace flowgrid::runtimes::python {

absl::StatusOr<sandbox::SandboxRequest> PythonSandboxRequest(const v1::Job& job,
                                                             const std::string& python_path) {
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& [name, value] : job.inputs()) {
    absl::StatusOr<nlohmann::json> encoded = ValueToJsonDocument(value);
    if (!encoded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input \"", name, "\": ", encoded.status().message()));
    }
    inputs[name] = *std::move(encoded);
  }
  nlohmann::json input = {{"code", job.code()}, {"inputs", std::move(inputs)}};

  sandbox::SandboxRequest request;
  request.executable = python_path;
  request.argv = {python_path, "-I", "-S", "-c", std::string(HarnessSource())};
  request.env = {"LC_ALL=C.UTF-8"};
  // Protobuf strings are valid UTF-8 already; "replace" only rules out a throw.
  request.input = input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return request;
}

}  // namespace flowgrid::runtimes::python
