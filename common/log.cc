#include "common/log.h"

#include <unistd.h>

#include <string>

#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace flowgrid {
namespace {

absl::Mutex component_mu;
std::string& Component() {
  static std::string* component = new std::string("flowgrid");
  return *component;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

}  // namespace

void SetLogComponent(absl::string_view component) {
  absl::MutexLock lock(&component_mu);
  Component() = std::string(component);
}

void Log(LogLevel level, absl::string_view message) {
  std::string component;
  {
    absl::MutexLock lock(&component_mu);
    component = Component();
  }
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " ", LevelName(level), " ", component, ": ", message, "\n");
  // One write so concurrent lines do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace flowgrid
