#include "client/cli/format.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace flowgrid::cli {
namespace {

absl::Time FromTimestamp(const google::protobuf::Timestamp& time) {
  return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
}

absl::Time EventTime(const v1::RunEvent& event) { return FromTimestamp(event.time()); }

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

bool HasError(const v1::NodeError& error) { return error.code() != v1::ERROR_CODE_UNSPECIFIED; }

// "2024-05-01 12:00:00" in UTC, for tables.
std::string TableTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", FromTimestamp(time), absl::UTCTimeZone());
}

// RFC 3339 in UTC, for JSON; null when unset.
nlohmann::json JsonTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return nullptr;
  return absl::FormatTime(absl::RFC3339_full, FromTimestamp(time), absl::UTCTimeZone());
}

// The run's duration when it has finished, "-" otherwise.
std::string RunDuration(const v1::Run& run) {
  if (!run.has_finished_at() || !run.has_created_at()) return "-";
  return FormatElapsed(FromTimestamp(run.finished_at()) - FromTimestamp(run.created_at()));
}

// The worker-measured run time; "-" for nodes the scheduler evaluated.
std::string NodeDuration(const v1::NodeResult& result) {
  if (result.usage().wall_us() <= 0) return "-";
  return FormatElapsed(absl::Microseconds(result.usage().wall_us()));
}

// Rows of cells, each column padded to its widest cell, two spaces apart;
// trailing spaces are dropped.
std::string AlignedRows(const std::vector<std::vector<std::string>>& rows,
                        const std::string& indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

// A node's captured stdout and stderr lines, then its warnings, each line
// prefixed with `prefix`.
std::string OutputAndWarningLines(const v1::NodeResult& result, const std::string& prefix) {
  std::string out;
  absl::StrAppend(&out, IndentLines(result.stdout(), prefix + "stdout | "));
  if (result.stdout_truncated()) absl::StrAppend(&out, prefix, "stdout truncated\n");
  absl::StrAppend(&out, IndentLines(result.stderr(), prefix + "stderr | "));
  if (result.stderr_truncated()) absl::StrAppend(&out, prefix, "stderr truncated\n");
  for (const std::string& warning : result.warnings()) {
    absl::StrAppend(&out, prefix, "warning: ", warning, "\n");
  }
  return out;
}

// The error (with its traceback indented under it), captured output and
// warnings of a node result, each line prefixed with `indent`.
std::string NodeResultDetails(const v1::NodeResult& result, const std::string& indent) {
  std::string out;
  if (HasError(result.error())) {
    absl::StrAppend(&out, indent, "error: ", DescribeNodeError(result.error()), "\n",
                    IndentLines(result.error().traceback(), indent + "    "));
  }
  return absl::StrCat(out, OutputAndWarningLines(result, indent));
}

absl::StatusOr<nlohmann::json> ValueMapJson(const ValueMap& values, absl::string_view what) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : values) {
    absl::StatusOr<nlohmann::json> json = ValueToJsonDocument(value);
    if (!json.ok()) {
      return absl::Status(json.status().code(),
                          absl::StrCat(what, " ", name, ": ", json.status().message()));
    }
    out[name] = *std::move(json);
  }
  return out;
}

nlohmann::json ErrorJson(const v1::NodeError& error) {
  if (!HasError(error)) return nullptr;
  return {{"code", ErrorCodeText(error.code())},
          {"message", error.message()},
          {"traceback", error.traceback()}};
}

absl::StatusOr<nlohmann::json> NodeResultJson(const v1::NodeResult& result) {
  absl::StatusOr<nlohmann::json> outputs = ValueMapJson(result.outputs(), "output");
  if (!outputs.ok()) return outputs.status();
  return nlohmann::json{{"status", NodeStatusText(result.status())},
                        {"outputs", *std::move(outputs)},
                        {"error", ErrorJson(result.error())},
                        {"warnings", std::vector<std::string>(result.warnings().begin(),
                                                              result.warnings().end())},
                        {"stdout", result.stdout()},
                        {"stdout_truncated", result.stdout_truncated()},
                        {"stderr", result.stderr()},
                        {"stderr_truncated", result.stderr_truncated()},
                        {"wall_us", result.usage().wall_us()},
                        {"cpu_us", result.usage().cpu_us()},
                        {"peak_memory_bytes", result.usage().peak_memory_bytes()}};
}

