#include "client/cli/dev_api_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/workflow_file.h"

namespace flowgrid::cli {
namespace {

// The scheduler takes keys of at least 16 characters; a new one has 64.
constexpr size_t kMinKeyLength = 16;

std::string NewKey() {
  std::random_device random;  // the kernel's getrandom on Linux
  std::string key;
  for (int i = 0; i < 8; ++i) absl::StrAppendFormat(&key, "%08x", random());
  return key;
}

// The key dev.key holds, if it holds a usable one.
std::string ExistingKey(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return "";
  const std::string key(absl::StripAsciiWhitespace(text->substr(0, text->find('\n'))));
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return "";
  }
  return key.size() >= kMinKeyLength ? key : "";
}

// Replaces `path` with `content`, readable by its owner only: written to a
// new file first, so the scheduler watching the keys file never reads half
// of one.
absl::Status WritePrivateFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  // An existing file keeps its mode through O_TRUNC.
  bool ok = fchmod(fd, 0600) == 0 &&
            write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  const int saved_errno = errno;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(ok ? errno : saved_errno);
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", reason));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DevApiKey> EnsureDevApiKey(const std::string& data_dir) {
  DevApiKey files{absl::StrCat(data_dir, "/api-keys"), absl::StrCat(data_dir, "/dev.key")};
  std::string key = ExistingKey(files.key_file);
  if (key.empty()) key = NewKey();
  if (absl::Status written = WritePrivateFile(files.key_file, key + "\n"); !written.ok()) {
    return written;
  }
  if (absl::Status written = WritePrivateFile(
          files.keys_file, absl::StrCat("# flowgridctl dev: NAME KEY\ndev ", key, "\n"));
      !written.ok()) {
    return written;
  }
  return files;
}

}  // namespace flowgrid::cli
