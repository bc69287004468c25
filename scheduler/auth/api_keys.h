// Secret keys read from a file, each naming its caller, re-read when the
// file changes: the client API keys (--api_keys_file) and the shared worker
// token (--worker_token_file). Usable without gRPC (the console's HTTP
// gateway checks its Authorization header with it).
//
// API keys file: one "NAME KEY" per line, separated by spaces or tabs;
// blank lines and lines starting with '#' are ignored. NAME is
// [A-Za-z0-9._-]{1,64}, KEY at least 16 printable ASCII characters without
// spaces. A duplicate name or key, a malformed line or a file without any
// key is an error naming the file and line (never the key, nor a field that
// might be one).
//
// Worker token file: common/tls/token_file.h; its token names "worker".
//
// Rotation: ReloadIfChanged() re-reads the file; when its content differs
// from the last one read and parses, the new keys replace the old ones at
// once (calls in flight keep the answer they got). A file that fails to read
// or parse keeps the previous keys and returns (and logs, once per distinct
// content) the error. Thread-safe.
#ifndef FLOWGRID_SCHEDULER_AUTH_API_KEYS_H_
#define FLOWGRID_SCHEDULER_AUTH_API_KEYS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "scheduler/auth/key_table.h"

namespace flowgrid::auth {

inline constexpr size_t kMinApiKeyLength = 16;
// The name the worker token authenticates as.
inline constexpr char kWorkerTokenName[] = "worker";

// Parses an API keys file's text; `path` names it in errors.
absl::StatusOr<KeyTable> ParseApiKeys(absl::string_view text, const std::string& path);

class ApiKeys {
 public:
  using Parser =
      std::function<absl::StatusOr<KeyTable>(absl::string_view text, const std::string& path)>;

  // Reads an API keys file; an error if it cannot be read or parsed.
  static absl::StatusOr<std::unique_ptr<ApiKeys>> LoadApiKeysFile(const std::string& path);
  // Reads a worker token file (one key named kWorkerTokenName).
  static absl::StatusOr<std::unique_ptr<ApiKeys>> LoadWorkerTokenFile(const std::string& path);

  // The caller's name when `presented_key` is one of the keys;
  // UNAUTHENTICATED "unknown ..." otherwise (the key is not in the message).
  absl::StatusOr<std::string> Authenticate(absl::string_view presented_key) const;

  // Re-reads the file (see the rotation contract above). OK when the keys
  // are the file's current content.
  absl::Status ReloadIfChanged();

  const std::string& path() const { return path_; }
  // "API key" or "worker token", for messages.
  const std::string& what() const { return what_; }
  size_t size() const;

 private:
  ApiKeys(std::string path, std::string what, Parser parse)
      : path_(std::move(path)), what_(std::move(what)), parse_(std::move(parse)) {}

  const std::string path_;
  const std::string what_;
  const Parser parse_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const KeyTable> keys_ ABSL_GUARDED_BY(mu_);
  // Digest of the content last read, valid or not: unchanged content is
  // neither parsed nor reported again.
  KeyTable::Digest last_content_ ABSL_GUARDED_BY(mu_) = {};
  absl::Status last_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowgrid::auth

#endif  // FLOWGRID_SCHEDULER_AUTH_API_KEYS_H_
