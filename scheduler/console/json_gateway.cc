#include "scheduler/console/json_gateway.h"

#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/console/json_mapping.h"
#include "scheduler/console/query_params.h"

namespace flowgrid::console {
namespace {

absl::StatusOr<google::protobuf::Timestamp> ParseTimestamp(const std::string& name,
                                                           const std::string& text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " \"", text, "\" is not an RFC 3339 time (2026-01-31T12:00:00Z): ", error));
  }
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

absl::StatusOr<v1::RunStatus> ParseRunStatus(const std::string& text) {
  v1::RunStatus status;
  if (v1::RunStatus_Parse(text, &status)) return status;
  // The spelling "RUN_STATUS_FAILED" for RUN_FAILED.
  if (absl::StartsWith(text, "RUN_STATUS_") &&
      v1::RunStatus_Parse(absl::StrCat("RUN_", text.substr(11)), &status)) {
    return status;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("status \"", text, "\" is not a run status (RUN_RUNNING, RUN_FAILED, ...)"));
}

// Makes one call with `deadline`: the response as JSON, or the error.
template <typename Request, typename Response, typename Stub>
HttpResponse Call(Stub* stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& request, absl::Duration deadline) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  Response response;
  grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return ErrorResponse(FromGrpcStatus(status, context));
  return JsonResponse(response);
}

}  // namespace

absl::StatusOr<v1::ListRunsRequest> ListRunsRequestFromQuery(absl::string_view query) {
  absl::StatusOr<std::map<std::string, std::string>> params = ParseQuery(query);
  if (!params.ok()) return params.status();
  v1::ListRunsRequest request;
  for (const auto& [name, value] : *params) {
    if (value.empty()) continue;  // a cleared form field: no filter
    if (name == "page_size") {
      int page_size = 0;
      if (!absl::SimpleAtoi(value, &page_size) || page_size < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("page_size \"", value, "\" is not a non-negative integer"));
      }
      request.set_page_size(page_size);
    } else if (name == "page_token") {
      request.set_page_token(value);
    } else if (name == "status") {
      absl::StatusOr<v1::RunStatus> status = ParseRunStatus(value);
      if (!status.ok()) return status.status();
      request.set_status(*status);
    } else if (name == "workflow") {
      request.set_workflow_name(value);
    } else if (name == "created_after" || name == "created_before") {
      absl::StatusOr<google::protobuf::Timestamp> time = ParseTimestamp(name, value);
      if (!time.ok()) return time.status();
      *(name == "created_after" ? request.mutable_created_after()
                                : request.mutable_created_before()) = *time;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown query parameter \"", name,
          "\" (known: page_size, page_token, status, workflow, created_after, created_before)"));
    }
  }
  return request;
}

HttpResponse JsonGateway::Handle(const ApiRoute& route, absl::string_view query) const {
  using WorkflowStub = v1::WorkflowService::StubInterface;
  switch (route.endpoint) {
    case Endpoint::kListRuns: {
      absl::StatusOr<v1::ListRunsRequest> request = ListRunsRequestFromQuery(query);
      if (!request.ok()) return ErrorResponse(request.status());
      return Call(workflows_, &WorkflowStub::ListRuns, *request, deadline_);
    }
    case Endpoint::kGetRun: {
      v1::GetRunRequest request;
      request.set_run_id(route.run_id);
      return Call(workflows_, &WorkflowStub::GetRun, request, deadline_);
    }
    case Endpoint::kCancelRun: {
      v1::CancelRunRequest request;
      request.set_run_id(route.run_id);
      return Call(workflows_, &WorkflowStub::CancelRun, request, deadline_);
    }
    case Endpoint::kRerunRun: {
      v1::RerunRunRequest request;
      request.set_run_id(route.run_id);
      return Call(workflows_, &WorkflowStub::RerunRun, request, deadline_);
    }
    case Endpoint::kListWorkers:
      return Call(cluster_, &v1::ClusterService::StubInterface::ListWorkers,
                  v1::ListWorkersRequest(), deadline_);
    case Endpoint::kRunEvents:
      break;
  }
  return ErrorResponse(absl::InternalError("the event stream is not a JSON gateway call"));
}

}  // namespace flowgrid::console
