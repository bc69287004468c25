// How the console's HTTP API writes messages and errors: the proto3 JSON
// mapping with the proto's own field names, every field present (zeros
// too), int64 as strings; an error is {"code": "NOT_FOUND", "message": ..}
// with the HTTP status of its code.
#ifndef FLOWGRID_SCHEDULER_CONSOLE_JSON_MAPPING_H_
#define FLOWGRID_SCHEDULER_CONSOLE_JSON_MAPPING_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "scheduler/console/http_message.h"

namespace flowgrid::console {

// `message` as JSON on one line.
std::string MessageJson(const google::protobuf::Message& message);

// A 200 response with `message` as its JSON body.
HttpResponse JsonResponse(const google::protobuf::Message& message);

// The HTTP status for a status code: INVALID_ARGUMENT and OUT_OF_RANGE 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, UNIMPLEMENTED
// 405 (the console answers it for a method a path does not serve),
// FAILED_PRECONDITION, ALREADY_EXISTS and ABORTED 409, RESOURCE_EXHAUSTED
// 429, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, the rest 500.
int HttpStatusFor(absl::StatusCode code);

// The JSON error body for `status` ({"code": "NOT_FOUND", "message": ...}).
std::string ErrorJson(const absl::Status& status);

// `status` (not OK) as a response: its HTTP status and JSON error body,
// and its retry delay (common/retry_delay.h), if any, as Retry-After
// (whole seconds, rounded up).
HttpResponse ErrorResponse(const absl::Status& status);

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_JSON_MAPPING_H_
