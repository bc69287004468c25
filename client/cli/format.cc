#include "client/cli/format.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace flowgrid::cli {
namespace {

absl::Time EventTime(const v1::RunEvent& event) {
  return absl::FromUnixSeconds(event.time().seconds()) +
         absl::Nanoseconds(event.time().nanos());
}

// Milliseconds with one decimal below a second ("0.8ms", "123.4ms"),
// seconds with two above ("1.25s"): one unit per scale, easy to compare.
std::string FormatElapsed(absl::Duration elapsed) {
  if (elapsed < absl::Seconds(1)) {
    return absl::StrFormat("%.1fms", absl::ToDoubleMilliseconds(elapsed));
  }
  return absl::StrFormat("%.2fs", absl::ToDoubleSeconds(elapsed));
}

// Prefixes every line of `text` (captured output or a traceback); a final
// newline does not produce an empty extra line.
std::string IndentLines(const std::string& text, const std::string& prefix) {
  std::string out;
  absl::string_view body = absl::StripSuffix(text, "\n");
  if (body.empty()) return out;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    absl::StrAppend(&out, prefix, line, "\n");
  }
  return out;
}

std::string StripEnumPrefix(const std::string& name, absl::string_view prefix) {
  return std::string(absl::StripPrefix(name, prefix));
}

}  // namespace

std::string RunStatusText(v1::RunStatus status) {
  return StripEnumPrefix(v1::RunStatus_Name(status), "RUN_");
}

std::string NodeStatusText(v1::NodeStatus status) {
  return StripEnumPrefix(v1::NodeStatus_Name(status), "NODE_");
}

std::string ErrorCodeText(v1::ErrorCode code) { return v1::ErrorCode_Name(code); }

std::string DescribeNodeError(const v1::NodeError& error) {
  return absl::StrCat(ErrorCodeText(error.code()), ": ", error.message());
}

absl::StatusOr<std::string> FormatOutputs(const ValueMap& outputs, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    absl::StatusOr<std::string> json = ValueMapToJson(outputs);
    if (!json.ok()) return json.status();
    return absl::StrCat(*json, "\n");
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : outputs) names.push_back(name);
  std::sort(names.begin(), names.end());
  size_t width = 0;
  for (const std::string& name : names) width = std::max(width, name.size());
  std::string out;
  for (const std::string& name : names) {
    absl::StatusOr<std::string> json = ValueToJson(outputs.at(name));
    if (!json.ok()) {
      return absl::Status(json.status().code(),
                          absl::StrCat("output ", name, ": ", json.status().message()));
    }
    absl::StrAppend(&out, name, std::string(width - name.size() + 2, ' '), *json, "\n");
  }
  return out;
}

std::string ProgressPrinter::OnEvent(const v1::RunEvent& event) {
  const absl::Time time = EventTime(event);
  switch (event.kind_case()) {
    case v1::RunEvent::kRunStarted:
      run_started_at_ = time;
      return absl::StrCat("run ", event.run_id(), " started\n");
    case v1::RunEvent::kNodeStarted: {
      const v1::NodeStarted& started = event.node_started();
      node_started_at_[started.node_id()] = time;
      std::string attempt =
          started.attempt() > 1 ? absl::StrCat(" (attempt ", started.attempt(), ")") : "";
      return absl::StrCat("[", started.node_id(), "] started", attempt, "\n");
    }
    case v1::RunEvent::kNodeRetry: {
      const v1::NodeRetry& retry = event.node_retry();
      return absl::StrCat("[", retry.node_id(), "] attempt ", retry.attempt(),
                          " failed, retrying: ", DescribeNodeError(retry.error()), "\n");
    }
    case v1::RunEvent::kNodeFinished: {
      const v1::NodeFinished& finished = event.node_finished();
      const v1::NodeResult& result = finished.result();
      const std::string tag = absl::StrCat("[", finished.node_id(), "] ");
      std::string out;
      absl::StrAppend(&out, IndentLines(result.stdout(), tag + "stdout | "));
      if (result.stdout_truncated()) absl::StrAppend(&out, tag, "stdout truncated\n");
      absl::StrAppend(&out, IndentLines(result.stderr(), tag + "stderr | "));
      if (result.stderr_truncated()) absl::StrAppend(&out, tag, "stderr truncated\n");
      for (const std::string& warning : result.warnings()) {
        absl::StrAppend(&out, tag, "warning: ", warning, "\n");
      }
      if (result.status() == v1::NODE_SKIPPED) return absl::StrCat(out, tag, "skipped\n");
      std::string status = absl::AsciiStrToLower(NodeStatusText(result.status()));
      absl::StrAppend(&out, tag, status);
      if (auto start = node_started_at_.find(finished.node_id());
          start != node_started_at_.end()) {
        absl::StrAppend(&out, " in ", FormatElapsed(time - start->second));
      }
      if (result.usage().wall_us() > 0) {
        absl::StrAppend(&out, " (ran ",
                        FormatElapsed(absl::Microseconds(result.usage().wall_us())), ")");
      }
      if (result.has_error() && result.error().code() != v1::ERROR_CODE_UNSPECIFIED) {
        absl::StrAppend(&out, ": ", DescribeNodeError(result.error()), "\n",
                        IndentLines(result.error().traceback(), "    "));
      } else {
        absl::StrAppend(&out, "\n");
      }
      return out;
    }
    case v1::RunEvent::kRunFinished: {
      std::string elapsed =
          run_started_at_.has_value()
              ? absl::StrCat(" in ", FormatElapsed(time - *run_started_at_))
              : "";
      return absl::StrCat("run ", event.run_id(), " finished: ",
                          RunStatusText(event.run_finished().status()), elapsed, "\n");
    }
    case v1::RunEvent::KIND_NOT_SET:
      break;
  }
  return absl::StrCat("run ", event.run_id(), ": event ", event.sequence(),
                      " of a kind this flowgridctl does not know\n");
}

std::string DescribeRunFailure(const std::string& run_id, const v1::RunFinished& finished,
                               bool with_traceback) {
  std::string out = absl::StrCat("run ", run_id, " ", RunStatusText(finished.status()));
  if (!finished.failed_node_id().empty()) {
    absl::StrAppend(&out, " at node ", finished.failed_node_id());
  }
  if (finished.has_error() && finished.error().code() != v1::ERROR_CODE_UNSPECIFIED) {
    absl::StrAppend(&out, ": ", DescribeNodeError(finished.error()));
  }
  absl::StrAppend(&out, "\n");
  if (with_traceback) absl::StrAppend(&out, IndentLines(finished.error().traceback(), "    "));
  return out;
}

std::string FormatDiagnostics(const v1::ValidateWorkflowResponse& response) {
  std::string out;
  for (const v1::Diagnostic& diagnostic : response.diagnostics()) {
    if (diagnostic.node_id().empty()) {
      absl::StrAppend(&out, "workflow: ");
    } else {
      absl::StrAppend(&out, "node ", diagnostic.node_id(), ": ");
    }
    if (!diagnostic.field().empty()) absl::StrAppend(&out, diagnostic.field(), ": ");
    absl::StrAppend(&out, diagnostic.message(), "\n");
  }
  return out;
}

}  // namespace flowgrid::cli
