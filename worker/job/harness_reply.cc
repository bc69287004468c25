#include "worker/job/harness_reply.h"

#include "absl/strings/str_cat.h"
#include "common/json_value_reader.h"

namespace flowgrid::job {
namespace {

const v1::Value* Field(const v1::Value& object, const std::string& name) {
  if (!object.has_object_value()) return nullptr;
  const auto& fields = object.object_value().fields();
  auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

std::string StringField(const v1::Value& object, const std::string& name) {
  const v1::Value* field = Field(object, name);
  return field != nullptr && field->has_string_value() ? field->string_value() : "";
}

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed harness reply: ", why));
}

}  // namespace

absl::StatusOr<HarnessReply> ParseHarnessReply(absl::string_view json) {
  absl::StatusOr<ReadJson> read = ReadJsonValue(json, kMaxReplyNesting);
  if (!read.ok()) return Malformed(read.status().message());
  const v1::Value& root = read->value;
  const v1::Value* ok = Field(root, "ok");
  if (ok == nullptr || !ok->has_bool_value()) return Malformed("no boolean \"ok\"");

  HarnessReply reply;
  reply.ok = ok->bool_value();
  if (reply.ok) {
    const v1::Value* result = Field(root, "result");
    if (result == nullptr || !result->has_object_value()) {
      return Malformed("\"result\" is not an object");
    }
    for (const auto& [name, value] : result->object_value().fields()) {
      reply.result.emplace(name, value);
    }
    for (const OutOfRangeInteger& bad : read->out_of_range_integers) {
      if (bad.path.size() < 2 || bad.path[0] != "result") continue;
      reply.result.insert_or_assign(
          bad.path[1], absl::OutOfRangeError(absl::StrCat(
                           "integer ", bad.literal,
                           " is outside the int64 range (-9223372036854775808 to "
                           "9223372036854775807)")));
    }
    return reply;
  }

  const v1::Value* error = Field(root, "error");
  if (error == nullptr || !error->has_object_value()) {
    return Malformed("\"error\" is not an object");
  }
  const std::string code = StringField(*error, "code");
  const std::string type = StringField(*error, "type");
  const std::string message = StringField(*error, "message");
  if (code == "RUNTIME_ERROR" || code == "COMPILE_ERROR") {
    reply.error.set_code(code == "RUNTIME_ERROR" ? v1::RUNTIME_ERROR : v1::COMPILE_ERROR);
    reply.error.set_message(type.empty() ? message : absl::StrCat(type, ": ", message));
    reply.error.set_traceback(StringField(*error, "traceback"));
  } else if (code == "INVALID_RESULT") {
    reply.error.set_code(v1::INVALID_RESULT);
    reply.error.set_message(message);
  } else {
    return Malformed(absl::StrCat("unknown error code \"", code, "\""));
  }
  return reply;
}

}  // namespace flowgrid::job
