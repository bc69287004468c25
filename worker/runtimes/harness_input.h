// The job as every runtime's harness reads it from its input channel (fd 3):
//   {"kind": "run" | "template" | "check", "code": "...", "inputs": {...}}
// Inputs keep their int64 values exactly (a harness may still lose
// precision: JavaScript numbers are doubles).
#ifndef FLOWGRID_WORKER_RUNTIMES_HARNESS_INPUT_H_
#define FLOWGRID_WORKER_RUNTIMES_HARNESS_INPUT_H_

#include <string>

#include "absl/status/statusor.h"
#include "flowgrid/v1/worker.pb.h"
#include "worker/sandbox/sandbox.h"

namespace flowgrid::runtimes {

// A request to run `executable` (absolute) with `job` as its input; the
// runtime adds arguments and environment, the caller limits. Fails
// (InvalidArgument) if an input has no JSON form or the job kind is unknown.
absl::StatusOr<sandbox::SandboxRequest> HarnessRequest(const v1::Job& job,
                                                       const std::string& executable);

}  // namespace flowgrid::runtimes

#endif  // FLOWGRID_WORKER_RUNTIMES_HARNESS_INPUT_H_
