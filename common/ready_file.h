// A daemon's --ready_file: once it listens, it writes where, as a JSON
// object of addresses ({"client_addr":"127.0.0.1:7070",...}), so that a
// supervisor (LocalCluster, tests) learns the ports the kernel picked.
#ifndef FLOWGRID_COMMON_READY_FILE_H_
#define FLOWGRID_COMMON_READY_FILE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace flowgrid {

// Writes `addresses` (key, HOST:PORT) to `path` through a temporary file
// and a rename, so that a reader never sees it half-written. Unavailable
// naming the file when it cannot.
absl::Status WriteReadyFile(const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& addresses);

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_READY_FILE_H_
