// The samples of a Prometheus text exposition (what GET /metrics returns),
// for tests that check a scrape.
#ifndef FLOWGRID_TESTS_UNIT_COMMON_PROMETHEUS_SAMPLES_H_
#define FLOWGRID_TESTS_UNIT_COMMON_PROMETHEUS_SAMPLES_H_

#include <map>
#include <string>

namespace flowgrid::testing {

// Series (`name` or `name{label="value",...}`, exactly as exposed) ->
// value, for every sample line; comments, blank lines and unparsable
// values are skipped.
std::map<std::string, double> ParseSamples(const std::string& exposition);

}  // namespace flowgrid::testing

#endif  // FLOWGRID_TESTS_UNIT_COMMON_PROMETHEUS_SAMPLES_H_
