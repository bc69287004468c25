#include "common/tls/token_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/workflow_file.h"

namespace flowgrid::tls {

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTokenFile(*text, path);
}

absl::StatusOr<std::string> ParseTokenFile(absl::string_view text, const std::string& path) {
  const absl::string_view token = absl::StripAsciiWhitespace(text.substr(0, text.find('\n')));
  if (token.size() < kMinTokenLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("token file ", path, ": its first line must hold a token of at least ",
                     kMinTokenLength, " characters (it has ", token.size(), ")"));
  }
  return std::string(token);
}

}  // namespace flowgrid::tls
