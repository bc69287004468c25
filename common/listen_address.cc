#include "common/listen_address.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowgrid {

absl::StatusOr<std::string> ListenAddressHost(absl::string_view addr, absl::string_view what) {
  const size_t colon = addr.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(addr.substr(colon + 1), &port) || port < 0 || port > 65535 ||
      addr.find(',') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", addr, "\" is not HOST:PORT (port 0..65535)"));
  }
  return std::string(addr.substr(0, colon));
}

}  // namespace flowgrid
