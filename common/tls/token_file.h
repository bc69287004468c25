// The shared worker token file (scheduler --worker_token_file, worker
// --token_file): its first line, without surrounding whitespace, at least
// kMinTokenLength characters. Errors name the file, never the token.
#ifndef FLOWGRID_COMMON_TLS_TOKEN_FILE_H_
#define FLOWGRID_COMMON_TLS_TOKEN_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowgrid::tls {

inline constexpr size_t kMinTokenLength = 16;

absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// The token in a token file's text (`path` names it in errors).
absl::StatusOr<std::string> ParseTokenFile(absl::string_view text, const std::string& path);

}  // namespace flowgrid::tls

#endif  // FLOWGRID_COMMON_TLS_TOKEN_FILE_H_
