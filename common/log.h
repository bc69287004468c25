// Minimal structured logging to stderr: one line per message,
// "<time> <LEVEL> <component>: <message>". Thread-safe (one write(2) per line).
#ifndef FLOWGRID_COMMON_LOG_H_
#define FLOWGRID_COMMON_LOG_H_

#include "absl/strings/string_view.h"

namespace flowgrid {

enum class LogLevel { kInfo, kWarning, kError };

// Sets the component name printed on every line (e.g. "scheduler").
void SetLogComponent(absl::string_view component);

void Log(LogLevel level, absl::string_view message);
inline void LogInfo(absl::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(absl::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(absl::string_view m) { Log(LogLevel::kError, m); }

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_LOG_H_
