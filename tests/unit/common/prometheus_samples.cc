#include "tests/unit/common/prometheus_samples.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace flowgrid::testing {

std::map<std::string, double> ParseSamples(const std::string& exposition) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    // Label values may hold spaces; the value follows the last one.
    const size_t space = line.rfind(' ');
    double value;
    if (space == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) {
      continue;
    }
    samples[std::string(line.substr(0, space))] = value;
  }
  return samples;
}

}  // namespace flowgrid::testing
