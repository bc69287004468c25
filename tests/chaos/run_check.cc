#include "tests/chaos/run_check.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"

namespace flowgrid::chaos {
namespace {

using ::google::protobuf::util::MessageDifferencer;

bool Terminal(v1::RunStatus status) {
  return status == v1::RUN_SUCCEEDED || status == v1::RUN_PARTIAL_SUCCEEDED ||
         status == v1::RUN_FAILED || status == v1::RUN_CANCELLED;
}

bool SameValues(const ValueMap& a, const ValueMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, value] : a) {
    auto it = b.find(name);
    if (it == b.end() || !MessageDifferencer::Equals(value, it->second)) return false;
  }
  return true;
}

std::string ScopeText(const v1::NodeScope& scope) {
  std::vector<std::string> levels;
  for (const v1::NodeScope::Level& level : scope.levels()) {
    levels.push_back(absl::StrCat(level.node_id(), "[", level.index(), "]"));
  }
  return absl::StrJoin(levels, "/");
}

void CheckValue(const ValueMap& values, const std::string& name, const v1::Value& expected,
                const std::string& where, std::vector<std::string>& problems) {
  auto it = values.find(name);
  if (it == values.end()) {
    problems.push_back(absl::StrCat(where, " has no output ", name));
  } else if (!MessageDifferencer::Equals(it->second, expected)) {
    problems.push_back(absl::StrCat(where, " output ", name, " is ", it->second.ShortDebugString(),
                                    ", expected ", expected.ShortDebugString()));
  }
}

}  // namespace

RunVerdict CheckRun(const ExpectedOutputs& expected, const v1::Run& record,
                    const std::vector<v1::RunEvent>& events) {
  RunVerdict verdict;
  verdict.status = record.status();
  verdict.error_code = record.error().code();
  std::vector<std::string>& problems = verdict.problems;
  if (!Terminal(record.status())) {
    problems.push_back(absl::StrCat("the record is not terminal: ",
                                    v1::RunStatus_Name(record.status())));
  }

  // The log: 1..n, one run_finished, last.
  const v1::RunFinished* finished = nullptr;
  int finished_count = 0;
  std::map<std::pair<std::string, std::string>, int> node_finished;  // (node, scope) → count
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::RunEvent& event = events[i];
    if (event.sequence() != static_cast<int64_t>(i) + 1) {
      problems.push_back(absl::StrCat("event ", i + 1, " of the log has sequence ",
                                      event.sequence()));
      break;
    }
    if (event.has_run_finished()) {
      ++finished_count;
      finished = &event.run_finished();
    }
    verdict.resumed |= event.has_run_resumed();
    if (event.has_node_finished()) {
      ++node_finished[{event.node_finished().node_id(), ScopeText(event.node_finished().scope())}];
    }
  }
  if (finished_count != 1) {
    problems.push_back(absl::StrCat("the log has ", finished_count, " run_finished events"));
  } else if (!events.back().has_run_finished()) {
    problems.push_back(absl::StrCat("run_finished is not the last event (sequence ",
                                    events.back().sequence(), " follows it)"));
  }
  if (finished != nullptr) {
    if (finished->status() != record.status()) {
      problems.push_back(absl::StrCat("run_finished says ", v1::RunStatus_Name(finished->status()),
                                      ", the record ", v1::RunStatus_Name(record.status())));
    }
    if (!SameValues(finished->outputs(), record.outputs())) {
      problems.push_back("run_finished and the record have different outputs");
    }
  }

  // Node results: one per (node, scope), in the log and in the record.
  int results = 0;
  for (const auto& [node, count] : node_finished) {
    results += count;
    if (count > 1) {
      problems.push_back(absl::StrCat("node ", node.first,
                                      node.second.empty() ? "" : absl::StrCat(" in ", node.second),
                                      " finished ", count, " times"));
    }
  }
  if (record.nodes_size() != results) {
    problems.push_back(absl::StrCat("the record has ", record.nodes_size(),
                                    " node executions, the log ", results, " node results"));
  }
  std::map<std::string, const v1::NodeExecution*> executions;
  for (const v1::NodeExecution& node : record.nodes()) {
    if (!executions.emplace(node.node_id(), &node).second) {
      problems.push_back(absl::StrCat("the record has node ", node.node_id(), " twice"));
    }
  }

  // The outcome.
  if (record.status() == v1::RUN_SUCCEEDED) {
    CheckValue(record.outputs(), "h", IntValue(expected.h), "the run", problems);
    CheckValue(record.outputs(), "route", StringValue(expected.route), "the run", problems);
    CheckValue(record.outputs(), "word", StringValue(expected.word), "the run", problems);
    auto mix = executions.find("mix");
    if (mix == executions.end()) {
      problems.push_back("the record has no execution of mix");
    } else {
      CheckValue(mix->second->result().outputs(), "h", IntValue(expected.h), "node mix",
                 problems);
    }
  } else if (record.status() == v1::RUN_FAILED && record.error().code() == v1::WORKER_LOST) {
    auto failed = executions.find(record.failed_node_id());
    if (failed == executions.end() ||
        failed->second->result().error().code() != v1::WORKER_LOST) {
      problems.push_back(absl::StrCat("the run failed WORKER_LOST but its failed node \"",
                                      record.failed_node_id(), "\" has no WORKER_LOST result"));
    } else {
      verdict.worker_lost = true;
    }
  } else if (Terminal(record.status())) {
    problems.push_back(absl::StrCat(
        "the run ended ", v1::RunStatus_Name(record.status()), " (",
        v1::ErrorCode_Name(record.error().code()),
        record.failed_node_id().empty() ? "" : absl::StrCat(" at node ", record.failed_node_id()),
        "): ", record.error().message()));
  }
  return verdict;
}

}  // namespace flowgrid::chaos
