// The variable assigner's operations on loop variables (Dify's names).
#ifndef FLOWGRID_SCHEDULER_RUN_ASSIGNMENT_H_
#define FLOWGRID_SCHEDULER_RUN_ASSIGNMENT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::run {

// The new value of a variable after `operation` with `operand`:
// "over-write"/"set" (operand), "clear" (the type's empty value: "", 0,
// false, [], {}), "+=", "-=", "*=", "/=" (numbers; int stays int unless
// the result is fractional), "append" (one item), "extend" (an array),
// "remove-first", "remove-last" (arrays). `type` is the variable's declared
// type. InvalidArgument names the mismatch (e.g. "+=" on a string).
absl::StatusOr<v1::Value> ApplyAssignment(absl::string_view operation, const v1::Type& type,
                                          const v1::Value& current, const v1::Value& operand);

}  // namespace flowgrid::run

#endif  // FLOWGRID_SCHEDULER_RUN_ASSIGNMENT_H_
