#include "scheduler/run/replay.h"

#include <deque>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace flowgrid::run {
namespace {

// "node" at the top level, "it[2]/loop[0]/node" inside rounds.
std::string Label(const std::string& node_id, const v1::NodeScope& scope) {
  std::string label;
  for (const v1::NodeScope::Level& level : scope.levels()) {
    absl::StrAppend(&label, level.node_id(), "[", level.index(), "]/");
  }
  return absl::StrCat(label, node_id);
}

// What identifies an event in the history: equal for the event the
// Execution emits and the one it emitted before the restart.
std::string Describe(const v1::RunEvent& event) {
  switch (event.kind_case()) {
    case v1::RunEvent::kRunStarted:
      return "run_started";
    case v1::RunEvent::kNodeStarted: {
      const v1::NodeStarted& e = event.node_started();
      return absl::StrCat("node_started of ", Label(e.node_id(), e.scope()), " attempt ",
                          e.attempt());
    }
    case v1::RunEvent::kNodeRetry: {
      const v1::NodeRetry& e = event.node_retry();
      return absl::StrCat("node_retry of ", Label(e.node_id(), e.scope()), " attempt ",
                          e.attempt());
    }
    case v1::RunEvent::kNodeFinished: {
      const v1::NodeFinished& e = event.node_finished();
      return absl::StrCat("node_finished of ", Label(e.node_id(), e.scope()), " attempt ",
                          e.attempt(), ": ", v1::NodeStatus_Name(e.result().status()),
                          e.branch().empty() ? "" : " branch ", e.branch());
    }
    case v1::RunEvent::kRunFinished:
      return absl::StrCat("run_finished: ", v1::RunStatus_Name(event.run_finished().status()));
    case v1::RunEvent::kRunResumed:
      return absl::StrCat("run_resumed after ", event.run_resumed().after_sequence());
    case v1::RunEvent::KIND_NOT_SET:
      break;
  }
  return "an event without a kind";
}

class Replayer {
 public:
  explicit Replayer(Execution& execution) : execution_(execution) {}

  absl::Status Replay(const std::vector<v1::RunEvent>& history) {
    Take(execution_.Start());
    for (const v1::RunEvent& event : history) {
      if (expected_.empty()) {
        if (absl::Status s = Feed(event); !s.ok()) return s;
      }
      std::string persisted = Describe(event);
      if (expected_.empty()) {
        return Diverged(event, absl::StrCat(persisted, " does not follow from the events before"));
      }
      std::string emitted = Describe(expected_.front());
      if (emitted != persisted) {
        return Diverged(event, absl::StrCat("the history has ", persisted,
                                            " where the workflow gives ", emitted));
      }
      expected_.pop_front();
    }
    return absl::OkStatus();
  }

  // Events emitted past the end of the history.
  std::deque<v1::RunEvent>& unpersisted() { return expected_; }

 private:
  // Gives the execution the outside happening `event` records.
  absl::Status Feed(const v1::RunEvent& event) {
    if (event.has_node_finished() || event.has_node_retry()) {
      const bool finished = event.has_node_finished();
      const std::string label =
          finished ? Label(event.node_finished().node_id(), event.node_finished().scope())
                   : Label(event.node_retry().node_id(), event.node_retry().scope());
      const int attempt = finished ? event.node_finished().attempt() : event.node_retry().attempt();
      auto job = jobs_.find(label);
      if (job == jobs_.end() || job->second.attempt != attempt) {
        return Diverged(event, absl::StrCat(Describe(event), " matches no job in flight"));
      }
      JobRef ref = job->second;
      jobs_.erase(job);
      v1::NodeResult result;
      if (finished) {
        result = event.node_finished().result();
        // The execution applies its retries and error strategy again.
        if (result.status() != v1::NODE_SUCCEEDED) result.set_status(v1::NODE_FAILED);
      } else {
        result.set_status(v1::NODE_FAILED);
        *result.mutable_error() = event.node_retry().error();
      }
      Take(execution_.OnJobFinished(ref, result));
    } else if (event.has_node_started()) {
      auto timer = timers_.find(Label(event.node_started().node_id(), event.node_started().scope()));
      if (timer != timers_.end()) {
        int id = timer->second;
        timers_.erase(timer);
        Take(execution_.OnTimer(id));
      }
    } else if (event.has_run_resumed()) {
      Take(execution_.Resume(event.run_resumed()));
    }
    return absl::OkStatus();
  }

  void Take(Step step) {
    for (const JobRequest& job : step.jobs) {
      TaskPlace place = execution_.PlaceOf(job.task);
      jobs_[Label(execution_.plan().node(place.node).id(), place.scope)] = {job.task, job.attempt};
    }
    for (const TimerRequest& timer : step.timers) {
      TaskPlace place = execution_.PlaceOf(timer.task);
      timers_[Label(execution_.plan().node(place.node).id(), place.scope)] = timer.timer;
    }
    for (v1::RunEvent& event : step.events) expected_.push_back(std::move(event));
  }

  static absl::Status Diverged(const v1::RunEvent& event, const std::string& what) {
    return absl::FailedPreconditionError(
        absl::StrCat("the run's history does not follow from its workflow at event ",
                     event.sequence(), ": ", what));
  }

  Execution& execution_;
  std::deque<v1::RunEvent> expected_;
  // By label: the attempt in flight, the retry timer pending. Jobs and
  // timers that ended otherwise (cancelled, abandoned) stay: no later event
  // of the history names them.
  absl::flat_hash_map<std::string, JobRef> jobs_;
  absl::flat_hash_map<std::string, int> timers_;
};

}  // namespace

absl::StatusOr<Step> ReplayAndResume(Execution& execution,
                                     const std::vector<v1::RunEvent>& history,
                                     v1::RunResumed resumed) {
  Replayer replayer(execution);
  if (absl::Status s = replayer.Replay(history); !s.ok()) return s;
  Step step;
  for (v1::RunEvent& event : replayer.unpersisted()) step.events.push_back(std::move(event));
  Step restarted = execution.Resume(std::move(resumed));
  for (v1::RunEvent& event : restarted.events) step.events.push_back(std::move(event));
  step.jobs = std::move(restarted.jobs);
  step.timers = std::move(restarted.timers);
  return step;
}

}  // namespace flowgrid::run
