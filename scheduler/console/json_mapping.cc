#include "scheduler/console/json_mapping.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/retry_delay.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace flowgrid::console {

std::string MessageJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  // Only a message with unprintable contents (an Any of an unknown type)
  // fails; the console's messages have none.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

HttpResponse JsonResponse(const google::protobuf::Message& message) {
  HttpResponse response;
  response.content_type = "application/json";
  response.body = MessageJson(message);
  return response;
}

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnimplemented:
      return 405;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string ErrorJson(const absl::Status& status) {
  return nlohmann::json{{"code", absl::StatusCodeToString(status.code())},
                        {"message", std::string(status.message())}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse ErrorResponse(const absl::Status& status) {
  HttpResponse response;
  response.status = HttpStatusFor(status.code());
  response.content_type = "application/json";
  response.body = ErrorJson(status);
  if (std::optional<absl::Duration> delay = GetRetryDelay(status); delay.has_value()) {
    response.headers.emplace_back(
        "Retry-After", absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(
                                                             *delay, absl::Seconds(1))))));
  }
  return response;
}

}  // namespace flowgrid::console
