// The API key of `flowgridctl dev`'s cluster: one client named `dev`.
#ifndef FLOWGRID_CLIENT_CLI_DEV_API_KEY_H_
#define FLOWGRID_CLIENT_CLI_DEV_API_KEY_H_

#include <string>

#include "absl/status/statusor.h"

namespace flowgrid::cli {

struct DevApiKey {
  std::string keys_file;  // <data_dir>/api-keys: "dev <key>", the scheduler's --api_keys_file
  std::string key_file;   // <data_dir>/dev.key: the key alone, for FLOWGRID_API_KEY_FILE
};

// Writes both files (mode 0600) under the existing directory `data_dir`.
// The key already in dev.key is kept when it is a valid one, so that a
// shell's exported FLOWGRID_API_KEY_FILE stays good across restarts of dev;
// otherwise a new one is made (32 random bytes, hex). Errors name the file.
absl::StatusOr<DevApiKey> EnsureDevApiKey(const std::string& data_dir);

}  // namespace flowgrid::cli

#endif  // FLOWGRID_CLIENT_CLI_DEV_API_KEY_H_
