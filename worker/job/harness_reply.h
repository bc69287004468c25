// The reply a runtime harness writes to the result channel (see
// runtimes/python/harness.py for the format; harness.js writes the same).
// The child is untrusted: user code can write anything to the channel, so
// everything is validated here and by the result contract, nothing is taken
// on faith.
#ifndef FLOWGRID_WORKER_JOB_HARNESS_REPLY_H_
#define FLOWGRID_WORKER_JOB_HARNESS_REPLY_H_

#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"
#include "worker/job/result_contract.h"

namespace flowgrid::job {

// JSON nesting accepted in a reply. Each JSON level costs three protobuf
// message levels (Value, ObjectValue, map entry) and protobuf refuses to
// parse beyond 100, so results must stay well below ~30 levels to survive
// the scheduler's own wrapping. Far above Dify's max_depth of 5.
inline constexpr int kMaxReplyNesting = 24;

struct HarnessReply {
  // main() returned a dict: `result` holds its fields.
  bool ok = false;
  RawResult result;
  // Otherwise: RUNTIME_ERROR or COMPILE_ERROR with "<Type>: <message>"
  // (just the message when the type is empty) and the user's traceback (for
  // a compile error, the line with a caret), or INVALID_RESULT with the
  // harness's message.
  v1::NodeError error;
};

// Fails (InvalidArgument) on anything that is not a well-formed reply.
absl::StatusOr<HarnessReply> ParseHarnessReply(absl::string_view json);

}  // namespace flowgrid::job

#endif  // FLOWGRID_WORKER_JOB_HARNESS_REPLY_H_
