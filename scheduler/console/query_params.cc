#include "scheduler/console/query_params.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace flowgrid::console {
namespace {

absl::StatusOr<std::string> Decode(absl::string_view encoded) {
  std::string decoded;
  decoded.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '+') {
      decoded.push_back(' ');
    } else if (encoded[i] != '%') {
      decoded.push_back(encoded[i]);
    } else {
      int byte = 0;
      if (i + 2 >= encoded.size() || !absl::ascii_isxdigit(encoded[i + 1]) ||
          !absl::ascii_isxdigit(encoded[i + 2]) ||
          !absl::SimpleHexAtoi(encoded.substr(i + 1, 2), &byte)) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed escape in query parameter \"", encoded, "\""));
      }
      decoded.push_back(static_cast<char>(byte));
      i += 2;
    }
  }
  return decoded;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseQuery(absl::string_view query) {
  std::map<std::string, std::string> params;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    absl::StatusOr<std::string> name = Decode(name_value.first);
    if (!name.ok()) return name.status();
    absl::StatusOr<std::string> value = Decode(name_value.second);
    if (!value.ok()) return value.status();
    if (!params.emplace(*std::move(name), *std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter \"", name_value.first, "\" is given twice"));
    }
  }
  return params;
}

}  // namespace flowgrid::console
