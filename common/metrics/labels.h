// The label values of the scheduler's and the worker's metrics: lower case,
// from a closed set, never an id (run, workflow, node, worker or job).
#ifndef FLOWGRID_COMMON_METRICS_LABELS_H_
#define FLOWGRID_COMMON_METRICS_LABELS_H_

#include <array>
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

// Why the scheduler refused a client's request (label `reason` of
// flowgrid_submissions_rejected_total).
enum class Rejection {
  kOverloaded,   // SubmitRun: RESOURCE_EXHAUSTED at --max_active_runs
  kInvalid,      // SubmitRun: the workflow or its inputs do not validate
  kTooLarge,     // SubmitRun: the workflow, a code node or the inputs over
                 // --max_workflow_bytes / --max_code_bytes / --max_input_bytes
  kRateLimited,  // WatchRun: the client is over --max_watch_rate
};
inline constexpr std::array<Rejection, 4> kRejections = {
    Rejection::kOverloaded, Rejection::kInvalid, Rejection::kTooLarge, Rejection::kRateLimited};

// "overloaded" | "invalid" | "too_large" | "rate_limited".
std::string RejectionLabel(Rejection why);

}  // namespace flowgrid::metrics

#endif  // FLOWGRID_COMMON_METRICS_LABELS_H_
