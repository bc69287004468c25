#include "client/sdk/credentials.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/workflow_file.h"

namespace flowgrid {

absl::StatusOr<std::string> ReadApiKeyFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("cannot read the API key file ", text.status().message()));
  }
  const std::string first_line = text->substr(0, text->find('\n'));
  const std::string key(absl::StripAsciiWhitespace(first_line));
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the API key file ", path, " has no key on its first line"));
  }
  return key;
}

}  // namespace flowgrid
