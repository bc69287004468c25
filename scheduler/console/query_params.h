// The parameters of a URL query string ("a=1&b=x%20y").
#ifndef FLOWGRID_SCHEDULER_CONSOLE_QUERY_PARAMS_H_
#define FLOWGRID_SCHEDULER_CONSOLE_QUERY_PARAMS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowgrid::console {

// Name -> value, both URL-decoded ('+' is a space). An empty parameter
// ("a=&" or "a") has the empty value. InvalidArgument for a malformed
// escape or a repeated name, naming it.
absl::StatusOr<std::map<std::string, std::string>> ParseQuery(absl::string_view query);

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_QUERY_PARAMS_H_
