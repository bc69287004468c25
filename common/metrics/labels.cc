#include "common/metrics/labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"

namespace flowgrid::metrics {

std::string LanguageLabel(v1::CodeNode::Language language) {
  if (language != v1::CodeNode::PYTHON3 && language != v1::CodeNode::JAVASCRIPT) {
    return "unspecified";
  }
  return absl::AsciiStrToLower(v1::CodeNode::Language_Name(language));
}

v1::ErrorCode Verdict(const v1::NodeResult& result) {
  if (result.status() == v1::NODE_SUCCEEDED) return v1::ERROR_CODE_UNSPECIFIED;
  const v1::ErrorCode code = result.error().code();
  return code == v1::ERROR_CODE_UNSPECIFIED || !v1::ErrorCode_IsValid(code) ? v1::INTERNAL : code;
}

std::string VerdictLabel(v1::ErrorCode verdict) {
  if (verdict == v1::ERROR_CODE_UNSPECIFIED) return "ok";
  return absl::AsciiStrToLower(v1::ErrorCode_Name(verdict));
}

std::string RunStatusLabel(v1::RunStatus status) {
  absl::string_view name = v1::RunStatus_Name(status);
  absl::ConsumePrefix(&name, "RUN_");
  return absl::AsciiStrToLower(name);
}

std::string RejectionLabel(Rejection why) {
  switch (why) {
    case Rejection::kOverloaded:
      return "overloaded";
    case Rejection::kInvalid:
      return "invalid";
    case Rejection::kTooLarge:
      return "too_large";
    case Rejection::kRateLimited:
      return "rate_limited";
  }
  return "invalid";
}

}  // namespace flowgrid::metrics
