// Evaluation of if-else and loop-break conditions on Values.
#ifndef FLOWGRID_SCHEDULER_RUN_CONDITIONS_H_
#define FLOWGRID_SCHEDULER_RUN_CONDITIONS_H_

#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"
#include "scheduler/graph/condition_operator.h"

namespace flowgrid::run {

// Whether `actual <op> expected` holds, with Dify's meaning:
// - contains / not contains / start with / end with: substring tests on
//   strings; contains also tests membership of an array;
// - is / is not: string equality (booleans compare as "true"/"false");
// - empty / not empty: null, "", [] and {} are empty;
// - in / not in: `actual` is one of the array `expected`;
// - all of: every element of the array `expected` is in the array `actual`;
// - = ≠ > < ≥ ≤: numeric comparison (numeric strings on the right are read
//   as numbers, as Dify's forms store them);
// - null / not null.
// A null `actual` makes every test but empty/null/not null false.
// InvalidArgument when the operands cannot be compared that way (e.g. ">"
// on a string), naming what was found.
absl::StatusOr<bool> EvaluateCondition(graph::ConditionOperator op, const v1::Value& actual,
                                       const v1::Value& expected);

}  // namespace flowgrid::run

#endif  // FLOWGRID_SCHEDULER_RUN_CONDITIONS_H_
