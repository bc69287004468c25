// Who may call the console's /api/: when the scheduler has client API keys
// (--api_keys_file), a request carries one as `Authorization: Bearer
// <key>`. The console checks it itself with the same keys as the client
// port, because its calls reach the services through an in-process channel
// that the port's own check never sees.
#ifndef FLOWGRID_SCHEDULER_CONSOLE_API_AUTH_H_
#define FLOWGRID_SCHEDULER_CONSOLE_API_AUTH_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowgrid::console {

// Checks a presented key: the client's name, or Unauthenticated for an
// unknown key (never echoing it).
using ApiKeyCheck = std::function<absl::StatusOr<std::string>(absl::string_view key)>;

// The client name for a request's Authorization header value. With no
// `check` (keys off) every request passes, as "". Unauthenticated, saying
// what is wrong (no header, not a Bearer key, unknown key) without the key.
absl::StatusOr<std::string> AuthenticateRequest(const ApiKeyCheck& check,
                                                absl::string_view authorization);

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_API_AUTH_H_
