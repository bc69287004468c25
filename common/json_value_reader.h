// Reads JSON text straight into a flowgrid.v1.Value, keeping integers exact.
//
// It sees each number's literal, so it can tell an integer beyond int64 (which a DOM parser turns
// into a lossy double) from a real fraction. Such integers are not an error
// of the whole document: they are reported with their path and replaced by
// null, so that the caller can attribute them (e.g. to one output).
#ifndef FLOWGRID_COMMON_JSON_VALUE_READER_H_
#define FLOWGRID_COMMON_JSON_VALUE_READER_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid {

struct OutOfRangeInteger {
  // Object keys and decimal array indices from the document root.
  std::vector<std::string> path;
  std::string literal;
};

struct ReadJson {
  v1::Value value;
  std::vector<OutOfRangeInteger> out_of_range_integers;
};

// Parses `text`. Fails (InvalidArgument) on malformed JSON or on nesting
// deeper than `max_nesting` containers: a bound that keeps hostile input
// from exhausting the stack here or in protobuf's recursion limit later.
absl::StatusOr<ReadJson> ReadJsonValue(absl::string_view text, int max_nesting);

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_JSON_VALUE_READER_H_
