#include "scheduler/auth/bearer_auth_processor.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "scheduler/service/client_identity.h"

namespace flowgrid::auth {
namespace {

constexpr absl::string_view kHealthPathPrefix = "/grpc.health.v1.Health/";

absl::string_view View(const grpc::string_ref& ref) { return {ref.data(), ref.size()}; }

}  // namespace

grpc::Status BearerAuthProcessor::Process(const InputMetadata& auth_metadata,
                                          grpc::AuthContext* context,
                                          OutputMetadata* consumed_auth_metadata,
                                          OutputMetadata* response_metadata) {
  if (auto path = auth_metadata.find(":path");
      path != auth_metadata.end() && absl::StartsWith(View(path->second), kHealthPathPrefix)) {
    return grpc::Status::OK;
  }
  std::string header;
  absl::string_view key;
  if (auto it = auth_metadata.find("authorization"); it != auth_metadata.end()) {
    header = "authorization";
    absl::string_view value = absl::StripAsciiWhitespace(View(it->second));
    constexpr absl::string_view kBearer = "bearer ";
    if (value.size() <= kBearer.size() ||
        !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat("the authorization header must be \"Bearer <",
                                       keys_->what(), ">\""));
    }
    key = absl::StripLeadingAsciiWhitespace(value.substr(kBearer.size()));
  } else if (auto it = auth_metadata.find("x-api-key");
             accept_x_api_key_ && it != auth_metadata.end()) {
    header = "x-api-key";
    key = absl::StripAsciiWhitespace(View(it->second));
  } else {
    return grpc::Status(
        grpc::StatusCode::UNAUTHENTICATED,
        absl::StrCat("missing ", keys_->what(), ": send metadata \"authorization: Bearer <",
                     keys_->what(), ">\"",
                     accept_x_api_key_ ? absl::StrCat(" or \"x-api-key: <", keys_->what(), ">\"")
                                       : ""));
  }
  absl::StatusOr<std::string> name = keys_->Authenticate(key);
  if (!name.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(name.status().message()));
  }
  context->AddProperty(service::kClientIdProperty, *name);
  consumed_auth_metadata->emplace(header, std::string(View(auth_metadata.find(header)->second)));
  return grpc::Status::OK;
}

}  // namespace flowgrid::auth
