#include "scheduler/console/event_stream.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/retry_delay.h"
#include "scheduler/console/json_mapping.h"
#include "scheduler/console/query_params.h"

namespace flowgrid::console {
namespace {

// How long a new stream waits for its first event (or WatchRun's error)
// before it answers 200 anyway: an error that comes at once (unknown run,
// refused watch) is still an HTTP error, and a browser waiting on a quiet
// run gets its headers soon.
constexpr absl::Duration kFirstResponseWait = absl::Seconds(1);

absl::StatusOr<int64_t> AfterSequence(const HttpRequest& request) {
  absl::StatusOr<std::map<std::string, std::string>> params = ParseQuery(request.query);
  if (!params.ok()) return params.status();
  int64_t after = 0;
  for (const auto& [name, value] : *params) {
    if (name != "after_sequence") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown query parameter \"", name, "\" (known: after_sequence)"));
    }
    if (!absl::SimpleAtoi(value, &after) || after < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("after_sequence \"", value, "\" is not a non-negative integer"));
    }
  }
  // A reconnecting EventSource resumes after the last event it saw.
  if (int64_t seen = 0; absl::SimpleAtoi(request.last_event_id, &seen)) {
    after = std::max(after, seen);
  }
  return after;
}

std::string SseEvent(const v1::RunEvent& event) {
  return absl::StrCat("id: ", event.sequence(), "\ndata: ", MessageJson(event), "\n\n");
}

}  // namespace

// One WatchRun call read with gRPC's callback API: events are queued as
// they arrive, the stream's handler thread takes them.
class EventStreams::Watch final : public grpc::ClientReadReactor<v1::RunEvent> {
 public:
  struct Taken {
    std::vector<v1::RunEvent> events;
    // Set once the call ended (after every event it delivered).
    std::optional<absl::Status> end;
  };

  Watch(v1::WorkflowService::StubInterface* workflows, v1::WatchRunRequest request)
      : request_(std::move(request)) {
    workflows->async()->WatchRun(&context_, &request_, this);
    StartRead(&incoming_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the call ends: OnDone follows
    {
      absl::MutexLock lock(&mu_);
      events_.push_back(std::move(incoming_));
    }
    incoming_.Clear();
    StartRead(&incoming_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    end_ = FromGrpcStatus(status, context_);
  }

  // What came, after waiting up to `timeout` for something to come.
  Taken Take(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &Watch::HasNews), timeout);
    Taken taken;
    taken.events.swap(events_);
    taken.end = end_;
    return taken;
  }

  void Cancel() { context_.TryCancel(); }

  // Returns once gRPC is done with this object.
  void AwaitEnd() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Watch::Ended));
  }

 private:
  bool HasNews() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !events_.empty() || end_.has_value();
  }
  bool Ended() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return end_.has_value(); }

  grpc::ClientContext context_;
  const v1::WatchRunRequest request_;
  v1::RunEvent incoming_;  // written by gRPC between StartRead and OnReadDone
  absl::Mutex mu_;
  std::vector<v1::RunEvent> events_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
};

EventStreams::~EventStreams() { Stop(); }

void EventStreams::Serve(const std::string& run_id, const HttpRequest& request,
                         HttpConnection& connection) {
  absl::StatusOr<int64_t> after = AfterSequence(request);
  if (!after.ok()) {
    connection.Respond(ErrorResponse(after.status()));
    return;
  }
  v1::WatchRunRequest watch_request;
  watch_request.set_run_id(run_id);
  watch_request.set_after_sequence(*after);
  std::unique_ptr<Watch> watch;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || static_cast<int>(open_.size()) >= options_.max_streams) {
      connection.Respond(ErrorResponse(WithRetryDelay(
          absl::UnavailableError(
              stopping_ ? std::string("the console is shutting down")
                        : absl::StrCat("the console is at its limit of ", options_.max_streams,
                                       " event streams (--console_max_event_streams); retry in ",
                                       absl::FormatDuration(options_.retry_delay))),
          options_.retry_delay)));
      return;
    }
    watch = std::make_unique<Watch>(workflows_, std::move(watch_request));
    open_.insert(watch.get());
  }
  absl::Cleanup close = [this, &watch] {
    watch->Cancel();
    watch->AwaitEnd();
    absl::MutexLock lock(&mu_);
    open_.erase(watch.get());
  };

  Watch::Taken taken = watch->Take(kFirstResponseWait);
  if (taken.events.empty() && taken.end.has_value() && !taken.end->ok()) {
    connection.Respond(ErrorResponse(*taken.end));
    return;
  }
  HttpResponse head;
  head.content_type = "text/event-stream";
  head.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  if (!connection.StartStream(head)) return;
  while (true) {
    for (const v1::RunEvent& event : taken.events) {
      if (!connection.Write(SseEvent(event))) return;
    }
    if (taken.end.has_value()) {
      // CANCELLED: this side ended it (Stop); nobody is left to tell.
      if (!taken.end->ok() && taken.end->code() != absl::StatusCode::kCancelled) {
        connection.Write(absl::StrCat("event: error\ndata: ", ErrorJson(*taken.end), "\n\n"));
      }
      return;
    }
    if (taken.events.empty() && !connection.Write(": keepalive\n\n")) return;
    taken = watch->Take(options_.keepalive);
  }
}

void EventStreams::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (Watch* watch : open_) watch->Cancel();
  mu_.Await(absl::Condition(
      +[](absl::flat_hash_set<Watch*>* open) { return open->empty(); }, &open_));
}

int EventStreams::open_streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(open_.size());
}

}  // namespace flowgrid::console
