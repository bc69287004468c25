#include "scheduler/console/api_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace flowgrid::console {

absl::StatusOr<std::string> AuthenticateRequest(const ApiKeyCheck& check,
                                                absl::string_view authorization) {
  if (!check) return std::string();
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "this console needs an API key: send it as \"Authorization: Bearer <key>\"");
  }
  absl::string_view key = absl::StripAsciiWhitespace(authorization);
  // The scheme is case-insensitive (RFC 9110).
  if (!absl::StartsWithIgnoreCase(key, "bearer ")) {
    return absl::UnauthenticatedError(
        "the Authorization header is not a Bearer key (\"Authorization: Bearer <key>\")");
  }
  key = absl::StripLeadingAsciiWhitespace(key.substr(7));
  absl::StatusOr<std::string> client = check(key);
  if (!client.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("the API key was refused: ", client.status().message()));
  }
  return client;
}

}  // namespace flowgrid::console
