#include "worker/runtimes/harness_input.h"

#include "absl/strings/str_cat.h"
#include "common/value_json.h"
#include "nlohmann/json.hpp"

namespace flowgrid::runtimes {
namespace {

absl::StatusOr<std::string> KindName(v1::Job::Kind kind) {
  switch (kind) {
    case v1::Job::RUN_CODE: return std::string("run");
    case v1::Job::RENDER_TEMPLATE: return std::string("template");
    case v1::Job::CHECK_CODE: return std::string("check");
    default: break;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown job kind ", static_cast<int>(kind)));
}

}  // namespace

absl::StatusOr<sandbox::SandboxRequest> HarnessRequest(const v1::Job& job,
                                                       const std::string& executable) {
  absl::StatusOr<std::string> kind = KindName(job.kind());
  if (!kind.ok()) return kind.status();
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& [name, value] : job.inputs()) {
    absl::StatusOr<nlohmann::json> encoded = ValueToJsonDocument(value);
    if (!encoded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input \"", name, "\": ", encoded.status().message()));
    }
    inputs[name] = *std::move(encoded);
  }
  nlohmann::json input = {{"kind", *kind}, {"code", job.code()}, {"inputs", std::move(inputs)}};
  sandbox::SandboxRequest request;
  request.executable = executable;
  request.argv = {executable};
  // Protobuf strings are valid UTF-8 already; "replace" only rules out a throw.
  request.input = input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return request;
}

}  // namespace flowgrid::runtimes
