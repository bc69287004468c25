#include "scheduler/auth/api_keys.h"

#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "common/tls/token_file.h"
#include "common/workflow_file.h"

namespace flowgrid::auth {
namespace {

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool ValidKeyCharacters(absl::string_view key) {
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

absl::StatusOr<KeyTable> ParseWorkerToken(absl::string_view text, const std::string& path) {
  absl::StatusOr<std::string> token = tls::ParseTokenFile(text, path);
  if (!token.ok()) return token.status();
  KeyTable table;
  table.Add(kWorkerTokenName, *token);
  return table;
}

}  // namespace

absl::StatusOr<KeyTable> ParseApiKeys(absl::string_view text, const std::string& path) {
  KeyTable table;
  absl::flat_hash_map<std::string, int> name_lines;
  std::vector<int> key_lines;  // by table index
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("API keys file ", path, " line ", line_number, ": ", what));
    };
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) {
      return error(absl::StrCat("expected \"NAME KEY\", found ", fields.size(), " field(s)"));
    }
    const absl::string_view name = fields[0];
    const absl::string_view key = fields[1];
    if (!ValidName(name)) {
      return error("the name must be 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    if (key.size() < kMinApiKeyLength || !ValidKeyCharacters(key)) {
      return error(absl::StrCat("the key of ", name, " must be at least ", kMinApiKeyLength,
                                " printable ASCII characters"));
    }
    if (auto [it, inserted] = name_lines.try_emplace(std::string(name), line_number);
        !inserted) {
      return error(absl::StrCat("the name ", name, " is already used on line ", it->second));
    }
    if (std::optional<size_t> same = table.IndexOf(key); same.has_value()) {
      return error(absl::StrCat("the key of ", name, " is the same as the key of ",
                                table.name(*same), " on line ", key_lines[*same]));
    }
    table.Add(std::string(name), key);
    key_lines.push_back(line_number);
  }
  if (table.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("API keys file ", path, " holds no key"));
  }
  return table;
}

absl::StatusOr<std::unique_ptr<ApiKeys>> ApiKeys::LoadApiKeysFile(const std::string& path) {
  std::unique_ptr<ApiKeys> keys(new ApiKeys(path, "API key", ParseApiKeys));
  if (absl::Status s = keys->ReloadIfChanged(); !s.ok()) return s;
  return keys;
}

absl::StatusOr<std::unique_ptr<ApiKeys>> ApiKeys::LoadWorkerTokenFile(const std::string& path) {
  std::unique_ptr<ApiKeys> keys(new ApiKeys(path, "worker token", ParseWorkerToken));
  if (absl::Status s = keys->ReloadIfChanged(); !s.ok()) return s;
  return keys;
}

absl::StatusOr<std::string> ApiKeys::Authenticate(absl::string_view presented_key) const {
  std::shared_ptr<const KeyTable> keys;
  {
    absl::MutexLock lock(&mu_);
    keys = keys_;
  }
  std::optional<std::string> name;
  if (keys != nullptr) name = keys->Find(presented_key);
  if (!name.has_value()) return absl::UnauthenticatedError(absl::StrCat("unknown ", what_));
  return *std::move(name);
}

absl::Status ApiKeys::ReloadIfChanged() {
  absl::StatusOr<std::string> text = ReadFile(path_);
  absl::MutexLock lock(&mu_);
  const bool first = keys_ == nullptr;
  if (!text.ok()) {
    const absl::Status status(text.status().code(),
                              absl::StrCat("cannot read the ", what_, " file: ",
                                           text.status().message()));
    if (!first && status != last_status_) {
      LogError(absl::StrCat(status.message(), "; keeping the ", keys_->size(), " ", what_,
                            "(s) read before"));
    }
    last_status_ = status;
    last_content_ = {};
    return status;
  }
  const KeyTable::Digest content = KeyTable::DigestOf(*text);
  if (!first && content == last_content_) return last_status_;
  last_content_ = content;
  absl::StatusOr<KeyTable> parsed = parse_(*text, path_);
  if (!parsed.ok()) {
    if (!first) {
      LogError(absl::StrCat(parsed.status().message(), "; keeping the ", keys_->size(), " ",
                            what_, "(s) read before"));
    }
    last_status_ = parsed.status();
    return last_status_;
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < parsed->size(); ++i) names.push_back(parsed->name(i));
  LogInfo(absl::StrCat(first ? "read " : "reloaded ", parsed->size(), " ", what_, "(s) from ",
                       path_, " (", absl::StrJoin(names, ", "), ")"));
  keys_ = std::make_shared<const KeyTable>(*std::move(parsed));
  last_status_ = absl::OkStatus();
  return last_status_;
}

size_t ApiKeys::size() const {
  absl::MutexLock lock(&mu_);
  return keys_ == nullptr ? 0 : keys_->size();
}

}  // namespace flowgrid::auth
