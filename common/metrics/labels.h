// The label values of the scheduler's and the worker's metrics: lower case,
// from a closed set, never an id (run, workflow, node, worker or job).
#ifndef FLOWGRID_COMMON_METRICS_LABELS_H_
#define FLOWGRID_COMMON_METRICS_LABELS_H_

#include <string>

#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::metrics {

// "python3" | "javascript" (the enum name, lower case); "unspecified" for
// a language that is not one of them.
std::string LanguageLabel(v1::CodeNode::Language language);

// A job's verdict: ERROR_CODE_UNSPECIFIED when it succeeded, else its error
// code (INTERNAL for a failure without a valid one).
v1::ErrorCode Verdict(const v1::NodeResult& result);

// "ok" for ERROR_CODE_UNSPECIFIED, else the code lower cased ("timeout",
// "worker_lost", ...).
std::string VerdictLabel(v1::ErrorCode verdict);

// "succeeded" | "partial_succeeded" | "failed" | "cancelled".
std::string RunStatusLabel(v1::RunStatus status);

}  // namespace flowgrid::metrics

#endif  // FLOWGRID_COMMON_METRICS_LABELS_H_