// A run as JSON; node executions only when `with_nodes`.
absl::StatusOr<nlohmann::json> RunJson(const v1::Run& run, bool with_nodes) {
  absl::StatusOr<nlohmann::json> inputs = ValueMapJson(run.inputs(), "input");
  if (!inputs.ok()) return inputs.status();
  absl::StatusOr<nlohmann::json> outputs = ValueMapJson(run.outputs(), "output");
  if (!outputs.ok()) return outputs.status();
  nlohmann::json out = {{"run_id", run.run_id()},
                        {"workflow_name", run.workflow_name()},
                        {"status", RunStatusText(run.status())},
                        {"created_at", JsonTime(run.created_at())},
                        {"finished_at", JsonTime(run.finished_at())},
                        {"inputs", *std::move(inputs)},
                        {"outputs", *std::move(outputs)},
                        {"error", ErrorJson(run.error())},
                        {"failed_node_id", run.failed_node_id()}};
  if (!with_nodes) return out;
  nlohmann::json nodes = nlohmann::json::array();
  for (const v1::NodeExecution& node : run.nodes()) {
    absl::StatusOr<nlohmann::json> node_inputs = ValueMapJson(node.inputs(), "input");
    if (!node_inputs.ok()) return node_inputs.status();
    absl::StatusOr<nlohmann::json> result = NodeResultJson(node.result());
    if (!result.ok()) return result.status();
    nodes.push_back({{"node_id", node.node_id()},
                     {"attempt", node.attempt()},
                     {"inputs", *std::move(node_inputs)},
                     {"result", *std::move(result)}});
  }
  out["nodes"] = std::move(nodes);
  return out;
}

// `values` as indented "name  value" rows, or "  (none)".
absl::StatusOr<std::string> IndentedValues(const ValueMap& values) {
  if (values.empty()) return std::string("  (none)\n");
  absl::StatusOr<std::string> table = FormatOutputs(values, OutputFormat::kTable);
  if (!table.ok()) return table.status();
  return IndentLines(*table, "  ");
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

std::string ScopedNodeLabel(const std::string& node_id, const v1::NodeScope& scope) {
  if (scope.levels().empty()) return node_id;
  std::vector<std::string> path;
  std::vector<std::string> rounds;
  for (const v1::NodeScope::Level& level : scope.levels()) {
    path.push_back(level.node_id());
    rounds.push_back(absl::StrCat(level.index()));
  }
  path.push_back(node_id);
  return absl::StrCat(absl::StrJoin(path, "/"), " #", absl::StrJoin(rounds, "."));
}

std::string ProgressPrinter::OnEvent(const v1::RunEvent& event) {
  const absl::Time time = EventTime(event);
  switch (event.kind_case()) {
    case v1::RunEvent::kRunStarted:
      run_started_at_ = time;
      return absl::StrCat("run ", event.run_id(), " started\n");
    case v1::RunEvent::kNodeStarted: {
      const v1::NodeStarted& started = event.node_started();
      const std::string label = ScopedNodeLabel(started.node_id(), started.scope());
      node_started_at_[label] = time;
      std::string attempt =
          started.attempt() > 1 ? absl::StrCat(" (attempt ", started.attempt(), ")") : "";
      return absl::StrCat("[", label, "] started", attempt, "\n");
    }
    case v1::RunEvent::kNodeRetry: {
      const v1::NodeRetry& retry = event.node_retry();
      std::string delay =
          retry.retry_in_ms() > 0
              ? absl::StrCat(" in ", FormatElapsed(absl::Milliseconds(retry.retry_in_ms())))
              : "";
      return absl::StrCat("[", ScopedNodeLabel(retry.node_id(), retry.scope()), "] attempt ",
                          retry.attempt(), " failed, retrying", delay, ": ",
                          DescribeNodeError(retry.error()), "\n");
    }
    case v1::RunEvent::kNodeFinished: {
      const v1::NodeFinished& finished = event.node_finished();
      const v1::NodeResult& result = finished.result();
      const std::string label = ScopedNodeLabel(finished.node_id(), finished.scope());
      const std::string tag = absl::StrCat("[", label, "] ");
      std::string out = OutputAndWarningLines(result, tag);
      if (result.status() == v1::NODE_SKIPPED) return absl::StrCat(out, tag, "skipped\n");
      std::string status = absl::AsciiStrToLower(NodeStatusText(result.status()));
      absl::StrAppend(&out, tag, status);
      if (auto start = node_started_at_.find(label); start != node_started_at_.end()) {
        absl::StrAppend(&out, " in ", FormatElapsed(time - start->second));
        node_started_at_.erase(start);
      }
      if (result.usage().wall_us() > 0) {
        absl::StrAppend(&out, " (ran ",
                        FormatElapsed(absl::Microseconds(result.usage().wall_us())), ")");
      }
      if (!finished.branch().empty()) absl::StrAppend(&out, ", branch \"", finished.branch(), "\"");
      if (HasError(result.error())) {
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
    case v1::RunEvent::kRunResumed:
      return absl::StrCat("run ", event.run_id(), " resumed after event ",
                          event.run_resumed().after_sequence(), ": ",
                          event.run_resumed().reason(), "\n");
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
  if (HasError(finished.error())) {
    absl::StrAppend(&out, ": ", DescribeNodeError(finished.error()));
  }
  absl::StrAppend(&out, "\n");
  if (with_traceback) absl::StrAppend(&out, IndentLines(finished.error().traceback(), "    "));
  return out;
}

absl::StatusOr<std::string> FormatRunList(const v1::ListRunsResponse& response,
                                          OutputFormat format) {
  if (format == OutputFormat::kJson) {
    nlohmann::json runs = nlohmann::json::array();
    for (const v1::Run& run : response.runs()) {
      absl::StatusOr<nlohmann::json> json = RunJson(run, /*with_nodes=*/false);
      if (!json.ok()) return json.status();
      runs.push_back(*std::move(json));
    }
    nlohmann::json out = {{"runs", std::move(runs)},
                          {"next_page_token", response.next_page_token()}};
    return absl::StrCat(out.dump(), "\n");
  }
  if (response.runs().empty()) return std::string("no runs\n");
  std::vector<std::vector<std::string>> rows = {
      {"RUN ID", "WORKFLOW", "STATUS", "CREATED (UTC)", "DURATION"}};
  for (const v1::Run& run : response.runs()) {
    rows.push_back({run.run_id(), run.workflow_name(), RunStatusText(run.status()),
                    TableTime(run.created_at()), RunDuration(run)});
  }
  std::string out = AlignedRows(rows, "");
  if (!response.next_page_token().empty()) {
    absl::StrAppend(&out, "next page: --page_token=",
                    response.next_page_token(), "\n");
  }
  return out;
}

absl::StatusOr<std::string> FormatRun(const v1::Run& run, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    absl::StatusOr<nlohmann::json> json = RunJson(run, /*with_nodes=*/true);
    if (!json.ok()) return json.status();
    return absl::StrCat(json->dump(), "\n");
  }
  std::vector<std::vector<std::string>> fields = {
      {"run", run.run_id()},
      {"workflow", run.workflow_name()},
      {"status", RunStatusText(run.status())},
      {"created", absl::StrCat(TableTime(run.created_at()), " UTC")}};
  if (run.has_finished_at()) {
    fields.push_back({"finished", absl::StrCat(TableTime(run.finished_at()), " UTC (took ",
                                               RunDuration(run), ")")});
  }
  if (HasError(run.error())) {
    std::string at = run.failed_node_id().empty()
                         ? ""
                         : absl::StrCat(" (node ", run.failed_node_id(), ")");
    fields.push_back({"error", absl::StrCat(DescribeNodeError(run.error()), at)});
  }
  std::string out = AlignedRows(fields, "");
  absl::StatusOr<std::string> inputs = IndentedValues(run.inputs());
  if (!inputs.ok()) return inputs.status();
  absl::StatusOr<std::string> outputs = IndentedValues(run.outputs());
  if (!outputs.ok()) return outputs.status();
  absl::StrAppend(&out, "inputs:\n", *inputs, "outputs:\n", *outputs, "nodes:\n");
  if (run.nodes().empty()) return absl::StrCat(out, "  (none)\n");
  // One aligned table, with each node's details under its row.
  std::vector<std::vector<std::string>> rows = {{"NODE", "ATTEMPT", "STATUS", "DURATION"}};
  for (const v1::NodeExecution& node : run.nodes()) {
    rows.push_back({node.node_id(), absl::StrCat(node.attempt()),
                    NodeStatusText(node.result().status()), NodeDuration(node.result())});
  }
  std::vector<std::string> lines = absl::StrSplit(AlignedRows(rows, "  "), '\n');
  absl::StrAppend(&out, lines[0], "\n");
  for (int i = 0; i < run.nodes_size(); ++i) {
    absl::StrAppend(&out, lines[i + 1], "\n", NodeResultDetails(run.nodes(i).result(), "    "));
  }
  return out;
}

absl::StatusOr<std::string> FormatRunNodeResult(const std::string& node_id,
                                                const v1::RunNodeResponse& response,
                                                OutputFormat format) {
  const v1::NodeResult& result = response.result();
  if (format == OutputFormat::kJson) {
    absl::StatusOr<nlohmann::json> json = NodeResultJson(result);
    if (!json.ok()) return json.status();
    (*json)["node_id"] = node_id;
    (*json)["branch"] = response.branch();
    return absl::StrCat(json->dump(), "\n");
  }
  std::vector<std::vector<std::string>> fields = {
      {"node", node_id},
      {"status", NodeStatusText(result.status())},
      {"duration", NodeDuration(result)}};
  if (!response.branch().empty()) fields.push_back({"branch", response.branch()});
  std::string out = AlignedRows(fields, "");
  absl::StatusOr<std::string> outputs = IndentedValues(result.outputs());
  if (!outputs.ok()) return outputs.status();
  absl::StrAppend(&out, "outputs:\n", *outputs, NodeResultDetails(result, ""));
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

std::string FormatWorkerList(const v1::ListWorkersResponse& response, OutputFormat format,
                             absl::Time now) {
  auto runtimes = [](const v1::WorkerStatus& worker) {
    std::vector<std::string> names;
    for (int runtime : worker.runtimes()) {
      names.push_back(v1::CodeNode::Language_Name(static_cast<v1::CodeNode::Language>(runtime)));
    }
    return names;
  };
  auto state = [](const v1::WorkerStatus& worker) {
    return v1::WorkerStatus::State_Name(worker.state());
  };
  if (format == OutputFormat::kJson) {
    nlohmann::json workers = nlohmann::json::array();
    for (const v1::WorkerStatus& worker : response.workers()) {
      workers.push_back({{"worker_id", worker.worker_id()},
                         {"state", state(worker)},
                         {"slots", worker.slots()},
                         {"free_slots", worker.free_slots()},
                         {"running_jobs", std::vector<std::string>(worker.running_jobs().begin(),
                                                                   worker.running_jobs().end())},
                         {"runtimes", runtimes(worker)},
                         {"peer", worker.peer()},
                         {"connected_at", JsonTime(worker.connected_at())},
                         {"last_seen", JsonTime(worker.last_seen())}});
    }
    return absl::StrCat(nlohmann::json{{"workers", std::move(workers)}}.dump(), "\n");
  }
  if (response.workers().empty()) return "no workers connected\n";
  std::vector<std::vector<std::string>> rows = {{"WORKER", "STATE", "SLOTS", "FREE", "RUNNING",
                                                 "RUNTIMES", "PEER", "CONNECTED (UTC)",
                                                 "LAST SEEN"}};
  for (const v1::WorkerStatus& worker : response.workers()) {
    // Whole seconds ("0s", "12s", "2m5s"): finer is noise for a heartbeat.
    const absl::Duration age =
        std::max(absl::Trunc(now - FromTimestamp(worker.last_seen()), absl::Seconds(1)),
                 absl::ZeroDuration());
    rows.push_back({worker.worker_id(), state(worker), absl::StrCat(worker.slots()),
                    absl::StrCat(worker.free_slots()), absl::StrCat(worker.running_jobs_size()),
                    absl::StrJoin(runtimes(worker), ","), worker.peer(),
                    TableTime(worker.connected_at()),
                    absl::StrCat(age == absl::ZeroDuration() ? "0s" : absl::FormatDuration(age),
                                 " ago")});
  }
  return AlignedRows(rows, "");
}

}  // namespace flowgrid::cli
